using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.Identity.Client;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>
/// What the G5Mail client needs beyond sending: "Get user" (Test-G5MailServer looks up the From mailbox), "Delete message"
/// (a failed large send removes its draft), and the opt-in smtp4dev mailbox claim for app-only XOAUTH2.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ClientSupportTests
{
    private readonly ServerFixture _f;

    public ClientSupportTests(ServerFixture fixture) => _f = fixture;

    [Fact]
    public async Task GetUser_NeedsUserRead_AndMeIsForDelegatedTokensOnly()
    {
        string app = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Get, $"/v1.0/users/{ServerFixture.Alice}?$select=id,mail", app);
        Assert.Equal(403, status);
        Assert.Equal("Authorization_RequestDenied", (string?)body!["error"]!["code"]);

        (status, body, _) = await _f.SendAsync(HttpMethod.Get, "/v1.0/me", app);
        Assert.Equal(400, status);

        string alice = await _f.AliceTokenAsync("https://graph.microsoft.com/User.Read");
        (status, body, _) = await _f.SendAsync(HttpMethod.Get, "/v1.0/me?$select=id,mail,userPrincipalName", alice);
        Assert.Equal(200, status);
        Assert.Equal(ServerFixture.Alice, (string?)body!["mail"]);
        Assert.Equal(ServerFixture.Alice, (string?)body["userPrincipalName"]);
    }

    [Fact]
    public async Task DeleteMessage_RemovesTheDraft()
    {
        string token = await _f.AppTokenAsync(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        var draft = new JsonObject
        {
            ["subject"] = "to be deleted",
            ["toRecipients"] = new JsonArray(new JsonObject { ["emailAddress"] = new JsonObject { ["address"] = "customer@example.test" } }),
        };
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages", token, ServerFixture.Json(draft));
        Assert.Equal(201, status);
        string id = Uri.EscapeDataString((string)body!["id"]!);

        (status, _, _) = await _f.SendAsync(HttpMethod.Delete, $"/v1.0/users/{ServerFixture.Alice}/messages/{id}", token);
        Assert.Equal(204, status);
        (status, body, _) = await _f.SendAsync(HttpMethod.Post, $"/v1.0/users/{ServerFixture.Alice}/messages/{id}/send", token);
        Assert.Equal(404, status);
        Assert.Equal("ErrorItemNotFound", (string?)body!["error"]!["code"]);
    }

    [Fact]
    public async Task Smtp4devMailboxClaim_IsOptIn_AndOnlyOnExchangeTokens()
    {
        // Without the option: app-only Exchange tokens carry no user claim, exactly as Entra issues them.
        string plain = await _f.AppTokenAsync(ServerFixture.NoGraphAppId, ServerFixture.NoGraphSecret, "https://outlook.office365.com");
        Assert.Null(ServerFixture.Decode(plain).Payload["preferred_username"]);

        await using TestServerHost host = await TestServerHost.StartAsync(_f.BuildConfig(c =>
            c.Apps.Single(a => a.ClientId == ServerFixture.SenderAppId).Smtp4devMailboxClaim = ServerFixture.Alice));
        IConfidentialClientApplication app = ConfidentialClientApplicationBuilder.Create(ServerFixture.SenderAppId.ToString())
            .WithClientSecret(ServerFixture.SenderSecret)
            .WithAuthority($"{host.BaseUri.GetLeftPart(UriPartial.Authority)}/{ServerFixture.TenantId}")
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(_f.Pki.MsalFactory())
            .Build();

        AuthenticationResult exchange = await app.AcquireTokenForClient(new[] { "https://outlook.office365.com/.default" }).ExecuteAsync();
        Assert.Equal(ServerFixture.Alice, (string?)ServerFixture.Decode(exchange.AccessToken).Payload["preferred_username"]);

        AuthenticationResult graph = await app.AcquireTokenForClient(new[] { "https://graph.microsoft.com/.default" }).ExecuteAsync();
        Assert.Null(ServerFixture.Decode(graph.AccessToken).Payload["preferred_username"]);
    }
}
