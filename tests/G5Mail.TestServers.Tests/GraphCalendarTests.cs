using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>The Graph stand-in's calendar events: what Graph enforces (time zones, extended property ids, transactionId, 404s, permissions).</summary>
[Collection(ServerCollection.Name)]
public sealed class GraphCalendarTests
{
    private const string Property = "String {c67aab68-4eed-4a65-9af0-e81e7378ed02} Name G5MailActivityId";
    private static readonly string Events = $"/v1.0/users/{ServerFixture.Alice}/events";

    private readonly ServerFixture _f;

    public GraphCalendarTests(ServerFixture fixture) => _f = fixture;

    private Task<string> TokenAsync() => _f.AppTokenAsync(ServerFixture.CalendarAppId, ServerFixture.CalendarSecret);

    private static JsonObject Event(string activityId, string? transactionId = null, string zone = "W. Europe Standard Time",
        string start = "2026-03-02T09:00:00", string end = "2026-03-02T10:00:00")
    {
        var json = new JsonObject
        {
            ["subject"] = "Planering " + activityId,
            ["body"] = new JsonObject { ["contentType"] = "text", ["content"] = "Agenda" },
            ["start"] = new JsonObject { ["dateTime"] = start, ["timeZone"] = zone },
            ["end"] = new JsonObject { ["dateTime"] = end, ["timeZone"] = zone },
            ["showAs"] = "tentative",
            ["singleValueExtendedProperties"] = new JsonArray(new JsonObject { ["id"] = Property, ["value"] = activityId }),
        };
        if (transactionId is not null) json["transactionId"] = transactionId;
        return json;
    }

    private static string Filter(string id, string value) =>
        "?$filter=" + Uri.EscapeDataString($"singleValueExtendedProperties/Any(ep: ep/id eq '{id}' and ep/value eq '{value.Replace("'", "''")}')") + "&$select=id";

    [Fact]
    public async Task Create_StoresTheEvent_AndFindsItByTheExtendedProperty()
    {
        await _f.ResetAsync();
        string token = await TokenAsync();

        (int status, JsonNode? created, _) = await _f.SendAsync(HttpMethod.Post, Events, token, ServerFixture.Json(Event("A-1")));
        Assert.Equal(201, status);
        string id = (string)created!["id"]!;
        Assert.Equal("W. Europe Standard Time", (string?)created["start"]!["timeZone"]);
        Assert.Equal("2026-03-02T09:00:00.0000000", (string?)created["start"]!["dateTime"]);
        Assert.Equal("tentative", (string?)created["showAs"]);
        Assert.Null(created["singleValueExtendedProperties"]); // only with $expand in Graph

        (status, JsonNode? found, _) = await _f.SendAsync(HttpMethod.Get, Events + Filter(Property, "a-1"), token);
        Assert.Equal(200, status);
        Assert.Equal(id, (string?)found!["value"]!.AsArray().Single()!["id"]);
        Assert.Null(found["value"]![0]!["subject"]); // $select=id

        // The Name in the id is case-sensitive: another name is another property.
        (status, found, _) = await _f.SendAsync(HttpMethod.Get, Events + Filter(Property.Replace("G5MailActivityId", "g5mailactivityid"), "A-1"), token);
        Assert.Equal(200, status);
        Assert.Empty(found!["value"]!.AsArray());

        // A malformed id, and a filter the stand-in does not know.
        (status, _, _) = await _f.SendAsync(HttpMethod.Get, Events + Filter("G5MailActivityId", "A-1"), token);
        Assert.Equal(400, status);
        (status, _, _) = await _f.SendAsync(HttpMethod.Get, Events + "?$filter=" + Uri.EscapeDataString("subject eq 'x'"), token);
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task Create_WithTheSameTransactionId_ReturnsTheFirstEvent()
    {
        await _f.ResetAsync();
        string token = await TokenAsync();
        (int s1, JsonNode? first, _) = await _f.SendAsync(HttpMethod.Post, Events, token, ServerFixture.Json(Event("A-2", "g5mail-tx-1")));
        (int s2, JsonNode? second, _) = await _f.SendAsync(HttpMethod.Post, Events, token, ServerFixture.Json(Event("A-2", "g5mail-tx-1")));
        (int s3, JsonNode? third, _) = await _f.SendAsync(HttpMethod.Post, Events, token, ServerFixture.Json(Event("A-2", "g5mail-tx-2")));

        Assert.Equal(201, s1);
        Assert.Equal(201, s2);
        Assert.Equal(201, s3);
        Assert.Equal((string?)first!["id"], (string?)second!["id"]);
        Assert.NotEqual((string?)first["id"], (string?)third!["id"]);
        (_, JsonNode? all, _) = await _f.SendAsync(HttpMethod.Get, Events + Filter(Property, "A-2"), token);
        Assert.Equal(2, all!["value"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("W. Europe Standard Time", 201)]
    [InlineData("UTC", 201)]
    [InlineData("Europe/Berlin", 201)]        // on the page's list of additional time zones
    [InlineData("Europe/Stockholm", 400)]     // an IANA id that is not on it
    [InlineData("Central European Time", 400)]
    [InlineData("CET+1", 400)]
    public async Task Create_AcceptsWindowsZonesAndTheListedIanaIds_Only(string zone, int expected)
    {
        await _f.ResetAsync();
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, Events, await TokenAsync(), ServerFixture.Json(Event("Z", zone: zone)));
        Assert.Equal(expected, status);
        if (expected == 400) Assert.Equal("TimeZoneNotSupportedException", (string?)body!["error"]!["code"]);
    }

    [Fact]
    public async Task Create_RefusesMissingTimes_EndBeforeStart_BadPropertyIds_BadAllDay_AndInvalidAttendees()
    {
        await _f.ResetAsync();
        string token = await TokenAsync();
        JsonObject noStart = Event("B");
        noStart.Remove("start");
        JsonObject noZone = Event("B");
        noZone["end"]!.AsObject().Remove("timeZone");
        JsonObject badId = Event("B");
        badId["singleValueExtendedProperties"] = new JsonArray(new JsonObject { ["id"] = "G5MailActivityId", ["value"] = "B" });
        JsonObject badAllDay = Event("B", start: "2026-03-02T09:00:00", end: "2026-03-03T09:00:00");
        badAllDay["isAllDay"] = true;
        JsonObject badAttendee = Event("B");
        badAttendee["attendees"] = new JsonArray(new JsonObject { ["emailAddress"] = new JsonObject { ["address"] = "not an address" }, ["type"] = "required" });
        JsonObject badShowAs = Event("B");
        badShowAs["showAs"] = "away";

        foreach (JsonObject bad in new[] { noStart, noZone, Event("B", end: "2026-03-02T08:00:00"), badId, badAllDay, badAttendee, badShowAs })
        {
            (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, Events, token, ServerFixture.Json(bad));
            Assert.True(status == 400, $"{status} for {bad.ToJsonString()}");
            Assert.NotNull(body!["error"]!["code"]);
        }

        // Nothing was stored; an all-day event at midnight, and an empty subject, are fine.
        (_, JsonNode? all, _) = await _f.SendAsync(HttpMethod.Get, Events, token);
        Assert.Empty(all!["value"]!.AsArray());
        JsonObject allDay = Event("C", start: "2026-03-02T00:00:00", end: "2026-03-03T00:00:00");
        allDay["isAllDay"] = true;
        allDay["subject"] = "";
        Assert.Equal(201, (await _f.SendAsync(HttpMethod.Post, Events, token, ServerFixture.Json(allDay))).Status);
    }

    [Fact]
    public async Task Update_Delete_Cancel_AndTheir404s()
    {
        await _f.ResetAsync();
        string token = await TokenAsync();
        JsonObject meeting = Event("D", "tx-d");
        meeting["attendees"] = new JsonArray(new JsonObject { ["emailAddress"] = new JsonObject { ["address"] = "kund@example.se" }, ["type"] = "required" });
        string id = (string)(await _f.SendAsync(HttpMethod.Post, Events, token, ServerFixture.Json(meeting))).Body!["id"]!;
        string one = Events + "/" + Uri.EscapeDataString(id);

        (int status, JsonNode? patched, _) = await _f.SendAsync(HttpMethod.Patch, one, token, ServerFixture.Json(new JsonObject { ["subject"] = "Flyttad" }));
        Assert.Equal(200, status);
        Assert.Equal("Flyttad", (string?)patched!["subject"]);
        Assert.Equal("tentative", (string?)patched["showAs"]); // untouched

        // transactionId cannot change after the create; an end before the start is refused on update too, and changes nothing.
        Assert.Equal(400, (await _f.SendAsync(HttpMethod.Patch, one, token, ServerFixture.Json(new JsonObject { ["transactionId"] = "other" }))).Status);
        Assert.Equal(400, (await _f.SendAsync(HttpMethod.Patch, one, token,
            ServerFixture.Json(new JsonObject { ["end"] = new JsonObject { ["dateTime"] = "2026-03-01T10:00:00", ["timeZone"] = "UTC" } }))).Status);
        Assert.Equal("2026-03-02T10:00:00.0000000", (string?)(await _f.SendAsync(HttpMethod.Get, one, token)).Body!["end"]!["dateTime"]);

        (status, _, _) = await _f.SendAsync(HttpMethod.Post, one + "/cancel", token, ServerFixture.Json(new JsonObject { ["comment"] = "Inställt" }));
        Assert.Equal(202, status);
        Assert.Equal(404, (await _f.SendAsync(HttpMethod.Get, one, token)).Status);
        Assert.Equal(404, (await _f.SendAsync(HttpMethod.Post, one + "/cancel", token, ServerFixture.Json(new JsonObject()))).Status);
        Assert.Equal(404, (await _f.SendAsync(HttpMethod.Patch, one, token, ServerFixture.Json(new JsonObject { ["subject"] = "x" }))).Status);
        (status, JsonNode? gone, _) = await _f.SendAsync(HttpMethod.Delete, one, token);
        Assert.Equal(404, status);
        Assert.Equal("ErrorItemNotFound", (string?)gone!["error"]!["code"]);

        // The test view: cancelled, with the comment, and what the attendee was sent.
        (_, JsonNode? everything, _) = await _f.SendAsync(HttpMethod.Get, "/_test/events", null);
        JsonNode stored = everything!.AsArray().Single()!;
        Assert.True((bool)stored["deleted"]!);
        Assert.Equal("Inställt", (string?)stored["cancelComment"]);
        Assert.Equal(new[] { "invite kund@example.se", "update kund@example.se", "cancel kund@example.se" }, stored["notifications"]!.AsArray().Select(n => (string?)n));

        string plain = (string)(await _f.SendAsync(HttpMethod.Post, Events, token, ServerFixture.Json(Event("E")))).Body!["id"]!;
        Assert.Equal(204, (await _f.SendAsync(HttpMethod.Delete, Events + "/" + Uri.EscapeDataString(plain), token)).Status);
        Assert.Equal(404, (await _f.SendAsync(HttpMethod.Delete, Events + "/" + Uri.EscapeDataString(plain), token)).Status);

        JsonNode stats = await _f.StatsAsync();
        Assert.Equal(2, (int)stats["byRoute"]!["createEvent"]!);
        Assert.Equal(3, (int)stats["byRoute"]!["deleteEvent"]!);
        Assert.Equal(2, (int)stats["byRoute"]!["cancelEvent"]!);
    }

    [Fact]
    public async Task Permissions_AppWithoutCalendarsReadWrite_Gets403_AndDelegatedTokensOnlyTheirOwnCalendar()
    {
        await _f.ResetAsync();
        string mailOnly = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, Events, mailOnly, ServerFixture.Json(Event("P")));
        Assert.Equal(403, status);
        Assert.Equal("ErrorAccessDenied", (string?)body!["error"]!["code"]);
        Assert.Equal(403, (await _f.SendAsync(HttpMethod.Get, Events + Filter(Property, "P"), mailOnly)).Status);

        string app = await TokenAsync();
        Assert.Equal(400, (await _f.SendAsync(HttpMethod.Post, "/v1.0/me/events", app, ServerFixture.Json(Event("P")))).Status);
        Assert.Equal(404, (await _f.SendAsync(HttpMethod.Post, "/v1.0/users/nobody@g5mail.test/events", app, ServerFixture.Json(Event("P")))).Status);

        // Alice's delegated token (Mail.Send only) cannot write her calendar.
        string alice = await _f.AliceTokenAsync();
        Assert.Equal(403, (await _f.SendAsync(HttpMethod.Post, "/v1.0/me/events", alice, ServerFixture.Json(Event("P")))).Status);
    }

    [Fact]
    public async Task Faults_429WithRetryAfter_OnCreateEvent()
    {
        await _f.ResetAsync();
        using (HttpResponseMessage r = await _f.Http.PostAsync($"{_f.BaseUrl}/_test/faults",
                   ServerFixture.Json(new JsonObject { ["path"] = "createEvent", ["status"] = 429, ["retryAfterSeconds"] = 2, ["count"] = 1 })))
        {
            r.EnsureSuccessStatusCode();
        }

        string token = await TokenAsync();
        (int status, _, HttpResponseMessage response) = await _f.SendAsync(HttpMethod.Post, Events, token, ServerFixture.Json(Event("F")));
        Assert.Equal(429, status);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter!.Delta);
        Assert.Equal(201, (await _f.SendAsync(HttpMethod.Post, Events, token, ServerFixture.Json(Event("F")))).Status);
    }
}
