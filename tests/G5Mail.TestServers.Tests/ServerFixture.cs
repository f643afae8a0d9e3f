using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Identity.Client;
using G5Mail.Core.Transports.ExchangeOnline;
using G5Mail.TestSmtp;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>
/// One in-process server (real Kestrel over HTTPS on 127.0.0.1) with a small directory, an SMTP sink as relay, and an
/// HttpClient that trusts the test CA. Shared by all test classes in the collection; tests reset it as they need.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public static readonly Guid TenantId = Guid.Parse("0b8a4f1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b");
    public static readonly Guid OtherTenantId = Guid.Parse("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a");
    public const string Domain = "g5mail.test";

    public static readonly Guid SenderAppId = Guid.Parse("11111111-aaaa-4bbb-8ccc-000000000001");
    public static readonly Guid NoSendAppId = Guid.Parse("11111111-aaaa-4bbb-8ccc-000000000002");
    public static readonly Guid NoGraphAppId = Guid.Parse("11111111-aaaa-4bbb-8ccc-000000000003");
    public static readonly Guid PublicAppId = Guid.Parse("11111111-aaaa-4bbb-8ccc-000000000004");
    public static readonly Guid CalendarAppId = Guid.Parse("11111111-aaaa-4bbb-8ccc-000000000005");
    public static readonly Guid ReaderAppId = Guid.Parse("11111111-aaaa-4bbb-8ccc-000000000006");

    public const string SenderSecret = "Xy7~validSecretValue_0123456789abcdefgh";
    public const string ExpiringSecret = "Qw3~expiringSoonSecret_0123456789abcdef";
    public const string ExpiredSecret = "Ab1~expiredSecretValue_0123456789abcdef";
    public const string NoSendSecret = "Ns5~noSendSecretValue_0123456789abcdefg";
    public const string NoGraphSecret = "Ng6~noGraphSecretValue_0123456789abcdef";
    public const string CalendarSecret = "Ca7~calendarSecretValue_0123456789abcde";
    public const string ReaderSecret = "Rd8~readerSecretValue_0123456789abcdefg";

    public const string Alice = "alice@g5mail.test";
    public const string AlicePassword = "Alice-Password-1!";
    public const string Mfa = "mfa.user@g5mail.test";
    public const string MfaPassword = "Mfa-Password-2!";

    public TestPki Pki { get; } = new();
    public TestSmtpServer Sink { get; } = TestSmtpServer.Start();
    public TestServerHost Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public string BaseUrl => Host.BaseUri.GetLeftPart(UriPartial.Authority);

    public string Authority(string tenant) => $"{BaseUrl}/{tenant}";

    public TestServerConfig BuildConfig(Action<TestServerConfig>? adjust = null)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var config = new TestServerConfig
        {
            Port = 0,
            Certificate = new CertificateConfig { Path = Pki.ServerPfxPath },
            Tenants =
            {
                new TenantConfig { Id = TenantId, Domains = { Domain, "g5mailtest.onmicrosoft.com" } },
                new TenantConfig { Id = OtherTenantId, Domains = { "other.test" } },
            },
            Apps =
            {
                new AppConfig
                {
                    ClientId = SenderAppId, Tenant = TenantId.ToString(), DisplayName = "G5Mail sender",
                    Roles = { "Mail.Send", "Mail.ReadWrite", "Application.Read.All" },
                    Secrets =
                    {
                        new SecretConfig { KeyId = Guid.Parse("22222222-0000-4000-8000-000000000001"), DisplayName = "current", Value = SenderSecret, StartDateTime = now.AddDays(-100), EndDateTime = now.AddDays(265) },
                        new SecretConfig { KeyId = Guid.Parse("22222222-0000-4000-8000-000000000002"), DisplayName = "expiring", Value = ExpiringSecret, StartDateTime = now.AddDays(-355), EndDateTime = now.AddDays(10) },
                        new SecretConfig { KeyId = Guid.Parse("22222222-0000-4000-8000-000000000003"), DisplayName = "old", Value = ExpiredSecret, StartDateTime = now.AddDays(-800), EndDateTime = now.AddDays(-70) },
                    },
                },
                new AppConfig
                {
                    ClientId = NoSendAppId, Tenant = Domain, DisplayName = "G5Mail drafts only",
                    Roles = { "Mail.ReadWrite" },
                    Secrets = { new SecretConfig { KeyId = Guid.NewGuid(), Value = NoSendSecret, EndDateTime = now.AddDays(30) } },
                },
                new AppConfig
                {
                    ClientId = NoGraphAppId, Tenant = TenantId.ToString(), DisplayName = "G5Mail SMTP only",
                    Roles = { "https://outlook.office365.com/SMTP.SendAsApp" },
                    Secrets = { new SecretConfig { KeyId = Guid.NewGuid(), Value = NoGraphSecret, EndDateTime = now.AddDays(30) } },
                },
                new AppConfig
                {
                    ClientId = CalendarAppId, Tenant = TenantId.ToString(), DisplayName = "G5Mail calendar",
                    Roles = { "Calendars.ReadWrite" },
                    Secrets = { new SecretConfig { KeyId = Guid.NewGuid(), Value = CalendarSecret, EndDateTime = now.AddDays(30) } },
                },
                new AppConfig
                {
                    ClientId = ReaderAppId, Tenant = TenantId.ToString(), DisplayName = "G5Mail mailbox reader",
                    Roles = { "Mail.Read" },
                    Secrets = { new SecretConfig { KeyId = Guid.NewGuid(), Value = ReaderSecret, EndDateTime = now.AddDays(30) } },
                },
                new AppConfig
                {
                    ClientId = PublicAppId, Tenant = TenantId.ToString(), DisplayName = "G5Mail ROPC", AllowPublicClient = true,
                    Scopes = { "Mail.Send", "Mail.ReadWrite", "User.Read", "https://outlook.office.com/SMTP.Send" },
                },
            },
            Users =
            {
                new UserConfig { UserPrincipalName = Alice, Password = AlicePassword, Tenant = TenantId.ToString(), DisplayName = "Alice Example" },
                new UserConfig { UserPrincipalName = Mfa, Password = MfaPassword, MfaRequired = true, Tenant = Domain },
            },
            Smtp = new SmtpRelayConfig { Host = "127.0.0.1", Port = Sink.Port },
        };
        adjust?.Invoke(config);
        return config;
    }

    public async Task InitializeAsync()
    {
        Host = await TestServerHost.StartAsync(BuildConfig());
        Http = Pki.CreateHttpClient();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        Sink.Dispose();
        Pki.Dispose();
    }

    public async Task ResetAsync()
    {
        using HttpResponseMessage r = await Http.PostAsync($"{BaseUrl}/_test/reset", null);
        r.EnsureSuccessStatusCode();
        Sink.Reset();
    }

    public IConfidentialClientApplication Confidential(Guid clientId, string secret, string? tenant = null) =>
        ConfidentialClientApplicationBuilder.Create(clientId.ToString())
            .WithClientSecret(secret)
            .WithAuthority(Authority(tenant ?? TenantId.ToString()))
            .WithInstanceDiscovery(false) // an unknown host would otherwise be looked up at login.microsoftonline.com
            .WithHttpClientFactory(Pki.MsalFactory())
            .Build();

    public IPublicClientApplication Public(Guid clientId, string? tenant = null) =>
        PublicClientApplicationBuilder.Create(clientId.ToString())
            .WithAuthority(Authority(tenant ?? TenantId.ToString()))
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(Pki.MsalFactory())
            .Build();

    public async Task<string> AppTokenAsync(Guid clientId, string secret, string resource = "https://graph.microsoft.com")
    {
        AuthenticationResult r = await Confidential(clientId, secret).AcquireTokenForClient(new[] { resource + "/.default" }).ExecuteAsync();
        return r.AccessToken;
    }

    public async Task<string> AliceTokenAsync(params string[] scopes)
    {
#pragma warning disable CS0618 // ROPC is obsolete in MSAL because it cannot do MFA; G5Mail supports it for legacy tenants.
        AuthenticationResult r = await Public(PublicAppId)
            .AcquireTokenByUsernamePassword(scopes.Length == 0 ? new[] { "https://graph.microsoft.com/Mail.Send" } : scopes, Alice, AlicePassword)
            .ExecuteAsync();
#pragma warning restore CS0618
        return r.AccessToken;
    }

    public async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string pathOrUrl, string? token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, pathOrUrl.StartsWith("https://", StringComparison.Ordinal) ? pathOrUrl : BaseUrl + pathOrUrl) { Content = content };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public async Task<JsonNode> StatsAsync()
    {
        (_, JsonNode? body, _) = await SendAsync(HttpMethod.Get, "/_test/stats", null);
        return body!;
    }

    /// <summary>Decodes a JWT's header and payload (no validation: the tests check claims, the server checks signatures).</summary>
    public static (JsonObject Header, JsonObject Payload) Decode(string jwt)
    {
        string[] parts = jwt.Split('.');
        return ((JsonObject)JsonNode.Parse(TokenSigner.Base64UrlDecode(parts[0]))!, (JsonObject)JsonNode.Parse(TokenSigner.Base64UrlDecode(parts[1]))!);
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "test server";
}
