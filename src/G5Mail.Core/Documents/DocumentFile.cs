using System;
using System.IO;
using MimeKit;

namespace G5Mail.Core.Documents
{
    /// <summary>One file of a document, as found on disk when the document was collected.</summary>
    public sealed class DocumentFile
    {
        public DocumentFile(string fullPath, long length, string contentType)
        {
            FullPath = fullPath ?? throw new ArgumentNullException(nameof(fullPath));
            FileName = Path.GetFileName(fullPath);
            Length = length;
            ContentType = contentType ?? throw new ArgumentNullException(nameof(contentType));
        }

        public string FullPath { get; }

        /// <summary>The name the recipient sees.</summary>
        public string FileName { get; }

        /// <summary>Size in bytes on disk (not the base64-encoded size).</summary>
        public long Length { get; }

        /// <summary>MIME type, e.g. application/pdf.</summary>
        public string ContentType { get; }

        /// <summary>
        /// PDF and XML are fixed because they are what Monitor G5 produces and what receiving systems key on
        /// (MimeKit's table would say text/xml, which invites charset guessing); everything else by extension.
        /// </summary>
        public static string ContentTypeFor(string fileName)
        {
            var extension = Path.GetExtension(fileName);
            if (string.Equals(extension, ".pdf", StringComparison.OrdinalIgnoreCase))
            {
                return "application/pdf";
            }

            if (string.Equals(extension, ".xml", StringComparison.OrdinalIgnoreCase))
            {
                return "application/xml";
            }

            return MimeTypes.GetMimeType(fileName);
        }

        public override string ToString() => FileName;
    }
}
