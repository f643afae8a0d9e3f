using System;
using System.Collections.Generic;
using System.Threading;
using G5Mail.Core.Delivery;
using G5Mail.Core.Sending;
using G5Mail.Core.Settings;
using G5Mail.Core.Transport;
using Xunit;

namespace G5Mail.Core.Tests.Delivery
{
    /// <summary>Runs documents through the engine the way Send-G5Document does: a SendRun with real transports, sent through a SendWindow.</summary>
    internal static class RunHarness
    {
        public static SendRun NewRun(MailSettings settings, IRunLog log, int throttleLimit, RetryPolicy retry, SendJournal? journal)
        {
            var options = new SendRunOptions(settings) { Retry = retry, ThrottleLimit = throttleLimit, Journal = journal };
            return new SendRun(options, TransportFactory.CreateFactory(settings, log), log);
        }

        /// <summary>The outcomes in the order they were handed out, and how many connections (transports) the run opened.</summary>
        public static (List<MessageOutcome> Outcomes, int Transports) Send(MailSettings settings, IRunLog log, DocumentRequest[] documents,
            int throttleLimit, RetryPolicy retry, SendJournal? journal = null)
        {
            using SendRun run = NewRun(settings, log, throttleLimit, retry, journal);
            foreach (DocumentRequest request in documents)
            {
                Assert.Null(run.Add(request));
            }

            var outcomes = new List<MessageOutcome>();
            int caller = Environment.CurrentManagedThreadId;
            using (var window = new SendWindow(run))
            {
                window.Run(run.Plan(), _ => null, (_, outcome) =>
                {
                    // Output happens on the caller's (the pipeline's) thread only.
                    Assert.Equal(caller, Environment.CurrentManagedThreadId);
                    outcomes.Add(outcome);
                }, () => { }, TimeSpan.FromMilliseconds(50), CancellationToken.None);
            }

            return (outcomes, run.TransportCount);
        }
    }
}
