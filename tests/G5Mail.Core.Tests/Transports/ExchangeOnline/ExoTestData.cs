using System;
using System.Net;
using System.Security;
using System.Text;
using System.Text.Json;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.ExchangeOnline;

namespace G5Mail.Core.Tests.Transports.ExchangeOnline
{
    /// <summary>Settings, options and unsigned JWTs for the Exchange Online engine tests.</summary>
    internal static class ExoTestData
    {
        public const string Secret = "Ab7~Q.secret-value-never-shown_0123456789";
        public const string Password = "Pw-never-shown-0815";
        public static readonly Guid ClientId = new Guid("5b1c7a8e-1111-4a2b-9c3d-0123456789ab");

        public static SecureString Secure(string text)
        {
            var secure = new SecureString();
            foreach (char c in text)
            {
                secure.AppendChar(c);
            }

            secure.MakeReadOnly();
            return secure;
        }

        public static SettingValues Settings(AuthenticationFlow flow = AuthenticationFlow.ClientSecret, string? authorityHost = null, string? graph = null)
        {
            return new SettingValues
            {
                Method = MailMethod.ExchangeOnline,
                ClientId = ClientId,
                TenantId = "contoso.onmicrosoft.com",
                AuthenticationFlow = flow,
                ClientSecret = flow == AuthenticationFlow.ClientSecret ? Secure(Secret) : null,
                Credential = flow == AuthenticationFlow.UsernamePassword ? new NetworkCredential("anna@contoso.com", Password) : null,
                From = "Order <order@contoso.com>",
                AuthorityHost = authorityHost == null ? null : new Uri(authorityHost),
                GraphEndpoint = graph == null ? null : new Uri(graph),
            };
        }

        public static ExchangeOnlineOptions Options(AuthenticationFlow flow = AuthenticationFlow.ClientSecret) =>
            ExchangeOnlineOptions.FromSettings(Settings(flow));

        /// <summary>A compact JWT with the given payload and a dummy signature (the code under test never validates it).</summary>
        public static string Jwt(object payload)
        {
            string Part(object o) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(o)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            return Part(new { typ = "JWT", alg = "RS256", kid = "k1" }) + "." + Part(payload) + "." + Part(new { sig = "not checked" });
        }

        public static AccessTokenClaims AppClaims(params string[] roles) =>
            AccessTokenClaims.TryRead(Jwt(new { aud = "https://graph.microsoft.com", idtyp = "app", roles, exp = 1_900_000_000L }))!;

        public static AccessTokenClaims UserClaims(string scp) =>
            AccessTokenClaims.TryRead(Jwt(new { aud = "https://graph.microsoft.com", idtyp = "user", scp, upn = "anna@contoso.com", exp = 1_900_000_000L }))!;

        public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
    }
}
