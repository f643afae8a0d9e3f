using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;

namespace G5Mail
{
    /// <summary>A short word a script can branch on, from a delivery report's Status (RFC 3463) and Action.</summary>
    public enum DeliveryReason
    {
        /// <summary>5.1.1, 5.1.10 and the like: the mailbox does not exist.</summary>
        MailboxUnknown,

        /// <summary>5.1.2, 5.4.4: the domain does not exist or has no mail server.</summary>
        DomainUnknown,

        /// <summary>x.2.2: the mailbox is full.</summary>
        MailboxFull,

        /// <summary>x.2.3, x.3.4: the message is larger than the receiving system takes.</summary>
        MessageTooLarge,

        /// <summary>x.7.x (policy, spam, authentication) and other refusals.</summary>
        Rejected,

        /// <summary>Action delayed: the sending server is still trying.</summary>
        Delayed,

        /// <summary>Delivered, relayed or expanded (success reports), or a status without a more specific word.</summary>
        Other,
    }

    /// <summary>
    /// One recipient of one sent document message, as a delivery status notification reports it: Get-G5DeliveryReport's
    /// output, matched with the send journal.
    /// </summary>
    public sealed class DeliveryReport
    {
        /// <summary>
        /// The documents of the message the report is about (from the send journal); empty when unmatched. A list that
        /// reads as "1001, 1002" where PowerShell turns it into text (Export-Csv, "$x"), so the nightly
        /// <c>Get-G5DeliveryReport | Export-Csv</c> keeps the ids instead of writing System.String[].
        /// </summary>
        public DocumentIdList DocumentIds { get; set; } = DocumentIdList.Empty;

        /// <summary>Final-Recipient (or Original-Recipient) of the report.</summary>
        public string? Recipient { get; set; }

        /// <summary>RFC 3464 Action, lowercase: failed, delayed, delivered, relayed, expanded.</summary>
        public string? Action { get; set; }

        /// <summary>RFC 3463 status code, e.g. 5.1.1.</summary>
        public string? Status { get; set; }

        /// <summary>Diagnostic-Code, without its type (smtp;).</summary>
        public string? Diagnostic { get; set; }

        public DeliveryReason Reason { get; set; }

        /// <summary>The Message-ID of the message that bounced, without angle brackets.</summary>
        public string? MessageId { get; set; }

        /// <summary>The sent message's subject (from the journal, else the returned headers).</summary>
        public string? Subject { get; set; }

        /// <summary>When the journal recorded the message as sent.</summary>
        public DateTimeOffset? SentAt { get; set; }

        /// <summary>When the report arrived in the mailbox.</summary>
        public DateTimeOffset ReportedAt { get; set; }

        /// <summary>The report message's own id in the mailbox (as ReceivedMessage.RemoteId).</summary>
        public string? ReportRemoteId { get; set; }

        /// <summary>True when the journal knows the message (DocumentIds filled).</summary>
        public bool Matched { get; set; }

        public override string ToString() => $"{Recipient} {Action} {Status} ({DocumentIds})";
    }

    /// <summary>Document ids as a read-only list (indexing, Count, -contains, JSON arrays) whose text is the ids joined by ", ".</summary>
    public sealed class DocumentIdList : ReadOnlyCollection<string>
    {
        public DocumentIdList(IEnumerable<string> ids)
            : base((ids ?? throw new ArgumentNullException(nameof(ids))).ToList())
        {
        }

        public static DocumentIdList Empty { get; } = new DocumentIdList(Array.Empty<string>());

        public override string ToString() => string.Join(", ", this);
    }
}
