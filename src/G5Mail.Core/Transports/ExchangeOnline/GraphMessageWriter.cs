using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Encodings.Web;
using System.Text.Json;
using G5Mail.Core.Documents;
using G5Mail.Core.Messages;
using MimeKit;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// Writes Graph request bodies with Utf8JsonWriter straight to bytes: no intermediate strings, and each attachment's
    /// base64 is written from the file's bytes (files under 3 MB only; larger ones go through upload sessions read per
    /// chunk). Shapes after "user: sendMail", "Create message", "Add attachment" (fileAttachment) and
    /// "attachment: createUploadSession" (attachmentItem) on learn.microsoft.com/graph/api.
    /// </summary>
    public static class GraphMessageWriter
    {
        /// <summary>UTF-8 as is (Swedish letters stay one or two bytes, not six): the body is JSON for an API, never HTML.</summary>
        private static readonly JsonWriterOptions Options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        /// <summary>{"message":{...},"saveToSentItems":true} for POST .../sendMail.</summary>
        public static byte[] SendMail(OutgoingMessage message, IEnumerable<DocumentFile> inline, string? fromAddress)
        {
            return Write(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("message");
                WriteMessage(w, message, inline, fromAddress);
                w.WriteBoolean("saveToSentItems", true);
                w.WriteEndObject();
            });
        }

        /// <summary>The message object for POST .../messages (a draft).</summary>
        public static byte[] Draft(OutgoingMessage message, IEnumerable<DocumentFile> inline, string? fromAddress)
        {
            return Write(w => WriteMessage(w, message, inline, fromAddress));
        }

        /// <summary>The size of a sendMail (or draft) body with an empty attachments array: the fixed part the plan starts from.</summary>
        public static long MeasureWithoutAttachments(OutgoingMessage message, string? fromAddress, bool draft)
        {
            return draft ? Draft(message, Array.Empty<DocumentFile>(), fromAddress).LongLength
                         : SendMail(message, Array.Empty<DocumentFile>(), fromAddress).LongLength;
        }

        /// <summary>A fileAttachment for POST .../attachments.</summary>
        public static byte[] Attachment(DocumentFile file)
        {
            return Write(w => WriteAttachment(w, file, File.ReadAllBytes(file.FullPath)));
        }

        /// <summary>Bytes of one fileAttachment element with empty contentBytes.</summary>
        public static long AttachmentOverhead(DocumentFile file)
        {
            return Write(w => WriteAttachment(w, file, Array.Empty<byte>())).LongLength;
        }

        /// <summary>{"AttachmentItem":{"attachmentType":"file","name":...,"size":...,"contentType":...}} for createUploadSession.</summary>
        public static byte[] UploadSession(DocumentFile file, long size)
        {
            return Write(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("AttachmentItem");
                w.WriteStartObject();
                w.WriteString("attachmentType", "file");
                w.WriteString("name", file.FileName);
                w.WriteNumber("size", size);
                w.WriteString("contentType", file.ContentType);
                w.WriteEndObject();
                w.WriteEndObject();
            });
        }

        private static void WriteMessage(Utf8JsonWriter w, OutgoingMessage message, IEnumerable<DocumentFile> inline, string? fromAddress)
        {
            w.WriteStartObject();
            w.WriteString("subject", message.Subject);
            w.WritePropertyName("body");
            w.WriteStartObject();
            w.WriteString("contentType", message.IsHtml ? "HTML" : "Text");
            w.WriteString("content", message.Body);
            w.WriteEndObject();
            WriteRecipients(w, "toRecipients", message.To);
            WriteRecipients(w, "ccRecipients", message.Cc);
            WriteRecipients(w, "bccRecipients", message.Bcc);
            if (fromAddress != null)
            {
                // Only when the signed-in user sends as another mailbox: Exchange then applies its Send As rules.
                w.WritePropertyName("from");
                WriteRecipient(w, fromAddress);
            }

            // The composed Message-Id, so the result's MessageId is the one recipients see (sendMail itself returns no id).
            w.WriteString("internetMessageId", message.MessageId);
            w.WritePropertyName("attachments");
            w.WriteStartArray();
            foreach (DocumentFile file in inline)
            {
                WriteAttachment(w, file, File.ReadAllBytes(file.FullPath));
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        private static void WriteAttachment(Utf8JsonWriter w, DocumentFile file, byte[] content)
        {
            w.WriteStartObject();
            w.WriteString("@odata.type", "#microsoft.graph.fileAttachment");
            w.WriteString("name", file.FileName);
            w.WriteString("contentType", file.ContentType);
            w.WriteBase64String("contentBytes", content);
            w.WriteEndObject();
        }

        private static void WriteRecipients(Utf8JsonWriter w, string property, IReadOnlyList<string> addresses)
        {
            w.WritePropertyName(property);
            w.WriteStartArray();
            foreach (string address in addresses)
            {
                WriteRecipient(w, address);
            }

            w.WriteEndArray();
        }

        private static void WriteRecipient(Utf8JsonWriter w, string text)
        {
            string address = text;
            string? name = null;
            if (MailAddresses.TryParseMailbox(text, out MailboxAddress mailbox))
            {
                address = mailbox.Address;
                name = string.IsNullOrEmpty(mailbox.Name) ? null : mailbox.Name;
            }

            w.WriteStartObject();
            w.WritePropertyName("emailAddress");
            w.WriteStartObject();
            w.WriteString("address", address);
            if (name != null)
            {
                w.WriteString("name", name);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        private static byte[] Write(Action<Utf8JsonWriter> write)
        {
            using (var buffer = new MemoryStream())
            {
                using (var writer = new Utf8JsonWriter(buffer, Options))
                {
                    write(writer);
                }

                return buffer.ToArray();
            }
        }
    }
}
