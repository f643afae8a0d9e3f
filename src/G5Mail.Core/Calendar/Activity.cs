using System;
using System.Collections.Generic;

namespace G5Mail.Core.Calendar
{
    /// <summary>How the time of an activity shows in a calendar's free/busy view.</summary>
    public enum ActivityShowAs
    {
        Busy,
        Free,
        Tentative,
        OutOfOffice,
    }

    /// <summary>
    /// One checked activity: times resolved in its time zone, addresses normalised. Built only by
    /// <see cref="ActivityReader"/>; what a calendar receives is written from this alone.
    /// </summary>
    public sealed class Activity
    {
        internal Activity(string activityId)
        {
            ActivityId = activityId;
        }

        public string ActivityId { get; }
        public string Subject { get; internal set; } = string.Empty;

        /// <summary>The IANA id of the zone (Europe/Stockholm), also for a zone given by its Windows id.</summary>
        public string TimeZoneId { get; internal set; } = "UTC";

        public TimeZoneInfo TimeZone { get; internal set; } = TimeZoneInfo.Utc;

        /// <summary>
        /// Timed activity: the start and end as wall-clock times in <see cref="TimeZone"/> (DateTimeKind.Unspecified).
        /// All-day activity: the first day, and the day after the last (exclusive, as iCalendar's DTEND).
        /// </summary>
        public DateTime LocalStart { get; internal set; }

        public DateTime LocalEnd { get; internal set; }

        /// <summary>The instants of a timed activity (for an all-day one: midnight in its zone).</summary>
        public DateTimeOffset Start { get; internal set; }

        public DateTimeOffset End { get; internal set; }

        public bool AllDay { get; internal set; }
        public string? Location { get; internal set; }
        public string? Description { get; internal set; }

        /// <summary>The organizer's address ("Name &lt;a@b.se&gt;" keeps the name); the calendar it belongs to.</summary>
        public string Organizer { get; internal set; } = string.Empty;

        /// <summary>The bare organizer address, lower-cased: the mailbox of results and of the sync state.</summary>
        public string OrganizerAddress { get; internal set; } = string.Empty;

        /// <summary>The attendees other than the organizer, in input order, each once.</summary>
        public IReadOnlyList<string> Attendees { get; internal set; } = Array.Empty<string>();

        public int? ReminderMinutes { get; internal set; }
        public IReadOnlyList<string> Categories { get; internal set; } = Array.Empty<string>();
        public ActivityShowAs ShowAs { get; internal set; }
        public bool Cancelled { get; internal set; }

        public int InputIndex { get; internal set; }
        public object? Source { get; internal set; }

        public override string ToString() => $"{ActivityId} '{Subject}'";
    }
}
