using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using MimeKit;

namespace G5Mail.TestServers;

/// <summary>
/// Stand-in for the Microsoft Graph v1.0 mail and application endpoints. Behaviour after:
/// - "user: sendMail" https://learn.microsoft.com/graph/api/user-sendmail (JSON or base64 MIME; 202; Mail.Send)
/// - "Create message" https://learn.microsoft.com/graph/api/user-post-messages (draft; 201; Mail.ReadWrite)
/// - "Add attachment" https://learn.microsoft.com/graph/api/message-post-attachments (file under 3 MB; 201)
/// - "attachment: createUploadSession" https://learn.microsoft.com/graph/api/attachment-createuploadsession (3-150 MB; 201 uploadSession)
/// - "Attach large files to Outlook messages or events" https://learn.microsoft.com/graph/outlook-large-attachments
///   (PUT byte ranges with Content-Range/Content-Length, no Authorization header, 200 + nextExpectedRanges, last one 201 + Location;
///   ErrorAttachmentSizeShouldNotBeLessThanMinimumSize under 3 MB)
/// - "Upload large files using an upload session" https://learn.microsoft.com/graph/api/driveitem-createuploadsession
///   (the 320 KiB multiple rule for byte ranges, which Graph's upload helpers apply to every upload session)
/// - "message: send" https://learn.microsoft.com/graph/api/message-send (202; Mail.Send)
/// - "Delete message" https://learn.microsoft.com/graph/api/message-delete (204; Mail.ReadWrite)
/// - "Get user" https://learn.microsoft.com/graph/api/user-get (User.Read for /me; User.Read.All, User.ReadBasic.All or Directory.Read.All
///   for /users/{id}; 404 Request_ResourceNotFound; 403 Authorization_RequestDenied)
/// - "Get application" https://learn.microsoft.com/graph/api/application-get (applications(appId='...'), $select=passwordCredentials,
///   Application.Read.All) and "passwordCredential resource type" (hint = first three characters, secretText null)
/// - "Microsoft Graph error responses and resource types" https://learn.microsoft.com/graph/errors ({ error: { code, message, innerError } })
/// - "Microsoft Graph throttling guidance" https://learn.microsoft.com/graph/throttling (429 + Retry-After)
/// - "Microsoft Graph known issues/limits": request bodies over 4 MB are refused.
/// </summary>
public static class GraphEndpoints
{
    private const string MailSend = "Mail.Send";
    private const string MailReadWrite = "Mail.ReadWrite";
    private static readonly string[] ApplicationRead = { "Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All" };

    private static readonly JsonNodeOptions CaseInsensitive = new() { PropertyNameCaseInsensitive = true };

    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        // Every mailbox route exists as /users/{id|userPrincipalName}/... and as /me/... (delegated tokens only).
        void MapMailbox(string suffix, string route, Func<HttpContext, string?, Task<IResult>> handler, string method = "POST")
        {
            app.MapMethods("/v1.0/users/{user}" + suffix, new[] { method }, (HttpContext ctx, string user) => handler(ctx, user)).WithMetadata(new RouteTag(route, "graph"));
            Func<HttpContext, Task<IResult>> me = ctx => handler(ctx, null);
            app.MapMethods("/v1.0/me" + suffix, new[] { method }, me).WithMetadata(new RouteTag(route, "graph"));
        }

        MapMailbox("/sendMail", "sendMail", (ctx, user) => SendMailAsync(ctx, user, state));
        MapMailbox("/messages", "createMessage", (ctx, user) => CreateMessageAsync(ctx, user, state));
        MapMailbox("/messages/{messageId}/attachments", "addAttachment", (ctx, user) => AddAttachmentAsync(ctx, user, (string)ctx.GetRouteValue("messageId")!, state));
        MapMailbox("/messages/{messageId}/attachments/createUploadSession", "createUploadSession",
            (ctx, user) => CreateUploadSessionAsync(ctx, user, (string)ctx.GetRouteValue("messageId")!, state));
        MapMailbox("/messages/{messageId}/send", "sendDraft", (ctx, user) => SendDraftAsync(ctx, user, (string)ctx.GetRouteValue("messageId")!, state));
        MapMailbox("/messages/{messageId}", "deleteMessage", (ctx, user) => DeleteMessageAsync(ctx, user, (string)ctx.GetRouteValue("messageId")!, state), "DELETE");

        // "Get user": /users/{id|userPrincipalName} (app: User.Read.All or higher) and /me (delegated: User.Read).
        app.MapGet("/v1.0/users/{user}", (HttpContext ctx, string user) => GetUser(ctx, user, state)).WithMetadata(new RouteTag("getUser", "graph"));
        app.MapGet("/v1.0/me", (HttpContext ctx) => GetUser(ctx, null, state)).WithMetadata(new RouteTag("getUser", "graph"));

        // The upload URL: pre-authenticated by its authtoken, shaped like Outlook's
        // https://outlook.office.com/api/v2.0/Users('...')/Messages('...')/AttachmentSessions('...')?authtoken=...
        Func<HttpContext, Task<IResult>> upload = ctx => UploadChunkAsync(ctx, state);
        app.MapMethods("/api/v2.0/{**rest}", new[] { "PUT", "DELETE" }, upload)
            .WithMetadata(new RouteTag("uploadSession", "graph"));

        app.MapGet("/v1.0/applications", (HttpContext ctx) => ListApplications(ctx, state)).WithMetadata(new RouteTag("listApplications", "graph"));
        app.MapGet("/v1.0/applications/{id}", (HttpContext ctx, string id) => GetApplication(ctx, state, objectId: id, appId: null))
            .WithMetadata(new RouteTag("getApplication", "graph"));
        // applications(appId='{appId}') is one path segment in OData key-as-segment syntax.
        app.MapGet("/v1.0/{segment}", (HttpContext ctx, string segment) =>
        {
            Match m = Regex.Match(segment, @"^applications\(appId='([^']*)'\)$", RegexOptions.IgnoreCase);
            return m.Success
                ? GetApplication(ctx, state, objectId: null, appId: m.Groups[1].Value)
                : GraphError(ctx, 400, "BadRequest", $"Resource not found for the segment '{segment}'.");
        }).WithMetadata(new RouteTag("getApplication", "graph"));

        app.Map("/v1.0/{**rest}", (HttpContext ctx, string? rest) =>
            GraphError(ctx, 400, "BadRequest", $"Resource not found for the segment '{(rest ?? "").Split('/')[0]}'. (The test server implements only the mail and application calls G5Mail uses.)"))
            .WithMetadata(new RouteTag("unknown", "graph"));
    }

    // ---- authentication and authorization ----------------------------------------------------------------------

    /// <summary>Who is calling, from a validated token.</summary>
    public sealed record GraphCaller(TenantConfig Tenant, Guid AppId, bool IsApp, IReadOnlyList<string> Roles, IReadOnlyList<string> Scopes, Guid? UserId, string? Upn)
    {
        public bool Has(params string[] permissions) => permissions.Any(p => (IsApp ? Roles : Scopes).Contains(p, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Validates the bearer token as Graph does: RS256 signature by the tenant's key, issuer, lifetime, audience
    /// (Graph's App ID URI), and that it carries roles or scp. Failures are 401 InvalidAuthenticationToken.
    /// </summary>
    public static GraphCaller? Authenticate(HttpContext ctx, ServerState state, out IResult? error)
    {
        error = null;
        string auth = ctx.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || auth.Length <= 7)
        {
            error = Unauthorized(ctx, "Access token is empty.");
            return null;
        }

        JsonObject? claims = state.Signer.Verify(auth[7..].Trim(), out string? failure);
        if (claims is null)
        {
            error = Unauthorized(ctx, failure!);
            return null;
        }

        long now = TokenSigner.UnixNow();
        int skew = state.Config.ClockSkewSeconds;
        if (!TryLong(claims["exp"], out long exp) || now >= exp + skew)
        {
            error = Unauthorized(ctx, "Lifetime validation failed, the token is expired.");
            return null;
        }

        if (TryLong(claims["nbf"], out long nbf) && now < nbf - skew)
        {
            error = Unauthorized(ctx, "Lifetime validation failed, the token is not yet valid.");
            return null;
        }

        string tid = (string?)claims["tid"] ?? "";
        TenantConfig? tenant = Guid.TryParse(tid, out _) ? state.Directory.FindTenant(tid) : null;
        string iss = (string?)claims["iss"] ?? "";
        if (tenant is null || !state.OwnHosts.Any(h => string.Equals(iss, EntraEndpoints.Issuer("https://" + h, tenant.Id), StringComparison.Ordinal)))
        {
            error = Unauthorized(ctx, "Access token validation failure. Invalid issuer.");
            return null;
        }

        string aud = (string?)claims["aud"] ?? "";
        if (!state.Directory.GraphAudiences.Any(a => string.Equals(a, IdentityDirectory.Normalize(aud), StringComparison.OrdinalIgnoreCase)))
        {
            error = Unauthorized(ctx, "Access token validation failure. Invalid audience.");
            return null;
        }

        var roles = (claims["roles"] as JsonArray)?.Select(n => (string?)n ?? "").Where(s => s.Length > 0).ToList() ?? new List<string>();
        var scopes = StableIds.SplitScopes((string?)claims["scp"]).ToList();
        if (roles.Count == 0 && scopes.Count == 0)
        {
            // Graph's answer when the app has no permission on Graph at all (no roles claim was issued).
            error = Unauthorized(ctx, "Either scp or roles claim need to be present in the token.");
            return null;
        }

        bool isApp = scopes.Count == 0;
        Guid.TryParse((string?)claims["appid"] ?? (string?)claims["azp"], out Guid appId);
        Guid? userId = !isApp && Guid.TryParse((string?)claims["oid"], out Guid oid) ? oid : null;
        return new GraphCaller(tenant, appId, isApp, roles, scopes, userId, (string?)claims["upn"] ?? (string?)claims["preferred_username"]);
    }

    private static bool TryLong(JsonNode? node, out long value)
    {
        value = 0;
        if (node is not JsonValue v) return false;
        if (v.TryGetValue(out long l)) { value = l; return true; }
        if (v.TryGetValue(out double d)) { value = (long)d; return true; }
        return false;
    }

    private static IResult Unauthorized(HttpContext ctx, string message)
    {
        // The WWW-Authenticate challenge Graph sends with 401.
        var headers = new Dictionary<string, string>
        {
            ["WWW-Authenticate"] = $"Bearer realm=\"\", authorization_uri=\"https://{ctx.Request.Host.Value}/common/oauth2/authorize\", client_id=\"{IdentityDirectory.GraphAppId}\"",
        };
        return GraphError(ctx, 401, "InvalidAuthenticationToken", message, headers: headers);
    }

    /// <summary>403 for mail calls: Exchange's ErrorAccessDenied, with the required permission named for test diagnostics.</summary>
    private static IResult MailAccessDenied(HttpContext ctx, string permission) =>
        GraphError(ctx, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.", requiredPermission: permission);

    /// <summary>
    /// Graph's error shape: { "error": { "code", "message", "innerError": { "date", "request-id", "client-request-id" } } }.
    /// "g5TestServerRequiredPermission" is the stand-in's own addition (real Graph does not name the permission): clients must not rely on it.
    /// </summary>
    public static IResult GraphError(HttpContext ctx, int status, string code, string message, Dictionary<string, string>? headers = null, string? requiredPermission = null)
    {
        string requestId = Guid.NewGuid().ToString();
        var inner = new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
            ["request-id"] = requestId,
            ["client-request-id"] = ctx.Request.Headers.TryGetValue("client-request-id", out StringValues c) ? c.ToString() : requestId,
        };
        if (requiredPermission is not null) inner["g5TestServerRequiredPermission"] = requiredPermission;
        headers ??= new Dictionary<string, string>();
        headers["request-id"] = requestId;
        return new JsonResult(new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["innerError"] = inner } }, status, headers);
    }

    /// <summary>
    /// Resolves /users/{id|upn} or /me to a mailbox in the caller's tenant and checks the permission. App tokens may use any
    /// mailbox of the tenant (Mail.Send application permission); delegated tokens only their own (no Mail.Send.Shared here).
    /// </summary>
    private static UserConfig? Mailbox(HttpContext ctx, ServerState state, GraphCaller caller, string? userSegment, string permission, out IResult? error)
    {
        error = null;
        UserConfig? user;
        if (userSegment is null)
        {
            if (caller.IsApp)
            {
                error = GraphError(ctx, 400, "BadRequest", "/me request is only valid with delegated authentication flow.");
                return null;
            }

            user = state.Directory.FindUser(caller.Tenant, caller.UserId!.Value.ToString());
        }
        else
        {
            user = state.Directory.FindUser(caller.Tenant, userSegment);
        }

        if (user is null)
        {
            error = GraphError(ctx, 404, "ErrorInvalidUser", $"The requested user '{userSegment ?? "me"}' is invalid.");
            return null;
        }

        if (!caller.Has(permission))
        {
            error = MailAccessDenied(ctx, permission);
            return null;
        }

        if (!caller.IsApp && IdentityDirectory.UserId(user) != caller.UserId)
        {
            error = MailAccessDenied(ctx, permission + ".Shared");
            return null;
        }

        return user;
    }

    // ---- request bodies ------------------------------------------------------------------------------------------

    /// <summary>
    /// Reads the whole body, refusing more than Graph's 4 MB. The body is drained even when too large so the client
    /// reliably sees the 413 instead of a reset connection.
    /// </summary>
    private static async Task<(byte[]? Body, IResult? Error)> ReadBodyAsync(HttpContext ctx, ServerState state)
    {
        long limit = state.Config.Graph.MaxRequestBytes;
        using var buffer = new MemoryStream();
        byte[] chunk = ArrayPool<byte>.Shared.Rent(81920);
        long total = 0;
        try
        {
            int n;
            while ((n = await ctx.Request.Body.ReadAsync(chunk.AsMemory(0, chunk.Length), ctx.RequestAborted)) > 0)
            {
                total += n;
                if (total <= limit) buffer.Write(chunk, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        if (total > limit)
        {
            return (null, GraphError(ctx, 413, "RequestEntityTooLarge",
                $"The request body is {total} bytes; Microsoft Graph accepts at most {limit} bytes (4 MB) per request. " +
                "Attach files of 3 MB or more through an upload session (createUploadSession)."));
        }

        return (buffer.ToArray(), null);
    }

    private static JsonObject? ParseJson(byte[] body, HttpContext ctx, out IResult? error)
    {
        error = null;
        try
        {
            if (JsonNode.Parse(body, CaseInsensitive) is JsonObject o) return o;
        }
        catch (JsonException)
        {
        }

        error = GraphError(ctx, 400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.");
        return null;
    }

    private static List<Recipient>? ParseRecipients(JsonNode? node, HttpContext ctx, out IResult? error)
    {
        error = null;
        var list = new List<Recipient>();
        if (node is null) return list;
        if (node is not JsonArray array)
        {
            error = GraphError(ctx, 400, "ErrorInvalidRecipients", "At least one recipient isn't valid.");
            return null;
        }

        foreach (JsonNode? item in array)
        {
            JsonNode? email = item?["emailAddress"];
            string address = (string?)email?["address"] ?? "";
            if (!MailboxAddress.TryParse(ParserOptions.Default, address, out MailboxAddress? parsed) || !parsed.Address.Contains('@') || parsed.Address != address.Trim())
            {
                error = GraphError(ctx, 400, "ErrorInvalidRecipients", "At least one recipient isn't valid.");
                return null;
            }

            list.Add(new Recipient((string?)email?["name"], parsed.Address));
        }

        return list;
    }

    /// <summary>A fileAttachment object as in "Add attachment" and the attachments array of a message.</summary>
    private static StoredAttachment? ParseAttachment(JsonObject json, HttpContext ctx, ServerState state, out IResult? error)
    {
        error = null;
        string type = (string?)json["@odata.type"] ?? "";
        if (type.Length == 0)
        {
            // attachment is abstract in Graph's model: without @odata.type the payload cannot be materialized.
            error = GraphError(ctx, 400, "BadRequest", "Cannot create an abstract class. (Set \"@odata.type\": \"#microsoft.graph.fileAttachment\".)");
            return null;
        }

        if (!type.Equals("#microsoft.graph.fileAttachment", StringComparison.OrdinalIgnoreCase))
        {
            error = GraphError(ctx, 400, "ErrorInvalidRequest", $"The test server supports only #microsoft.graph.fileAttachment, not '{type}'.");
            return null;
        }

        string name = (string?)json["name"] ?? "";
        if (name.Length == 0)
        {
            error = GraphError(ctx, 400, "ErrorInvalidProperty", "The attachment name is required.");
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String((string?)json["contentBytes"] ?? throw new FormatException());
        }
        catch (FormatException)
        {
            error = GraphError(ctx, 400, "ErrorInvalidRequest", "The attachment's contentBytes is missing or not valid base64.");
            return null;
        }

        long limit = state.Config.Graph.LargeAttachmentBytes;
        if (bytes.LongLength >= limit)
        {
            error = GraphError(ctx, 413, "ErrorAttachmentSizeLimitExceeded",
                $"The attachment '{name}' is {bytes.LongLength} bytes; a file attached in the request must be under {limit} bytes (3 MB). " +
                "Use createUploadSession for files from 3 MB to 150 MB.");
            return null;
        }

        return new StoredAttachment
        {
            Id = MailStore.NewItemId(),
            Name = name,
            ContentType = (string?)json["contentType"] is { Length: > 0 } ct ? ct : "application/octet-stream",
            IsInline = json["isInline"] is JsonValue v && v.TryGetValue(out bool inline) && inline,
            ContentId = (string?)json["contentId"],
            Size = bytes.LongLength,
            Bytes = bytes,
        };
    }

    /// <summary>Fills a message from the JSON message resource (subset G5Mail uses, plus headers and importance).</summary>
    private static bool FillMessage(StoredMessage message, JsonObject json, UserConfig mailbox, HttpContext ctx, ServerState state, out IResult? error)
    {
        error = null;
        message.Subject = (string?)json["subject"];
        if (json["body"] is JsonObject body)
        {
            message.BodyContentType = ((string?)body["contentType"] ?? "text").ToLowerInvariant();
            message.BodyContent = (string?)body["content"] ?? "";
        }

        foreach ((string prop, List<Recipient> target) in new[] { ("toRecipients", message.To), ("ccRecipients", message.Cc), ("bccRecipients", message.Bcc), ("replyTo", message.ReplyTo) })
        {
            List<Recipient>? parsed = ParseRecipients(json[prop], ctx, out error);
            if (parsed is null) return false;
            target.AddRange(parsed);
        }

        if (json["from"] is JsonObject from)
        {
            string address = (string?)from["emailAddress"]?["address"] ?? "";
            if (!address.Equals(IdentityDirectory.MailOf(mailbox), StringComparison.OrdinalIgnoreCase))
            {
                // Exchange refuses a From that is not the mailbox unless the caller has Send As rights (not modelled).
                error = GraphError(ctx, 403, "ErrorSendAsDenied",
                    "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.");
                return false;
            }
        }

        message.InternetMessageId = (string?)json["internetMessageId"];
        message.Importance = (string?)json["importance"];
        if (json["internetMessageHeaders"] is JsonArray headers)
        {
            foreach (JsonNode? h in headers)
            {
                string name = (string?)h?["name"] ?? "";
                if (!name.StartsWith("x-", StringComparison.OrdinalIgnoreCase))
                {
                    error = GraphError(ctx, 400, "InvalidInternetMessageHeader", $"The internet message header name '{name}' should start with 'x-' or 'X-'.");
                    return false;
                }

                message.Headers.Add(new KeyValuePair<string, string>(name, (string?)h?["value"] ?? ""));
            }
        }

        if (json["attachments"] is JsonArray attachments)
        {
            foreach (JsonNode? a in attachments)
            {
                if (a is not JsonObject ao)
                {
                    error = GraphError(ctx, 400, "BadRequest", "Each attachment must be an object.");
                    return false;
                }

                StoredAttachment? attachment = ParseAttachment(ao, ctx, state, out error);
                if (attachment is null) return false;
                message.Attachments.Add(attachment);
            }
        }

        return true;
    }

    private static IResult NoRecipients(HttpContext ctx) =>
        GraphError(ctx, 400, "ErrorInvalidRecipients", "At least one recipient is not valid., A message can't be sent because it contains no recipients.");

    private static MailboxAddress FromOf(UserConfig user) => new(user.DisplayName ?? "", IdentityDirectory.MailOf(user));

    private static async Task<IResult?> DeliverAsync(HttpContext ctx, ServerState state, StoredMessage message, UserConfig mailbox)
    {
        try
        {
            await state.Relay.DeliverAsync(message, FromOf(mailbox), ctx.RequestAborted);
            state.Stats.CountDelivery();
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            state.Log($"delivery failed: {ex.GetType().Name}: {ex.Message}");
            // Not a Graph error code on purpose: this is a broken test fixture (relay down), and 500 is not retried by clients.
            return GraphError(ctx, 500, "G5TestServerRelayFailed", $"The test server could not deliver the message to its SMTP relay: {ex.Message}");
        }
    }

    // ---- handlers ----------------------------------------------------------------------------------------------

    private static async Task<IResult> SendMailAsync(HttpContext ctx, string? userSegment, ServerState state)
    {
        GraphCaller? caller = Authenticate(ctx, state, out IResult? error);
        if (caller is null) return error!;
        UserConfig? mailbox = Mailbox(ctx, state, caller, userSegment, MailSend, out error);
        if (mailbox is null) return error!;

        (byte[]? body, IResult? bodyError) = await ReadBodyAsync(ctx, state);
        if (body is null) return bodyError!;

        if (ctx.Request.ContentType?.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) == true)
        {
            return await SendMimeAsync(ctx, state, body, mailbox);
        }

        JsonObject? json = ParseJson(body, ctx, out error);
        if (json is null) return error!;
        if (json["message"] is not JsonObject messageJson)
        {
            return GraphError(ctx, 400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.");
        }

        var message = new StoredMessage { Id = MailStore.NewItemId(), Mailbox = IdentityDirectory.MailOf(mailbox) };
        if (!FillMessage(message, messageJson, mailbox, ctx, state, out error)) return error!;
        if (message.To.Count + message.Cc.Count + message.Bcc.Count == 0) return NoRecipients(ctx);

        IResult? deliveryError = await DeliverAsync(ctx, state, message, mailbox);
        return deliveryError ?? Results.StatusCode(202);
    }

    /// <summary>sendMail with Content-Type text/plain: the body is a base64 MIME message.</summary>
    private static async Task<IResult> SendMimeAsync(HttpContext ctx, ServerState state, byte[] body, UserConfig mailbox)
    {
        MimeMessage mime;
        try
        {
            byte[] raw = Convert.FromBase64String(Encoding.ASCII.GetString(body));
            mime = MimeMessage.Load(new MemoryStream(raw));
        }
        catch (Exception ex) when (ex is FormatException or ParseException)
        {
            return GraphError(ctx, 400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.");
        }

        var message = new StoredMessage { Id = MailStore.NewItemId(), Mailbox = IdentityDirectory.MailOf(mailbox), Subject = mime.Subject };
        message.To.AddRange(mime.To.Mailboxes.Select(m => new Recipient(m.Name, m.Address)));
        message.Cc.AddRange(mime.Cc.Mailboxes.Select(m => new Recipient(m.Name, m.Address)));
        message.Bcc.AddRange(mime.Bcc.Mailboxes.Select(m => new Recipient(m.Name, m.Address)));
        if (message.To.Count + message.Cc.Count + message.Bcc.Count == 0) return NoRecipients(ctx);
        message.InternetMessageId = mime.MessageId;
        message.BodyContentType = mime.HtmlBody is not null ? "html" : "text";
        message.BodyContent = mime.HtmlBody ?? mime.TextBody ?? "";
        foreach (MimeEntity entity in mime.Attachments)
        {
            if (entity is not MimePart { Content: not null } part) continue;
            using var ms = new MemoryStream();
            await part.Content.DecodeToAsync(ms, ctx.RequestAborted);
            message.Attachments.Add(new StoredAttachment
            {
                Id = MailStore.NewItemId(),
                Name = part.FileName ?? "attachment",
                ContentType = part.ContentType.MimeType,
                Size = ms.Length,
                Bytes = ms.ToArray(),
            });
        }

        IResult? deliveryError = await DeliverAsync(ctx, state, message, mailbox);
        return deliveryError ?? Results.StatusCode(202);
    }

    private static async Task<IResult> CreateMessageAsync(HttpContext ctx, string? userSegment, ServerState state)
    {
        GraphCaller? caller = Authenticate(ctx, state, out IResult? error);
        if (caller is null) return error!;
        UserConfig? mailbox = Mailbox(ctx, state, caller, userSegment, MailReadWrite, out error);
        if (mailbox is null) return error!;

        (byte[]? body, IResult? bodyError) = await ReadBodyAsync(ctx, state);
        if (body is null) return bodyError!;
        JsonObject? json = ParseJson(body, ctx, out error);
        if (json is null) return error!;

        var message = new StoredMessage { Id = MailStore.NewItemId(), Mailbox = IdentityDirectory.MailOf(mailbox) };
        if (!FillMessage(message, json, mailbox, ctx, state, out error)) return error!;
        state.Mail.Add(message);

        string host = "https://" + ctx.Request.Host.Value;
        string userId = IdentityDirectory.UserId(mailbox).ToString();
        string created = GraphDate(message.Created);
        var response = new JsonObject
        {
            ["@odata.context"] = $"{host}/v1.0/$metadata#users('{userId}')/messages/$entity",
            ["@odata.etag"] = "W/\"" + StableIds.Opaque(12) + "\"",
            ["id"] = message.Id,
            ["createdDateTime"] = created,
            ["lastModifiedDateTime"] = created,
            ["subject"] = message.Subject,
            ["body"] = new JsonObject { ["contentType"] = message.BodyContentType, ["content"] = message.BodyContent },
            ["from"] = Address(FromOf(mailbox)),
            ["sender"] = Address(FromOf(mailbox)),
            ["toRecipients"] = Addresses(message.To),
            ["ccRecipients"] = Addresses(message.Cc),
            ["bccRecipients"] = Addresses(message.Bcc),
            ["hasAttachments"] = message.Attachments.Count > 0,
            ["isDraft"] = true,
            ["internetMessageId"] = message.InternetMessageId,
        };
        return new JsonResult(response, 201, new Dictionary<string, string> { ["Location"] = $"{host}/v1.0/users('{userId}')/messages('{message.Id}')" });
    }

    private static async Task<IResult> AddAttachmentAsync(HttpContext ctx, string? userSegment, string messageId, ServerState state)
    {
        GraphCaller? caller = Authenticate(ctx, state, out IResult? error);
        if (caller is null) return error!;
        UserConfig? mailbox = Mailbox(ctx, state, caller, userSegment, MailReadWrite, out error);
        if (mailbox is null) return error!;

        (byte[]? body, IResult? bodyError) = await ReadBodyAsync(ctx, state);
        if (body is null) return bodyError!;
        StoredMessage? message = state.Mail.Find(IdentityDirectory.MailOf(mailbox), messageId);
        if (message is null) return ItemNotFound(ctx);
        JsonObject? json = ParseJson(body, ctx, out error);
        if (json is null) return error!;
        StoredAttachment? attachment = ParseAttachment(json, ctx, state, out error);
        if (attachment is null) return error!;
        lock (message) message.Attachments.Add(attachment);

        string host = "https://" + ctx.Request.Host.Value;
        var response = new JsonObject
        {
            ["@odata.context"] = $"{host}/v1.0/$metadata#users('{IdentityDirectory.UserId(mailbox)}')/messages('{message.Id}')/attachments/$entity",
            ["@odata.type"] = "#microsoft.graph.fileAttachment",
            ["@odata.mediaContentType"] = attachment.ContentType,
            ["id"] = attachment.Id,
            ["lastModifiedDateTime"] = GraphDate(DateTimeOffset.UtcNow),
            ["name"] = attachment.Name,
            ["contentType"] = attachment.ContentType,
            ["size"] = attachment.Size,
            ["isInline"] = attachment.IsInline,
            ["contentId"] = attachment.ContentId,
            ["contentLocation"] = null,
            ["contentBytes"] = Convert.ToBase64String(attachment.Bytes!),
        };
        return new JsonResult(response, 201);
    }

    private static IResult ItemNotFound(HttpContext ctx) =>
        GraphError(ctx, 404, "ErrorItemNotFound", "The specified object was not found in the store.");

    private static async Task<IResult> CreateUploadSessionAsync(HttpContext ctx, string? userSegment, string messageId, ServerState state)
    {
        GraphCaller? caller = Authenticate(ctx, state, out IResult? error);
        if (caller is null) return error!;
        UserConfig? mailbox = Mailbox(ctx, state, caller, userSegment, MailReadWrite, out error);
        if (mailbox is null) return error!;

        (byte[]? body, IResult? bodyError) = await ReadBodyAsync(ctx, state);
        if (body is null) return bodyError!;
        StoredMessage? message = state.Mail.Find(IdentityDirectory.MailOf(mailbox), messageId);
        if (message is null) return ItemNotFound(ctx);
        JsonObject? json = ParseJson(body, ctx, out error);
        if (json is null) return error!;

        if (json["AttachmentItem"] is not JsonObject item)
        {
            return GraphError(ctx, 400, "ErrorInvalidParameter", "The value of the parameter 'AttachmentItem' is empty.");
        }

        string attachmentType = (string?)item["attachmentType"] ?? "";
        string name = (string?)item["name"] ?? "";
        long size = item["size"] is JsonValue sv && sv.TryGetValue(out long s) ? s : -1;
        if (!attachmentType.Equals("file", StringComparison.OrdinalIgnoreCase))
        {
            return GraphError(ctx, 400, "ErrorInvalidParameter", "AttachmentItem.attachmentType must be 'file'.");
        }

        if (name.Length == 0 || size <= 0)
        {
            return GraphError(ctx, 400, "ErrorInvalidParameter", "AttachmentItem needs a name and a size (in bytes) greater than 0.");
        }

        GraphConfig limits = state.Config.Graph;
        if (size < limits.LargeAttachmentBytes)
        {
            return GraphError(ctx, 400, "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
                $"Attachment size must be greater than the minimum size. Files under {limits.LargeAttachmentBytes} bytes (3 MB) are attached with POST .../attachments.");
        }

        if (size > limits.MaxUploadSessionBytes)
        {
            return GraphError(ctx, 400, "ErrorAttachmentSizeLimitExceeded", $"The attachment is {size} bytes; an upload session takes at most {limits.MaxUploadSessionBytes} bytes (150 MB).");
        }

        string path = state.Mail.NewTempFile();
        await File.WriteAllBytesAsync(path, Array.Empty<byte>(), ctx.RequestAborted);
        Guid userId = IdentityDirectory.UserId(mailbox);
        UploadSession session = state.Mail.NewSession(new UploadSession
        {
            Id = MailStore.NewItemId(),
            AuthToken = StableIds.Opaque(48),
            Mailbox = IdentityDirectory.MailOf(mailbox),
            MailboxUserId = userId.ToString(),
            TenantId = caller.Tenant.Id,
            MessageId = message.Id,
            Name = name,
            ContentType = (string?)item["contentType"] is { Length: > 0 } ct ? ct : "application/octet-stream",
            IsInline = item["isInline"] is JsonValue iv && iv.TryGetValue(out bool inline) && inline,
            ContentId = (string?)item["contentId"],
            Size = size,
            Expires = DateTimeOffset.UtcNow.AddSeconds(limits.UploadSessionLifetimeSeconds),
            FilePath = path,
        });

        string host = "https://" + ctx.Request.Host.Value;
        var response = new JsonObject
        {
            ["@odata.context"] = $"{host}/v1.0/$metadata#microsoft.graph.uploadSession",
            ["uploadUrl"] = $"{SessionUrl(host, session)}?authtoken={session.AuthToken}",
            ["expirationDateTime"] = GraphDate(session.Expires),
            ["nextExpectedRanges"] = new JsonArray("0-"),
        };
        return new JsonResult(response, 201);
    }

    private static string SessionUrl(string host, UploadSession s) =>
        $"{host}/api/v2.0/Users('{s.MailboxUserId}@{s.TenantId}')/Messages('{s.MessageId}')/AttachmentSessions('{s.Id}')";

    private static readonly Regex ContentRange = new(@"^bytes (\d+)-(\d+)/(\d+)$", RegexOptions.CultureInvariant);

    /// <summary>PUT (upload a byte range) or DELETE (cancel) on a pre-authenticated upload URL.</summary>
    private static async Task<IResult> UploadChunkAsync(HttpContext ctx, ServerState state)
    {
        Match m = Regex.Match(ctx.Request.Path.Value ?? "", @"/AttachmentSessions\('([^']+)'\)$");
        UploadSession? session = m.Success ? state.Mail.FindSession(m.Groups[1].Value) : null;
        string token = ctx.Request.Query["authtoken"].ToString();
        if (session is null || !string.Equals(token, session.AuthToken, StringComparison.Ordinal))
        {
            return GraphError(ctx, 404, "ErrorItemNotFound", "The upload session does not exist or the upload URL was changed (use uploadUrl exactly as returned).");
        }

        if (ctx.Request.Headers.ContainsKey("Authorization"))
        {
            // The documented rule: "Do not specify an Authorization request header" - a Graph token is not valid here.
            return GraphError(ctx, 401, "InvalidAuthenticationToken",
                "The upload URL is pre-authenticated; do not send an Authorization header (a Microsoft Graph token is not valid for this URL).");
        }

        if (DateTimeOffset.UtcNow >= session.Expires)
        {
            state.Mail.RemoveSession(session, deleteFile: true);
            return GraphError(ctx, 404, "ErrorItemNotFound", "The upload session has expired.");
        }

        if (HttpMethods.IsDelete(ctx.Request.Method))
        {
            state.Mail.RemoveSession(session, deleteFile: true);
            return Results.StatusCode(204);
        }

        GraphConfig limits = state.Config.Graph;
        long? length = ctx.Request.ContentLength;
        if (length is null)
        {
            return GraphError(ctx, 411, "ErrorInvalidRequest", "The Content-Length header is required for each byte range.");
        }

        Match range = ContentRange.Match(ctx.Request.Headers.ContentRange.ToString());
        if (!range.Success)
        {
            return GraphError(ctx, 400, "ErrorInvalidRequest", "The Content-Range header is missing or not in the form 'bytes {start}-{end}/{total}'.");
        }

        long start = long.Parse(range.Groups[1].Value, CultureInfo.InvariantCulture);
        long end = long.Parse(range.Groups[2].Value, CultureInfo.InvariantCulture);
        long total = long.Parse(range.Groups[3].Value, CultureInfo.InvariantCulture);
        long count = end - start + 1;

        IResult? rangeError = null;
        if (total != session.Size)
        {
            rangeError = GraphError(ctx, 400, "ErrorInvalidRequest", $"Content-Range total {total} does not match the size {session.Size} given to createUploadSession.");
        }
        else if (end < start || end >= total || count != length)
        {
            rangeError = GraphError(ctx, 400, "ErrorInvalidRequest", $"Content-Range 'bytes {start}-{end}/{total}' does not agree with Content-Length {length}.");
        }
        else if (count > limits.MaxChunkBytes)
        {
            rangeError = GraphError(ctx, 413, "RequestEntityTooLarge", $"A byte range of {count} bytes is too large; upload at most {limits.MaxChunkBytes} bytes (4 MB) per request.");
        }
        else if (end + 1 < total && limits.ChunkMultipleBytes > 0 && count % limits.ChunkMultipleBytes != 0)
        {
            rangeError = GraphError(ctx, 400, "ErrorInvalidRequest",
                $"A byte range of {count} bytes is not a multiple of {limits.ChunkMultipleBytes} bytes (320 KiB); every range except the last must be.");
        }

        if (rangeError is not null)
        {
            await DrainAsync(ctx);
            return rangeError;
        }

        // One writer per session; ranges must come in order, so a second concurrent PUT is a client bug.
        if (!await session.Gate.WaitAsync(0))
        {
            await DrainAsync(ctx);
            return GraphError(ctx, 409, "ErrorInvalidRequest", "Another byte range of this upload session is still being uploaded; upload ranges one after the other.");
        }

        try
        {
            if (start != session.Received)
            {
                await DrainAsync(ctx);
                return GraphError(ctx, 416, "ErrorInvalidRange", $"The range must start at byte {session.Received} (nextExpectedRanges); it started at {start}.");
            }

            long written;
            await using (var file = new FileStream(session.FilePath, FileMode.Append, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                written = await CopyExactlyAsync(ctx.Request.Body, file, count, ctx.RequestAborted);
            }

            if (written != count)
            {
                // Roll back the partial range so the client can resend it.
                using (var file = new FileStream(session.FilePath, FileMode.Open, FileAccess.Write)) file.SetLength(session.Received);
                return GraphError(ctx, 400, "ErrorInvalidRequest", $"Received {written} bytes but Content-Length was {count}.");
            }

            session.Received += count;
        }
        finally
        {
            session.Gate.Release();
        }

        string host = "https://" + ctx.Request.Host.Value;
        if (session.Received < session.Size)
        {
            var progress = new JsonObject
            {
                ["@odata.context"] = $"{host}/api/v2.0/$metadata#Users('{session.MailboxUserId}%40{session.TenantId}')/Messages('{session.MessageId}')/AttachmentSessions/$entity",
                ["expirationDateTime"] = GraphDate(session.Expires),
                ["nextExpectedRanges"] = new JsonArray(session.Received.ToString(CultureInfo.InvariantCulture)),
            };
            return new JsonResult(progress, 200);
        }

        StoredMessage? message = state.Mail.Find(session.Mailbox, session.MessageId);
        state.Mail.RemoveSession(session, deleteFile: message is null);
        if (message is null) return ItemNotFound(ctx);
        var attachment = new StoredAttachment
        {
            Id = MailStore.NewItemId(),
            Name = session.Name,
            ContentType = session.ContentType,
            IsInline = session.IsInline,
            ContentId = session.ContentId,
            Size = session.Size,
            FilePath = session.FilePath,
        };
        lock (message) message.Attachments.Add(attachment);
        string location = $"{host}/api/v2.0/Users('{session.MailboxUserId}@{session.TenantId}')/Messages('{session.MessageId}')/Attachments('{attachment.Id}')";
        return new JsonResult(null, 201, new Dictionary<string, string> { ["Location"] = location, ["Content-Length"] = "0" });
    }

    private static async Task<long> CopyExactlyAsync(Stream source, Stream target, long count, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(81920);
        long copied = 0;
        try
        {
            int n;
            while (copied < count && (n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - copied)), cancellationToken)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                copied += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return copied;
    }

    private static async Task DrainAsync(HttpContext ctx)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            while (await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<IResult> SendDraftAsync(HttpContext ctx, string? userSegment, string messageId, ServerState state)
    {
        GraphCaller? caller = Authenticate(ctx, state, out IResult? error);
        if (caller is null) return error!;
        UserConfig? mailbox = Mailbox(ctx, state, caller, userSegment, MailSend, out error);
        if (mailbox is null) return error!;
        await DrainAsync(ctx);

        StoredMessage? message = state.Mail.Find(IdentityDirectory.MailOf(mailbox), messageId);
        if (message is null) return ItemNotFound(ctx);
        if (message.To.Count + message.Cc.Count + message.Bcc.Count == 0) return NoRecipients(ctx);

        IResult? deliveryError = await DeliverAsync(ctx, state, message, mailbox);
        if (deliveryError is not null) return deliveryError;
        state.Mail.Remove(message); // sent: the draft moves to Sent Items and is no longer addressable as a draft
        return Results.StatusCode(202);
    }

    private static async Task<IResult> DeleteMessageAsync(HttpContext ctx, string? userSegment, string messageId, ServerState state)
    {
        GraphCaller? caller = Authenticate(ctx, state, out IResult? error);
        if (caller is null) return error!;
        UserConfig? mailbox = Mailbox(ctx, state, caller, userSegment, MailReadWrite, out error);
        if (mailbox is null) return error!;
        await DrainAsync(ctx);

        StoredMessage? message = state.Mail.Find(IdentityDirectory.MailOf(mailbox), messageId);
        if (message is null) return ItemNotFound(ctx);
        state.Mail.Remove(message);
        return Results.StatusCode(204);
    }

    private static readonly string[] UserReadApp = { "User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All" };

    private static IResult GetUser(HttpContext ctx, string? userSegment, ServerState state)
    {
        GraphCaller? caller = Authenticate(ctx, state, out IResult? error);
        if (caller is null) return error!;
        if (userSegment is null && caller.IsApp)
        {
            return GraphError(ctx, 400, "BadRequest", "/me request is only valid with delegated authentication flow.");
        }

        bool allowed = caller.IsApp ? caller.Has(UserReadApp) : caller.Has("User.Read", "User.ReadBasic.All", "User.Read.All", "Directory.Read.All");
        if (!allowed)
        {
            return GraphError(ctx, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", requiredPermission: caller.IsApp ? "User.Read.All" : "User.Read");
        }

        UserConfig? user = state.Directory.FindUser(caller.Tenant, userSegment ?? caller.UserId!.Value.ToString());
        if (user is null)
        {
            return GraphError(ctx, 404, "Request_ResourceNotFound",
                $"Resource '{userSegment}' does not exist or one of its queried reference-property objects are not present.");
        }

        string host = "https://" + ctx.Request.Host.Value;
        var body = new JsonObject
        {
            ["@odata.context"] = $"{host}/v1.0/$metadata#users/$entity",
            ["id"] = IdentityDirectory.UserId(user).ToString(),
            ["displayName"] = user.DisplayName ?? user.UserPrincipalName,
            ["mail"] = IdentityDirectory.MailOf(user),
            ["userPrincipalName"] = user.UserPrincipalName,
        };
        return new JsonResult(body, 200);
    }

    // ---- applications --------------------------------------------------------------------------------------------

    private static IResult? AuthorizeApplicationRead(HttpContext ctx, ServerState state, out GraphCaller? caller)
    {
        caller = Authenticate(ctx, state, out IResult? error);
        if (caller is null) return error;
        if (!caller.Has(ApplicationRead))
        {
            // Directory calls answer with this code and message (not ErrorAccessDenied).
            return GraphError(ctx, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", requiredPermission: "Application.Read.All");
        }

        return null;
    }

    private static IResult GetApplication(HttpContext ctx, ServerState state, string? objectId, string? appId)
    {
        IResult? error = AuthorizeApplicationRead(ctx, state, out GraphCaller? caller);
        if (error is not null) return error;

        string key = appId ?? objectId ?? "";
        AppConfig? app = state.Directory.AppsInTenant(caller!.Tenant.Id).FirstOrDefault(a =>
            appId is not null ? a.ClientId.ToString().Equals(appId, StringComparison.OrdinalIgnoreCase)
                              : IdentityDirectory.ApplicationObjectId(a).ToString().Equals(objectId, StringComparison.OrdinalIgnoreCase));
        if (app is null)
        {
            return GraphError(ctx, 404, "Request_ResourceNotFound", $"Resource '{key}' does not exist or one of its queried reference-property objects are not present.");
        }

        if (!TrySelect(ctx, out List<string>? select, out error)) return error!;
        string host = "https://" + ctx.Request.Host.Value;
        JsonObject body = ApplicationJson(app, select);
        body.Insert(0, "@odata.context", $"{host}/v1.0/$metadata#applications{(select is null ? "" : "(" + string.Join(',', select) + ")")}/$entity");
        return new JsonResult(body, 200);
    }

    private static IResult ListApplications(HttpContext ctx, ServerState state)
    {
        IResult? error = AuthorizeApplicationRead(ctx, state, out GraphCaller? caller);
        if (error is not null) return error;
        if (!TrySelect(ctx, out List<string>? select, out error)) return error!;

        IEnumerable<AppConfig> apps = state.Directory.AppsInTenant(caller!.Tenant.Id);
        string filter = ctx.Request.Query["$filter"].ToString();
        if (filter.Length > 0)
        {
            Match m = Regex.Match(filter, @"^\s*appId\s+eq\s+'([^']*)'\s*$", RegexOptions.IgnoreCase);
            if (!m.Success)
            {
                return GraphError(ctx, 400, "Request_UnsupportedQuery", "Unsupported query. (The test server supports $filter=appId eq '{appId}'.)");
            }

            apps = apps.Where(a => a.ClientId.ToString().Equals(m.Groups[1].Value, StringComparison.OrdinalIgnoreCase));
        }

        string host = "https://" + ctx.Request.Host.Value;
        var body = new JsonObject
        {
            ["@odata.context"] = $"{host}/v1.0/$metadata#applications{(select is null ? "" : "(" + string.Join(',', select) + ")")}",
            ["value"] = new JsonArray(apps.Select(a => (JsonNode)ApplicationJson(a, select)).ToArray()),
        };
        return new JsonResult(body, 200);
    }

    private static readonly string[] ApplicationProperties = { "id", "appId", "displayName", "signInAudience", "createdDateTime", "passwordCredentials", "keyCredentials" };

    private static bool TrySelect(HttpContext ctx, out List<string>? select, out IResult? error)
    {
        error = null;
        select = null;
        string raw = ctx.Request.Query["$select"].ToString();
        if (raw.Length == 0) return true;
        select = raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        string? unknown = select.FirstOrDefault(p => !ApplicationProperties.Contains(p, StringComparer.OrdinalIgnoreCase));
        if (unknown is not null)
        {
            error = GraphError(ctx, 400, "Request_BadRequest", $"Could not find a property named '{unknown}' on type 'microsoft.graph.application'.");
            return false;
        }

        return true;
    }

    private static JsonObject ApplicationJson(AppConfig app, List<string>? select)
    {
        var all = new JsonObject
        {
            ["id"] = IdentityDirectory.ApplicationObjectId(app).ToString(),
            ["appId"] = app.ClientId.ToString(),
            ["displayName"] = app.DisplayName,
            ["signInAudience"] = "AzureADMyOrg",
            ["createdDateTime"] = GraphDate(app.Secrets.Select(s => s.StartDateTime ?? DateTimeOffset.UtcNow).DefaultIfEmpty(DateTimeOffset.UtcNow).Min()),
            ["passwordCredentials"] = new JsonArray(app.Secrets.Select(s => (JsonNode)new JsonObject
            {
                ["customKeyIdentifier"] = s.CustomKeyIdentifier,
                ["displayName"] = s.DisplayName,
                ["endDateTime"] = s.EndDateTime is { } e ? GraphDate(e) : null,
                // The hint is the first three characters of the secret; the value itself is never returned after creation.
                ["hint"] = s.Value.Length >= 3 ? s.Value[..3] : s.Value,
                ["keyId"] = s.KeyId.ToString(),
                ["secretText"] = null,
                ["startDateTime"] = s.StartDateTime is { } st ? GraphDate(st) : null,
            }).ToArray()),
            ["keyCredentials"] = new JsonArray(),
        };
        if (select is null) return all;

        var selected = new JsonObject();
        foreach (string p in select)
        {
            string name = ApplicationProperties.First(a => a.Equals(p, StringComparison.OrdinalIgnoreCase));
            selected[name] = all[name]?.DeepClone();
        }

        return selected;
    }

    // ---- JSON helpers ----------------------------------------------------------------------------------------------

    private static string GraphDate(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Address(MailboxAddress a) => new() { ["emailAddress"] = new JsonObject { ["name"] = a.Name, ["address"] = a.Address } };

    private static JsonArray Addresses(IEnumerable<Recipient> list) =>
        new(list.Select(r => (JsonNode)new JsonObject { ["emailAddress"] = new JsonObject { ["name"] = r.Name ?? r.Address, ["address"] = r.Address } }).ToArray());
}
