using System;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.Core.Tests.Transports.ExchangeOnline
{
    public sealed class AccessTokenClaimsTests
    {
        [Fact]
        public void Reads_an_app_only_token_with_its_roles_audience_tenant_and_expiry()
        {
            string token = ExoTestData.Jwt(new
            {
                aud = "https://graph.microsoft.com",
                tid = "72f988bf-86f1-41af-91ab-2d7cd011db47",
                appid = "5b1c7a8e-1111-4a2b-9c3d-0123456789ab",
                idtyp = "app",
                roles = new[] { "Mail.Send", "Mail.ReadWrite" },
                exp = 1_900_000_000L,
            });

            AccessTokenClaims claims = AccessTokenClaims.TryRead(token)!;

            Assert.True(claims.IsAppOnly);
            Assert.Equal(new[] { "Mail.Send", "Mail.ReadWrite" }, claims.Roles);
            Assert.Equal(claims.Roles, claims.Permissions);
            Assert.Empty(claims.Scopes);
            Assert.Equal("https://graph.microsoft.com", claims.Audience);
            Assert.Equal("72f988bf-86f1-41af-91ab-2d7cd011db47", claims.TenantId);
            Assert.Equal("5b1c7a8e-1111-4a2b-9c3d-0123456789ab", claims.AppId);
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000L), claims.ExpiresOn);
        }

        [Fact]
        public void Reads_a_delegated_token_with_space_separated_scopes_and_the_user()
        {
            string token = ExoTestData.Jwt(new { aud = "https://outlook.office.com", scp = "SMTP.Send  Mail.Send", preferred_username = "anna@contoso.com", azp = "app-id" });

            AccessTokenClaims claims = AccessTokenClaims.TryRead(token)!;

            Assert.False(claims.IsAppOnly);
            Assert.Equal(new[] { "SMTP.Send", "Mail.Send" }, claims.Scopes);
            Assert.Equal(claims.Scopes, claims.Permissions);
            Assert.Equal("anna@contoso.com", claims.UserName);
            Assert.Equal("app-id", claims.AppId);
            Assert.Null(claims.ExpiresOn);
        }

        [Fact]
        public void A_token_without_roles_or_scopes_is_app_only_with_no_permissions()
        {
            // What Entra issues when the app has no application permission on the API: no roles claim at all.
            AccessTokenClaims claims = AccessTokenClaims.TryRead(ExoTestData.Jwt(new { aud = "https://graph.microsoft.com", sub = "sp" }))!;

            Assert.True(claims.IsAppOnly);
            Assert.Empty(claims.Permissions);
        }

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("opaque-token-without-dots")]
        [InlineData("a.b")]
        [InlineData("a.%%%.c")]
        [InlineData("a.x.c")]
        [InlineData("eyJhbGciOiJub25lIn0.WyJhcnJheSJd.c")] // payload is a JSON array, not an object
        [InlineData("eyJhbGciOiJub25lIn0.bm90IGpzb24.c")] // payload "not json"
        public void Anything_that_is_not_a_JWT_with_a_JSON_object_payload_gives_null(string? token)
        {
            Assert.Null(AccessTokenClaims.TryRead(token));
        }

        [Theory]
        [InlineData("YQ", "a")]
        [InlineData("YWI", "ab")]
        [InlineData("YWJj", "abc")]
        [InlineData("-_8", "\u00fb\u00ff")]
        public void Base64url_without_padding_decodes(string text, string expected)
        {
            byte[] bytes = AccessTokenClaims.Base64UrlDecode(text);
            Assert.Equal(expected, System.Text.Encoding.Latin1.GetString(bytes));
        }

        [Fact]
        public void The_access_token_never_shows_its_value_as_text()
        {
            string jwt = ExoTestData.Jwt(new { aud = "https://graph.microsoft.com", roles = new[] { "Mail.Send" } });
            var token = new AccessToken(jwt, DateTimeOffset.UtcNow.AddHours(1), AccessTokenClaims.TryRead(jwt)!);

            Assert.DoesNotContain(jwt, token.ToString());
            Assert.Contains("https://graph.microsoft.com", token.ToString());
        }
    }
}
