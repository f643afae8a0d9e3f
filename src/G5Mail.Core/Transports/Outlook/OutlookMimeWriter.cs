using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using MimeKit;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>
    /// The RFC 5322 message of an Outlook item, which Outlook cannot export (its SaveAs types are .msg, .txt, .rtf, .html,
    /// .mht and the like, none of them the message as it arrived): the Internet headers the item arrived with
    /// (PR_TRANSPORT_MESSAGE_HEADERS) or, for an item made inside Exchange, headers composed from its properties; the body
    /// (HTMLBody or Body); every attachment saved by Attachment.SaveAsFile into a private temporary folder and streamed
    /// into the message from there, so memory does not grow with the attachments' size. The temporary files are deleted
    /// afterwards, also when something fails.
    /// </summary>
    /// <remarks>
    /// A delivery report (ReportItem) gives even less: Outlook turns an RFC 3464 report into MAPI properties and exposes no
    /// message/delivery-status part, no per-recipient Action or Status and no returned message's MIME. What it does give is
    /// written: its Internet headers when it has them (an Exchange Online NDR carries In-Reply-To and References with the
    /// bounced message's Message-ID), else PR_IN_REPLY_TO_ID as In-Reply-To, and the report's text (Body, which holds
    /// Exchange's "Diagnostic information for administrators" with the remote server's status line).
    /// </remarks>
    internal static class OutlookMimeWriter
    {
        /// <summary>What an attached Outlook item (olEmbeddeditem) is saved as by SaveAsFile: a .msg file.</summary>
        private const string OutlookItemType = "application/vnd.ms-outlook";

        public static void Write(IOutlookReceivedItem item, OutlookItemFacts facts, bool report, Stream destination, string tempRoot,
            IRunLog log, IReadOnlyList<TimeSpan> busyDelays, CancellationToken cancellationToken)
        {
            T Call<T>(Func<T> call) => OutlookTransport.Retry(OutlookStep.ReadMessage, call, busyDelays, log, cancellationToken);

            string? transportHeaders = Call(item.TransportHeaders);
            OutlookBody body = Call(item.ReadBody);
            string? inReplyTo = report ? Call(item.InReplyTo) : null;
            IReadOnlyList<OutlookAttachmentInfo> attachments = facts.AttachmentCount > 0 ? Call(item.Attachments) : Array.Empty<OutlookAttachmentInfo>();

            var message = new MimeMessage();
            message.Headers.Clear();
            if (!string.IsNullOrWhiteSpace(transportHeaders))
            {
                AddTransportHeaders(message, transportHeaders!);
            }
            else
            {
                AddComposedHeaders(message, facts);
            }

            if (!message.Headers.Contains(HeaderId.MessageId) && Unbracket(facts.InternetMessageId) is string messageId)
            {
                message.MessageId = messageId;
            }

            if (report && !message.Headers.Contains(HeaderId.InReplyTo) && Unbracket(inReplyTo) is string original)
            {
                message.InReplyTo = original;
            }

            var text = new TextPart(body.Format == OutlookBodyFormat.Html ? "html" : "plain") { Text = body.Text };
            string folder = Path.Combine(tempRoot, "G5Mail-" + Guid.NewGuid().ToString("N"));
            var open = new List<Stream>();
            try
            {
                if (attachments.Count == 0)
                {
                    message.Body = text;
                }
                else
                {
                    Directory.CreateDirectory(folder);
                    var mixed = new Multipart("mixed") { text };
                    for (int i = 0; i < attachments.Count; i++)
                    {
                        OutlookAttachmentInfo attachment = attachments[i];
                        if (attachment.Type == OutlookAttachmentType.ByReference)
                        {
                            // A link to a file elsewhere (olByReference): there is no content to save.
                            log.Verbose($"The attachment '{attachment.FileName}' is a link to a file, not a file; it is left out.");
                            continue;
                        }

                        // The mail's name never becomes a path: the file is named by its position in the private folder.
                        string path = Path.Combine(folder, (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                        int index = i + 1;
                        Call(() => { item.SaveAttachment(index, path); return true; });
                        Stream content = OpenSaved(path, attachment.FileName);
                        open.Add(content);
                        string name = string.IsNullOrWhiteSpace(attachment.FileName) ? "attachment" + index : attachment.FileName;
                        var part = new MimePart(attachment.Type == OutlookAttachmentType.EmbeddedItem ? OutlookItemType : MimeTypes.GetMimeType(name))
                        {
                            Content = new MimeContent(content),
                            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
                            ContentTransferEncoding = ContentEncoding.Base64,
                            FileName = name,
                        };
                        mixed.Add(part);
                    }

                    message.Body = mixed;
                }

                message.WriteTo(FormatOptions.Default, destination, cancellationToken);
            }
            finally
            {
                foreach (Stream stream in open)
                {
                    stream.Dispose();
                }

                DeleteQuietly(folder, log);
            }
        }

        /// <summary>The arrival headers, without the ones that describe the old body (Content-*, MIME-Version): the body is written anew.</summary>
        private static void AddTransportHeaders(MimeMessage message, string text)
        {
            string block = text.TrimEnd('\r', '\n') + "\r\n\r\n";
            HeaderList headers;
            using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(block)))
            {
                headers = HeaderList.Load(ParserOptions.Default, stream);
            }

            foreach (Header header in headers)
            {
                if (header.Field.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) || header.Id == HeaderId.MimeVersion)
                {
                    continue;
                }

                message.Headers.Add(header);
            }
        }

        /// <summary>For an item without Internet headers (sent inside the organisation): From, To, Cc, Subject and Date from its properties.</summary>
        private static void AddComposedHeaders(MimeMessage message, OutlookItemFacts facts)
        {
            if (!string.IsNullOrWhiteSpace(facts.SenderAddress))
            {
                message.From.Add(new MailboxAddress(facts.SenderName ?? string.Empty, facts.SenderAddress!));
            }

            message.To.AddRange(facts.To.Select(a => new MailboxAddress(string.Empty, a)));
            message.Cc.AddRange(facts.Cc.Select(a => new MailboxAddress(string.Empty, a)));
            message.Subject = facts.Subject ?? string.Empty;
            message.Date = facts.Received;
        }

        private static Stream OpenSaved(string path, string name)
        {
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.ReadError,
                    $"Outlook did not save the attachment '{name}' where it was asked to: {ex.Message}", "Outlook", ex);
            }
        }

        private static void DeleteQuietly(string folder, IRunLog log)
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                log.Verbose($"The temporary folder {folder} could not be deleted ({ex.Message}).");
            }
        }

        internal static string? Unbracket(string? messageId)
        {
            string value = (messageId ?? string.Empty).Trim();
            if (value.StartsWith("<", StringComparison.Ordinal) && value.EndsWith(">", StringComparison.Ordinal))
            {
                value = value.Substring(1, value.Length - 2);
            }

            return value.Length == 0 ? null : value;
        }
    }
}
