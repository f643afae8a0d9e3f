using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Messages;
using MailKit.Net.Smtp;
using MimeKit;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>
    /// MailKit's SmtpClient, except that it does not encode each message one extra time just to measure it. When the
    /// server offers SIZE (RFC 1870), MailKit writes the whole message to a counting stream before sending it, to put
    /// SIZE= on MAIL FROM: a full base64 pass over every attachment, read from disk again (seconds for hundreds of
    /// MB). G5Mail knows the encoded size without reading the files (<see cref="OutgoingMessage.EstimateEncodedSize(FormatOptions)"/>,
    /// exact for the options MailKit passes), so this client answers from it for the message being sent.
    /// </summary>
    internal sealed class KnownSizeSmtpClient : SmtpClient
    {
        private OutgoingMessage? _outgoing;
        private MimeMessage? _mime;

        /// <param name="protocolLogger">Sees every byte written (SmtpTransport's EndOfDataWatch).</param>
        public KnownSizeSmtpClient(MailKit.IProtocolLogger protocolLogger)
            : base(protocolLogger)
        {
        }

        /// <summary>Tells the client which composed message the next send of <paramref name="mime"/> is.</summary>
        public void Expect(OutgoingMessage outgoing, MimeMessage mime)
        {
            _outgoing = outgoing;
            _mime = mime;
        }

        public void Forget()
        {
            _outgoing = null;
            _mime = null;
        }

        protected override long GetSize(FormatOptions options, MimeMessage message, CancellationToken cancellationToken)
        {
            return Known(options, message) ?? base.GetSize(options, message, cancellationToken);
        }

        protected override Task<long> GetSizeAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken)
        {
            long? known = Known(options, message);
            return known.HasValue ? Task.FromResult(known.Value) : base.GetSizeAsync(options, message, cancellationToken);
        }

        private long? Known(FormatOptions options, MimeMessage message)
        {
            // BDAT (CHUNKING) sends exactly this many bytes: there MailKit's own count is kept, whatever it costs.
            if (_outgoing == null || !ReferenceEquals(message, _mime) || (Capabilities & SmtpCapabilities.Chunking) != 0)
            {
                return null;
            }

            return _outgoing.EstimateEncodedSize(options);
        }
    }
}
