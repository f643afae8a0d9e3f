using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace G5Mail.Core.Delivery
{
    /// <summary>
    /// Counts the outcomes of one run by Status, for the one-line summary a scheduled task logs
    /// ("Send-G5Document: 198 Sent, 2 Failed, 0 Skipped, 0 Uncertain in 12.3 s").
    /// </summary>
    public sealed class SendRunSummary
    {
        /// <summary>Always in the line, even at 0, so a log can be searched for "0 Failed".</summary>
        private static readonly DeliveryStatus[] AlwaysShown = { DeliveryStatus.Sent, DeliveryStatus.Failed, DeliveryStatus.Skipped, DeliveryStatus.Uncertain };

        private readonly Dictionary<DeliveryStatus, int> _counts = new Dictionary<DeliveryStatus, int>();

        public void Add(MessageOutcome outcome)
        {
            if (outcome == null)
            {
                throw new ArgumentNullException(nameof(outcome));
            }

            _counts[outcome.Status] = Count(outcome.Status) + 1;
        }

        public int Count(DeliveryStatus status) => _counts.TryGetValue(status, out int count) ? count : 0;

        public int Total => _counts.Values.Sum();

        /// <summary>The line: the four main statuses always, WhatIf and Draft when there are any.</summary>
        public string Describe(string commandName, TimeSpan elapsed)
        {
            IEnumerable<DeliveryStatus> shown = AlwaysShown.Concat(
                new[] { DeliveryStatus.Draft, DeliveryStatus.WhatIf }.Where(s => Count(s) > 0));
            string counts = string.Join(", ", shown.Select(s => Count(s).ToString(CultureInfo.InvariantCulture) + " " + s));
            return string.Format(CultureInfo.InvariantCulture, "{0}: {1} in {2:0.0} s", commandName, counts, elapsed.TotalSeconds);
        }
    }
}
