using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Transports;
using MimeKit;
using G5Mail.TestSmtp;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>The Graph stand-in: token validation, permissions, limits, the upload path, faults, and delivery over SMTP.</summary>
[Collection(ServerCollection.Name)]
public sealed class GraphTests
{
    private readonly ServerFixture _f;

    public GraphTests(ServerFixture fixture) => _f = fixture;

    private static JsonObject Recipient(string address) => new() { ["emailAddress"] = new JsonObject { ["address"] = address } };

    private static JsonObject MessageJson(string subject, params JsonObject[] attachments) => new()
    {
        ["subject"] = subject,
        ["body"] = new JsonObject { ["contentType"] = "Text", ["content"] = "Please find the document attached." },
        ["toRecipients"] = new JsonArray(Recipient("customer@example.test")),
        ["ccRecipients"] = new JsonArray(Recipient("copy@example.test")),
        ["bccRecipients"] = new JsonArray(Recipient("hidden@example.test")),
        ["attachments"] = new JsonArray(attachments.Select(a => (JsonNode)a).ToArray()),
    };

    private static JsonObject FileAttachment(string name, byte[] bytes, string contentType = "application/pdf") => new()
    {
        ["@odata.type"] = "#microsoft.graph.fileAttachment",
        ["name"] = name,
        ["contentType"] = contentType,
        ["contentBytes"] = Convert.ToBase64String(bytes),
    };

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static Dictionary<string, byte[]> AttachmentsOf(MimeMessage message)
    {
        var result = new Dictionary<string, byte[]>();
        foreach (MimePart part in message.Attachments.OfType<MimePart>())
        {
            using var ms = new MemoryStream();
            part.Content!.DecodeTo(ms);
            result[part.FileName ?? "(no name)"] = ms.ToArray();
        }

        return result;
    }

    [Fact]
    public async Task SendMail_AppToken_DeliversOverSmtpWithAttachmentsIntact()
    {
        await _f.ResetAsync();
        string token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        byte[] pdf = RandomBytes(200_000, 1);
        byte[] xml = Encoding.UTF8.GetBytes("<order id=\"1001\">Grüße</order>");
        var body = new JsonObject
        {
            ["message"] = MessageJson("Order 1001", FileAttachment("Auftrag Müller 1001.pdf", pdf), FileAttachment("1001.xml", xml, "application/xml")),
            ["saveToSentItems"] = "false",
        };

        (int status, JsonNode? _, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/sendMail", token, ServerFixture.Json(body));

        Assert.Equal(202, status);
        AcceptedMessage mail = Assert.Single(_f.Sink.Accepted);
        Assert.Equal(ServerFixture.Alice, mail.From);
        Assert.Equal(new[] { "customer@example.test", "copy@example.test", "hidden@example.test" }, mail.Recipients);
        MimeMessage mime = MimeMessage.Load(new MemoryStream(mail.Data));
        Assert.Equal(ServerFixture.Alice, mime.From.Mailboxes.Single().Address);
        Assert.Equal("Order 1001", mime.Subject);
        Assert.Empty(mime.Bcc); // Bcc travels in the envelope only
        Dictionary<string, byte[]> files = AttachmentsOf(mime);
        Assert.Equal(pdf, files["Auftrag Müller 1001.pdf"]);
        Assert.Equal(xml, files["1001.xml"]);
        JsonNode stats = await _f.StatsAsync();
        Assert.Equal(1, (int)stats["messagesDelivered"]!);
        Assert.Equal(1, (int)stats["graphRequests"]!["byRoute"]!["sendMail"]!);
    }

    [Fact]
    public async Task SendMail_DelegatedToken_OnMe_UsesSignedInMailbox()
    {
        await _f.ResetAsync();
        string token = await _f.AliceTokenAsync();
        (int status, _, _) = await _f.SendAsync(HttpMethod.Post, "/v1.0/me/sendMail", token, ServerFixture.Json(new JsonObject { ["message"] = MessageJson("ROPC") }));
        Assert.Equal(202, status);
        Assert.Equal(ServerFixture.Alice, Assert.Single(_f.Sink.Accepted).From);

        // Delegated tokens reach only their own mailbox, and /me needs a user.
        (status, JsonNode? err, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Mfa}/sendMail", token, ServerFixture.Json(new JsonObject { ["message"] = MessageJson("x") }));
        Assert.Equal(403, status);
        Assert.Equal("ErrorAccessDenied", (string?)err!["error"]!["code"]);
        string appToken = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        (status, err, _) = await _f.SendAsync(HttpMethod.Post, "/v1.0/me/sendMail", appToken, ServerFixture.Json(new JsonObject { ["message"] = MessageJson("x") }));
        Assert.Equal(400, status);
        Assert.Equal("/me request is only valid with delegated authentication flow.", (string?)err!["error"]!["message"]);
    }

    public static IEnumerable<object[]> BadTokens() => new[]
    {
        new object[] { "foreign-key", "IDX10511" },
        new object[] { "wrong-audience", "Invalid audience" },
        new object[] { "expired", "the token is expired" },
        new object[] { "foreign-issuer", "Invalid issuer" },
        new object[] { "not-a-jwt", "IDX14100" },
        new object[] { "none", "Access token is empty." },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Graph_RejectsBadTokens_With401InvalidAuthenticationToken(string kind, string messagePart)
    {
        string good = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        JsonObject claims = ServerFixture.Decode(good).Payload;
        string? token;
        switch (kind)
        {
            case "foreign-key":
                using (RSA other = RSA.Create(2048)) token = TokenSigner.Sign(claims, other, _f.Host.State.Signer.KeyId);
                break;
            case "wrong-audience":
                token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret, "https://outlook.office365.com");
                break;
            case "expired":
                long past = TokenSigner.UnixNow() - 120;
                claims["iat"] = past - 3600;
                claims["nbf"] = past - 3600;
                claims["exp"] = past;
                token = _f.Host.State.Signer.Sign(claims);
                break;
            case "foreign-issuer":
                claims["iss"] = $"https://login.microsoftonline.com/{ServerFixture.TenantId}/v2.0";
                token = _f.Host.State.Signer.Sign(claims);
                break;
            case "not-a-jwt":
                token = "opaque-token-value";
                break;
            default:
                token = null;
                break;
        }

        (int status, JsonNode? body, HttpResponseMessage response) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/sendMail", token,
            ServerFixture.Json(new JsonObject { ["message"] = MessageJson("x") }));

        Assert.Equal(401, status);
        Assert.Equal("InvalidAuthenticationToken", (string?)body!["error"]!["code"]);
        Assert.Contains(messagePart, (string?)body["error"]!["message"]);
        Assert.NotNull(body["error"]!["innerError"]!["request-id"]);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.DoesNotContain(_f.Sink.Accepted, m => MimeMessage.Load(new MemoryStream(m.Data)).Subject == "x");
    }

    [Fact]
    public async Task Graph_MissingRole_Is403_AndNoGraphPermissionAtAll_Is401()
    {
        await _f.ResetAsync();
        string draftsOnly = await _f.AppTokenAsync(ServerFixture.NoSendAppId, ServerFixture.NoSendSecret);
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/sendMail", draftsOnly,
            ServerFixture.Json(new JsonObject { ["message"] = MessageJson("x") }));
        Assert.Equal(403, status);
        Assert.Equal("ErrorAccessDenied", (string?)body!["error"]!["code"]);
        Assert.Equal("Access is denied. Check credentials and try again.", (string?)body["error"]!["message"]);
        Assert.Equal("Mail.Send", (string?)body["error"]!["innerError"]!["g5TestServerRequiredPermission"]);

        // Mail.ReadWrite is enough for a draft, not for sending it.
        (status, body, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages", draftsOnly, ServerFixture.Json(MessageJson("draft")));
        Assert.Equal(201, status);
        (status, _, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages/{(string)body!["id"]!}/send", draftsOnly);
        Assert.Equal(403, status);

        string noGraph = await _f.AppTokenAsync(ServerFixture.NoGraphAppId, ServerFixture.NoGraphSecret);
        (status, body, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/sendMail", noGraph, ServerFixture.Json(new JsonObject { ["message"] = MessageJson("x") }));
        Assert.Equal(401, status);
        Assert.Equal("Either scp or roles claim need to be present in the token.", (string?)body!["error"]!["message"]);
        Assert.Empty(_f.Sink.Accepted);
    }

    [Fact]
    public async Task Graph_RequestOver4MB_Is413()
    {
        string token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        // 2.9 MiB raw stays under the 3 MB attachment line, but two of them in base64 make a ~7.7 MB request.
        byte[] file = RandomBytes(3_000_000, 2);
        var body = new JsonObject { ["message"] = MessageJson("too big", FileAttachment("a.pdf", file), FileAttachment("b.pdf", file)) };
        (int status, JsonNode? err, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/sendMail", token, ServerFixture.Json(body));
        Assert.Equal(413, status);
        Assert.Equal("RequestEntityTooLarge", (string?)err!["error"]!["code"]);
    }

    [Fact]
    public async Task Applications_PasswordCredentials_ByAppIdAndFilter()
    {
        string token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Get, $"/v1.0/applications(appId='{ServerFixture.SenderAppId}')?$select=passwordCredentials", token);
        Assert.Equal(200, status);
        Assert.EndsWith("/v1.0/$metadata#applications(passwordCredentials)/$entity", (string?)body!["@odata.context"]);
        Assert.Null(body["appId"]); // $select returns only what was asked for
        JsonArray creds = body["passwordCredentials"]!.AsArray();
        Assert.Equal(3, creds.Count);
        JsonNode current = creds.Single(c => (string?)c!["displayName"] == "current")!;
        Assert.Equal(ServerFixture.SenderSecret[..3], (string?)current["hint"]);
        Assert.Equal("22222222-0000-4000-8000-000000000001", (string?)current["keyId"]);
        Assert.Null(current["secretText"]);
        Assert.True(DateTimeOffset.Parse((string)current["endDateTime"]!) > DateTimeOffset.UtcNow.AddDays(200));
        Assert.True(DateTimeOffset.Parse((string)creds.Single(c => (string?)c!["displayName"] == "old")!["endDateTime"]!) < DateTimeOffset.UtcNow);
        Assert.DoesNotContain(ServerFixture.SenderSecret, body.ToJsonString());

        (status, body, _) = await _f.SendAsync(HttpMethod.Get, $"/v1.0/applications?$filter=appId eq '{ServerFixture.SenderAppId}'&$select=passwordCredentials", token);
        Assert.Equal(200, status);
        Assert.Equal(3, body!["value"]![0]!["passwordCredentials"]!.AsArray().Count);

        (status, body, _) = await _f.SendAsync(HttpMethod.Get, $"/v1.0/applications(appId='{Guid.NewGuid()}')", token);
        Assert.Equal(404, status);
        Assert.Equal("Request_ResourceNotFound", (string?)body!["error"]!["code"]);

        string noDirectory = await _f.AppTokenAsync(ServerFixture.NoSendAppId, ServerFixture.NoSendSecret);
        (status, body, _) = await _f.SendAsync(HttpMethod.Get, $"/v1.0/applications(appId='{ServerFixture.SenderAppId}')?$select=passwordCredentials", noDirectory);
        Assert.Equal(403, status);
        Assert.Equal("Authorization_RequestDenied", (string?)body!["error"]!["code"]);
        Assert.Equal("Insufficient privileges to complete the operation.", (string?)body["error"]!["message"]);
    }

    [Fact]
    public async Task Fault_429WithRetryAfter_ThenSuccess()
    {
        await _f.ResetAsync();
        string token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        (int status, _, _) = await _f.SendAsync(HttpMethod.Post, "/_test/faults", null,
            ServerFixture.Json(new JsonObject { ["path"] = "sendMail", ["status"] = 429, ["retryAfterSeconds"] = 1, ["count"] = 1 }));
        Assert.Equal(201, status);

        var send = () => _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/sendMail", token, ServerFixture.Json(new JsonObject { ["message"] = MessageJson("retry me") }));
        (status, JsonNode? body, HttpResponseMessage response) = await send();
        Assert.Equal(429, status);
        Assert.Equal("TooManyRequests", (string?)body!["error"]!["code"]);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter!.Delta);
        Assert.Empty(_f.Sink.Accepted);

        (status, _, _) = await send();
        Assert.Equal(202, status);
        Assert.Single(_f.Sink.Accepted);
        JsonNode stats = await _f.StatsAsync();
        Assert.Equal(1, (int)stats["faultsInjected"]!);
        Assert.Equal(2, (int)stats["graphRequests"]!["byRoute"]!["sendMail"]!);
    }

    [Fact]
    public async Task Fault401_SkipsFirstRequest_ThenAnswersInvalidAuthenticationToken_WithCaeClaimsChallenge()
    {
        await _f.ResetAsync();
        string token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        const string claims = "{\"access_token\":{\"nbf\":{\"essential\":true,\"value\":\"1767225600\"}}}";
        (int status, _, _) = await _f.SendAsync(HttpMethod.Post, "/_test/faults", null,
            ServerFixture.Json(new JsonObject { ["path"] = "sendMail", ["status"] = 401, ["count"] = 1, ["skip"] = 1, ["claims"] = claims }));
        Assert.Equal(201, status);

        var send = () => _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/sendMail", token, ServerFixture.Json(new JsonObject { ["message"] = MessageJson("cae") }));
        (status, _, _) = await send();
        Assert.Equal(202, status);
        (status, JsonNode? body, HttpResponseMessage response) = await send();
        Assert.Equal(401, status);
        Assert.Equal("InvalidAuthenticationToken", (string?)body!["error"]!["code"]);
        AuthenticationHeaderValue challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"insufficient_claims\"", challenge.Parameter);
        string encoded = System.Text.RegularExpressions.Regex.Match(challenge.Parameter!, "claims=\"([^\"]+)\"").Groups[1].Value;
        Assert.Equal(claims, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(encoded)));
        (status, _, _) = await send();
        Assert.Equal(202, status);
        Assert.Equal(2, _f.Sink.Accepted.Count);
    }

    [Fact]
    public async Task FaultStall_NeverAnswers_UntilTheClientGivesUp()
    {
        await _f.ResetAsync();
        string token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        await _f.SendAsync(HttpMethod.Post, "/_test/faults", null, ServerFixture.Json(new JsonObject { ["path"] = "sendMail", ["answer"] = "stall", ["count"] = 1 }));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var request = new HttpRequestMessage(HttpMethod.Post, _f.BaseUrl + $"/v1.0/users/{ServerFixture.Alice}/sendMail")
        {
            Content = ServerFixture.Json(new JsonObject { ["message"] = MessageJson("stall") }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _f.Http.SendAsync(request, cts.Token));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.9), $"gave up after {watch.Elapsed}");
        Assert.Empty(_f.Sink.Accepted);
    }

    [Fact]
    public async Task Fault_OnTokenEndpoint_UsesEntraShape_AndMsalHonoursRetryAfter()
    {
        await _f.ResetAsync();
        await _f.SendAsync(HttpMethod.Post, "/_test/faults", null, ServerFixture.Json(new JsonObject { ["path"] = "token", ["status"] = 429, ["retryAfterSeconds"] = 1 }));
        // A client/scope pair no other test uses: MSAL keeps a process-wide throttling cache keyed by them.
        const string resource = "https://outlook.office365.com";
        var ex = await Assert.ThrowsAnyAsync<Microsoft.Identity.Client.MsalServiceException>(() => _f.AppTokenAsync(ServerFixture.NoSendAppId, ServerFixture.NoSendSecret, resource));
        Assert.Equal(429, ex.StatusCode);
        Assert.Contains("90033", ex.ErrorCodesForLogging ?? Array.Empty<string>());
        Assert.Equal(TimeSpan.FromSeconds(1), ex.Headers.RetryAfter!.Delta);

        // MSAL itself refuses to call again before Retry-After has passed (MsalThrottledServiceException), then succeeds.
        await Assert.ThrowsAsync<Microsoft.Identity.Client.MsalThrottledServiceException>(() => _f.AppTokenAsync(ServerFixture.NoSendAppId, ServerFixture.NoSendSecret, resource));
        await Task.Delay(1100);
        Assert.False(string.IsNullOrEmpty(await _f.AppTokenAsync(ServerFixture.NoSendAppId, ServerFixture.NoSendSecret, resource)));
        JsonNode stats = await _f.StatsAsync();
        Assert.Equal(2, (int)stats["byRoute"]!["token"]!); // the throttled attempt never reached the server
    }
}
