using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>
/// The Graph stand-in's mailbox: what Graph enforces when a mailbox is read (query rules of "List messages", paging, the
/// extended properties, $value, update, move, folders, ids, permissions).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class GraphMailboxTests
{
    private static readonly string Box = $"/v1.0/users/{ServerFixture.Alice}";
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    private readonly ServerFixture _f;

    public GraphMailboxTests(ServerFixture fixture) => _f = fixture;

    private Task<string> ReadWriteTokenAsync() => _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);

    internal static string Mime(string subject, string messageId, string? attachment = null)
    {
        string text = $"From: Leverantör <faktura@supplier.test>\r\nTo: {ServerFixture.Alice}\r\nCc: ekonomi@g5mail.test\r\nSubject: {subject}\r\n" +
                      $"Message-ID: <{messageId}>\r\nDate: Mon, 02 Mar 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n";
        if (attachment is null) return text + "Content-Type: text/plain; charset=utf-8\r\n\r\nHej\r\n";
        return text + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n--b1\r\n" +
               $"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"{attachment}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
               Convert.ToBase64String(Encoding.ASCII.GetBytes("%PDF-1.4 " + attachment)) + "\r\n--b1--\r\n";
    }

    internal static async Task<string> SeedAsync(ServerFixture f, string subject, DateTimeOffset received, string folder = "Inbox", bool isRead = false,
        string messageClass = "IPM.Note", string? attachment = null, string? mailbox = null)
    {
        var seed = new JsonObject
        {
            ["mailbox"] = mailbox ?? ServerFixture.Alice,
            ["folder"] = folder,
            ["mimeText"] = Mime(subject, Guid.NewGuid().ToString("N") + "@supplier.test", attachment),
            ["messageClass"] = messageClass,
            ["receivedDateTime"] = received.ToString("o", CultureInfo.InvariantCulture),
            ["isRead"] = isRead,
        };
        (int status, JsonNode? body, _) = await f.SendAsync(HttpMethod.Post, "/_test/mailbox/messages", null, ServerFixture.Json(seed));
        Assert.Equal(201, status);
        return (string)body!["id"]!;
    }

    private static string Q(string text) => Uri.EscapeDataString(text);

    [Fact]
    public async Task ListMessages_FiltersSortsAndPagesThroughNextLinkWithSkip()
    {
        await _f.ResetAsync();
        for (int i = 0; i < 25; i++) await SeedAsync(_f, $"Faktura {i:00}", T0.AddMinutes(i), isRead: i % 5 == 0);
        await SeedAsync(_f, "Elsewhere", T0, folder: "Sent Items");
        string token = await ReadWriteTokenAsync();

        string? url = $"{Box}/mailFolders/inbox/messages?$select=subject,receivedDateTime,isRead&$filter={Q("receivedDateTime ge 2026-03-02T08:03:00Z and isRead eq false")}" +
                     $"&$orderby={Q("receivedDateTime asc")}&$top=8";
        var subjects = new List<string>();
        int pages = 0;
        while (url is not null)
        {
            (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Get, url, token);
            Assert.Equal(200, status);
            pages++;
            foreach (JsonNode? m in body!["value"]!.AsArray())
            {
                subjects.Add((string)m!["subject"]!);
                Assert.Null(m["from"]); // not selected
                Assert.NotNull(m["id"]);
            }

            url = (string?)body["@odata.nextLink"];
            if (url is not null) Assert.Contains("$skip=", url);
        }

        // 22 messages from 08:03 on, minus the read ones (05, 10, 15, 20): 18, oldest first, 8 + 8 + 2.
        string[] expected = Enumerable.Range(3, 22).Where(i => i % 5 != 0).Select(i => $"Faktura {i:00}").ToArray();
        Assert.Equal(expected, subjects);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task ListMessages_WithoutOrderBy_IsNewestFirst_AndDefaultPageIsTen()
    {
        await _f.ResetAsync();
        for (int i = 0; i < 12; i++) await SeedAsync(_f, $"M{i:00}", T0.AddMinutes(i));
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/inbox/messages?$select=subject", await ReadWriteTokenAsync());
        Assert.Equal(200, status);
        JsonArray value = body!["value"]!.AsArray();
        Assert.Equal(10, value.Count);
        Assert.Equal("M11", (string?)value[0]!["subject"]);
        Assert.NotNull(body["@odata.nextLink"]);
    }

    [Theory]
    [InlineData("isRead eq false", "receivedDateTime asc", 400)]                                        // orderby property not in filter
    [InlineData("isRead eq false and receivedDateTime ge 2026-01-01T00:00:00Z", "receivedDateTime asc", 400)] // not first
    [InlineData("receivedDateTime ge 2026-01-01T00:00:00Z and isRead eq false", "receivedDateTime asc", 200)]
    [InlineData("receivedDateTime ge 2026-01-01T00:00:00Z", "receivedDateTime desc", 200)]
    [InlineData("", "receivedDateTime asc", 200)]                                                        // orderby alone
    [InlineData("receivedDateTime ge 2026-01-01T00:00:00Z", "", 200)]
    public async Task ListMessages_RefusesAnOrderByThatDoesNotLeadTheFilter(string filter, string orderBy, int expected)
    {
        await _f.ResetAsync();
        string url = $"{Box}/mailFolders/inbox/messages?$top=5" + (filter.Length > 0 ? "&$filter=" + Q(filter) : "") + (orderBy.Length > 0 ? "&$orderby=" + Q(orderBy) : "");
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Get, url, await ReadWriteTokenAsync());
        Assert.Equal(expected, status);
        if (expected == 400)
        {
            Assert.Equal("InefficientFilter", (string?)body!["error"]!["code"]);
            Assert.Equal("The restriction or sort order is too complex for this operation.", (string?)body["error"]!["message"]);
        }
    }

    [Theory]
    [InlineData("$top=0")]
    [InlineData("$top=1001")]
    [InlineData("$skip=-1")]
    [InlineData("$select=subject,nonsense")]
    [InlineData("$filter=subject%20eq%20'x'")]
    [InlineData("$filter=receivedDateTime%20ge%20'2026-01-01'")]
    [InlineData("$expand=attachments")]
    public async Task ListMessages_RefusesInvalidQueryOptions(string query)
    {
        await _f.ResetAsync();
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/inbox/messages?{query}", await ReadWriteTokenAsync());
        Assert.Equal(400, status);
        Assert.NotNull(body!["error"]!["code"]);
    }

    [Fact]
    public async Task ListMessages_ExpandsSizeAndMessageClass_ByTag()
    {
        await _f.ResetAsync();
        await SeedAsync(_f, "Undeliverable: Faktura 1001", T0, messageClass: "REPORT.IPM.Note.NDR");
        string expand = Q("singleValueExtendedProperties($filter=id eq 'Integer 0x0E08' or id eq 'String 0x001A')");
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/inbox/messages?$select=subject&$expand={expand}", await ReadWriteTokenAsync());
        Assert.Equal(200, status);
        JsonArray properties = body!["value"]![0]!["singleValueExtendedProperties"]!.AsArray();
        Assert.Equal(2, properties.Count);
        Assert.Equal("REPORT.IPM.Note.NDR", (string?)properties.Single(p => ((string)p!["id"]!).StartsWith("String", StringComparison.Ordinal))!["value"]);
        long size = long.Parse((string)properties.Single(p => ((string)p!["id"]!).StartsWith("Integer", StringComparison.Ordinal))!["value"]!, CultureInfo.InvariantCulture);
        Assert.True(size > 100);

        // Without $expand the property is not there; a name id is not a tag id the stand-in knows.
        (_, body, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/inbox/messages", await ReadWriteTokenAsync());
        Assert.Null(body!["value"]![0]!["singleValueExtendedProperties"]);
    }

    [Fact]
    public async Task Content_Update_AndMove_AsGraphDoesThem()
    {
        await _f.ResetAsync();
        string id = await SeedAsync(_f, "Faktura 7", T0, attachment: "7.pdf");
        string token = await ReadWriteTokenAsync();
        string path = $"{Box}/messages/{Q(id)}";

        using (HttpResponseMessage raw = await _f.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, _f.BaseUrl + path + "/$value")
               { Headers = { Authorization = new("Bearer", token) } }))
        {
            Assert.Equal(200, (int)raw.StatusCode);
            string mime = await raw.Content.ReadAsStringAsync();
            Assert.Contains("Subject: Faktura 7", mime);
            Assert.Contains("filename=\"7.pdf\"", mime);
        }

        (int status, JsonNode? body, _) = await _f.SendAsync(new HttpMethod("PATCH"), path, token, ServerFixture.Json(new JsonObject { ["isRead"] = true }));
        Assert.Equal(200, status);
        Assert.True((bool)body!["isRead"]!);
        Assert.True((bool)body["hasAttachments"]!);

        (status, body, _) = await _f.SendAsync(new HttpMethod("PATCH"), path, token, ServerFixture.Json(new JsonObject { ["isRead"] = "yes" }));
        Assert.Equal(400, status);

        // Move to a folder that does not exist yet: 404; create it under the Inbox, then move: 201 and a new id.
        (status, body, _) = await _f.SendAsync(HttpMethod.Post, path + "/move", token, ServerFixture.Json(new JsonObject { ["destinationId"] = "AAMkAGnope=" }));
        Assert.Equal(404, status);
        (status, JsonNode? folder, _) = await _f.SendAsync(HttpMethod.Post, $"{Box}/mailFolders/inbox/childFolders", token, ServerFixture.Json(new JsonObject { ["displayName"] = "Studsade" }));
        Assert.Equal(201, status);
        (status, body, _) = await _f.SendAsync(HttpMethod.Post, path + "/move", token, ServerFixture.Json(new JsonObject { ["destinationId"] = (string)folder!["id"]! }));
        Assert.Equal(201, status);
        Assert.NotEqual(id, (string?)body!["id"]);
        Assert.Equal((string?)folder["id"], (string?)body["parentFolderId"]);

        (status, body, _) = await _f.SendAsync(HttpMethod.Get, path, token);
        Assert.Equal(404, status);
        Assert.Equal("ErrorItemNotFound", (string?)body!["error"]!["code"]);
        (status, body, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/messages/not-an-id/$value", token);
        Assert.Equal(400, status);
        Assert.Equal("ErrorInvalidIdMalformed", (string?)body!["error"]!["code"]);

        (_, JsonNode? dump, _) = await _f.SendAsync(HttpMethod.Get, $"/_test/mailbox/{ServerFixture.Alice}", null);
        JsonNode moved = dump!["messages"]!.AsArray().Single()!;
        Assert.Equal("Inbox/Studsade", (string?)moved["folder"]);
        Assert.True((bool)moved["isRead"]!);
    }

    [Fact]
    public async Task Folders_WellKnownNames_ChildFoldersByDisplayName_QuotesDoubled_AndNamesUnique()
    {
        await _f.ResetAsync();
        await SeedAsync(_f, "x", T0, folder: "Inbox/O'Brien AB");
        string token = await ReadWriteTokenAsync();

        (int status, JsonNode? inbox, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/Inbox?$select=displayName", token);
        Assert.Equal(200, status);
        Assert.Equal("Inbox", (string?)inbox!["displayName"]);

        (status, JsonNode? found, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/inbox/childFolders?$filter={Q("displayName eq 'o''brien ab'")}", token);
        Assert.Equal(200, status);
        Assert.Equal("O'Brien AB", (string?)found!["value"]![0]!["displayName"]);
        (status, _, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/inbox/childFolders?$filter={Q("displayName eq 'O'Brien AB'")}", token);
        Assert.Equal(400, status);

        (status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, $"{Box}/mailFolders/inbox/childFolders", token, ServerFixture.Json(new JsonObject { ["displayName"] = "o'brien ab" }));
        Assert.Equal(409, status);
        Assert.Equal("ErrorFolderExists", (string?)body!["error"]!["code"]);

        // Top-level folders: the root's children, with the defaults; an unknown well-known name is not found.
        (status, found, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/msgfolderroot/childFolders?$filter={Q("displayName eq 'Sent Items'")}", token);
        Assert.Equal(200, status);
        Assert.Single(found!["value"]!.AsArray());
        (status, body, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/nosuchfolder", token);
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Permissions_ReadNeedsMailRead_ChangesNeedMailReadWrite_DelegatedOnlyTheirOwn()
    {
        await _f.ResetAsync();
        string id = await SeedAsync(_f, "Faktura 9", T0);
        string reader = await _f.AppTokenAsync(ServerFixture.ReaderAppId, ServerFixture.ReaderSecret);
        string calendar = await _f.AppTokenAsync(ServerFixture.CalendarAppId, ServerFixture.CalendarSecret);

        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/inbox/messages", calendar);
        Assert.Equal(403, status);
        Assert.Equal("ErrorAccessDenied", (string?)body!["error"]!["code"]);

        (status, _, _) = await _f.SendAsync(HttpMethod.Get, $"{Box}/mailFolders/inbox/messages", reader);
        Assert.Equal(200, status);
        using (HttpResponseMessage raw = await _f.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, _f.BaseUrl + $"{Box}/messages/{Q(id)}/$value")
               { Headers = { Authorization = new("Bearer", reader) } }))
        {
            Assert.Equal(200, (int)raw.StatusCode);
        }

        (status, body, _) = await _f.SendAsync(new HttpMethod("PATCH"), $"{Box}/messages/{Q(id)}", reader, ServerFixture.Json(new JsonObject { ["isRead"] = true }));
        Assert.Equal(403, status);
        Assert.Equal("ErrorAccessDenied", (string?)body!["error"]!["code"]);
        (status, _, _) = await _f.SendAsync(HttpMethod.Post, $"{Box}/messages/{Q(id)}/move", reader, ServerFixture.Json(new JsonObject { ["destinationId"] = "deleteditems" }));
        Assert.Equal(403, status);
        (status, _, _) = await _f.SendAsync(HttpMethod.Post, $"{Box}/mailFolders/inbox/childFolders", reader, ServerFixture.Json(new JsonObject { ["displayName"] = "X" }));
        Assert.Equal(403, status);
        (_, JsonNode? dump, _) = await _f.SendAsync(HttpMethod.Get, $"/_test/mailbox/{ServerFixture.Alice}", null);
        Assert.False((bool)dump!["messages"]![0]!["isRead"]!);

        // Delegated: /me is Alice's own mailbox; another user's is refused (shared folders are not modelled).
        string alice = await _f.AliceTokenAsync("https://graph.microsoft.com/Mail.ReadWrite");
        (status, body, _) = await _f.SendAsync(HttpMethod.Get, "/v1.0/me/mailFolders/inbox/messages?$select=subject", alice);
        Assert.Equal(200, status);
        Assert.Equal("Faktura 9", (string?)body!["value"]![0]!["subject"]);
        (status, _, _) = await _f.SendAsync(HttpMethod.Get, $"/v1.0/users/{ServerFixture.Mfa}/mailFolders/inbox/messages", alice);
        Assert.Equal(403, status);
        (status, _, _) = await _f.SendAsync(HttpMethod.Get, "/v1.0/me/mailFolders/inbox/messages", reader);
        Assert.Equal(400, status);
    }
}
