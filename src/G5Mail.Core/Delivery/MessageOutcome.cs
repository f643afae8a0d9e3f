using System;
using System.Collections.Generic;

namespace G5Mail.Core.Delivery
{
    public enum DeliveryStatus
    {
        Sent,
        Failed,
        Skipped,
        WhatIf,
        Draft,
        Uncertain,
    }

    /// <summary>The Reason values of results: short words a script can branch on.</summary>
    public static class OutcomeReasons
    {
        /// <summary>Skipped: the journal says these documents were already sent to the same recipients with the same bytes.</summary>
        public const string AlreadySent = "AlreadySent";

        /// <summary>Skipped: the user answered No at -Confirm.</summary>
        public const string Declined = "Declined";

        /// <summary>Failed without an attempt: an earlier message of the run found the account's credentials rejected.</summary>
        public const string NotAttempted = "NotAttempted";

        /// <summary>Failed without an attempt: an earlier message of the run used up its retries on a server that cannot be reached.</summary>
        public const string ServerUnavailable = "ServerUnavailable";
    }

    /// <summary>What happened to one planned message (or to one rejected input item).</summary>
    public sealed class MessageOutcome
    {
        public DeliveryStatus Status { get; set; }
        public string Method { get; set; } = string.Empty;
        public string? Server { get; set; }
        public string? MessageId { get; set; }
        public string? From { get; set; }
        public IReadOnlyList<string> To { get; set; } = Array.Empty<string>();
        public IReadOnlyList<string> Cc { get; set; } = Array.Empty<string>();
        public IReadOnlyList<string> Bcc { get; set; } = Array.Empty<string>();
        public string? Subject { get; set; }
        public IReadOnlyList<string> DocumentIds { get; set; } = Array.Empty<string>();
        public IReadOnlyList<string> Attachments { get; set; } = Array.Empty<string>();
        public long AttachmentBytes { get; set; }
        public int Part { get; set; } = 1;
        public int PartCount { get; set; } = 1;
        public DateTimeOffset? SentAt { get; set; }
        public TimeSpan Duration { get; set; }

        /// <summary>The reason a message was not sent; null when it was.</summary>
        public G5MailException? Error { get; set; }

        /// <summary>A short machine-readable reason for Skipped (e.g. AlreadySent, Declined).</summary>
        public string? Reason { get; set; }

        /// <summary>File written instead of sending (Draft).</summary>
        public string? Path { get; set; }

        /// <summary>The pipeline object the outcome belongs to, for error records.</summary>
        public object? Source { get; set; }
    }
}
