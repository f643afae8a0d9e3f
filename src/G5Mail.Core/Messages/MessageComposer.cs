using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using MimeKit.Utils;

namespace G5Mail.Core.Messages
{
    /// <summary>Turns a planned message into the message to send: sender, copy to self, subject, body, Message-Id.</summary>
    public static class MessageComposer
    {

        public static OutgoingMessage Compose(PlannedMessage plan, ComposeOptions options)
        {
            if (plan == null)
            {
                throw new ArgumentNullException(nameof(plan));
            }

            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }

            var sender = options.SenderOptional && string.IsNullOrWhiteSpace(options.From) ? null : ParseSender(options.From);
            var from = sender?.ToString() ?? string.Empty;
            var recipients = plan.Recipients;
            var alreadyRecipient = sender == null || recipients.Addresses.Contains(MailAddresses.KeyOf(sender), StringComparer.Ordinal);

            var cc = recipients.Cc.ToList();
            var bcc = recipients.Bcc.ToList();
            if (!alreadyRecipient && options.CopyToSelf == CopyToSelf.Cc)
            {
                cc.Add(from);
            }
            else if (!alreadyRecipient && options.CopyToSelf == CopyToSelf.Bcc)
            {
                bcc.Add(from);
            }

            var texts = new MessageTextResolver(plan, options, sender);
            var subject = texts.Subject();
            var body = texts.Body(out var isHtml);

            // Without a sender the id's domain is this computer's name (MimeKit's default), as a mail client does.
            var messageId = "<" + (sender == null ? MimeUtils.GenerateMessageId() : MimeUtils.GenerateMessageId(MailAddresses.DomainOf(sender))) + ">";
            return new OutgoingMessage(
                plan,
                from,
                recipients.To,
                cc,
                bcc,
                subject,
                body,
                isHtml,
                messageId,
                options.Date ?? DateTimeOffset.Now);
        }

        /// <summary>
        /// The subject of <paramref name="plan"/> with the call's <paramref name="template"/> (null for the document's own,
        /// the template file's or the built-in text), in the MessageLanguage sv unless the documents name another.
        /// </summary>
        public static string Subject(string? template, PlannedMessage plan) =>
            new MessageTextResolver(plan ?? throw new ArgumentNullException(nameof(plan)), new ComposeOptions { SubjectTemplate = template }, null).Subject();

        /// <summary>The built-in body (plain text) of <paramref name="plan"/>, in the documents' language or sv.</summary>
        public static string DefaultBody(PlannedMessage plan) =>
            new MessageTextResolver(plan ?? throw new ArgumentNullException(nameof(plan)), new ComposeOptions(), null).Body(out _);

        /// <summary>Escapes the five HTML specials only: letters such as å stay readable (the body is UTF-8).</summary>
        internal static string HtmlText(string text) =>
            text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;").Replace("'", "&#39;");

        private static MimeKit.MailboxAddress ParseSender(string? from)
        {
            if (string.IsNullOrWhiteSpace(from))
            {
                throw new G5MailErrorException(
                    ErrorIds.SettingsIncomplete,
                    ErrorKind.InvalidOperation,
                    "No sender: set one with Set-G5MailSetting -From name@example.com, or give -From.",
                    "From");
            }

            var pieces = MailAddresses.Split(from).ToList();
            if (pieces.Count != 1 || !MailAddresses.TryParseMailbox(pieces[0], out var sender))
            {
                throw new G5MailErrorException(
                    ErrorIds.InvalidAddress,
                    ErrorKind.InvalidArgument,
                    "The sender '" + from + "' is not one valid mail address. Set From (or -From) to name@example.com or \"Name <name@example.com>\".",
                    from);
            }

            return sender;
        }
    }
}
