using System;
using System.Collections.Generic;
using System.Threading;
using G5Mail.Core.Documents;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using Xunit;

namespace G5Mail.Core.Tests.Runs
{
    /// <summary>Runs documents through the engine the way Send-G5Document does: Collect, Plan, Deliver to a recording host.</summary>
    internal static class RunHarness
    {
        public static SendRun NewRun(SettingValues settings, IRunLog log, int throttleLimit, RetryPolicy retry, SendJournal? journal)
        {
            var options = new SendRunOptions(settings) { Retry = retry, ThrottleLimit = throttleLimit, Journal = journal };
            return new SendRun(options, TransportFactory.CreateFactory(settings, log), log);
        }

        /// <summary>The results in the order they were written, and how many connections (transports) the run opened.</summary>
        public static (List<SendResult> Outcomes, int Transports) Send(SettingValues settings, IRunLog log, DocumentRequest[] documents,
            int throttleLimit, RetryPolicy retry, SendJournal? journal = null)
        {
            using SendRun run = NewRun(settings, log, throttleLimit, retry, journal);
            foreach (DocumentRequest request in documents)
            {
                Assert.Null(run.Collect(request));
            }

            var host = new RecordingHost();
            run.Deliver(run.Plan(), host, CancellationToken.None);
            return (host.Results, run.TransportCount);
        }
    }

    /// <summary>
    /// A run's host as a test sees it: records every result, answers ShouldProcess with <see cref="Confirm"/>, and checks
    /// that every call comes on the thread that created it (the pipeline thread, for the cmdlet).
    /// </summary>
    internal sealed class RecordingHost : IRunHost<SendResult>
    {
        private readonly int _thread = Environment.CurrentManagedThreadId;

        public bool Confirm { get; set; } = true;

        public List<SendResult> Results { get; } = new List<SendResult>();

        public List<string> Targets { get; } = new List<string>();

        public int IdleCalls { get; private set; }

        public bool ShouldProcess(string target, string action)
        {
            Assert.Equal(_thread, Environment.CurrentManagedThreadId);
            Targets.Add(target);
            return Confirm;
        }

        public void Write(SendResult result)
        {
            Assert.Equal(_thread, Environment.CurrentManagedThreadId);
            lock (Results)
            {
                Results.Add(result);
            }
        }

        public void Idle(RunProgress progress)
        {
            Assert.Equal(_thread, Environment.CurrentManagedThreadId);
            IdleCalls++;
        }
    }
}
