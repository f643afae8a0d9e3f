using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using G5Mail.Core.Transports.Exchange;
using MimeKit;
using G5Mail.TestSmtp;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>The EWS stand-in on its own Kestrel (HTTPS, 127.0.0.1) with one mailbox user and an SMTP sink as relay.</summary>
public sealed class EwsFixture : IAsyncLifetime
{
    public const string Anna = "anna@olbryggeriet.example";
    public const string AnnaLogin = @"G5TEST\anna";
    public const string AnnaPassword = "Anna-Ews-Pässword-7!";
    public const string Shared = "order@olbryggeriet.example";

    /// <summary>A mailbox Anna may read but not change (Reviewer).</summary>
    public const string Finance = "ekonomi@olbryggeriet.example";
    public const string Unresolvable = "nobody@olbryggeriet.example";

    public TestPki Pki { get; } = new();
    public TestSmtpServer Sink { get; } = TestSmtpServer.Start();
    public TestServerHost Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string ServerThumbprint { get; private set; } = "";
    public string BaseUrl => Host.BaseUri.GetLeftPart(UriPartial.Authority);
    public string EwsUrl => BaseUrl + "/EWS/Exchange.asmx";
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "g5mail-ews-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        var config = new TestServerConfig
        {
            Certificate = new CertificateConfig { Path = Pki.ServerPfxPath },
            Smtp = new SmtpRelayConfig { Host = "127.0.0.1", Port = Sink.Port },
            Ews = new EwsConfig
            {
                Users =
                {
                    new EwsUserConfig
                    {
                        UserName = AnnaLogin, Password = AnnaPassword, EmailAddress = Anna, DisplayName = "Anna Ölbryggare",
                        MailboxAccess = { Shared }, MailboxReadAccess = { Finance },
                    },
                    new EwsUserConfig { UserName = @"G5TEST\order", Password = "Order-Shared-1!", EmailAddress = Shared, DisplayName = "Order" },
                    new EwsUserConfig { UserName = @"G5TEST\ekonomi", Password = "Ekonomi-1!", EmailAddress = Finance, DisplayName = "Ekonomi" },
                    new EwsUserConfig { UserName = @"G5TEST\locked", Password = "Locked-1!", EmailAddress = "locked@olbryggeriet.example", AccessDenied = true },
                },
                InvalidRecipients = { Unresolvable },
            },
        };
        Host = await TestServerHost.StartAsync(config);
        Http = Pki.CreateHttpClient();
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(Pki.ServerPfxPath, null);
        ServerThumbprint = certificate.Thumbprint;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        Sink.Dispose();
        Pki.Dispose();
        Directory.Delete(Folder, true);
    }

    public async Task ResetAsync()
    {
        (await Http.PostAsync(BaseUrl + "/_test/ews/reset", null)).EnsureSuccessStatusCode();
        (await Http.PostAsync(BaseUrl + "/_test/reset", null)).EnsureSuccessStatusCode();
        Sink.Reset();
    }

    public async Task FaultAsync(object rule)
    {
        using HttpResponseMessage r = await Http.PostAsync(BaseUrl + "/_test/ews/faults",
            new StringContent(System.Text.Json.JsonSerializer.Serialize(rule), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
    }

    public async Task<JsonNode> StatsAsync() => JsonNode.Parse(await Http.GetStringAsync(BaseUrl + "/_test/stats"))!;

    public SettingValues Settings(string? password = null, string? login = null) => new()
    {
        Method = MailMethod.Exchange,
        Server = EwsUrl,
        From = Anna,
        CertificateThumbprint = ServerThumbprint,
        SkipCertificateCheck = false,
        Credential = new NetworkCredential(login ?? AnnaLogin, password ?? AnnaPassword),
        MaxAttachmentSizeMB = 10,
        CombineDocuments = false,
        SendCopyToSelf = CopyToSelf.None,
    };
}

[CollectionDefinition(Name)]
public sealed class EwsCollection : ICollectionFixture<EwsFixture>
{
    public const string Name = "ews server";
}

/// <summary>The stand-in's own contract: authentication challenge, strict schema checks, limits, response shapes.</summary>
[Collection(EwsCollection.Name)]
public sealed class EwsStandInTests : IAsyncLifetime
{
    private const string Envelope = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" " +
                                    "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\" " +
                                    "xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\">" +
                                    "<soap:Header><t:RequestServerVersion Version=\"Exchange2013\"/></soap:Header><soap:Body>{0}</soap:Body></soap:Envelope>";

    private readonly EwsFixture _f;

    public EwsStandInTests(EwsFixture fixture) => _f = fixture;

    public Task InitializeAsync() => _f.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static string CreateItem(string message, string disposition = " MessageDisposition=\"SendAndSaveCopy\"") =>
        string.Format(Envelope, $"<m:CreateItem{disposition}><m:SavedItemFolderId><t:DistinguishedFolderId Id=\"sentitems\"/></m:SavedItemFolderId>" +
                                $"<m:Items><t:Message>{message}</t:Message></m:Items></m:CreateItem>");

    private const string Recipient = "<t:ToRecipients><t:Mailbox><t:EmailAddress>kund@example.se</t:EmailAddress></t:Mailbox></t:ToRecipients>";

    private async Task<(HttpStatusCode Status, XDocument? Body, HttpResponseMessage Response)> PostAsync(string xml, string? login = EwsFixture.AnnaLogin,
        string password = EwsFixture.AnnaPassword)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _f.EwsUrl) { Content = new StringContent(xml, Encoding.UTF8, "text/xml") };
        if (login is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(login + ":" + password)));
        }

        HttpResponseMessage response = await _f.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType == "text/xml" ? XDocument.Parse(text) : null, response);
    }

    private static string? Code(XDocument body) =>
        body.Descendants().FirstOrDefault(e => e.Name.LocalName == "ResponseCode")?.Value;

    [Fact]
    public async Task An_anonymous_request_is_challenged_with_Negotiate_NTLM_and_Basic_like_IIS()
    {
        (HttpStatusCode status, _, HttpResponseMessage response) = await PostAsync(CreateItem(Recipient), login: null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        string[] challenges = response.Headers.WwwAuthenticate.Select(h => h.ToString()).ToArray();
        Assert.Equal(new[] { "Negotiate", "NTLM", "Basic realm=\"127.0.0.1\"" }, challenges);
    }

    [Fact]
    public async Task A_wrong_password_and_a_Negotiate_token_are_both_refused()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(CreateItem(Recipient), password: "wrong")).Status);
        var request = new HttpRequestMessage(HttpMethod.Post, _f.EwsUrl) { Content = new StringContent(CreateItem(Recipient), Encoding.UTF8, "text/xml") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Negotiate", "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _f.Http.SendAsync(request)).StatusCode);
        Assert.Equal(0, (int?)(await _f.StatsAsync())["messagesDelivered"]);
    }

    [Fact]
    public async Task Message_children_out_of_schema_order_fail_schema_validation_with_a_SOAP_fault()
    {
        // Subject must come after ItemClass (MessageType: ItemClass, Subject, Sensitivity, Body, ...).
        (HttpStatusCode status, XDocument? body, _) = await PostAsync(CreateItem("<t:Subject>x</t:Subject><t:ItemClass>IPM.Note</t:ItemClass>" + Recipient));
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        XElement fault = body!.Descendants(XName.Get("Fault", EwsNs.Soap)).Single();
        Assert.Equal("a:ErrorSchemaValidation", fault.Element("faultcode")!.Value);
        Assert.Equal("ErrorSchemaValidation", fault.Element("detail")!.Element(XName.Get("ResponseCode", EwsNs.Errors))!.Value);
        Assert.Contains("'ItemClass'", fault.Element("faultstring")!.Value);
        Assert.NotNull(fault.Element("detail")!.Element(XName.Get("Line", EwsNs.Errors)));
    }

    [Fact]
    public async Task Recipients_before_the_body_and_content_before_the_name_are_out_of_order_too()
    {
        Assert.Equal(HttpStatusCode.InternalServerError, (await PostAsync(CreateItem(Recipient + "<t:Body BodyType=\"Text\">x</t:Body>"))).Status);
        string attachment = "<t:Attachments><t:FileAttachment><t:Content>AAEC</t:Content><t:Name>a.pdf</t:Name></t:FileAttachment></t:Attachments>";
        Assert.Equal(HttpStatusCode.InternalServerError, (await PostAsync(CreateItem(attachment + Recipient))).Status);
    }

    [Fact]
    public async Task Invalid_base64_a_missing_BodyType_and_a_wrong_namespace_are_rejected()
    {
        string badBase64 = "<t:Attachments><t:FileAttachment><t:Name>a.pdf</t:Name><t:Content>@@not base64@@</t:Content></t:FileAttachment></t:Attachments>";
        Assert.Equal(HttpStatusCode.InternalServerError, (await PostAsync(CreateItem(badBase64 + Recipient))).Status);
        Assert.Equal(HttpStatusCode.InternalServerError, (await PostAsync(CreateItem("<t:Body>x</t:Body>" + Recipient))).Status);
        string wrongNs = CreateItem(Recipient).Replace("<t:Message>", "<m:Message>").Replace("</t:Message>", "</m:Message>");
        Assert.Equal(HttpStatusCode.InternalServerError, (await PostAsync(wrongNs)).Status);
        Assert.Empty(_f.Sink.Accepted);
    }

    [Fact]
    public async Task CreateItem_without_MessageDisposition_answers_ErrorMessageDispositionRequired()
    {
        (HttpStatusCode status, XDocument? body, _) = await PostAsync(CreateItem(Recipient, disposition: ""));
        Assert.Equal(HttpStatusCode.OK, status);
        XElement message = body!.Descendants(XName.Get("CreateItemResponseMessage", EwsNs.Messages)).Single();
        Assert.Equal("Error", (string?)message.Attribute("ResponseClass"));
        Assert.Equal("ErrorMessageDispositionRequired", Code(body));
    }

    [Fact]
    public async Task SendAndSaveCopy_delivers_and_answers_Success_with_empty_Items_and_the_server_version()
    {
        (HttpStatusCode status, XDocument? body, _) = await PostAsync(CreateItem("<t:Subject>Hej</t:Subject><t:Body BodyType=\"Text\">Text</t:Body>" + Recipient));
        Assert.Equal(HttpStatusCode.OK, status);
        XElement message = body!.Descendants(XName.Get("CreateItemResponseMessage", EwsNs.Messages)).Single();
        Assert.Equal("Success", (string?)message.Attribute("ResponseClass"));
        Assert.Equal("NoError", Code(body));
        Assert.Empty(message.Element(XName.Get("Items", EwsNs.Messages))!.Elements());
        XElement version = body.Descendants(XName.Get("ServerVersionInfo", EwsNs.Types)).Single();
        Assert.Equal("15", (string?)version.Attribute("MajorVersion"));
        Assert.Equal("2", (string?)version.Attribute("MinorVersion"));
        Assert.Single(_f.Sink.Accepted);
    }

    [Fact]
    public async Task A_request_over_the_limit_gets_413_from_its_Content_Length()
    {
        using (HttpResponseMessage r = await _f.Http.PostAsync(_f.BaseUrl + "/_test/ews/limits", new StringContent("{\"maxRequestBytes\":1000}", Encoding.UTF8, "application/json")))
        {
            r.EnsureSuccessStatusCode();
        }

        string big = CreateItem("<t:Body BodyType=\"Text\">" + new string('x', 2000) + "</t:Body>" + Recipient);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync(big)).Status);
        Assert.Equal(1, (int?)(await _f.StatsAsync())["byRoute"]!["ews.tooLarge"]);
    }

    [Fact]
    public async Task GetFolder_of_sentitems_returns_the_folder_and_a_FolderId_it_does_not_know_is_malformed()
    {
        string get = string.Format(Envelope, "<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>" +
                                              "<t:DistinguishedFolderId Id=\"sentitems\"/><t:FolderId Id=\"AAMk\"/></m:FolderIds></m:GetFolder>");
        (HttpStatusCode status, XDocument? body, _) = await PostAsync(get);
        Assert.Equal(HttpStatusCode.OK, status);
        XElement[] messages = body!.Descendants(XName.Get("GetFolderResponseMessage", EwsNs.Messages)).ToArray();
        Assert.Equal(2, messages.Length);
        Assert.Equal("Sent Items", messages[0].Descendants(XName.Get("DisplayName", EwsNs.Types)).Single().Value);
        Assert.Equal("ErrorInvalidIdMalformed", messages[1].Element(XName.Get("ResponseCode", EwsNs.Messages))!.Value);
    }
}

/// <summary>G5Mail's EWS client (the real pipeline: collector, planner, composer, EwsTransport) against the stand-in.</summary>
[Collection(EwsCollection.Name)]
public sealed class EwsClientTests : IAsyncLifetime
{
    private readonly EwsFixture _f;

    public EwsClientTests(EwsFixture fixture) => _f = fixture;

    public Task InitializeAsync() => _f.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The run log of the EWS client tests (EwsMailboxReaderTests too).</summary>
    internal sealed class Log : IRunLog
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public void Verbose(string message) => Lines.Enqueue("VERBOSE: " + message);
        public void Warning(string message) => Lines.Enqueue("WARNING: " + message);
    }

    private string File(string name, int length, int seed)
    {
        string path = Path.Combine(_f.Folder, name);
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    private static List<SendResult> Send(SettingValues settings, Func<IMessageTransport> transport, IRunLog log, params DocumentRequest[] requests) =>
        Send(settings, transport, log, RetryPolicy.Default, requests);

    private static List<SendResult> Send(SettingValues settings, Func<IMessageTransport> transport, IRunLog log, RetryPolicy retry, params DocumentRequest[] requests)
    {
        using var run = new SendRun(new SendRunOptions(settings) { Subject = "Beställning {DocumentIds}", Retry = retry }, transport, log);
        var outcomes = new List<SendResult>();
        foreach (DocumentRequest r in requests)
        {
            SendResult? rejected = run.Collect(r);
            if (rejected is not null) outcomes.Add(rejected);
        }

        outcomes.AddRange(run.Plan().Messages.Select(p => run.SendAsync(p, CancellationToken.None).GetAwaiter().GetResult()));
        return outcomes;
    }

    private static EwsTransport Transport(SettingValues settings, IRunLog log) =>
        new(new EwsTransportOptions(EwsEndpoint.Resolve(settings), TransportFactory.CreateCertificatePolicy(settings))
        {
            Credential = settings.Credential,
        }, log);

    /// <summary>The engine's default retry policy, recording its waits instead of sleeping.</summary>
    private static RetryPolicy RecordingPolicy(List<TimeSpan> waits) => new()
    {
        Sleep = (wait, _) =>
        {
            waits.Add(wait);
            return Task.CompletedTask;
        },
    };

    [Fact]
    public async Task A_document_arrives_byte_for_byte_with_its_Swedish_names_and_the_reported_Message_Id()
    {
        string pdf = File("Offert Åhus 1001.pdf", 300_000, 1);
        string xml = File("Offert Åhus 1001.xml", 2_000, 2);
        SettingValues settings = _f.Settings();
        var log = new Log();
        SendResult outcome = Send(settings, () => TransportFactory.Create(settings, log), log,
            new DocumentRequest { Paths = new[] { pdf, xml }, To = new[] { "Inköp Åhus <inkop@ahustra.example>" } }).Single();

        Assert.True(outcome.Status == SendStatus.Sent, outcome.Error);
        AcceptedMessage mail = Assert.Single(_f.Sink.Accepted);
        MimeMessage mime = MimeMessage.Load(new MemoryStream(mail.Data));
        Assert.Equal(outcome.MessageId!.Trim('<', '>'), mime.MessageId);
        Assert.Equal("Beställning Offert Åhus 1001", mime.Subject);
        Assert.Equal(EwsFixture.Anna, mime.From.Mailboxes.Single().Address);
        Assert.Equal("Inköp Åhus", mime.To.Mailboxes.Single().Name);
        MimePart[] parts = mime.Attachments.OfType<MimePart>().ToArray();
        Assert.Equal(new[] { "Offert Åhus 1001.pdf", "Offert Åhus 1001.xml" }, parts.Select(p => p.FileName));
        Assert.Equal("application/pdf", parts[0].ContentType.MimeType);
        for (int i = 0; i < 2; i++)
        {
            using var decoded = new MemoryStream();
            parts[i].Content!.DecodeTo(decoded);
            Assert.Equal(System.IO.File.ReadAllBytes(i == 0 ? pdf : xml), decoded.ToArray());
        }

        JsonNode items = JsonNode.Parse(await _f.Http.GetStringAsync(_f.BaseUrl + "/_test/ews/items"))!;
        Assert.Equal("sentitems", (string?)items[0]!["folder"]);
        Assert.Equal(outcome.MessageId, (string?)items[0]!["internetMessageId"]);
        Assert.Contains(log.Lines, l => l.Contains("CreateItem", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Lines, l => l.Contains(EwsFixture.AnnaPassword, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ErrorServerBusy_is_retried_after_the_BackOffMilliseconds_and_then_succeeds()
    {
        await _f.FaultAsync(new { operation = "CreateItem", responseCode = "ErrorServerBusy", backOffMilliseconds = 1234, count = 2 });
        SettingValues settings = _f.Settings();
        var waits = new List<TimeSpan>();
        var log = new Log();
        SendResult outcome = Send(settings, () => Transport(settings, log), log, RecordingPolicy(waits),
            new DocumentRequest { Paths = new[] { File("busy.pdf", 10_000, 3) }, To = new[] { "kund@example.se" } }).Single();

        Assert.Equal(SendStatus.Sent, outcome.Status);
        Assert.Equal(new[] { TimeSpan.FromMilliseconds(1234), TimeSpan.FromMilliseconds(1234) }, waits);
        Assert.Equal(2, log.Lines.Count(l => l.Contains("after ErrorServerBusy (BackOffMilliseconds 1234)", StringComparison.Ordinal)));
        Assert.Equal(3, (int?)(await _f.StatsAsync())["byRoute"]!["ews.CreateItem"]);
        Assert.Single(_f.Sink.Accepted);
    }

    [Fact]
    public async Task Busy_as_a_response_message_is_retried_too_and_a_server_that_stays_busy_fails_after_three_retries()
    {
        await _f.FaultAsync(new { operation = "CreateItem", responseCode = "ErrorServerBusy", httpStatus = 200, backOffMilliseconds = 10, count = -1 });
        SettingValues settings = _f.Settings();
        var waits = new List<TimeSpan>();
        var log = new Log();
        SendResult outcome = Send(settings, () => Transport(settings, log), log, RecordingPolicy(waits),
            new DocumentRequest { Paths = new[] { File("busy2.pdf", 10_000, 4) }, To = new[] { "kund@example.se" } }).Single();

        Assert.Equal(SendStatus.Failed, outcome.Status);
        Assert.Equal(ErrorIds.SendFailed, outcome.Exception!.ErrorId);
        Assert.Contains("ErrorServerBusy", outcome.Exception!.Message);
        Assert.Contains("tried 4 times", outcome.Exception!.Message);
        Assert.Equal(3, waits.Count);
        Assert.Equal(4, (int?)(await _f.StatsAsync())["byRoute"]!["ews.CreateItem"]);
        Assert.Empty(_f.Sink.Accepted);
    }

    [Fact]
    public async Task A_back_off_longer_than_the_policy_allows_is_waited_only_up_to_its_bound()
    {
        await _f.FaultAsync(new { operation = "CreateItem", responseCode = "ErrorServerBusy", backOffMilliseconds = 900_000, count = 1 });
        SettingValues settings = _f.Settings();
        var waits = new List<TimeSpan>();
        var log = new Log();
        SendResult outcome = Send(settings, () => Transport(settings, log), log, RecordingPolicy(waits),
            new DocumentRequest { Paths = new[] { File("busy3.pdf", 1_000, 5) }, To = new[] { "kund@example.se" } }).Single();
        Assert.Equal(SendStatus.Sent, outcome.Status);
        Assert.Equal(new[] { RetryPolicy.DefaultMaxServerDelay }, waits);
        Assert.Contains(log.Lines, l => l.Contains("in 300.0 s (the server asked for 900.0 s)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_password_is_AuthenticationFailed_and_the_password_is_in_no_message()
    {
        SettingValues settings = _f.Settings(password: "Wrong-Pässword-1");
        var log = new Log();
        SendResult outcome = Send(settings, () => TransportFactory.Create(settings, log), log,
            new DocumentRequest { Paths = new[] { File("auth.pdf", 1_000, 6) }, To = new[] { "kund@example.se" } }).Single();
        Assert.Equal(ErrorIds.AuthenticationFailed, outcome.Exception!.ErrorId);
        Assert.Contains(EwsFixture.AnnaLogin, outcome.Exception.Message);
        Assert.DoesNotContain("Wrong-Pässword-1", outcome.Error!);
        Assert.DoesNotContain(log.Lines, l => l.Contains("Wrong-Pässword-1", StringComparison.Ordinal));
    }

    [Fact]
    public void Exchange_errors_map_to_the_contract_ids()
    {
        SettingValues settings = _f.Settings();
        var log = new Log();
        List<SendResult> outcomes = Send(settings, () => TransportFactory.Create(settings, log), log,
            new DocumentRequest { Paths = new[] { File("r1.pdf", 1_000, 7) }, To = new[] { EwsFixture.Unresolvable } });
        Assert.Equal(ErrorIds.InvalidAddress, outcomes.Single().Exception!.ErrorId);
        Assert.Contains("ErrorInvalidRecipients", outcomes[0].Exception!.Message);

        SettingValues other = _f.Settings();
        other.From = EwsFixture.Shared;
        outcomes = Send(other, () => TransportFactory.Create(other, log), log,
            new DocumentRequest { Paths = new[] { File("r2.pdf", 1_000, 8) }, To = new[] { "kund@example.se" } });
        Assert.Equal(ErrorIds.PermissionDenied, outcomes.Single().Exception!.ErrorId);
        Assert.Contains("ErrorSendAsDenied", outcomes[0].Exception!.Message);

        SettingValues locked = _f.Settings(password: "Locked-1!", login: @"G5TEST\locked");
        locked.From = "locked@olbryggeriet.example";
        outcomes = Send(locked, () => TransportFactory.Create(locked, log), log,
            new DocumentRequest { Paths = new[] { File("r3.pdf", 1_000, 9) }, To = new[] { "kund@example.se" } });
        Assert.Equal(ErrorIds.PermissionDenied, outcomes.Single().Exception!.ErrorId);
        Assert.Empty(_f.Sink.Accepted);
    }

    [Fact]
    public async Task A_request_over_the_EWS_limit_is_MessageTooLarge_and_a_message_over_MaxSendSize_too()
    {
        using (HttpResponseMessage r = await _f.Http.PostAsync(_f.BaseUrl + "/_test/ews/limits", new StringContent("{\"maxRequestBytes\":200000}", Encoding.UTF8, "application/json")))
        {
            r.EnsureSuccessStatusCode();
        }

        SettingValues settings = _f.Settings();
        var log = new Log();
        SendResult outcome = Send(settings, () => TransportFactory.Create(settings, log), log,
            new DocumentRequest { Paths = new[] { File("big.pdf", 300_000, 10) }, To = new[] { "kund@example.se" } }).Single();
        Assert.Equal(ErrorIds.MessageTooLarge, outcome.Exception!.ErrorId);
        Assert.Contains("413", outcome.Exception.Message);

        using (HttpResponseMessage r = await _f.Http.PostAsync(_f.BaseUrl + "/_test/ews/limits", new StringContent("{\"maxRequestBytes\":10000000,\"maxMessageBytes\":100000}", Encoding.UTF8, "application/json")))
        {
            r.EnsureSuccessStatusCode();
        }

        outcome = Send(settings, () => TransportFactory.Create(settings, log), log,
            new DocumentRequest { Paths = new[] { File("big2.pdf", 300_000, 11) }, To = new[] { "kund@example.se" } }).Single();
        Assert.Equal(ErrorIds.MessageTooLarge, outcome.Exception!.ErrorId);
        Assert.Contains("ErrorMessageSizeExceeded", outcome.Exception.Message);
        Assert.Empty(_f.Sink.Accepted);
    }

    [Fact]
    public async Task One_transport_serves_many_messages_over_kept_alive_connections()
    {
        SettingValues settings = _f.Settings();
        var log = new Log();
        DocumentRequest[] requests = Enumerable.Range(1, 5)
            .Select(i => new DocumentRequest { Paths = new[] { File($"many{i}.pdf", 5_000, 20 + i) }, To = new[] { "kund@example.se" }, InputIndex = i })
            .ToArray();
        List<SendResult> outcomes = Send(settings, () => TransportFactory.Create(settings, log), log, requests);
        Assert.All(outcomes, o => Assert.Equal(SendStatus.Sent, o.Status));
        Assert.Equal(5, _f.Sink.Accepted.Count);
        JsonNode stats = await _f.StatsAsync();
        Assert.Equal(5, (int?)stats["byRoute"]!["ews.CreateItem"]);
        // Basic goes pre-emptively after the first challenge: the 401s of signing in once (Windows authentication first, which
        // the stand-in cannot accept, then Basic), not one per message.
        Assert.InRange((int)stats["byRoute"]!["ews.unauthorized"]!, 1, 3);
    }

    [Fact]
    public async Task The_probe_reports_reachability_TLS_sign_in_version_and_size()
    {
        SettingValues settings = _f.Settings();
        ServerTestResult result = await new EwsServerProbe().ProbeAsync(new ServerProbeRequest(settings, TimeSpan.FromSeconds(10), false), CancellationToken.None);
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Findings));
        Assert.True(result.Reachable);
        Assert.True(result.Authenticated);
        Assert.StartsWith("TLS 1.", result.TlsProtocol);
        Assert.Equal(new[] { "Negotiate", "NTLM", "Basic" }, result.AuthenticationMechanisms);
        Assert.Contains("Exchange 15.2.1118.7", result.Capabilities);
        Assert.Equal(64L * 1024 * 1024, result.MaxMessageSize);
        string[] codes = result.Findings.Select(f => f.Code).ToArray();
        Assert.Contains(ServerFindingCodes.CertificatePinned, codes);
        Assert.Contains(ServerFindingCodes.EwsFound, codes);
        Assert.Contains(ServerFindingCodes.AuthenticationSucceeded, codes);
        Assert.Contains(ServerFindingCodes.ServerVersion, codes);
        Assert.Contains(ServerFindingCodes.ServerSizeSufficient, codes);
        Assert.Contains("Exchange Server 2019", result.Findings.Single(f => f.Code == ServerFindingCodes.ServerVersion).Message);
    }

    [Fact]
    public async Task The_probe_reports_a_rejected_password_and_an_untrusted_certificate()
    {
        SettingValues wrong = _f.Settings(password: "nope");
        ServerTestResult result = await new EwsServerProbe().ProbeAsync(new ServerProbeRequest(wrong, TimeSpan.FromSeconds(10), false), CancellationToken.None);
        Assert.False(result.Authenticated);
        Assert.Contains(result.Findings, f => f.Code == ServerFindingCodes.AuthenticationRejected && f.Severity == FindingSeverity.Error);
        Assert.DoesNotContain(result.Findings, f => f.Message.Contains("nope", StringComparison.Ordinal));

        SettingValues untrusted = _f.Settings();
        untrusted.CertificateThumbprint = null; // the test CA is in no store
        result = await new EwsServerProbe().ProbeAsync(new ServerProbeRequest(untrusted, TimeSpan.FromSeconds(10), false), CancellationToken.None);
        Assert.False(result.Success);
        Assert.Equal(false, result.CertificateValid);
        Assert.Contains(result.Findings, f => f.Code == ServerFindingCodes.CertificateUntrusted);
        Assert.Null(result.Authenticated);
    }
}
