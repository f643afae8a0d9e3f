using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Exchange;
using MimeKit;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>Seeding and reading the EWS stand-in's mailboxes, shared by the stand-in's and the reader's tests.</summary>
internal static class EwsMailboxSeed
{
    public static string Mime(int n, string subject, string? to = null, string? cc = null, byte[]? attachment = null, string from = "leverantor@example.se")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to ?? EwsFixture.Anna));
        if (cc is not null) message.Cc.Add(MailboxAddress.Parse(cc));
        message.Subject = subject;
        message.MessageId = $"msg{n}@example.se";
        var body = new BodyBuilder { TextBody = "Hej " + n };
        if (attachment is not null) body.Attachments.Add($"faktura{n}.pdf", attachment, new ContentType("application", "pdf"));
        message.Body = body.ToMessageBody();
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static async Task<string> SeedAsync(EwsFixture f, string mime, DateTimeOffset received, string folder = "inbox", string? mailbox = null,
        bool isRead = false, string? itemClass = null)
    {
        var body = new JsonObject
        {
            ["mailbox"] = mailbox ?? EwsFixture.Anna,
            ["folder"] = folder,
            ["mime"] = mime,
            ["received"] = received.ToString("o"),
            ["isRead"] = isRead,
        };
        if (itemClass is not null) body["itemClass"] = itemClass;
        using HttpResponseMessage r = await f.Http.PostAsync(f.BaseUrl + "/_test/ews/mailbox/messages", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return (string)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["id"]!;
    }

    public static async Task<JsonObject> MailboxAsync(EwsFixture f, string mailbox) =>
        JsonNode.Parse(await f.Http.GetStringAsync(f.BaseUrl + "/_test/ews/mailbox?mailbox=" + Uri.EscapeDataString(mailbox)))!.AsObject();

    public static readonly DateTimeOffset Day = new(2027, 3, 1, 8, 0, 0, TimeSpan.Zero);
}

/// <summary>
/// The EWS stand-in's mail operations in raw SOAP: what it answers and refuses as Exchange does (learn.microsoft.com,
/// web-service-reference: FindItem, IndexedPageItemView, GetItem, MimeContent, UpdateItem, MoveItem, CreateFolder,
/// FindFolder, DistinguishedFolderId, ResponseCode).
/// </summary>
[Collection(EwsCollection.Name)]
public sealed class EwsMailboxStandInTests : IAsyncLifetime
{
    private const string Envelope = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" " +
                                    "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\" " +
                                    "xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\">" +
                                    "<soap:Header><t:RequestServerVersion Version=\"Exchange2013\"/></soap:Header><soap:Body>{0}</soap:Body></soap:Envelope>";

    private static readonly XNamespace T = EwsNs.Types;
    private static readonly XNamespace M = EwsNs.Messages;
    private readonly EwsFixture _f;

    public EwsMailboxStandInTests(EwsFixture fixture) => _f = fixture;

    public Task InitializeAsync() => _f.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<(HttpStatusCode Status, XDocument Body)> PostAsync(string operation)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _f.EwsUrl) { Content = new StringContent(string.Format(Envelope, operation), Encoding.UTF8, "text/xml") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(EwsFixture.AnnaLogin + ":" + EwsFixture.AnnaPassword)));
        HttpResponseMessage response = await _f.Http.SendAsync(request);
        return (response.StatusCode, XDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static string? Code(XDocument body) => body.Descendants().FirstOrDefault(e => e.Name.LocalName == "ResponseCode")?.Value;

    private static string Inbox(string? mailbox = null) =>
        "<t:DistinguishedFolderId Id=\"inbox\">" + (mailbox is null ? "" : $"<t:Mailbox><t:EmailAddress>{mailbox}</t:EmailAddress></t:Mailbox>") + "</t:DistinguishedFolderId>";

    private static string FindItem(string view, string properties = "", string parent = "", string extra = "") =>
        "<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>" +
        "<t:FieldURI FieldURI=\"item:Subject\"/><t:FieldURI FieldURI=\"item:DateTimeReceived\"/>" + properties + "</t:AdditionalProperties></m:ItemShape>" +
        view + extra + "<m:ParentFolderIds>" + (parent.Length > 0 ? parent : Inbox()) + "</m:ParentFolderIds></m:FindItem>";

    private const string Ascending = "<m:SortOrder><t:FieldOrder Order=\"Ascending\"><t:FieldURI FieldURI=\"item:DateTimeReceived\"/></t:FieldOrder></m:SortOrder>";

    private async Task SeedFiveAsync()
    {
        for (int i = 1; i <= 5; i++)
        {
            await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(i, "Faktura " + i, cc: "ekonomi@olbryggeriet.example"), EwsMailboxSeed.Day.AddHours(i));
        }
    }

    [Fact]
    public async Task IndexedPageItemView_pages_in_the_sort_order_and_says_where_the_next_page_starts()
    {
        await SeedFiveAsync();
        (_, XDocument first) = await PostAsync(FindItem("<m:IndexedPageItemView MaxEntriesReturned=\"2\" Offset=\"0\" BasePoint=\"Beginning\"/>", extra: Ascending));
        XElement root = first.Descendants(M + "RootFolder").Single();
        Assert.Equal("2", (string?)root.Attribute("IndexedPagingOffset"));
        Assert.Equal("5", (string?)root.Attribute("TotalItemsInView"));
        Assert.Equal("false", (string?)root.Attribute("IncludesLastItemInRange"));
        Assert.Equal(new[] { "Faktura 1", "Faktura 2" }, first.Descendants(T + "Subject").Select(s => s.Value));

        (_, XDocument last) = await PostAsync(FindItem("<m:IndexedPageItemView MaxEntriesReturned=\"2\" Offset=\"4\" BasePoint=\"Beginning\"/>", extra: Ascending));
        Assert.Equal("true", (string?)last.Descendants(M + "RootFolder").Single().Attribute("IncludesLastItemInRange"));
        Assert.Equal(new[] { "Faktura 5" }, last.Descendants(T + "Subject").Select(s => s.Value));

        // Without a SortOrder the newest comes first: a client that wants the oldest has to ask.
        (_, XDocument unsorted) = await PostAsync(FindItem("<m:IndexedPageItemView MaxEntriesReturned=\"1\" Offset=\"0\" BasePoint=\"Beginning\"/>"));
        Assert.Equal("Faktura 5", unsorted.Descendants(T + "Subject").Single().Value);
    }

    [Fact]
    public async Task IndexedPageItemView_without_BasePoint_or_Offset_fails_schema_validation()
    {
        (HttpStatusCode status, XDocument body) = await PostAsync(FindItem("<m:IndexedPageItemView MaxEntriesReturned=\"2\" Offset=\"0\"/>"));
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("ErrorSchemaValidation", Code(body));
        (status, body) = await PostAsync(FindItem("<m:IndexedPageItemView BasePoint=\"Beginning\"/>"));
        Assert.Equal("ErrorSchemaValidation", Code(body));
        // ParentFolderIds before the view is out of the schema's order.
        (status, body) = await PostAsync("<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds>" + Inbox() +
                                         "</m:ParentFolderIds><m:IndexedPageItemView Offset=\"0\" BasePoint=\"Beginning\"/></m:FindItem>");
        Assert.Equal("ErrorSchemaValidation", Code(body));
    }

    [Fact]
    public async Task FindItem_returns_no_recipient_lists_but_GetItem_does_and_restrictions_filter()
    {
        await SeedFiveAsync();
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(6, "Läst"), EwsMailboxSeed.Day.AddHours(6), isRead: true);
        const string Recipients = "<t:FieldURI FieldURI=\"message:ToRecipients\"/><t:FieldURI FieldURI=\"message:CcRecipients\"/>";
        string restriction = "<m:Restriction><t:And><t:IsGreaterThanOrEqualTo><t:FieldURI FieldURI=\"item:DateTimeReceived\"/><t:FieldURIOrConstant>" +
                             "<t:Constant Value=\"2027-03-01T11:00:00Z\"/></t:FieldURIOrConstant></t:IsGreaterThanOrEqualTo><t:IsEqualTo><t:FieldURI FieldURI=\"message:IsRead\"/>" +
                             "<t:FieldURIOrConstant><t:Constant Value=\"false\"/></t:FieldURIOrConstant></t:IsEqualTo></t:And></m:Restriction>";
        (_, XDocument found) = await PostAsync(FindItem("<m:IndexedPageItemView Offset=\"0\" BasePoint=\"Beginning\"/>", Recipients, extra: restriction + Ascending));
        Assert.Equal(new[] { "Faktura 3", "Faktura 4", "Faktura 5" }, found.Descendants(T + "Subject").Select(s => s.Value));
        Assert.Empty(found.Descendants(T + "ToRecipients"));
        Assert.Empty(found.Descendants(T + "CcRecipients"));

        string ids = string.Concat(found.Descendants(T + "ItemId").Select(i => $"<t:ItemId Id=\"{(string)i.Attribute("Id")!}\"/>"));
        (_, XDocument got) = await PostAsync("<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>" + Recipients +
                                             "</t:AdditionalProperties></m:ItemShape><m:ItemIds>" + ids + "</m:ItemIds></m:GetItem>");
        Assert.Equal(3, got.Descendants(M + "GetItemResponseMessage").Count());
        Assert.All(got.Descendants(T + "ToRecipients"), r => Assert.Equal(EwsFixture.Anna, r.Descendants(T + "EmailAddress").Single().Value));
        Assert.Equal(3, got.Descendants(T + "CcRecipients").Count());
    }

    [Fact]
    public async Task GetItem_with_IncludeMimeContent_gives_the_message_base64_with_its_CharacterSet()
    {
        string mime = EwsMailboxSeed.Mime(1, "Räksmörgås", attachment: new byte[] { 1, 2, 3, 4 });
        string id = await EwsMailboxSeed.SeedAsync(_f, mime, EwsMailboxSeed.Day);
        (_, XDocument got) = await PostAsync("<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape>" +
                                             $"<m:ItemIds><t:ItemId Id=\"{id}\"/></m:ItemIds></m:GetItem>");
        XElement content = got.Descendants(T + "MimeContent").Single();
        Assert.Equal("UTF-8", (string?)content.Attribute("CharacterSet"));
        Assert.Equal(Encoding.UTF8.GetBytes(mime), Convert.FromBase64String(content.Value));
        // IncludeMimeContent after AdditionalProperties is out of ItemResponseShapeType's order.
        (_, XDocument wrong) = await PostAsync("<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI=\"item:Subject\"/>" +
                                               "</t:AdditionalProperties><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape>" +
                                               $"<m:ItemIds><t:ItemId Id=\"{id}\"/></m:ItemIds></m:GetItem>");
        Assert.Equal("ErrorSchemaValidation", Code(wrong));
    }

    [Fact]
    public async Task UpdateItem_of_IsRead_needs_MessageDisposition_and_a_ChangeKey_and_gives_a_new_ChangeKey()
    {
        string id = await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Olästa"), EwsMailboxSeed.Day);
        (_, XDocument listed) = await PostAsync(FindItem("<m:IndexedPageItemView Offset=\"0\" BasePoint=\"Beginning\"/>"));
        string changeKey = (string)listed.Descendants(T + "ItemId").Single().Attribute("ChangeKey")!;
        string Update(string attributes, string? key) =>
            $"<m:UpdateItem {attributes}><m:ItemChanges><t:ItemChange><t:ItemId Id=\"{id}\"{(key is null ? "" : $" ChangeKey=\"{key}\"")}/><t:Updates>" +
            "<t:SetItemField><t:FieldURI FieldURI=\"message:IsRead\"/><t:Message><t:IsRead>true</t:IsRead></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>";

        Assert.Equal("ErrorMessageDispositionRequired", Code((await PostAsync(Update("ConflictResolution=\"AutoResolve\"", changeKey))).Body));
        Assert.Equal("ErrorChangeKeyRequiredForWriteOperations", Code((await PostAsync(Update("MessageDisposition=\"SaveOnly\" ConflictResolution=\"AutoResolve\"", null))).Body));
        Assert.Equal("ErrorSchemaValidation", Code((await PostAsync(Update("MessageDisposition=\"SaveOnly\"", changeKey))).Body));
        (_, XDocument updated) = await PostAsync(Update("MessageDisposition=\"SaveOnly\" ConflictResolution=\"AutoResolve\"", changeKey));
        Assert.Equal("NoError", Code(updated));
        string newKey = (string)updated.Descendants(T + "ItemId").Single().Attribute("ChangeKey")!;
        Assert.NotEqual(changeKey, newKey);
        // The old ChangeKey is stale now: NeverOverwrite refuses it.
        Assert.Equal("ErrorIrresolvableConflict", Code((await PostAsync(Update("MessageDisposition=\"SaveOnly\" ConflictResolution=\"NeverOverwrite\"", changeKey))).Body));
        JsonObject box = await EwsMailboxSeed.MailboxAsync(_f, EwsFixture.Anna);
        Assert.True((bool)box["items"]![0]!["isRead"]!);
    }

    [Fact]
    public async Task CreateFolder_refuses_a_second_folder_of_the_same_name_and_MoveItem_gives_the_item_a_new_id()
    {
        string id = await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Flytta mig"), EwsMailboxSeed.Day);
        string create = "<m:CreateFolder><m:ParentFolderId>" + Inbox() + "</m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>Behandlat</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>";
        (_, XDocument created) = await PostAsync(create);
        Assert.Equal("NoError", Code(created));
        string folderId = (string)created.Descendants(T + "FolderId").Single().Attribute("Id")!;
        Assert.Equal("ErrorFolderExists", Code((await PostAsync(create.Replace("Behandlat", "BEHANDLAT"))).Body));

        (_, XDocument found) = await PostAsync("<m:FindFolder Traversal=\"Shallow\"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>" +
                                               "<t:FieldURI FieldURI=\"folder:DisplayName\"/></t:AdditionalProperties></m:FolderShape>" +
                                               "<m:IndexedPageFolderView Offset=\"0\" BasePoint=\"Beginning\"/><m:ParentFolderIds>" + Inbox() + "</m:ParentFolderIds></m:FindFolder>");
        Assert.Equal("Behandlat", found.Descendants(T + "DisplayName").Single().Value);

        string move = $"<m:MoveItem><m:ToFolderId><t:FolderId Id=\"{folderId}\"/></m:ToFolderId><m:ItemIds><t:ItemId Id=\"{id}\"/></m:ItemIds></m:MoveItem>";
        (_, XDocument moved) = await PostAsync(move);
        Assert.Equal("NoError", Code(moved));
        string newId = (string)moved.Descendants(T + "ItemId").Single().Attribute("Id")!;
        Assert.NotEqual(id, newId);
        Assert.Equal("ErrorItemNotFound", Code((await PostAsync(move)).Body));
        JsonObject box = await EwsMailboxSeed.MailboxAsync(_f, EwsFixture.Anna);
        Assert.Equal("inbox/Behandlat", (string?)box["items"]![0]!["folderPath"]);
    }

    [Fact]
    public async Task Another_mailbox_needs_rights_and_must_exist_and_read_only_rights_do_not_change_it()
    {
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Order 1", to: EwsFixture.Shared), EwsMailboxSeed.Day, mailbox: EwsFixture.Shared);
        string financeId = await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(2, "Faktura", to: EwsFixture.Finance), EwsMailboxSeed.Day, mailbox: EwsFixture.Finance);
        string view = "<m:IndexedPageItemView Offset=\"0\" BasePoint=\"Beginning\"/>";
        (_, XDocument shared) = await PostAsync(FindItem(view, parent: Inbox(EwsFixture.Shared)));
        Assert.Equal("Order 1", shared.Descendants(T + "Subject").Single().Value);
        Assert.Equal("ErrorAccessDenied", Code((await PostAsync(FindItem(view, parent: Inbox("locked@olbryggeriet.example")))).Body));
        Assert.Equal("ErrorNonExistentMailbox", Code((await PostAsync(FindItem(view, parent: Inbox("ingen@olbryggeriet.example")))).Body));

        (_, XDocument finance) = await PostAsync(FindItem(view, parent: Inbox(EwsFixture.Finance)));
        string key = (string)finance.Descendants(T + "ItemId").Single().Attribute("ChangeKey")!;
        (_, XDocument refused) = await PostAsync("<m:UpdateItem MessageDisposition=\"SaveOnly\" ConflictResolution=\"AutoResolve\"><m:ItemChanges><t:ItemChange>" +
                                                 $"<t:ItemId Id=\"{financeId}\" ChangeKey=\"{key}\"/><t:Updates><t:SetItemField><t:FieldURI FieldURI=\"message:IsRead\"/>" +
                                                 "<t:Message><t:IsRead>true</t:IsRead></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>");
        Assert.Equal("ErrorAccessDenied", Code(refused));
    }

    [Fact]
    public async Task GetFolder_of_a_distinguished_folder_the_mailbox_lacks_is_ErrorFolderNotFound()
    {
        (_, XDocument body) = await PostAsync("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>" +
                                              "<t:DistinguishedFolderId Id=\"archivemsgfolderroot\"/></m:FolderIds></m:GetFolder>");
        Assert.Equal("ErrorFolderNotFound", Code(body));
    }
}

/// <summary>EwsMailboxReader (MailboxReaderFactory, Method Exchange) against the stand-in.</summary>
[Collection(EwsCollection.Name)]
public sealed class EwsMailboxReaderTests : IAsyncLifetime
{
    private readonly EwsFixture _f;

    public EwsMailboxReaderTests(EwsFixture fixture) => _f = fixture;

    public Task InitializeAsync() => _f.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IMailboxReader Reader(SettingValues? settings = null, string? mailbox = null, EwsClientTests.Log? log = null) =>
        MailboxReaderFactory.Create(settings ?? _f.Settings(), log ?? new EwsClientTests.Log(), mailbox);

    private async Task<int> RouteAsync(string name) => (int?)(await _f.StatsAsync())["byRoute"]?[name] ?? 0;

    [Fact]
    public async Task Lists_more_than_one_page_oldest_first_with_recipients_in_one_GetItem_per_page()
    {
        const int count = EwsMailboxRequests.PageSize * 2 + 17;
        // Seeded newest first, so only the reader's SortOrder puts them oldest first.
        for (int i = count; i >= 1; i--)
        {
            await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(i, $"Faktura {i:000}", cc: "Ekonomi <ekonomi@olbryggeriet.example>"), EwsMailboxSeed.Day.AddMinutes(i));
        }

        using IMailboxReader reader = Reader();
        Assert.Equal("Inbox", await reader.OpenFolderAsync(FolderPath.Inbox, forWrite: false, CancellationToken.None));
        IReadOnlyList<MailSummary> list = await reader.ListAsync(new MailQuery(), CancellationToken.None);
        Assert.Equal(count, list.Count);
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"Faktura {i:000}"), list.Select(m => m.Subject));
        Assert.All(list, m => Assert.Equal(new[] { EwsFixture.Anna }, m.To));
        Assert.All(list, m => Assert.Equal(new[] { "\"Ekonomi\" <ekonomi@olbryggeriet.example>" }, m.Cc));
        Assert.Equal("leverantor@example.se", list[0].From);
        Assert.Equal("msg1@example.se", list[0].MessageId);
        Assert.Equal(EwsMailboxSeed.Day.AddMinutes(1), list[0].Received);
        Assert.False(list[0].IsDeliveryReport);
        // Three pages: three FindItem and three GetItem requests, never one per message.
        Assert.Equal(3, await RouteAsync("ews.FindItem"));
        Assert.Equal(3, await RouteAsync("ews.GetItem"));
    }

    [Fact]
    public async Task First_takes_the_oldest_and_Since_and_UnreadOnly_filter_on_the_server()
    {
        for (int i = 1; i <= 8; i++)
        {
            await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(i, "M" + i), EwsMailboxSeed.Day.AddHours(i), isRead: i % 2 == 0);
        }

        using IMailboxReader reader = Reader();
        await reader.OpenFolderAsync(FolderPath.Parse("inkorg", "Folder"), false, CancellationToken.None);
        Assert.Equal(new[] { "M1", "M2", "M3" }, (await reader.ListAsync(new MailQuery { First = 3 }, CancellationToken.None)).Select(m => m.Subject));
        Assert.Equal(new[] { "M5", "M6", "M7", "M8" },
            (await reader.ListAsync(new MailQuery { Since = EwsMailboxSeed.Day.AddHours(5) }, CancellationToken.None)).Select(m => m.Subject));
        IReadOnlyList<MailSummary> unread = await reader.ListAsync(new MailQuery { UnreadOnly = true, Since = EwsMailboxSeed.Day.AddHours(2), First = 2 }, CancellationToken.None);
        Assert.Equal(new[] { "M3", "M5" }, unread.Select(m => m.Subject));
        Assert.All(unread, m => Assert.False(m.IsRead));
    }

    [Fact]
    public async Task Downloads_the_MIME_of_a_32_MB_message_byte_for_byte()
    {
        var attachment = new byte[24 * 1024 * 1024];
        new Random(7).NextBytes(attachment);
        string mime = EwsMailboxSeed.Mime(1, "Stor faktura", attachment: attachment);
        await EwsMailboxSeed.SeedAsync(_f, mime, EwsMailboxSeed.Day);
        using IMailboxReader reader = Reader();
        await reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None);
        MailSummary message = Assert.Single(await reader.ListAsync(new MailQuery(), CancellationToken.None));
        Assert.True(message.HasAttachments);

        string path = Path.Combine(_f.Folder, "download.eml");
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            await reader.DownloadAsync(message, file, CancellationToken.None);
        }

        Assert.Equal(Encoding.UTF8.GetByteCount(mime), new FileInfo(path).Length);
        await using (FileStream read = File.OpenRead(path))
        {
            Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(mime)), await SHA256.HashDataAsync(read));
        }
        // The memory bound is measured alone (the stand-in shares this process): MimeContentReaderMemoryTests in G5Mail.Core.Tests.
    }

    [Fact]
    public async Task Marks_read_with_the_listed_ChangeKey_and_moves_into_a_folder_it_creates()
    {
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Att flytta"), EwsMailboxSeed.Day);
        using IMailboxReader reader = Reader();
        await reader.OpenFolderAsync(FolderPath.Inbox, forWrite: true, CancellationToken.None);
        MailSummary message = Assert.Single(await reader.ListAsync(new MailQuery(), CancellationToken.None));
        await reader.MarkReadAsync(message, CancellationToken.None);
        FolderPath target = FolderPath.Parse("Inbox/Behandlat/2027", "MoveTo");
        Assert.Equal("Inbox/Behandlat/2027", await reader.EnsureFolderAsync(target, CancellationToken.None));
        await reader.MoveAsync(message, target, CancellationToken.None);

        JsonObject box = await EwsMailboxSeed.MailboxAsync(_f, EwsFixture.Anna);
        JsonNode item = Assert.Single(box["items"]!.AsArray())!;
        Assert.True((bool)item["isRead"]!);
        Assert.Equal("inbox/Behandlat/2027", (string?)item["folderPath"]);
        // Seeded, marked read, moved: three versions, each with its own ChangeKey.
        Assert.Equal(3, item["changeKeys"]!.AsArray().Select(k => (string?)k).Distinct().Count());

        // A second EnsureFolder finds the folders instead of making them again.
        using IMailboxReader again = Reader();
        Assert.Equal("Inbox/Behandlat/2027", await again.EnsureFolderAsync(FolderPath.Parse("inbox/BEHANDLAT/2027", "MoveTo"), CancellationToken.None));
        Assert.Equal(2, await RouteAsync("ews.CreateFolder"));
    }

    [Fact]
    public async Task Opens_subfolders_without_case_and_a_missing_one_is_FolderNotFound()
    {
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Leverantör"), EwsMailboxSeed.Day, folder: "inbox/Leverantörsfakturor");
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(2, "Studs"), EwsMailboxSeed.Day, folder: "Studsade");
        using IMailboxReader reader = Reader();
        Assert.Equal("Inbox/Leverantörsfakturor", await reader.OpenFolderAsync(FolderPath.Parse("Inkorg/leverantörsFAKTUROR", "Folder"), false, CancellationToken.None));
        Assert.Equal("Leverantör", Assert.Single(await reader.ListAsync(new MailQuery(), CancellationToken.None)).Subject);
        Assert.Equal("Studsade", await reader.OpenFolderAsync(FolderPath.Parse("studsade", "Folder"), false, CancellationToken.None));
        Assert.Equal("Studs", Assert.Single(await reader.ListAsync(new MailQuery(), CancellationToken.None)).Subject);

        var missing = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.OpenFolderAsync(FolderPath.Parse("Inbox/Finns inte", "Folder"), false, CancellationToken.None));
        Assert.Equal(ErrorIds.FolderNotFound, missing.ErrorId);
        Assert.Equal("Inbox/Finns inte", missing.Target);
        Assert.Contains("Inbox", missing.Message);
    }

    [Fact]
    public async Task Archive_is_the_Archive_folder_beside_the_Inbox_under_its_Swedish_name_too()
    {
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Arkiverad"), EwsMailboxSeed.Day, folder: "Arkiv");
        using IMailboxReader reader = Reader();
        Assert.Equal("Arkiv", await reader.OpenFolderAsync(FolderPath.Parse("Archive", "Folder"), false, CancellationToken.None));
        Assert.Equal("Arkiverad", Assert.Single(await reader.ListAsync(new MailQuery(), CancellationToken.None)).Subject);
        // Not the archive mailbox (archivemsgfolderroot), which this mailbox does not have.
        Assert.Equal(0, (int?)(await _f.StatsAsync())["byRoute"]?["ews.schemaError"] ?? 0);
    }

    [Fact]
    public async Task Marks_and_moves_in_a_Full_Access_mailbox_and_a_read_only_one_refuses_with_PermissionDenied()
    {
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Order 1", to: EwsFixture.Shared), EwsMailboxSeed.Day, mailbox: EwsFixture.Shared);
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(2, "Faktura", to: EwsFixture.Finance), EwsMailboxSeed.Day, mailbox: EwsFixture.Finance);
        using (IMailboxReader shared = Reader(mailbox: EwsFixture.Shared))
        {
            await shared.OpenFolderAsync(FolderPath.Inbox, true, CancellationToken.None);
            MailSummary order = Assert.Single(await shared.ListAsync(new MailQuery(), CancellationToken.None));
            await shared.MarkReadAsync(order, CancellationToken.None);
            await shared.MoveAsync(order, FolderPath.Parse("Inbox/Klart", "MoveTo"), CancellationToken.None);
        }

        JsonNode item = Assert.Single((await EwsMailboxSeed.MailboxAsync(_f, EwsFixture.Shared))["items"]!.AsArray())!;
        Assert.True((bool)item["isRead"]!);
        Assert.Equal("inbox/Klart", (string?)item["folderPath"]);
        Assert.DoesNotContain((await EwsMailboxSeed.MailboxAsync(_f, EwsFixture.Anna))["folders"]!.AsArray(), f => (string?)f!["displayName"] == "Klart");

        using IMailboxReader finance = Reader(mailbox: EwsFixture.Finance);
        await finance.OpenFolderAsync(FolderPath.Inbox, true, CancellationToken.None);
        MailSummary invoice = Assert.Single(await finance.ListAsync(new MailQuery(), CancellationToken.None));
        var denied = await Assert.ThrowsAsync<G5MailErrorException>(() => finance.MarkReadAsync(invoice, CancellationToken.None));
        Assert.Equal(ErrorIds.PermissionDenied, denied.ErrorId);
    }

    [Fact]
    public async Task Reads_another_mailbox_with_rights_and_without_them_is_PermissionDenied()
    {
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Order 1", to: EwsFixture.Shared), EwsMailboxSeed.Day, mailbox: EwsFixture.Shared);
        using (IMailboxReader shared = Reader(mailbox: EwsFixture.Shared))
        {
            await shared.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None);
            Assert.Equal("Order 1", Assert.Single(await shared.ListAsync(new MailQuery(), CancellationToken.None)).Subject);
        }

        using (IMailboxReader locked = Reader(mailbox: "Låst <locked@olbryggeriet.example>"))
        {
            var denied = await Assert.ThrowsAsync<G5MailErrorException>(() => locked.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None));
            Assert.Equal(ErrorIds.PermissionDenied, denied.ErrorId);
            Assert.Contains("FullAccess", denied.Message);
        }

        using (IMailboxReader nobody = Reader(mailbox: "ingen@olbryggeriet.example"))
        {
            var none = await Assert.ThrowsAsync<G5MailErrorException>(() => nobody.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None));
            Assert.Equal(ErrorIds.InvalidSetting, none.ErrorId);
        }
    }

    [Fact]
    public async Task A_wrong_password_is_one_AuthenticationFailed_and_one_refused_sign_in_for_the_reader()
    {
        using IMailboxReader reader = Reader(_f.Settings(password: "fel-lösenord"));
        var first = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None));
        Assert.Equal(ErrorIds.AuthenticationFailed, first.ErrorId);
        Assert.Equal(FailureScope.Account, first.Scope);
        Assert.DoesNotContain("fel-lösenord", first.Message);
        // Later calls of the same reader (the same Receive-G5Mail call) fail at once, without signing in again.
        var second = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None));
        Assert.Equal(ErrorIds.AuthenticationFailed, second.ErrorId);
        await Assert.ThrowsAsync<G5MailErrorException>(() => reader.EnsureFolderAsync(FolderPath.Parse("Inbox/X", "MoveTo"), CancellationToken.None));
        Assert.Equal(1, await RouteAsync("ews.refused.Basic"));
    }

    [Fact]
    public async Task ErrorServerBusy_is_waited_out_as_Exchange_asks_and_then_succeeds()
    {
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Efter väntan"), EwsMailboxSeed.Day);
        await _f.FaultAsync(new { operation = "FindItem", responseCode = "ErrorServerBusy", backOffMilliseconds = 40, count = 2 });
        var waits = new List<TimeSpan>();
        var retry = new RetryPolicy(3) { Sleep = (delay, ct) => { waits.Add(delay); return Task.CompletedTask; } };
        var log = new EwsClientTests.Log();
        SettingValues settings = _f.Settings();
        using var reader = new EwsMailboxReader(
            new EwsTransportOptions(EwsEndpoint.Resolve(settings), G5Mail.Core.Transports.TransportFactory.CreateCertificatePolicy(settings)) { Credential = settings.Credential },
            log, null, retry);
        await reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None);
        Assert.Equal("Efter väntan", Assert.Single(await reader.ListAsync(new MailQuery(), CancellationToken.None)).Subject);
        Assert.Equal(new[] { TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(40) }, waits);

        // Throttled beyond the retries: one ConnectionFailed that ends the call.
        await _f.FaultAsync(new { operation = "FindItem", responseCode = "ErrorServerBusy", backOffMilliseconds = 40, count = 4 });
        var busy = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.ListAsync(new MailQuery(), CancellationToken.None));
        Assert.Equal(ErrorIds.ConnectionFailed, busy.ErrorId);
        Assert.Equal(FailureScope.Server, busy.Scope);
    }

    [Fact]
    public async Task A_message_gone_since_the_listing_fails_alone_as_MessageUnreadable()
    {
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Försvinner"), EwsMailboxSeed.Day);
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(2, "Stannar"), EwsMailboxSeed.Day.AddHours(1));
        using IMailboxReader reader = Reader();
        await reader.OpenFolderAsync(FolderPath.Inbox, true, CancellationToken.None);
        IReadOnlyList<MailSummary> list = await reader.ListAsync(new MailQuery(), CancellationToken.None);
        // Someone else moves the first one away.
        using (IMailboxReader other = Reader())
        {
            await other.OpenFolderAsync(FolderPath.Inbox, true, CancellationToken.None);
            await other.MoveAsync(list[0], FolderPath.Parse("Deleted Items", "MoveTo"), CancellationToken.None);
        }

        var gone = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.DownloadAsync(list[0], Stream.Null, CancellationToken.None));
        Assert.Equal(ErrorIds.MessageUnreadable, gone.ErrorId);
        Assert.Equal(FailureScope.Message, gone.Scope);
        Assert.Equal(list[0].RemoteId, gone.Target);
        var sink = new MemoryStream();
        await reader.DownloadAsync(list[1], sink, CancellationToken.None);
        Assert.Contains("Stannar", Encoding.UTF8.GetString(sink.ToArray()));
    }

    [Fact]
    public async Task Delivery_reports_are_told_by_their_message_class()
    {
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(1, "Olevererbart: Faktura 1001"), EwsMailboxSeed.Day, itemClass: "REPORT.IPM.Note.NDR");
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(2, "Läst: Faktura 1002"), EwsMailboxSeed.Day.AddHours(1), itemClass: "REPORT.IPM.Note.IPNRN");
        await EwsMailboxSeed.SeedAsync(_f, EwsMailboxSeed.Mime(3, "Vanligt"), EwsMailboxSeed.Day.AddHours(2));
        using IMailboxReader reader = Reader();
        await reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None);
        Assert.Equal(new bool?[] { true, false, false },
            (await reader.ListAsync(new MailQuery { DeliveryReportsOnly = true }, CancellationToken.None)).Select(m => m.IsDeliveryReport));
    }
}
