using System;
using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace G5Mail.Core.Calendar
{
    /// <summary>
    /// What the sync state knows of one activity: one JSON line of the state file. Every line is the activity's whole
    /// entry, so the last line about an activity is all there is to know; lines are only ever appended (and the file
    /// compacted to one line per activity when it opens with many superseded lines).
    /// </summary>
    /// <remarks>
    /// <see cref="Hash"/> and <see cref="Cancelled"/> describe what the calendar is known to have; <see cref="Pending"/>
    /// says a change was begun whose outcome is not known (the run stopped, or the server may or may not have taken it),
    /// so the next run sends the activity again, as an update: same UID, a higher SEQUENCE, never a second event.
    /// </remarks>
    public sealed class SyncStateEntry
    {
        public const int FormatVersion = 1;

        [JsonPropertyName("v")] public int Version { get; set; } = FormatVersion;
        [JsonPropertyName("id")] public string ActivityId { get; set; } = string.Empty;
        [JsonPropertyName("time")] public DateTimeOffset Time { get; set; }
        [JsonPropertyName("method")] public string Method { get; set; } = string.Empty;
        [JsonPropertyName("mailbox")] public string Mailbox { get; set; } = string.Empty;
        [JsonPropertyName("uid")] public string Uid { get; set; } = string.Empty;

        /// <summary>The highest SEQUENCE used for the activity (also by a change whose outcome is not known).</summary>
        [JsonPropertyName("sequence")] public int Sequence { get; set; }

        /// <summary>The Message-Id of the last invitation (SMTP), the event's id (Graph, EWS), or the .ics file written.</summary>
        [JsonPropertyName("remoteId")] public string? RemoteId { get; set; }

        /// <summary>The content hash of what the calendar has (ActivityIdentity.Hash); null before the first sync went through.</summary>
        [JsonPropertyName("hash")] public string? Hash { get; set; }

        [JsonPropertyName("cancelled")] public bool Cancelled { get; set; }
        [JsonPropertyName("pending")] public bool Pending { get; set; }

        // What a cancellation for -RemoveMissing needs when the activity is no longer in the input, and what a result shows.
        [JsonPropertyName("subject")] public string? Subject { get; set; }
        [JsonPropertyName("start")] public string? Start { get; set; }
        [JsonPropertyName("end")] public string? End { get; set; }
        [JsonPropertyName("allDay")] public bool AllDay { get; set; }
        [JsonPropertyName("timeZone")] public string? TimeZone { get; set; }
        [JsonPropertyName("location")] public string? Location { get; set; }
        [JsonPropertyName("organizer")] public string? Organizer { get; set; }
        [JsonPropertyName("attendees")] public List<string> Attendees { get; set; } = new List<string>();

        /// <summary>True when the calendar of <paramref name="method"/>/<paramref name="mailbox"/> is the one this entry describes.</summary>
        public bool IsFor(string method, string mailbox) =>
            string.Equals(Method, method, StringComparison.OrdinalIgnoreCase) && string.Equals(Mailbox, mailbox, StringComparison.OrdinalIgnoreCase);

        internal SyncStateEntry Copy() => (SyncStateEntry)MemberwiseClone();
    }
}
