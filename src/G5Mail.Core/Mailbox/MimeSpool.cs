using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Files;
using MimeKit;

namespace G5Mail.Core.Mailbox
{
    /// <summary>
    /// One message's MIME, downloaded to a temp file readable only by this account (deleted when disposed, and by the
    /// system when the process dies) and parsed from there with MimeKit's persistent parser: the parts' content stays in
    /// the file and is decoded from it when saved, so memory does not grow with the size of the message or its attachments.
    /// </summary>
    public sealed class MimeSpool : IDisposable
    {
        private readonly FileStream _file;

        private MimeSpool(FileStream file, MimeMessage message)
        {
            _file = file;
            Message = message;
        }

        public MimeMessage Message { get; }

        /// <summary>Bytes downloaded.</summary>
        public long Length => _file.Length;

        /// <summary>
        /// Downloads and parses one message. A download failure is the reader's to classify (ConnectionFailed ends the call,
        /// MessageUnreadable fails the message); MIME MimeKit cannot parse is MessageUnreadable.
        /// </summary>
        public static async Task<MimeSpool> DownloadAsync(IMailboxReader reader, MailSummary summary, string target, CancellationToken cancellationToken)
        {
            FileStream file = CreateTemp();
            try
            {
                await reader.DownloadAsync(summary, file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                return Parse(file, target, cancellationToken);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>Parses MIME already in <paramref name="file"/> (from the start); takes ownership of it.</summary>
        public static MimeSpool Parse(FileStream file, string target, CancellationToken cancellationToken)
        {
            file.Position = 0;
            if (file.Length == 0)
            {
                throw Unreadable(target, "the server returned no content for it", null);
            }

            try
            {
                var parser = new MimeParser(file, MimeFormat.Entity, persistent: true);
                MimeMessage message = parser.ParseMessage(cancellationToken);
                return new MimeSpool(file, message);
            }
            catch (FormatException ex)
            {
                throw Unreadable(target, $"its MIME content cannot be read ({ex.Message})", ex);
            }
        }

        /// <summary>A new temp file (owner-only on Unix) that deletes itself when closed.</summary>
        public static FileStream CreateTemp()
        {
            string path = Path.Combine(Path.GetTempPath(), "g5mail-" + Guid.NewGuid().ToString("N") + ".eml.tmp");
            if (FilePermissions.IsUnix)
            {
                // Created 0600 before the first byte, then reopened read-write with delete-on-close.
                FilePermissions.CreateNew(path, FileProtection.OwnerOnly).Dispose();
                return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
            }

            return new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        }

        internal static G5MailErrorException Unreadable(string target, string what, Exception? inner) =>
            new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.InvalidData,
                $"Message {target}: {what}. The message was left as it was (not marked, not moved); the others go on.", target, inner);

        public void Dispose()
        {
            Message.Dispose();
            _file.Dispose();
        }
    }
}
