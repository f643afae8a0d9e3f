using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Runs
{
    /// <summary>One attachment as the journal knows it: name, size and the SHA-256 of its bytes on disk.</summary>
    public sealed class FileFingerprint
    {
        public FileFingerprint(string name, long length, string sha256)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Length = length;
            Sha256 = sha256 ?? throw new ArgumentNullException(nameof(sha256));
        }

        public string Name { get; }

        public long Length { get; }

        /// <summary>Lower-case hex, 64 characters.</summary>
        public string Sha256 { get; }
    }

    /// <summary>
    /// What makes two documents "the same document" for the journal: the DocumentId (ignoring case, as the collector
    /// groups files), the recipient set (To, Cc and Bcc together: bare addresses, lower-case, sorted; display names
    /// and the To/Cc/Bcc role do not count) and the SHA-256 of every attachment (sorted: file names and order do not
    /// count, the bytes do). Subject, body, sender and copy-to-self are not part of it: the document is its files and
    /// who receives them.
    /// </summary>
    public sealed class DocumentFingerprint
    {
        public DocumentFingerprint(string documentId, string recipientKey, IReadOnlyList<FileFingerprint> files)
        {
            DocumentId = documentId ?? throw new ArgumentNullException(nameof(documentId));
            RecipientKey = recipientKey ?? throw new ArgumentNullException(nameof(recipientKey));
            Files = files ?? throw new ArgumentNullException(nameof(files));
            Key = KeyOf(documentId, recipientKey, files.Select(f => f.Sha256));
        }

        public string DocumentId { get; }

        /// <summary><see cref="RecipientSet.Key"/>: the addresses of To+Cc+Bcc, lower-case, distinct, sorted, joined by ';'.</summary>
        public string RecipientKey { get; }

        public IReadOnlyList<FileFingerprint> Files { get; }

        /// <summary>The identity as one string; compare with <see cref="KeyComparer"/>.</summary>
        public string Key { get; }

        /// <summary>DocumentIds are compared ignoring case (as DocumentCollector does); the rest is already normalised.</summary>
        public static StringComparer KeyComparer => StringComparer.OrdinalIgnoreCase;

        internal static string KeyOf(string documentId, string recipientKey, IEnumerable<string> hashes)
        {
            // Unit separators cannot occur in an id typed or read from a CSV file by accident, nor in addresses or hex.
            return documentId + "\u001f" + recipientKey.ToLowerInvariant() + "\u001f"
                + string.Join(",", hashes.Select(h => h.ToLowerInvariant()).OrderBy(h => h, StringComparer.Ordinal));
        }

        public override string ToString() => DocumentId + " to " + RecipientKey;
    }

    /// <summary>
    /// Hashes attachment files once per run (a file may belong to several documents): SHA-256 streamed from disk, so
    /// a large PDF is never held in memory.
    /// </summary>
    public sealed class AttachmentHasher
    {
        private static readonly StringComparer PathComparer =
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

        private readonly Dictionary<string, FileFingerprint> _cache = new Dictionary<string, FileFingerprint>(PathComparer);

        /// <summary>The fingerprint of a collected document. Throws G5MailErrorException (FileNotFound) when a file cannot be read.</summary>
        public DocumentFingerprint Fingerprint(Document document)
        {
            if (document == null)
            {
                throw new ArgumentNullException(nameof(document));
            }

            var files = document.Files.Select(f => Hash(f, document.DocumentId)).ToArray();
            return new DocumentFingerprint(document.DocumentId, document.Recipients.Key, files);
        }

        /// <summary>The fingerprint of a file already hashed in this run (every planned file was, by the screen).</summary>
        public FileFingerprint Hash(DocumentFile file, string documentId)
        {
            if (_cache.TryGetValue(file.FullPath, out FileFingerprint? known))
            {
                return known;
            }

            try
            {
                using (var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan))
                using (SHA256 sha = SHA256.Create())
                {
                    byte[] hash = sha.ComputeHash(stream);
                    var fingerprint = new FileFingerprint(file.FileName, stream.Length, ToHex(hash));
                    _cache.Add(file.FullPath, fingerprint);
                    return fingerprint;
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new G5MailErrorException(ErrorIds.FileNotFound, ErrorKind.ReadError,
                    $"Document '{documentId}' is not sent: its file '{file.FullPath}' could not be read to check it against the journal ({ex.Message}).",
                    file.FullPath, ex);
            }
        }

        internal static string ToHex(byte[] bytes)
        {
            var text = new StringBuilder(bytes.Length * 2);
            foreach (byte b in bytes)
            {
                text.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }

            return text.ToString();
        }
    }
}
