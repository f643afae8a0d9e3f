using System;
using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Calendar;
using Xunit;
using static G5Mail.Core.Tests.Calendar.CalendarFixtures;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>UID, SEQUENCE without a state, and the content hash that decides whether a rerun has anything to send.</summary>
    public sealed class ActivityIdentityTests
    {
        [Fact]
        public void The_UID_is_stable_for_the_same_activity_and_domain()
        {
            Assert.Equal("monitor-activity-A-1001@example.com", ActivityIdentity.UidFor("A-1001", "planner@example.com"));
            Assert.Equal(ActivityIdentity.UidFor("A-1001", "planner@example.com"), ActivityIdentity.UidFor("A-1001", "other@EXAMPLE.com"));
        }

        [Fact]
        public void Different_domains_give_different_UIDs()
        {
            Assert.NotEqual(ActivityIdentity.UidFor("A-1001", "planner@example.com"), ActivityIdentity.UidFor("A-1001", "planner@example.se"));
            Assert.EndsWith("@example.se", ActivityIdentity.UidFor("A-1001", "planner@example.se"));
        }

        [Theory]
        [InlineData("A 17", "A%2017")]
        [InlineData("Åsa-ö", "%C3%85sa-%C3%B6")]
        [InlineData("ä", "%C3%A4")]
        [InlineData("a/b@c:d", "a%2Fb%40c%3Ad")]
        [InlineData("x_y.z-1", "x_y.z-1")]
        [InlineData("100%", "100%25")]
        public void Characters_outside_letters_digits_and_dash_underscore_dot_are_percent_encoded(string id, string encoded)
        {
            Assert.Equal("monitor-activity-" + encoded + "@example.com", ActivityIdentity.UidFor(id, "planner@example.com"));
        }

        [Fact]
        public void Ids_differing_only_in_case_or_encoding_stay_distinct()
        {
            Assert.NotEqual(ActivityIdentity.UidFor("a1", Planner), ActivityIdentity.UidFor("A1", Planner));
            Assert.NotEqual(ActivityIdentity.UidFor("A 1", Planner), ActivityIdentity.UidFor("A%201", Planner));
        }

        [Fact]
        public void The_clock_sequence_is_seconds_since_2020_and_strictly_increasing_within_a_second()
        {
            var now = new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero); // later than any other test's clock
            int first = ActivityIdentity.ClockSequence(now);
            int second = ActivityIdentity.ClockSequence(now);
            int third = ActivityIdentity.ClockSequence(now.AddMilliseconds(300));
            Assert.True(first >= (int)(now - ActivityIdentity.ClockEpoch).TotalSeconds);
            Assert.True(second > first, $"{second} after {first}");
            Assert.True(third > second, $"{third} after {second}");
        }

        [Fact]
        public void The_clock_sequence_never_goes_back_when_the_clock_does()
        {
            int later = ActivityIdentity.ClockSequence(new DateTimeOffset(2041, 1, 1, 0, 0, 0, TimeSpan.Zero));
            int earlier = ActivityIdentity.ClockSequence(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
            Assert.True(earlier > later);
        }

        [Fact]
        public void The_clock_sequence_is_unique_across_threads()
        {
            var now = new DateTimeOffset(2042, 1, 1, 0, 0, 0, TimeSpan.Zero);
            var all = new System.Collections.Concurrent.ConcurrentBag<int>();
            System.Threading.Tasks.Parallel.For(0, 2000, _ => all.Add(ActivityIdentity.ClockSequence(now)));
            Assert.Equal(2000, all.Distinct().Count());
        }

        private static ActivityRequest Base() => new ActivityRequest
        {
            ActivityId = "A-1",
            Subject = "Service",
            Start = "2027-06-10 09:00",
            End = "2027-06-10 10:00",
            Location = "Hall 2",
            Description = "Ta med nycklar",
            Attendees = new[] { "anna@example.com", "bo@example.com" },
            ReminderMinutes = 15,
            Categories = new[] { "Service" },
        };

        private static string HashOf(Action<ActivityRequest>? change = null)
        {
            ActivityRequest request = Base();
            change?.Invoke(request);
            return ActivityIdentity.Hash(Read(request));
        }

        [Fact]
        public void The_hash_is_equal_for_the_same_content()
        {
            Assert.Equal(HashOf(), HashOf());
            Assert.Matches("^[0-9a-f]{32}$", HashOf());
        }

        [Fact]
        public void The_hash_ignores_how_a_time_was_written_and_the_input_position()
        {
            string hash = HashOf();
            Assert.Equal(hash, HashOf(r =>
            {
                r.Start = "2027-06-10T07:00:00Z";
                r.End = null;
                r.DurationMinutes = "60";
            }));
            Assert.Equal(hash, HashOf(r => r.Start = new DateTime(2027, 6, 10, 9, 0, 0)));
            Assert.Equal(hash, HashOf(r =>
            {
                r.InputIndex = 42;
                r.Source = "row 42";
            }));
            Assert.Equal(hash, HashOf(r => r.Attendees = new[] { "anna@example.com; bo@example.com" }));
        }

        public static IEnumerable<object[]> Changes() => new (string Name, Action<ActivityRequest> Change)[]
        {
            ("subject", r => r.Subject = "Service!"),
            ("start", r => r.Start = "2027-06-10 09:15"),
            ("end", r => r.End = "2027-06-10 10:15"),
            ("zone, same instants", r =>
            {
                r.TimeZone = "Europe/Berlin";
            }),
            ("all day", r =>
            {
                r.AllDay = true;
                r.End = null;
            }),
            ("location", r => r.Location = "Hall 3"),
            ("no location", r => r.Location = null),
            ("description", r => r.Description = "Ta med nycklar."),
            ("organizer", r => r.Organizer = "chef@example.com"),
            ("attendee added", r => r.Attendees = new[] { "anna@example.com", "bo@example.com", "cecilia@example.com" }),
            ("attendee removed", r => r.Attendees = new[] { "anna@example.com" }),
            ("reminder", r => r.ReminderMinutes = 30),
            ("no reminder", r => r.ReminderMinutes = null),
            ("categories", r => r.Categories = new[] { "Service", "Garanti" }),
            ("show as", r => r.ShowAs = "Free"),
            ("cancelled", r => r.Status = "Cancelled"),
        }.Select(c => new object[] { c.Name, c.Change });

        [Theory]
        [MemberData(nameof(Changes))]
        public void The_hash_changes_with_any_field_a_calendar_shows(string field, Action<ActivityRequest> change)
        {
            Assert.False(HashOf() == HashOf(change), field + " did not change the hash");
        }

        [Fact]
        public void All_day_hashes_differ_by_day()
        {
            string OneDay(string day) => HashOf(r =>
            {
                r.AllDay = true;
                r.Start = day;
                r.End = null;
            });
            Assert.Equal(OneDay("2027-06-01"), OneDay("2027-06-01"));
            Assert.NotEqual(OneDay("2027-06-01"), OneDay("2027-06-02"));
        }
    }
}
