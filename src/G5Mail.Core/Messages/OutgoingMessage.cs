using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Documents;
using MimeKit;
using MimeKit.IO;

namespace G5Mail.Core.Messages
{
    /// <summary>
    /// A composed message: final headers, body and the files to attach, as plain data. The MIME form is built on
    /// demand by <see cref="ToMimeMessage"/>, with attachments streamed from disk when it is written.
    /// </summary>
    public sealed class OutgoingMessage
    {
        /// <summary>
        /// How G5Mail writes MIME: CRLF line ends (RFC 5322, and what SMTP and .eml files expect), headers
        /// encoded for 7-bit transport (RFC 2047 words, RFC 2231 parameters). MimeKit's defaults are the
        /// platform's line end and RFC 2231; both are made explicit here so output does not depend on them.
        /// </summary>
        /// <remarks>A new instance per call: FormatOptions is mutable and transports may adjust their copy.</remarks>
        public static FormatOptions CreateFormatOptions()
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            options.International = false;
            options.ParameterEncodingMethod = ParameterEncodingMethod.Rfc2231;
            return options;
        }

        internal OutgoingMessage(
            PlannedMessage plan,
            string from,
            IReadOnlyList<string> to,
            IReadOnlyList<string> cc,
            IReadOnlyList<string> bcc,
            string subject,
            string body,
            bool isHtml,
            string messageId,
            DateTimeOffset date)
        {
            Plan = plan;
            From = from;
            To = to;
            Cc = cc;
            Bcc = bcc;
            Subject = subject;
            Body = body;
            IsHtml = isHtml;
            MessageId = messageId;
            Date = date;
            Attachments = plan.Files;
            DocumentIds = plan.DocumentIds;
        }

        /// <summary>The planned message this was composed from (documents, recipients, part).</summary>
        public PlannedMessage Plan { get; }

        /// <summary>The sender; empty when none is needed (ComposeOptions.SenderOptional).</summary>
        public string From { get; }

        public IReadOnlyList<string> To { get; }

        /// <summary>Includes the sender when SendCopyToSelf is Cc.</summary>
        public IReadOnlyList<string> Cc { get; }

        /// <summary>Includes the sender when SendCopyToSelf is Bcc.</summary>
        public IReadOnlyList<string> Bcc { get; }

        public string Subject { get; }

        public string Body { get; }

        public bool IsHtml { get; }

        /// <summary>The Message-Id header as written, angle brackets included: "&lt;id@domain-of-From&gt;".</summary>
        public string MessageId { get; }

        public DateTimeOffset Date { get; }

        /// <summary>The files, documents in input order and each document's files in the order given.</summary>
        public IReadOnlyList<DocumentFile> Attachments { get; }

        public IReadOnlyList<string> DocumentIds { get; }

        public IReadOnlyList<Document> Documents => Plan.Documents;

        public IReadOnlyList<string> AttachmentNames => Attachments.Select(a => a.FileName).ToArray();

        public int Part => Plan.Part;

        public int PartCount => Plan.PartCount;

        /// <summary>Sum of the attachment file sizes on disk (what MaxAttachmentSizeMB limits).</summary>
        public long AttachmentBytes => Plan.AttachmentBytes;

        /// <summary>Every recipient address (To, Cc, Bcc), e.g. for the SMTP envelope.</summary>
        public IReadOnlyList<string> AllRecipients => To.Concat(Cc).Concat(Bcc).ToArray();

        /// <summary>
        /// Builds the MIME message. Attachment files are opened only when the message is written, read in small
        /// buffers, and closed when the returned message is disposed: dispose it (using) after sending. Each call
        /// returns a new message; the Message-Id and Date stay those of this object.
        /// </summary>
        public MimeMessage ToMimeMessage() => Build(withContent: true);

        /// <summary>Writes the message as MIME (an .eml file) with CRLF line ends, streaming the attachments.</summary>
        public void WriteTo(Stream output, CancellationToken cancellationToken = default)
        {
            if (output == null)
            {
                throw new ArgumentNullException(nameof(output));
            }

            using (var message = ToMimeMessage())
            {
                message.WriteTo(CreateFormatOptions(), output, cancellationToken);
            }
        }

        public async Task WriteToAsync(Stream output, CancellationToken cancellationToken = default)
        {
            if (output == null)
            {
                throw new ArgumentNullException(nameof(output));
            }

            using (var message = ToMimeMessage())
            {
                await message.WriteToAsync(CreateFormatOptions(), output, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// The size of the message as written (what SMTP SIZE compares), without reading the files: the
        /// headers, body and MIME structure are measured exactly, and each attachment adds its base64 size
        /// (4 characters per 3 bytes, lines of 76 characters plus CRLF). Exact when the files have not changed
        /// since they were collected.
        /// </summary>
        public long EstimateEncodedSize() => EstimateEncodedSize(CreateFormatOptions());

        /// <summary>The size as written with <paramref name="options"/> (e.g. the ones a transport writes with).</summary>
        public long EstimateEncodedSize(FormatOptions options)
        {
            using (var skeleton = Build(withContent: false))
            using (var measure = new MeasuringStream())
            {
                skeleton.WriteTo(options, measure);
                return measure.Length + Attachments.Sum(a => Base64Size(a.Length));
            }
        }

        /// <summary>Bytes of base64 for a file of <paramref name="length"/> bytes, as MimeKit writes it with CRLF.</summary>
        internal static long Base64Size(long length)
        {
            if (length <= 0)
            {
                return 0;
            }

            var characters = ((length + 2) / 3) * 4;
            var lines = (characters + 75) / 76;
            return characters + (2 * lines);
        }

        private MimeMessage Build(bool withContent)
        {
            var message = new MimeMessage();
            if (From.Length > 0)
            {
                message.From.Add(MailAddresses.ParseNormalized(From));
            }
            else
            {
                // No sender (Outlook, unsent drafts): no From header at all rather than an empty one, which RFC 5322
                // forbids; the mail program that sends the draft adds its own.
                message.Headers.Remove(HeaderId.From);
            }

            message.To.AddRange(RecipientSet.ToMailboxes(To));
            message.Cc.AddRange(RecipientSet.ToMailboxes(Cc));
            message.Bcc.AddRange(RecipientSet.ToMailboxes(Bcc));
            message.Subject = Subject;
            message.Date = Date;
            message.MessageId = MessageId.Trim('<', '>');

            var text = new TextPart(IsHtml ? "html" : "plain");
            text.SetText(Encoding.UTF8, Body);
            // Quoted-printable keeps the body readable and 7-bit clean whatever the server supports.
            text.ContentTransferEncoding = ContentEncoding.QuotedPrintable;

            var mixed = new Multipart("mixed") { text };
            try
            {
                foreach (var file in Attachments)
                {
                    mixed.Add(Attachment(file, withContent));
                }
            }
            catch
            {
                mixed.Dispose();
                throw;
            }

            message.Body = mixed;
            return message;
        }

        private static MimePart Attachment(DocumentFile file, bool withContent)
        {
            var part = new MimePart(ContentType.Parse(file.ContentType))
            {
                // The file's base64 text, already in MimeKit's line format: MimeKit copies it instead of encoding it.
                Content = withContent
                    ? new MimeContent(new Base64FileStream(file.FullPath), ContentEncoding.Base64)
                    : new MimeContent(new MemoryStream(Array.Empty<byte>(), false)),
                ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
                ContentTransferEncoding = ContentEncoding.Base64,
            };

            // Non-ASCII file names per RFC 2231 (filename*=iso-8859-1''Offert%20%C5hus.pdf), on both headers: the
            // name parameter of Content-Type is what older clients read. MimeKit picks the smallest charset that
            // holds the name (us-ascii, iso-8859-1 for Swedish letters, else utf-8). The method is set per
            // parameter so it does not depend on the FormatOptions a transport uses.
            part.FileName = file.FileName;
            Rfc2231(part.ContentDisposition.Parameters);
            Rfc2231(part.ContentType.Parameters);
            return part;
        }

        private static void Rfc2231(ParameterList parameters)
        {
            foreach (var parameter in parameters)
            {
                if (parameter.Name.Equals("filename", StringComparison.OrdinalIgnoreCase) || parameter.Name.Equals("name", StringComparison.OrdinalIgnoreCase))
                {
                    parameter.EncodingMethod = ParameterEncodingMethod.Rfc2231;
                }
            }
        }
    }
}
