using System;
using G5Mail.Core.Runs;

namespace G5Mail
{
    public enum SendStatus
    {
        Sent,
        Failed,
        Skipped,
        WhatIf,
        Draft,
        Uncertain,
    }

    /// <summary>
    /// What happened to one message (or to one document kept back or rejected): Send-G5Document's output, streamed as
    /// each message completes. Built only by <see cref="SendResults"/>.
    /// </summary>
    public sealed class SendResult
    {
        public SendStatus Status { get; set; }
        public string Method { get; set; } = string.Empty;
        public string? Server { get; set; }
        public string? MessageId { get; set; }
        public string? From { get; set; }
        public string[] To { get; set; } = Array.Empty<string>();
        public string[] Cc { get; set; } = Array.Empty<string>();
        public string[] Bcc { get; set; } = Array.Empty<string>();
        public string? Subject { get; set; }
        public string[] DocumentIds { get; set; } = Array.Empty<string>();

        /// <summary>The attached files' names.</summary>
        public string[] Attachments { get; set; } = Array.Empty<string>();

        public long AttachmentBytes { get; set; }
        public int Part { get; set; } = 1;
        public int PartCount { get; set; } = 1;
        public DateTimeOffset? SentAt { get; set; }
        public TimeSpan Duration { get; set; }

        /// <summary>Why the message was not sent; null when it was.</summary>
        public string? Error => Exception?.Message;

        /// <summary>The error id of <see cref="Error"/> (e.g. AuthenticationFailed), for scripts.</summary>
        public string? ErrorId => Exception?.ErrorId;

        /// <summary>A short word a script can branch on (see <see cref="SendReasons"/>): AlreadySent, Declined, NotAttempted, ...</summary>
        public string? Reason { get; set; }

        /// <summary>The file written instead of sending (Status Draft with -DraftDirectory).</summary>
        public string? Path { get; set; }

        /// <summary>The error behind <see cref="Error"/>, for the error record the cmdlet writes.</summary>
        internal G5MailErrorException? Exception { get; set; }

        /// <summary>The pipeline object the result belongs to: the error record's target.</summary>
        internal object? Source { get; set; }
    }
}

namespace G5Mail.Core.Runs
{
    /// <summary>The Reason values of results: short words a script can branch on.</summary>
    public static class SendReasons
    {
        /// <summary>Skipped: the journal says these documents were already sent to the same recipients with the same bytes.</summary>
        public const string AlreadySent = "AlreadySent";

        /// <summary>Uncertain: an earlier run could not tell whether the document was delivered; not sent again without -Force.</summary>
        public const string PreviouslyUncertain = "PreviouslyUncertain";

        /// <summary>Skipped: the user answered No at -Confirm.</summary>
        public const string Declined = "Declined";

        /// <summary>Failed without an attempt: an earlier message of the run found the account's credentials rejected.</summary>
        public const string NotAttempted = "NotAttempted";

        /// <summary>Failed without an attempt: an earlier message of the run used up its retries on a server that cannot be reached.</summary>
        public const string ServerUnavailable = "ServerUnavailable";
    }
}
