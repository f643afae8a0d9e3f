using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;

namespace G5Mail.Core.Calendar
{
    /// <summary>
    /// The VTIMEZONE (RFC 5545 3.6.5) of a zone, from the rules this computer knows (TimeZoneInfo: tzdata on Linux and
    /// macOS, the registry on Windows), for the years around an activity. Where the changes follow a yearly rule (the
    /// last Sunday of March at 02:00, the second Sunday of March...), each observance gets that RRULE, which is the form
    /// Outlook reads reliably; otherwise each change is an observance of its own.
    /// </summary>
    internal static class TimeZoneComponent
    {
        private static readonly ConcurrentDictionary<string, string> Written = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

        /// <summary>One offset change: the instant, and the offsets before and after it.</summary>
        internal readonly struct Transition
        {
            public Transition(DateTime utc, TimeSpan from, TimeSpan to)
            {
                Utc = utc;
                From = from;
                To = to;
            }

            public DateTime Utc { get; }
            public TimeSpan From { get; }
            public TimeSpan To { get; }

            /// <summary>The onset as RFC 5545 writes DTSTART of an observance: the wall-clock time before the change.</summary>
            public DateTime LocalOnset => Utc + From;

            public bool IsDaylight => To > From;
        }

        /// <summary>Writes the VTIMEZONE for <paramref name="ianaId"/> covering <paramref name="firstYear"/> to <paramref name="lastYear"/>.</summary>
        public static void Write(ContentLines lines, string ianaId, TimeZoneInfo zone, int firstYear, int lastYear)
        {
            string key = ianaId + "|" + firstYear + "|" + lastYear;
            string text = Written.GetOrAdd(key, _ => Build(ianaId, zone, firstYear, lastYear));
            foreach (string line in text.Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries))
            {
                // Already folded lines: written as they are (each fits).
                lines.Raw(line);
            }
        }

        private static string Build(string ianaId, TimeZoneInfo zone, int firstYear, int lastYear)
        {
            var lines = new ContentLines();
            lines.Line("BEGIN", "VTIMEZONE");
            lines.Line("TZID", ianaId);
            List<Transition> changes = Transitions(zone, firstYear, lastYear);
            if (changes.Count == 0)
            {
                TimeSpan offset = zone.GetUtcOffset(new DateTime(firstYear, 1, 1, 0, 0, 0, DateTimeKind.Utc));
                lines.Line("BEGIN", "STANDARD");
                lines.Line("DTSTART", "19700101T000000");
                lines.Line("TZOFFSETFROM", ContentLines.Offset(offset));
                lines.Line("TZOFFSETTO", ContentLines.Offset(offset));
                lines.Line("END", "STANDARD");
            }
            else
            {
                foreach (IGrouping<bool, Transition> kind in changes.GroupBy(c => c.IsDaylight))
                {
                    WriteObservances(lines, kind.ToList(), lastYear);
                }
            }

            lines.Line("END", "VTIMEZONE");
            return lines.ToString();
        }

        private static void WriteObservances(ContentLines lines, List<Transition> changes, int lastYear)
        {
            string name = changes[0].IsDaylight ? "DAYLIGHT" : "STANDARD";
            string? rule = YearlyRule(changes, lastYear);
            IEnumerable<Transition> observances = rule != null ? changes.Take(1) : changes;
            foreach (Transition change in observances)
            {
                lines.Line("BEGIN", name);
                lines.Line("DTSTART", ContentLines.Local(change.LocalOnset));
                if (rule != null)
                {
                    lines.Line("RRULE", rule);
                }

                lines.Line("TZOFFSETFROM", ContentLines.Offset(change.From));
                lines.Line("TZOFFSETTO", ContentLines.Offset(change.To));
                lines.Line("END", name);
            }
        }

        /// <summary>
        /// "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU" when every change of one kind is, once a year, on the same weekday of the
        /// same month (the last one, or the n-th), at the same time, between the same offsets, up to <paramref name="lastYear"/>;
        /// otherwise null.
        /// </summary>
        internal static string? YearlyRule(IReadOnlyList<Transition> changes, int lastYear)
        {
            Transition first = changes[0];
            DateTime onset = first.LocalOnset;
            if (changes.Select(c => c.LocalOnset.Year).Distinct().Count() != changes.Count)
            {
                return null; // more than one change of this kind in a year
            }

            if (changes[changes.Count - 1].LocalOnset.Year < lastYear)
            {
                // The changes stopped within the years covered (daylight time abolished): an RRULE, which has no end, would
                // bring them back in the later years.
                return null;
            }

            bool allLast = changes.All(c => IsLast(c.LocalOnset));
            bool allSameNth = changes.All(c => Nth(c.LocalOnset) == Nth(onset));
            bool regular = changes.All(c => c.LocalOnset.Month == onset.Month && c.LocalOnset.DayOfWeek == onset.DayOfWeek
                                             && c.LocalOnset.TimeOfDay == onset.TimeOfDay && c.From == first.From && c.To == first.To);
            if (!regular || !(allLast || allSameNth))
            {
                return null;
            }

            // Consecutive years only: a gap (a year without the change) is not yearly.
            for (int i = 1; i < changes.Count; i++)
            {
                if (changes[i].LocalOnset.Year != changes[i - 1].LocalOnset.Year + 1)
                {
                    return null;
                }
            }

            string day = onset.DayOfWeek.ToString().Substring(0, 2).ToUpperInvariant();
            string ordinal = allLast ? "-1" : Nth(onset).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return $"FREQ=YEARLY;BYMONTH={onset.Month};BYDAY={ordinal}{day}";
        }

        private static int Nth(DateTime day) => ((day.Day - 1) / 7) + 1;

        private static bool IsLast(DateTime day) => day.Day + 7 > DateTime.DaysInMonth(day.Year, day.Month);

        /// <summary>Every offset change from the start of <paramref name="firstYear"/> to the end of <paramref name="lastYear"/>, to the minute.</summary>
        internal static List<Transition> Transitions(TimeZoneInfo zone, int firstYear, int lastYear)
        {
            var changes = new List<Transition>();
            DateTime day = new DateTime(firstYear, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            DateTime end = new DateTime(lastYear + 1, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            TimeSpan offset = zone.GetUtcOffset(day);
            while (day < end)
            {
                DateTime next = day.AddDays(1);
                TimeSpan nextOffset = zone.GetUtcOffset(next);
                if (nextOffset != offset)
                {
                    // The first minute of the new offset, by halving the day.
                    DateTime low = day, high = next;
                    while (high - low > TimeSpan.FromMinutes(1))
                    {
                        DateTime middle = low + TimeSpan.FromTicks((high - low).Ticks / 2);
                        middle = new DateTime(middle.Ticks - (middle.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Utc);
                        if (middle <= low)
                        {
                            break;
                        }

                        if (zone.GetUtcOffset(middle) == offset)
                        {
                            low = middle;
                        }
                        else
                        {
                            high = middle;
                        }
                    }

                    changes.Add(new Transition(high, offset, nextOffset));
                    offset = nextOffset;
                }

                day = next;
            }

            return changes;
        }
    }
}
