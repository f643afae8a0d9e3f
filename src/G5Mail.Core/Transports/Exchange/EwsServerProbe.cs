using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Errors;
using G5Mail.Core.Security;
using G5Mail.Core.Settings;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>
    /// Test-G5MailServer for the Exchange method (EWS): name and TCP, the TLS handshake and certificate, whether EWS
    /// answers at the URL (an anonymous request must be challenged with HTTP 401, whose WWW-Authenticate headers list the
    /// sign-in methods), the sign-in itself through a harmless GetFolder of Sent Items, the server version from the
    /// ServerVersionInfo header, and the request size a full message would have against EWS's default 64 MB limit.
    /// Nothing is sent or changed. The probe stops at the first step that fails.
    /// </summary>
    public sealed class EwsServerProbe : IServerProbe
    {
        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        public MailMethod Method => MailMethod.Exchange;

        public async Task<ServerTestResult> ProbeAsync(ServerProbeRequest request, CancellationToken cancellationToken)
        {
            var result = new ServerTestResult(MailMethod.Exchange);
            EwsEndpoint endpoint;
            try
            {
                endpoint = EwsEndpoint.Resolve(request.Settings);
            }
            catch (G5MailErrorException ex)
            {
                result.Error(ServerFindingCodes.ServerNotSet, "Server", ex.Message);
                return result;
            }

            result.Server = endpoint.Host;
            result.Port = endpoint.Port;
            result.Endpoint = endpoint.Url.AbsoluteUri + (endpoint.IsHttps ? ", https" : ", plain http");
            await ProbeCancellation.Run(ProbeEndpointAsync(request, endpoint, result, cancellationToken), cancellationToken).ConfigureAwait(false);

            return result;
        }

        private static async Task ProbeEndpointAsync(ServerProbeRequest request, EwsEndpoint endpoint, ServerTestResult result, CancellationToken cancellationToken)
        {
            SettingValues settings = request.Settings;
            var policy = new CertificatePolicy(settings.CertificateThumbprint, settings.SkipCertificateCheck ?? Defaults.SkipCertificateCheck);
            using (TcpConnection? connection = await TcpReachability.ConnectAsync(endpoint.DnsHost, endpoint.Port, request.Timeout, result, cancellationToken)
                       .ConfigureAwait(false))
            {
                if (connection == null)
                {
                    return;
                }

                result.Reachable = true;
                result.LatencyMs = connection.LatencyMs;
                if (endpoint.IsHttps)
                {
                    if (!await HandshakeAsync(connection, endpoint, policy, request.Timeout, result, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                else
                {
                    result.Add(endpoint.IsLoopback ? FindingSeverity.Warning : FindingSeverity.Error, ServerFindingCodes.EwsPlainHttp, "Server", endpoint.Warning!);
                }
            }

            // Whether EWS is there at all: without credentials it must answer 401 and say how to sign in.
            EwsExchange? challenge = await CallAsync(endpoint, policy, null, anonymous: true, request.Timeout, result, cancellationToken).ConfigureAwait(false);
            if (challenge == null || !CheckChallenge(challenge, endpoint, result))
            {
                return;
            }

            EwsServerVersion? version = challenge.Response?.ServerVersion;
            if (request.SkipAuthentication)
            {
                result.Information(ServerFindingCodes.AuthenticationSkipped, "Credential", "Sign-in was not tested (-SkipAuthentication).");
            }
            else if (!endpoint.MaySendCredentials)
            {
                result.Error(ServerFindingCodes.CleartextAuthenticationRefused, "Server",
                    $"Not signing in to {endpoint.Host} over plain http: the password (or Windows sign-in) could be read or relayed on the " +
                    $"network. Use https (the default for a host name): Set-G5MailSetting -Scope System -Server {endpoint.Host}");
            }
            else
            {
                version = await SignInAsync(request, endpoint, policy, result, cancellationToken).ConfigureAwait(false) ?? version;
            }

            ReportVersion(version, result);
            CheckSize(settings, result);
        }

        /// <summary>TLS on the probe's own connection, so the certificate is reported whatever HttpClient would say about it.</summary>
        private static async Task<bool> HandshakeAsync(TcpConnection connection, EwsEndpoint endpoint, CertificatePolicy policy, TimeSpan timeout,
            ServerTestResult result, CancellationToken cancellationToken)
        {
            string? names = null;
            bool? accepted = null;
            bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
            {
                accepted = policy.Validate(sender, certificate, chain, errors);
                if (certificate != null)
                {
                    names = CertificateFindings.NamesOf(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
                }

                return accepted.Value;
            }

            var sniffer = new SniffingStream(new NetworkStream(connection.Socket, ownsSocket: false));
            using (var tls = new SslStream(sniffer, false, Validate))
            using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                step.CancelAfter(timeout);
                try
                {
                    await TcpReachability.WithCancellation(tls.AuthenticateAsClientAsync(endpoint.Host), connection.Socket, step.Token).ConfigureAwait(false);
                    CertificateFindings.Report(result, policy, endpoint.Host, accepted: true, tls.SslProtocol, "for https", names);
                    return true;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    if (accepted == false)
                    {
                        CertificateFindings.Report(result, policy, endpoint.Host, accepted: false, null, "for https", names);
                    }
                    else if (sniffer.BytesRead > 0 && sniffer.FirstLine.StartsWith("HTTP/", StringComparison.Ordinal))
                    {
                        result.Error(ServerFindingCodes.TlsExpectedButPlain, "UseSsl",
                            $"{endpoint.Host}:{endpoint.Port} answered in plain http ('{sniffer.FirstLine}') instead of https. Use the server's " +
                            "https port (443, Set-G5MailSetting -Scope System -Port 0), or check the URL in Server.");
                    }
                    else if (step.IsCancellationRequested)
                    {
                        result.Error(ServerFindingCodes.ConnectionTimeout, "Port",
                            $"Connected to {endpoint.Host}:{endpoint.Port}, but the TLS handshake got no answer within " +
                            $"{Math.Ceiling(timeout.TotalSeconds).ToString(Invariant)} s: this port does not seem to speak https.");
                    }
                    else
                    {
                        result.Error(ServerFindingCodes.TlsHandshakeFailed, "UseSsl",
                            $"The TLS handshake with {endpoint.Host}:{endpoint.Port} failed ({ErrorText.Innermost(ex).Message}). The server and this " +
                            "computer may share no TLS version, or the server's TLS set-up is broken.");
                    }

                    return false;
                }
            }
        }

        private static async Task<EwsExchange?> CallAsync(EwsEndpoint endpoint, CertificatePolicy policy, NetworkCredential? credential, bool anonymous,
            TimeSpan timeout, ServerTestResult result, CancellationToken cancellationToken)
        {
            using (var connection = new EwsConnection(endpoint, policy, credential, timeout, anonymous))
            {
                try
                {
                    return await connection.SendAsync(EwsRequestWriter.GetFolder("sentitems"), expectContinue: false, cancellationToken).ConfigureAwait(false);
                }
                catch (G5MailErrorException ex)
                {
                    result.Error(ex.ErrorId == ErrorIds.CertificateInvalid ? ServerFindingCodes.CertificateUntrusted : ServerFindingCodes.ConnectionFailed,
                        ex.ErrorId == ErrorIds.CertificateInvalid ? "CertificateThumbprint" : "Server", ex.Message);
                    return null;
                }
            }
        }

        /// <summary>The anonymous request: EWS answers 401 with its sign-in methods; anything else means no EWS here.</summary>
        private static bool CheckChallenge(EwsExchange challenge, EwsEndpoint endpoint, ServerTestResult result)
        {
            string url = endpoint.Url.AbsoluteUri;
            int status = (int)challenge.Status;
            if (status == 401)
            {
                result.AuthenticationMechanisms = challenge.AuthenticationSchemes;
                string offered = challenge.AuthenticationSchemes.Length > 0 ? string.Join(", ", challenge.AuthenticationSchemes) : "no method named";
                result.Information(ServerFindingCodes.EwsFound, "Server", $"EWS answers at {url} and asks for sign-in ({offered}).");
                return true;
            }

            if (status == 200 && challenge.Response != null)
            {
                result.Information(ServerFindingCodes.EwsFound, "Server", $"EWS answers at {url} (without asking for sign-in).");
                return true;
            }

            if (status == 404)
            {
                result.Error(ServerFindingCodes.EwsNotFound, "Server",
                    $"{endpoint.Host} answers, but there is no EWS at {url} (HTTP 404). Check Server: the EWS URL is https://<server>/EWS/Exchange.asmx " +
                    "(Set-G5MailSetting -Scope System -Server https://mail.example.com/EWS/Exchange.asmx).");
            }
            else if (status >= 300 && status < 400)
            {
                result.Error(ServerFindingCodes.EwsNotFound, "Server",
                    $"{url} redirects (HTTP {status}) to {challenge.Location ?? "another address"}: that is a login page or another server, not " +
                    "EWS. Set Server to the EWS URL itself.");
            }
            else if (status == 403)
            {
                result.Error(ServerFindingCodes.EwsNotFound, "Server",
                    $"{url} refuses access (HTTP 403) before any sign-in; the EWS directory may require https (Set-G5MailSetting -Scope System -Server {endpoint.Host}).");
            }
            else
            {
                result.Error(ServerFindingCodes.EwsNotFound, "Server",
                    $"{url} answered HTTP {status} {challenge.Status} without asking for sign-in, which EWS always does. Check Server and Port.");
            }

            return false;
        }

        private static async Task<EwsServerVersion?> SignInAsync(ServerProbeRequest request, EwsEndpoint endpoint, CertificatePolicy policy,
            ServerTestResult result, CancellationToken cancellationToken)
        {
            NetworkCredential? credential = EwsConnection.ForWindows(request.Settings.Credential);
            string who = credential == null ? "the current Windows user" : $"'{request.Settings.Credential!.UserName}'";
            if (credential == null)
            {
                result.Information(ServerFindingCodes.NoCredential, "Credential",
                    "No credential is set, so G5Mail signs in to Exchange as the current Windows user (Negotiate/NTLM). To use an Exchange " +
                    "account instead: Set-G5MailSetting -Scope User -Credential (Get-Credential).");
            }

            EwsExchange? answer = await CallAsync(endpoint, policy, credential, anonymous: false, request.Timeout, result, cancellationToken).ConfigureAwait(false);
            if (answer == null)
            {
                return null;
            }

            int status = (int)answer.Status;
            EwsResponse? response = answer.Response;
            if (status == 401)
            {
                result.Authenticated = false;
                result.Error(ServerFindingCodes.AuthenticationRejected, "Credential", credential != null
                    ? $"{endpoint.Host} rejected the sign-in of {who} (HTTP 401). Check the user name (DOMAIN\\user or user@domain) and the password: " +
                      "Set-G5MailSetting -Scope User -Credential (Get-Credential)."
                    : $"{endpoint.Host} did not accept the sign-in of the current Windows user (HTTP 401){(IsWindows ? string.Empty : "; outside Windows that needs a Kerberos ticket")}. " +
                      "Set the user's Exchange account: Set-G5MailSetting -Scope User -Credential (Get-Credential).");
                return response?.ServerVersion;
            }

            if (response == null)
            {
                G5MailErrorException error = EwsErrors.FromStatus(answer.Status, answer.Location, endpoint, credential != null ? who.Trim('\'') : null, 0, endpoint.ToString());
                result.Error(status == 403 ? ServerFindingCodes.EwsAccessDenied : ServerFindingCodes.EwsNotFound, "Credential", error.Message);
                return null;
            }

            // Signed in: whatever EWS says now, it said it to an authenticated user.
            result.Authenticated = true;
            string? code = response.ErrorCode;
            if (code == null)
            {
                EwsResponseMessage? message = response.Messages.FirstOrDefault();
                result.Information(ServerFindingCodes.AuthenticationSucceeded, "Credential",
                    $"Signed in as {who}; the mailbox's Sent Items can be read{(message != null ? " (" + message.ResponseCode + ")" : string.Empty)}, " +
                    "where sent documents will be saved.");
            }
            else if (code == EwsErrors.ServerBusy)
            {
                result.Warning(ServerFindingCodes.EwsServerBusy, null,
                    $"Signed in as {who}, but Exchange is throttling the account (ErrorServerBusy{Wait(response.BackOff)}). Sending retries after the " +
                    "back-off Exchange asks for; if this persists, ask the Exchange administrator about the account's throttling policy.");
            }
            else
            {
                G5MailErrorException error = EwsErrors.FromResponse(response, endpoint, credential != null ? who.Trim('\'') : null, request.Settings.From, endpoint.ToString());
                result.Error(code == "ErrorInvalidServerVersion" ? ServerFindingCodes.ServerVersionUnsupported : ServerFindingCodes.EwsAccessDenied,
                    "Credential", $"Signed in as {who}, but Sent Items cannot be read: {error.Message}");
            }

            return response.ServerVersion;
        }

        private static void ReportVersion(EwsServerVersion? version, ServerTestResult result)
        {
            if (version == null)
            {
                return;
            }

            var capabilities = new List<string> { "EWS", "Exchange " + version.Build };
            if (version.Schema != null)
            {
                capabilities.Add("Schema " + version.Schema);
            }

            result.Capabilities = capabilities;
            if (version.SupportsRequestVersion)
            {
                result.Information(ServerFindingCodes.ServerVersion, null, $"The server is {version}.");
            }
            else if (!result.Findings.Exists(f => f.Code == ServerFindingCodes.ServerVersionUnsupported))
            {
                result.Error(ServerFindingCodes.ServerVersionUnsupported, "Method",
                    $"The server is {version}. G5Mail speaks EWS as of Exchange 2013; this older server rejects its requests " +
                    "(ErrorInvalidServerVersion). Send through its SMTP service instead (Set-G5MailSetting -Scope System -Method Smtp).");
            }
        }

        /// <summary>
        /// EWS announces no size limit; its default is 64 MB per request (maxAllowedContentLength 67108864 and
        /// maxRequestLength 65536 KB in the EWS web.config). A full message is its attachments as base64 (4 bytes per 3,
        /// in one line: XmlWriter adds no line breaks) plus the SOAP envelope.
        /// </summary>
        private static void CheckSize(SettingValues settings, ServerTestResult result)
        {
            double megabytes = settings.MaxAttachmentSizeMB ?? Defaults.MaxAttachmentSizeMB;
            long files = (long)Math.Round(megabytes * Defaults.BytesPerMB);
            long request = EwsLimits.RequestBytes(files);
            long limit = EwsLimits.DefaultMaxRequestBytes;
            result.MaxMessageSize = limit;
            string mb = megabytes.ToString("0.##", Invariant);
            string transport = "Exchange's own send size limit (MaxSendSize of the mailbox, connector or organization) applies as well and " +
                               "cannot be read through EWS; a message over it fails with ErrorMessageSizeExceeded.";
            if (request <= limit)
            {
                result.Information(ServerFindingCodes.ServerSizeSufficient, "MaxAttachmentSizeMB",
                    $"EWS accepts requests of up to {N(limit)} bytes by default (it announces no limit); a full message with MaxAttachmentSizeMB " +
                    $"{mb} is a request of about {N(request)} bytes. {transport}");
            }
            else
            {
                double fits = EwsLimits.LargestFittingMB(limit);
                string fit = fits.ToString("0.#", Invariant);
                result.Warning(ServerFindingCodes.ServerSizeTooSmall, "MaxAttachmentSizeMB",
                    $"A full message with MaxAttachmentSizeMB {mb} is a request of about {N(request)} bytes ({N(files)} bytes of files become " +
                    $"{N(EwsRequestWriter.Base64Length(files))} bytes of base64, plus the SOAP envelope), but EWS accepts {N(limit)} bytes per request " +
                    $"by default and refuses larger ones (HTTP 413). Set MaxAttachmentSizeMB to {fit} or less (Set-G5MailSetting -Scope System " +
                    $"-MaxAttachmentSizeMB {fit}), unless the Exchange administrator has raised the EWS request limit. {transport}");
            }
        }

        private static bool IsWindows => System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows);

        private static string N(long value) => value.ToString("N0", Invariant);

        private static string Wait(TimeSpan? backOff) =>
            backOff == null ? string.Empty : ", wait " + backOff.Value.TotalSeconds.ToString("0.#", Invariant) + " s";

    }
}
