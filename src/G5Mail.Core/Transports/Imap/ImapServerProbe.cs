using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Security;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Smtp;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace G5Mail.Core.Transports.Imap
{
    /// <summary>
    /// Test-G5MailServer -Imap: the IMAP server Receive-G5Mail reads with Method Smtp, checked as the SMTP probe checks its
    /// server: name and TCP (TcpReachability), TLS on connect or STARTTLS as ImapEndpoint says, the certificate
    /// (CertificateFindings), the capabilities, one sign-in with the reader's own rules, and the inbox. Nothing is changed:
    /// INBOX is opened read-only (EXAMINE). Never throws for what the server or the network does.
    /// </summary>
    public sealed class ImapServerProbe
    {
        /// <summary>Whether a password may cross an unencrypted connection: only to this computer. A seam for tests.</summary>
        internal Func<ImapEndpoint, bool> MaySendCredentialsInClear { get; set; } = endpoint => endpoint.IsLoopback;

        public async Task<ServerTestResult> ProbeAsync(ServerProbeRequest request, CancellationToken cancellationToken)
        {
            var result = new ServerTestResult(request.Settings.Method ?? MailMethod.Smtp);
            ImapEndpoint endpoint;
            try
            {
                endpoint = ImapEndpoint.Resolve(request.Settings);
            }
            catch (G5MailErrorException ex)
            {
                result.Error(ServerFindingCodes.ServerNotSet, "ImapServer", ex.Message);
                return result;
            }

            return await ProbeAsync(request, endpoint, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Probes a given endpoint (tests use it to require STARTTLS of a server on loopback).</summary>
        internal async Task<ServerTestResult> ProbeAsync(ServerProbeRequest request, ImapEndpoint endpoint, CancellationToken cancellationToken)
        {
            var result = new ServerTestResult(request.Settings.Method ?? MailMethod.Smtp);
            await ProbeCancellation.Run(ProbeEndpointAsync(request, endpoint, result, cancellationToken), cancellationToken).ConfigureAwait(false);

            return result;
        }

        public static string Describe(ImapEndpoint endpoint) => endpoint.Security switch
        {
            SecureSocketOptions.SslOnConnect => $"{endpoint}, IMAP, TLS on connect",
            SecureSocketOptions.StartTls => $"{endpoint}, IMAP, STARTTLS required",
            _ => $"{endpoint}, IMAP, STARTTLS if offered",
        };

        private async Task ProbeEndpointAsync(ServerProbeRequest request, ImapEndpoint endpoint, ServerTestResult result, CancellationToken cancellationToken)
        {
            result.Server = endpoint.Host;
            result.Port = endpoint.Port;
            result.Endpoint = Describe(endpoint);
            int seconds = (int)Math.Ceiling(request.Timeout.TotalSeconds);
            bool tlsOnConnect = endpoint.Security == SecureSocketOptions.SslOnConnect;

            using (TcpConnection? connection = await TcpReachability.ConnectAsync(endpoint.Host, endpoint.Port, request.Timeout, result, cancellationToken)
                       .ConfigureAwait(false))
            {
                if (connection == null)
                {
                    return;
                }

                result.Reachable = true;
                result.LatencyMs = connection.LatencyMs;
                var policy = TransportFactory.CreateCertificatePolicy(request.Settings);
                string? names = null;
                using (var client = new ImapClient
                {
                    Timeout = (int)request.Timeout.TotalMilliseconds,
                    CheckCertificateRevocation = SmtpServerProbe.CheckCertificateRevocation,
                    ServerCertificateValidationCallback = (sender, certificate, chain, errors) =>
                    {
                        if (certificate != null)
                        {
                            names = CertificateFindings.NamesOf(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
                        }

                        return policy.Validate(sender, certificate, chain, errors);
                    },
                })
                {
                    string how = tlsOnConnect ? "on connect" : "via STARTTLS";
                    try
                    {
                        using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                        {
                            step.CancelAfter(request.Timeout);
                            using (step.Token.Register(() => connection.Socket.Dispose()))
                            {
                                // STARTTLS "when available" even when required, so a server without it still shows its
                                // capabilities; the requirement is checked right after, before any sign-in.
                                SecureSocketOptions options = tlsOnConnect ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTlsWhenAvailable;
                                await client.ConnectAsync(connection.Socket, endpoint.Host, endpoint.Port, options, step.Token).ConfigureAwait(false);
                            }
                        }
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        ReportConnectFailure(ex, endpoint, policy, result, how, names, seconds);
                        return;
                    }

                    result.Capabilities = CapabilityNames(client.Capabilities);
                    result.AuthenticationMechanisms = client.AuthenticationMechanisms.OrderBy(m => m, StringComparer.OrdinalIgnoreCase).ToList();
                    result.Information(ServerFindingCodes.ServerReady, null,
                        $"{endpoint} answers IMAP ({string.Join(" ", result.Capabilities)}).");
                    if (client.IsSecure)
                    {
                        CertificateFindings.Report(result, policy, endpoint.Host, true, client.SslProtocol, how, names);
                    }
                    else if (endpoint.Security == SecureSocketOptions.StartTls)
                    {
                        result.Error(ServerFindingCodes.StartTlsNotOffered, "ImapPort",
                            $"{endpoint} does not offer STARTTLS, and G5Mail reads a mailbox on another computer only encrypted. " +
                            "Use the server's TLS port: Set-G5MailSetting -UseSsl -ImapPort 0 (993).");
                        return;
                    }
                    else
                    {
                        result.Warning(ServerFindingCodes.TlsNotOffered, "UseSsl",
                            $"{endpoint} does not offer STARTTLS: the mailbox is read unencrypted, which G5Mail allows only because the server is this computer.");
                    }

                    await SignInAsync(request, endpoint, client, result, seconds, cancellationToken).ConfigureAwait(false);
                    try
                    {
                        using (var quit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                        {
                            quit.CancelAfter(TimeSpan.FromSeconds(3));
                            await client.DisconnectAsync(true, quit.Token).ConfigureAwait(false);
                        }
                    }
                    catch (Exception) when (!cancellationToken.IsCancellationRequested)
                    {
                        // The test is over; a server that does not answer LOGOUT changes nothing.
                    }
                }
            }
        }

        private async Task SignInAsync(ServerProbeRequest request, ImapEndpoint endpoint, ImapClient client, ServerTestResult result, int seconds,
            CancellationToken cancellationToken)
        {
            NetworkCredential? credential = request.Settings.Credential;
            if (request.SkipAuthentication)
            {
                result.Information(ServerFindingCodes.AuthenticationSkipped, "Credential", "The IMAP sign-in was not tested (-SkipAuthentication).");
                return;
            }

            if (credential == null || string.IsNullOrEmpty(credential.UserName))
            {
                result.Error(ServerFindingCodes.NoCredential, "Credential",
                    $"Reading the mailbox on {endpoint} needs the account: Set-G5MailSetting -Scope System -Credential (Get-Credential).");
                return;
            }

            string user = AccountNames.UserNameOf(credential);
            try
            {
                using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    step.CancelAfter(request.Timeout);
                    await ImapMailboxReader.SignInAsync(client, credential, endpoint, MaySendCredentialsInClear, NullRunLog.Instance, step.Token).ConfigureAwait(false);
                }

                result.Authenticated = true;
                result.Information(ServerFindingCodes.AuthenticationSucceeded, "Credential", $"Signed in to {endpoint} as '{user}'.");
            }
            catch (G5MailErrorException ex) when (ex.Kind == ErrorKind.SecurityError)
            {
                result.Error(ServerFindingCodes.CleartextAuthenticationRefused, "UseSsl", ex.Message);
                return;
            }
            catch (G5MailErrorException ex)
            {
                result.Error(ServerFindingCodes.AuthMechanismUnsupported, "Credential", ex.Message);
                return;
            }
            catch (MailKit.Security.AuthenticationException ex)
            {
                result.Authenticated = false;
                result.Error(ServerFindingCodes.AuthenticationRejected, "Credential",
                    $"{endpoint} rejected the sign-in of '{user}' ({ex.Message.Trim()}). Check the user name and password: " +
                    "Set-G5MailSetting -Scope System -Credential (Get-Credential).");
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                result.Error(ServerFindingCodes.ConnectionTimeout, "Credential",
                    $"{endpoint} did not complete the sign-in of '{user}' within {seconds} s ({ex.GetType().Name}); raise -TimeoutSeconds or try again.");
                return;
            }

            try
            {
                IMailFolder inbox = client.Inbox;
                await inbox.OpenAsync(FolderAccess.ReadOnly, cancellationToken).ConfigureAwait(false);
                result.Information(ServerFindingCodes.MailboxFound, "Credential",
                    $"The inbox of '{user}' holds {inbox.Count} messages (UIDVALIDITY {inbox.UidValidity}).");
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                result.Error(ServerFindingCodes.MailboxNotFound, "Credential", $"{endpoint} signed '{user}' in but would not open INBOX: {ex.Message}");
            }
        }

        private static void ReportConnectFailure(Exception ex, ImapEndpoint endpoint, CertificatePolicy policy, ServerTestResult result, string how,
            string? names, int seconds)
        {
            switch (ex)
            {
                case SslHandshakeException _ when policy.LastSeen != null:
                    CertificateFindings.Report(result, policy, endpoint.Host, false, null, how, names);
                    if (result.Success)
                    {
                        result.Error(ServerFindingCodes.TlsHandshakeFailed, "UseSsl", $"The TLS handshake with {endpoint} failed: {ex.Message}");
                    }

                    break;
                case SslHandshakeException _:
                    result.Error(ServerFindingCodes.TlsHandshakeFailed, "ImapPort",
                        $"The TLS handshake with {endpoint} failed before any certificate: the port may not speak TLS on connect. " +
                        "Port 993 is TLS on connect, 143 STARTTLS: check ImapPort (Set-G5MailSetting -ImapPort 0).");
                    break;
                case ImapProtocolException _:
                    result.Error(ServerFindingCodes.NotImap, "ImapPort",
                        $"{endpoint} answered, but not in IMAP ({ex.Message}). Check ImapPort: 993 with TLS or 143 with STARTTLS (Set-G5MailSetting -ImapPort 0).");
                    break;
                case OperationCanceledException _:
                case TimeoutException _:
                    result.Error(ServerFindingCodes.ConnectionTimeout, "ImapPort",
                        $"{endpoint} accepted the connection but did not " + (how == "on connect" ? "complete the TLS handshake" : "greet in IMAP") +
                        $" within {seconds} s. Check ImapPort (993 is TLS on connect, 143 STARTTLS), or raise -TimeoutSeconds.");
                    break;
                default:
                    result.Error(ServerFindingCodes.ConnectionClosed, "ImapServer",
                        $"{endpoint} ended the connection during the IMAP greeting ({ex.GetType().Name}: {ex.Message}). Check ImapServer and ImapPort.");
                    break;
            }
        }

        private static IReadOnlyList<string> CapabilityNames(ImapCapabilities capabilities) =>
            Enum.GetValues(typeof(ImapCapabilities)).Cast<ImapCapabilities>()
                .Where(c => c != ImapCapabilities.None && (capabilities & c) == c && IsSingleFlag(c))
                .Select(c => c.ToString().ToUpperInvariant())
                .ToList();

        private static bool IsSingleFlag(ImapCapabilities c)
        {
            ulong v = (ulong)c;
            return v != 0 && (v & (v - 1)) == 0;
        }
    }
}
