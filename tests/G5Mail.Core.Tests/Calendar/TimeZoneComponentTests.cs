using System;
using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Calendar;
using Ical.Net;
using Ical.Net.CalendarComponents;
using Xunit;
using static G5Mail.Core.Tests.Calendar.CalendarFixtures;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>
    /// The VTIMEZONE G5Mail writes, read back through Ical.Net and evaluated by RFC 5545 alone, must give the offset this
    /// computer's zone rules give, at every instant of the years it covers and around every change.
    /// </summary>
    public sealed class TimeZoneComponentTests
    {
        /// <summary>The VTIMEZONE for the years, in a VCALENDAR: the raw text and the component Ical.Net parsed.</summary>
        private static (string Text, VTimeZone Zone) Written(string ianaId, int firstYear, int lastYear)
        {
            TimeZoneInfo zone = TimeZoneInfo.FindSystemTimeZoneById(ianaId);
            var lines = new ContentLines();
            lines.Line("BEGIN", "VCALENDAR");
            lines.Line("PRODID", ActivityCalendar.ProductId);
            lines.Line("VERSION", "2.0");
            TimeZoneComponent.Write(lines, ianaId, zone, firstYear, lastYear);
            lines.Line("END", "VCALENDAR");
            string text = lines.ToString();
            VTimeZone parsed = Assert.Single(Parse(text).TimeZones);
            Assert.Equal(ianaId, parsed.TzId);
            return (text, parsed);
        }

        /// <summary>Every instant where the zone's offset changes, to the minute, found by scanning hour by hour.</summary>
        private static List<DateTime> Changes(TimeZoneInfo zone, DateTime from, DateTime to)
        {
            var changes = new List<DateTime>();
            for (DateTime t = from; t < to; t = t.AddHours(1))
            {
                DateTime next = t.AddHours(1);
                if (zone.GetUtcOffset(t) == zone.GetUtcOffset(next))
                {
                    continue;
                }

                DateTime change = t;
                while (zone.GetUtcOffset(change) == zone.GetUtcOffset(t))
                {
                    change = change.AddMinutes(1);
                }

                changes.Add(change);
            }

            return changes;
        }

        private static void AssertMatchesSystemRules(string ianaId, int firstYear, int lastYear, int minimumChanges)
        {
            TimeZoneInfo zone = TimeZoneInfo.FindSystemTimeZoneById(ianaId);
            (string text, VTimeZone parsed) = Written(ianaId, firstYear, lastYear);
            var evaluator = new VTimeZoneEvaluator(parsed, lastYear);
            var from = new DateTime(firstYear, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            var to = new DateTime(lastYear + 1, 1, 1, 0, 0, 0, DateTimeKind.Utc);

            var wrong = new List<string>();
            void Check(DateTime utc)
            {
                TimeSpan expected = zone.GetUtcOffset(utc);
                TimeSpan actual = evaluator.OffsetAt(utc);
                if (expected != actual && wrong.Count < 10)
                {
                    wrong.Add($"{utc:yyyy-MM-dd HH:mm}Z: VTIMEZONE {actual}, system {expected}");
                }
            }

            for (DateTime t = from; t < to; t = t.AddHours(6))
            {
                Check(t);
            }

            List<DateTime> changes = Changes(zone, from, to);
            Assert.True(changes.Count >= minimumChanges, $"{ianaId} changes {changes.Count} times in {firstYear}-{lastYear}; the test expects at least {minimumChanges}.");
            foreach (DateTime change in changes)
            {
                for (int minutes = -180; minutes <= 180; minutes += 30)
                {
                    Check(change.AddMinutes(minutes));
                }

                Check(change.AddMinutes(-1));
                Check(change.AddMinutes(1));
            }

            Assert.True(wrong.Count == 0, $"{ianaId} {firstYear}-{lastYear}:\n{string.Join("\n", wrong)}\n\n{text}");
        }

        [Theory]
        [InlineData("Europe/Stockholm", 2026, 2028, 6)]
        [InlineData("Europe/Stockholm", 2020, 2035, 32)]
        [InlineData("America/New_York", 2026, 2028, 6)]
        [InlineData("America/New_York", 2005, 2009, 10)] // the US rules changed in 2007
        [InlineData("Australia/Sydney", 2026, 2028, 6)] // southern hemisphere: daylight time over the new year
        [InlineData("Australia/Lord_Howe", 2026, 2028, 6)] // a 30-minute change, at :30 UTC
        [InlineData("Asia/Tokyo", 2026, 2028, 0)] // no daylight time
        [InlineData("Asia/Kolkata", 2026, 2028, 0)] // +05:30
        [InlineData("Asia/Kathmandu", 2026, 2028, 0)] // +05:45
        [InlineData("America/Santiago", 2026, 2028, 6)] // the first Sunday on or after the 2nd: not one n-th weekday
        [InlineData("Africa/Casablanca", 2026, 2028, 6)] // Ramadan: dates move every year
        [InlineData("America/Sao_Paulo", 2018, 2020, 3)] // daylight time abolished in 2019
        [InlineData("America/Mexico_City", 2021, 2023, 3)] // daylight time abolished in October 2022
        [InlineData("Europe/Moscow", 2010, 2012, 3)] // permanent "summer" time from March 2011
        [InlineData("Pacific/Apia", 2020, 2022, 2)] // daylight time abolished in 2021
        public void The_written_VTIMEZONE_gives_the_system_offset_at_every_instant(string ianaId, int firstYear, int lastYear, int minimumChanges)
        {
            AssertMatchesSystemRules(ianaId, firstYear, lastYear, minimumChanges);
        }

        [Fact]
        public void Stockholm_changes_on_the_last_Sunday_of_March_and_October()
        {
            (string text, VTimeZone zone) = Written("Europe/Stockholm", 2026, 2028);
            string[] lines = Unfold(text);
            Assert.Contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", lines);
            Assert.Contains("RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", lines);

            VTimeZoneInfo daylight = Assert.Single(zone.TimeZoneInfos, o => o.Name == "DAYLIGHT");
            Assert.Equal(new DateTime(2026, 3, 29, 2, 0, 0), daylight.DtStart!.Value);
            Assert.Equal(TimeSpan.FromHours(1), daylight.OffsetFrom!.Offset);
            Assert.Equal(TimeSpan.FromHours(2), daylight.OffsetTo!.Offset);

            VTimeZoneInfo standard = Assert.Single(zone.TimeZoneInfos, o => o.Name == "STANDARD");
            Assert.Equal(new DateTime(2026, 10, 25, 3, 0, 0), standard.DtStart!.Value);
            Assert.Equal(TimeSpan.FromHours(2), standard.OffsetFrom!.Offset);
            Assert.Equal(TimeSpan.FromHours(1), standard.OffsetTo!.Offset);
        }

        [Fact]
        public void New_York_changes_on_the_second_Sunday_of_March_and_the_first_of_November()
        {
            (string text, VTimeZone zone) = Written("America/New_York", 2026, 2028);
            string[] lines = Unfold(text);
            Assert.Contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", lines);
            Assert.Contains("RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", lines);
            Assert.Equal(2, zone.TimeZoneInfos.Count);
            Assert.Contains("TZOFFSETFROM:-0500", lines);
            Assert.Contains("TZOFFSETTO:-0400", lines);
        }

        [Fact]
        public void Sydney_has_daylight_time_from_the_first_Sunday_of_October_to_the_first_of_April()
        {
            (string text, _) = Written("Australia/Sydney", 2026, 2028);
            string[] lines = Unfold(text);
            Assert.Contains("RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU", lines);
            Assert.Contains("RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU", lines);
            Assert.Contains("TZOFFSETTO:+1100", lines);
        }

        [Fact]
        public void A_zone_without_changes_has_one_standard_observance()
        {
            (_, VTimeZone zone) = Written("Asia/Tokyo", 2026, 2028);
            VTimeZoneInfo only = Assert.Single(zone.TimeZoneInfos);
            Assert.Equal("STANDARD", only.Name);
            Assert.Equal(TimeSpan.FromHours(9), only.OffsetFrom!.Offset);
            Assert.Equal(TimeSpan.FromHours(9), only.OffsetTo!.Offset);
            Assert.Null(only.RecurrenceRule);
        }

        [Fact]
        public void Every_written_line_fits_75_octets()
        {
            foreach (string id in new[] { "Europe/Stockholm", "America/Santiago", "Africa/Casablanca" })
            {
                (string text, _) = Written(id, 2026, 2028);
                Assert.All(text.Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries),
                    l => Assert.True(System.Text.Encoding.UTF8.GetByteCount(l) <= 75, l));
            }
        }

        [Fact]
        public void Transitions_are_found_to_the_minute_with_both_offsets()
        {
            List<TimeZoneComponent.Transition> changes = TimeZoneComponent.Transitions(TimeZoneInfo.FindSystemTimeZoneById("Europe/Stockholm"), 2027, 2027);
            Assert.Equal(2, changes.Count);
            Assert.Equal(new DateTime(2027, 3, 28, 1, 0, 0), changes[0].Utc);
            Assert.True(changes[0].IsDaylight);
            Assert.Equal(new DateTime(2027, 3, 28, 2, 0, 0), changes[0].LocalOnset);
            Assert.Equal(new DateTime(2027, 10, 31, 1, 0, 0), changes[1].Utc);
            Assert.False(changes[1].IsDaylight);
            Assert.Equal(new DateTime(2027, 10, 31, 3, 0, 0), changes[1].LocalOnset);
        }

        [Fact]
        public void A_yearly_rule_needs_the_same_weekday_month_time_and_offsets_every_year()
        {
            TimeSpan one = TimeSpan.FromHours(1), two = TimeSpan.FromHours(2);
            var regular = new[]
            {
                new TimeZoneComponent.Transition(new DateTime(2026, 3, 29, 1, 0, 0), one, two),
                new TimeZoneComponent.Transition(new DateTime(2027, 3, 28, 1, 0, 0), one, two),
                new TimeZoneComponent.Transition(new DateTime(2028, 3, 26, 1, 0, 0), one, two),
            };
            Assert.Equal("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", TimeZoneComponent.YearlyRule(regular, 2028));

            // Changes that stop before the last year covered are no yearly rule: an RRULE never ends.
            Assert.Null(TimeZoneComponent.YearlyRule(regular, 2029));
            Assert.Null(TimeZoneComponent.YearlyRule(new[] { regular[0] }, 2028));

            var otherTime = (TimeZoneComponent.Transition[])regular.Clone();
            otherTime[1] = new TimeZoneComponent.Transition(new DateTime(2027, 3, 28, 2, 0, 0), one, two);
            Assert.Null(TimeZoneComponent.YearlyRule(otherTime, 2028));

            var gap = new[] { regular[0], regular[2] };
            Assert.Null(TimeZoneComponent.YearlyRule(gap, 2028));
        }
    }
}
