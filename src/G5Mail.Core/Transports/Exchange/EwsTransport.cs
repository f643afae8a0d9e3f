using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Runs;
using G5Mail.Core.Security;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;

namespace G5Mail.Core.Transports.Exchange
{
    public sealed class EwsTransportOptions
    {
        public EwsTransportOptions(EwsEndpoint endpoint, CertificatePolicy certificates)
        {
            Endpoint = endpoint;
            Certificates = certificates;
        }

        public EwsEndpoint Endpoint { get; }
        public CertificatePolicy Certificates { get; }

        /// <summary>The user's Exchange account; null signs in as the current Windows user.</summary>
        public NetworkCredential? Credential { get; set; }

        /// <summary>
        /// TimeoutSeconds: connect, TLS handshake and the wait for each answer. A large request gets its upload time on top
        /// (<see cref="HttpDeadline"/>), since a 60 MB request over a slow line takes minutes.
        /// </summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(Settings.Defaults.TimeoutSeconds);

        /// <summary>The From setting: the signed-in account's own address when its user name is DOMAIN\user (calendar: whose calendar needs no t:Mailbox).</summary>
        public string? Mailbox { get; set; }
    }

    /// <summary>
    /// Exchange on-premises through Exchange Web Services: one CreateItem per message, sent and saved to the user's Sent
    /// Items, over one HttpClient (and its kept-alive, signed-in connections) for the whole pipeline. The SOAP request is
    /// streamed from disk (<see cref="EwsRequestWriter"/>). Each call makes one attempt: throttling (ErrorServerBusy, HTTP 503)
    /// and connections lost before the request went out are reported as transient, with the back-off Exchange asks for,
    /// and the engine's retry policy (<see cref="Delivery.DeliveryRetry"/>) tries again, as for every transport; everything
    /// maps to the contract's error ids (<see cref="EwsErrors"/>).
    /// </summary>
    public sealed class EwsTransport : IMessageTransport
    {
        private readonly EwsTransportOptions _options;
        private readonly IRunLog _log;
        private readonly EwsConnection _connection;
        private bool _warned;

        public EwsTransport(EwsTransportOptions options, IRunLog log)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? NullRunLog.Instance;
            EnsureCredentialsMayTravel(options.Endpoint, options.Credential);
            _connection = new EwsConnection(options.Endpoint, options.Certificates, options.Credential, options.Timeout);
        }

        public string Server => _options.Endpoint.ToString();

        /// <summary>
        /// Refuses a plain-http endpoint on another computer: a password (Basic) or a Windows sign-in (NTLM, which can be
        /// relayed) would cross the network unprotected, and EWS has no anonymous access to fall back to.
        /// </summary>
        public static void EnsureCredentialsMayTravel(EwsEndpoint endpoint, NetworkCredential? credential)
        {
            if (endpoint.MaySendCredentials)
            {
                return;
            }

            string who = credential != null && !string.IsNullOrEmpty(credential.UserName) ? $"the password of '{credential.UserName}'" : "the Windows sign-in";
            throw new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.SecurityError,
                $"G5Mail will not send {who} over unencrypted http to {endpoint.Url.GetLeftPart(UriPartial.Authority)}. Use https: give Server " +
                $"as a host name (https on 443 is the default) or an https:// EWS URL, e.g. Set-G5MailSetting -Scope System -Server {endpoint.Host}", endpoint.ToString());
        }

        public async Task<TransportReceipt> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            WarnOnce();
            EwsRequest request = EwsRequestWriter.CreateItem(message);
            string target = string.Join(", ", message.DocumentIds);
            _log.Verbose($"EWS {Server}: CreateItem (send and save to Sent Items) {message.MessageId}, {message.Attachments.Count} attachment(s), " +
                         $"request {ErrorText.Megabytes(request.Length)} MB, as {_connection.UserName ?? "the current Windows user"}.");
            EwsResponse response = await ExecuteAsync(request, expectContinue: true, message.From, target, cancellationToken).ConfigureAwait(false);
            WarnIfCertificateOverridden();

            // SendAndSaveCopy returns no item id (learn.microsoft.com, "CreateItem"); the Message-ID is the one G5Mail set.
            string? itemId = response.Messages.SelectMany(m => m.ItemIds).FirstOrDefault();
            string summary = "CreateItem " + (response.Messages.FirstOrDefault()?.ResponseCode ?? "NoError") +
                             (itemId != null ? ", item " + itemId : string.Empty) +
                             (response.ServerVersion != null ? ", " + response.ServerVersion : string.Empty);
            return new TransportReceipt(message.MessageId, summary);
        }

        /// <summary>
        /// One request and its answer. Throttling (ErrorServerBusy, HTTP 503) comes back as a transient G5MailErrorException
        /// with the server's BackOffMilliseconds, so the engine's retry policy waits and tries again; a throttled request
        /// was not executed (learn.microsoft.com, "EWS throttling in Exchange"), so that cannot send a message twice.
        /// </summary>
        internal async Task<EwsResponse> ExecuteAsync(EwsRequest request, bool expectContinue, string? from, string target,
            CancellationToken cancellationToken)
        {
            EwsExchange exchange = await _connection.SendAsync(request, expectContinue, cancellationToken).ConfigureAwait(false);
            EwsResponse? response = exchange.Response;
            if (response != null && (response.Fault != null || response.Messages.Any(m => m.IsError)))
            {
                throw EwsErrors.FromResponse(response, _options.Endpoint, _connection.UserName, from, target);
            }

            if (response != null && exchange.Status == HttpStatusCode.OK && response.Messages.Count > 0)
            {
                return response;
            }

            if (exchange.Status == HttpStatusCode.OK && request.Operation == "CreateItem")
            {
                // HTTP 200 means Exchange ran the request; only the answer saying how it went is unreadable.
                throw EwsErrors.UnreadableSendAnswer(_options.Endpoint, target);
            }

            throw EwsErrors.FromStatus(exchange.Status, exchange.Location, _options.Endpoint, _connection.UserName, request.Length, target);
        }

        private void WarnOnce()
        {
            if (_warned)
            {
                return;
            }

            _warned = true;
            string? warning = _options.Endpoint.Warning;
            if (warning != null)
            {
                _log.Warning(warning);
            }
        }

        private bool _warnedOverride;

        private void WarnIfCertificateOverridden()
        {
            CertificatePolicy policy = _options.Certificates;
            if (!_warnedOverride && _options.Endpoint.IsHttps && policy.SkipCheck && policy.PinnedThumbprint == null && policy.LastAcceptedByOverride)
            {
                _warnedOverride = true;
                _log.Warning($"SkipCertificateCheck is on: the certificate of {_options.Endpoint.Host} was not validated " +
                             $"({policy.LastSeen?.Thumbprint}). Anyone between here and the server could read this mail and the password.");
            }
        }

        public void Dispose() => _connection.Dispose();
    }
}
