using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using G5Mail.Core.Errors;
using G5Mail.Core.Files;
using G5Mail.Core.Messages;
using MimeKit;

namespace G5Mail.Core.Transports.Drafts
{
    /// <summary>
    /// Send-G5Document -DraftDirectory: each message becomes an RFC 5322 .eml file with "X-Unsent: 1", which classic
    /// Outlook opens as a new, unsent message ready to send (and other mail programs open as a message). Bcc stays in
    /// the file because nothing has been sent yet. Files are written whole or not at all (temp file + rename) and an
    /// existing file is never replaced: a name already taken gets " (2)", " (3)", ...
    /// </summary>
    public sealed class DraftWriter
    {
        /// <summary>The header that makes Outlook open an .eml file as a message to send rather than one received.</summary>
        public const string UnsentHeader = "X-Unsent";

        /// <summary>
        /// UTF-8 bytes of a name before the counter and ".eml": well inside the 255-byte name limit of NTFS, APFS and
        /// ext4, with room for " (9999).eml".
        /// </summary>
        internal const int MaxNameBytes = 150;

        internal const int MaxCounter = 9999;

        private const string Extension = ".eml";

        public DraftWriter(string directory)
        {
            if (string.IsNullOrWhiteSpace(directory))
            {
                throw new ArgumentException("A draft directory is needed.", nameof(directory));
            }

            Directory = Path.GetFullPath(directory);
        }

        /// <summary>The folder the drafts go to (full path); created when the first draft is written.</summary>
        public string Directory { get; }

        /// <summary>Writes one draft and returns its full path. Failures are G5MailExceptions (PermissionDenied, SendFailed).</summary>
        public string Write(OutgoingMessage message, CancellationToken cancellationToken = default)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            string name = FileNameFor(message.DocumentIds, message.Part, message.PartCount);
            return WriteUnique(Directory, name, Extension, "draft", file =>
            {
                using (MimeMessage mime = message.ToMimeMessage())
                {
                    mime.Headers.Add(UnsentHeader, "1");
                    mime.WriteTo(OutgoingMessage.CreateFormatOptions(), file, cancellationToken);
                }
            });
        }

        /// <summary>
        /// Writes one file into <paramref name="directory"/> as "name.ext", or "name (2).ext", "name (3).ext"... when taken:
        /// whole or not at all, and never over an existing file (a name taken now, or by another process meanwhile, moves on
        /// to the next counter). Returns the full path. Failures are G5MailExceptions (PermissionDenied, SendFailed) that name
        /// <paramref name="what"/> ("draft", ".ics file").
        /// </summary>
        internal static string WriteUnique(string directory, string name, string extension, string what, Action<Stream> content)
        {
            try
            {
                string? written = AtomicFile.WriteNew(directory,
                    Enumerable.Range(1, MaxCounter).Select(counter => counter == 1 ? name + extension : $"{name} ({counter}){extension}"),
                    content,
                    FileProtection.ReadableByAll);
                return written ?? throw new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.WriteError,
                    $"The {what} was not written: '{name}{extension}' and {MaxCounter - 1} numbered variants already exist in {directory}. "
                    + "Move the old files away or choose another folder.", directory);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                    $"The {what} was not written: no permission to write in {directory}. Choose a folder you can write to.", directory, ex);
            }
            catch (IOException ex)
            {
                string why = File.Exists(directory) ? "it is a file, not a folder" : ex.Message;
                throw new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.WriteError,
                    $"The {what} was not written to {directory}: {why}", directory, ex);
            }
        }

        /// <summary>
        /// The file name without counter and extension: the document ids joined by "_", "_part2of3" for a split
        /// message; characters no file system accepts become "_", Windows device names get a leading "_", and a long
        /// list of ids ends in "_and12more" to keep the name short.
        /// </summary>
        public static string FileNameFor(IReadOnlyList<string> documentIds, int part, int partCount)
        {
            if (documentIds == null)
            {
                throw new ArgumentNullException(nameof(documentIds));
            }

            string suffix = partCount > 1 ? $"_part{part}of{partCount}" : string.Empty;
            List<string> ids = documentIds.Select(SafeFileName.Clean).Where(id => id.Length > 0).ToList();
            if (ids.Count == 0)
            {
                ids.Add("document");
            }

            var joined = new StringBuilder(ids[0]);
            int used = 1;
            while (used < ids.Count)
            {
                int left = ids.Count - used - 1;
                string more = left > 0 ? $"_and{left}more" : string.Empty;
                if (SafeFileName.Utf8(joined + "_" + ids[used] + more + suffix) > MaxNameBytes)
                {
                    break;
                }

                joined.Append('_').Append(ids[used]);
                used++;
            }

            string name = joined.ToString();
            string tail = (used < ids.Count ? $"_and{ids.Count - used}more" : string.Empty) + suffix;
            name = SafeFileName.Truncate(name, MaxNameBytes - SafeFileName.Utf8(tail)).TrimEnd(' ', '.') + tail;

            return SafeFileName.AvoidDeviceName(name);
        }
    }
}
