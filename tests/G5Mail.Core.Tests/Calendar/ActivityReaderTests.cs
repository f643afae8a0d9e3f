using System;
using System.Linq;
using G5Mail.Core.Calendar;
using G5Mail.Core.Errors;
using Xunit;
using static G5Mail.Core.Tests.Calendar.CalendarFixtures;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>What Sync-G5Activity accepts as an activity, and the error for what it does not: Europe/Stockholm as the default zone.</summary>
    public sealed class ActivityReaderTests
    {
        private static G5MailErrorException Rejected(ActivityRequest request, string? defaultOrganizer = Planner) =>
            Assert.Throws<G5MailErrorException>(() => Reader(defaultOrganizer).Read(request));

        private static ActivityRequest With(Action<ActivityRequest> change)
        {
            ActivityRequest request = Request();
            change(request);
            return request;
        }

        [Fact]
        public void An_ISO_8601_time_with_an_offset_is_that_instant()
        {
            Activity a = Read(With(r =>
            {
                r.Start = "2027-06-10T09:00:00+02:00";
                r.End = "2027-06-10T10:30+02:00";
            }));

            Assert.Equal(new DateTimeOffset(2027, 6, 10, 7, 0, 0, TimeSpan.Zero), a.Start);
            Assert.Equal(new DateTimeOffset(2027, 6, 10, 8, 30, 0, TimeSpan.Zero), a.End);
            Assert.Equal(new DateTime(2027, 6, 10, 9, 0, 0), a.LocalStart);
            Assert.Equal(new DateTime(2027, 6, 10, 10, 30, 0), a.LocalEnd);
        }

        [Fact]
        public void An_ISO_8601_time_with_an_offset_other_than_the_zone_s_is_shown_in_the_zone()
        {
            Activity a = Read(With(r =>
            {
                r.Start = "2027-06-10T09:00:00-04:00";
                r.End = "2027-06-10T10:00:00-04:00";
            }));

            Assert.Equal(new DateTimeOffset(2027, 6, 10, 13, 0, 0, TimeSpan.Zero), a.Start);
            Assert.Equal(new DateTime(2027, 6, 10, 15, 0, 0), a.LocalStart);
            Assert.Equal(DateTimeKind.Unspecified, a.LocalStart.Kind);
        }

        [Fact]
        public void A_Z_time_is_UTC()
        {
            Activity a = Read(With(r =>
            {
                r.Start = "2027-01-15T08:00:00Z";
                r.End = "20270115T090000Z";
            }));

            Assert.Equal(new DateTimeOffset(2027, 1, 15, 8, 0, 0, TimeSpan.Zero), a.Start);
            Assert.Equal(new DateTimeOffset(2027, 1, 15, 9, 0, 0, TimeSpan.Zero), a.End);
            Assert.Equal(new DateTime(2027, 1, 15, 9, 0, 0), a.LocalStart); // +01:00 in winter
        }

        [Fact]
        public void A_Swedish_Excel_time_is_wall_clock_time_in_the_activity_s_zone()
        {
            Activity summer = Read(With(r =>
            {
                r.Start = "2027-03-28 14:30";
                r.End = "2027-03-28 15:45";
            }));
            Assert.Equal(new DateTimeOffset(2027, 3, 28, 14, 30, 0, TimeSpan.FromHours(2)), summer.Start);
            Assert.Equal(TimeSpan.FromHours(2), summer.Start.Offset);
            Assert.Equal(new DateTime(2027, 3, 28, 14, 30, 0), summer.LocalStart);
            Assert.Equal(new DateTime(2027, 3, 28, 15, 45, 0), summer.LocalEnd);

            Activity winter = Read(With(r =>
            {
                r.Start = "2027-03-27 14:30";
                r.End = "2027-03-27 15:45";
            }));
            Assert.Equal(new DateTimeOffset(2027, 3, 27, 13, 30, 0, TimeSpan.Zero), winter.Start.ToUniversalTime());
        }

        [Fact]
        public void A_UTC_DateTime_is_an_instant_and_an_unspecified_one_is_wall_clock_time()
        {
            Activity utc = Read(With(r =>
            {
                r.Start = new DateTime(2027, 6, 10, 9, 0, 0, DateTimeKind.Utc);
                r.End = new DateTime(2027, 6, 10, 10, 0, 0, DateTimeKind.Utc);
            }));
            Assert.Equal(new DateTimeOffset(2027, 6, 10, 9, 0, 0, TimeSpan.Zero), utc.Start);
            Assert.Equal(new DateTime(2027, 6, 10, 11, 0, 0), utc.LocalStart);

            Activity wall = Read(With(r =>
            {
                r.Start = new DateTime(2027, 6, 10, 9, 0, 0, DateTimeKind.Unspecified);
                r.End = new DateTime(2027, 6, 10, 10, 0, 0, DateTimeKind.Unspecified);
            }));
            Assert.Equal(new DateTimeOffset(2027, 6, 10, 7, 0, 0, TimeSpan.Zero), wall.Start);
            Assert.Equal(new DateTime(2027, 6, 10, 9, 0, 0), wall.LocalStart);
        }

        [Fact]
        public void A_DateTimeOffset_is_that_instant()
        {
            var start = new DateTimeOffset(2027, 6, 10, 9, 0, 0, TimeSpan.FromHours(9));
            Activity a = Read(With(r =>
            {
                r.Start = start;
                r.End = start.AddHours(2);
            }));
            Assert.Equal(start, a.Start);
            Assert.Equal(TimeSpan.FromHours(2), a.End - a.Start);
        }

        [Fact]
        public void DurationMinutes_gives_the_end()
        {
            Activity a = Read(With(r =>
            {
                r.End = null;
                r.DurationMinutes = 90;
            }));
            Assert.Equal(a.Start.AddMinutes(90), a.End);
            Assert.Equal(new DateTime(2027, 6, 10, 10, 30, 0), a.LocalEnd);
        }

        [Theory]
        [InlineData("15,5")]
        [InlineData("15.5")]
        [InlineData(" 15,5 ")]
        public void DurationMinutes_as_a_string_takes_a_decimal_comma_or_point(string minutes)
        {
            Activity a = Read(With(r =>
            {
                r.End = "";
                r.DurationMinutes = minutes;
            }));
            Assert.Equal(TimeSpan.FromMinutes(15.5), a.End - a.Start);
        }

        [Fact]
        public void DurationMinutes_that_is_not_a_number_is_InvalidActivity()
        {
            G5MailErrorException error = Rejected(With(r =>
            {
                r.End = null;
                r.DurationMinutes = "en timme";
            }));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("en timme", error.Message);
        }

        [Fact]
        public void End_and_DurationMinutes_that_agree_are_accepted()
        {
            Activity a = Read(With(r => r.DurationMinutes = "60"));
            Assert.Equal(TimeSpan.FromHours(1), a.End - a.Start);
        }

        [Fact]
        public void End_and_DurationMinutes_that_disagree_are_InvalidActivity()
        {
            G5MailErrorException error = Rejected(With(r => r.DurationMinutes = 30));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("A-1001", error.Message);
            Assert.Contains("DurationMinutes 30", error.Message);
        }

        [Fact]
        public void End_before_Start_is_InvalidActivity()
        {
            G5MailErrorException error = Rejected(With(r => r.End = "2027-06-10 08:59"));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("before it starts", error.Message);
            Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        }

        [Fact]
        public void No_End_and_no_DurationMinutes_is_InvalidActivity()
        {
            G5MailErrorException error = Rejected(With(r => r.End = null));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("no End", error.Message);
        }

        [Fact]
        public void No_Start_is_InvalidActivity()
        {
            Assert.Equal(ErrorIds.InvalidActivity, Rejected(With(r => r.Start = " ")).ErrorId);
        }

        [Fact]
        public void A_Start_in_an_unknown_form_is_InvalidActivity_naming_it()
        {
            G5MailErrorException error = Rejected(With(r => r.Start = "28/3/2027 14:30"));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("28/3/2027 14:30", error.Message);
        }

        [Fact]
        public void An_activity_of_more_than_366_days_is_InvalidActivity()
        {
            Assert.Equal(ErrorIds.InvalidActivity, Rejected(With(r => r.End = "2028-06-11 10:00")).ErrorId);
        }

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("   ")]
        public void No_ActivityId_is_InvalidActivity(string? id)
        {
            G5MailErrorException error = Rejected(With(r => r.ActivityId = id));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("no ActivityId", error.Message);
        }

        [Fact]
        public void The_ActivityId_is_trimmed()
        {
            Assert.Equal("A-1001", Read(With(r => r.ActivityId = "  A-1001\t")).ActivityId);
        }

        [Fact]
        public void An_unknown_time_zone_is_InvalidActivity_naming_it()
        {
            G5MailErrorException error = Rejected(With(r => r.TimeZone = "Europe/Atlantis"));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("'Europe/Atlantis'", error.Message);
        }

        [Fact]
        public void A_Windows_zone_id_resolves_to_an_IANA_id_with_the_same_rules()
        {
            Activity a = Read(With(r => r.TimeZone = "W. Europe Standard Time"));

            // CLDR maps the Windows zone to its golden IANA zone, Europe/Berlin (the same rules as Stockholm since 1980),
            // not to Europe/Stockholm: the reader has no territory to choose another.
            Assert.Equal("Europe/Berlin", a.TimeZoneId);
            Assert.Contains('/', a.TimeZoneId);
            Assert.Equal(new DateTimeOffset(2027, 6, 10, 9, 0, 0, TimeSpan.FromHours(2)), a.Start);
        }

        [Fact]
        public void The_default_zone_is_the_one_given_to_the_reader_and_an_IANA_zone_keeps_its_id()
        {
            Assert.Equal("Europe/Stockholm", Read(Request()).TimeZoneId);
            Activity tokyo = Read(With(r => r.TimeZone = "asia/tokyo"));
            Assert.Equal("Asia/Tokyo", tokyo.TimeZoneId);
            Assert.Equal(new DateTimeOffset(2027, 6, 10, 0, 0, 0, TimeSpan.Zero), tokyo.Start);
        }

        [Fact]
        public void An_IANA_id_in_another_spelling_is_the_canonical_id_whatever_was_looked_up_before()
        {
            // .NET caches zones case-insensitively: once "Asia/Ulaanbaatar" is loaded, "asia/ulaanbaatar" is found too,
            // and must still come out canonical (it is the TZID, and part of the hash the state compares).
            TimeZoneInfo.FindSystemTimeZoneById("Asia/Ulaanbaatar");
            Assert.True(ActivityReader.TryResolveZone("asia/ulaanbaatar", out string lower, out TimeZoneInfo zone));
            Assert.Equal("Asia/Ulaanbaatar", lower);
            Assert.Equal(TimeSpan.FromHours(8), zone.GetUtcOffset(new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc)));

            Assert.True(ActivityReader.TryResolveZone("ASIA/ULAANBAATAR", out string upper, out _));
            Assert.Equal("Asia/Ulaanbaatar", upper);
            Assert.True(ActivityReader.TryResolveZone("Asia/Ulaanbaatar", out string exact, out _));
            Assert.Equal("Asia/Ulaanbaatar", exact);
        }

        [Fact]
        public void An_IANA_id_in_lower_case_gives_the_same_hash_as_the_canonical_spelling()
        {
            Activity canonical = Read(With(r => r.TimeZone = "Europe/Helsinki"));
            Activity lower = Read(With(r => r.TimeZone = "europe/helsinki"));
            Assert.Equal("Europe/Helsinki", lower.TimeZoneId);
            Assert.Equal(ActivityIdentity.Hash(canonical), ActivityIdentity.Hash(lower));
        }

        [Theory]
        [InlineData("UTC")]
        [InlineData("Etc/UTC")]
        [InlineData("Coordinated Universal Time")]
        public void UTC_by_any_name_is_UTC(string zone)
        {
            Activity a = Read(With(r => r.TimeZone = zone));
            Assert.Equal("UTC", a.TimeZoneId);
            Assert.Equal(new DateTimeOffset(2027, 6, 10, 9, 0, 0, TimeSpan.Zero), a.Start);
        }

        [Fact]
        public void A_time_in_the_spring_gap_is_InvalidActivity_naming_the_gap()
        {
            G5MailErrorException error = Rejected(With(r =>
            {
                r.Start = "2027-03-28 02:30";
                r.End = "2027-03-28 04:00";
            }));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("02:30", error.Message);
            Assert.Contains("from 02:00 to 03:00", error.Message);
            Assert.Contains("Europe/Stockholm", error.Message);
        }

        [Fact]
        public void An_End_in_the_spring_gap_is_InvalidActivity_too()
        {
            G5MailErrorException error = Rejected(With(r =>
            {
                r.Start = "2027-03-28 01:00";
                r.End = "2027-03-28 02:00";
            }));
            Assert.Contains("End 2027-03-28 02:00", error.Message);
        }

        [Fact]
        public void The_hour_after_the_spring_gap_is_one_real_hour_after_the_hour_before()
        {
            Activity a = Read(With(r =>
            {
                r.Start = "2027-03-28 01:30";
                r.End = "2027-03-28 03:30";
            }));
            Assert.Equal(TimeSpan.FromHours(1), a.End - a.Start);
        }

        [Fact]
        public void A_time_in_the_autumn_fold_is_the_first_occurrence()
        {
            Activity a = Read(With(r =>
            {
                r.Start = "2027-10-31 02:30";
                r.End = "2027-10-31 03:30";
            }));
            Assert.Equal(TimeSpan.FromHours(2), a.Start.Offset);
            Assert.Equal(new DateTimeOffset(2027, 10, 31, 0, 30, 0, TimeSpan.Zero), a.Start);
            Assert.Equal(new DateTimeOffset(2027, 10, 31, 2, 30, 0, TimeSpan.Zero), a.End.ToUniversalTime());
            Assert.Equal(TimeSpan.FromHours(2), a.End - a.Start); // 02:30 CEST to 03:30 CET
            Assert.Equal(new DateTime(2027, 10, 31, 2, 30, 0), a.LocalStart);
        }

        [Fact]
        public void An_all_day_activity_ends_the_day_after_its_inclusive_End()
        {
            Activity a = Read(With(r =>
            {
                r.AllDay = true;
                r.Start = "2027-06-01";
                r.End = "2027-06-02";
            }));
            Assert.True(a.AllDay);
            Assert.Equal(new DateTime(2027, 6, 1), a.LocalStart);
            Assert.Equal(new DateTime(2027, 6, 3), a.LocalEnd);
            Assert.Equal(new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.FromHours(2)), a.Start);
        }

        [Fact]
        public void An_all_day_activity_without_End_is_one_day_and_DurationMinutes_counts_whole_days()
        {
            Activity one = Read(With(r =>
            {
                r.AllDay = "Ja";
                r.Start = "2027-06-01";
                r.End = null;
            }));
            Assert.Equal(new DateTime(2027, 6, 2), one.LocalEnd);

            Activity three = Read(With(r =>
            {
                r.AllDay = "1";
                r.Start = "2027-06-01 08:00";
                r.End = null;
                r.DurationMinutes = 2 * 1440 + 1;
            }));
            Assert.Equal(new DateTime(2027, 6, 1), three.LocalStart);
            Assert.Equal(new DateTime(2027, 6, 4), three.LocalEnd);
        }

        [Fact]
        public void An_all_day_End_before_its_Start_is_InvalidActivity()
        {
            G5MailErrorException error = Rejected(With(r =>
            {
                r.AllDay = true;
                r.Start = "2027-06-02";
                r.End = "2027-06-01";
            }));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
        }

        [Theory]
        [InlineData("Ja", true)]
        [InlineData("1", true)]
        [InlineData("true", true)]
        [InlineData("TRUE", true)]
        [InlineData("X", true)]
        [InlineData("", false)]
        [InlineData("Nej", false)]
        [InlineData("0", false)]
        [InlineData("false", false)]
        public void AllDay_reads_the_words_a_spreadsheet_writes(string text, bool allDay)
        {
            Activity a = Read(With(r =>
            {
                r.AllDay = text;
                r.Start = "2027-06-01";
                r.End = allDay ? "2027-06-01" : "2027-06-01 10:00";
            }));
            Assert.Equal(allDay, a.AllDay);
        }

        [Fact]
        public void AllDay_as_a_bool_or_a_number()
        {
            Assert.True(Read(With(r => { r.AllDay = true; r.End = null; })).AllDay);
            Assert.True(Read(With(r => { r.AllDay = 1; r.End = null; })).AllDay);
            Assert.False(Read(With(r => r.AllDay = 0)).AllDay);
            Assert.False(Read(With(r => r.AllDay = null)).AllDay);
        }

        [Fact]
        public void AllDay_maybe_is_InvalidActivity()
        {
            G5MailErrorException error = Rejected(With(r => r.AllDay = "maybe"));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("'maybe'", error.Message);
        }

        [Fact]
        public void A_bad_attendee_is_InvalidAddress()
        {
            G5MailErrorException error = Rejected(With(r => r.Attendees = new[] { "tekniker@example.com", "inte en adress" }));
            Assert.Equal(ErrorIds.InvalidAddress, error.ErrorId);
            Assert.Contains("inte en adress", error.Message);
            Assert.Contains("A-1001", error.Message);
        }

        [Fact]
        public void A_bad_organizer_is_InvalidAddress()
        {
            Assert.Equal(ErrorIds.InvalidAddress, Rejected(With(r => r.Organizer = "planner@")).ErrorId);
        }

        [Fact]
        public void Attendees_are_split_on_semicolons_and_commas_deduplicated_and_lose_the_organizer()
        {
            Activity a = Read(With(r =>
            {
                r.Organizer = "Planering <Planner@Example.com>";
                r.Attendees = new[]
                {
                    "anna@example.com; bo@example.com,cecilia@example.com",
                    "\"Svensson, Anna\" <ANNA@example.com>",
                    "planner@example.com",
                    "david@example.com;",
                };
            }));

            Assert.Equal(new[] { "anna@example.com", "bo@example.com", "cecilia@example.com", "david@example.com" }, a.Attendees);
            Assert.Equal("planner@example.com", a.OrganizerAddress);
            Assert.Contains("Planering", a.Organizer);
        }

        [Fact]
        public void A_quoted_name_with_a_comma_is_one_attendee()
        {
            Activity a = Read(With(r => r.Attendees = new[] { "\"Svensson, Anna\" <anna@example.com>; bo@example.com" }));
            Assert.Equal(2, a.Attendees.Count);
            Assert.Contains("Svensson, Anna", a.Attendees[0]);
        }

        [Fact]
        public void The_organizer_defaults_to_the_reader_s_From()
        {
            Activity a = Read(Request());
            Assert.Equal(Planner, a.OrganizerAddress);
        }

        [Fact]
        public void No_Organizer_and_no_default_is_InvalidActivity()
        {
            G5MailErrorException error = Rejected(Request(), defaultOrganizer: null);
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("no Organizer", error.Message);
            Assert.Equal(ErrorIds.InvalidActivity, Rejected(Request(), defaultOrganizer: "  ").ErrorId);
        }

        [Theory]
        [InlineData(null, ActivityShowAs.Busy)]
        [InlineData("Upptagen", ActivityShowAs.Busy)]
        [InlineData("free", ActivityShowAs.Free)]
        [InlineData("Ledig", ActivityShowAs.Free)]
        [InlineData("Preliminär", ActivityShowAs.Tentative)]
        [InlineData("Out of office", ActivityShowAs.OutOfOffice)]
        [InlineData("Borta", ActivityShowAs.OutOfOffice)]
        public void ShowAs_reads_English_and_Swedish_words(string? word, ActivityShowAs showAs)
        {
            Assert.Equal(showAs, Read(With(r => r.ShowAs = word)).ShowAs);
        }

        [Fact]
        public void An_unknown_ShowAs_is_InvalidActivity()
        {
            Assert.Equal(ErrorIds.InvalidActivity, Rejected(With(r => r.ShowAs = "Semester")).ErrorId);
        }

        [Theory]
        [InlineData(null, false)]
        [InlineData("Aktiv", false)]
        [InlineData("Planned", false)]
        [InlineData("Cancelled", true)]
        [InlineData("canceled", true)]
        [InlineData("Inställd", true)]
        [InlineData("Makulerad", true)]
        public void Status_reads_active_and_cancelled_words(string? word, bool cancelled)
        {
            Assert.Equal(cancelled, Read(With(r => r.Status = word)).Cancelled);
        }

        [Fact]
        public void An_unknown_Status_is_InvalidActivity()
        {
            Assert.Equal(ErrorIds.InvalidActivity, Rejected(With(r => r.Status = "Klar?")).ErrorId);
        }

        [Fact]
        public void ReminderMinutes_as_a_number_or_a_string()
        {
            Assert.Equal(15, Read(With(r => r.ReminderMinutes = "15")).ReminderMinutes);
            Assert.Equal(0, Read(With(r => r.ReminderMinutes = 0)).ReminderMinutes);
            Assert.Null(Read(With(r => r.ReminderMinutes = "")).ReminderMinutes);
        }

        [Theory]
        [InlineData(-1)]
        [InlineData(-15)]
        [InlineData(40321)]
        [InlineData(7.5)]
        public void ReminderMinutes_negative_fractional_or_too_large_is_InvalidActivity(double minutes)
        {
            G5MailErrorException error = Rejected(With(r => r.ReminderMinutes = minutes));
            Assert.Equal(ErrorIds.InvalidActivity, error.ErrorId);
            Assert.Contains("ReminderMinutes", error.Message);
        }

        [Fact]
        public void Subject_and_Location_become_one_line_and_Description_keeps_its_lines()
        {
            Activity a = Read(With(r =>
            {
                r.Subject = "Service\r\nav kompressor\t";
                r.Location = "  Verkstan,\nhall 2 ";
                r.Description = "Rad ett\r\nRad två\n";
            }));
            Assert.Equal("Service av kompressor", a.Subject);
            Assert.Equal("Verkstan, hall 2", a.Location);
            Assert.Equal("Rad ett\nRad två", a.Description);
        }

        [Fact]
        public void Categories_are_split_trimmed_and_deduplicated()
        {
            Activity a = Read(With(r => r.Categories = new[] { "Service; Kund A", "service,Garanti", " " }));
            Assert.Equal(new[] { "Service", "Kund A", "Garanti" }, a.Categories);
        }

        [Fact]
        public void A_value_wrapped_in_an_array_of_one_is_read_as_the_value()
        {
            Activity a = Read(With(r => r.Start = new object[] { "2027-06-10 09:00" }));
            Assert.Equal(new DateTime(2027, 6, 10, 9, 0, 0), a.LocalStart);
        }

        [Fact]
        public void InputIndex_and_Source_are_kept()
        {
            var source = new object();
            Activity a = Read(With(r =>
            {
                r.InputIndex = 7;
                r.Source = source;
            }));
            Assert.Equal(7, a.InputIndex);
            Assert.Same(source, a.Source);
        }
    }
}
