using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Runs;
using G5Mail.Core.Security;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>Supplies an OAuth 2.0 access token for SMTP XOAUTH2 (Exchange Online).</summary>
    public interface ISmtpTokenSource
    {
        /// <summary>The mailbox the token is for (SASL XOAUTH2 user).</summary>
        string UserName { get; }

        Task<string> GetAccessTokenAsync(CancellationToken cancellationToken);

        /// <summary>What to check when the server rejects the token (permissions, mailbox settings); no secret.</summary>
        string SignInAdvice { get; }
    }

    public sealed class SmtpTransportOptions
    {
        public SmtpTransportOptions(SmtpEndpoint endpoint, CertificatePolicy certificates)
        {
            Endpoint = endpoint;
            Certificates = certificates;
        }

        public SmtpEndpoint Endpoint { get; }
        public CertificatePolicy Certificates { get; }

        /// <summary>User name and password for SMTP AUTH, or null for none.</summary>
        public NetworkCredential? Credential { get; set; }

        /// <summary>OAuth 2.0 (XOAUTH2) instead of a password.</summary>
        public ISmtpTokenSource? TokenSource { get; set; }

        /// <summary>The bound of connect, greeting, TLS handshake and each reply (the TimeoutSeconds setting).</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(Defaults.TimeoutSeconds);

        /// <summary>
        /// What the run's connections learned about the server (shared by every transport of one pipeline): that the
        /// port wants TLS from the first byte, so later connections go straight to it and the warning is given once.
        /// </summary>
        public SmtpServerMemory Memory { get; set; } = new SmtpServerMemory();

        /// <summary>Whether a password may cross an unencrypted connection: only to this computer. A seam for tests.</summary>
        internal Func<SmtpEndpoint, bool> MaySendCredentialsInClear { get; set; } = endpoint => endpoint.IsLoopback;
    }

    /// <summary>What the connections of one run learned about their SMTP server. Thread-safe.</summary>
    public sealed class SmtpServerMemory
    {
        private int _tlsOnConnect;
        private int _warned;

        /// <summary>The port sent no greeting but answered TLS: connect with TLS from the first byte.</summary>
        public bool TlsOnConnect => Volatile.Read(ref _tlsOnConnect) == 1;

        /// <summary>Notes that the port wants TLS on connect; true the first time only (for the one warning of the run).</summary>
        public bool LearnTlsOnConnect()
        {
            Volatile.Write(ref _tlsOnConnect, 1);
            return Interlocked.Exchange(ref _warned, 1) == 0;
        }
    }

    /// <summary>
    /// Sends over one SMTP connection for the whole pipeline (MailKit), reconnecting if it drops between messages.
    /// </summary>
    public sealed class SmtpTransport : IMessageTransport
    {
        private readonly SmtpTransportOptions _options;
        private readonly IRunLog _log;
        private KnownSizeSmtpClient? _client;

        // Sees every byte the client writes: tells whether the current message's data ended (see EndOfDataWatch).
        private readonly EndOfDataWatch _endOfData = new EndOfDataWatch();
        private bool _warnedOverride;

        public SmtpTransport(SmtpTransportOptions options, IRunLog log)
        {
            _options = options;
            _log = log;
        }

        public string Server => _options.Endpoint.ToString();

        /// <summary>Size limit the server announced with the SIZE extension (0 = none announced or not connected).</summary>
        public long ServerMaxSize => _client != null && (_client.Capabilities & SmtpCapabilities.Size) != 0 ? _client.MaxSize : 0;

        public Task<TransportReceipt> SendAsync(OutgoingMessage message, CancellationToken cancellationToken) =>
            SendCoreAsync(new Payload(message.MessageId, "documents " + string.Join(", ", message.DocumentIds),
                $"{ErrorText.Megabytes(message.AttachmentBytes)} MB of attachments", message.ToMimeMessage, message), cancellationToken);

        /// <summary>
        /// Sends a message composed elsewhere (a calendar invitation), with the same connection, login, size, uncertainty
        /// and error rules as a document. <paramref name="about"/> names it in errors and the log ("activity A-17").
        /// </summary>
        public Task<TransportReceipt> SendAsync(Func<MimeMessage> build, string messageId, string about, CancellationToken cancellationToken) =>
            SendCoreAsync(new Payload(messageId, about, about, build, null), cancellationToken);

        /// <summary>What one send needs to know of its message, whichever kind it is.</summary>
        private sealed class Payload
        {
            public Payload(string messageId, string about, string logDetail, Func<MimeMessage> build, OutgoingMessage? document)
            {
                MessageId = messageId;
                About = about;
                LogDetail = logDetail;
                Build = build;
                Document = document;
            }

            public string MessageId { get; }
            public string About { get; }
            public string LogDetail { get; }
            public Func<MimeMessage> Build { get; }

            /// <summary>A document message: its encoded size is known without reading the files (see KnownSizeSmtpClient).</summary>
            public OutgoingMessage? Document { get; }
        }

        private async Task<TransportReceipt> SendCoreAsync(Payload message, CancellationToken cancellationToken)
        {
            SmtpEndpoint endpoint = _options.Endpoint;
            await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            KnownSizeSmtpClient client = _client!;

            long maxSize = ServerMaxSize;
            if (maxSize > 0 && message.Document != null)
            {
                long estimate = message.Document.EstimateEncodedSize();
                if (estimate > maxSize)
                {
                    throw new G5MailErrorException(ErrorIds.MessageTooLarge, ErrorKind.LimitsExceeded,
                        $"The message would be about {ErrorText.Megabytes(estimate)} MB when encoded, but {endpoint} accepts at most " +
                        $"{ErrorText.Megabytes(maxSize)} MB (SIZE {maxSize}). Lower MaxAttachmentSizeMB (about {ErrorText.Megabytes(maxSize * 0.72)} MB " +
                        "of attachments fits) so Combine splits messages smaller, or send this document through another server.",
                        string.Join(", ", message.Document.DocumentIds));
                }
            }

            _endOfData.Arm();
            try
            {
                using (var mime = message.Build())
                {
                    _log.Verbose($"SMTP {endpoint}: sending {message.MessageId} ({message.LogDetail}).");
                    if (message.Document != null)
                    {
                        client.Expect(message.Document, mime);
                    }

                    try
                    {
                        // _endOfData (the client's protocol logger) sees whether the end of the data went out.
                        // Synchronous on purpose: with one connection (the default) SendRun blocks on this call anyway,
                        // and MailKit's async path hands every reply to a thread-pool thread only to wake the blocked
                        // caller again: two wake-ups per reply instead of one, which on a busy two-core host cost more
                        // than the SMTP work (the benchmark's throughput line). With -ThrottleLimit N each parallel send
                        // holds one pool thread for its exchange (at most N, at most 16); the benchmark's -ThrottleLimit
                        // rows measure that path. MailKit's sync I/O honours the cancellation token (it polls the
                        // socket) and logs every write to the protocol logger exactly as the async path does.
                        string response = client.Send(OutgoingMessage.CreateFormatOptions(), mime, cancellationToken);
                        return new TransportReceipt(message.MessageId, response);
                    }
                    finally
                    {
                        client.Forget();
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                DisposeClient();
                if (_endOfData.EndOfDataSent)
                {
                    _log.Warning($"Stopped while waiting for {endpoint} to confirm message {message.MessageId} ({message.About}): " +
                                 "it may or may not have been delivered. Check the recipient's inbox or the server's log before sending it again.");
                }

                throw;
            }
            catch (Exception ex)
            {
                // A reply (SmtpCommandException) is the server's verdict even after the data: it refused the message.
                // Anything else after the end of the data leaves the outcome unknown.
                if (_endOfData.EndOfDataSent && !(ex is SmtpCommandException))
                {
                    DisposeClient();
                    throw SmtpErrors.Uncertain(ex, endpoint, message.MessageId, message.About);
                }

                G5MailErrorException mapped = SmtpErrors.Map(ex, endpoint, _options.Certificates, UserName);
                if (!client.IsConnected || mapped.Failure == FailureClass.Transient)
                {
                    // A transient failure is retried on a new connection (a 421 closes it anyway).
                    DisposeClient();
                }

                throw mapped;
            }
        }

        private async Task EnsureConnectedAsync(CancellationToken cancellationToken)
        {
            if (_client != null && _client.IsConnected)
            {
                return;
            }

            DisposeClient();
            SmtpEndpoint endpoint = _options.Endpoint;
            var client = new KnownSizeSmtpClient(_endOfData)
            {
                Timeout = (int)_options.Timeout.TotalMilliseconds,
                ServerCertificateValidationCallback = _options.Certificates.Validate,
                // Revocation lists are often unreachable from servers that send mail; chain, expiry and name are checked.
                CheckCertificateRevocation = false,
            };
            try
            {
                _log.Verbose($"SMTP: connecting to {endpoint} ({endpoint.Security}).");
                // Our own socket, for TCP_NODELAY (see SmtpSocket); MailKit owns and closes it from here on.
                var socket = await SmtpSocket.ConnectAsync(endpoint.Host, endpoint.Port, _options.Timeout, cancellationToken).ConfigureAwait(false);
                SecureSocketOptions security = _options.Memory.TlsOnConnect ? SecureSocketOptions.SslOnConnect : endpoint.Security;
                if (security == SecureSocketOptions.StartTls && await WantsTlsOnConnectAsync(socket, cancellationToken).ConfigureAwait(false))
                {
                    // TLS from the first byte protects everything STARTTLS would, and the greeting too (RFC 8314 3.3).
                    socket.Dispose();
                    if (_options.Memory.LearnTlsOnConnect())
                    {
                        _log.Warning($"{endpoint} sent no SMTP greeting but answers TLS: it wants TLS from the first byte (like port 465), not "
                                     + "STARTTLS. G5Mail goes on with TLS on connect, the certificate checked as usual. To skip this detour, "
                                     + "use the port for STARTTLS (587) or set -Port 465.");
                    }

                    security = SecureSocketOptions.SslOnConnect;
                    socket = await SmtpSocket.ConnectAsync(endpoint.Host, endpoint.Port, _options.Timeout, cancellationToken).ConfigureAwait(false);
                }

                try
                {
                    await client.ConnectAsync(socket, endpoint.Host, endpoint.Port, security, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                WarnIfCertificateOverridden(client);
                await AuthenticateAsync(client, cancellationToken).ConfigureAwait(false);
                _client = client;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) || !cancellationToken.IsCancellationRequested)
            {
                client.Dispose();
                throw SmtpErrors.Map(ex, endpoint, _options.Certificates, UserName);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        /// <summary>
        /// With UseSsl on a port other than 465 the server should greet in plain text and offer STARTTLS. One that stays
        /// silent for a few seconds may be waiting for a TLS ClientHello instead: ask it on a second connection (as
        /// Test-G5MailServer does) rather than wait out the whole timeout. False when it greets, or does not answer TLS either.
        /// </summary>
        private async Task<bool> WantsTlsOnConnectAsync(System.Net.Sockets.Socket socket, CancellationToken cancellationToken)
        {
            // A greeting comes within milliseconds from a working relay; a few seconds is ample even across the world.
            TimeSpan silence = TimeSpan.FromMilliseconds(Math.Min(3000, _options.Timeout.TotalMilliseconds / 3));
            bool spoke = await Task.Run(() => socket.Poll((int)Math.Min(int.MaxValue, silence.Ticks / 10), System.Net.Sockets.SelectMode.SelectRead), cancellationToken)
                .ConfigureAwait(false);
            if (spoke || !(socket.RemoteEndPoint is IPEndPoint remote))
            {
                return false;
            }

            using (var sniff = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // A TLS server answers a ClientHello at once; a silent one is not worth the whole timeout twice.
                sniff.CancelAfter(silence < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : silence);
                bool tls = await Diagnostics.TlsSniffer.AnswersTlsAsync(remote.Address, remote.Port, _options.Endpoint.Host, sniff.Token).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (!tls)
                {
                    _log.Verbose($"SMTP {_options.Endpoint}: no greeting within {silence.TotalSeconds:0.#} s, and the port does not answer TLS either; waiting for the greeting.");
                }

                return tls;
            }
        }

        private void WarnIfCertificateOverridden(SmtpClient client)
        {
            if (client.IsSecure && _options.Certificates.LastAcceptedByOverride && !_warnedOverride && _options.Certificates.SkipCheck &&
                _options.Certificates.PinnedThumbprint == null)
            {
                _warnedOverride = true;
                _log.Warning($"SkipCertificateCheck is on: the certificate of {_options.Endpoint} was not validated " +
                             $"({_options.Certificates.LastSeen?.Thumbprint}). Anyone between here and the server could read this mail.");
            }
        }

        private async Task AuthenticateAsync(SmtpClient client, CancellationToken cancellationToken)
        {
            SmtpEndpoint endpoint = _options.Endpoint;
            bool hasPassword = _options.Credential != null && !string.IsNullOrEmpty(_options.Credential.UserName);
            if (!hasPassword && _options.TokenSource == null)
            {
                return;
            }

            if (!client.IsSecure && !_options.MaySendCredentialsInClear(endpoint))
            {
                throw new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.SecurityError,
                    $"G5Mail will not send credentials over the unencrypted connection to {endpoint}. " +
                    "Set UseSsl (Set-G5MailSetting -UseSsl; port 587 uses STARTTLS, 465 uses TLS), or remove the Credential if the server relays without login.",
                    endpoint.ToString());
            }

            if ((client.Capabilities & SmtpCapabilities.Authentication) == 0)
            {
                throw new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError,
                    $"{endpoint} offers no authentication (no AUTH in its EHLO reply), but a Credential is set. " +
                    (client.IsSecure ? "Remove the Credential if the server relays without login, or check the port." :
                        "Many servers offer AUTH only after STARTTLS: set UseSsl (Set-G5MailSetting -UseSsl)."), endpoint.ToString());
            }

            if (_options.TokenSource != null)
            {
                string token = await _options.TokenSource.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
                _log.Verbose($"SMTP {endpoint}: authenticating {_options.TokenSource.UserName} with XOAUTH2.");
                try
                {
                    await client.AuthenticateAsync(new SaslMechanismOAuth2(_options.TokenSource.UserName, token), cancellationToken).ConfigureAwait(false);
                }
                catch (MailKit.Security.AuthenticationException ex)
                {
                    // SmtpErrors would advise checking a password; a rejected token has other causes.
                    throw new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError,
                        $"{endpoint} rejected the XOAUTH2 sign-in of '{_options.TokenSource.UserName}' ({ex.Message.Trim()}). {_options.TokenSource.SignInAdvice}",
                        endpoint.ToString(), ex);
                }
            }
            else
            {
                NetworkCredential credential = _options.Credential!;
                string? mechanism = SmtpAuthentication.Choose(client.AuthenticationMechanisms);
                if (mechanism == null)
                {
                    throw new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError,
                        SmtpAuthentication.NoneSupported(endpoint.ToString(), client.AuthenticationMechanisms), endpoint.ToString());
                }

                _log.Verbose($"SMTP {endpoint}: authenticating as {SmtpAuthentication.UserNameOf(credential)} with {mechanism}.");
                // One mechanism, one try: a rejected password is not offered again through the next mechanism.
                await client.AuthenticateAsync(SmtpAuthentication.Create(mechanism, credential), cancellationToken).ConfigureAwait(false);
            }
        }

        private string? UserName => _options.Credential != null ? SmtpAuthentication.UserNameOf(_options.Credential) : null;


        private void DisposeClient()
        {
            MailServices.CloseQuietly(_client);
            _client = null;
        }

        public void Dispose() => DisposeClient();
    }
}
