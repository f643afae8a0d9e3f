using System;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using G5Mail.Core.Errors;
using G5Mail.Core.Transports;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>What a Graph call is, for error messages: what it does and which permission it needs.</summary>
    public sealed class GraphOperation
    {
        public GraphOperation(string description, string permission, bool sendsMessage = false)
        {
            Description = description;
            Permission = permission;
            SendsMessage = sendsMessage;
        }

        /// <summary>True for the call that makes Exchange send (sendMail, message: send): a lost answer there may mean it was sent.</summary>
        public bool SendsMessage { get; }

        /// <summary>e.g. "send the message (sendMail)".</summary>
        public string Description { get; }

        public string Permission { get; }
    }

    /// <summary>
    /// Graph's answers as G5Mail errors. The error body is { "error": { "code", "message" } } ("Microsoft Graph error
    /// responses and resource types", learn.microsoft.com/graph/errors). Graph does not say which permission is missing:
    /// 401 InvalidAuthenticationToken comes when the token carries no permission for Graph at all, 403 (ErrorAccessDenied for
    /// mail, Authorization_RequestDenied for directory objects) when one is missing; G5Mail names the permission the call
    /// needs, and says whether the token carried it (then an Exchange application access policy limits the app).
    /// </summary>
    public static class GraphErrors
    {
        /// <summary>
        /// True for a 401 that says the token is no longer good rather than that the app lacks permission: a claims challenge
        /// (Continuous Access Evaluation: WWW-Authenticate: Bearer ... error="insufficient_claims", claims="...", in "How to use
        /// Continuous Access Evaluation enabled APIs in your applications", learn.microsoft.com/entra/identity-platform/
        /// app-resilience-continuous-access-evaluation), or a token that carries Graph permissions and was still refused
        /// (InvalidAuthenticationToken "Lifetime validation failed, the token is expired", a revoked token, clock skew). A 401
        /// for a token with no Graph permission at all stays a permission problem: a new token would carry none either.
        /// </summary>
        public static bool IsTokenNoLongerAccepted(int status, HttpResponseHeaders? headers, AccessTokenClaims? claims) =>
            status == 401 && (ClaimsChallenge(headers) != null || (claims != null && claims.Permissions.Count > 0));

        /// <summary>The decoded claims="..." of a Bearer insufficient_claims challenge, or null.</summary>
        public static string? ClaimsChallenge(HttpResponseHeaders? headers)
        {
            if (headers == null)
            {
                return null;
            }

            foreach (AuthenticationHeaderValue challenge in headers.WwwAuthenticate)
            {
                if (!string.Equals(challenge.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) || challenge.Parameter == null ||
                    challenge.Parameter.IndexOf("insufficient_claims", StringComparison.OrdinalIgnoreCase) < 0)
                {
                    continue;
                }

                Match match = Regex.Match(challenge.Parameter, "(?:^|[,\\s])claims\\s*=\\s*\"([^\"]*)\"", RegexOptions.IgnoreCase);
                if (!match.Success)
                {
                    continue;
                }

                string encoded = match.Groups[1].Value.Trim().Replace('-', '+').Replace('_', '/');
                encoded = encoded.PadRight(encoded.Length + (4 - encoded.Length % 4) % 4, '=');
                try
                {
                    return Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
                }
                catch (FormatException)
                {
                    return null;
                }
            }

            return null;
        }

        /// <summary>
        /// A 401 to a token fetched a moment ago: not a stale token but an account or app that Entra ID still signs in and
        /// Graph no longer accepts (disabled, revoked sessions, a Conditional Access policy). Trying further messages would
        /// only repeat it, so it is an AuthenticationFailed, which stops the run.
        /// </summary>
        public static G5MailErrorException TokenRejectedAgain(int status, string? code, string? message, GraphOperation operation, ExchangeOnlineOptions options)
        {
            string said = $"{status}{(code != null ? " " + code : string.Empty)}{(string.IsNullOrWhiteSpace(message) ? string.Empty : ": " + OneLine(message!))}";
            string who = options.IsAppOnly ? $"the app {options.ClientId}" : $"'{options.UserName}'";
            return new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError,
                $"Microsoft Graph ({options.GraphEndpoint.Host}) did not accept a token for {who} just issued by Entra ID to " +
                $"{operation.Description} ({said}), after it had refused the previous one too. The sign-in is revoked or blocked " +
                "(a disabled account or app, revoked sessions, a Conditional Access policy): check the sign-in logs in Entra ID.",
                operation.Description)
            {
                Failure = FailureClass.Permanent,
                Cause = $"HTTP {status}{(code != null ? " " + code : string.Empty)} with a fresh token",
            };
        }

        /// <summary>The code and message of a Graph error body; nulls when the body is not one.</summary>
        public static (string? Code, string? Message) ReadError(byte[]? body)
        {
            if (body == null || body.Length == 0)
            {
                return (null, null);
            }

            try
            {
                using (JsonDocument document = JsonDocument.Parse(body))
                {
                    if (document.RootElement.ValueKind == JsonValueKind.Object &&
                        document.RootElement.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.Object)
                    {
                        string? code = error.TryGetProperty("code", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                        string? message = error.TryGetProperty("message", out JsonElement m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                        return (code, message);
                    }
                }
            }
            catch (JsonException)
            {
            }

            return (null, null);
        }

        /// <summary>
        /// A Graph error answer as a G5MailErrorException with its <see cref="FailureClass"/>: 429, 503 and 504 are transient
        /// (Graph's throttling guidance: wait Retry-After and try again), except on the call that sends. There a 504 means a
        /// gateway gave up waiting for Exchange, and a 500 or 502 that something failed somewhere between Graph and the
        /// mailbox server after the request arrived: RFC 9110 15.6.1 (500: "encountered an unexpected condition"), 15.6.3
        /// (502: "received an invalid response from an inbound server") and 15.6.5 (504) say nothing of whether the request
        /// was carried out, and Exchange may have sent the message. Those are uncertain, never resent.
        /// </summary>
        /// <param name="retryAfter">Retry-After, when Graph sent one.</param>
        public static G5MailErrorException Map(int status, string? code, string? message, GraphOperation operation, ExchangeOnlineOptions options,
            AccessTokenClaims? claims, TimeSpan? retryAfter = null)
        {
            G5MailErrorException mapped = Describe(status, code, message, operation, options, claims, retryAfter);
            mapped.Failure = FailureClassification.HttpStatus(status);
            mapped.RetryAfter = retryAfter;
            mapped.Cause = $"HTTP {status}{(code != null ? " " + code : string.Empty)}";
            if ((status == 500 || status == 502 || status == 504) && operation.SendsMessage)
            {
                string what = status == 504 ? "504 Gateway Timeout" : status == 502 ? "502 Bad Gateway" : "500 Internal Server Error";
                string why = status == 504 ? "a gateway stopped waiting for Exchange Online" : "the request failed somewhere after it reached Microsoft Graph";
                return new G5MailErrorException(ErrorIds.DeliveryUncertain, ErrorKind.ResourceUnavailable,
                    $"Microsoft Graph ({options.GraphEndpoint.Host}) answered {what} to '{operation.Description}': {why}, and Exchange Online " +
                    "may or may not have sent the message, so G5Mail did not send it again. Look in the " +
                    "sender's Sent Items before sending it again; rerun with -JournalPath to be safe: the journal keeps such messages from " +
                    "being sent twice.", operation.Description)
                {
                    Failure = FailureClass.Uncertain,
                    Cause = mapped.Cause,
                };
            }

            return mapped;
        }

        private static G5MailErrorException Describe(int status, string? code, string? message, GraphOperation operation, ExchangeOnlineOptions options,
            AccessTokenClaims? claims, TimeSpan? retryAfter)
        {
            string graph = options.GraphEndpoint.Host;
            string said = $"{status}{(code != null ? " " + code : string.Empty)}{(string.IsNullOrWhiteSpace(message) ? string.Empty : ": " + OneLine(message!))}";
            bool appOnly = options.IsAppOnly;
            string permission = GraphPermissions.Describe(operation.Permission, appOnly);

            if (status == 401)
            {
                bool none = claims != null && claims.Permissions.Count == 0;
                return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                    $"Microsoft Graph ({graph}) did not accept the token to {operation.Description} ({said}). " +
                    (none ? "The token carries no Microsoft Graph permission at all. " : string.Empty) +
                    $"The app needs {permission}. {GraphPermissions.HowToGrant(operation.Permission, appOnly)}",
                    operation.Permission);
            }

            if (status == 403 && string.Equals(code, "ErrorSendAsDenied", StringComparison.OrdinalIgnoreCase))
            {
                return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                    $"Exchange Online does not let '{options.UserName ?? options.ClientId.ToString()}' send as '{options.From}' ({said}). " +
                    "Set From to the signed-in user's own address, or have an Exchange administrator grant Send As on that mailbox " +
                    "(Add-RecipientPermission -Identity <From> -Trustee <user> -AccessRights SendAs).", "From");
            }

            if (status == 403)
            {
                bool carried = claims != null && GraphPermissions.IsGranted(operation.Permission, claims.Permissions);
                string reason = carried
                    ? $"The token carries {operation.Permission}, so an Exchange Online application access policy or RBAC for Applications " +
                      $"probably keeps the app from {(operation.Permission == GraphPermissions.CalendarsReadWrite ? "the organizer's mailbox" : $"the mailbox '{options.From}'")}: " +
                      "have the Exchange administrator include it " +
                      "(Get-ApplicationAccessPolicy / Test-ApplicationAccessPolicy)."
                    : $"The app needs {permission}. {GraphPermissions.HowToGrant(operation.Permission, appOnly)}";
                return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                    $"Microsoft Graph ({graph}) refused to {operation.Description} ({said}). {reason}", operation.Permission);
            }

            bool mail = operation.Permission == GraphPermissions.MailSend || operation.Permission == GraphPermissions.MailReadWrite;
            if (status == 404 && !mail)
            {
                return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.ObjectNotFound,
                    $"Microsoft Graph ({graph}) found nothing to {operation.Description} ({said}).", operation.Description);
            }

            if (status == 404 && (code == null || code.IndexOf("User", StringComparison.OrdinalIgnoreCase) >= 0 ||
                                  code.IndexOf("Mailbox", StringComparison.OrdinalIgnoreCase) >= 0 || code == "ResourceNotFound"))
            {
                return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.ObjectNotFound,
                    $"Microsoft Graph found no Exchange Online mailbox '{options.From ?? options.UserName}' to {operation.Description} ({said}). " +
                    "Check From (Set-G5MailSetting -From sender@example.com): it must be a mailbox of the tenant with an Exchange Online licence.", "From");
            }

            if (status == 413 || (code != null && code.IndexOf("SizeLimit", StringComparison.OrdinalIgnoreCase) >= 0) ||
                string.Equals(code, "RequestEntityTooLarge", StringComparison.OrdinalIgnoreCase))
            {
                return new G5MailErrorException(ErrorIds.MessageTooLarge, ErrorKind.LimitsExceeded,
                    $"Microsoft Graph refused the size of the request to {operation.Description} ({said}). Lower MaxAttachmentSizeMB so " +
                    "Combine splits into smaller messages.", operation.Description);
            }

            if (status == 400 && string.Equals(code, "ErrorInvalidRecipients", StringComparison.OrdinalIgnoreCase))
            {
                return new G5MailErrorException(ErrorIds.InvalidAddress, ErrorKind.InvalidArgument,
                    $"Exchange Online refused a recipient ({said}). Check the To, Cc and Bcc addresses.", operation.Description);
            }

            if (FailureClassification.HttpStatus(status) == FailureClass.Transient)
            {
                string wait = retryAfter.HasValue ? $" It asked to wait {Math.Ceiling(retryAfter.Value.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s." : string.Empty;
                return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.ResourceUnavailable,
                    $"Microsoft Graph ({graph}) is busy or unavailable: it answered {said} to '{operation.Description}'.{wait} Try again later.",
                    operation.Description);
            }

            return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidOperation,
                $"Microsoft Graph ({graph}) refused to {operation.Description}: {said}.", operation.Description);
        }

        private static string OneLine(string text) => string.Join(" ", text.Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries)).Trim();
    }
}
