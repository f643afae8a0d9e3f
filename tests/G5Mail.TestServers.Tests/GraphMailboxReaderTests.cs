using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.ExchangeOnline;
using Microsoft.Identity.Client;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>G5Mail's GraphMailboxReader against the Graph stand-in: what Receive-G5Mail asks of a mailbox with Method ExchangeOnline.</summary>
[Collection(ServerCollection.Name)]
public sealed class GraphMailboxReaderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    private readonly ServerFixture _f;

    public GraphMailboxReaderTests(ServerFixture fixture) => _f = fixture;

    /// <summary>App-only tokens from the stand-in's Entra ID through MSAL, counted.</summary>
    private sealed class AppTokens : IAccessTokenSource
    {
        private readonly IConfidentialClientApplication _app;
        private readonly string _resource;

        public AppTokens(IConfidentialClientApplication app, string resource)
        {
            _app = app;
            _resource = resource;
        }

        public int Requests { get; private set; }

        public async Task<AccessToken> GetTokenAsync(TokenAudience audience, CancellationToken cancellationToken)
        {
            Requests++;
            AuthenticationResult r = await _app.AcquireTokenForClient(new[] { _resource + "/.default" }).ExecuteAsync(cancellationToken);
            return new AccessToken(r.AccessToken, r.ExpiresOn, AccessTokenClaims.TryRead(r.AccessToken) ?? AccessTokenClaims.Empty);
        }

        public Task<AccessToken> RefreshTokenAsync(TokenAudience audience, AccessToken rejected, string? claims, CancellationToken cancellationToken) =>
            GetTokenAsync(audience, cancellationToken);
    }

    private GraphMailboxReader Reader(Guid app, string secret, string? mailbox = null)
    {
        var settings = new SettingValues
        {
            Method = MailMethod.ExchangeOnline,
            ClientId = app,
            TenantId = ServerFixture.TenantId.ToString(),
            ClientSecret = new NetworkCredential("", secret).SecurePassword,
            AuthorityHost = new Uri(_f.BaseUrl),
            GraphEndpoint = new Uri(_f.BaseUrl),
            From = ServerFixture.Alice,
            TimeoutSeconds = 10,
        };
        ExchangeOnlineOptions options = ExchangeOnlineOptions.FromSettings(settings);
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = _f.Pki.Validate };
        return new GraphMailboxReader(options, new AppTokens(_f.Confidential(app, secret), options.GraphResource), NullRunLog.Instance, mailbox ?? ServerFixture.Alice, handler);
    }

    private GraphMailboxReader ReadWrite() => Reader(ServerFixture.SenderAppId, ServerFixture.SenderSecret);

    private async Task<JsonNode> DumpAsync() => (await _f.SendAsync(HttpMethod.Get, $"/_test/mailbox/{ServerFixture.Alice}", null)).Body!;

    private async Task<int> RouteCountAsync(string route) => (int?)(await _f.StatsAsync())["byRoute"]?[route] ?? 0;

    [Fact]
    public async Task Lists_AFolderPath_OldestFirst_AcrossPages_WithSizeClassAndAddresses()
    {
        await _f.ResetAsync();
        int count = GraphMailboxReader.PageSize + 30;
        for (int i = 0; i < count; i++)
        {
            await GraphMailboxTests.SeedAsync(_f, $"Faktura {i:000}", T0.AddMinutes(count - i), folder: "Inbox/Leverantörsfakturor",
                messageClass: i == 7 ? "REPORT.IPM.Note.NDR" : "IPM.Note");
        }

        await GraphMailboxTests.SeedAsync(_f, "Not in the subfolder", T0, folder: "Inbox");
        using GraphMailboxReader reader = ReadWrite();
        string folder = await reader.OpenFolderAsync(FolderPath.Parse("inkorg/LEVERANTÖRSFAKTUROR", "Folder"), false, default);
        Assert.Equal("Inbox/Leverantörsfakturor", folder);

        IReadOnlyList<MailSummary> all = await reader.ListAsync(new MailQuery(), default);
        Assert.Equal(count, all.Count);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"Faktura {count - 1 - i:000}"), all.Select(m => m.Subject));
        Assert.Equal(2, await RouteCountAsync("listMessages"));

        MailSummary report = all.Single(m => m.Subject == "Faktura 007");
        Assert.True(report.IsDeliveryReport);
        Assert.All(all.Where(m => m != report), m => Assert.False(m.IsDeliveryReport));
        Assert.All(all, m => Assert.True(m.Size > 200));
        Assert.EndsWith("@supplier.test", report.MessageId);
        Assert.DoesNotContain("<", report.MessageId);
        Assert.Equal("Leverantör <faktura@supplier.test>", report.From);
        Assert.Equal(new[] { ServerFixture.Alice }, report.To);
        Assert.Equal(new[] { "ekonomi@g5mail.test" }, report.Cc);

        // DeliveryReportsOnly: the listing's message class leaves the others out.
        IReadOnlyList<MailSummary> reports = await reader.ListAsync(new MailQuery { DeliveryReportsOnly = true }, default);
        Assert.Equal("Faktura 007", Assert.Single(reports).Subject);
    }

    [Fact]
    public async Task First_Since_AndUnreadOnly_AreAskedOfGraph()
    {
        await _f.ResetAsync();
        for (int i = 0; i < 12; i++) await GraphMailboxTests.SeedAsync(_f, $"M{i:00}", T0.AddHours(i), isRead: i % 2 == 0);
        using GraphMailboxReader reader = ReadWrite();
        await reader.OpenFolderAsync(FolderPath.Inbox, false, default);

        IReadOnlyList<MailSummary> first = await reader.ListAsync(new MailQuery { First = 3 }, default);
        Assert.Equal(new[] { "M00", "M01", "M02" }, first.Select(m => m.Subject));
        Assert.Equal(1, await RouteCountAsync("listMessages"));

        IReadOnlyList<MailSummary> unread = await reader.ListAsync(new MailQuery { Since = T0.AddHours(5), UnreadOnly = true, First = 2 }, default);
        Assert.Equal(new[] { "M05", "M07" }, unread.Select(m => m.Subject));
        Assert.All(unread, m => Assert.False(m.IsRead));
    }

    [Fact]
    public async Task Downloads_TheMime_MarksRead_AndMovesIntoAFolderItCreates()
    {
        await _f.ResetAsync();
        await GraphMailboxTests.SeedAsync(_f, "Faktura 55", T0, attachment: "55.pdf");
        using GraphMailboxReader reader = ReadWrite();
        await reader.OpenFolderAsync(FolderPath.Inbox, true, default);
        MailSummary message = Assert.Single(await reader.ListAsync(new MailQuery(), default));
        Assert.True(message.HasAttachments);

        using var mime = new MemoryStream();
        await reader.DownloadAsync(message, mime, default);
        string text = Encoding.UTF8.GetString(mime.ToArray());
        Assert.Contains("Subject: Faktura 55", text);
        Assert.Contains("filename=\"55.pdf\"", text);
        Assert.Equal(message.Size, mime.Length);

        FolderPath target = FolderPath.Parse("Inbox/Studsade/2026", "MoveTo");
        Assert.Equal("Inbox/Studsade/2026", await reader.EnsureFolderAsync(target, default));
        await reader.MarkReadAsync(message, default);
        await reader.MoveAsync(message, target, default);

        JsonNode dump = await DumpAsync();
        JsonNode stored = dump["messages"]!.AsArray().Single()!;
        Assert.True((bool)stored["isRead"]!);
        Assert.Equal("Inbox/Studsade/2026", (string?)stored["folder"]);
        Assert.Equal(2, await RouteCountAsync("createChildFolder")); // Studsade and 2026

        // A second reader finds the folders rather than creating them again.
        using GraphMailboxReader again = ReadWrite();
        await again.EnsureFolderAsync(target, default);
        Assert.Equal(2, await RouteCountAsync("createChildFolder"));
    }

    [Fact]
    public async Task AFolderThatDoesNotExist_IsFolderNotFound_AndQuotesInNamesAreEscaped()
    {
        await _f.ResetAsync();
        await GraphMailboxTests.SeedAsync(_f, "x", T0, folder: "Inbox/O'Brien AB");
        using GraphMailboxReader reader = ReadWrite();
        var missing = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.OpenFolderAsync(FolderPath.Parse("Inbox/Saknas", "Folder"), false, default));
        Assert.Equal(ErrorIds.FolderNotFound, missing.ErrorId);
        Assert.Equal("Inbox/Saknas", missing.Target);

        Assert.Equal("Inbox/O'Brien AB", await reader.OpenFolderAsync(FolderPath.Parse("Inbox/o'brien ab", "Folder"), false, default));
        Assert.Single(await reader.ListAsync(new MailQuery(), default));

        using GraphMailboxReader nobody = Reader(ServerFixture.SenderAppId, ServerFixture.SenderSecret, "nobody@g5mail.test");
        var noMailbox = await Assert.ThrowsAsync<G5MailErrorException>(() => nobody.OpenFolderAsync(FolderPath.Inbox, false, default));
        Assert.Equal(ErrorIds.FolderNotFound, noMailbox.ErrorId);
        Assert.Contains("nobody@g5mail.test", noMailbox.Message);
        Assert.Equal(FailureScope.Account, noMailbox.Scope);
    }

    [Fact]
    public async Task WithoutMailReadWrite_MarkingIsPermissionDeniedForTheCall_AndNothingChanges()
    {
        await _f.ResetAsync();
        await GraphMailboxTests.SeedAsync(_f, "Faktura 1", T0);
        using GraphMailboxReader reader = Reader(ServerFixture.ReaderAppId, ServerFixture.ReaderSecret);
        await reader.OpenFolderAsync(FolderPath.Inbox, true, default);
        MailSummary message = Assert.Single(await reader.ListAsync(new MailQuery(), default));

        var denied = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.MarkReadAsync(message, default));
        Assert.Equal(ErrorIds.PermissionDenied, denied.ErrorId);
        Assert.Equal(FailureScope.Account, denied.Scope);
        Assert.Contains("application permission Mail.ReadWrite", denied.Message);
        Assert.False((bool)(await DumpAsync())["messages"]![0]!["isRead"]!);

        using GraphMailboxReader none = Reader(ServerFixture.CalendarAppId, ServerFixture.CalendarSecret);
        var cannotRead = await Assert.ThrowsAsync<G5MailErrorException>(() => none.OpenFolderAsync(FolderPath.Inbox, false, default));
        Assert.Equal(ErrorIds.PermissionDenied, cannotRead.ErrorId);
        Assert.Contains("Mail.Read", cannotRead.Message);
    }

    [Fact]
    public async Task Throttling_IsWaitedOut_AndAMessageGoneMeanwhileFailsAlone()
    {
        await _f.ResetAsync();
        for (int i = 0; i < 2; i++) await GraphMailboxTests.SeedAsync(_f, $"M{i}", T0.AddMinutes(i));
        (int status, _, _) = await _f.SendAsync(HttpMethod.Post, "/_test/faults", null,
            ServerFixture.Json(new JsonObject { ["path"] = "listMessages", ["status"] = 429, ["retryAfterSeconds"] = 1, ["count"] = 1 }));
        Assert.Equal(201, status);

        using GraphMailboxReader reader = ReadWrite();
        await reader.OpenFolderAsync(FolderPath.Inbox, true, default);
        IReadOnlyList<MailSummary> listed = await reader.ListAsync(new MailQuery(), default);
        Assert.Equal(2, listed.Count);
        Assert.Equal(1, (int)(await _f.StatsAsync())["faultsInjected"]!);
        Assert.Equal(2, await RouteCountAsync("listMessages"));

        // Another client moves the first message away: reading it fails for that message only.
        string token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        (status, _, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages/{Uri.EscapeDataString(listed[0].RemoteId)}/move", token,
            ServerFixture.Json(new JsonObject { ["destinationId"] = "deleteditems" }));
        Assert.Equal(201, status);
        var gone = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.DownloadAsync(listed[0], new MemoryStream(), default));
        Assert.Equal(ErrorIds.MessageUnreadable, gone.ErrorId);
        Assert.Equal(FailureScope.Message, gone.Scope);
        Assert.Equal(listed[0].RemoteId, gone.Target);
        var goneMark = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.MarkReadAsync(listed[0], default));
        Assert.Equal(ErrorIds.MessageUnreadable, goneMark.ErrorId);

        using var second = new MemoryStream();
        await reader.DownloadAsync(listed[1], second, default);
        Assert.True(second.Length > 0);
    }
}
