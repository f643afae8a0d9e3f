using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
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
using MailKit.Net.Smtp;
using MailKit.Security;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>
    /// Test-G5MailServer for the Smtp method: name, TCP, greeting and EHLO, STARTTLS or TLS on connect as the
    /// endpoint rules say, the certificate, capabilities, AUTH, the credential and the SIZE limit. Nothing is sent:
    /// the session ends with QUIT before any MAIL FROM. Each step is bounded by the request's timeout and the
    /// probe stops at the first step that fails.
    /// </summary>
    public sealed class SmtpServerProbe : IServerProbe
    {
        /// <summary>A certificate that expires sooner than this gets a warning.</summary>
        public static readonly TimeSpan CertificateWarningWindow = CertificateFindings.WarningWindow;

        /// <summary>How long QUIT may take: the test is over by then, so it never waits the full bound.</summary>
        private static readonly TimeSpan QuitBound = TimeSpan.FromSeconds(3);

        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        /// <summary>
        /// Off, as MailKit's documentation suggests when CRL/OCSP servers cannot be reached: certificates of internal CAs
        /// often name no reachable CRL, and an online check then fails every handshake with "RevocationStatusUnknown,
        /// OfflineRevocation". The SMTP transport must use the same value so the test predicts what sending does.
        /// </summary>
        public const bool CheckCertificateRevocation = false;

        public MailMethod Method => MailMethod.Smtp;

        /// <summary>
        /// Whether a password may travel unencrypted to this peer: only to this computer itself. A field so that
        /// tests on loopback can play a remote server.
        /// </summary>
        internal Func<IPAddress, bool> MayAuthenticateInClear { get; set; } = IPAddress.IsLoopback;

        /// <summary>
        /// Sign in with XOAUTH2 instead of the Credential (Exchange Online over SMTP): set by the Exchange Online probe, which
        /// reuses this probe for the SMTP session.
        /// </summary>
        internal ISmtpTokenSource? TokenSource { get; set; }

        public Task<ServerTestResult> ProbeAsync(ServerProbeRequest request, CancellationToken cancellationToken)
        {
            SmtpEndpoint endpoint;
            try
            {
                endpoint = SmtpEndpoint.Resolve(request.Settings);
            }
            catch (G5MailErrorException ex)
            {
                var result = new ServerTestResult(request.Settings.Method ?? MailMethod.Smtp);
                result.Error(ServerFindingCodes.ServerNotSet, "Server", ex.Message);
                return Task.FromResult(result);
            }

            return ProbeAsync(request, endpoint, cancellationToken);
        }

        /// <summary>Probes a given endpoint (tests use it to put TLS on connect on a port other than 465).</summary>
        internal async Task<ServerTestResult> ProbeAsync(ServerProbeRequest request, SmtpEndpoint endpoint, CancellationToken cancellationToken)
        {
            var result = new ServerTestResult(request.Settings.Method ?? MailMethod.Smtp);
            await ProbeCancellation.Run(ProbeEndpointAsync(request, endpoint, result, cancellationToken), cancellationToken).ConfigureAwait(false);

            return result;
        }

        private async Task ProbeEndpointAsync(ServerProbeRequest request, SmtpEndpoint endpoint, ServerTestResult result,
            CancellationToken cancellationToken)
        {
            result.Server = endpoint.Host;
            result.Port = endpoint.Port;
            result.Endpoint = Describe(endpoint);

            using (TcpConnection? connection = await TcpReachability.ConnectAsync(endpoint.Host, endpoint.Port, request.Timeout, result, cancellationToken)
                       .ConfigureAwait(false))
            {
                if (connection == null)
                {
                    return;
                }

                result.Reachable = true;
                result.LatencyMs = connection.LatencyMs;
                var session = new Session(request, endpoint, connection, result, MayAuthenticateInClear) { TokenSource = TokenSource };
                await session.RunAsync(cancellationToken).ConfigureAwait(false);
                if (!session.WantsTlsOnConnect)
                {
                    return;
                }
            }

            // UseSsl on a port that wants TLS from the first byte: Send-G5Document goes on with TLS on connect, so the
            // test does too, and reports that connection (certificate, AUTH, SIZE) with the port advice as a warning.
            var tls = new SmtpEndpoint(endpoint.Host, endpoint.Port, SecureSocketOptions.SslOnConnect);
            result.Endpoint = Describe(tls);
            using (TcpConnection? connection = await TcpReachability.ConnectAsync(tls.Host, tls.Port, request.Timeout, result, cancellationToken)
                       .ConfigureAwait(false))
            {
                if (connection != null)
                {
                    await new Session(request, tls, connection, result, MayAuthenticateInClear) { TokenSource = TokenSource }
                        .RunAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public static string Describe(SmtpEndpoint endpoint)
        {
            switch (endpoint.Security)
            {
                case SecureSocketOptions.SslOnConnect: return $"{endpoint}, TLS on connect";
                case SecureSocketOptions.StartTls: return $"{endpoint}, STARTTLS required";
                default: return $"{endpoint}, STARTTLS if offered";
            }
        }

        internal static string FormatProtocol(System.Security.Authentication.SslProtocols protocol) => CertificateFindings.FormatProtocol(protocol);

        /// <summary>One SMTP session over an open TCP connection.</summary>
        private sealed class Session
        {
            private readonly ServerProbeRequest _request;
            private readonly SmtpEndpoint _endpoint;
            private readonly TcpConnection _connection;
            private readonly ServerTestResult _result;
            private readonly CertificatePolicy _policy;
            private readonly SmtpTranscript _transcript = new SmtpTranscript();
            private readonly SniffingStream _stream;
            private readonly Func<IPAddress, bool> _mayAuthenticateInClear;
            private bool? _certificateAccepted;
            private string? _certificateNames;

            public Session(ServerProbeRequest request, SmtpEndpoint endpoint, TcpConnection connection, ServerTestResult result,
                Func<IPAddress, bool> mayAuthenticateInClear)
            {
                _mayAuthenticateInClear = mayAuthenticateInClear;
                _request = request;
                _endpoint = endpoint;
                _connection = connection;
                _result = result;
                _policy = new CertificatePolicy(request.Settings.CertificateThumbprint, request.Settings.SkipCertificateCheck ?? Defaults.SkipCertificateCheck);
                _stream = new SniffingStream(new NetworkStream(connection.Socket, ownsSocket: false));
            }

            /// <summary>The port sent no greeting but answers TLS, and UseSsl allows going on with TLS on connect.</summary>
            public bool WantsTlsOnConnect { get; private set; }

            private string Host => _endpoint.Host;
            private int Seconds => (int)Math.Ceiling(_request.Timeout.TotalSeconds);
            private bool TlsOnConnect => _endpoint.Security == SecureSocketOptions.SslOnConnect;

            public async Task RunAsync(CancellationToken cancellationToken)
            {
                using (_stream)
                using (var client = new SmtpClient(_transcript))
                {
                    client.Timeout = (int)Math.Min(int.MaxValue, _request.Timeout.TotalMilliseconds);
                    client.ServerCertificateValidationCallback = ValidateCertificate;
                    client.CheckCertificateRevocation = CheckCertificateRevocation;
                    if (!await ConnectAsync(client, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    _transcript.Recording = false;
                    if (Evaluate(client))
                    {
                        await AuthenticateAsync(client, cancellationToken).ConfigureAwait(false);
                    }

                    await QuitAsync(client, cancellationToken).ConfigureAwait(false);
                }
            }

            private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
            {
                bool accepted = _policy.Validate(sender, certificate, chain, errors);
                _certificateAccepted = accepted;
                if (certificate != null)
                {
                    _certificateNames = CertificateFindings.NamesOf(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
                }

                return accepted;
            }

            /// <summary>Greeting, EHLO and TLS. False (with the finding added) when the session could not be set up.</summary>
            private async Task<bool> ConnectAsync(SmtpClient client, CancellationToken cancellationToken)
            {
                // STARTTLS is requested "when available" even when required, so that a server without it still shows
                // its EHLO reply; the requirement is enforced right after (StartTlsNotOffered), before any AUTH.
                SecureSocketOptions options = TlsOnConnect ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTlsWhenAvailable;
                using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    step.CancelAfter(_request.Timeout);
                    // Closing the socket is what really stops a pending read on every runtime.
                    using (step.Token.Register(() => _connection.Socket.Dispose()))
                    {
                        Task connect = client.ConnectAsync(_stream, Host, _endpoint.Port, options, step.Token);
                        if (!TlsOnConnect && await ServerAnswersTlsInsteadAsync(connect, step).ConfigureAwait(false))
                        {
                            await Observe(connect).ConfigureAwait(false);
                            if (_endpoint.Security == SecureSocketOptions.StartTls)
                            {
                                WantsTlsOnConnect = true;
                                _result.Warning(ServerFindingCodes.PlainExpectedButTls, "Port",
                                    $"{_endpoint} sent no SMTP greeting but answers TLS: it expects TLS from the first byte (like port 465), " +
                                    "not STARTTLS. G5Mail goes on with TLS on connect (as tested below), which protects at least as well, after " +
                                    "a few seconds' detour on every connection. To avoid it, use the server's STARTTLS port (587) or Set-G5MailSetting -Port 465.");
                                return false;
                            }

                            _result.Error(ServerFindingCodes.PlainExpectedButTls, "Port",
                                $"{_endpoint} sent no SMTP greeting but answers TLS: it expects TLS from the first byte (like port 465), " +
                                "while the settings ask for plain SMTP with STARTTLS on this port. Use the port for STARTTLS (587, or 25) " +
                                "or, if this server only offers TLS on connect, use port 465 (Set-G5MailSetting -Port 465 -UseSsl).");
                            return false;
                        }

                        try
                        {
                            await connect.ConfigureAwait(false);
                            return true;
                        }
                        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                        {
                            ReportConnectFailure(ex, step.IsCancellationRequested);
                            return false;
                        }
                    }
                }
            }

            /// <summary>
            /// While a plain connection waits for a greeting, a server that expects TLS on connect waits for a
            /// ClientHello. After a short silence ask the port, on a second connection, whether it speaks TLS.
            /// </summary>
            private async Task<bool> ServerAnswersTlsInsteadAsync(Task connect, CancellationTokenSource step)
            {
                var silence = TimeSpan.FromMilliseconds(Math.Min(2000, _request.Timeout.TotalMilliseconds / 3));
                Task quiet = Task.Delay(silence, step.Token);
                Task first = await Task.WhenAny(connect, _stream.FirstRead, quiet).ConfigureAwait(false);
                if (first != quiet || quiet.IsCanceled || _stream.FirstRead.IsCompleted)
                {
                    return false;
                }

                Task<bool> sniff = TlsSniffer.AnswersTlsAsync(_connection.RemoteAddress, _endpoint.Port, Host, step.Token);
                // A greeting may still come (a slow server): whichever answers first decides.
                await Task.WhenAny(connect, _stream.FirstRead, sniff).ConfigureAwait(false);
                if (sniff.IsCompleted && sniff.Result && !_stream.FirstRead.IsCompleted)
                {
                    step.Cancel();
                    return true;
                }

                return false;
            }

            private void ReportConnectFailure(Exception ex, bool timedOut)
            {
                if (_certificateAccepted == false && _policy.LastSeen != null)
                {
                    AddCertificateFindings(accepted: false, protocol: null);
                    return;
                }

                if (TlsOnConnect && _stream.LooksLikeSmtp)
                {
                    _result.Error(ServerFindingCodes.TlsExpectedButPlain, "Port",
                        $"{_endpoint} answered in plain text ('{_stream.FirstLine}') instead of TLS: port 465 means TLS from the " +
                        "first byte, but this port speaks plain SMTP. The server did not answer TLS; 587 with STARTTLS? " +
                        "Set -Port 587 -UseSsl (Set-G5MailSetting -Port 587 -UseSsl), or the server's TLS port.");
                    return;
                }

                if (timedOut)
                {
                    ReportTimeout();
                    return;
                }

                switch (ex)
                {
                    case SmtpCommandException command when !_transcript.StartTlsSent && _transcript.LastCommand == null:
                        _result.Error(ServerFindingCodes.GreetingRejected, "Server",
                            $"{_endpoint} refused the session: {(int)command.StatusCode} {OneLine(command.Message)}. The server may not " +
                            "accept connections from this computer (ask its administrator to allow this address), or it is overloaded.");
                        break;
                    case SmtpCommandException command when _transcript.LastCommand == "STARTTLS":
                        _result.Error(ServerFindingCodes.TlsHandshakeFailed, "UseSsl",
                            $"{_endpoint} offers STARTTLS but refused it: {(int)command.StatusCode} {OneLine(command.Message)}. " +
                            "Ask the mail administrator to check the server's TLS certificate configuration.");
                        break;
                    case SmtpCommandException command:
                        _result.Error(ServerFindingCodes.GreetingRejected, "Server",
                            $"{_endpoint} rejected {_transcript.LastCommand ?? "the session set-up"}: {(int)command.StatusCode} {OneLine(command.Message)}.");
                        break;
                    case SmtpProtocolException _ when _stream.BytesRead > 0 && !_stream.LooksLikeSmtp && !_transcript.StartTlsSent:
                        _result.Error(ServerFindingCodes.NotSmtp, "Port",
                            $"{_endpoint} answered, but not in SMTP ('{_stream.FirstLine}'). Check Port: is this the mail server's SMTP port " +
                            "(25, 587 or 465)?");
                        break;
                    case SslHandshakeException handshake:
                        _result.Error(ServerFindingCodes.TlsHandshakeFailed, "UseSsl",
                            $"The TLS handshake with {_endpoint} failed: {OneLine(ErrorText.Innermost(handshake).Message)}. The server and this computer " +
                            "may share no TLS version or cipher (old servers offer only TLS 1.0), or the server's TLS set-up is broken.");
                        break;
                    default:
                        ReportClosed(ex);
                        break;
                }
            }

            private void ReportTimeout()
            {
                string message;
                if (_stream.BytesRead == 0 && TlsOnConnect)
                {
                    message = $"Connected to {_endpoint}, but the TLS handshake got no answer within {Seconds} s: the port does not " +
                              "seem to speak TLS on connect. Check Port (465 is TLS on connect, 587 STARTTLS).";
                }
                else if (_stream.BytesRead == 0)
                {
                    message = $"Connected to {_endpoint}, but the server sent no SMTP greeting within {Seconds} s. This port does not " +
                              "seem to be an SMTP service (or the server is overloaded). Check Port, or raise -TimeoutSeconds.";
                }
                else
                {
                    message = $"{_endpoint} stopped answering after {_transcript.LastCommand ?? "its greeting"} and did not reply " +
                              $"within {Seconds} s. The server may be overloaded or a firewall may interfere; raise -TimeoutSeconds or try again.";
                }

                _result.Error(ServerFindingCodes.ConnectionTimeout, "Port", message);
            }

            private void ReportClosed(Exception ex)
            {
                string during = _stream.BytesRead == 0
                    ? (TlsOnConnect ? "during the TLS handshake" : "before sending a greeting")
                    : (_transcript.LastCommand == null ? "after its greeting" : $"after {_transcript.LastCommand}");
                _result.Error(ServerFindingCodes.ConnectionClosed, "Server",
                    $"{_endpoint} closed the connection {during} ({OneLine(ErrorText.Innermost(ex).Message)}). The server may refuse this " +
                    "computer's address, or expect another protocol on this port; check Server and Port.");
            }

            /// <summary>Looks at the established session; false when the test must stop before authentication.</summary>
            private bool Evaluate(SmtpClient client)
            {
                string greeting = _transcript.Greeting.Count > 0 ? OneLine(_transcript.Greeting[_transcript.Greeting.Count - 1]) : "(none)";
                _result.Information(ServerFindingCodes.ServerReady, null, $"The server greets: {greeting}");

                IReadOnlyList<string>? finalEhlo = _transcript.FinalEhlo;
                _result.Capabilities = SmtpTranscript.Keywords(finalEhlo);
                _result.AuthenticationMechanisms = SmtpTranscript.AuthMechanisms(finalEhlo);
                _result.MaxMessageSize = SmtpTranscript.SizeLimit(finalEhlo) ?? (client.MaxSize > 0 ? client.MaxSize : (long?)null);

                if (client.IsSecure)
                {
                    AddCertificateFindings(accepted: true, protocol: client.SslProtocol);
                }
                else if (_endpoint.Security == SecureSocketOptions.StartTls)
                {
                    string offered = _result.Capabilities.Count > 0 ? string.Join(", ", _result.Capabilities) : "nothing";
                    _result.Error(ServerFindingCodes.StartTlsNotOffered, "UseSsl",
                        $"UseSsl requires STARTTLS, but {_endpoint.Host}:{_endpoint.Port} does not offer it (EHLO lists: {offered}). " +
                        "Use the server's TLS port (587 with STARTTLS, or 465 for TLS on connect), have STARTTLS enabled on the server, " +
                        "or, only on a trusted network, turn encryption off (Set-G5MailSetting -UseSsl:$false).");
                    return false;
                }
                else
                {
                    _result.Warning(ServerFindingCodes.TlsNotOffered, "UseSsl",
                        $"{_endpoint.Host}:{_endpoint.Port} does not offer STARTTLS: messages (and a password) travel unencrypted. " +
                        "If the server has a TLS port, use it (Set-G5MailSetting -Port 587 -UseSsl).");
                }

                IReadOnlyList<string> authBeforeTls = SmtpTranscript.AuthMechanisms(_transcript.EhloBeforeTls);
                if (client.IsSecure && _transcript.StartTlsSent && authBeforeTls.Count > 0 && _result.AuthenticationMechanisms.Count == 0)
                {
                    bool needed = WillAuthenticate;
                    _result.Add(needed ? FindingSeverity.Error : FindingSeverity.Warning, ServerFindingCodes.AuthOnlyWithoutTls, "Credential",
                        $"{_endpoint.Host}:{_endpoint.Port} offers AUTH ({string.Join(" ", authBeforeTls)}) only before STARTTLS, not on " +
                        "the encrypted connection, so G5Mail cannot sign in without exposing the password. Ask the mail administrator " +
                        "to allow AUTH over TLS on this port (e.g. the Exchange receive connector's TLS + Basic authentication).");
                }

                CheckSize();
                return true;
            }

            private bool WillAuthenticate => (_request.Settings.Credential != null || TokenSource != null) && !_request.SkipAuthentication;

            public ISmtpTokenSource? TokenSource { get; set; }

            private void CheckSize()
            {
                double megabytes = _request.Settings.MaxAttachmentSizeMB ?? Defaults.MaxAttachmentSizeMB;
                EncodedMessageSize full = EncodedMessageSize.ForMaxAttachmentSizeMB(megabytes);
                long? limit = _result.MaxMessageSize;
                string mb = megabytes.ToString("0.##", Invariant);
                if (limit == null)
                {
                    _result.Information(ServerFindingCodes.ServerSizeNotAnnounced, "MaxAttachmentSizeMB",
                        $"The server announces no SIZE limit, so a too-big message shows only when it is sent. With MaxAttachmentSizeMB " +
                        $"{mb} a full message is about {N(full.Total)} bytes.");
                }
                else if (limit.Value >= full.Total)
                {
                    _result.Information(ServerFindingCodes.ServerSizeSufficient, "MaxAttachmentSizeMB",
                        $"The server accepts messages up to {N(limit.Value)} bytes; a full message with MaxAttachmentSizeMB {mb} is about " +
                        $"{N(full.Total)} bytes.");
                }
                else
                {
                    double fits = EncodedMessageSize.LargestFittingMB(limit.Value);
                    string advice = fits > 0
                        ? $"Set MaxAttachmentSizeMB to {fits.ToString("0.#", Invariant)} or less (Set-G5MailSetting -Scope System -MaxAttachmentSizeMB {fits.ToString("0.#", Invariant)}), or ask the mail administrator to raise the limit."
                        : "The limit leaves no room for attachments: ask the mail administrator to raise it.";
                    _result.Error(ServerFindingCodes.ServerSizeTooSmall, "MaxAttachmentSizeMB",
                        $"The server accepts messages up to {N(limit.Value)} bytes, but a full message with MaxAttachmentSizeMB {mb} is about " +
                        $"{N(full.Total)} bytes when sent: {N(full.AttachmentBytes)} bytes of files become {N(full.Base64Bytes)} bytes of base64 " +
                        $"plus {N(full.LineBreakBytes)} bytes of line breaks, and {N(EncodedMessageSize.HeaderAllowance)} bytes are allowed for " +
                        $"headers and text (+{(full.Total * 100.0 / Math.Max(1, full.AttachmentBytes) - 100).ToString("0", Invariant)}% in all). {advice}");
                }
            }

            private async Task AuthenticateAsync(SmtpClient client, CancellationToken cancellationToken)
            {
                if (TokenSource != null)
                {
                    await AuthenticateWithTokenAsync(client, TokenSource, cancellationToken).ConfigureAwait(false);
                    return;
                }

                NetworkCredential? credential = _request.Settings.Credential;
                IReadOnlyList<string> mechanisms = _result.AuthenticationMechanisms;
                if (credential == null)
                {
                    _result.Information(ServerFindingCodes.NoCredential, "Credential", mechanisms.Count > 0
                        ? $"No credential is set, so sign-in was not tested. The server offers AUTH {string.Join(" ", mechanisms)}; if it " +
                          "relays only for signed-in users, set one: Set-G5MailSetting -Scope System -Credential (Get-Credential)."
                        : "No credential is set and the server offers no AUTH: it must relay for this computer's address without sign-in.");
                    return;
                }

                string user = SmtpAuthentication.UserNameOf(credential);
                if (_request.SkipAuthentication)
                {
                    _result.Information(ServerFindingCodes.AuthenticationSkipped, "Credential",
                        $"Sign-in as '{user}' was not tested (-SkipAuthentication).");
                    return;
                }

                if (!client.IsSecure && !_mayAuthenticateInClear(_connection.RemoteAddress))
                {
                    _result.Error(ServerFindingCodes.CleartextAuthenticationRefused, "UseSsl",
                        $"Not sending the password of '{user}' to {_endpoint.Host}: the connection is not encrypted and anyone on the " +
                        "network could read it. Use TLS (Set-G5MailSetting -Port 587 -UseSsl, or the server's TLS port).");
                    return;
                }

                if (mechanisms.Count == 0)
                {
                    if (!_result.Findings.Exists(f => f.Code == ServerFindingCodes.AuthOnlyWithoutTls))
                    {
                        _result.Error(ServerFindingCodes.AuthNotOffered, "Credential",
                            $"A credential ('{user}') is set, but {_endpoint.Host}:{_endpoint.Port} offers no AUTH{(client.IsSecure ? " on the encrypted connection" : string.Empty)}. " +
                            "Either the server relays without sign-in (then clear it: Set-G5MailSetting -Scope System -Clear Credential), " +
                            "or authentication must be enabled on this port (on Exchange: the receive connector, usually port 587).");
                    }

                    return;
                }

                string? mechanism = SmtpAuthentication.Choose(mechanisms);
                if (mechanism == null)
                {
                    _result.Error(ServerFindingCodes.AuthMechanismUnsupported, "Credential", SmtpAuthentication.NoneSupported(_endpoint.ToString(), mechanisms));
                    return;
                }

                using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    step.CancelAfter(_request.Timeout);
                    using (step.Token.Register(() => _connection.Socket.Dispose()))
                    {
                        try
                        {
                            // One mechanism, one try, as when sending: a rejected password counts once towards a lockout.
                            await client.AuthenticateAsync(SmtpAuthentication.Create(mechanism, credential), step.Token).ConfigureAwait(false);
                            _result.Authenticated = true;
                            _result.Information(ServerFindingCodes.AuthenticationSucceeded, "Credential",
                                $"Signed in as '{user}' ({mechanism}).");
                        }
                        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                        {
                            ReportAuthenticationFailure(ex, user, step.IsCancellationRequested);
                        }
                    }
                }
            }

            /// <summary>XOAUTH2 with a token from Entra ID ("Authenticate an IMAP, POP or SMTP connection using OAuth").</summary>
            private async Task AuthenticateWithTokenAsync(SmtpClient client, ISmtpTokenSource tokens, CancellationToken cancellationToken)
            {
                string user = tokens.UserName;
                if (_request.SkipAuthentication)
                {
                    _result.Information(ServerFindingCodes.AuthenticationSkipped, "ClientId", $"The XOAUTH2 sign-in as '{user}' was not tested (-SkipAuthentication).");
                    return;
                }

                if (!client.IsSecure && !_mayAuthenticateInClear(_connection.RemoteAddress))
                {
                    _result.Error(ServerFindingCodes.CleartextAuthenticationRefused, "UseSsl",
                        $"Not sending an access token for '{user}' to {_endpoint.Host}: the connection is not encrypted. Use STARTTLS on port 587.");
                    return;
                }

                if (!_result.AuthenticationMechanisms.Contains("XOAUTH2", StringComparer.OrdinalIgnoreCase))
                {
                    _result.Error(ServerFindingCodes.AuthMechanismUnsupported, "Server",
                        $"{_endpoint.Host}:{_endpoint.Port} does not offer AUTH XOAUTH2 (it offers: {(_result.AuthenticationMechanisms.Count > 0 ? string.Join(" ", _result.AuthenticationMechanisms) : "none")}). " +
                        "Exchange Online offers it on smtp.office365.com:587 after STARTTLS; check Server and Port.");
                    return;
                }

                string token;
                try
                {
                    token = await tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (G5MailErrorException ex)
                {
                    _result.Authenticated = false;
                    _result.Error(ex.ErrorId, ex.Target as string, ex.Message);
                    return;
                }

                using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    step.CancelAfter(_request.Timeout);
                    using (step.Token.Register(() => _connection.Socket.Dispose()))
                    {
                        try
                        {
                            await client.AuthenticateAsync(new SaslMechanismOAuth2(user, token), step.Token).ConfigureAwait(false);
                            _result.Authenticated = true;
                            _result.Information(ServerFindingCodes.AuthenticationSucceeded, "ClientId", $"Signed in as '{user}' with XOAUTH2.");
                        }
                        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (ex is MailKit.Security.AuthenticationException || ex is SmtpCommandException))
                        {
                            _result.Authenticated = false;
                            _result.Error(ServerFindingCodes.AuthenticationRejected, "ClientId",
                                $"{_endpoint.Host} rejected the XOAUTH2 sign-in of '{user}': {OneLine(ex.Message)}. {tokens.SignInAdvice}");
                        }
                        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                        {
                            ReportAuthenticationFailure(ex, user, step.IsCancellationRequested);
                        }
                    }
                }
            }

            private void ReportAuthenticationFailure(Exception ex, string user, bool timedOut)
            {
                // Server replies only (never the credential): MailKit's messages quote the server's status line.
                string advice = "Check the user name and password (Set-G5MailSetting -Scope System -Credential (Get-Credential)); " +
                                "some servers also need SMTP AUTH enabled for the mailbox.";
                if (timedOut)
                {
                    _result.Error(ServerFindingCodes.ConnectionTimeout, "Credential",
                        $"{_endpoint.Host} did not answer the sign-in of '{user}' within {Seconds} s; raise -TimeoutSeconds or try again.");
                }
                else if (ex is MailKit.Security.AuthenticationException)
                {
                    _result.Authenticated = false;
                    _result.Error(ServerFindingCodes.AuthenticationRejected, "Credential",
                        $"{_endpoint.Host} rejected the sign-in of '{user}': {OneLine(ex.Message)}. {advice}");
                }
                else if (ex is SmtpCommandException command)
                {
                    _result.Authenticated = false;
                    _result.Error(ServerFindingCodes.AuthenticationRejected, "Credential",
                        $"{_endpoint.Host} rejected the sign-in of '{user}': {(int)command.StatusCode} {OneLine(command.Message)}. {advice}");
                }
                else if (ex is NotSupportedException)
                {
                    _result.Error(ServerFindingCodes.AuthMechanismUnsupported, "Credential",
                        $"{_endpoint.Host} offers only AUTH {string.Join(" ", _result.AuthenticationMechanisms)}, none of which G5Mail can " +
                        "use with a user name and password. Ask the mail administrator to enable PLAIN or LOGIN over TLS.");
                }
                else
                {
                    ReportClosed(ex);
                }
            }

            private async Task QuitAsync(SmtpClient client, CancellationToken cancellationToken)
            {
                if (!client.IsConnected)
                {
                    return;
                }

                using (var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    step.CancelAfter(QuitBound);
                    using (step.Token.Register(() => _connection.Socket.Dispose()))
                    {
                        try
                        {
                            await client.DisconnectAsync(true, step.Token).ConfigureAwait(false);
                        }
                        catch (Exception) when (!cancellationToken.IsCancellationRequested)
                        {
                            // The test is complete; a server that drops the line at QUIT changes nothing.
                        }
                    }
                }
            }

            private void AddCertificateFindings(bool accepted, System.Security.Authentication.SslProtocols? protocol)
            {
                CertificateFindings.Report(_result, _policy, Host, accepted, protocol, TlsOnConnect ? "on connect" : "via STARTTLS", _certificateNames);
            }

            private static string Date(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm", Invariant) + " UTC";

            private static string N(long value) => value.ToString("N0", Invariant);

            private static string OneLine(string text) => string.Join(" ", text.Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries)).Trim();


            private static async Task Observe(Task task)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Cancelled on purpose: the finding that stopped it is already recorded.
                }
            }
        }
    }
}
