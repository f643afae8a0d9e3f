using System;

namespace G5Mail
{
    /// <summary>
    /// The end-of-run summary of Send-G5Document, written as the MessageData of one Information record (tags G5Mail,
    /// Summary). Its text is one line for a scheduled task's log; the counts are here for scripts.
    /// </summary>
    public sealed class SendSummary
    {
        public int Sent { get; set; }
        public int Failed { get; set; }
        public int Skipped { get; set; }
        public int Uncertain { get; set; }
        public int WhatIf { get; set; }
        public int Draft { get; set; }

        /// <summary>Results written by the run (one per message, or per document kept back or rejected).</summary>
        public int Total { get; set; }

        public TimeSpan Duration { get; set; }

        /// <summary>The journal used (-JournalPath), or null.</summary>
        public string? JournalPath { get; set; }

        /// <summary>The run id this run wrote into the journal, or null without a journal.</summary>
        public string? RunId { get; set; }

        /// <summary>"Send-G5Document: 198 Sent, 2 Failed, 0 Skipped, 0 Uncertain in 12.3 s".</summary>
        public string Message { get; set; } = string.Empty;

        /// <summary>The line, so "$summary", Write-Host and 6>&amp;1 show it as it is.</summary>
        public override string ToString() => Message;
    }
}
