using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using G5Mail.Core.Errors;
using G5Mail.Core.Files;
using MimeKit;
using MimeKit.Tnef;

namespace G5Mail.Core.Mailbox
{
    /// <summary>
    /// Lists a received message's attachments and (with -SaveAttachmentsTo) saves them. The name from the mail is never
    /// trusted: directory parts, "..", control and invisible characters, characters Windows forbids and device names are
    /// removed (<see cref="SafeName"/>), and the file always lands directly in the folder. Each file is decoded straight
    /// from the message (which ReceiveRun keeps in a temp file, not in memory) into a temp file of the folder, hashed on the
    /// way, flushed, and only then given its name, never over an existing file: a name taken by other content gets
    /// " (2)", and a name whose file already has the same content (a rerun after a crash between saving and moving) is
    /// reused, so a rerun does not make copies. A winmail.dat (TNEF) is listed and saved as the attachments it carries.
    /// </summary>
    public sealed class AttachmentSaver
    {
        /// <summary>UTF-8 bytes of a saved name before " (n)": well inside the 255-byte limit of NTFS, APFS and ext4.</summary>
        internal const int MaxNameBytes = 150;

        private const int MaxCounter = 999;

        static AttachmentSaver()
        {
            // MimeKit reads TNEF names in the message's ANSI code page (windows-1252 and the like), which .NET (PowerShell 7)
            // knows only once the code-pages provider is registered: without it the first winmail.dat of the process
            // fails its TNEF reader's type initializer, for good. Windows PowerShell 5.1 has the code pages built in.
            System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);
        }

        /// <param name="directory">Where files go; null to list the attachments (with their SHA-256) without saving.</param>
        public AttachmentSaver(string? directory)
        {
            Directory = directory == null ? null : Path.GetFullPath(directory);
        }

        public string? Directory { get; }

        /// <summary>
        /// The attachments of <paramref name="message"/>: parts with Content-Disposition attachment or with a file name
        /// (suppliers' mail programs often send a PDF as "application/pdf; name=..." without a disposition), attached
        /// messages, and the contents of TNEF parts. Throws MessageUnreadable when one cannot be decoded or saved.
        /// </summary>
        public IReadOnlyList<ReceivedAttachment> Process(MimeMessage message, string messageTarget, CancellationToken cancellationToken)
        {
            var result = new List<ReceivedAttachment>();
            foreach (MimeEntity entity in AttachmentsOf(message))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (entity is TnefPart tnef)
                {
                    IEnumerable<MimeEntity> inner;
                    try
                    {
                        CheckTnef(tnef, messageTarget);
                        inner = tnef.ExtractAttachments().ToList();
                    }
                    catch (Exception ex) when (ex is FormatException || ex is TnefException || ex is IOException || ex is ArgumentException)
                    {
                        throw MimeSpool.Unreadable(messageTarget, $"its winmail.dat (TNEF) part cannot be read ({ex.Message})", ex);
                    }

                    foreach (MimeEntity part in inner)
                    {
                        result.Add(Save(part, messageTarget, cancellationToken));
                    }

                    continue;
                }

                result.Add(Save(entity, messageTarget, cancellationToken));
            }

            return result;
        }

        /// <summary>
        /// MimeKit unpacks TNEF leniently: a winmail.dat cut short in transit would give a truncated file without a word. So
        /// the stream is read through once first, and damage that loses content (truncated, wrong lengths or checksums, no
        /// TNEF signature; [MS-OXTNEF] 2.1.3) makes the message unreadable rather than its attachments silently short.
        /// </summary>
        private static void CheckTnef(TnefPart tnef, string messageTarget)
        {
            const TnefComplianceStatus Damage = TnefComplianceStatus.StreamTruncated | TnefComplianceStatus.InvalidTnefSignature
                | TnefComplianceStatus.InvalidAttributeLength | TnefComplianceStatus.InvalidAttributeChecksum | TnefComplianceStatus.AttributeOverflow
                | TnefComplianceStatus.InvalidAttribute;
            if (tnef.Content == null)
            {
                throw MimeSpool.Unreadable(messageTarget, "its winmail.dat (TNEF) part is empty", null);
            }

            using (Stream content = tnef.Content.Open())
            using (var reader = new TnefReader(content, 0, TnefComplianceMode.Loose))
            {
                var buffer = new byte[16384];
                while (reader.ReadNextAttribute())
                {
                    while (reader.ReadAttributeRawValue(buffer, 0, buffer.Length) > 0)
                    {
                        // Read through: the checksum is verified once the value has been read.
                    }
                }

                if ((reader.ComplianceStatus & Damage) != 0)
                {
                    throw MimeSpool.Unreadable(messageTarget, $"its winmail.dat (TNEF) part is damaged ({reader.ComplianceStatus})", null);
                }
            }
        }

        /// <summary>Whether the message has any attachment (without decoding).</summary>
        public static bool HasAttachments(MimeMessage message) => AttachmentsOf(message).Any();

        private static IEnumerable<MimeEntity> AttachmentsOf(MimeMessage message)
        {
            foreach (MimeEntity entity in message.BodyParts)
            {
                if (entity is TnefPart || entity is MessagePart)
                {
                    yield return entity;
                }
                else if (entity is MimePart part && (part.IsAttachment || !string.IsNullOrEmpty(part.FileName)))
                {
                    yield return entity;
                }
            }
        }

        private ReceivedAttachment Save(MimeEntity entity, string messageTarget, CancellationToken cancellationToken)
        {
            string original = OriginalName(entity);
            string name = SafeName(original, entity.ContentType);
            var attachment = new ReceivedAttachment
            {
                Name = name,
                OriginalName = original.Length > 0 && original != name ? original : null,
                ContentType = entity.ContentType.MimeType.ToLowerInvariant(),
            };

            Action<Stream> write = target => WriteContent(entity, target, cancellationToken);
            try
            {
                if (Directory == null)
                {
                    using (var counting = new HashingStream(Stream.Null))
                    {
                        write(counting);
                        attachment.Size = counting.Length;
                        attachment.Sha256 = counting.Hex();
                    }

                    return attachment;
                }

                HashingStream? hashed = null;
                string? path = AtomicFile.WriteNewOrSame(Directory, Candidates(name),
                    file =>
                    {
                        hashed = new HashingStream(file);
                        write(hashed);
                    },
                    FileProtection.ReadableByAll,
                    existing => SameContent(existing, hashed!));
                if (path == null)
                {
                    throw MimeSpool.Unreadable(messageTarget, $"the attachment '{name}' was not saved: it and {MaxCounter - 1} numbered variants already exist in {Directory}", null);
                }

                if (!string.Equals(Path.GetDirectoryName(path), Directory.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"Bug: an attachment name left the folder ({path}).");
                }

                attachment.Size = hashed!.Length;
                attachment.Sha256 = hashed.Hex();
                attachment.Name = Path.GetFileName(path);
                attachment.Path = path;
                return attachment;
            }
            catch (UnauthorizedAccessException ex)
            {
                // The folder, not the message: every attachment would fail the same way.
                throw new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                    $"No permission to write attachments in {Directory}. Choose a folder this account can write to (-SaveAttachmentsTo).", Directory, ex)
                {
                    Scope = FailureScope.Server,
                };
            }
            catch (IOException ex) when (!(ex is EndOfStreamException))
            {
                if (Directory != null && File.Exists(Directory))
                {
                    throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                        $"-SaveAttachmentsTo {Directory} is a file, not a folder.", Directory, ex) { Scope = FailureScope.Server };
                }

                throw new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.WriteError,
                    $"The attachment '{name}' of message {messageTarget} was not saved to {Directory}: {ex.Message} The message was left as it was.", messageTarget, ex)
                {
                    Scope = FailureScope.Server, // a full disk fails every further attachment too
                };
            }
            catch (Exception ex) when (ex is FormatException || ex is ParseException || ex is ArgumentException || ex is NotSupportedException)
            {
                throw MimeSpool.Unreadable(messageTarget, $"the attachment '{name}' cannot be decoded ({ex.Message})", ex);
            }
        }

        private static void WriteContent(MimeEntity entity, Stream target, CancellationToken cancellationToken)
        {
            switch (entity)
            {
                case MimePart part when part.Content != null:
                    part.Content.DecodeTo(target, cancellationToken);
                    break;
                case MimePart _:
                    break;
                case MessagePart attached when attached.Message != null:
                    attached.Message.WriteTo(target, cancellationToken);
                    break;
                default:
                    entity.WriteTo(target, contentOnly: true, cancellationToken);
                    break;
            }
        }

        private static bool SameContent(string existing, HashingStream written)
        {
            var info = new FileInfo(existing);
            if (info.Length != written.Length)
            {
                return false;
            }

            using (FileStream file = new FileStream(existing, FileMode.Open, FileAccess.Read, FileShare.Read, 81920))
            using (SHA256 sha = SHA256.Create())
            {
                return HashingStream.ToHex(sha.ComputeHash(file)) == written.Hex();
            }
        }

        private static IEnumerable<string> Candidates(string name)
        {
            string extension = Path.GetExtension(name);
            string stem = extension.Length > 0 && extension.Length < name.Length ? name.Substring(0, name.Length - extension.Length) : name;
            if (stem == name)
            {
                extension = string.Empty;
            }

            yield return name;
            for (int counter = 2; counter <= MaxCounter; counter++)
            {
                yield return $"{stem} ({counter}){extension}";
            }
        }

        private static string OriginalName(MimeEntity entity)
        {
            switch (entity)
            {
                case MimePart part:
                    return part.FileName ?? string.Empty;
                case MessagePart attached:
                    return attached.ContentDisposition?.FileName ?? attached.ContentType.Name
                        ?? (attached.Message?.Subject is string subject && subject.Length > 0 ? subject + ".eml" : string.Empty);
                default:
                    return entity.ContentType.Name ?? string.Empty;
            }
        }

        /// <summary>
        /// A safe name for what the mail calls <paramref name="original"/>: only the last path segment ("../../x.pdf" and
        /// "C:\Windows\x.pdf" become "x.pdf"), cleaned (<see cref="SafeFileName.Clean"/>), not a device name, at most
        /// <see cref="MaxNameBytes"/> bytes keeping the extension; "attachment" with an extension from the content type
        /// when nothing is left.
        /// </summary>
        public static string SafeName(string? original, ContentType? contentType = null)
        {
            string text = original ?? string.Empty;
            int cut = Math.Max(text.LastIndexOf('/'), text.LastIndexOf('\\'));
            if (cut >= 0)
            {
                text = text.Substring(cut + 1);
            }

            if (text.Length >= 2 && text[1] == ':' && char.IsLetter(text[0]))
            {
                text = text.Substring(2); // "C:x.pdf": a drive-relative path on Windows
            }

            string name = SafeFileName.Clean(text);
            if (name.Length == 0 || name.Trim('_').Length == 0)
            {
                string extension = contentType != null && MimeTypes.TryGetExtension(contentType.MimeType, out string? known) ? known! : ".bin";
                name = "attachment" + extension;
            }

            string ext = Path.GetExtension(name);
            if (ext.Length > 20 || ext.Length == name.Length)
            {
                ext = string.Empty;
            }

            if (SafeFileName.Utf8(name) > MaxNameBytes)
            {
                string stem = name.Substring(0, name.Length - ext.Length);
                name = SafeFileName.Truncate(stem, MaxNameBytes - SafeFileName.Utf8(ext)).TrimEnd(' ', '.') + ext;
            }

            return SafeFileName.AvoidDeviceName(name);
        }

        /// <summary>Passes writes through to a stream while counting and hashing them (SHA-256).</summary>
        private sealed class HashingStream : Stream
        {
            private readonly Stream _inner;
            private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            private string? _hex;
            private long _length;

            public HashingStream(Stream inner)
            {
                _inner = inner;
            }

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => _length;

            public override long Position
            {
                get => _length;
                set => throw new NotSupportedException();
            }

            public string Hex() => _hex ??= ToHex(_hash.GetHashAndReset());

            public static string ToHex(byte[] bytes)
            {
                var text = new System.Text.StringBuilder(bytes.Length * 2);
                foreach (byte b in bytes)
                {
                    text.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }

                return text.ToString();
            }

            public override void Write(byte[] buffer, int offset, int count)
            {
                _inner.Write(buffer, offset, count);
                _hash.AppendData(buffer, offset, count);
                _length += count;
            }

            public override void Flush() => _inner.Flush();

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    _hash.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}
