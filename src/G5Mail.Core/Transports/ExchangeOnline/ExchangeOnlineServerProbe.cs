using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Security;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Smtp;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// Test-G5MailServer for Exchange Online, without sending mail: a token from Entra ID (its expiry and the permissions it
    /// carries, read from the token without validating it, never shown), the permissions the chosen path needs, then for
    /// Graph a call that shows Graph is reachable and accepts the token (the From mailbox looked up), for Smtp the SMTP probe
    /// with an XOAUTH2 sign-in; and for the ClientSecret flow the expiry of the configured secret.
    /// </summary>
    public sealed class ExchangeOnlineServerProbe : IServerProbe
    {
        /// <summary>The configured secret gets a warning this many days before it expires (as SettingsFindings warns).</summary>
        public const int SecretWarningDays = 30;

        public MailMethod Method => MailMethod.ExchangeOnline;

        public async Task<ServerTestResult> ProbeAsync(ServerProbeRequest request, CancellationToken cancellationToken)
        {
            var result = new ServerTestResult(MailMethod.ExchangeOnline);
            ExchangeOnlineOptions options;
            try
            {
                options = ExchangeOnlineOptions.FromSettings(request.Settings);
            }
            catch (G5MailErrorException ex)
            {
                result.Error(ServerFindingCodes.SettingMissing, ex.Target as string, ex.Message);
                return result;
            }

            bool smtp = options.Protocol == ExchangeOnlineProtocol.Smtp;
            var tokens = new EntraTokenProvider(options, NullRunLog.Instance);
            using (var graph = new GraphClient(options, tokens, NullRunLog.Instance))
            {
                if (!smtp)
                {
                    result.Server = options.GraphEndpoint.Host;
                    result.Port = options.GraphEndpoint.Port;
                    result.Endpoint = $"{options.GraphResource}/v1.0, Microsoft Graph ({Flow(options)} flow)";
                }

                if (request.SkipAuthentication)
                {
                    result.Information(ServerFindingCodes.AuthenticationSkipped, "ClientId",
                        "Getting a token was not tested (-SkipAuthentication), so neither were the permissions" +
                        (smtp ? "; the SMTP server is checked without sign-in." : "; only the connection to Microsoft Graph is checked."));
                    if (smtp)
                    {
                        await ProbeSmtpAsync(request, options, tokens, result, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await ProbeTlsAsync(options.GraphEndpoint, request, result, cancellationToken).ConfigureAwait(false);
                    }

                    return result;
                }

                AccessToken? token = await AcquireAsync(tokens, smtp ? TokenAudience.ExchangeSmtp : TokenAudience.Graph, options, request, result, cancellationToken)
                    .ConfigureAwait(false);
                if (token == null)
                {
                    return result;
                }

                if (!CheckPermissions(token.Claims, options, smtp, result))
                {
                    return result;
                }

                if (smtp)
                {
                    await ProbeSmtpAsync(request, options, tokens, result, cancellationToken).ConfigureAwait(false);
                }
                else if (!await ProbeGraphAsync(graph, options, request, result, cancellationToken).ConfigureAwait(false))
                {
                    return result;
                }

                if (options.IsAppOnly)
                {
                    await CheckSecretAsync(graph, options, request, result, cancellationToken).ConfigureAwait(false);
                }
            }

            return result;
        }

        private static string Flow(ExchangeOnlineOptions options) => options.IsAppOnly ? "ClientSecret" : "UsernamePassword";

        private static async Task<AccessToken?> AcquireAsync(EntraTokenProvider tokens, TokenAudience audience, ExchangeOnlineOptions options,
            ServerProbeRequest request, ServerTestResult result, CancellationToken cancellationToken)
        {
            using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                step.CancelAfter(request.Timeout);
                try
                {
                    AccessToken token = await tokens.GetTokenAsync(audience, step.Token).ConfigureAwait(false);
                    AccessTokenClaims c = token.Claims;
                    string who = options.IsAppOnly ? $"an app-only token for app {options.ClientId}" : $"a token for the user '{options.UserName}' (delegated)";
                    string permissions = c.Permissions.Count > 0 ? string.Join(", ", c.Permissions) : "none";
                    result.Information(ServerFindingCodes.TokenAcquired, "ClientId",
                        $"Entra ID ({options.AuthorityHost.Host}, tenant {options.TenantId}) issued {who} for {c.Audience ?? string.Join(" ", options.ScopesFor(audience))}, " +
                        $"valid until {token.ExpiresOn.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}; " +
                        $"{(c.IsAppOnly ? "roles" : "scopes")}: {permissions}.");
                    result.AuthenticationMechanisms = new[] { options.IsAppOnly ? "OAuth2 client credentials" : "OAuth2 password (ROPC)" };
                    return token;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    result.Error(ServerFindingCodes.ConnectionTimeout, "AuthorityHost",
                        $"Entra ID ({options.AuthorityHost.Host}) did not issue a token within {request.Timeout.TotalSeconds:0} s. Check the network and proxy, or raise -TimeoutSeconds.");
                }
                catch (G5MailErrorException ex)
                {
                    string code = ex.ErrorId == ErrorIds.ConnectionFailed ? ServerFindingCodes.ConnectionFailed
                        : ex.ErrorId == ErrorIds.CertificateInvalid ? ServerFindingCodes.CertificateUntrusted
                        : ServerFindingCodes.TokenAcquisitionFailed;
                    result.Authenticated = false;
                    result.Error(code, ex.Target as string, ex.Message);
                }

                return null;
            }
        }

        /// <summary>The permissions the chosen path needs, from the token's roles (app) or scopes (delegated). False when sending cannot work.</summary>
        internal static bool CheckPermissions(AccessTokenClaims claims, ExchangeOnlineOptions options, bool smtp, ServerTestResult result)
        {
            bool app = options.IsAppOnly;
            IReadOnlyList<string> granted = claims.Permissions;
            string required = smtp ? (app ? GraphPermissions.SmtpSendAsApp : GraphPermissions.SmtpSend) : GraphPermissions.MailSend;
            if (!smtp && !GraphPermissions.IsGranted(GraphPermissions.CalendarsReadWrite, granted))
            {
                // Sending does not need it, so a warning; Sync-G5Activity writes events through Graph whatever the protocol.
                // (An SMTP token is for Exchange, not Graph, and cannot tell.)
                result.Warning(ServerFindingCodes.CalendarPermissionMissing, "ClientId",
                    $"The token does not carry {GraphPermissions.Describe(GraphPermissions.CalendarsReadWrite, app)}. Sending mail does not need it, " +
                    "but Sync-G5Activity writes calendar events with it: each activity would fail with PermissionDenied. " +
                    GraphPermissions.HowToGrant(GraphPermissions.CalendarsReadWrite, app));
            }

            if (!smtp && !GraphPermissions.IsGranted(GraphPermissions.MailRead, granted))
            {
                // Sending does not need it either; reading the mailbox does (Receive-G5Mail, Get-G5DeliveryReport read through
                // Graph whatever the protocol). Mail.ReadWrite, which marking and moving need, includes it.
                result.Warning(ServerFindingCodes.MailReadPermissionMissing, "ClientId",
                    $"The token does not carry {GraphPermissions.Describe(GraphPermissions.MailRead, app)} (or {GraphPermissions.MailReadWrite}). Sending mail " +
                    "does not need it, but Receive-G5Mail and Get-G5DeliveryReport read the mailbox with it: they would fail with PermissionDenied " +
                    $"(-MarkAsRead and -MoveTo need {GraphPermissions.MailReadWrite}). " + GraphPermissions.HowToGrant(GraphPermissions.MailRead, app));
            }

            if (!GraphPermissions.IsGranted(required, granted))
            {
                result.Error(ServerFindingCodes.PermissionMissing, "ClientId",
                    $"The token does not carry {GraphPermissions.Describe(required, app)}, so Exchange Online will refuse to send. " +
                    GraphPermissions.HowToGrant(required, app));
                return false;
            }

            if (!smtp && !GraphPermissions.IsGranted(GraphPermissions.MailReadWrite, granted))
            {
                result.Warning(ServerFindingCodes.PermissionMissing, "ClientId",
                    $"The token does not carry {GraphPermissions.Describe(GraphPermissions.MailReadWrite, app)}. Messages with an attachment of 3 MB " +
                    "or more, or over 4 MB in all, are sent through a draft, which needs it: they will fail with PermissionDenied. " +
                    GraphPermissions.HowToGrant(GraphPermissions.MailReadWrite, app));
            }
            else
            {
                result.Information(ServerFindingCodes.PermissionsPresent, "ClientId",
                    $"The token carries what {(smtp ? "SMTP AUTH (XOAUTH2)" : "Graph sendMail and large attachments")} need: " +
                    (smtp ? required : $"{GraphPermissions.MailSend}, {GraphPermissions.MailReadWrite}") + ".");
            }

            return true;
        }

        /// <summary>
        /// Graph reachable (name, TCP and TLS to the Graph host, with the system's certificate validation) and the token
        /// accepted: GET users/{From} (app-only) or me (delegated), which also shows whether the mailbox exists. Reading users
        /// needs User.Read.All (app) or User.Read (delegated); a 403 without it still proves the token was accepted, so it is
        /// only information.
        /// </summary>
        private static async Task<bool> ProbeGraphAsync(GraphClient graph, ExchangeOnlineOptions options, ServerProbeRequest request, ServerTestResult result,
            CancellationToken cancellationToken)
        {
            if (!await ProbeTlsAsync(options.GraphEndpoint, request, result, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            string path = (options.IsAppOnly ? options.MailboxPath : "me") + "?$select=id,mail,userPrincipalName";
            var operation = new GraphOperation("look up the mailbox", options.IsAppOnly ? "User.Read.All" : "User.Read");
            GraphResponse response;
            var watch = Stopwatch.StartNew();
            using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                step.CancelAfter(request.Timeout);
                try
                {
                    response = await graph.GetAnyAsync(path, operation, step.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    result.Error(ServerFindingCodes.ConnectionTimeout, "GraphEndpoint",
                        $"Microsoft Graph ({options.GraphEndpoint.Host}) did not answer within {request.Timeout.TotalSeconds:0} s. Check the network and proxy, or raise -TimeoutSeconds.");
                    return false;
                }
                catch (G5MailErrorException ex)
                {
                    result.Error(ex.ErrorId == ErrorIds.CertificateInvalid ? ServerFindingCodes.CertificateUntrusted : ServerFindingCodes.ConnectionFailed,
                        "GraphEndpoint", ex.Message);
                    return false;
                }
            }

            double requestMs = Math.Round(watch.Elapsed.TotalMilliseconds, 1);
            (string? code, string? message) = GraphErrors.ReadError(response.Body);
            string said = $"{response.Status}{(code != null ? " " + code : string.Empty)}";
            switch (response.Status)
            {
                case 200:
                    result.Authenticated = true;
                    string? mail = GraphClient.ReadString(response.Body, "mail") ?? GraphClient.ReadString(response.Body, "userPrincipalName");
                    result.Information(ServerFindingCodes.GraphReachable, "GraphEndpoint",
                        $"Microsoft Graph ({options.GraphEndpoint.Host}) accepted the token (answer in {requestMs} ms).");
                    if (!options.IsAppOnly && options.From != null && mail != null && !string.Equals(mail, options.From, StringComparison.OrdinalIgnoreCase))
                    {
                        result.Warning(ServerFindingCodes.MailboxFound, "From",
                            $"The signed-in user's mailbox is '{mail}', but From is '{options.From}': sending as another address needs Send As on it.");
                    }
                    else
                    {
                        result.Information(ServerFindingCodes.MailboxFound, "From", $"The mailbox '{mail ?? options.From}' exists.");
                    }

                    return true;
                case 403:
                    result.Authenticated = true;
                    result.Information(ServerFindingCodes.GraphReachable, "GraphEndpoint",
                        $"Microsoft Graph ({options.GraphEndpoint.Host}) accepted the token (answer in {requestMs} ms).");
                    result.Information(ServerFindingCodes.MailboxNotVerified, "From",
                        $"Whether the mailbox '{options.From}' exists was not checked: looking it up needs {operation.Permission} ({said}), which sending does not.");
                    return true;
                case 404:
                    result.Authenticated = true;
                    result.Error(ServerFindingCodes.MailboxNotFound, "From",
                        $"Microsoft Graph knows no user '{options.From}' in tenant '{options.TenantId}' ({said}). Set From to a mailbox of the tenant: " +
                        "Set-G5MailSetting -From sender@example.com.");
                    return false;
                case 401:
                    result.Authenticated = false;
                    result.Error(ServerFindingCodes.TokenRejected, "ClientId",
                        $"Microsoft Graph ({options.GraphEndpoint.Host}) did not accept the token ({said}{(message != null ? ": " + message : string.Empty)}). " +
                        $"The app needs {GraphPermissions.Describe(GraphPermissions.MailSend, options.IsAppOnly)}; check GraphEndpoint for national clouds.");
                    return false;
                default:
                    result.Warning(ServerFindingCodes.GraphReachable, "GraphEndpoint",
                        $"Microsoft Graph ({options.GraphEndpoint.Host}) answered {said}{(message != null ? ": " + message : string.Empty)}; it is reachable but may have a problem.");
                    return true;
            }
        }

        /// <summary>
        /// TCP and TLS to the Graph host, to show where a connection fails and what certificate Graph presents. Validation is
        /// the system's (no pin, no skip): CertificateThumbprint and SkipCertificateCheck are for the user's own mail server.
        /// </summary>
        private static async Task<bool> ProbeTlsAsync(Uri endpoint, ServerProbeRequest request, ServerTestResult result, CancellationToken cancellationToken)
        {
            Uri? proxy = ProxyFor(endpoint);
            if (proxy != null)
            {
                // Graph is reached through the proxy (as HttpClient and MSAL do); a direct connection may well be blocked.
                result.Information(ServerFindingCodes.Connected, "GraphEndpoint",
                    $"{endpoint.Host} is reached through the proxy {proxy.Authority}; the direct TCP and TLS check is skipped.");
                return true;
            }

            using (TcpConnection? connection = await TcpReachability.ConnectAsync(endpoint.Host, endpoint.Port, request.Timeout, result, cancellationToken)
                       .ConfigureAwait(false))
            {
                if (connection == null)
                {
                    return false;
                }

                result.Reachable = true;
                result.LatencyMs = connection.LatencyMs;
                var policy = new CertificatePolicy(null, skipCheck: false);
                using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                using (var tls = new SslStream(new NetworkStream(connection.Socket, ownsSocket: false), false, policy.Validate))
                {
                    step.CancelAfter(request.Timeout);
                    try
                    {
                        await TcpReachability.WithCancellation(tls.AuthenticateAsClientAsync(endpoint.Host, null, SslProtocols.None, checkCertificateRevocation: false),
                            connection.Socket, step.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        ObservedCertificate? rejected = policy.LastSeen;
                        if (rejected != null && rejected.PolicyErrors != SslPolicyErrors.None)
                        {
                            result.Certificate = rejected;
                            result.CertificateValid = false;
                            string code = rejected.IsExpired ? ServerFindingCodes.CertificateExpired
                                : rejected.IsNameMismatch && !rejected.IsUntrusted ? ServerFindingCodes.CertificateNameMismatch
                                : ServerFindingCodes.CertificateUntrusted;
                            result.Error(code, "GraphEndpoint",
                                $"The certificate of {endpoint.Host} ({rejected.Subject}, issued by {rejected.Issuer}) is not accepted by this computer " +
                                $"({rejected.PolicyErrors}). Microsoft's certificates chain to public roots: a proxy that inspects TLS needs its CA installed " +
                                "as trusted; otherwise check GraphEndpoint.");
                        }
                        else
                        {
                            result.Error(ServerFindingCodes.TlsHandshakeFailed, "GraphEndpoint",
                                $"The TLS handshake with {endpoint.Host}:{endpoint.Port} failed ({(step.IsCancellationRequested ? "no answer in time" : ex.Message)}).");
                        }

                        return false;
                    }

                    result.TlsProtocol = SmtpServerProbe.FormatProtocol(tls.SslProtocol);
                    ObservedCertificate? seen = policy.LastSeen;
                    if (seen != null)
                    {
                        result.Certificate = seen;
                        result.CertificateValid = seen.PolicyErrors == SslPolicyErrors.None;
                        result.Information(ServerFindingCodes.TlsEstablished, "GraphEndpoint",
                            $"{result.TlsProtocol}; certificate {seen.Subject}, issued by {seen.Issuer}, valid until " +
                            $"{seen.NotAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.");
                    }
                }
            }

            return true;
        }

        /// <summary>The system's proxy for the URI, as HttpClient uses it; null when it is reached directly.</summary>
        private static Uri? ProxyFor(Uri endpoint)
        {
            try
            {
                IWebProxy? proxy = WebRequest.DefaultWebProxy;
                if (proxy == null || proxy.IsBypassed(endpoint))
                {
                    return null;
                }

                Uri? via = proxy.GetProxy(endpoint);
                return via == null || via == endpoint || string.Equals(via.Authority, endpoint.Authority, StringComparison.OrdinalIgnoreCase) ? null : via;
            }
            catch (Exception ex) when (ex is InvalidOperationException || ex is PlatformNotSupportedException || ex is UriFormatException)
            {
                return null;
            }
        }

        /// <summary>The SMTP probe with XOAUTH2 (smtp.office365.com:587 STARTTLS unless Server/Port say otherwise); its findings join these.</summary>
        private static async Task ProbeSmtpAsync(ServerProbeRequest request, ExchangeOnlineOptions options, IAccessTokenSource tokens, ServerTestResult result,
            CancellationToken cancellationToken)
        {
            var probe = new SmtpServerProbe { TokenSource = new ExchangeSmtpTokenSource(tokens, options) };
            ServerTestResult smtp = await probe.ProbeAsync(request, cancellationToken).ConfigureAwait(false);
            result.Server = smtp.Server;
            result.Port = smtp.Port;
            result.Endpoint = smtp.Endpoint + $", XOAUTH2 ({Flow(options)} flow)";
            result.Reachable = smtp.Reachable;
            result.LatencyMs = smtp.LatencyMs;
            result.TlsProtocol = smtp.TlsProtocol;
            result.Certificate = smtp.Certificate;
            result.CertificateValid = smtp.CertificateValid;
            result.Authenticated = smtp.Authenticated;
            result.AuthenticationMechanisms = smtp.AuthenticationMechanisms;
            result.MaxMessageSize = smtp.MaxMessageSize;
            result.Capabilities = smtp.Capabilities;
            result.Findings.AddRange(smtp.Findings);
        }

        /// <summary>The expiry of the configured secret, read from Graph (Application.Read.All) or from ClientSecretExpiresOn.</summary>
        private static async Task CheckSecretAsync(GraphClient graph, ExchangeOnlineOptions options, ServerProbeRequest request, ServerTestResult result,
            CancellationToken cancellationToken)
        {
            SecretExpiryReport report;
            using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                step.CancelAfter(request.Timeout);
                try
                {
                    report = await new SecretExpiryChecker(options, graph).CheckAsync(SecretWarningDays, request.Settings.ClientSecretExpiresOn, step.Token)
                        .ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    result.Information(ServerFindingCodes.SecretExpiryUnknown, "ClientSecretExpiresOn",
                        $"The client secret's expiry could not be read: Microsoft Graph did not answer within {request.Timeout.TotalSeconds:0} s.");
                    return;
                }
                catch (G5MailErrorException ex)
                {
                    result.Information(ServerFindingCodes.SecretExpiryUnknown, "ClientSecretExpiresOn", $"The client secret's expiry could not be read: {ex.Message}");
                    return;
                }
            }

            SecretExpiry? configured = report.Configured;
            string source = report.GraphUnreadable != null ? " (from ClientSecretExpiresOn, because Graph could not be read)" : string.Empty;
            if (configured?.ExpiresOn == null)
            {
                string why = report.GraphUnreadable != null
                    ? report.GraphUnreadable + " ClientSecretExpiresOn is not set either: note the expiry with Set-G5MailSetting -Scope System -ClientSecretExpiresOn <date>."
                    : report.Warnings.FirstOrDefault() ?? "The configured secret was not found among the app's secrets.";
                result.Information(ServerFindingCodes.SecretExpiryUnknown, "ClientSecretExpiresOn", "The client secret's expiry is unknown. " + why);
                return;
            }

            string when = configured.ExpiresOn.Value.ToLocalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            string name = string.IsNullOrEmpty(configured.DisplayName) ? string.Empty : $" ('{configured.DisplayName}')";
            switch (configured.Status)
            {
                case SecretStatus.Expired:
                    result.Error(ServerFindingCodes.SecretExpired, "ClientSecret", SecretExpiryRules.WarningFor(configured) + source);
                    break;
                case SecretStatus.ExpiringSoon:
                    result.Warning(ServerFindingCodes.SecretExpiringSoon, "ClientSecret", SecretExpiryRules.WarningFor(configured) + source);
                    break;
                default:
                    result.Information(ServerFindingCodes.SecretValid, "ClientSecret",
                        $"The configured client secret{name} is valid until {when} ({configured.DaysRemaining} days){source}.");
                    break;
            }
        }

    }
}
