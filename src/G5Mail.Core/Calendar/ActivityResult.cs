using System;
using G5Mail.Core.Calendar;
using G5Mail.Core.Runs;

namespace G5Mail
{
    public enum ActivityStatus
    {
        Created,
        Updated,
        Cancelled,
        Unchanged,
        Failed,
        WhatIf,
        Draft,
    }

    /// <summary>What happened to one activity: Sync-G5Activity's output, one per activity in input order (and one per activity -RemoveMissing cancels).</summary>
    public sealed class ActivityResult
    {
        public string ActivityId { get; set; } = string.Empty;
        public ActivityStatus Status { get; set; }
        public string Method { get; set; } = string.Empty;

        /// <summary>The calendar's owner: the organizer's address (SMTP), or the mailbox written to.</summary>
        public string? Mailbox { get; set; }

        public string? Subject { get; set; }
        public DateTimeOffset? Start { get; set; }
        public DateTimeOffset? End { get; set; }
        public bool AllDay { get; set; }

        /// <summary>The attendees invited (besides the organizer).</summary>
        public string[] Attendees { get; set; } = Array.Empty<string>();

        /// <summary>RFC 5545 UID of the activity's event.</summary>
        public string? Uid { get; set; }

        /// <summary>RFC 5545 SEQUENCE sent (or, for Unchanged, last sent).</summary>
        public int? Sequence { get; set; }

        /// <summary>SMTP: the invitation's Message-Id. -IcsDirectory: the file written (also in Path).</summary>
        public string? RemoteId { get; set; }

        /// <summary>The .ics file written with -IcsDirectory.</summary>
        public string? Path { get; set; }

        /// <summary>Why the activity was not synced; null when it was.</summary>
        public string? Error => Exception?.Message;

        public string? ErrorId => Exception?.ErrorId;

        /// <summary>A short word a script can branch on: NoChange, NoState, NotSynced, Create/Update/Cancel (WhatIf), NotAttempted, ...</summary>
        public string? Reason { get; set; }

        public TimeSpan Duration { get; set; }

        internal G5MailErrorException? Exception { get; set; }

        internal object? Source { get; set; }
    }

    /// <summary>The end-of-run summary of Sync-G5Activity (the MessageData of one Information record, tags G5Mail and Summary).</summary>
    public sealed class ActivitySummary
    {
        public int Created { get; set; }
        public int Updated { get; set; }
        public int Cancelled { get; set; }
        public int Unchanged { get; set; }
        public int Failed { get; set; }
        public int WhatIf { get; set; }
        public int Draft { get; set; }
        public int Total { get; set; }
        public TimeSpan Duration { get; set; }

        /// <summary>The state file used (-StatePath), or null.</summary>
        public string? StatePath { get; set; }

        /// <summary>"Sync-G5Activity: 3 Created, 1 Updated, 0 Cancelled, 990 Unchanged, 0 Failed in 0.8 s".</summary>
        public string Message { get; set; } = string.Empty;

        public override string ToString() => Message;

        internal static ActivitySummary From(RunSummary<ActivityStatus> counts, string commandName, TimeSpan elapsed, string? statePath) =>
            new ActivitySummary
            {
                Created = counts.Count(ActivityStatus.Created),
                Updated = counts.Count(ActivityStatus.Updated),
                Cancelled = counts.Count(ActivityStatus.Cancelled),
                Unchanged = counts.Count(ActivityStatus.Unchanged),
                Failed = counts.Count(ActivityStatus.Failed),
                WhatIf = counts.Count(ActivityStatus.WhatIf),
                Draft = counts.Count(ActivityStatus.Draft),
                Total = counts.Total,
                Duration = elapsed,
                StatePath = statePath,
                Message = counts.Describe(commandName, elapsed),
            };
    }
}

namespace G5Mail.Core.Calendar
{
    /// <summary>The Reason values of activity results.</summary>
    public static class ActivityReasons
    {
        /// <summary>Unchanged: the state says the calendar already has exactly this.</summary>
        public const string NoChange = "NoChange";

        /// <summary>Unchanged: a cancelled activity the state has never synced: there is no event to cancel.</summary>
        public const string NotSynced = "NotSynced";

        /// <summary>Updated without -StatePath: sent as a create-or-update; nothing tells whether the calendar had it.</summary>
        public const string NoState = "NoState";

        /// <summary>Cancelled by -RemoveMissing: in the state, not in the input.</summary>
        public const string Missing = "Missing";

        /// <summary>Updated: the state's last sync of this activity had no known outcome, so it was sent again.</summary>
        public const string Resent = "Resent";

        /// <summary>Updated: a create found the activity's event already in the calendar (by the activity id on it) and updated it.</summary>
        public const string FoundExisting = "FoundExisting";

        /// <summary>Failed: the server may or may not have taken the change; the next run sends it again as an update.</summary>
        public const string Uncertain = "Uncertain";

        /// <summary>WhatIf: what a run would do.</summary>
        public const string Create = "Create";
        public const string Update = "Update";
        public const string Cancel = "Cancel";

        public static string For(ChangeKind kind) => kind == ChangeKind.Create ? Create : kind == ChangeKind.Update ? Update : Cancel;
    }

    /// <summary>The one place an <see cref="ActivityResult"/> is built.</summary>
    internal static class ActivityResults
    {
        public static ActivityResult Rejected(ActivityRequest request, string method, G5MailErrorException error) => new ActivityResult
        {
            ActivityId = (request.ActivityId ?? string.Empty).Trim(),
            Status = ActivityStatus.Failed,
            Method = method,
            Subject = request.Subject,
            Exception = error,
            Source = request.Source,
        };

        public static ActivityResult Of(Activity activity, string method, ActivityStatus status) => new ActivityResult
        {
            ActivityId = activity.ActivityId,
            Status = status,
            Method = method,
            Mailbox = activity.OrganizerAddress,
            Subject = activity.Subject,
            Start = activity.Start,
            End = activity.End,
            AllDay = activity.AllDay,
            Attendees = System.Linq.Enumerable.ToArray(activity.Attendees),
            Source = activity.Source,
        };

        public static ActivityResult Unchanged(Activity activity, string method, SyncStateEntry? entry, string reason)
        {
            ActivityResult result = Of(activity, method, ActivityStatus.Unchanged);
            result.Uid = entry?.Uid;
            result.Sequence = entry?.Sequence;
            result.RemoteId = entry?.RemoteId;
            result.Reason = reason;
            return result;
        }

        public static ActivityResult Of(CalendarChange change, string method, ActivityStatus status)
        {
            ActivityResult result = Of(change.Activity, method, status);
            result.Uid = change.Uid;
            result.Sequence = change.Sequence;
            return result;
        }
    }
}
