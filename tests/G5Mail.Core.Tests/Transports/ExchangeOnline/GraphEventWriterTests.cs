using System;
using System.Linq;
using System.Text.Json;
using G5Mail.Core.Calendar;
using G5Mail.Core.Tests.Calendar;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.Core.Tests.Transports.ExchangeOnline
{
    public class GraphEventWriterTests
    {
        private static JsonElement Parse(byte[] body) => JsonDocument.Parse(body).RootElement;

        [Fact]
        public void A_timed_activity_becomes_an_event_in_the_Windows_zone_with_its_activity_id_and_no_attendees()
        {
            ActivityRequest request = CalendarFixtures.Request();
            request.Location = "Verkstan";
            request.Description = "Byt filter";
            request.ReminderMinutes = 30;
            request.Categories = new[] { "Service" };
            request.ShowAs = "OutOfOffice";
            Activity activity = CalendarFixtures.Read(request);

            JsonElement json = Parse(GraphEventWriter.Event(activity, inviteAttendees: false, transactionId: "g5mail-x"));

            Assert.Equal("g5mail-x", json.GetProperty("transactionId").GetString());
            Assert.Equal("Service av kompressor", json.GetProperty("subject").GetString());
            Assert.Equal("text", json.GetProperty("body").GetProperty("contentType").GetString());
            Assert.Equal("Byt filter", json.GetProperty("body").GetProperty("content").GetString());
            Assert.Equal("2027-06-10T09:00:00", json.GetProperty("start").GetProperty("dateTime").GetString());
            Assert.Equal("W. Europe Standard Time", json.GetProperty("start").GetProperty("timeZone").GetString());
            Assert.Equal("2027-06-10T10:00:00", json.GetProperty("end").GetProperty("dateTime").GetString());
            Assert.False(json.GetProperty("isAllDay").GetBoolean());
            Assert.Equal("Verkstan", json.GetProperty("location").GetProperty("displayName").GetString());
            Assert.Equal(new[] { "Service" }, json.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
            Assert.Equal("oof", json.GetProperty("showAs").GetString());
            Assert.True(json.GetProperty("isReminderOn").GetBoolean());
            Assert.Equal(30, json.GetProperty("reminderMinutesBeforeStart").GetInt32());
            Assert.False(json.TryGetProperty("attendees", out _));
            JsonElement property = Assert.Single(json.GetProperty("singleValueExtendedProperties").EnumerateArray());
            Assert.Equal(GraphEventWriter.ActivityIdProperty, property.GetProperty("id").GetString());
            Assert.Equal("A-1001", property.GetProperty("value").GetString());
        }

        [Fact]
        public void Attendees_only_when_invited_and_an_update_carries_no_transactionId()
        {
            ActivityRequest request = CalendarFixtures.Request();
            request.Attendees = new[] { "Tekniker Ett <tekniker@example.com>", "kund@example.se" };
            Activity activity = CalendarFixtures.Read(request);

            JsonElement json = Parse(GraphEventWriter.Event(activity, inviteAttendees: true, transactionId: null));

            Assert.False(json.TryGetProperty("transactionId", out _));
            JsonElement[] attendees = json.GetProperty("attendees").EnumerateArray().ToArray();
            Assert.Equal(new[] { "tekniker@example.com", "kund@example.se" }, attendees.Select(a => a.GetProperty("emailAddress").GetProperty("address").GetString()));
            Assert.Equal("Tekniker Ett", attendees[0].GetProperty("emailAddress").GetProperty("name").GetString());
            Assert.All(attendees, a => Assert.Equal("required", a.GetProperty("type").GetString()));
            Assert.False(json.GetProperty("isReminderOn").GetBoolean());
            Assert.Equal("busy", json.GetProperty("showAs").GetString());
        }

        [Fact]
        public void An_all_day_activity_runs_midnight_to_midnight()
        {
            ActivityRequest request = CalendarFixtures.Request();
            request.AllDay = true;
            request.Start = "2027-06-10";
            request.End = "2027-06-11";
            Activity activity = CalendarFixtures.Read(request);

            JsonElement json = Parse(GraphEventWriter.Event(activity, inviteAttendees: false, transactionId: null));

            Assert.True(json.GetProperty("isAllDay").GetBoolean());
            Assert.Equal("2027-06-10T00:00:00", json.GetProperty("start").GetProperty("dateTime").GetString());
            Assert.Equal("2027-06-12T00:00:00", json.GetProperty("end").GetProperty("dateTime").GetString());
            Assert.Equal(json.GetProperty("start").GetProperty("timeZone").GetString(), json.GetProperty("end").GetProperty("timeZone").GetString());
        }

        [Theory]
        [InlineData("Europe/Stockholm", "W. Europe Standard Time")]
        [InlineData("UTC", "UTC")]
        [InlineData("America/New_York", "Eastern Standard Time")]
        [InlineData("W. Europe Standard Time", "W. Europe Standard Time")]
        public void Zones_go_to_Graph_by_their_Windows_names(string given, string windows)
        {
            ActivityRequest request = CalendarFixtures.Request();
            request.TimeZone = given;
            Assert.Equal(windows, GraphEventWriter.WindowsZone(CalendarFixtures.Read(request)));
        }

        [Fact]
        public void The_transactionId_is_the_same_for_a_retry_and_new_for_the_next_version()
        {
            Activity activity = CalendarFixtures.Read(CalendarFixtures.Request());
            string first = GraphEventWriter.TransactionId(CalendarFixtures.Change(activity, sequence: 0));

            Assert.Equal(first, GraphEventWriter.TransactionId(CalendarFixtures.Change(activity, sequence: 0)));
            Assert.NotEqual(first, GraphEventWriter.TransactionId(CalendarFixtures.Change(activity, sequence: 1)));
            Assert.Matches("^g5mail-[0-9a-f]{32}$", first);
        }

        [Fact]
        public void The_lookup_filter_quotes_the_activity_id_as_an_OData_literal()
        {
            string query = GraphEventWriter.FindQuery("O'Brien 1");
            string filter = Uri.UnescapeDataString(query.Substring("?$filter=".Length, query.IndexOf("&$select", StringComparison.Ordinal) - "?$filter=".Length));

            Assert.Equal($"singleValueExtendedProperties/Any(ep: ep/id eq '{GraphEventWriter.ActivityIdProperty}' and ep/value eq 'O''Brien 1')", filter);
            Assert.EndsWith("&$select=id", query);
        }
    }
}
