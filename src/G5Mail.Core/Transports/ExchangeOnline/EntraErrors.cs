using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Identity.Client;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>TokenAcquisitionFailed with the Entra error code, so callers can react to one (e.g. an expired secret).</summary>
    public sealed class TokenAcquisitionException : G5MailErrorException
    {
        public TokenAcquisitionException(int? entraCode, ErrorKind kind, string message, string setting, Exception? inner)
            : base(ErrorIds.TokenAcquisitionFailed, kind, message, setting, inner)
        {
            EntraCode = entraCode;
        }

        /// <summary>The AADSTS number, e.g. 7000222 for an expired client secret; null when Entra gave none.</summary>
        public int? EntraCode { get; }
    }

    /// <summary>
    /// Turns MSAL failures into TokenAcquisitionFailed errors that name the Entra error code (AADSTSnnnn) and say, in
    /// plain words, what to change. Codes and meanings from "Microsoft Entra authentication and authorization error codes"
    /// (learn.microsoft.com/entra/identity-platform/reference-error-codes). The secret and the password are never part
    /// of any text here: messages are built from the code, the settings' names and the non-secret settings.
    /// </summary>
    public static class EntraErrors
    {
        private static readonly Regex AadstsPattern = new Regex(@"AADSTS(\d{4,})", RegexOptions.CultureInvariant);

        /// <summary>The AADSTS code of a service error: from its text ("AADSTS7000215: ..."), else from the error codes list.</summary>
        public static int? FindCode(string? message, IEnumerable<string>? codes)
        {
            if (message != null)
            {
                Match m = AadstsPattern.Match(message);
                if (m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int fromText))
                {
                    return fromText;
                }
            }

            foreach (string code in codes ?? Enumerable.Empty<string>())
            {
                if (int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed))
                {
                    return parsed;
                }
            }

            return null;
        }

        public static G5MailErrorException Map(Exception ex, ExchangeOnlineOptions options)
        {
            switch (ex)
            {
                case G5MailErrorException known:
                    return known;
                case MsalThrottledServiceException throttled:
                    return new G5MailErrorException(ErrorIds.TokenAcquisitionFailed, ErrorKind.ResourceUnavailable,
                        $"Entra ID ({options.AuthorityHost.Host}) is throttling token requests from this computer{RetryAfterText(throttled)}. " +
                        "Wait a little and try again; many parallel sends with separate pipelines can cause this.", options.AuthorityHost.Host, ex);
                case MsalServiceException service:
                    return FromService(service.ErrorCode, service.Message, service.ErrorCodesForLogging, service.StatusCode, options, ex);
                case MsalClientException client:
                    return FromClient(client, options);
                case HttpRequestException _:
                case SocketException _:
                    return Unreachable(options, ex);
                default:
                    return new G5MailErrorException(ErrorIds.TokenAcquisitionFailed, ErrorKind.NotSpecified,
                        $"Getting a token from Entra ID ({options.AuthorityHost.Host}) failed: {ex.Message}", options.AuthorityHost.Host, ex);
            }
        }

        /// <summary>A service error (the token endpoint answered with an error), by AADSTS code.</summary>
        internal static G5MailErrorException FromService(string? error, string? message, IEnumerable<string>? codes, int status,
            ExchangeOnlineOptions options, Exception? inner)
        {
            int? code = FindCode(message, codes);
            (string Setting, ErrorKind Kind, string Text)? explained = code.HasValue ? Explain(code.Value, options) : null;
            if (explained == null && status == 429)
            {
                explained = ("AuthorityHost", ErrorKind.ResourceUnavailable, "Entra ID is throttling token requests. Wait a little and try again.");
            }

            string codeText = code.HasValue ? "AADSTS" + code.Value.ToString(CultureInfo.InvariantCulture) : (error ?? "error");
            if (explained != null)
            {
                return new TokenAcquisitionException(code, explained.Value.Kind,
                    $"Entra ID refused the token ({codeText}): {explained.Value.Text}", explained.Value.Setting, inner);
            }

            return new TokenAcquisitionException(code, ErrorKind.AuthenticationError,
                $"Entra ID refused the token ({codeText}): {Describe(message)} Look the code up at https://login.microsoftonline.com/error " +
                "and check ClientId, TenantId and the app registration.", "ClientId", inner);
        }

        /// <summary>What the code means for a G5Mail user, which setting to change, and how.</summary>
        internal static (string Setting, ErrorKind Kind, string Text)? Explain(int code, ExchangeOnlineOptions o)
        {
            string secretFix = "Create a new client secret in the app registration (Certificates & secrets) and store its Value with " +
                               "Set-G5MailSetting -Scope System -ClientSecret (Read-Host -AsSecureString) -ClientSecretExpiresOn <date>.";
            string user = o.UserName ?? "the user";
            switch (code)
            {
                case 7000215:
                    return ("ClientSecret", ErrorKind.AuthenticationError,
                        $"the client secret is wrong for app {o.ClientId}. ClientSecret must be the secret's Value (shown once, when it was " +
                        "created), not its Secret ID. Store the right value with Set-G5MailSetting -Scope System -ClientSecret (Read-Host -AsSecureString), " +
                        "or create a new secret if the value is lost.");
                case 7000222:
                    return ("ClientSecret", ErrorKind.AuthenticationError,
                        $"the client secret of app {o.ClientId} has expired. {secretFix} Get-G5SecretExpiry warns ahead of the next expiry.");
                case 700016:
                    return ("ClientId", ErrorKind.InvalidArgument,
                        $"no app with ClientId {o.ClientId} exists in tenant '{o.TenantId}'. Check ClientId (the app's 'Application (client) ID') " +
                        "and TenantId (its 'Directory (tenant) ID'): Set-G5MailSetting -Scope System -ClientId <guid> -TenantId <guid>.");
                case 90002:
                case 90072:
                    return ("TenantId", ErrorKind.InvalidArgument,
                        $"tenant '{o.TenantId}' was not found at {o.AuthorityHost.Host}. Check TenantId (the 'Directory (tenant) ID' or a verified domain) " +
                        "and, for a national cloud, AuthorityHost: Set-G5MailSetting -Scope System -TenantId <guid>.");
                case 900023:
                    return ("TenantId", ErrorKind.InvalidArgument,
                        $"'{o.TenantId}' is not a valid tenant: give the 'Directory (tenant) ID' (a GUID) or a verified domain such as contoso.onmicrosoft.com.");
                case 50126:
                    return ("Credential", ErrorKind.AuthenticationError,
                        $"the user name or password of '{user}' is wrong. Store the right credential with Set-G5MailSetting -Scope User -Credential (Get-Credential).");
                case 50034:
                    return ("Credential", ErrorKind.AuthenticationError,
                        $"the user '{user}' does not exist in tenant '{o.TenantId}'. Check the user name (the UPN, e.g. anna@contoso.com) of the User-scope Credential.");
                case 50076:
                case 50079:
                case 50074:
                case 50072:
                    return ("AuthenticationFlow", ErrorKind.AuthenticationError,
                        $"the account '{user}' must use multi-factor authentication, which the UsernamePassword flow (ROPC) cannot do. " +
                        "Use the ClientSecret flow (an app with the application permission, see the README) with Set-G5MailSetting -Scope System " +
                        "-AuthenticationFlow ClientSecret -ClientSecret (Read-Host -AsSecureString), or have the administrator exclude this account from MFA.");
                case 53003:
                    return ("AuthenticationFlow", ErrorKind.AuthenticationError,
                        $"a Conditional Access policy blocked the sign-in of '{user}'. Use the ClientSecret flow, or ask the Entra administrator " +
                        "to exclude this app or account from the policy.");
                case 50053:
                    return ("Credential", ErrorKind.AuthenticationError,
                        $"the account '{user}' is locked after too many sign-in attempts. Wait, or have an administrator unlock it, then check the stored password.");
                case 50055:
                    return ("Credential", ErrorKind.AuthenticationError,
                        $"the password of '{user}' has expired. Change it, then store it with Set-G5MailSetting -Scope User -Credential (Get-Credential).");
                case 50057:
                    return ("Credential", ErrorKind.AuthenticationError, $"the account '{user}' is disabled in Entra ID.");
                case 65001:
                    return ("ClientId", ErrorKind.PermissionDenied,
                        $"nobody has consented to the permissions of app {o.ClientId}. An administrator must grant admin consent: Entra admin center > " +
                        "App registrations > the app > API permissions > 'Grant admin consent for <tenant>'.");
                case 7000218:
                    return ("AuthenticationFlow", ErrorKind.InvalidArgument,
                        $"app {o.ClientId} does not allow public client flows, which the UsernamePassword flow needs. In the app registration set " +
                        "Authentication > Advanced settings > 'Allow public client flows' to Yes, or use the ClientSecret flow.");
                case 700024:
                case 700025:
                    return ("AuthenticationFlow", ErrorKind.InvalidArgument,
                        $"app {o.ClientId} is a public client and cannot use a client secret; use the UsernamePassword flow or a confidential app.");
                case 7000112:
                    return ("ClientId", ErrorKind.PermissionDenied, $"app {o.ClientId} is disabled in the tenant. Ask the Entra administrator to enable it.");
                case 500011:
                    return ("GraphEndpoint", ErrorKind.InvalidArgument,
                        $"the API the token was asked for is not known in tenant '{o.TenantId}'. Check GraphEndpoint (https://graph.microsoft.com " +
                        "unless you use a national cloud) and that Exchange Online is licensed in the tenant.");
                case 50059:
                    return ("TenantId", ErrorKind.InvalidArgument, "no tenant was given. Set TenantId to the 'Directory (tenant) ID'.");
                case 90033:
                    return ("AuthorityHost", ErrorKind.ResourceUnavailable, "Entra ID reported a temporary problem. Try again in a moment.");
                default:
                    return null;
            }
        }

        private static G5MailErrorException FromClient(MsalClientException ex, ExchangeOnlineOptions options)
        {
            Exception? network = ex.InnerException;
            while (network != null && !(network is HttpRequestException) && !(network is SocketException) && !(network is System.Security.Authentication.AuthenticationException))
            {
                network = network.InnerException;
            }

            if (network != null || ex.ErrorCode == MsalError.RequestTimeout || ex.ErrorCode == MsalError.ServiceNotAvailable)
            {
                return Unreachable(options, ex);
            }

            if (ex.ErrorCode == MsalError.AuthorityValidationFailed || ex.ErrorCode == MsalError.InvalidInstance || ex.ErrorCode == MsalError.InvalidAuthority)
            {
                return new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                    $"Entra ID does not accept '{options.Authority}' as an authority ({ex.ErrorCode}). Check AuthorityHost (e.g. " +
                    "https://login.microsoftonline.com, or https://login.microsoftonline.us for US Government) and TenantId.", "AuthorityHost", ex);
            }

            return new G5MailErrorException(ErrorIds.TokenAcquisitionFailed, ErrorKind.AuthenticationError,
                $"Getting a token from Entra ID ({options.AuthorityHost.Host}) failed ({ex.ErrorCode}): {Describe(ex.Message)}", "AuthorityHost", ex);
        }

        private static G5MailErrorException Unreachable(ExchangeOnlineOptions options, Exception ex)
        {
            Exception inner = ex;
            while (inner.InnerException != null)
            {
                inner = inner.InnerException;
            }

            bool certificate = inner is System.Security.Authentication.AuthenticationException ||
                               inner.Message.IndexOf("certificate", StringComparison.OrdinalIgnoreCase) >= 0;
            if (certificate)
            {
                return new G5MailErrorException(ErrorIds.CertificateInvalid, ErrorKind.SecurityError,
                    $"The TLS certificate of {options.AuthorityHost.Host} is not trusted by this computer ({inner.Message}). " +
                    "Entra ID's certificates are checked against the system's trusted roots; a proxy that inspects TLS needs its CA installed.",
                    options.AuthorityHost.Host, ex);
            }

            return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                $"Entra ID could not be reached at {options.AuthorityHost.Host} ({inner.Message}). Check the network, proxy and firewall " +
                "(HTTPS to the authority host must be allowed) and AuthorityHost.", options.AuthorityHost.Host, ex);
        }

        /// <summary>The readable part of an Entra message: without the Trace ID / Correlation ID / Timestamp tail.</summary>
        internal static string Describe(string? message)
        {
            if (string.IsNullOrWhiteSpace(message))
            {
                return "no details were given.";
            }

            string text = message!;
            int trace = text.IndexOf(" Trace ID:", StringComparison.Ordinal);
            if (trace > 0)
            {
                text = text.Substring(0, trace);
            }

            text = Regex.Replace(text, @"\s+", " ").Trim();
            return text.EndsWith(".", StringComparison.Ordinal) ? text : text + ".";
        }

        private static string RetryAfterText(MsalServiceException ex)
        {
            TimeSpan? delta = ex.Headers?.RetryAfter?.Delta;
            return delta.HasValue ? $" (it asks to wait {(int)Math.Ceiling(delta.Value.TotalSeconds)} s)" : string.Empty;
        }

        /// <summary>The warning the UsernamePassword flow carries every time it is used.</summary>
        public static string RopcWarning(string? user) =>
            $"Exchange Online: signing in as '{user}' with a user name and password (ROPC). This fails as soon as multi-factor " +
            "authentication or a Conditional Access policy applies to the account, and Microsoft advises against it; prefer " +
            "-AuthenticationFlow ClientSecret (see the README).";

        /// <summary>True for flows whose failure the user can fix by setting; used by tests to keep the list honest.</summary>
        internal static IEnumerable<int> KnownCodes => new[]
        {
            7000215, 7000222, 700016, 90002, 90072, 900023, 50126, 50034, 50076, 50079, 50074, 50072, 53003, 50053, 50055, 50057,
            65001, 7000218, 700024, 700025, 7000112, 500011, 50059, 90033,
        };
    }
}
