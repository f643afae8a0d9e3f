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
        private static readonly Regex Placeholder = new Regex(@"\{(DocumentIds|Part|PartCount)\}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        private static readonly Regex PartPlaceholder = new Regex(@"\{Part\}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        private static readonly Regex LineBreaks = new Regex(@"[\r\n\t]+", RegexOptions.CultureInvariant);

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

            var subject = Subject(options.SubjectTemplate, plan);
            string body;
            var isHtml = options.BodyAsHtml;
            if (options.Body != null)
            {
                body = options.Body;
            }
            else
            {
                var text = DefaultBody(plan);
                body = isHtml ? "<p>" + HtmlText(text).Replace("\r\n", "<br>\r\n") + "</p>" : text;
            }

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
        /// The subject: the template with {DocumentIds}, {Part}, {PartCount} replaced (names in any case), or
        /// "Document 1001" / "Documents 1001, 1002". A split message without {Part} in the template gets
        /// " (part 2 of 3)" so the recipient sees it is one of several. Line breaks become spaces: a header
        /// cannot hold them.
        /// </summary>
        public static string Subject(string? template, PlannedMessage plan)
        {
            if (plan == null)
            {
                throw new ArgumentNullException(nameof(plan));
            }

            var ids = string.Join(", ", plan.DocumentIds);
            var pattern = string.IsNullOrWhiteSpace(template)
                ? (plan.Documents.Count == 1 ? "Document {DocumentIds}" : "Documents {DocumentIds}")
                : template!;
            if (plan.PartCount > 1 && !PartPlaceholder.IsMatch(pattern))
            {
                pattern += " (part {Part} of {PartCount})";
            }

            var subject = Placeholder.Replace(pattern, match =>
            {
                switch (match.Groups[1].Value.ToUpperInvariant())
                {
                    case "DOCUMENTIDS":
                        return ids;
                    case "PART":
                        return plan.Part.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    default:
                        return plan.PartCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            });
            return LineBreaks.Replace(subject, " ").Trim();
        }

        /// <summary>"Attached: document 1001 (1001.pdf, 1001.xml)." and, for a split message, which part it is.</summary>
        public static string DefaultBody(PlannedMessage plan)
        {
            if (plan == null)
            {
                throw new ArgumentNullException(nameof(plan));
            }

            var text = new StringBuilder();
            text.Append(plan.Documents.Count == 1 ? "Attached: document " : "Attached: documents ");
            text.Append(string.Join(", ", plan.DocumentIds));
            text.Append(" (").Append(string.Join(", ", plan.Files.Select(f => f.FileName))).Append(").");
            if (plan.PartCount > 1)
            {
                text.Append(" This is part ").Append(plan.Part).Append(" of ").Append(plan.PartCount).Append('.');
            }

            text.Append("\r\n");
            return text.ToString();
        }

        /// <summary>Escapes the five HTML specials only: letters such as å stay readable (the body is UTF-8).</summary>
        private static string HtmlText(string text) =>
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
