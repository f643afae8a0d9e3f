using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using MimeKit;
using MimeKit.IO;

namespace G5Mail.TestServers;

/// <summary>
/// The Exchange Web Services stand-in ("ews" in the server configuration): mailbox users with passwords, EWS's request
/// size limit, Exchange's send size limit, recipients Exchange cannot resolve, the version it reports, and throttling
/// faults.
/// </summary>
public sealed class EwsConfig
{
    public List<EwsUserConfig> Users { get; set; } = new();

    /// <summary>EWS's request limit: 64 MB by default (maxAllowedContentLength 67108864, maxRequestLength 65536 KB); HTTP 413 above it.</summary>
    public long MaxRequestBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Exchange's send size limit (MaxSendSize) on the MIME message; 0 = none. Above it: ErrorMessageSizeExceeded.</summary>
    public long MaxMessageBytes { get; set; }

    /// <summary>Addresses Exchange's recipient resolution rejects (ErrorInvalidRecipients), besides malformed ones.</summary>
    public List<string> InvalidRecipients { get; set; } = new();

    /// <summary>What the 401 challenge offers, in Exchange's order. The stand-in can verify only Basic (Kestrel has no Windows authentication).</summary>
    public List<string> AuthenticationSchemes { get; set; } = new() { "Negotiate", "NTLM", "Basic" };

    /// <summary>The Basic realm; default the host name the client used.</summary>
    public string? Realm { get; set; }

    public EwsVersionConfig ServerVersion { get; set; } = new();

    /// <summary>Faults active from the start (same shape as POST /_test/ews/faults).</summary>
    public List<EwsFaultRule> Faults { get; set; } = new();

    internal IEnumerable<string> Check()
    {
        if (MaxRequestBytes <= 0) yield return "ews.maxRequestBytes must be > 0";
        if (MaxMessageBytes < 0) yield return "ews.maxMessageBytes must be >= 0 (0 = no limit)";
        foreach (EwsUserConfig user in Users)
        {
            if (string.IsNullOrWhiteSpace(user.UserName) || string.IsNullOrEmpty(user.Password) || string.IsNullOrWhiteSpace(user.EmailAddress))
            {
                yield return "every ews user needs userName, password and emailAddress";
            }
        }

        foreach (EwsFaultRule rule in Faults)
        {
            string? problem = rule.Check();
            if (problem is not null) yield return problem;
        }
    }
}

public sealed class EwsUserConfig
{
    /// <summary>The logon name, e.g. "G5TEST\anna"; the stand-in also accepts the email address as logon (UPN style).</summary>
    public string UserName { get; set; } = "";

    public string Password { get; set; } = "";

    /// <summary>The mailbox's primary SMTP address: the From of what it sends.</summary>
    public string EmailAddress { get; set; } = "";

    public string? DisplayName { get; set; }

    /// <summary>Other mailboxes this user has Send As permission on.</summary>
    public List<string> SendAs { get; set; } = new();

    /// <summary>Mailboxes whose calendar this user may write as a delegate (Editor on their Calendar folder).</summary>
    public List<string> CalendarAccess { get; set; } = new();

    /// <summary>Every operation answers ErrorAccessDenied (a mailbox the account may not use).</summary>
    public bool AccessDenied { get; set; }

    /// <summary>Mailboxes this user may read and change (Full Access: Add-MailboxPermission -AccessRights FullAccess).</summary>
    public List<string> MailboxAccess { get; set; } = new();

    /// <summary>Mailboxes this user may only read (a Reviewer folder permission): marking and moving are ErrorAccessDenied.</summary>
    public List<string> MailboxReadAccess { get; set; } = new();
}

/// <summary>What ServerVersionInfo reports; default Exchange Server 2019 CU12 (15.2.1118.7), schema V2017_07_11.</summary>
public sealed class EwsVersionConfig
{
    public int MajorVersion { get; set; } = 15;
    public int MinorVersion { get; set; } = 2;
    public int MajorBuildNumber { get; set; } = 1118;
    public int MinorBuildNumber { get; set; } = 7;
    public string? Version { get; set; } = "V2017_07_11";
}

/// <summary>
/// One injected EWS error for the next <see cref="Count"/> requests of an operation. Default: ErrorServerBusy as a SOAP
/// fault with HTTP 500 and BackOffMilliseconds in MessageXml (learn.microsoft.com, "EWS throttling in Exchange", table 4);
/// with httpStatus 200 the error is a response message with ResponseClass Error instead.
/// </summary>
public sealed class EwsFaultRule
{
    /// <summary>CreateItem, GetFolder, or * for any.</summary>
    public string Operation { get; set; } = "CreateItem";

    public string ResponseCode { get; set; } = "ErrorServerBusy";
    public int HttpStatus { get; set; } = 500;
    public long? BackOffMilliseconds { get; set; }
    public string? MessageText { get; set; }

    /// <summary>"brokenBody": the operation is carried out, then answered HTTP 200 with a cut-off envelope (the answer lost).</summary>
    public string? Answer { get; set; }

    /// <summary>How many requests to fail; -1 until cleared.</summary>
    public int Count { get; set; } = 1;

    internal int Remaining;

    public string? Check()
    {
        if (string.IsNullOrWhiteSpace(Operation)) return "an ews fault needs an operation (CreateItem, GetFolder or *)";
        if (!ResponseCode.StartsWith("Error", StringComparison.Ordinal)) return $"ews fault responseCode '{ResponseCode}' is not an EWS error code";
        if (Answer is not null and not "brokenBody") return $"ews fault answer '{Answer}' is not brokenBody";
        if (HttpStatus is not (200 or 500)) return "ews fault httpStatus must be 500 (SOAP fault) or 200 (error response message)";
        if (Count < -1) return "ews fault count must be -1 (until cleared) or >= 0";
        return null;
    }
}

/// <summary>An item the stand-in keeps in a mailbox folder (a copy saved to Sent Items, or a draft).</summary>
public sealed record EwsSavedItem(string Id, string Mailbox, string Folder, string? Subject, string? InternetMessageId, string BodyType,
    IReadOnlyList<string> To, IReadOnlyList<string> Cc, IReadOnlyList<string> Bcc, IReadOnlyList<EwsSavedAttachment> Attachments);

public sealed record EwsSavedAttachment(string? Name, string? ContentType, long Size, string Sha256);

/// <summary>The stand-in's mutable state: faults, current limits, and the saved items of each mailbox.</summary>
public sealed class EwsState
{
    private readonly object _gate = new();
    private readonly List<EwsFaultRule> _faults = new();
    private readonly List<EwsSavedItem> _items = new();

    public EwsState(EwsConfig config)
    {
        Config = config;
        Reset();
    }

    public EwsConfig Config { get; }

    /// <summary>Calendar items and the meeting messages sent for them (EwsCalendarEndpoints).</summary>
    public EwsCalendarStore Calendar { get; } = new();

    /// <summary>Mail folders and messages (EwsMailboxEndpoints).</summary>
    public EwsMailboxStore Mailbox { get; } = new();

    public long MaxRequestBytes { get; set; }
    public long MaxMessageBytes { get; set; }

    public void Reset()
    {
        lock (_gate)
        {
            _faults.Clear();
            _items.Clear();
            Calendar.Clear();
            Mailbox.Clear();
            MaxRequestBytes = Config.MaxRequestBytes;
            MaxMessageBytes = Config.MaxMessageBytes;
            foreach (EwsFaultRule rule in Config.Faults) AddFault(rule);
        }
    }

    public void AddFault(EwsFaultRule rule)
    {
        string? problem = rule.Check();
        if (problem is not null) throw new ArgumentException(problem);
        rule.Remaining = rule.Count == 0 ? 1 : rule.Count;
        lock (_gate) _faults.Add(rule);
    }

    public void ClearFaults()
    {
        lock (_gate) _faults.Clear();
    }

    public EwsFaultRule? TakeFault(string operation)
    {
        lock (_gate)
        {
            EwsFaultRule? rule = _faults.FirstOrDefault(r => r.Remaining != 0 && (r.Operation == "*" || string.Equals(r.Operation, operation, StringComparison.OrdinalIgnoreCase)));
            if (rule is null) return null;
            if (rule.Remaining > 0) rule.Remaining--;
            if (rule.Remaining == 0) _faults.Remove(rule);
            return rule;
        }
    }

    public void Save(EwsSavedItem item)
    {
        lock (_gate) _items.Add(item);
    }

    public IReadOnlyList<EwsSavedItem> Items()
    {
        lock (_gate) return _items.ToList();
    }

    public int Count(string mailbox, string folder)
    {
        lock (_gate) return _items.Count(i => string.Equals(i.Mailbox, mailbox, StringComparison.OrdinalIgnoreCase) && i.Folder == folder);
    }
}

/// <summary>
/// POST /EWS/Exchange.asmx: the two EWS operations G5Mail uses, as Exchange 2013 and later answer them.
/// - Authentication as IIS does for the EWS directory: an anonymous request gets 401 with one WWW-Authenticate header per
///   enabled method (Negotiate, NTLM, Basic realm=...). Only Basic can be checked here (Kestrel has no Windows
///   authentication), which is also all HttpClient can do against it; a Negotiate/NTLM token is answered 401 again.
/// - EWS's request size limit: HTTP 413 (from Content-Length before the body is read, or while reading it).
/// - Strict parsing (<see cref="EwsSoapReader"/>): ErrorSchemaValidation SOAP fault for what Exchange's schema rejects.
/// - CreateItem (learn.microsoft.com, "CreateItem operation (email message)"): SendAndSaveCopy delivers the message as
///   MIME over SMTP to the configured relay (smtp4dev) with attachments byte for byte and saves a copy in Sent Items;
///   the response has an empty m:Items (no item id, as "CreateItem" documents); SaveOnly saves a draft and returns its
///   ItemId. Errors as response messages: ErrorInvalidRecipients, ErrorSendAsDenied, ErrorMessageSizeExceeded,
///   ErrorAccessDenied, ErrorMessageDispositionRequired (learn.microsoft.com, "ResponseCode").
/// - GetFolder (learn.microsoft.com, "GetFolder operation"): the folders of the mailbox store (EwsMailboxEndpoints), Sent Items
///   counting the saved copies; FindFolder, CreateFolder, FindItem/GetItem/UpdateItem of messages and MoveItem are
///   EwsMailboxEndpoints', the calendar's FindItem/GetItem/UpdateItem/DeleteItem EwsCalendarEndpoints'.
/// - Every response carries h:ServerVersionInfo (learn.microsoft.com, "ServerVersionInfo").
/// Test control under /_test/ews/: faults, limits, the saved items, reset.
/// </summary>
public static class EwsEndpoints
{
    public const string Path = "/EWS/Exchange.asmx";

    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        var ews = new EwsState(state.Config.Ews);
        app.MapPost(Path, (HttpContext ctx) => HandleAsync(ctx, state, ews)).WithMetadata(new RouteTag("ews", "ews"));

        app.MapGet("/_test/ews/items", () => Results.Json(ews.Items(), TestServerConfig.JsonOptions));
        EwsCalendarEndpoints.MapTestControl(app, ews);
        EwsMailboxEndpoints.MapTestControl(app, ews);
        app.MapPost("/_test/ews/reset", () =>
        {
            ews.Reset();
            return Results.NoContent();
        });
        app.MapDelete("/_test/ews/faults", () =>
        {
            ews.ClearFaults();
            return Results.NoContent();
        });

        // Body: one rule or an array, e.g. {"operation":"CreateItem","responseCode":"ErrorServerBusy","backOffMilliseconds":300,"count":2}.
        app.MapPost("/_test/ews/faults", async (HttpContext ctx) =>
        {
            JsonNode? node;
            try
            {
                node = await JsonNode.ParseAsync(ctx.Request.Body, new JsonNodeOptions { PropertyNameCaseInsensitive = true }, cancellationToken: ctx.RequestAborted);
            }
            catch (JsonException ex)
            {
                return Results.BadRequest(new { error = "The fault is not valid JSON: " + ex.Message });
            }

            var items = node is JsonArray array ? array.ToList() : new List<JsonNode?> { node };
            foreach (JsonNode? item in items)
            {
                EwsFaultRule? rule = item?.Deserialize<EwsFaultRule>(TestServerConfig.JsonOptions);
                string? problem = rule is null ? "empty fault" : rule.Check();
                if (problem is not null) return Results.BadRequest(new { error = problem });
                ews.AddFault(rule!);
            }

            return Results.StatusCode(201);
        });

        // Body: {"maxRequestBytes": n, "maxMessageBytes": n}; either may be left out. /_test/ews/reset restores the configuration's.
        app.MapPost("/_test/ews/limits", async (HttpContext ctx) =>
        {
            JsonNode? node = await JsonNode.ParseAsync(ctx.Request.Body, new JsonNodeOptions { PropertyNameCaseInsensitive = true }, cancellationToken: ctx.RequestAborted);
            if (node?["maxRequestBytes"] is JsonNode request) ews.MaxRequestBytes = request.GetValue<long>();
            if (node?["maxMessageBytes"] is JsonNode message) ews.MaxMessageBytes = message.GetValue<long>();
            return Results.Json(new { maxRequestBytes = ews.MaxRequestBytes, maxMessageBytes = ews.MaxMessageBytes });
        });
    }

    private static async Task HandleAsync(HttpContext ctx, ServerState state, EwsState ews)
    {
        EwsUserConfig? user = Authenticate(ctx, ews.Config);
        if (user is null)
        {
            state.Stats.CountRoute("ews.unauthorized");
            string? tried = ctx.Request.Headers.Authorization.ToString().Split(' ', 2)[0];
            if (tried.Length > 0) state.Stats.CountRoute("ews.refused." + tried);
            await ChallengeAsync(ctx, ews.Config);
            return;
        }

        long limit = ews.MaxRequestBytes;
        if (ctx.Request.ContentLength is long length && length > limit)
        {
            // Refused from the header: with "Expect: 100-continue" the client never uploads the body.
            state.Stats.CountRoute("ews.tooLarge");
            state.Log($"ews request of {length} bytes from {user.UserName} refused (limit {limit})");
            await PlainAsync(ctx, 413, "413 - Request Entity Too Large");
            return;
        }

        IReadOnlyList<string> tempFiles = Array.Empty<string>();
        try
        {
            EwsRequestModel model;
            try
            {
                (model, tempFiles) = await EwsSoapReader.ReadAsync(new LimitedStream(ctx.Request.Body, limit), state.Mail.DataDirectory);
            }
            catch (Exception ex) when (ex is EwsRequestTooLargeException || ex.InnerException is EwsRequestTooLargeException)
            {
                state.Stats.CountRoute("ews.tooLarge");
                await PlainAsync(ctx, 413, "413 - Request Entity Too Large");
                return;
            }
            catch (EwsSchemaException ex)
            {
                state.Stats.CountRoute("ews.schemaError");
                state.Log($"ews schema validation failed for {user.UserName}: {ex.Message}");
                await XmlAsync(ctx, 500, EwsSoapWriter.Fault(ews.Config.ServerVersion, "ErrorSchemaValidation",
                    "The request failed schema validation: " + ex.Message, line: ex.Line, position: ex.Position));
                return;
            }

            string operation = model.Operation.Name;
            state.Stats.CountRoute("ews." + operation);
            EwsFaultRule? fault = ews.TakeFault(operation);
            Stream? original = null;
            if (fault is { Answer: "brokenBody" })
            {
                // The operation runs (Exchange acted), then its answer is replaced by a cut-off envelope (a proxy in between).
                state.Stats.CountFault();
                state.Log($"ews fault brokenBody injected for {operation}");
                original = ctx.Response.Body;
                ctx.Response.Body = new MemoryStream();
            }
            else if (fault is not null)
            {
                state.Stats.CountFault();
                state.Log($"ews fault {fault.ResponseCode} injected for {operation}");
                await FaultAsync(ctx, ews.Config.ServerVersion, operation, fault);
                return;
            }

            switch (model.Operation)
            {
                case EwsCreateItem create:
                    await CreateItemAsync(ctx, state, ews, user, create);
                    break;
                case EwsGetFolder get:
                    await CalendarAsync(ctx, state, ews, user, () => GetFolder(ews, user, get));
                    break;
                case EwsXmlOperation mail when EwsMailboxEndpoints.Claims(ews, mail.Element):
                    await CalendarAsync(ctx, state, ews, user, () => EwsMailboxEndpoints.Handle(ews, user, mail.Element));
                    break;
                case EwsXmlOperation calendar:
                    await CalendarAsync(ctx, state, ews, user, () => EwsCalendarEndpoints.Handle(ews, user, calendar.Element));
                    break;
            }

            if (original is not null)
            {
                ctx.Response.Body = original;
                ctx.Response.Clear();
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "text/xml; charset=utf-8";
                await ctx.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><m:" +
                                              operation + "Res", ctx.RequestAborted);
            }
        }
        finally
        {
            EwsSoapReader.Delete(tempFiles);
        }
    }

    /// <summary>Basic credentials against the configured users; anything else (none, Negotiate, NTLM, wrong password) is null.</summary>
    private static EwsUserConfig? Authenticate(HttpContext ctx, EwsConfig config)
    {
        string? header = ctx.Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) ||
            !config.AuthenticationSchemes.Contains("Basic", StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Substring(6).Trim()));
        }
        catch (FormatException)
        {
            return null;
        }

        int colon = decoded.IndexOf(':');
        if (colon < 0) return null;
        string login = decoded[..colon];
        byte[] password = Encoding.UTF8.GetBytes(decoded[(colon + 1)..]);
        EwsUserConfig? user = config.Users.FirstOrDefault(u => string.Equals(u.UserName, login, StringComparison.OrdinalIgnoreCase) ||
                                                                string.Equals(u.EmailAddress, login, StringComparison.OrdinalIgnoreCase));
        return user is not null && CryptographicOperations.FixedTimeEquals(password, Encoding.UTF8.GetBytes(user.Password)) ? user : null;
    }

    /// <summary>401 with one WWW-Authenticate header per method, as IIS sends them for the EWS virtual directory.</summary>
    private static Task ChallengeAsync(HttpContext ctx, EwsConfig config)
    {
        foreach (string scheme in config.AuthenticationSchemes)
        {
            ctx.Response.Headers.Append("WWW-Authenticate",
                scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) ? $"Basic realm=\"{config.Realm ?? ctx.Request.Host.Host}\"" : scheme);
        }

        return PlainAsync(ctx, 401, "401 - Unauthorized: Access is denied due to invalid credentials.");
    }

    private static async Task FaultAsync(HttpContext ctx, EwsVersionConfig version, string operation, EwsFaultRule fault)
    {
        string text = fault.MessageText ?? (fault.ResponseCode == "ErrorServerBusy"
            ? "The server cannot service this request right now. Try again later."
            : "An error was injected by the test server: " + fault.ResponseCode + ".");
        Dictionary<string, string>? messageXml = fault.BackOffMilliseconds is long ms
            ? new Dictionary<string, string> { ["BackOffMilliseconds"] = ms.ToString(System.Globalization.CultureInfo.InvariantCulture) }
            : null;
        if (fault.HttpStatus == 500)
        {
            await XmlAsync(ctx, 500, EwsSoapWriter.Fault(version, fault.ResponseCode, text, messageXml));
        }
        else
        {
            await XmlAsync(ctx, 200, EwsSoapWriter.Response(version, operation,
                new[] { new EwsSoapWriter.ResponseMessage("Error", fault.ResponseCode, text, messageXml) }, operation == "GetFolder" ? "Folders" : "Items"));
        }
    }

    /// <summary>A calendar operation: its answer, or the ErrorSchemaValidation fault for what the schema rejects.</summary>
    private static async Task CalendarAsync(HttpContext ctx, ServerState state, EwsState ews, EwsUserConfig user, Func<byte[]> handle)
    {
        byte[] body;
        try
        {
            body = handle();
        }
        catch (EwsSchemaException ex)
        {
            state.Stats.CountRoute("ews.schemaError");
            state.Log($"ews schema validation failed for {user.UserName}: {ex.Message}");
            await XmlAsync(ctx, 500, EwsSoapWriter.Fault(ews.Config.ServerVersion, "ErrorSchemaValidation",
                "The request failed schema validation: " + ex.Message, line: ex.Line, position: ex.Position));
            return;
        }

        await XmlAsync(ctx, 200, body);
    }

    private static async Task CreateItemAsync(HttpContext ctx, ServerState state, EwsState ews, EwsUserConfig user, EwsCreateItem op)
    {
        if (op.CalendarItems.Count > 0)
        {
            await CalendarAsync(ctx, state, ews, user, () => EwsCalendarEndpoints.CreateItem(ews, user, op));
            return;
        }

        var results = new List<EwsSoapWriter.ResponseMessage>();
        foreach (EwsMessagePart message in op.Messages)
        {
            results.Add(await CreateMessageAsync(ctx, state, ews, user, op, message));
        }

        await XmlAsync(ctx, 200, EwsSoapWriter.Response(ews.Config.ServerVersion, "CreateItem", results, "Items"));
    }

    private static async Task<EwsSoapWriter.ResponseMessage> CreateMessageAsync(HttpContext ctx, ServerState state, EwsState ews, EwsUserConfig user,
        EwsCreateItem op, EwsMessagePart message)
    {
        static EwsSoapWriter.ResponseMessage Error(string code, string text) => new("Error", code, text);

        if (op.MessageDisposition is null)
        {
            return Error("ErrorMessageDispositionRequired", "MessageDisposition attribute is required.");
        }

        if (user.AccessDenied)
        {
            return Error("ErrorAccessDenied", "Access is denied. Check credentials and try again.");
        }

        bool send = op.MessageDisposition != "SaveOnly";
        List<EwsMailboxRef> recipients = message.To.Concat(message.Cc).Concat(message.Bcc).ToList();
        if (send && recipients.Count == 0)
        {
            return Error("ErrorInvalidRecipients", "At least one recipient is required, but none were found.");
        }

        foreach (EwsMailboxRef r in recipients)
        {
            if (r.EmailAddress is null || !MailboxAddress.TryParse(r.EmailAddress, out MailboxAddress? parsed) || !parsed.Address.Contains('@') ||
                ews.Config.InvalidRecipients.Contains(r.EmailAddress, StringComparer.OrdinalIgnoreCase))
            {
                return Error("ErrorInvalidRecipients",
                    $"At least one recipient isn't valid., Recipient '{r.EmailAddress ?? r.Name}' isn't resolved. All recipients must be resolved before a message can be submitted.");
            }
        }

        string fromAddress = message.From?.EmailAddress ?? user.EmailAddress;
        if (!string.Equals(fromAddress, user.EmailAddress, StringComparison.OrdinalIgnoreCase) &&
            !user.SendAs.Contains(fromAddress, StringComparer.OrdinalIgnoreCase))
        {
            // The documented example of an error CreateItem response ("CreateItem operation (email message)").
            return Error("ErrorSendAsDenied",
                "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.");
        }

        var from = new MailboxAddress(message.From?.Name ?? (fromAddress == user.EmailAddress ? user.DisplayName ?? "" : ""), fromAddress);
        StoredMessage stored = ToStored(message, user.EmailAddress);
        long mimeSize = MeasureMime(stored, from);
        if (ews.MaxMessageBytes > 0 && mimeSize > ews.MaxMessageBytes)
        {
            state.Log($"ews message of {mimeSize} bytes refused (MaxSendSize {ews.MaxMessageBytes})");
            return Error("ErrorMessageSizeExceeded", "The message exceeds the maximum supported size.");
        }

        if (send)
        {
            try
            {
                await state.Relay.DeliverAsync(stored, from, ctx.RequestAborted);
                state.Stats.CountDelivery();
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or System.Net.Sockets.SocketException or MailKit.CommandException or MailKit.ProtocolException)
            {
                return Error("ErrorInternalServerError", "The test server could not deliver the message to its SMTP relay: " + ex.Message);
            }
        }

        string folder = op.SavedItemFolderId is { Distinguished: true } f ? f.Id : op.SavedItemFolderId?.Id ?? (send ? "sentitems" : "drafts");
        string id = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        if (op.MessageDisposition != "SendOnly")
        {
            ews.Save(new EwsSavedItem(id, user.EmailAddress, folder, message.Subject, stored.InternetMessageId, message.BodyType ?? "Text",
                message.To.Select(r => r.EmailAddress ?? "").ToList(), message.Cc.Select(r => r.EmailAddress ?? "").ToList(),
                message.Bcc.Select(r => r.EmailAddress ?? "").ToList(),
                message.Attachments.Select(a => new EwsSavedAttachment(a.Name, a.ContentType, a.Size, Sha256(a.FilePath))).ToList()));
        }

        state.Log($"ews CreateItem {op.MessageDisposition} by {user.UserName}: {recipients.Count} recipient(s), {message.Attachments.Count} attachment(s), MIME {mimeSize} bytes");
        // SendOnly and SendAndSaveCopy return no item id ("CreateItem", MessageDisposition); SaveOnly returns the draft's.
        return new EwsSoapWriter.ResponseMessage("Success", "NoError", Content: send ? null : w =>
        {
            w.WriteStartElement("t", "Message", EwsNs.Types);
            w.WriteStartElement("t", "ItemId", EwsNs.Types);
            w.WriteAttributeString("Id", id);
            w.WriteAttributeString("ChangeKey", "CQAAABYAAAA=");
            w.WriteEndElement();
            w.WriteEndElement();
        });
    }

    private static StoredMessage ToStored(EwsMessagePart message, string mailbox)
    {
        var stored = new StoredMessage
        {
            Id = Guid.NewGuid().ToString("N"),
            Mailbox = mailbox,
            Subject = message.Subject,
            BodyContentType = message.BodyType == "HTML" ? "html" : "text",
            BodyContent = message.Body,
            InternetMessageId = message.InternetMessageId,
            Importance = message.Importance,
        };
        stored.To.AddRange(message.To.Select(ToRecipient));
        stored.Cc.AddRange(message.Cc.Select(ToRecipient));
        stored.Bcc.AddRange(message.Bcc.Select(ToRecipient));
        stored.ReplyTo.AddRange(message.ReplyTo.Select(ToRecipient));
        foreach (EwsAttachmentPart a in message.Attachments)
        {
            stored.Attachments.Add(new StoredAttachment
            {
                Id = Guid.NewGuid().ToString("N"),
                Name = a.Name ?? "",
                ContentType = a.ContentType ?? "application/octet-stream",
                IsInline = a.IsInline,
                ContentId = a.ContentId,
                Size = a.Size,
                FilePath = a.FilePath,
            });
        }

        return stored;
    }

    private static Recipient ToRecipient(EwsMailboxRef r) => new(r.Name, r.EmailAddress ?? "");

    /// <summary>The size of the MIME message Exchange would submit, which its send size limit is checked against.</summary>
    private static long MeasureMime(StoredMessage message, MailboxAddress from)
    {
        var open = new List<IDisposable>();
        try
        {
            MimeMessage mime = MailRelay.Compose(message, from, open);
            using var measure = new MeasuringStream();
            mime.WriteTo(FormatOptions.Default, measure);
            return measure.Length;
        }
        finally
        {
            foreach (IDisposable d in open) d.Dispose();
        }
    }

    private static string Sha256(string? path)
    {
        if (path is null) return "";
        using FileStream file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file));
    }

    /// <summary>GetFolder ("GetFolder operation"): each folder from the mailbox store, Sent Items counting the copies CreateItem saved.</summary>
    private static byte[] GetFolder(EwsState ews, EwsUserConfig user, EwsGetFolder op)
    {
        var results = op.Folders.Select(folder => EwsMailboxEndpoints.GetFolder(ews, user, folder, op)).ToList();
        return EwsSoapWriter.Response(ews.Config.ServerVersion, "GetFolder", results, "Folders");
    }

    private static async Task XmlAsync(HttpContext ctx, int status, byte[] body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/xml; charset=utf-8";
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
    }

    private static async Task PlainAsync(HttpContext ctx, int status, string text)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/html";
        await ctx.Response.WriteAsync("<html><body>" + text + "</body></html>", ctx.RequestAborted);
    }

    /// <summary>Counts what is read and stops at the limit: a chunked upload larger than EWS allows gets 413 too.</summary>
    private sealed class LimitedStream : Stream
    {
        private readonly Stream _inner;
        private readonly long _limit;
        private long _read;

        public LimitedStream(Stream inner, long limit)
        {
            _inner = inner;
            _limit = limit;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(_inner.Read(buffer, offset, count));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Count(await _inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await _inner.ReadAsync(buffer, cancellationToken));

        private int Count(int read)
        {
            _read += read;
            if (_read > _limit) throw new EwsRequestTooLargeException(_limit);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
