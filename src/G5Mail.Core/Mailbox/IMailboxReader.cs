using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.Mailbox
{
    /// <summary>
    /// One way of reading a mailbox folder: IMAP (Method Smtp), Microsoft Graph (ExchangeOnline), EWS (Exchange), Outlook's
    /// COM object model. One reader per call, used from one thread at a time. Failures are thrown as
    /// <see cref="G5MailErrorException"/> with the contract's ids (ConnectionFailed, CertificateInvalid, AuthenticationFailed,
    /// TokenAcquisitionFailed, PermissionDenied, FolderNotFound, MessageUnreadable...), classified by FailureClassification
    /// like the transports' so that a failure of the account or the server ends the call and one of a message does not.
    /// </summary>
    public interface IMailboxReader : IDisposable
    {
        /// <summary>Where the mailbox is read, e.g. "imap.example.com:993" or "graph.microsoft.com".</summary>
        string Server { get; }

        /// <summary>
        /// Connects, signs in and opens <paramref name="folder"/> (read-write when <paramref name="forWrite"/>: -MarkAsRead,
        /// -MoveTo). Throws FolderNotFound (ErrorKind ObjectNotFound, target the path) when the folder does not exist.
        /// Returns the folder's path as the server names it, segments joined by '/' (e.g. "Inbox/Leverantörsfakturor").
        /// </summary>
        Task<string> OpenFolderAsync(FolderPath folder, bool forWrite, CancellationToken cancellationToken);

        /// <summary>
        /// The opened folder's messages that match <paramref name="query"/>, oldest first (by received time), at most
        /// query.First of them (the oldest ones). Listing must cost a few round trips, not one per message.
        /// </summary>
        Task<IReadOnlyList<MailSummary>> ListAsync(MailQuery query, CancellationToken cancellationToken);

        /// <summary>
        /// Writes the message's full MIME content (RFC 5322) to <paramref name="destination"/>, streaming: memory must not
        /// grow with the message's size. Throws MessageUnreadable (scope Message) when the server cannot give it.
        /// </summary>
        Task DownloadAsync(MailSummary message, Stream destination, CancellationToken cancellationToken);

        /// <summary>Sets the message's read flag (\Seen, isRead, IsRead, UnRead = false).</summary>
        Task MarkReadAsync(MailSummary message, CancellationToken cancellationToken);

        /// <summary>
        /// Makes sure the folder exists, creating it (and missing parents) when not; called once per call before the first
        /// move, never under -WhatIf. Returns the folder's path as the server names it.
        /// </summary>
        Task<string> EnsureFolderAsync(FolderPath folder, CancellationToken cancellationToken);

        /// <summary>Moves the message into <paramref name="folder"/> (prepared by EnsureFolderAsync).</summary>
        Task MoveAsync(MailSummary message, FolderPath folder, CancellationToken cancellationToken);
    }

    /// <summary>What to list.</summary>
    public sealed class MailQuery
    {
        /// <summary>Only messages received at or after this time.</summary>
        public DateTimeOffset? Since { get; set; }

        public bool UnreadOnly { get; set; }

        /// <summary>At most this many: the oldest ones that match.</summary>
        public int? First { get; set; }

        /// <summary>
        /// Only delivery reports (Get-G5DeliveryReport): a reader that can tell them from the listing (IMAP body structure,
        /// Exchange message class REPORT.*) may leave the others out; one that cannot lists everything with
        /// <see cref="MailSummary.IsDeliveryReport"/> null, and the run reads the MIME to tell.
        /// </summary>
        public bool DeliveryReportsOnly { get; set; }
    }

    /// <summary>A message as the listing describes it, before its content is read.</summary>
    public sealed class MailSummary
    {
        /// <summary>The server's id (IMAP "UIDVALIDITY:UID", Graph id, EWS ItemId, Outlook EntryID).</summary>
        public string RemoteId { get; set; } = string.Empty;

        /// <summary>Message-ID without angle brackets, when known.</summary>
        public string? MessageId { get; set; }

        public string? From { get; set; }
        public IReadOnlyList<string> To { get; set; } = Array.Empty<string>();
        public IReadOnlyList<string> Cc { get; set; } = Array.Empty<string>();
        public string? Subject { get; set; }
        public DateTimeOffset Received { get; set; }
        public long Size { get; set; }
        public bool IsRead { get; set; }
        public bool HasAttachments { get; set; }

        /// <summary>True or false when the listing tells (content type multipart/report, message class REPORT.*); null when unknown.</summary>
        public bool? IsDeliveryReport { get; set; }

        /// <summary>The attachments when the listing describes them (IMAP BODYSTRUCTURE): Name, ContentType, Size; else null.</summary>
        public IReadOnlyList<ReceivedAttachment>? Attachments { get; set; }

        /// <summary>Whatever the reader needs to find the message again (an IMAP UniqueId, an EWS ChangeKey, a COM item).</summary>
        public object? Handle { get; set; }
    }
}
