using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.Identity.Client;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>The Entra ID stand-in, driven by real MSAL.NET as G5Mail will drive it.</summary>
[Collection(ServerCollection.Name)]
public sealed class EntraTests
{
    private readonly ServerFixture _f;

    public EntraTests(ServerFixture fixture) => _f = fixture;

    [Fact]
    public async Task ClientCredentials_IssuesSignedTokenWithDocumentedClaims()
    {
        await _f.ResetAsync();
        AuthenticationResult result = await _f.Confidential(ServerFixture.SenderAppId, ServerFixture.SenderSecret)
            .AcquireTokenForClient(new[] { "https://graph.microsoft.com/.default" }).ExecuteAsync();

        (JsonObject header, JsonObject p) = ServerFixture.Decode(result.AccessToken);
        Assert.Equal("RS256", (string?)header["alg"]);
        Assert.Equal(_f.Host.State.Signer.KeyId, (string?)header["kid"]);
        Assert.Equal("https://graph.microsoft.com", (string?)p["aud"]);
        Assert.Equal($"{_f.BaseUrl}/{ServerFixture.TenantId}/v2.0", (string?)p["iss"]);
        Assert.Equal(ServerFixture.TenantId.ToString(), (string?)p["tid"]);
        Assert.Equal(ServerFixture.SenderAppId.ToString(), (string?)p["appid"]);
        Assert.Equal(ServerFixture.SenderAppId.ToString(), (string?)p["azp"]);
        Assert.Equal("app", (string?)p["idtyp"]);
        Assert.Equal(new[] { "Mail.Send", "Mail.ReadWrite", "Application.Read.All" }, ((JsonArray)p["roles"]!).Select(n => (string?)n));
        Assert.Null(p["scp"]);
        Assert.Equal(3600, (long)p["exp"]! - (long)p["iat"]!);
        Assert.True(result.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(55));

        // The signature verifies with the key published in the tenant's JWKS, found through OIDC discovery.
        (_, JsonNode? oidc, _) = await _f.SendAsync(HttpMethod.Get, $"/{ServerFixture.TenantId}/v2.0/.well-known/openid-configuration", null);
        Assert.Equal((string?)p["iss"], (string?)oidc!["issuer"]);
        (_, JsonNode? jwks, _) = await _f.SendAsync(HttpMethod.Get, new Uri((string)oidc["jwks_uri"]!).PathAndQuery, null);
        JsonNode key = jwks!["keys"]!.AsArray().Single(k => (string?)k!["kid"] == (string?)header["kid"])!;
        using RSA rsa = RSA.Create(new RSAParameters { Modulus = TokenSigner.Base64UrlDecode((string)key["n"]!), Exponent = TokenSigner.Base64UrlDecode((string)key["e"]!) });
        string[] parts = result.AccessToken.Split('.');
        Assert.True(rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), TokenSigner.Base64UrlDecode(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        JsonNode stats = await _f.StatsAsync();
        Assert.Equal(1, (int)stats["tokenRequests"]!["byGrantTypeAndClientId"]![$"client_credentials:{ServerFixture.SenderAppId}"]!);
    }

    [Fact]
    public async Task ClientCredentials_ByDomainAndForExchange_UsesRequestedAudienceAndItsRoles()
    {
        AuthenticationResult result = await _f.Confidential(ServerFixture.NoGraphAppId, ServerFixture.NoGraphSecret, tenant: ServerFixture.Domain)
            .AcquireTokenForClient(new[] { "https://outlook.office365.com/.default" }).ExecuteAsync();
        (_, JsonObject p) = ServerFixture.Decode(result.AccessToken);
        Assert.Equal("https://outlook.office365.com", (string?)p["aud"]);
        Assert.Equal(ServerFixture.TenantId.ToString(), (string?)p["tid"]); // a domain resolves to the tenant id
        Assert.Equal("SMTP.SendAsApp", (string?)p["roles"]![0]);
    }

    [Fact]
    public async Task InstanceDiscoveryMetadataUri_PointsMsalAtThisHost()
    {
        await _f.ResetAsync();
        IConfidentialClientApplication app = ConfidentialClientApplicationBuilder.Create(ServerFixture.SenderAppId.ToString())
            .WithClientSecret(ServerFixture.SenderSecret)
            .WithAuthority(_f.Authority(ServerFixture.TenantId.ToString()), validateAuthority: false) // MSAL requires this with custom metadata
            .WithInstanceDiscoveryMetadata(new Uri($"{_f.BaseUrl}/common/discovery/instance"))
            .WithHttpClientFactory(_f.Pki.MsalFactory())
            .Build();
        AuthenticationResult result = await app.AcquireTokenForClient(new[] { "https://graph.microsoft.com/.default" }).ExecuteAsync();
        Assert.False(string.IsNullOrEmpty(result.AccessToken));
        JsonNode stats = await _f.StatsAsync();
        Assert.Equal(1, (int)stats["byRoute"]!["instanceDiscovery"]!);
        Assert.Equal(1, (int)stats["byRoute"]!["token"]!);
    }

    [Fact]
    public async Task ClientCredentials_TokenCachedByMsal_OneRequestForManyCalls()
    {
        await _f.ResetAsync();
        IConfidentialClientApplication app = _f.Confidential(ServerFixture.SenderAppId, ServerFixture.SenderSecret);
        for (int i = 0; i < 5; i++)
        {
            await app.AcquireTokenForClient(new[] { "https://graph.microsoft.com/.default" }).ExecuteAsync();
        }

        JsonNode stats = await _f.StatsAsync();
        Assert.Equal(1, (int)stats["tokenRequests"]!["total"]!);
        Assert.Equal(1, (int)stats["tokenRequests"]!["byGrantType"]!["client_credentials"]!);
    }

    public static IEnumerable<object[]> ClientCredentialErrors() => new[]
    {
        // client, secret, tenant, scope, expected AADSTS code, expected OAuth error, expected HTTP status
        new object[] { ServerFixture.SenderAppId, "wrong-secret-value", null!, "https://graph.microsoft.com/.default", "7000215", "invalid_client", 401 },
        new object[] { ServerFixture.SenderAppId, ServerFixture.ExpiredSecret, null!, "https://graph.microsoft.com/.default", "7000222", "invalid_client", 401 },
        new object[] { Guid.Parse("99999999-0000-4000-8000-000000000009"), ServerFixture.SenderSecret, null!, "https://graph.microsoft.com/.default", "700016", "unauthorized_client", 400 },
        new object[] { ServerFixture.SenderAppId, ServerFixture.SenderSecret, "4d3c2b1a-0000-4000-8000-00000000dead", "https://graph.microsoft.com/.default", "90002", "invalid_request", 400 },
        new object[] { ServerFixture.SenderAppId, ServerFixture.SenderSecret, "nosuchtenant.example", "https://graph.microsoft.com/.default", "90002", "invalid_request", 400 },
        new object[] { ServerFixture.SenderAppId, ServerFixture.SenderSecret, null!, "https://graph.microsoft.com/Mail.Send", "1002012", "invalid_scope", 400 },
        new object[] { ServerFixture.SenderAppId, ServerFixture.SenderSecret, null!, "https://unknown.example/.default", "500011", "invalid_resource", 400 },
        new object[] { ServerFixture.SenderAppId, ServerFixture.SenderSecret, "organizations", "https://graph.microsoft.com/.default", "50059", "invalid_request", 400 },
        // The app lives in the first tenant: asking the other tenant for it is "not found in the directory".
        new object[] { ServerFixture.SenderAppId, ServerFixture.SenderSecret, ServerFixture.OtherTenantId.ToString(), "https://graph.microsoft.com/.default", "700016", "unauthorized_client", 400 },
    };

    [Theory]
    [MemberData(nameof(ClientCredentialErrors))]
    public async Task ClientCredentials_Errors_SurfaceInMsalServiceException(Guid clientId, string secret, string? tenant, string scope, string code, string error, int status)
    {
        MsalServiceException ex = await Assert.ThrowsAnyAsync<MsalServiceException>(() =>
            _f.Confidential(clientId, secret, tenant).AcquireTokenForClient(new[] { scope }).ExecuteAsync());
        Assert.Contains(code, ex.ErrorCodesForLogging ?? Array.Empty<string>());
        Assert.Equal(error, ex.ErrorCode);
        Assert.Equal(status, ex.StatusCode);
        // MSAL keeps the server's text (for invalid_client after its own "A configuration issue..." preamble).
        Assert.Contains($"AADSTS{code}:", ex.Message);
        Assert.DoesNotContain(secret, ex.Message + ex.ResponseBody);
    }

    [Fact]
    public async Task UsernamePassword_IssuesDelegatedTokenWithScpAndUpn()
    {
        await _f.ResetAsync();
#pragma warning disable CS0618 // ROPC is marked obsolete in MSAL; G5Mail supports it for tenants that still allow it.
        AuthenticationResult result = await _f.Public(ServerFixture.PublicAppId)
            .AcquireTokenByUsernamePassword(new[] { "https://graph.microsoft.com/Mail.Send" }, ServerFixture.Alice, ServerFixture.AlicePassword).ExecuteAsync();
#pragma warning restore CS0618
        (_, JsonObject p) = ServerFixture.Decode(result.AccessToken);
        Assert.Equal("https://graph.microsoft.com", (string?)p["aud"]);
        Assert.Equal("Mail.Send Mail.ReadWrite User.Read", (string?)p["scp"]);
        Assert.Null(p["roles"]);
        Assert.Equal(ServerFixture.Alice, (string?)p["upn"]);
        Assert.Equal(ServerFixture.Alice, (string?)p["preferred_username"]);
        Assert.Equal("user", (string?)p["idtyp"]);
        Assert.Equal(ServerFixture.PublicAppId.ToString(), (string?)p["azp"]);
        Assert.Equal(ServerFixture.Alice, result.Account.Username); // MSAL read the id_token / client_info
        Assert.Equal(ServerFixture.TenantId.ToString(), result.TenantId);

        JsonNode stats = await _f.StatsAsync();
        Assert.Equal(1, (int)stats["byRoute"]!["userRealm"]!);
        Assert.Equal(1, (int)stats["tokenRequests"]!["byGrantType"]!["password"]!);
    }

    [Fact]
    public async Task UsernamePassword_ExchangeSmtpScope_GivesOutlookAudience()
    {
        string token = await _f.AliceTokenAsync("https://outlook.office.com/SMTP.Send");
        (_, JsonObject p) = ServerFixture.Decode(token);
        Assert.Equal("https://outlook.office.com", (string?)p["aud"]);
        Assert.Equal("SMTP.Send", (string?)p["scp"]);
    }

    public static IEnumerable<object[]> PasswordErrors() => new[]
    {
        new object[] { ServerFixture.Alice, "not-the-password", "https://graph.microsoft.com/Mail.Send", "50126", "invalid_grant" },
        new object[] { ServerFixture.Mfa, ServerFixture.MfaPassword, "https://graph.microsoft.com/Mail.Send", "50076", "invalid_grant" },
        new object[] { "nobody@g5mail.test", "whatever", "https://graph.microsoft.com/Mail.Send", "50034", "invalid_grant" },
        new object[] { ServerFixture.Alice, ServerFixture.AlicePassword, "https://graph.microsoft.com/Mail.Send.Shared", "65001", "invalid_grant" },
    };

    [Theory]
    [MemberData(nameof(PasswordErrors))]
    public async Task UsernamePassword_Errors_SurfaceInMsalServiceException(string user, string password, string scope, string code, string error)
    {
#pragma warning disable CS0618
        MsalServiceException ex = await Assert.ThrowsAnyAsync<MsalServiceException>(() =>
            _f.Public(ServerFixture.PublicAppId).AcquireTokenByUsernamePassword(new[] { scope }, user, password).ExecuteAsync());
#pragma warning restore CS0618
        Assert.Contains(code, ex.ErrorCodesForLogging ?? Array.Empty<string>());
        Assert.Equal(error, ex.ErrorCode);
        Assert.DoesNotContain(password, ex.Message + ex.ResponseBody);
    }

    [Fact]
    public async Task UsernamePassword_ConfidentialAppWithoutSecret_IsInvalidClient()
    {
#pragma warning disable CS0618
        MsalServiceException ex = await Assert.ThrowsAnyAsync<MsalServiceException>(() =>
            _f.Public(ServerFixture.SenderAppId).AcquireTokenByUsernamePassword(new[] { "https://graph.microsoft.com/Mail.Send" }, ServerFixture.Alice, ServerFixture.AlicePassword).ExecuteAsync());
#pragma warning restore CS0618
        Assert.Contains("7000218", ex.ErrorCodesForLogging ?? Array.Empty<string>());
    }

    [Fact]
    public async Task TokenEndpoint_RejectsJsonBodyAndGet_WithDocumentedShape()
    {
        var json = ServerFixture.Json(new JsonObject { ["grant_type"] = "client_credentials", ["client_id"] = ServerFixture.SenderAppId.ToString() });
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, $"/{ServerFixture.TenantId}/oauth2/v2.0/token", null, json);
        Assert.Equal(400, status);
        Assert.Equal("invalid_request", (string?)body!["error"]);
        Assert.Equal(900144, (int)body["error_codes"]![0]!);
        Assert.StartsWith("AADSTS900144: The request body must contain the following parameter: 'grant_type'.", (string?)body["error_description"]);
        foreach (string field in new[] { "timestamp", "trace_id", "correlation_id", "error_uri" }) Assert.NotNull(body[field]);

        (status, body, _) = await _f.SendAsync(HttpMethod.Get, $"/{ServerFixture.TenantId}/oauth2/v2.0/token", null);
        Assert.Equal(400, status);
        Assert.Equal(900561, (int)body!["error_codes"]![0]!);
    }

    [Fact]
    public async Task RefreshToken_RenewsDelegatedToken()
    {
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = ServerFixture.PublicAppId.ToString(), ["username"] = ServerFixture.Alice,
            ["password"] = ServerFixture.AlicePassword, ["scope"] = "https://graph.microsoft.com/Mail.Send offline_access openid",
        });
        (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, $"/organizations/oauth2/v2.0/token", null, form);
        Assert.Equal(200, status);
        Assert.NotNull(body!["id_token"]);
        string refresh = (string)body["refresh_token"]!;

        var renew = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["client_id"] = ServerFixture.PublicAppId.ToString(), ["refresh_token"] = refresh,
            ["scope"] = "https://graph.microsoft.com/.default",
        });
        (status, body, _) = await _f.SendAsync(HttpMethod.Post, $"/{ServerFixture.TenantId}/oauth2/v2.0/token", null, renew);
        Assert.Equal(200, status);
        Assert.Equal(ServerFixture.Alice, (string?)ServerFixture.Decode((string)body!["access_token"]!).Payload["upn"]);
    }
}
