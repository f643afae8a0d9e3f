using System;
using System.Collections.Generic;
using MimeKit;

namespace G5Mail.Core.Mailbox
{
    /// <summary>
    /// What one call does with each listed message (ReceiveRun drives it): Receive-G5Mail makes a ReceivedMessage and saves
    /// attachments; Get-G5DeliveryReport reads the delivery status and matches it with the send journal. Called on the
    /// pipeline thread, one message at a time, oldest first.
    /// </summary>
    public interface IMessageHandler<TResult>
    {
        /// <summary>False to pass the message by without reading, marking or moving it (e.g. not a delivery report).</summary>
        bool Wants(MailSummary summary);

        /// <summary>True when the message's MIME content must be read (attachments saved, the body, a report to parse).</summary>
        bool NeedsContent(MailSummary summary);

        /// <summary>
        /// The results for one message. <paramref name="content"/> is null when <see cref="NeedsContent"/> said false.
        /// Throw G5MailErrorException MessageUnreadable for a message that cannot be read: the run reports it and goes on,
        /// and the message is neither marked nor moved. Returning <see cref="HandledMessage{TResult}.Act"/> false leaves
        /// the message as it is too (e.g. a report that is not about a journal's message).
        /// </summary>
        HandledMessage<TResult> Handle(MailSummary summary, MimeMessage? content, string folder);

        /// <summary>
        /// After the message was marked and/or moved (or -WhatIf said it would be), before its results are written:
        /// <paramref name="actions"/> holds MarkedAsRead, Moved or WhatIf; <paramref name="folder"/> is where it is now.
        /// </summary>
        void Acted(HandledMessage<TResult> handled, IReadOnlyList<string> actions, string folder);
    }

    /// <summary>A message's results, and whether -MarkAsRead / -MoveTo apply to it.</summary>
    public sealed class HandledMessage<TResult>
    {
        public HandledMessage(IReadOnlyList<TResult> results, bool act = true)
        {
            Results = results ?? throw new ArgumentNullException(nameof(results));
            Act = act;
        }

        public IReadOnlyList<TResult> Results { get; }

        public bool Act { get; }
    }

    /// <summary>The words of <see cref="ReceivedMessage.Actions"/>.</summary>
    public static class MessageActions
    {
        public const string MarkedAsRead = "MarkedAsRead";
        public const string Moved = "Moved";
        public const string WhatIf = "WhatIf";
    }
}
