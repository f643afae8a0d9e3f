using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Security;
using G5Mail.Core.Transports;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>The outcome of one HTTP exchange with EWS: the status, and the parsed SOAP answer when the body was one.</summary>
    public sealed class EwsExchange
    {
        public EwsExchange(HttpStatusCode status, EwsResponse? response, string? location, string[] authenticationSchemes)
        {
            Status = status;
            Response = response;
            Location = location;
            AuthenticationSchemes = authenticationSchemes;
        }

        public HttpStatusCode Status { get; }
        public EwsResponse? Response { get; }
        public string? Location { get; }

        /// <summary>The schemes of the WWW-Authenticate headers (Negotiate, NTLM, Basic) when the answer was 401.</summary>
        public string[] AuthenticationSchemes { get; }
    }

    /// <summary>
    /// One HttpClient to one EWS endpoint: the certificate policy of the settings (system trust, a pinned thumbprint or
    /// SkipCertificateCheck), and the credential for Negotiate, NTLM and Basic, or the current Windows identity when none
    /// is set. No redirects are followed, so a credential never travels to another address. Used by the transport for the
    /// whole pipeline, and by Test-G5MailServer.
    /// </summary>
    public sealed class EwsConnection : IDisposable
    {
        private readonly HttpClient _client;
        private readonly CertificatePolicy _certificates;
        private readonly NetworkCredential? _credential;
        private readonly SchemeCredentials? _schemes;
        private readonly TimeSpan _timeout;
        private TimeSpan _deadline;

        /// <param name="credential">The account; null signs in as the current Windows user; <paramref name="anonymous"/> not at all.</param>
        /// <param name="timeout">TimeoutSeconds: connect, TLS handshake and the wait for each answer (a large upload gets its transfer time on top).</param>
        public EwsConnection(EwsEndpoint endpoint, CertificatePolicy certificates, NetworkCredential? credential, TimeSpan timeout, bool anonymous = false)
        {
            Endpoint = endpoint;
            _certificates = certificates;
            _credential = anonymous ? null : ForWindows(credential);
            var handler = new HttpClientHandler
            {
                AllowAutoRedirect = false,
                // After the first challenge, send Basic credentials with each request instead of waiting for a 401 again.
                PreAuthenticate = true,
                // As for SMTP: revocation lists of internal CAs are often unreachable; chain, expiry and name are checked.
                CheckCertificateRevocationList = false,
                ServerCertificateCustomValidationCallback = Validate,
            };
            if (!anonymous && endpoint.MaySendCredentials)
            {
                if (_credential != null)
                {
                    _schemes = new SchemeCredentials(new Uri(endpoint.Url.GetLeftPart(UriPartial.Authority) + "/"), _credential);
                    handler.Credentials = _schemes;
                }
                else
                {
                    handler.UseDefaultCredentials = true;
                }
            }

            // Each request gets its own bound (SendOnceAsync): TimeoutSeconds plus the upload time of its body.
            _timeout = timeout;
            _client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
            _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("G5Mail", typeof(EwsConnection).Assembly.GetName().Version?.ToString(3) ?? "0"));
        }

        public EwsEndpoint Endpoint { get; }

        /// <summary>The user name for messages (never the password); null when signing in as the current Windows user.</summary>
        public string? UserName => _credential == null ? null : (_credential.Domain.Length > 0 ? _credential.Domain + "\\" + _credential.UserName : _credential.UserName);

        /// <summary>False after the last handshake's certificate was rejected; null before any handshake.</summary>
        public bool? LastCertificateAccepted { get; private set; }

        public CertificatePolicy Certificates => _certificates;

        /// <summary>"DOMAIN\user" as Windows authentication wants it: user name and domain apart (Basic joins them again).</summary>
        internal static NetworkCredential? ForWindows(NetworkCredential? credential)
        {
            if (credential == null || string.IsNullOrEmpty(credential.UserName))
            {
                return null;
            }

            string user = credential.UserName;
            int slash = user.IndexOf('\\');
            if (slash > 0 && string.IsNullOrEmpty(credential.Domain))
            {
                return new NetworkCredential(user.Substring(slash + 1), credential.SecurePassword, user.Substring(0, slash));
            }

            return credential;
        }

        /// <summary>
        /// POSTs one request and reads the answer. An EWS answer (HTTP 200, or 500 with a SOAP fault) is parsed; other
        /// statuses come back without one. Network and TLS failures throw G5MailErrorException (ConnectionFailed,
        /// CertificateInvalid); a G5MailErrorException thrown while the request is written (a file gone) comes through as is.
        /// </summary>
        public Task<EwsExchange> SendAsync(EwsRequest request, bool expectContinue, CancellationToken cancellationToken) =>
            SendAsync(request, expectContinue, null, cancellationToken);

        /// <summary>
        /// As <see cref="SendAsync(EwsRequest, bool, CancellationToken)"/>, but an HTTP 200 XML answer is handed, unbuffered, to
        /// <paramref name="readSuccess"/> (GetItem with MimeContent: the message is decoded straight to disk); each read of the
        /// body gets TimeoutSeconds anew, so a large answer is bounded by silence, not by its size. Faults are parsed as usual.
        /// </summary>
        public async Task<EwsExchange> SendAsync(EwsRequest request, bool expectContinue, Func<Stream, CancellationToken, Task<EwsResponse?>>? readSuccess,
            CancellationToken cancellationToken)
        {
            EwsExchange exchange = await SendOnceAsync(request, expectContinue, readSuccess, cancellationToken).ConfigureAwait(false);
            if (exchange.Status == HttpStatusCode.Unauthorized && _schemes != null && !_schemes.BasicOnly &&
                exchange.AuthenticationSchemes.Contains("Basic", StringComparer.OrdinalIgnoreCase))
            {
                // HttpClient signs in with the strongest method offered (Negotiate, NTLM) and gives up when that fails, also
                // when it fails on this computer: outside Windows, NTLM needs gss-ntlmssp and Negotiate a Kerberos ticket. Over
                // https (MaySendCredentials) the server's Basic is the fallback, for the rest of this connection.
                _schemes.BasicOnly = true;
                exchange = await SendOnceAsync(request, expectContinue, readSuccess, cancellationToken).ConfigureAwait(false);
            }

            return exchange;
        }

        private async Task<EwsExchange> SendOnceAsync(EwsRequest request, bool expectContinue, Func<Stream, CancellationToken, Task<EwsResponse?>>? readSuccess,
            CancellationToken cancellationToken)
        {
            using (var message = new HttpRequestMessage(HttpMethod.Post, Endpoint.Url))
            {
                message.Content = request.CreateContent(cancellationToken);
                message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/xml"));
                // A big upload waits for the server's go-ahead: a 401 challenge or a 413 then costs no upload (the EWS
                // Managed API's HttpWebRequest does the same by default).
                message.Headers.ExpectContinue = expectContinue;
                _deadline = HttpDeadline.For(_timeout, request.Length);
                using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                try
                {
                    bounded.CancelAfter(_deadline);
                    using (HttpResponseMessage response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, bounded.Token)
                               .ConfigureAwait(false))
                    {
                        EwsResponse? parsed = readSuccess != null && response.StatusCode == HttpStatusCode.OK && IsXml(response)
                            ? await readSuccess(new IdleBoundStream(await response.Content.ReadAsStreamAsync().ConfigureAwait(false), bounded, _timeout), bounded.Token)
                                .ConfigureAwait(false)
                            : await ReadAsync(response, bounded.Token).ConfigureAwait(false);
                        string[] schemes = response.StatusCode == HttpStatusCode.Unauthorized
                            ? response.Headers.WwwAuthenticate.Select(h => h.Scheme).Distinct(StringComparer.OrdinalIgnoreCase).ToArray()
                            : Array.Empty<string>();
                        return new EwsExchange(response.StatusCode, parsed, response.Headers.Location?.ToString(), schemes);
                    }
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    throw Map(ex, request.Operation, EwsRequest.BodyWritten(message.Content), cancellationToken);
                }
            }
        }

        private static async Task<EwsResponse?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            int status = (int)response.StatusCode;
            if ((status != 200 && status != 500) || !IsXml(response))
            {
                return null;
            }

            using (Stream body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false))
            using (var copy = new MemoryStream())
            {
                var buffer = new byte[16 * 1024];
                int read;
                while ((read = await body.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (copy.Length + read > EwsResponseParser.MaxResponseBytes)
                    {
                        return null;
                    }

                    copy.Write(buffer, 0, read);
                }

                copy.Position = 0;
                try
                {
                    return EwsResponseParser.Parse(copy);
                }
                catch (FormatException)
                {
                    return null;
                }
            }
        }

        private static bool IsXml(HttpResponseMessage response)
        {
            string? type = response.Content.Headers.ContentType?.MediaType;
            return type != null && (type.EndsWith("/xml", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+xml", StringComparison.OrdinalIgnoreCase));
        }

        private bool Validate(HttpRequestMessage request, X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            bool accepted = _certificates.Validate(request, certificate, chain, errors);
            LastCertificateAccepted = accepted;
            return accepted;
        }

        /// <summary>The failure with its <see cref="FailureClass"/> (transient, or uncertain once the whole request went out).</summary>
        private G5MailErrorException Map(Exception ex, string operation, bool bodyWritten, CancellationToken cancellationToken)
        {
            for (Exception? e = ex; e != null; e = e.InnerException)
            {
                if (e is G5MailErrorException known)
                {
                    return known;
                }
            }

            G5MailErrorException mapped = Describe(ex, operation, cancellationToken);
            if (mapped.ErrorId == ErrorIds.ConnectionFailed && mapped.Kind != ErrorKind.SecurityError && !IsHostNotFound(ex))
            {
                // Lost, refused, reset or timed out: before the whole request went out Exchange cannot have acted on it.
                mapped.Failure = FailureClassification.ConnectionLost(bodyWritten);
                mapped.Cause = (ex is OperationCanceledException
                                   ? $"no answer within {_deadline.TotalSeconds:0} s (TimeoutSeconds {_timeout.TotalSeconds:0})"
                                   : "connection failed: " + ErrorText.Innermost(ex).Message) +
                               (bodyWritten ? " after the whole request was sent" : string.Empty);
                if (mapped.Failure == FailureClass.Uncertain && operation == "CreateItem")
                {
                    string where = Endpoint.Url.GetLeftPart(UriPartial.Authority);
                    return new G5MailErrorException(ErrorIds.DeliveryUncertain, mapped.Kind,
                        $"The connection to Exchange at {where} failed ({mapped.Cause}) before Exchange answered CreateItem. Exchange may or may " +
                        "not have sent the message, so G5Mail did not send it again. Look in the sender's Sent Items (or ask the recipient) " +
                        "before sending it again; rerun with -JournalPath to be safe: the journal keeps such messages from being sent twice.", where, ex)
                    {
                        Failure = FailureClass.Uncertain,
                        Cause = mapped.Cause,
                    };
                }
            }

            return mapped;
        }

        private static bool IsHostNotFound(Exception ex)
        {
            SocketError? code = Find<SocketException>(ex)?.SocketErrorCode;
            return code == SocketError.HostNotFound || code == SocketError.NoData;
        }

        private G5MailErrorException Describe(Exception ex, string operation, CancellationToken cancellationToken)
        {
            string where = Endpoint.Url.GetLeftPart(UriPartial.Authority);
            if (LastCertificateAccepted == false && _certificates.LastSeen != null)
            {
                return new G5MailErrorException(ErrorIds.CertificateInvalid, ErrorKind.SecurityError, _certificates.LastSeen.Describe(Endpoint.Host), where, ex);
            }

            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout,
                    $"Exchange ({where}) did not answer {operation} within {_deadline.TotalSeconds:0} s ({HttpDeadline.Describe(_timeout)}). Check " +
                    "the network route to the server; a very large message over a slow line may need a smaller MaxAttachmentSizeMB.", where, ex);
            }

            SocketException? socket = Find<SocketException>(ex);
            if (socket != null)
            {
                string reason;
                switch (socket.SocketErrorCode)
                {
                    case SocketError.ConnectionRefused:
                        reason = $"nothing listens on port {Endpoint.Port}: check Server and Port (EWS uses 443)";
                        break;
                    case SocketError.HostNotFound:
                    case SocketError.NoData:
                    case SocketError.TryAgain:
                        reason = $"the name '{Endpoint.Host}' was not found: check Server";
                        break;
                    case SocketError.TimedOut:
                        reason = "no answer: a firewall may drop the connection, or the server is down";
                        break;
                    default:
                        reason = socket.SocketErrorCode.ToString();
                        break;
                }

                return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, $"Could not connect to Exchange at {where}: {reason}.", where, ex);
            }

            if (Find<AuthenticationException>(ex) != null)
            {
                return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.SecurityError,
                    $"The TLS handshake with {where} failed ({ErrorText.Innermost(ex).Message}). The server and this computer may share no TLS " +
                    "version, or the server's TLS set-up is broken.", where, ex);
            }

            return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                $"The connection to Exchange at {where} failed during {operation}: {ErrorText.Innermost(ex).Message}", where, ex);
        }

        private static T? Find<T>(Exception ex) where T : Exception
        {
            for (Exception? e = ex; e != null; e = e.InnerException)
            {
                if (e is T found)
                {
                    return found;
                }
            }

            return null;
        }


        public void Dispose() => _client.Dispose();

        /// <summary>A response body whose every read that returns data restarts the request's bound: TimeoutSeconds of silence ends it.</summary>
        private sealed class IdleBoundStream : Stream
        {
            private readonly Stream _inner;
            private readonly CancellationTokenSource _bound;
            private readonly TimeSpan _idle;

            public IdleBoundStream(Stream inner, CancellationTokenSource bound, TimeSpan idle)
            {
                _inner = inner;
                _bound = bound;
                _idle = idle;
            }

            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();

            public override long Position
            {
                get => throw new NotSupportedException();
                set => throw new NotSupportedException();
            }

            public override int Read(byte[] buffer, int offset, int count) => Restart(_inner.Read(buffer, offset, count));

            public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                Restart(await _inner.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false));

            private int Restart(int read)
            {
                if (read > 0)
                {
                    _bound.CancelAfter(_idle);
                }

                return read;
            }

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    _inner.Dispose();
                }

                base.Dispose(disposing);
            }
        }

        /// <summary>
        /// The credential for Negotiate, NTLM and Basic at the endpoint (what Exchange's EWS directory offers), or for Basic
        /// only once Windows authentication has failed. HttpClient asks on every challenge, so the switch takes effect at once.
        /// </summary>
        private sealed class SchemeCredentials : ICredentials
        {
            private readonly Uri _prefix;
            private readonly NetworkCredential _credential;

            public SchemeCredentials(Uri prefix, NetworkCredential credential)
            {
                _prefix = prefix;
                _credential = credential;
            }

            public bool BasicOnly { get; set; }

            public NetworkCredential? GetCredential(Uri uri, string authType)
            {
                if (!_prefix.IsBaseOf(uri))
                {
                    return null;
                }

                bool basic = string.Equals(authType, "Basic", StringComparison.OrdinalIgnoreCase);
                bool windows = string.Equals(authType, "Negotiate", StringComparison.OrdinalIgnoreCase) ||
                               string.Equals(authType, "NTLM", StringComparison.OrdinalIgnoreCase);
                return basic || (windows && !BasicOnly) ? _credential : null;
            }
        }
    }
}
