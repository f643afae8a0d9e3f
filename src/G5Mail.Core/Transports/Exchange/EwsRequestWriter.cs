using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using MimeKit;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>The XML namespaces and fixed values of the EWS SOAP protocol.</summary>
    public static class EwsNames
    {
        public const string Soap = "http://schemas.xmlsoap.org/soap/envelope/";
        public const string Types = "http://schemas.microsoft.com/exchange/services/2006/types";
        public const string Messages = "http://schemas.microsoft.com/exchange/services/2006/messages";

        /// <summary>SOAP fault details of Exchange 2010 and later ("SoapFaultDetails" in the EWS Managed API).</summary>
        public const string Errors = "http://schemas.microsoft.com/exchange/services/2006/errors";

        /// <summary>
        /// RequestServerVersion (learn.microsoft.com, "RequestServerVersion"): the schema version G5Mail speaks. Exchange2013
        /// is accepted by Exchange 2013, 2016, 2019 and Subscription Edition, which all answer any version up to their own;
        /// Exchange 2010 and older reject it with ErrorInvalidServerVersion.
        /// </summary>
        public const string RequestServerVersion = "Exchange2013";

        /// <summary>PidTagInternetMessageId (MS-OXPROPS 2.749): the Message-ID header of the sent message.</summary>
        public const string InternetMessageIdTag = "0x1035";
    }

    /// <summary>
    /// Writes the SOAP requests G5Mail sends to EWS with an XmlWriter straight into the HTTP request stream. Attachment
    /// files are read in small buffers and written as base64 as they are read (XmlWriter.WriteBase64 in chunks), so a
    /// 60 MB request never sits in memory. The request length is computed exactly beforehand (the envelope is measured
    /// without the file content, whose base64 length follows from the file size), so the request carries a
    /// Content-Length and the server can refuse an oversized request from its headers before the upload starts.
    /// </summary>
    public static class EwsRequestWriter
    {
        /// <summary>57 KiB: a multiple of 3, so every chunk but the last encodes to whole base64 quads.</summary>
        internal const int ChunkSize = 57 * 1024;

        private static readonly XmlWriterSettings Settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(false),
            Async = true,
            Indent = false,
            CloseOutput = false,
            // CRLF in a body must survive XML line-end normalization on the server: write CR as a character reference.
            NewLineHandling = NewLineHandling.Entitize,
        };

        /// <summary>
        /// CreateItem (learn.microsoft.com, "CreateItem operation (email message)"): send the message and save a copy in
        /// the signed-in user's Sent Items (MessageDisposition="SendAndSaveCopy", SavedItemFolderId sentitems).
        /// </summary>
        public static EwsRequest CreateItem(OutgoingMessage message)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            return EwsRequest.Create("CreateItem", message.Attachments, (writer, withContent, ct) => WriteCreateItemAsync(writer, message, withContent, ct));
        }

        /// <summary>GetFolder (learn.microsoft.com, "GetFolder operation") of a distinguished folder, e.g. sentitems.</summary>
        public static EwsRequest GetFolder(string distinguishedFolderId)
        {
            return EwsRequest.Create("GetFolder", Array.Empty<DocumentFile>(), async (w, withContent, ct) =>
            {
                await w.WriteStartElementAsync("m", "GetFolder", EwsNames.Messages).ConfigureAwait(false);
                await w.WriteStartElementAsync("m", "FolderShape", EwsNames.Messages).ConfigureAwait(false);
                await w.WriteElementStringAsync("t", "BaseShape", EwsNames.Types, "Default").ConfigureAwait(false);
                await w.WriteEndElementAsync().ConfigureAwait(false);
                await w.WriteStartElementAsync("m", "FolderIds", EwsNames.Messages).ConfigureAwait(false);
                await w.WriteStartElementAsync("t", "DistinguishedFolderId", EwsNames.Types).ConfigureAwait(false);
                await w.WriteAttributeStringAsync(null, "Id", null, distinguishedFolderId).ConfigureAwait(false);
                await w.WriteEndElementAsync().ConfigureAwait(false);
                await w.WriteEndElementAsync().ConfigureAwait(false);
                await w.WriteEndElementAsync().ConfigureAwait(false);
            });
        }

        /// <summary>Bytes of base64 for <paramref name="length"/> bytes: XmlWriter writes it in one line, 4 per 3.</summary>
        public static long Base64Length(long length) => length <= 0 ? 0 : (length + 2) / 3 * 4;

        internal static XmlWriter CreateXmlWriter(Stream output) => XmlWriter.Create(output, Settings);

        /// <summary>
        /// The t:Message children in the order of MessageType in types.xsd (learn.microsoft.com, "Message"): the ItemType
        /// elements ItemClass, Subject, Body, Attachments, ExtendedProperty, then the MessageType elements ToRecipients,
        /// CcRecipients, BccRecipients, From. Each FileAttachment holds Name and ContentType (AttachmentType's elements)
        /// before Content (learn.microsoft.com, "FileAttachment").
        /// </summary>
        private static async Task WriteCreateItemAsync(XmlWriter w, OutgoingMessage message, bool withContent, CancellationToken ct)
        {
            await w.WriteStartElementAsync("m", "CreateItem", EwsNames.Messages).ConfigureAwait(false);
            await w.WriteAttributeStringAsync(null, "MessageDisposition", null, "SendAndSaveCopy").ConfigureAwait(false);
            await w.WriteStartElementAsync("m", "SavedItemFolderId", EwsNames.Messages).ConfigureAwait(false);
            await w.WriteStartElementAsync("t", "DistinguishedFolderId", EwsNames.Types).ConfigureAwait(false);
            await w.WriteAttributeStringAsync(null, "Id", null, "sentitems").ConfigureAwait(false);
            await w.WriteEndElementAsync().ConfigureAwait(false);
            await w.WriteEndElementAsync().ConfigureAwait(false);
            await w.WriteStartElementAsync("m", "Items", EwsNames.Messages).ConfigureAwait(false);
            await w.WriteStartElementAsync("t", "Message", EwsNames.Types).ConfigureAwait(false);

            await w.WriteElementStringAsync("t", "ItemClass", EwsNames.Types, "IPM.Note").ConfigureAwait(false);
            await w.WriteElementStringAsync("t", "Subject", EwsNames.Types, XmlText(message.Subject)).ConfigureAwait(false);
            // BodyType (learn.microsoft.com, "Body"): HTML or Text.
            await w.WriteStartElementAsync("t", "Body", EwsNames.Types).ConfigureAwait(false);
            await w.WriteAttributeStringAsync(null, "BodyType", null, message.IsHtml ? "HTML" : "Text").ConfigureAwait(false);
            await w.WriteStringAsync(XmlText(message.Body)).ConfigureAwait(false);
            await w.WriteFullEndElementAsync().ConfigureAwait(false);

            if (message.Attachments.Count > 0)
            {
                await w.WriteStartElementAsync("t", "Attachments", EwsNames.Types).ConfigureAwait(false);
                byte[]? buffer = withContent ? new byte[ChunkSize] : null;
                foreach (DocumentFile file in message.Attachments)
                {
                    await w.WriteStartElementAsync("t", "FileAttachment", EwsNames.Types).ConfigureAwait(false);
                    await w.WriteElementStringAsync("t", "Name", EwsNames.Types, XmlText(file.FileName)).ConfigureAwait(false);
                    await w.WriteElementStringAsync("t", "ContentType", EwsNames.Types, file.ContentType).ConfigureAwait(false);
                    await w.WriteStartElementAsync("t", "Content", EwsNames.Types).ConfigureAwait(false);
                    if (buffer != null)
                    {
                        await WriteFileAsync(w, file, buffer, ct).ConfigureAwait(false);
                    }

                    // Always a full end tag, so the measured envelope (without content) has exactly the real one's bytes.
                    await w.WriteFullEndElementAsync().ConfigureAwait(false);
                    await w.WriteEndElementAsync().ConfigureAwait(false);
                }

                await w.WriteEndElementAsync().ConfigureAwait(false);
            }

            // The Message-ID G5Mail reports: MS-OXCMAIL 2.1.3.2.11, "MIME writers SHOULD copy the value of the
            // PidTagInternetMessageId property to the Message-ID header" (a server MAY still replace it).
            await w.WriteStartElementAsync("t", "ExtendedProperty", EwsNames.Types).ConfigureAwait(false);
            await w.WriteStartElementAsync("t", "ExtendedFieldURI", EwsNames.Types).ConfigureAwait(false);
            await w.WriteAttributeStringAsync(null, "PropertyTag", null, EwsNames.InternetMessageIdTag).ConfigureAwait(false);
            await w.WriteAttributeStringAsync(null, "PropertyType", null, "String").ConfigureAwait(false);
            await w.WriteEndElementAsync().ConfigureAwait(false);
            await w.WriteElementStringAsync("t", "Value", EwsNames.Types, message.MessageId).ConfigureAwait(false);
            await w.WriteEndElementAsync().ConfigureAwait(false);

            await WriteRecipientsAsync(w, "ToRecipients", message.To).ConfigureAwait(false);
            await WriteRecipientsAsync(w, "CcRecipients", message.Cc).ConfigureAwait(false);
            await WriteRecipientsAsync(w, "BccRecipients", message.Bcc).ConfigureAwait(false);
            if (!string.IsNullOrWhiteSpace(message.From))
            {
                // From other than the signed-in mailbox needs Send As permission (ErrorSendAsDenied otherwise).
                await w.WriteStartElementAsync("t", "From", EwsNames.Types).ConfigureAwait(false);
                await WriteMailboxAsync(w, message.From).ConfigureAwait(false);
                await w.WriteEndElementAsync().ConfigureAwait(false);
            }

            await w.WriteEndElementAsync().ConfigureAwait(false); // Message
            await w.WriteEndElementAsync().ConfigureAwait(false); // Items
            await w.WriteEndElementAsync().ConfigureAwait(false); // CreateItem
        }

        private static async Task WriteRecipientsAsync(XmlWriter w, string element, IReadOnlyList<string> addresses)
        {
            if (addresses.Count == 0)
            {
                return;
            }

            await w.WriteStartElementAsync("t", element, EwsNames.Types).ConfigureAwait(false);
            foreach (string address in addresses)
            {
                await WriteMailboxAsync(w, address).ConfigureAwait(false);
            }

            await w.WriteEndElementAsync().ConfigureAwait(false);
        }

        /// <summary>t:Mailbox with Name (when there is a display name) before EmailAddress, as EmailAddressType orders them.</summary>
        private static async Task WriteMailboxAsync(XmlWriter w, string text)
        {
            string? name = null;
            string address = text.Trim();
            if (MailAddresses.TryParseMailbox(text, out MailboxAddress mailbox))
            {
                name = string.IsNullOrWhiteSpace(mailbox.Name) ? null : mailbox.Name;
                address = mailbox.Address;
            }

            await w.WriteStartElementAsync("t", "Mailbox", EwsNames.Types).ConfigureAwait(false);
            if (name != null)
            {
                await w.WriteElementStringAsync("t", "Name", EwsNames.Types, XmlText(name)).ConfigureAwait(false);
            }

            await w.WriteElementStringAsync("t", "EmailAddress", EwsNames.Types, XmlText(address)).ConfigureAwait(false);
            await w.WriteEndElementAsync().ConfigureAwait(false);
        }

        /// <summary>Streams one file as base64, exactly <see cref="DocumentFile.Length"/> bytes, as the request length promised.</summary>
        private static async Task WriteFileAsync(XmlWriter w, DocumentFile file, byte[] buffer, CancellationToken ct)
        {
            FileStream stream;
            try
            {
                // No FileStream buffer of its own: the chunk buffer is the only one.
                stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            }
            catch (Exception ex) when (ex is FileNotFoundException || ex is DirectoryNotFoundException)
            {
                throw new G5MailErrorException(ErrorIds.FileNotFound, ErrorKind.ObjectNotFound,
                    $"The attachment '{file.FullPath}' was removed before it could be sent.", file.FullPath, ex);
            }

            using (stream)
            {
                if (stream.Length != file.Length)
                {
                    throw Changed(file, stream.Length);
                }

                long left = file.Length;
                while (left > 0)
                {
                    int read = await stream.ReadAsync(buffer, 0, (int)Math.Min(buffer.Length, left), ct).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw Changed(file, file.Length - left);
                    }

                    await w.WriteBase64Async(buffer, 0, read).ConfigureAwait(false);
                    left -= read;
                }
            }
        }

        private static G5MailErrorException Changed(DocumentFile file, long now) =>
            new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidData,
                $"The attachment '{file.FullPath}' changed while it was being sent (it had {file.Length} bytes, now {now}). " +
                "Send the document again once the file is complete.", file.FullPath);

        /// <summary>
        /// Text as XML 1.0 can carry it: characters XML forbids (control characters, unpaired surrogates) become U+FFFD
        /// instead of failing the whole request.
        /// </summary>
        internal static string XmlText(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return string.Empty;
            }

            StringBuilder? clean = null;
            for (int i = 0; i < text!.Length; i++)
            {
                char c = text[i];
                bool ok;
                if (char.IsHighSurrogate(c))
                {
                    ok = i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
                    if (ok)
                    {
                        clean?.Append(c).Append(text[i + 1]);
                        i++;
                        continue;
                    }
                }
                else if (char.IsLowSurrogate(c))
                {
                    ok = false;
                }
                else
                {
                    ok = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD);
                }

                if (!ok && clean == null)
                {
                    clean = new StringBuilder(text.Length).Append(text, 0, i);
                }

                clean?.Append(ok ? c : '\uFFFD');
            }

            return clean?.ToString() ?? text;
        }
    }

    /// <summary>One EWS SOAP request, written on demand (again for each attempt: files are re-read, never kept).</summary>
    public sealed class EwsRequest
    {
        private readonly Func<XmlWriter, bool, CancellationToken, Task> _body;

        private EwsRequest(string operation, Func<XmlWriter, bool, CancellationToken, Task> body, long length)
        {
            Operation = operation;
            _body = body;
            Length = length;
        }

        /// <summary>The EWS operation, e.g. CreateItem (for logs and statistics).</summary>
        public string Operation { get; }

        /// <summary>The exact size of the request body in bytes (the Content-Length).</summary>
        public long Length { get; }

        internal static EwsRequest Create(string operation, IReadOnlyList<DocumentFile> files, Func<XmlWriter, bool, CancellationToken, Task> body)
        {
            long content = 0;
            foreach (DocumentFile file in files)
            {
                content += EwsRequestWriter.Base64Length(file.Length);
            }

            var measure = new CountingStream();
            WriteAsync(measure, body, withContent: false, CancellationToken.None).GetAwaiter().GetResult();
            return new EwsRequest(operation, body, measure.Length + content);
        }

        /// <summary>Writes the whole request (the SOAP envelope with the files' content) to <paramref name="output"/>.</summary>
        public Task WriteToAsync(Stream output, CancellationToken cancellationToken) => WriteAsync(output, _body, withContent: true, cancellationToken);

        /// <summary>The request as HTTP content: text/xml, with its exact Content-Length, written straight to the connection.</summary>
        public HttpContent CreateContent(CancellationToken cancellationToken) => new Content(this, cancellationToken);

        private static async Task WriteAsync(Stream output, Func<XmlWriter, bool, CancellationToken, Task> body, bool withContent, CancellationToken ct)
        {
            using (XmlWriter w = EwsRequestWriter.CreateXmlWriter(output))
            {
                await w.WriteStartDocumentAsync().ConfigureAwait(false);
                await w.WriteStartElementAsync("soap", "Envelope", EwsNames.Soap).ConfigureAwait(false);
                await w.WriteAttributeStringAsync("xmlns", "t", null, EwsNames.Types).ConfigureAwait(false);
                await w.WriteAttributeStringAsync("xmlns", "m", null, EwsNames.Messages).ConfigureAwait(false);
                await w.WriteStartElementAsync("soap", "Header", EwsNames.Soap).ConfigureAwait(false);
                await w.WriteStartElementAsync("t", "RequestServerVersion", EwsNames.Types).ConfigureAwait(false);
                await w.WriteAttributeStringAsync(null, "Version", null, EwsNames.RequestServerVersion).ConfigureAwait(false);
                await w.WriteEndElementAsync().ConfigureAwait(false);
                await w.WriteEndElementAsync().ConfigureAwait(false);
                await w.WriteStartElementAsync("soap", "Body", EwsNames.Soap).ConfigureAwait(false);
                await body(w, withContent, ct).ConfigureAwait(false);
                await w.WriteEndElementAsync().ConfigureAwait(false);
                await w.WriteEndElementAsync().ConfigureAwait(false);
                await w.WriteEndDocumentAsync().ConfigureAwait(false);
                await w.FlushAsync().ConfigureAwait(false);
            }
        }

        /// <summary>Whether the whole body went to the connection: after that the server may have executed the request.</summary>
        internal static bool BodyWritten(HttpContent? content) => content is Content written && written.Written;

        private sealed class Content : HttpContent
        {
            private readonly EwsRequest _request;
            private readonly CancellationToken _cancellationToken;
            private volatile bool _written;

            public bool Written => _written;

            public Content(EwsRequest request, CancellationToken cancellationToken)
            {
                _request = request;
                _cancellationToken = cancellationToken;
                Headers.ContentType = new MediaTypeHeaderValue("text/xml") { CharSet = "utf-8" };
            }

            protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
            {
                await _request.WriteToAsync(stream, _cancellationToken).ConfigureAwait(false);
                // Set only once the last byte was handed over: before that, IIS cannot have the whole request (its
                // Content-Length says how much to wait for), so a lost connection cannot have sent the message.
                _written = true;
            }

            protected override bool TryComputeLength(out long length)
            {
                length = _request.Length;
                return true;
            }
        }
    }

    /// <summary>A write-only stream that only counts: measures a request, and lets tests stream one without keeping it.</summary>
    public sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            _length += count;
            return Task.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
