using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Calendar;
using G5Mail.Core.Runs;
using Xunit;
using ICal = Ical.Net.Calendar;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>Activities, changes and parsed calendars for the calendar tests; every zone named, never the machine's.</summary>
    internal static class CalendarFixtures
    {
        public const string Planner = "planner@example.com";
        public const string Zone = "Europe/Stockholm";

        /// <summary>A fixed DTSTAMP, so written calendars are comparable.</summary>
        public static readonly DateTimeOffset Stamp = new DateTimeOffset(2027, 5, 2, 8, 15, 30, TimeSpan.Zero);

        public static ActivityReader Reader(string? defaultOrganizer = Planner) => new ActivityReader(defaultOrganizer, Zone);

        /// <summary>A valid timed activity request: 2027-06-10 09:00-10:00 Stockholm, one attendee.</summary>
        public static ActivityRequest Request(string id = "A-1001", string subject = "Service av kompressor", int index = 0) => new ActivityRequest
        {
            ActivityId = id,
            Subject = subject,
            Start = "2027-06-10 09:00",
            End = "2027-06-10 10:00",
            Attendees = new[] { "tekniker@example.com" },
            InputIndex = index,
        };

        public static Activity Read(ActivityRequest request) => Reader().Read(request);

        public static CalendarChange Change(Activity activity, ChangeKind kind = ChangeKind.Create, int sequence = 0, bool hasState = true, SyncStateEntry? previous = null) =>
            new CalendarChange(activity, kind, ActivityIdentity.UidFor(activity.ActivityId, activity.OrganizerAddress), sequence,
                ActivityIdentity.Hash(activity), previous, hasState) { Stamp = Stamp };

        /// <summary>Parses <paramref name="text"/> with Ical.Net: an RFC 5545 implementation independent of G5Mail's writer.</summary>
        public static ICal Parse(string text)
        {
            ICal? calendar = ICal.Load(text);
            Assert.NotNull(calendar);
            return calendar!;
        }

        /// <summary>The content lines as a reader sees them: unfolded (RFC 5545 3.1), without CRLF.</summary>
        public static string[] Unfold(string text)
        {
            Assert.DoesNotContain("\n", text.Replace("\r\n", string.Empty));
            return text.Replace("\r\n ", string.Empty).Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries);
        }
    }

    /// <summary>A run log that keeps every line.</summary>
    internal sealed class CalendarLog : IRunLog
    {
        private readonly ConcurrentQueue<string> _verbose = new ConcurrentQueue<string>();
        private readonly ConcurrentQueue<string> _warnings = new ConcurrentQueue<string>();

        public IReadOnlyList<string> Verbose => _verbose.ToArray();
        public IReadOnlyList<string> Warnings => _warnings.ToArray();

        void IRunLog.Verbose(string message) => _verbose.Enqueue(message);

        void IRunLog.Warning(string message) => _warnings.Enqueue(message);
    }
}
