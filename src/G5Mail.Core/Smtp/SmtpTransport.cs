using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Security;
using G5Mail.Core.Sending;
using G5Mail.Core.Transport;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace G5Mail.Core.Smtp
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

        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

        /// <summary>Whether a password may cross an unencrypted connection: only to this computer. A seam for tests.</summary>
        internal Func<SmtpEndpoint, bool> MaySendCredentialsInClear { get; set; } = endpoint => endpoint.IsLoopback;
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

        public async Task<TransportReceipt> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
        {
            SmtpEndpoint endpoint = _options.Endpoint;
            await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            KnownSizeSmtpClient client = _client!;

            long maxSize = ServerMaxSize;
            if (maxSize > 0)
            {
                long estimate = message.EstimateEncodedSize();
                if (estimate > maxSize)
                {
                    throw new G5MailException(ErrorIds.MessageTooLarge, ErrorKind.LimitsExceeded,
                        $"The message would be about {Megabytes(estimate)} MB when encoded, but {endpoint} accepts at most " +
                        $"{Megabytes(maxSize)} MB (SIZE {maxSize}). Lower MaxAttachmentSizeMB (about {Megabytes(maxSize * 0.72)} MB " +
                        "of attachments fits) so Combine splits messages smaller, or send this document through another server.",
                        string.Join(", ", message.DocumentIds));
                }
            }

            _endOfData.Arm();
            try
            {
                using (var mime = message.ToMimeMessage())
                {
                    _log.Verbose($"SMTP {endpoint}: sending {message.MessageId} ({Megabytes(message.AttachmentBytes)} MB of attachments).");
                    client.Expect(message, mime);
                    try
                    {
                        // _endOfData (the client's protocol logger) sees whether the end of the data went out.
                        // Synchronous on purpose: with one connection (the default) SendRun blocks on this call anyway,
                        // and MailKit's async path hands every reply to a thread-pool thread only to wake the blocked
                        // caller again: two wake-ups per reply instead of one, which on a busy two-core host cost more
                        // than the SMTP work (issue 9's benchmark, line 1). With -ThrottleLimit N each parallel send
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
                    _log.Warning($"Stopped while waiting for {endpoint} to confirm message {message.MessageId} ({string.Join(", ", message.DocumentIds)}): " +
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
                    throw SmtpErrors.Uncertain(ex, endpoint, message);
                }

                G5MailException mapped = SmtpErrors.Map(ex, endpoint, _options.Certificates, _options.Credential?.UserName);
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
                try
                {
                    await client.ConnectAsync(socket, endpoint.Host, endpoint.Port, endpoint.Security, cancellationToken).ConfigureAwait(false);
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
                throw SmtpErrors.Map(ex, endpoint, _options.Certificates, _options.Credential?.UserName);
            }
            catch
            {
                client.Dispose();
                throw;
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
                throw new G5MailException(ErrorIds.AuthenticationFailed, ErrorKind.SecurityError,
                    $"G5Mail will not send credentials over the unencrypted connection to {endpoint}. " +
                    "Set UseSsl (Set-G5MailSetting -UseSsl; port 587 uses STARTTLS, 465 uses TLS), or remove the Credential if the server relays without login.",
                    endpoint.ToString());
            }

            if ((client.Capabilities & SmtpCapabilities.Authentication) == 0)
            {
                throw new G5MailException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError,
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
                    throw new G5MailException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError,
                        $"{endpoint} rejected the XOAUTH2 sign-in of '{_options.TokenSource.UserName}' ({ex.Message.Trim()}). {_options.TokenSource.SignInAdvice}",
                        endpoint.ToString(), ex);
                }
            }
            else
            {
                _log.Verbose($"SMTP {endpoint}: authenticating as {_options.Credential!.UserName}.");
                await client.AuthenticateAsync(_options.Credential, cancellationToken).ConfigureAwait(false);
            }
        }

        private static string Megabytes(double bytes) => (bytes / 1_048_576d).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

        private void DisposeClient()
        {
            if (_client == null)
            {
                return;
            }

            try
            {
                if (_client.IsConnected)
                {
                    _client.Disconnect(true);
                }
            }
            catch (Exception)
            {
                // Best effort: the connection is going away either way.
            }

            _client.Dispose();
            _client = null;
        }

        public void Dispose() => DisposeClient();
    }
}
