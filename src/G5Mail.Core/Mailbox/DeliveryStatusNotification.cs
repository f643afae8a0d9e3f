using System;
using System.Collections.Generic;

namespace G5Mail.Core.Mailbox
{
    /// <summary>
    /// A delivery status notification as <see cref="DeliveryStatusReader"/> read it: the per-message fields G5Mail uses,
    /// what it could learn of the message the report is about, and one <see cref="RecipientStatus"/> per recipient.
    /// </summary>
    public sealed class DeliveryStatusNotification
    {
        public DeliveryStatusNotification(string format, IReadOnlyList<RecipientStatus> recipients)
        {
            Format = format ?? throw new ArgumentNullException(nameof(format));
            Recipients = recipients ?? throw new ArgumentNullException(nameof(recipients));
        }

        /// <summary>The status part's type: message/delivery-status (RFC 3464) or message/global-delivery-status (RFC 6533).</summary>
        public string Format { get; }

        /// <summary>Reporting-MTA, without its type (dns;).</summary>
        public string? ReportingMta { get; set; }

        /// <summary>Original-Envelope-Id: the ENVID the sender gave in MAIL FROM (RFC 3461), when it gave one.</summary>
        public string? OriginalEnvelopeId { get; set; }

        /// <summary>
        /// The ids the message the report is about may have, most trustworthy first, each without angle brackets: the
        /// Message-ID of the returned message or headers, Gmail's per-message X-Original-Message-ID, the report's own
        /// In-Reply-To, the Original-Envelope-Id. The first one the send journal knows is the message's.
        /// </summary>
        public IReadOnlyList<string> OriginalMessageIds { get; set; } = Array.Empty<string>();

        /// <summary>The Subject of the returned message or headers, when they came back.</summary>
        public string? OriginalSubject { get; set; }

        /// <summary>The recipients the report is about, in the report's order (never empty).</summary>
        public IReadOnlyList<RecipientStatus> Recipients { get; }
    }

    /// <summary>One per-recipient field group of a delivery status notification (RFC 3464 2.3).</summary>
    public sealed class RecipientStatus
    {
        /// <summary>Final-Recipient's address (Original-Recipient's when Final-Recipient is missing), without its type.</summary>
        public string Recipient { get; set; } = string.Empty;

        /// <summary>Original-Recipient's address, when the report has one.</summary>
        public string? OriginalRecipient { get; set; }

        /// <summary>failed, delayed, delivered, relayed or expanded (lower case).</summary>
        public string Action { get; set; } = string.Empty;

        /// <summary>class.subject.detail (RFC 3463), e.g. 5.1.1, without the comment some servers add.</summary>
        public string Status { get; set; } = string.Empty;

        /// <summary>Diagnostic-Code without its type (smtp;, X-Postfix;), folded lines joined.</summary>
        public string? Diagnostic { get; set; }

        /// <summary>Remote-MTA without its type (dns;).</summary>
        public string? RemoteMta { get; set; }

        public DateTimeOffset? LastAttemptDate { get; set; }

        public DeliveryReason Reason { get; set; }
    }
}
