using System;

namespace G5Mail.Core.Calendar
{
    /// <summary>What a run does to one activity's calendar event.</summary>
    public enum ChangeKind
    {
        /// <summary>New to the state (or to this method and mailbox): iTIP REQUEST.</summary>
        Create,

        /// <summary>Changed since the last sync, or the last sync's outcome is unknown: REQUEST with the same UID, a higher SEQUENCE.</summary>
        Update,

        /// <summary>Status Cancelled, or -RemoveMissing: iTIP CANCEL, STATUS:CANCELLED.</summary>
        Cancel,
    }

    /// <summary>One planned change: the activity, how it is identified in calendars (UID, SEQUENCE), and what it replaces.</summary>
    public sealed class CalendarChange
    {
        internal CalendarChange(Activity activity, ChangeKind kind, string uid, int sequence, string hash, SyncStateEntry? previous, bool hasState)
        {
            Activity = activity;
            Kind = kind;
            Uid = uid;
            Sequence = sequence;
            Hash = hash;
            Previous = previous;
            HasState = hasState;
        }

        public Activity Activity { get; }
        public ChangeKind Kind { get; }

        /// <summary>RFC 5545 UID: the same for every version of the activity's event.</summary>
        public string Uid { get; }

        /// <summary>RFC 5545 SEQUENCE: higher than any the activity was sent with before.</summary>
        public int Sequence { get; }

        /// <summary>The activity's content hash (<see cref="ActivityHash"/>), recorded once the change went through.</summary>
        public string Hash { get; }

        /// <summary>What the state knew of the activity before this run; null when nothing (or no -StatePath).</summary>
        public SyncStateEntry? Previous { get; }

        /// <summary>False without -StatePath: a REQUEST then creates or updates, and nothing tells which.</summary>
        public bool HasState { get; }

        /// <summary>The iTIP method (RFC 5546 1.4): REQUEST or CANCEL.</summary>
        public string Method => Kind == ChangeKind.Cancel ? "CANCEL" : "REQUEST";

        /// <summary>A cancellation of -RemoveMissing: the activity is in the state, not in the input.</summary>
        public bool IsMissing { get; internal set; }

        /// <summary>When the change was made (DTSTAMP).</summary>
        public DateTimeOffset Stamp { get; internal set; } = DateTimeOffset.UtcNow;

        public override string ToString() => $"{Kind} {Activity.ActivityId} (UID {Uid}, SEQUENCE {Sequence})";
    }
}
