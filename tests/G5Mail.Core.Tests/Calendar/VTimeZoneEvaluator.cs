using System;
using System.Collections.Generic;
using System.Linq;
using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Xunit;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>
    /// Evaluates a VTIMEZONE as Ical.Net parsed it, by RFC 5545 3.6.5 alone (not by its TZID): each observance's onsets
    /// (its DTSTART, and the yearly RRULE's dates from there on), each onset in effect until the next one. Before the
    /// first onset, the earliest observance's TZOFFSETFROM applies. Only the RRULE forms a VTIMEZONE of G5Mail may use are
    /// understood (FREQ=YEARLY;BYMONTH=m;BYDAY=nDD or -1DD); anything else fails the test.
    /// </summary>
    internal sealed class VTimeZoneEvaluator
    {
        private readonly DateTime[] _onsets;
        private readonly TimeSpan[] _offsets;
        private readonly TimeSpan _before;

        public VTimeZoneEvaluator(VTimeZone zone, int lastYear)
        {
            var onsets = new List<(DateTime Utc, TimeSpan From, TimeSpan To)>();
            Assert.NotEmpty(zone.TimeZoneInfos);
            foreach (VTimeZoneInfo observance in zone.TimeZoneInfos)
            {
                Assert.Contains(observance.Name, new[] { "STANDARD", "DAYLIGHT" });
                Assert.NotNull(observance.DtStart);
                Assert.NotNull(observance.OffsetFrom);
                Assert.NotNull(observance.OffsetTo);
                Assert.True(observance.DtStart!.IsFloating, "An observance's DTSTART is a local time without TZID or Z (RFC 5545 3.6.5).");
                TimeSpan from = observance.OffsetFrom!.Offset;
                TimeSpan to = observance.OffsetTo!.Offset;
                DateTime start = observance.DtStart.Value;
                Assert.Empty(observance.RecurrenceDates.GetAllPeriods());
                RecurrenceRule? rule = observance.RecurrenceRule;
                if (rule == null)
                {
                    onsets.Add((start - from, from, to));
                    continue;
                }

                Assert.Equal(FrequencyType.Yearly, rule.Frequency);
                Assert.Equal(1, rule.Interval);
                Assert.Null(rule.Count);
                int month = Assert.Single(rule.ByMonth);
                WeekDay day = Assert.Single(rule.ByDay);
                Assert.Empty(rule.ByMonthDay);
                Assert.Empty(rule.ByYearDay);
                Assert.Empty(rule.ByWeekNo);
                Assert.Empty(rule.ByHour);
                Assert.Empty(rule.ByMinute);
                Assert.Empty(rule.BySetPosition);
                Assert.NotNull(day.Offset);
                int nth = day.Offset!.Value;
                Assert.True(nth == -1 || (nth >= 1 && nth <= 5), "BYDAY " + nth);
                Assert.Equal(month, start.Month);
                DateTime? until = rule.Until?.AsUtc;
                for (int year = start.Year; year <= lastYear + 1; year++)
                {
                    DateTime? date = DayOf(year, month, day.DayOfWeek, nth);
                    if (date == null)
                    {
                        continue;
                    }

                    DateTime local = date.Value + start.TimeOfDay;
                    if (local < start || (until != null && local - from > until.Value))
                    {
                        continue;
                    }

                    onsets.Add((local - from, from, to));
                }
            }

            onsets.Sort((a, b) => a.Utc.CompareTo(b.Utc));
            _onsets = onsets.Select(o => o.Utc).ToArray();
            _offsets = onsets.Select(o => o.To).ToArray();
            _before = onsets[0].From;
            Onsets = onsets.Select(o => o.Utc).ToArray();
        }

        /// <summary>Every onset (UTC), sorted.</summary>
        public IReadOnlyList<DateTime> Onsets { get; }

        /// <summary>The offset in effect at <paramref name="utc"/>.</summary>
        public TimeSpan OffsetAt(DateTime utc)
        {
            int index = Array.BinarySearch(_onsets, utc);
            if (index < 0)
            {
                index = ~index - 1; // the last onset before
            }

            return index < 0 ? _before : _offsets[index];
        }

        /// <summary>The UTC instant of a wall-clock time in this zone (the first one in a fold).</summary>
        public DateTime ToUtc(DateTime local)
        {
            // The offset in effect at (local - offset), trying every offset the zone uses, earliest instant first.
            foreach (TimeSpan offset in _offsets.Append(_before).Distinct().OrderByDescending(o => o))
            {
                DateTime utc = DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
                if (OffsetAt(utc) == offset)
                {
                    return utc;
                }
            }

            throw new InvalidOperationException($"{local} does not exist in this zone.");
        }

        /// <summary>The nth (1..5, or -1 for the last) weekday of a month, or null when the month has no such day.</summary>
        public static DateTime? DayOf(int year, int month, DayOfWeek weekday, int nth)
        {
            if (nth == -1)
            {
                var last = new DateTime(year, month, DateTime.DaysInMonth(year, month));
                return last.AddDays(-(((int)last.DayOfWeek - (int)weekday + 7) % 7));
            }

            var first = new DateTime(year, month, 1);
            DateTime day = first.AddDays((((int)weekday - (int)first.DayOfWeek + 7) % 7) + (7 * (nth - 1)));
            return day.Month == month ? day : (DateTime?)null;
        }
    }
}
