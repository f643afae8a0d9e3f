using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using MimeKit;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>The large-attachment path: draft, inline attachment, upload session with chunked PUTs, send; and its rules.</summary>
[Collection(ServerCollection.Name)]
public sealed class UploadTests
{
    private const int Chunk = 320 * 1024;
    private readonly ServerFixture _f;

    public UploadTests(ServerFixture fixture) => _f = fixture;

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task<string> CreateDraftAsync(string token, string subject = "Invoice 2002")
    {
        var draft = new JsonObject
        {
            ["subject"] = subject,
            ["body"] = new JsonObject { ["contentType"] = "HTML", ["content"] = "<p>Invoice attached.</p>" },
            ["toRecipients"] = new JsonArray(new JsonObject { ["emailAddress"] = new JsonObject { ["name"] = "Customer", ["address"] = "customer@example.test" } }),
            ["internetMessageHeaders"] = new JsonArray(new JsonObject { ["name"] = "X-G5Mail-DocumentIds", ["value"] = "2002" }),
        };
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages", token, ServerFixture.Json(draft));
        Assert.Equal(201, status);
        Assert.True((bool)body!["isDraft"]!);
        return (string)body["id"]!;
    }

    private async Task<JsonNode> CreateSessionAsync(string token, string messageId, string name, long size)
    {
        var item = new JsonObject { ["AttachmentItem"] = new JsonObject { ["attachmentType"] = "file", ["name"] = name, ["size"] = size, ["contentType"] = "application/pdf" } };
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages/{Uri.EscapeDataString(messageId)}/attachments/createUploadSession", token, ServerFixture.Json(item));
        Assert.Equal(201, status);
        return body!;
    }

    private async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> PutAsync(string uploadUrl, byte[] file, long start, int count, long? total = null, string? bearer = null)
    {
        var content = new ByteArrayContent(file, (int)start, count);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentRange = new ContentRangeHeaderValue(start, start + count - 1, total ?? file.Length);
        return await _f.SendAsync(HttpMethod.Put, uploadUrl, bearer, content);
    }

    [Fact]
    public async Task Draft_UploadSession_Send_DeliversEveryByte()
    {
        await _f.ResetAsync();
        string token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        string messageId = await CreateDraftAsync(token);

        byte[] small = RandomBytes(150_000, 7);
        var attachment = new JsonObject { ["@odata.type"] = "#microsoft.graph.fileAttachment", ["name"] = "2002.xml", ["contentType"] = "application/xml", ["contentBytes"] = Convert.ToBase64String(small) };
        (int status, JsonNode? added, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages/{messageId}/attachments", token, ServerFixture.Json(attachment));
        Assert.Equal(201, status);
        Assert.Equal(150_000, (long)added!["size"]!);

        byte[] large = RandomBytes(5 * 1024 * 1024 + 12345, 8); // 5 MiB and a bit: 10 full 320 KiB multiples per chunk, then the rest
        JsonNode session = await CreateSessionAsync(token, messageId, "Rechnung 2002 – Übersicht.pdf", large.Length);
        string uploadUrl = (string)session["uploadUrl"]!;
        Assert.Contains("/AttachmentSessions('", uploadUrl);
        Assert.Equal("0-", (string?)session["nextExpectedRanges"]![0]);

        int chunk = 10 * Chunk; // 3.125 MiB: under 4 MB and a 320 KiB multiple
        HttpResponseMessage? last = null;
        for (long start = 0; start < large.Length; start += chunk)
        {
            int count = (int)Math.Min(chunk, large.Length - start);
            (status, JsonNode? body, last) = await PutAsync(uploadUrl, large, start, count);
            if (start + count < large.Length)
            {
                Assert.Equal(200, status);
                Assert.Equal((start + count).ToString(), (string?)body!["nextExpectedRanges"]![0]);
            }
            else
            {
                Assert.Equal(201, status);
            }
        }

        Assert.Contains("/Attachments('", last!.Headers.Location!.ToString());

        (status, _, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages/{messageId}/send", token);
        Assert.Equal(202, status);

        MimeMessage mime = MimeMessage.Load(new MemoryStream(Assert.Single(_f.Sink.Accepted).Data));
        Assert.Equal("Invoice 2002", mime.Subject);
        Assert.Equal("2002", mime.Headers["X-G5Mail-DocumentIds"]);
        Assert.Equal("<p>Invoice attached.</p>", mime.HtmlBody);
        var files = mime.Attachments.OfType<MimePart>().ToDictionary(p => p.FileName!, p =>
        {
            using var ms = new MemoryStream();
            p.Content!.DecodeTo(ms);
            return ms.ToArray();
        });
        Assert.Equal(small, files["2002.xml"]);
        Assert.Equal(large, files["Rechnung 2002 – Übersicht.pdf"]);

        // Sent: the draft is gone, like a message moved to Sent Items.
        (status, _, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages/{messageId}/send", token);
        Assert.Equal(404, status);
        Assert.Empty(Directory.GetFiles(_f.Host.State.Mail.DataDirectory));
    }

    [Fact]
    public async Task UploadSession_EnforcesDocumentedRules()
    {
        string token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        string messageId = await CreateDraftAsync(token, "rules");

        // Under 3 MB is not an upload-session file.
        var tooSmall = new JsonObject { ["AttachmentItem"] = new JsonObject { ["attachmentType"] = "file", ["name"] = "s.pdf", ["size"] = 3 * 1024 * 1024 - 1 } };
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages/{messageId}/attachments/createUploadSession", token, ServerFixture.Json(tooSmall));
        Assert.Equal(400, status);
        Assert.Equal("ErrorAttachmentSizeShouldNotBeLessThanMinimumSize", (string?)body!["error"]!["code"]);

        byte[] file = RandomBytes(9 * 1024 * 1024, 9);
        string url = (string)(await CreateSessionAsync(token, messageId, "big.pdf", file.Length))["uploadUrl"]!;

        (status, body, _) = await PutAsync(url, file, 0, Chunk, bearer: token);
        Assert.Equal(401, status); // the URL is pre-authenticated; a Graph token must not be sent

        (status, body, _) = await PutAsync(url, file, 0, 1_000_000);
        Assert.Equal(400, status);
        Assert.Contains("multiple of 327680", (string?)body!["error"]!["message"]);

        (status, body, _) = await PutAsync(url, file, 0, 13 * Chunk); // 4,259,840 bytes > 4 MB
        Assert.Equal(413, status);

        (status, body, _) = await PutAsync(url, file, Chunk, Chunk); // out of order
        Assert.Equal(416, status);

        (status, body, _) = await PutAsync(url, file, 0, Chunk, total: file.Length + 1);
        Assert.Equal(400, status);

        (status, body, _) = await PutAsync(url, file, 0, Chunk);
        Assert.Equal(200, status);
        Assert.Equal(Chunk.ToString(), (string?)body!["nextExpectedRanges"]![0]);

        (status, _, _) = await PutAsync(url + "x", file, Chunk, Chunk); // a changed URL is not the session
        Assert.Equal(404, status);

        (status, _, _) = await _f.SendAsync(HttpMethod.Delete, url, null);
        Assert.Equal(204, status);
        (status, _, _) = await PutAsync(url, file, Chunk, Chunk);
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task InlineAttachmentOf3MB_Is413_OnServerWithDocumentedLimits()
    {
        // With the real limits a 3 MB file can only be tested through a larger request limit, as base64 of 3 MB is 4 MB.
        await using TestServerHost host = await TestServerHost.StartAsync(_f.BuildConfig(c => c.Graph.MaxRequestBytes = 8L * 1024 * 1024));
        string baseUrl = host.BaseUri.GetLeftPart(UriPartial.Authority);
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = ServerFixture.SenderAppId.ToString(), ["client_secret"] = ServerFixture.SenderSecret,
            ["scope"] = "https://graph.microsoft.com/.default",
        });
        (_, JsonNode? tokenBody, _) = await _f.SendAsync(HttpMethod.Post, $"{baseUrl}/{ServerFixture.TenantId}/oauth2/v2.0/token", null, form);
        string token = (string)tokenBody!["access_token"]!;

        var message = new JsonObject
        {
            ["subject"] = "three MB",
            ["toRecipients"] = new JsonArray(new JsonObject { ["emailAddress"] = new JsonObject { ["address"] = "customer@example.test" } }),
        };
        (_, JsonNode? draft, _) = await _f.SendAsync(HttpMethod.Post, $"{baseUrl}/v1.0/users/{ServerFixture.Alice}/messages", token, ServerFixture.Json(message));
        var attachment = new JsonObject
        {
            ["@odata.type"] = "#microsoft.graph.fileAttachment", ["name"] = "3mb.pdf", ["contentBytes"] = Convert.ToBase64String(RandomBytes(3 * 1024 * 1024, 3)),
        };
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, $"{baseUrl}/v1.0/users/{ServerFixture.Alice}/messages/{(string)draft!["id"]!}/attachments", token, ServerFixture.Json(attachment));
        Assert.Equal(413, status);
        Assert.Equal("ErrorAttachmentSizeLimitExceeded", (string?)body!["error"]!["code"]);

        attachment["contentBytes"] = Convert.ToBase64String(RandomBytes(3 * 1024 * 1024 - 1, 3));
        (status, _, _) = await _f.SendAsync(HttpMethod.Post, $"{baseUrl}/v1.0/users/{ServerFixture.Alice}/messages/{(string)draft["id"]!}/attachments", token, ServerFixture.Json(attachment));
        Assert.Equal(201, status);
    }
}
