using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using MimeKit;

namespace G5Mail.Core.Mailbox
{
    /// <summary>Receive-G5Mail: one <see cref="ReceivedMessage"/> per message, attachments saved with -SaveAttachmentsTo.</summary>
    public sealed class ReceivedMessageHandler : IMessageHandler<ReceivedMessage>
    {
        private readonly AttachmentSaver _saver;
        private readonly bool _includeBody;
        private readonly CancellationToken _cancellationToken;

        /// <param name="saveAttachmentsTo">-SaveAttachmentsTo (a full path), or null.</param>
        public ReceivedMessageHandler(string? saveAttachmentsTo, bool includeBody, CancellationToken cancellationToken = default)
        {
            _saver = new AttachmentSaver(saveAttachmentsTo);
            _includeBody = includeBody;
            _cancellationToken = cancellationToken;
        }

        public bool Wants(MailSummary summary) => true;

        /// <summary>The MIME only when something is taken from it: attachments to save, or the body.</summary>
        public bool NeedsContent(MailSummary summary) => _includeBody || (_saver.Directory != null && summary.HasAttachments);

        public HandledMessage<ReceivedMessage> Handle(MailSummary summary, MimeMessage? content, string folder)
        {
            var message = new ReceivedMessage
            {
                MessageId = summary.MessageId,
                From = summary.From,
                To = summary.To.ToArray(),
                Cc = summary.Cc.ToArray(),
                Subject = summary.Subject,
                Received = summary.Received,
                Size = summary.Size,
                IsRead = summary.IsRead,
                Folder = folder,
                RemoteId = summary.RemoteId,
                IsDeliveryReport = summary.IsDeliveryReport ?? false,
                HasAttachments = summary.HasAttachments,
                Attachments = summary.Attachments?.ToArray() ?? Array.Empty<ReceivedAttachment>(),
            };

            if (content != null)
            {
                FillFrom(message, content);
                message.Attachments = _saver.Process(content, ReceiveRun<ReceivedMessage>.Target(summary), _cancellationToken).ToArray();
                message.HasAttachments = message.Attachments.Length > 0;
                if (_includeBody)
                {
                    // The plain text when the mail has it (what a script searches), else the HTML.
                    string? text = content.TextBody;
                    message.Body = text ?? content.HtmlBody;
                    message.BodyIsHtml = text == null && content.HtmlBody != null;
                }
            }

            return new HandledMessage<ReceivedMessage>(new[] { message });
        }

        public void Acted(HandledMessage<ReceivedMessage> handled, IReadOnlyList<string> actions, string folder)
        {
            foreach (ReceivedMessage message in handled.Results)
            {
                message.Actions = actions.ToArray();
                message.Folder = folder;
            }
        }

        /// <summary>What the listing did not say, from the MIME (a reader whose listing lacks a field leaves it empty).</summary>
        private static void FillFrom(ReceivedMessage message, MimeMessage content)
        {
            message.MessageId ??= content.MessageId;
            message.Subject ??= content.Subject;
            message.From ??= content.From.Mailboxes.FirstOrDefault()?.Address;
            if (message.To.Length == 0)
            {
                message.To = content.To.Mailboxes.Select(m => m.Address).ToArray();
            }

            if (message.Cc.Length == 0)
            {
                message.Cc = content.Cc.Mailboxes.Select(m => m.Address).ToArray();
            }

            message.IsDeliveryReport |= IsDeliveryReport(content);
        }

        /// <summary>RFC 3464 / RFC 6533 / Exchange NDRs, as Get-G5DeliveryReport tells them (<see cref="DeliveryStatusReader"/>).</summary>
        public static bool IsDeliveryReport(MimeMessage content) => DeliveryStatusReader.IsDeliveryStatusNotification(content);
    }
}
