using System;
using System.IO;
using System.Linq;
using System.Threading;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using Xunit;

namespace G5Mail.Core.Tests.Runs
{
    /// <summary>
    /// The run's steps as the cmdlet drives them (Collect, Plan, Deliver, Report), with a transport factory that fails the
    /// test if it is ever called: what -WhatIf and -Confirm decide, in which order results are written, what is counted.
    /// </summary>
    public sealed class SendRunTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        private static readonly Func<IMessageTransport> NoTransport = () => throw new InvalidOperationException("No message may be sent.");

        private SendRun NewRun(bool whatIf) =>
            new SendRun(new SendRunOptions(new SettingValues { Method = MailMethod.Smtp, Server = "mail.example.se", From = "order@example.se" }) { WhatIf = whatIf },
                NoTransport, NullRunLog.Instance);

        private DocumentRequest Doc(string id, int index, string to = "kund@example.se") => new DocumentRequest
        {
            Paths = new[] { _folder.RandomFile(Path.Combine("in", id + ".pdf"), 1000, 1000) },
            To = new[] { to },
            InputIndex = index,
        };

        [Fact]
        public void A_WhatIf_run_asks_ShouldProcess_per_message_and_reports_WhatIf_without_a_transport()
        {
            using SendRun run = NewRun(whatIf: true);
            Assert.Null(run.Collect(Doc("1001", 0)));
            Assert.Null(run.Collect(Doc("1002", 1)));
            var host = new RecordingHost { Confirm = false };
            run.Deliver(run.Plan(), host, CancellationToken.None);

            Assert.Equal(new[] { "kund@example.se: 1001", "kund@example.se: 1002" }, host.Targets);
            Assert.All(host.Results, r => Assert.Equal(SendStatus.WhatIf, r.Status));
            Assert.All(host.Results, r => Assert.Null(r.Reason));
            Assert.Equal(new[] { "1001", "1002" }, host.Results.Select(r => r.DocumentIds.Single()));
            Assert.Equal(0, run.TransportCount);
            Assert.Equal(2, run.Report("Send-G5Document", TimeSpan.Zero).WhatIf);
        }

        [Fact]
        public void A_message_declined_at_Confirm_is_Skipped_with_Reason_Declined()
        {
            using SendRun run = NewRun(whatIf: false);
            Assert.Null(run.Collect(Doc("1001", 0)));
            var host = new RecordingHost { Confirm = false };
            run.Deliver(run.Plan(), host, CancellationToken.None);

            SendResult declined = Assert.Single(host.Results);
            Assert.Equal(SendStatus.Skipped, declined.Status);
            Assert.Equal(SendReasons.Declined, declined.Reason);
            Assert.Equal("order@example.se", declined.From);
            Assert.Equal(0, run.TransportCount);
        }

        [Fact]
        public void A_rejected_item_is_a_Failed_result_at_once_and_counts_in_the_report()
        {
            using SendRun run = NewRun(whatIf: true);
            SendResult? rejected = run.Collect(new DocumentRequest { Paths = new[] { Path.Combine(_folder.Path, "missing.pdf") }, To = new[] { "kund@example.se" } });
            Assert.NotNull(rejected);
            Assert.Equal(SendStatus.Failed, rejected!.Status);
            Assert.Equal(ErrorIds.FileNotFound, rejected.ErrorId);
            Assert.Equal(rejected.Exception!.Message, rejected.Error);

            Assert.Null(run.Collect(Doc("1002", 1)));
            var host = new RecordingHost { Confirm = false };
            run.Deliver(run.Plan(), host, CancellationToken.None);
            SendSummary summary = run.Report("Send-G5Document", TimeSpan.FromSeconds(1));
            Assert.Equal(1, summary.Failed);
            Assert.Equal(1, summary.WhatIf);
            Assert.Equal(2, summary.Total);
            Assert.Equal("Send-G5Document: 0 Sent, 1 Failed, 0 Skipped, 0 Uncertain, 1 WhatIf in 1.0 s", summary.Message);
        }
    }
}
