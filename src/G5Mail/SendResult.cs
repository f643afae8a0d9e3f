using System;
using G5Mail.Core.Delivery;

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

    /// <summary>What happened to one message: one of these per planned message, streamed as each completes.</summary>
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
        public string[] Attachments { get; set; } = Array.Empty<string>();
        public long AttachmentBytes { get; set; }
        public int Part { get; set; }
        public int PartCount { get; set; }
        public DateTimeOffset? SentAt { get; set; }
        public TimeSpan Duration { get; set; }

        /// <summary>Why the message was not sent; null when it was.</summary>
        public string? Error { get; set; }

        /// <summary>The error id of <see cref="Error"/> (e.g. AuthenticationFailed), for scripts.</summary>
        public string? ErrorId { get; set; }

        /// <summary>Why a message was skipped (e.g. AlreadySent, Declined).</summary>
        public string? Reason { get; set; }

        /// <summary>The file written instead of sending (Status Draft).</summary>
        public string? Path { get; set; }

        internal static SendResult FromOutcome(MessageOutcome o)
        {
            return new SendResult
            {
                Status = (SendStatus)Enum.Parse(typeof(SendStatus), o.Status.ToString()),
                Method = o.Method,
                Server = o.Server,
                MessageId = o.MessageId,
                From = o.From,
                To = ToArray(o.To),
                Cc = ToArray(o.Cc),
                Bcc = ToArray(o.Bcc),
                Subject = o.Subject,
                DocumentIds = ToArray(o.DocumentIds),
                Attachments = ToArray(o.Attachments),
                AttachmentBytes = o.AttachmentBytes,
                Part = o.Part,
                PartCount = o.PartCount,
                SentAt = o.SentAt,
                Duration = o.Duration,
                Error = o.Error?.Message,
                ErrorId = o.Error?.ErrorId,
                Reason = o.Reason,
                Path = o.Path,
            };
        }

        private static string[] ToArray(System.Collections.Generic.IReadOnlyList<string> list)
        {
            var array = new string[list.Count];
            for (int i = 0; i < array.Length; i++)
            {
                array[i] = list[i];
            }

            return array;
        }
    }
}
