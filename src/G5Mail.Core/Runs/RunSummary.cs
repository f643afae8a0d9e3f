using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using G5Mail.Core.Runs;

namespace G5Mail.Core.Runs
{
    /// <summary>
    /// Counts a run's results by status, for the one-line summary a scheduled task logs ("Send-G5Document: 198 Sent,
    /// 2 Failed, 0 Skipped, 0 Uncertain in 12.3 s"). Generic over the status enum, so the calendar run counts its own.
    /// </summary>
    public sealed class RunSummary<TStatus>
        where TStatus : struct, Enum
    {
        private readonly TStatus[] _alwaysShown;
        private readonly Dictionary<TStatus, int> _counts = new Dictionary<TStatus, int>();

        /// <param name="alwaysShown">Statuses in the line even at 0, so a log can be searched for "0 Failed"; the others appear when counted.</param>
        public RunSummary(params TStatus[] alwaysShown)
        {
            _alwaysShown = alwaysShown;
        }

        public void Add(TStatus status) => _counts[status] = Count(status) + 1;

        public int Count(TStatus status) => _counts.TryGetValue(status, out int count) ? count : 0;

        public int Total => _counts.Values.Sum();

        public string Describe(string commandName, TimeSpan elapsed)
        {
            IEnumerable<TStatus> shown = _alwaysShown.Concat(
                ((TStatus[])Enum.GetValues(typeof(TStatus))).Where(s => !_alwaysShown.Contains(s) && Count(s) > 0));
            string counts = string.Join(", ", shown.Select(s => Count(s).ToString(CultureInfo.InvariantCulture) + " " + s));
            return string.Format(CultureInfo.InvariantCulture, "{0}: {1} in {2:0.0} s", commandName, counts, elapsed.TotalSeconds);
        }
    }
}

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

        internal static SendSummary From(RunSummary<SendStatus> counts, string commandName, TimeSpan elapsed, SendJournal? journal) =>
            new SendSummary
            {
                Sent = counts.Count(SendStatus.Sent),
                Failed = counts.Count(SendStatus.Failed),
                Skipped = counts.Count(SendStatus.Skipped),
                Uncertain = counts.Count(SendStatus.Uncertain),
                WhatIf = counts.Count(SendStatus.WhatIf),
                Draft = counts.Count(SendStatus.Draft),
                Total = counts.Total,
                Duration = elapsed,
                JournalPath = journal?.Path,
                RunId = journal != null && !journal.IsReadOnly ? journal.RunId : null,
                Message = counts.Describe(commandName, elapsed),
            };
    }
}
