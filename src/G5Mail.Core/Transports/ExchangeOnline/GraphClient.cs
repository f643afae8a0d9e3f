using System;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Transports;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>One answer from Graph (success only: failures are thrown as G5MailErrorException).</summary>
    public sealed class GraphResponse
    {
        public GraphResponse(int status, byte[] body, HttpResponseHeaders headers)
        {
            Status = status;
            Body = body;
            Headers = headers;
        }

        public int Status { get; }
        public byte[] Body { get; }
        public HttpResponseHeaders Headers { get; }
    }

    /// <summary>
    /// Microsoft Graph over HTTPS: one HttpClient per pipeline, the pipeline's token on each call, and every failure mapped
    /// to a G5MailErrorException with its <see cref="FailureClass"/> (429/503/504 and connections lost before the request went
    /// out are transient). Sending makes one attempt per call: the engine's <see cref="Delivery.DeliveryRetry"/> retries the
    /// whole message, as for every transport. Other callers (Get-G5SecretExpiry) may give a <see cref="RetryPolicy"/> for
    /// per-call retries. Request bodies come from a factory so a retry sends them again; they are always small (under
    /// Graph's 4 MB limit). Certificates are validated by the
    /// system: SkipCertificateCheck and CertificateThumbprint are for the user's own mail server, not for Microsoft's.
    /// </summary>
    public sealed class GraphClient : IDisposable
    {
        private readonly ExchangeOnlineOptions _options;
        private readonly IAccessTokenSource _tokens;
        private readonly IRunLog _log;
        private readonly HttpClient _http;

        /// <param name="retry">Per-call retries; none by default (sending is retried a whole message at a time).</param>
        public GraphClient(ExchangeOnlineOptions options, IAccessTokenSource tokens, IRunLog log, RetryPolicy? retry = null,
            HttpMessageHandler? handler = null)
        {
            _options = options;
            _tokens = tokens;
            _log = log ?? NullRunLog.Instance;
            Retry = retry ?? RetryPolicy.None;
            _http = handler == null ? new HttpClient() : new HttpClient(handler, disposeHandler: true);
            // Each call has its own bound (TimeoutSeconds, plus upload time for a large range: HttpDeadline), not HttpClient's
            // fixed 100 s; Ctrl+C still stops a call at once.
            _http.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
            _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("G5Mail", typeof(GraphClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        }

        public RetryPolicy Retry { get; }

        /// <summary>The claims of the last token used, to explain a 401/403.</summary>
        public AccessTokenClaims? LastTokenClaims { get; private set; }

        /// <summary>https://graph.microsoft.com/v1.0/{relative}.</summary>
        public Uri ApiUri(string relative) => new Uri(_options.GraphResource + "/v1.0/" + relative);

        /// <summary>A Graph API call with the pipeline's token.</summary>
        public Task<GraphResponse> SendAsync(HttpMethod method, string relative, Func<HttpContent?> content, GraphOperation operation,
            CancellationToken cancellationToken)
        {
            return SendAsync(method, ApiUri(relative), content, operation, authenticated: true, cancellationToken);
        }

        /// <summary>
        /// A Graph API call on one item (an event) that may no longer exist: null when Graph answers 404 ErrorItemNotFound
        /// ("The specified object was not found in the store": the item was deleted), instead of an error. Any other 404
        /// (no such mailbox: ErrorInvalidUser, MailboxNotEnabledForRESTAPI) is still thrown. One attempt, whatever
        /// <see cref="Retry"/> says: the calendar is retried a whole change at a time.
        /// </summary>
        public Task<GraphResponse?> SendUnlessGoneAsync(HttpMethod method, string relative, Func<HttpContent?> content, GraphOperation operation,
            CancellationToken cancellationToken)
        {
            if (Retry.RetryCount == 0)
            {
                return SendOnceAsync(method, ApiUri(relative), content, operation, authenticated: true, cancellationToken, goneIsNull: true);
            }

            return new DeliveryRetry(Retry, _log).RunAsync($"Microsoft Graph '{operation.Description}'",
                token => SendOnceAsync(method, ApiUri(relative), content, operation, authenticated: true, token, goneIsNull: true), cancellationToken);
        }

        /// <summary>
        /// GET of an @odata.nextLink: the whole URL Graph returned, used as it is ("Paging Microsoft Graph data in your app",
        /// learn.microsoft.com/graph/paging: "use the entire URL in the @odata.nextLink property"). The token goes only to the
        /// Graph endpoint: a link to any other host is refused rather than followed.
        /// </summary>
        public Task<GraphResponse> GetNextPageAsync(string nextLink, GraphOperation operation, CancellationToken cancellationToken)
        {
            if (!Uri.TryCreate(nextLink, UriKind.Absolute, out Uri? next) ||
                !string.Equals(next.GetLeftPart(UriPartial.Authority), _options.GraphResource, StringComparison.OrdinalIgnoreCase))
            {
                throw new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.InvalidData,
                    $"Microsoft Graph's answer to '{operation.Description}' pointed its next page outside {_options.GraphEndpoint.Host}; " +
                    "G5Mail does not send the token there.", operation.Description)
                {
                    Failure = FailureClass.Permanent,
                    Cause = "next page link to another host",
                };
            }

            return SendAsync(HttpMethod.Get, next, () => null, operation, authenticated: true, cancellationToken);
        }

        /// <summary>
        /// A GET whose answer is streamed into <paramref name="destination"/> (a message's MIME content, "Get MIME content of a
        /// message", learn.microsoft.com/graph/outlook-get-mime-message): the headers are awaited within TimeoutSeconds, then
        /// each read of the body within TimeoutSeconds, so memory does not grow with the size and a silent server still costs
        /// seconds. Retried per <see cref="Retry"/> only before the first byte was written; a failure while copying is
        /// permanent (the destination holds part of the answer).
        /// </summary>
        public Task DownloadAsync(string relative, Stream destination, GraphOperation operation, CancellationToken cancellationToken)
        {
            if (destination == null)
            {
                throw new ArgumentNullException(nameof(destination));
            }

            if (Retry.RetryCount == 0)
            {
                return SendOnceAsync(HttpMethod.Get, ApiUri(relative), () => null, operation, authenticated: true, cancellationToken, destination: destination);
            }

            return new DeliveryRetry(Retry, _log).RunAsync($"Microsoft Graph '{operation.Description}'",
                token => SendOnceAsync(HttpMethod.Get, ApiUri(relative), () => null, operation, authenticated: true, token, destination: destination), cancellationToken);
        }

        /// <summary>
        /// A PUT to an upload session's URL, which is pre-authenticated: "Do not specify an Authorization request header"
        /// (learn.microsoft.com/graph/outlook-large-attachments).
        /// </summary>
        public Task<GraphResponse> UploadAsync(Uri uploadUrl, Func<HttpContent> content, GraphOperation operation, CancellationToken cancellationToken)
        {
            return SendAsync(HttpMethod.Put, uploadUrl, content, operation, authenticated: false, cancellationToken);
        }

        /// <summary>One GET with the pipeline's token that returns any answer (no retry, no error mapping): for Test-G5MailServer.</summary>
        public async Task<GraphResponse> GetAnyAsync(string relative, GraphOperation operation, CancellationToken cancellationToken)
        {
            AccessToken token = await _tokens.GetTokenAsync(TokenAudience.Graph, cancellationToken).ConfigureAwait(false);
            LastTokenClaims = token.Claims;
            using (var request = new HttpRequestMessage(HttpMethod.Get, ApiUri(relative)))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
                request.Headers.TryAddWithoutValidation("client-request-id", Guid.NewGuid().ToString());
                using (HttpResponseMessage response = await SendRawAsync(request, operation, cancellationToken).ConfigureAwait(false))
                {
                    byte[] body = response.Content == null ? Array.Empty<byte>() : await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                    return new GraphResponse((int)response.StatusCode, body, response.Headers);
                }
            }
        }

        private Task<GraphResponse> SendAsync(HttpMethod method, Uri uri, Func<HttpContent?> content, GraphOperation operation, bool authenticated,
            CancellationToken cancellationToken)
        {
            if (Retry.RetryCount == 0)
            {
                return SendOnceAsync(method, uri, content, operation, authenticated, cancellationToken)!;
            }

            return new DeliveryRetry(Retry, _log).RunAsync($"Microsoft Graph '{operation.Description}'",
                async token => (await SendOnceAsync(method, uri, content, operation, authenticated, token).ConfigureAwait(false))!, cancellationToken);
        }

        private async Task<GraphResponse?> SendOnceAsync(HttpMethod method, Uri uri, Func<HttpContent?> content, GraphOperation operation,
            bool authenticated, CancellationToken cancellationToken, bool goneIsNull = false, Stream? destination = null)
        {
            AccessToken? token = null;
            if (authenticated)
            {
                token = await _tokens.GetTokenAsync(TokenAudience.Graph, cancellationToken).ConfigureAwait(false);
            }

            for (bool refreshed = false; ; refreshed = true)
            {
                int status;
                byte[] body;
                HttpResponseHeaders headers;
                HttpContent? inner = content();
                using (var request = new HttpRequestMessage(method, uri) { Content = inner == null ? null : new WrittenContent(inner) })
                {
                    if (token != null)
                    {
                        LastTokenClaims = token.Claims;
                        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
                    }

                    // Graph echoes it in errors; quoting it lets Microsoft support find the call.
                    request.Headers.TryAddWithoutValidation("client-request-id", Guid.NewGuid().ToString());
                    using (HttpResponseMessage response = await SendRawAsync(request, operation, cancellationToken,
                               destination != null ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead).ConfigureAwait(false))
                    {
                        status = (int)response.StatusCode;
                        headers = response.Headers;
                        if (response.IsSuccessStatusCode && destination != null)
                        {
                            await CopyBodyAsync(response, destination, operation, cancellationToken).ConfigureAwait(false);
                            return new GraphResponse(status, Array.Empty<byte>(), headers);
                        }

                        body = response.Content == null ? Array.Empty<byte>() : await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                        if (response.IsSuccessStatusCode)
                        {
                            return new GraphResponse(status, body, headers);
                        }
                    }
                }

                (string? code, string? message) = GraphErrors.ReadError(body);
                if (goneIsNull && status == 404 && string.Equals(code, "ErrorItemNotFound", StringComparison.OrdinalIgnoreCase))
                {
                    return null;
                }

                if (token != null && GraphErrors.IsTokenNoLongerAccepted(status, headers, token.Claims))
                {
                    string? claims = GraphErrors.ClaimsChallenge(headers);
                    if (refreshed)
                    {
                        throw GraphErrors.TokenRejectedAgain(status, code, message, operation, _options);
                    }

                    // A 401 means Graph did not act on the request, so the same call goes again with a new token. Graph
                    // says this for a token revoked under Continuous Access Evaluation (then with a claims challenge that
                    // the new token must satisfy), one that expired during a long run, or clocks that disagree.
                    _log.Verbose($"Microsoft Graph did not accept the token any more ({status}{(code != null ? " " + code : string.Empty)}" +
                                 $"{(claims != null ? ", with a claims challenge" : string.Empty)}): getting a new token and trying '{operation.Description}' again.");
                    token = await _tokens.RefreshTokenAsync(TokenAudience.Graph, token, claims, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                TimeSpan? retryAfter = RetryAfter.Parse(headers.RetryAfter, DateTimeOffset.UtcNow);
                throw GraphErrors.Map(status, code, message, operation, _options, authenticated ? LastTokenClaims : null, retryAfter);
            }
        }

        /// <summary>The body of a streamed answer into the destination, each read bounded by TimeoutSeconds.</summary>
        private async Task CopyBodyAsync(HttpResponseMessage response, Stream destination, GraphOperation operation, CancellationToken cancellationToken)
        {
            if (response.Content == null)
            {
                return;
            }

            string host = response.RequestMessage?.RequestUri?.Host ?? _options.GraphEndpoint.Host;
            byte[] buffer = new byte[81920];
            using (Stream body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false))
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                try
                {
                    while (true)
                    {
                        idle.CancelAfter(_options.Timeout);
                        int read = await body.ReadAsync(buffer, 0, buffer.Length, idle.Token).ConfigureAwait(false);
                        if (read == 0)
                        {
                            return;
                        }

                        await destination.WriteAsync(buffer, 0, read, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex) when (ex is OperationCanceledException || ex is IOException || ex is HttpRequestException)
                {
                    throw new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                        $"Microsoft Graph ({host}) stopped sending the answer to '{operation.Description}' " +
                        (ex is OperationCanceledException ? $"(nothing for {_options.Timeout.TotalSeconds:0} s; {HttpDeadline.Describe(_options.Timeout)})." : $"({ex.Message})."),
                        host, ex)
                    {
                        Failure = FailureClass.Permanent,
                        Cause = "answer cut off",
                    };
                }
            }
        }

        private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, GraphOperation operation, CancellationToken cancellationToken,
            HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
        {
            string host = request.RequestUri?.Host ?? _options.GraphEndpoint.Host;
            TimeSpan deadline = HttpDeadline.For(_options.Timeout, request.Content?.Headers.ContentLength ?? 0);
            using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                bounded.CancelAfter(deadline);
                try
                {
                    return await _http.SendAsync(request, completion, bounded.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (OperationCanceledException ex)
                {
                    throw ConnectionLost(new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout,
                        $"Microsoft Graph ({host}) did not answer within {deadline.TotalSeconds:0} s to '{operation.Description}' " +
                        $"({HttpDeadline.Describe(_options.Timeout)}). Check the network and try again.", host, ex),
                        request, operation, $"no answer within {deadline.TotalSeconds:0} s (TimeoutSeconds {_options.Timeout.TotalSeconds:0})");
                }
                catch (HttpRequestException ex)
                {
                    throw Unreachable(ex, host, request, operation);
                }
            }
        }

        private G5MailErrorException Unreachable(HttpRequestException ex, string host, HttpRequestMessage request, GraphOperation operation)
        {
            Exception inner = ex;
            while (inner.InnerException != null)
            {
                inner = inner.InnerException;
            }

            if (inner is AuthenticationException || inner.Message.IndexOf("certificate", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return new G5MailErrorException(ErrorIds.CertificateInvalid, ErrorKind.SecurityError,
                    $"The TLS certificate of {host} is not trusted by this computer ({inner.Message}). Microsoft Graph's certificate is " +
                    "checked against the system's trusted roots; a proxy that inspects TLS needs its CA installed.", host, ex);
            }

            var failed = new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                $"Microsoft Graph could not be reached at {host} ({inner.Message}). Check the network, proxy and firewall (HTTPS to " +
                $"{host} must be allowed) and GraphEndpoint.", host, ex);
            if (inner is SocketException socket && (socket.SocketErrorCode == SocketError.HostNotFound || socket.SocketErrorCode == SocketError.NoData))
            {
                return failed; // a name to fix, not a moment to wait out
            }

            bool connecting = inner is SocketException refused && (refused.SocketErrorCode == SocketError.ConnectionRefused ||
                                                                   refused.SocketErrorCode == SocketError.NetworkUnreachable ||
                                                                   refused.SocketErrorCode == SocketError.HostUnreachable);
            return connecting ? Transient(failed, "connection failed: " + inner.Message) : ConnectionLost(failed, request, operation, "connection lost: " + inner.Message);
        }

        private static G5MailErrorException Transient(G5MailErrorException error, string cause)
        {
            error.Failure = FailureClass.Transient;
            error.Cause = cause;
            return error;
        }

        /// <summary>
        /// A connection lost after the request may have gone out. Before its body was fully written Graph cannot have acted
        /// on it: transient. After, on the call that sends (or one with no body, where that cannot be told), the message
        /// may have been sent: DeliveryUncertain, never resent. Other calls only build a draft, so they are transient.
        /// </summary>
        private G5MailErrorException ConnectionLost(G5MailErrorException error, HttpRequestMessage request, GraphOperation operation, string cause)
        {
            bool wholeRequestSent = request.Content is WrittenContent written ? written.Written : true;
            if (!operation.SendsMessage || FailureClassification.ConnectionLost(wholeRequestSent) == FailureClass.Transient)
            {
                return Transient(error, cause);
            }

            return new G5MailErrorException(ErrorIds.DeliveryUncertain, error.Kind,
                $"The connection to Microsoft Graph ({_options.GraphEndpoint.Host}) failed ({cause}) after the request to " +
                $"'{operation.Description}' went out, before the answer. Exchange Online may or may not have sent the message, so G5Mail did " +
                "not send it again. Look in the sender's Sent Items before sending it again; rerun with -JournalPath to be safe: the journal " +
                "keeps such messages from being sent twice.", operation.Description, error.InnerException)
            {
                Failure = FailureClass.Uncertain,
                Cause = cause + " after the request was sent",
            };
        }

        /// <summary>A JSON request body (UTF-8), as every Graph call of G5Mail sends one.</summary>
        public static HttpContent JsonContent(byte[] body)
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            return content;
        }

        /// <summary>A string property of a JSON object answer ("id", "uploadUrl", "mail"); null when the answer has none or is not JSON.</summary>
        public static string? ReadString(byte[] body, string property)
        {
            try
            {
                using (JsonDocument document = JsonDocument.Parse(body))
                {
                    return document.RootElement.ValueKind == JsonValueKind.Object &&
                           document.RootElement.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String
                        ? value.GetString()
                        : null;
                }
            }
            catch (JsonException)
            {
                return null;
            }
        }

        public void Dispose() => _http.Dispose();
    }
}
