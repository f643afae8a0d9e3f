using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// What an access token says about itself, read from its payload WITHOUT validating it (the API that receives it
    /// validates it; G5Mail only reads it to explain: which permissions it carries, for whom, until when). Claim names
    /// after "Microsoft identity platform access tokens" (learn.microsoft.com/entra/identity-platform/access-tokens):
    /// aud, tid, exp, appid/azp, roles (application permissions), scp (delegated, space separated), upn/preferred_username, idtyp.
    /// Never holds the token itself.
    /// </summary>
    public sealed class AccessTokenClaims
    {
        public static readonly AccessTokenClaims Empty = new AccessTokenClaims();

        private AccessTokenClaims()
        {
        }

        public string? Audience { get; private set; }
        public string? TenantId { get; private set; }
        public string? AppId { get; private set; }
        public string? UserName { get; private set; }
        public DateTimeOffset? ExpiresOn { get; private set; }

        /// <summary>Application permissions (app-only tokens).</summary>
        public IReadOnlyList<string> Roles { get; private set; } = Array.Empty<string>();

        /// <summary>Delegated permissions (tokens for a signed-in user).</summary>
        public IReadOnlyList<string> Scopes { get; private set; } = Array.Empty<string>();

        /// <summary>True when the token is for an app without a user (no scp, or idtyp "app").</summary>
        public bool IsAppOnly { get; private set; }

        /// <summary>The permissions the token carries, whichever kind it is.</summary>
        public IReadOnlyList<string> Permissions => IsAppOnly ? Roles : Scopes;

        /// <summary>Reads the claims of a compact JWT (header.payload.signature); null when it is not one.</summary>
        public static AccessTokenClaims? TryRead(string? token)
        {
            if (string.IsNullOrEmpty(token))
            {
                return null;
            }

            string[] parts = token!.Split('.');
            if (parts.Length != 3)
            {
                return null;
            }

            byte[] payload;
            try
            {
                payload = Base64UrlDecode(parts[1]);
            }
            catch (FormatException)
            {
                return null;
            }

            try
            {
                using (JsonDocument document = JsonDocument.Parse(payload))
                {
                    if (document.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        return null;
                    }

                    return FromPayload(document.RootElement);
                }
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private static AccessTokenClaims FromPayload(JsonElement root)
        {
            var claims = new AccessTokenClaims
            {
                Audience = Text(root, "aud"),
                TenantId = Text(root, "tid"),
                AppId = Text(root, "appid") ?? Text(root, "azp"),
                UserName = Text(root, "upn") ?? Text(root, "preferred_username") ?? Text(root, "unique_name"),
            };

            if (root.TryGetProperty("exp", out JsonElement exp) && exp.ValueKind == JsonValueKind.Number && exp.TryGetInt64(out long seconds))
            {
                claims.ExpiresOn = DateTimeOffset.FromUnixTimeSeconds(seconds);
            }

            if (root.TryGetProperty("roles", out JsonElement roles) && roles.ValueKind == JsonValueKind.Array)
            {
                claims.Roles = roles.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!)
                    .Where(r => r.Length > 0).ToArray();
            }

            string? scp = Text(root, "scp");
            if (!string.IsNullOrWhiteSpace(scp))
            {
                claims.Scopes = scp!.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            }

            string? idtyp = Text(root, "idtyp");
            claims.IsAppOnly = idtyp != null ? string.Equals(idtyp, "app", StringComparison.OrdinalIgnoreCase) : claims.Scopes.Count == 0;
            return claims;
        }

        private static string? Text(JsonElement root, string name) =>
            root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        internal static byte[] Base64UrlDecode(string text)
        {
            var s = new StringBuilder(text.Length + 3);
            foreach (char c in text)
            {
                s.Append(c == '-' ? '+' : c == '_' ? '/' : c);
            }

            switch (s.Length % 4)
            {
                case 2:
                    s.Append("==");
                    break;
                case 3:
                    s.Append('=');
                    break;
                case 1:
                    throw new FormatException("Not base64url.");
            }

            return Convert.FromBase64String(s.ToString());
        }
    }
}
