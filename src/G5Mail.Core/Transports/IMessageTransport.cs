using System;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Messages;

namespace G5Mail.Core.Transports
{
    /// <summary>
    /// One way of handing a composed message to a mail system. A transport keeps its connection (and token) for the
    /// whole pipeline and is disposed at its end. Failures are thrown as <see cref="G5MailErrorException"/> with the
    /// contract's error ids; anything else is a bug or a cancellation.
    /// </summary>
    public interface IMessageTransport : IDisposable
    {
        /// <summary>Display name of where messages go, e.g. "smtp.example.com:587".</summary>
        string Server { get; }

        Task<TransportReceipt> SendAsync(OutgoingMessage message, CancellationToken cancellationToken);
    }

    public sealed class TransportReceipt
    {
        public TransportReceipt(string? messageId, string? serverResponse = null)
        {
            MessageId = messageId;
            ServerResponse = serverResponse;
        }

        public string? MessageId { get; }
        public string? ServerResponse { get; }

        /// <summary>
        /// Set when the transport did not send the message but left it with the user (Outlook's -Display opens it,
        /// -SaveAsDraft saves it to Drafts): the outcome is Draft with this reason instead of Sent.
        /// </summary>
        public string? DraftReason { get; set; }

        /// <summary>
        /// False when the mail system gives the message its own Message-Id that the transport cannot learn (Outlook):
        /// the outcome then shows none rather than the composed one, which was never used.
        /// </summary>
        public bool MessageIdKnown { get; set; } = true;
    }
}
