using System;
using System.Collections.Generic;

namespace G5Mail
{
    /// <summary>One message of the folder read: Receive-G5Mail's output, oldest first.</summary>
    public sealed class ReceivedMessage
    {
        /// <summary>The Message-ID header, without angle brackets.</summary>
        public string? MessageId { get; set; }

        public string? From { get; set; }
        public string[] To { get; set; } = Array.Empty<string>();
        public string[] Cc { get; set; } = Array.Empty<string>();
        public string? Subject { get; set; }

        /// <summary>When the mailbox received it (IMAP INTERNALDATE, Graph receivedDateTime, EWS DateTimeReceived).</summary>
        public DateTimeOffset Received { get; set; }

        /// <summary>The size in bytes as the server reports it.</summary>
        public long Size { get; set; }

        /// <summary>Read before this call (a -MarkAsRead of this call does not change it).</summary>
        public bool IsRead { get; set; }

        /// <summary>The folder's path as read (e.g. Inbox/Leverantörsfakturor); after -MoveTo, the folder it was moved to.</summary>
        public string? Folder { get; set; }

        /// <summary>The server's id of the message: IMAP UIDVALIDITY:UID, the Graph message id, the EWS ItemId, Outlook's EntryID.</summary>
        public string? RemoteId { get; set; }

        /// <summary>A delivery status notification (RFC 3464 multipart/report, RFC 6533, an Exchange NDR): see Get-G5DeliveryReport.</summary>
        public bool IsDeliveryReport { get; set; }

        /// <summary>True when the message has attachments (also when they were not listed: the MIME was not read).</summary>
        public bool HasAttachments { get; set; }

        public ReceivedAttachment[] Attachments { get; set; } = Array.Empty<ReceivedAttachment>();

        /// <summary>-IncludeBody: the text (or HTML) body.</summary>
        public string? Body { get; set; }

        public bool BodyIsHtml { get; set; }

        /// <summary>What this call did with it besides reading: MarkedAsRead, Moved, WhatIf; empty when nothing.</summary>
        public string[] Actions { get; set; } = Array.Empty<string>();

        public override string ToString() => $"{Received:yyyy-MM-dd HH:mm} {From}: {Subject}";
    }

    /// <summary>One attachment of a received message (a winmail.dat is listed as the attachments it carries).</summary>
    public sealed class ReceivedAttachment
    {
        /// <summary>The name as saved (safe for any file system); the name in the mail may have been changed to it.</summary>
        public string Name { get; set; } = string.Empty;

        /// <summary>The name the mail gave, when it differs from <see cref="Name"/>.</summary>
        public string? OriginalName { get; set; }

        public string ContentType { get; set; } = "application/octet-stream";

        /// <summary>Decoded bytes (as the server reports them when not saved).</summary>
        public long Size { get; set; }

        /// <summary>SHA-256 of the decoded content, lowercase hex; when the content was read.</summary>
        public string? Sha256 { get; set; }

        /// <summary>The full path of the saved file (-SaveAttachmentsTo).</summary>
        public string? Path { get; set; }

        public override string ToString() => Name;
    }
}
