using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Tests.Runs;
using G5Mail.Core.Transports;
using G5Mail.Core.Transports.Smtp;
using G5Mail.TestSmtp;
using Xunit;
using Xunit.Abstractions;

namespace G5Mail.Core.Tests.Transports.Smtp
{
    /// <summary>
    /// The whole send pipeline (SendRun, DeliveryRetry, the real SmtpTransport over MailKit) against an SMTP server that
    /// drops the connection or answers with an error at one stage. Each scenario sends two documents; the fault hits the
    /// first one's first attempt(s). What the server accepted is compared with each result: a transient fault must end
    /// in exactly one delivery (Sent), a permanent one in none (Failed, not retried: a retry would have got through,
    /// since the fault strikes only once), and a drop after the final dot in Uncertain with the message delivered once
    /// and not sent again.
    /// </summary>
    public sealed class SmtpFaultScenarioTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();
        private readonly ITestOutputHelper _output;

        public SmtpFaultScenarioTests(ITestOutputHelper output)
        {
            _output = output;
        }

        public void Dispose() => _folder.Dispose();

        /// <summary>Stage, reply code (0 = drop), how many times, expected status of the first document, its error id.</summary>
        public static TheoryData<FaultStage, int, int, SendStatus, string?> Scenarios() => new TheoryData<FaultStage, int, int, SendStatus, string?>
        {
            { FaultStage.Connect, 0, 2, SendStatus.Sent, null },
            { FaultStage.Ehlo, 0, 1, SendStatus.Sent, null },
            { FaultStage.MailFrom, 0, 1, SendStatus.Sent, null },
            { FaultStage.RcptTo, 0, 1, SendStatus.Sent, null },
            { FaultStage.MidData, 0, 1, SendStatus.Sent, null },
            { FaultStage.EndOfData, 0, 1, SendStatus.Uncertain, ErrorIds.DeliveryUncertain },
            { FaultStage.Connect, 421, 2, SendStatus.Sent, null },
            { FaultStage.MailFrom, 421, 1, SendStatus.Sent, null },
            { FaultStage.MailFrom, 450, 1, SendStatus.Sent, null },
            { FaultStage.MailFrom, 451, 1, SendStatus.Sent, null },
            { FaultStage.RcptTo, 452, 3, SendStatus.Sent, null },
            { FaultStage.Data, 451, 1, SendStatus.Sent, null },
            { FaultStage.EndOfData, 451, 2, SendStatus.Sent, null },
            { FaultStage.EndOfData, 452, 1, SendStatus.Sent, null },
            { FaultStage.RcptTo, 550, 1, SendStatus.Failed, ErrorIds.InvalidAddress },
            { FaultStage.EndOfData, 552, 1, SendStatus.Failed, ErrorIds.MessageTooLarge },
            { FaultStage.EndOfData, 554, 1, SendStatus.Failed, ErrorIds.SendFailed },
            { FaultStage.MailFrom, 554, 1, SendStatus.Failed, ErrorIds.SendFailed },
        };

        [Theory]
        [MemberData(nameof(Scenarios))]
        public void Each_fault_ends_in_the_right_status_and_nothing_arrives_twice(FaultStage stage, int code, int times, SendStatus expected, string? errorId)
        {
            using var server = TestSmtpServer.Start();
            if (code == 0)
            {
                server.Drop(stage, times);
            }
            else
            {
                server.Reply(stage, code, times);
            }

            // Mid-DATA: a message much larger than the socket buffers, so the drop lands before the final dot is written.
            int pdfBytes = stage == FaultStage.MidData ? 12 * 1_048_576 : 2048;
            var log = new RecordingLog();
            List<SendResult> outcomes = Send(server, log, new RetryPolicy(3, TimeSpan.Zero), ("1001", pdfBytes), ("1002", 2048));
            string events = string.Join(Environment.NewLine, server.Events);
            _output.WriteLine(events);
            _output.WriteLine(string.Join(Environment.NewLine, log.Verbose));

            SendResult first = outcomes[0];
            Assert.True(expected == first.Status, $"Expected {expected}, got {first.Status} ({first.Error}).{Environment.NewLine}{events}");
            Assert.Equal(errorId, first.Exception?.ErrorId);
            Assert.Equal(SendStatus.Sent, outcomes[1].Status);

            // What arrived: each Message-Id at most once; the first document once unless it failed for good.
            IReadOnlyList<AcceptedMessage> accepted = server.Accepted;
            Assert.All(accepted.GroupBy(m => m.MessageId), g => Assert.Single(g));
            Assert.Equal(expected == SendStatus.Failed ? 0 : 1, accepted.Count(m => m.MessageId == first.MessageId));
            Assert.Single(accepted, m => m.MessageId == outcomes[1].MessageId);

            int retries = log.Verbose.Count(l => l.Contains("retry "));
            if (expected == SendStatus.Sent)
            {
                Assert.Equal(times, retries);
            }
            else
            {
                Assert.Equal(0, retries);
            }

            if (expected == SendStatus.Uncertain)
            {
                Assert.Contains("may or may not have", first.Exception!.Message);
                Assert.Contains("-JournalPath", first.Exception.Message);
                Assert.Contains(first.MessageId!, first.Exception.Message);
                Assert.False(accepted.Single(m => m.MessageId == first.MessageId).Replied);
            }
        }

        [Fact]
        public void A_fault_that_outlasts_the_retries_fails_the_message_once_and_the_rest_still_go()
        {
            using var server = TestSmtpServer.Start();
            server.Reply(FaultStage.RcptTo, 451, times: 3);
            var log = new RecordingLog();

            List<SendResult> outcomes = Send(server, log, new RetryPolicy(2, TimeSpan.Zero), ("1001", 1024), ("1002", 1024));

            Assert.Equal(SendStatus.Failed, outcomes[0].Status);
            Assert.Equal(ErrorIds.SendFailed, outcomes[0].Exception!.ErrorId);
            Assert.Contains("tried 3 times", outcomes[0].Exception!.Message);
            Assert.Equal(SendStatus.Sent, outcomes[1].Status);
            Assert.Equal(new[] { outcomes[1].MessageId }, server.Accepted.Select(m => m.MessageId));
            Assert.Equal(2, log.Verbose.Count(l => l.Contains("retry ")));
        }

        [Fact]
        public void Retries_reconnect_and_say_why_in_the_log()
        {
            using var server = TestSmtpServer.Start();
            server.Reply(FaultStage.MailFrom, 451);
            var log = new RecordingLog();

            List<SendResult> outcomes = Send(server, log, new RetryPolicy(3, TimeSpan.Zero), ("1001", 1024));

            Assert.Equal(SendStatus.Sent, outcomes[0].Status);
            Assert.Equal(2, server.Sessions);
            string retry = Assert.Single(log.Verbose, l => l.Contains("retry "));
            Assert.Matches(@"retry 1 of 3 in 0\.0 s after 451 4\.3\.0 Fault injected at MailFrom\.$", retry);
        }

        private List<SendResult> Send(TestSmtpServer server, IRunLog log, RetryPolicy retry, params (string Id, int Bytes)[] documents)
        {
            var settings = new SettingValues
            {
                Method = MailMethod.Smtp,
                Server = server.Host,
                Port = server.Port,
                From = "order@example.se",
            };
            var options = new SendRunOptions(settings) { Retry = retry };
            using var run = new SendRun(options, () => TransportFactory.Create(settings, log), log);
            int index = 0;
            foreach ((string id, int bytes) in documents)
            {
                string pdf = _folder.RandomFile(id + ".pdf", bytes, seed: index);
                Assert.Null(run.Collect(new DocumentRequest { Paths = new[] { pdf }, To = new[] { $"kund{index}@example.se" }, InputIndex = index++ }));
            }

            return run.Plan().Messages.Select(p => run.SendAsync(p, CancellationToken.None).GetAwaiter().GetResult()).ToList();
        }
    }
}
