using System;
using System.Linq;
using System.Text;
using G5Mail.Core.Calendar;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Xunit;
using static G5Mail.Core.Tests.Calendar.CalendarFixtures;
using ICal = Ical.Net.Calendar;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>The iTIP object of a change (RFC 5545, RFC 5546), read back through Ical.Net.</summary>
    public sealed class ActivityCalendarTests
    {
        private const string Subject = "Service: Åhléns, hall 2; ring först";
        private const string Location = "Verkstan, Göteborg; port \\ 3";
        private const string Description = "Rad ett, med komma; och semikolon\nRad två: åäö ÅÄÖ \\ snedstreck\n\nRad fyra 😀";

        private static Activity Summer(Action<ActivityRequest>? change = null)
        {
            var request = new ActivityRequest
            {
                ActivityId = "A 1001/å",
                Subject = Subject,
                Location = Location,
                Description = Description,
                Start = "2027-06-10 09:00",
                End = "2027-06-10 10:30",
                Organizer = "Planering <planner@example.com>",
                Attendees = new[] { "\"Svensson, Anna\" <anna@example.com>; bo@example.com" },
                ReminderMinutes = 15,
                Categories = new[] { "Service", "Garanti" },
            };
            change?.Invoke(request);
            return Read(request);
        }

        private static (string Text, ICal Calendar, CalendarEvent Event) Write(Activity activity, ChangeKind kind = ChangeKind.Create, int sequence = 0, string? sentBy = null)
        {
            string text = ActivityCalendar.Write(Change(activity, kind, sequence), sentBy);
            ICal calendar = Parse(text);
            return (text, calendar, Assert.Single(calendar.Events));
        }

        [Fact]
        public void A_request_round_trips_identity_and_text_through_Ical_Net()
        {
            Activity a = Summer();
            (string text, ICal calendar, CalendarEvent e) = Write(a, ChangeKind.Update, sequence: 3);

            Assert.Equal("REQUEST", calendar.Method);
            Assert.Equal("2.0", calendar.Version);
            Assert.Equal(ActivityCalendar.ProductId, calendar.ProductId);
            Assert.Equal("monitor-activity-A%201001%2F%C3%A5@example.com", e.Uid);
            Assert.Equal(3, e.Sequence);
            Assert.NotNull(e.DtStamp);
            Assert.Equal(Stamp.UtcDateTime, e.DtStamp!.AsUtc);
            Assert.True(e.DtStamp.IsUtc);
            Assert.Equal(Subject, e.Summary);
            Assert.Equal(Location, e.Location);
            Assert.Equal(Description, e.Description!.Replace("\r\n", "\n"));
            Assert.Equal(new[] { "Service", "Garanti" }, e.Categories);
            Assert.Equal("CONFIRMED", e.Status);
            Assert.Equal("OPAQUE", e.Transparency);
            Assert.Contains("X-G5MAIL-ACTIVITYID:A 1001/å", Unfold(text));
            Assert.Contains("X-MICROSOFT-CDO-BUSYSTATUS:BUSY", Unfold(text));
        }

        [Fact]
        public void A_summer_event_has_its_UTC_instants_and_its_zone()
        {
            Activity a = Summer();
            (string text, ICal calendar, CalendarEvent e) = Write(a);

            Assert.Equal("Europe/Stockholm", e.DtStart!.TzId);
            Assert.Equal(new DateTime(2027, 6, 10, 9, 0, 0), e.DtStart.Value);
            Assert.Equal(new DateTime(2027, 6, 10, 7, 0, 0, DateTimeKind.Utc), e.DtStart.AsUtc);
            Assert.Equal(new DateTime(2027, 6, 10, 8, 30, 0, DateTimeKind.Utc), e.DtEnd!.AsUtc);
            Assert.False(e.IsAllDay);

            // By the calendar's own VTIMEZONE too, not only by Ical.Net's zone database.
            VTimeZone zone = Assert.Single(calendar.TimeZones);
            Assert.Equal("Europe/Stockholm", zone.TzId);
            var evaluator = new VTimeZoneEvaluator(zone, 2028);
            Assert.Equal(a.Start.UtcDateTime, evaluator.ToUtc(e.DtStart.Value));
            Assert.Equal(a.End.UtcDateTime, evaluator.ToUtc(e.DtEnd.Value));
            Assert.Contains("DTSTART;TZID=Europe/Stockholm:20270610T090000", Unfold(text));
        }

        [Fact]
        public void A_winter_event_has_its_UTC_instants()
        {
            Activity a = Summer(r =>
            {
                r.Start = "2027-01-15 09:00";
                r.End = "2027-01-15 10:00";
            });
            (_, ICal calendar, CalendarEvent e) = Write(a);

            Assert.Equal(new DateTime(2027, 1, 15, 8, 0, 0, DateTimeKind.Utc), e.DtStart!.AsUtc);
            Assert.Equal(new DateTime(2027, 1, 15, 9, 0, 0, DateTimeKind.Utc), e.DtEnd!.AsUtc);
            var evaluator = new VTimeZoneEvaluator(Assert.Single(calendar.TimeZones), 2028);
            Assert.Equal(a.Start.UtcDateTime, evaluator.ToUtc(e.DtStart.Value));
        }

        [Theory]
        [InlineData("America/New_York", "2027-11-07 00:45", "2027-11-07 04:45")] // the fold: ends at the first 01:45 (EDT)
        [InlineData("Australia/Sydney", "2027-12-24 18:00", "2027-12-24 07:00")]
        [InlineData("Asia/Tokyo", "2027-06-10 09:00", "2027-06-10 00:00")]
        [InlineData("Africa/Casablanca", "2027-02-20 12:00", "2027-02-20 12:00")] // Ramadan 2027: +00:00
        public void An_event_in_another_zone_has_the_right_UTC_instant_by_its_VTIMEZONE(string zoneId, string local, string utc)
        {
            Activity a = Summer(r =>
            {
                r.TimeZone = zoneId;
                r.Start = local;
                r.End = null;
                r.DurationMinutes = 60;
            });
            (_, ICal calendar, CalendarEvent e) = Write(a);
            DateTime expected = DateTime.SpecifyKind(DateTime.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);

            Assert.Equal(expected, a.Start.UtcDateTime);
            Assert.Equal(zoneId, e.DtStart!.TzId);
            var evaluator = new VTimeZoneEvaluator(Assert.Single(calendar.TimeZones), a.LocalEnd.Year + 1);
            Assert.Equal(expected, evaluator.ToUtc(e.DtStart.Value));
            Assert.Equal(expected.AddHours(1), evaluator.ToUtc(e.DtEnd!.Value));
        }

        [Fact]
        public void An_end_in_the_second_pass_of_the_autumn_fold_is_written_in_UTC()
        {
            // 02:30 CEST plus 60 minutes is 02:30 CET: as a TZID time the end would be the first 02:30, the start itself.
            Activity a = Summer(r =>
            {
                r.Start = "2027-10-31 02:30";
                r.End = null;
                r.DurationMinutes = 60;
            });
            (string text, ICal calendar, CalendarEvent e) = Write(a);

            Assert.Contains("DTSTART;TZID=Europe/Stockholm:20271031T023000", Unfold(text));
            Assert.Contains("DTEND:20271031T013000Z", Unfold(text));
            Assert.Equal(new DateTime(2027, 10, 31, 0, 30, 0, DateTimeKind.Utc), e.DtStart!.AsUtc);
            Assert.Equal(new DateTime(2027, 10, 31, 1, 30, 0, DateTimeKind.Utc), e.DtEnd!.AsUtc);
            var evaluator = new VTimeZoneEvaluator(Assert.Single(calendar.TimeZones), 2028);
            Assert.Equal(a.Start.UtcDateTime, evaluator.ToUtc(e.DtStart.Value));
        }

        [Fact]
        public void A_start_given_in_the_second_pass_of_the_fold_is_written_in_UTC()
        {
            Activity a = Summer(r =>
            {
                r.Start = "2027-10-31T02:15:00+01:00"; // the second 02:15 (CET)
                r.End = "2027-10-31T03:15:00+01:00";
            });
            (string text, _, CalendarEvent e) = Write(a);

            Assert.Contains("DTSTART:20271031T011500Z", Unfold(text));
            Assert.Contains("DTEND;TZID=Europe/Stockholm:20271031T031500", Unfold(text));
            Assert.Equal(TimeSpan.FromHours(1), e.DtEnd!.AsUtc - e.DtStart!.AsUtc);
        }

        [Fact]
        public void A_time_in_the_first_pass_of_the_fold_keeps_its_TZID()
        {
            Activity a = Summer(r =>
            {
                r.Start = "2027-10-31 02:30";
                r.End = "2027-10-31 02:45";
            });
            (string text, _, CalendarEvent e) = Write(a);
            Assert.Contains("DTSTART;TZID=Europe/Stockholm:20271031T023000", Unfold(text));
            Assert.Contains("DTEND;TZID=Europe/Stockholm:20271031T024500", Unfold(text));
            Assert.Equal(TimeSpan.FromMinutes(15), e.DtEnd!.AsUtc - e.DtStart!.AsUtc);
        }

        [Fact]
        public void An_all_day_event_has_DATE_values_and_no_VTIMEZONE()
        {
            Activity a = Summer(r =>
            {
                r.AllDay = true;
                r.Start = "2027-06-01";
                r.End = "2027-06-02";
            });
            (string text, ICal calendar, CalendarEvent e) = Write(a);

            Assert.True(e.IsAllDay);
            Assert.False(e.DtStart!.HasTime);
            Assert.False(e.DtEnd!.HasTime);
            Assert.Equal(new DateOnly(2027, 6, 1), e.DtStart.Date);
            Assert.Equal(new DateOnly(2027, 6, 3), e.DtEnd.Date);
            Assert.Empty(calendar.TimeZones);
            Assert.Contains("DTSTART;VALUE=DATE:20270601", Unfold(text));
            Assert.Contains("DTEND;VALUE=DATE:20270603", Unfold(text));
            Assert.Contains("X-MICROSOFT-CDO-ALLDAYEVENT:TRUE", Unfold(text));
        }

        [Fact]
        public void A_UTC_event_has_Z_times_and_no_VTIMEZONE()
        {
            Activity a = Summer(r => r.TimeZone = "UTC");
            (string text, ICal calendar, CalendarEvent e) = Write(a);

            Assert.Empty(calendar.TimeZones);
            Assert.DoesNotContain("BEGIN:VTIMEZONE", text);
            Assert.True(e.DtStart!.IsUtc);
            Assert.Equal(new DateTime(2027, 6, 10, 9, 0, 0, DateTimeKind.Utc), e.DtStart.AsUtc);
            Assert.Contains("DTSTART:20270610T090000Z", Unfold(text));
            Assert.Contains("DTEND:20270610T103000Z", Unfold(text));
        }

        [Fact]
        public void The_organizer_is_a_mailto_with_its_name_and_the_chair_attendee()
        {
            (_, _, CalendarEvent e) = Write(Summer());

            Assert.NotNull(e.Organizer);
            Assert.Equal("mailto:planner@example.com", e.Organizer!.Value?.OriginalString);
            Assert.Equal("Planering", e.Organizer.CommonName);
            Assert.Null(e.Organizer.SentBy);

            Attendee chair = Assert.Single(e.Attendees, x => x.Value?.OriginalString == "mailto:planner@example.com");
            Assert.Equal("CHAIR", chair.Role);
            Assert.Equal("ACCEPTED", chair.ParticipationStatus);
            Assert.False(chair.Rsvp);
        }

        [Fact]
        public void A_sender_other_than_the_organizer_is_SENT_BY()
        {
            (string text, _, CalendarEvent e) = Write(Summer(), sentBy: "Assistent <assistent@example.com>");
            Assert.Equal("mailto:assistent@example.com", e.Organizer!.SentBy!.OriginalString);
            Assert.Contains("SENT-BY=\"mailto:assistent@example.com\"", Unfold(text).Single(l => l.StartsWith("ORGANIZER", StringComparison.Ordinal)));

            (_, _, CalendarEvent self) = Write(Summer(), sentBy: "PLANNER@example.com");
            Assert.Null(self.Organizer!.SentBy);
        }

        [Fact]
        public void Attendees_are_required_participants_asked_to_reply()
        {
            (_, _, CalendarEvent e) = Write(Summer());

            Assert.Equal(3, e.Attendees.Count);
            Attendee anna = Assert.Single(e.Attendees, x => x.Value?.OriginalString == "mailto:anna@example.com");
            Assert.Equal("Svensson, Anna", anna.CommonName);
            Assert.Equal("REQ-PARTICIPANT", anna.Role);
            Assert.Equal("NEEDS-ACTION", anna.ParticipationStatus);
            Assert.True(anna.Rsvp);
            Attendee bo = Assert.Single(e.Attendees, x => x.Value?.OriginalString == "mailto:bo@example.com");
            Assert.Null(bo.CommonName);
            Assert.True(bo.Rsvp);
        }

        [Fact]
        public void A_reminder_is_a_display_alarm_before_the_start()
        {
            (_, _, CalendarEvent e) = Write(Summer());
            Alarm alarm = Assert.Single(e.Alarms);
            Assert.Equal("DISPLAY", alarm.Action);
            Assert.Equal(Subject, alarm.Description);
            Assert.NotNull(alarm.Trigger);
            Assert.True(alarm.Trigger!.IsRelative);
            Assert.Equal(TimeSpan.FromMinutes(-15), alarm.Trigger.Duration!.Value.ToTimeSpanUnspecified());

            (_, _, CalendarEvent none) = Write(Summer(r => r.ReminderMinutes = null));
            Assert.Empty(none.Alarms);

            (_, _, CalendarEvent atStart) = Write(Summer(r => r.ReminderMinutes = 0));
            Assert.Equal(TimeSpan.Zero, Assert.Single(atStart.Alarms).Trigger!.Duration!.Value.ToTimeSpanUnspecified());
        }

        [Fact]
        public void A_cancel_is_METHOD_CANCEL_with_STATUS_CANCELLED_and_no_alarm()
        {
            Activity a = Summer(r => r.Status = "Cancelled");
            (string text, ICal calendar, CalendarEvent e) = Write(a, ChangeKind.Cancel, sequence: 2);

            Assert.Equal("CANCEL", calendar.Method);
            Assert.Equal("CANCELLED", e.Status);
            Assert.Empty(e.Alarms);
            Assert.DoesNotContain("BEGIN:VALARM", text);
            Assert.Equal(2, e.Sequence);
            Assert.All(e.Attendees, x => Assert.False(x.Rsvp));

            // RFC 5546 3.2.5: ATTENDEE, DTSTAMP, ORGANIZER, SEQUENCE, UID.
            string[] lines = Unfold(text);
            foreach (string name in new[] { "ATTENDEE", "DTSTAMP:", "ORGANIZER", "SEQUENCE:", "UID:", "DTSTART" })
            {
                Assert.Contains(lines, l => l.StartsWith(name, StringComparison.Ordinal));
            }
        }

        [Fact]
        public void A_request_has_what_RFC_5546_requires()
        {
            (string text, _, _) = Write(Summer(r => r.Attendees = null), ChangeKind.Create, sequence: 0);
            string[] lines = Unfold(text);
            string[] vevent = lines.SkipWhile(l => l != "BEGIN:VEVENT").TakeWhile(l => l != "END:VEVENT").ToArray();
            Assert.NotEmpty(vevent);

            Assert.Contains("METHOD:REQUEST", lines.TakeWhile(l => l != "BEGIN:VEVENT"));
            foreach (string name in new[] { "DTSTAMP:", "DTSTART;", "DTEND;", "ORGANIZER", "SUMMARY:", "UID:", "SEQUENCE:" })
            {
                Assert.Single(vevent, l => l.StartsWith(name, StringComparison.Ordinal));
            }

            // Without attendees the organizer is the one ATTENDEE, so the REQUEST stays valid.
            Assert.Single(vevent, l => l.StartsWith("ATTENDEE", StringComparison.Ordinal));
        }

        [Theory]
        [InlineData("Free", "TRANSPARENT", "FREE")]
        [InlineData("Busy", "OPAQUE", "BUSY")]
        [InlineData("Tentative", "OPAQUE", "TENTATIVE")]
        [InlineData("OutOfOffice", "OPAQUE", "OOF")]
        public void ShowAs_is_TRANSP_and_Outlook_s_busy_status(string showAs, string transp, string busy)
        {
            (string text, _, CalendarEvent e) = Write(Summer(r => r.ShowAs = showAs));
            Assert.Equal(transp, e.Transparency);
            Assert.Contains("X-MICROSOFT-CDO-BUSYSTATUS:" + busy, Unfold(text));
        }

        [Fact]
        public void No_line_is_longer_than_75_octets_and_lines_end_in_CRLF()
        {
            Activity a = Summer(r =>
            {
                r.Description = string.Concat(Enumerable.Repeat("Lång beskrivning med åäö och 😀, ", 20));
                r.Attendees = Enumerable.Range(1, 10).Select(i => $"\"Mottagare nummer {i}, avdelning Ö\" <mottagare.nummer.{i}@en-mycket-lang-doman.example.com>").ToArray();
            });
            string text = ActivityCalendar.Write(Change(a), "assistent@example.com");
            Assert.EndsWith("END:VCALENDAR\r\n", text);
            Assert.DoesNotContain("\n", text.Replace("\r\n", string.Empty));
            Assert.All(text.Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries), l => Assert.True(Encoding.UTF8.GetByteCount(l) <= 75, l));
            CalendarEvent e = Assert.Single(Parse(text).Events);
            Assert.Equal(11, e.Attendees.Count);
            Assert.Equal(a.Description, e.Description!.Replace("\r\n", "\n"));
        }

        [Fact]
        public void An_event_without_subject_still_has_a_SUMMARY_and_a_reminder_text()
        {
            (_, _, CalendarEvent e) = Write(Summer(r => r.Subject = null));
            Assert.Equal(string.Empty, e.Summary ?? string.Empty);
            Assert.Equal("Reminder", Assert.Single(e.Alarms).Description);
        }
    }
}
