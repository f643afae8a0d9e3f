using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Smtp;
using G5Mail.TestSmtp;
using Xunit;
using Xunit.Abstractions;

namespace G5Mail.Core.Tests.Runs
{
    /// <summary>
    /// -ThrottleLimit: the whole send pipeline (SendRun.Deliver as the cmdlet drives it, DeliveryRetry, the real
    /// SmtpTransport over MailKit, the send journal) against the test SMTP server with faults armed, which can hold each
    /// message after its final dot for a while (a relay that scans mail) and counts how many it holds at once.
    /// </summary>
    public sealed class ThrottleTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();
        private readonly ITestOutputHelper _output;

        public ThrottleTests(ITestOutputHelper output)
        {
            _output = output;
        }

        public void Dispose() => _folder.Dispose();

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(4)]
        public void Messages_go_out_on_as_many_connections_at_once_as_the_limit_allows_and_no_more(int limit)
        {
            using var server = TestSmtpServer.Start();
            // After the first message (sent alone), each of the first `limit` messages is held until all of them have
            // arrived, then answered after 500 ms: if the run sends in parallel, all connections wait at once, however
            // slowly this machine opens them.
            int arrived = 0;
            server.ReplyDelay = m =>
            {
                if (!m.Recipients.Contains("kund0@example.se"))
                {
                    Interlocked.Increment(ref arrived);
                    SpinWait.SpinUntil(() => Volatile.Read(ref arrived) >= limit, TimeSpan.FromSeconds(30));
                }

                return TimeSpan.FromMilliseconds(500);
            };
            var log = new RecordingLog();

            (List<SendResult> outcomes, int transports) = Send(server, log, limit, RetryPolicy.None, null, Documents(2 * limit));

            Assert.All(outcomes, o => Assert.Equal(SendStatus.Sent, o.Status));
            Assert.Equal(limit, server.Sessions);
            Assert.Equal(limit, transports);
            // Every connection held a message at the same moment: they really were sent in parallel.
            Assert.Equal(limit, server.PeakWaiting);
            AssertEachArrivedOnce(server, outcomes.Where(o => o.Status == SendStatus.Sent));
        }

        [Fact]
        public void Outcomes_come_back_in_input_order_even_when_later_messages_finish_first()
        {
            using var server = TestSmtpServer.Start();
            // The first message goes out alone (until one message went through, the run tries one connection only); the
            // second is held until the six after it have gone out on the other three connections (waited for, not timed,
            // so a slow machine cannot reorder them).
            server.ReplyDelay = m =>
            {
                if (m.Recipients.Contains("kund1@example.se"))
                {
                    Assert.True(SpinWait.SpinUntil(() => server.Accepted.Count == 7, TimeSpan.FromSeconds(60)), "The other messages never all arrived.");
                }

                return TimeSpan.Zero;
            };
            var log = new RecordingLog();

            (List<SendResult> outcomes, _) = Send(server, log, 4, RetryPolicy.None, null, Documents(8));

            Assert.Equal(Enumerable.Range(0, 8).Select(i => "D" + i), outcomes.Select(o => o.DocumentIds.Single()));
            Assert.All(outcomes, o => Assert.Equal(SendStatus.Sent, o.Status));
            // The server took the second message last, so the order above is the window's doing, not the server's.
            Assert.Equal(outcomes[0].MessageId, server.Accepted.First().MessageId);
            Assert.Equal(outcomes[1].MessageId, server.Accepted.Last().MessageId);
        }

        [Fact]
        public void A_failure_on_one_connection_does_not_stop_the_others()
        {
            using var server = TestSmtpServer.Start();
            server.ReplyDelay = _ => TimeSpan.FromMilliseconds(50);
            server.Reply(FaultStage.RcptTo, 550); // permanent: one message fails for good
            server.Drop(FaultStage.MailFrom);     // transient: one connection dies, its message is retried on a new one
            var log = new RecordingLog();

            (List<SendResult> outcomes, _) = Send(server, log, 4, new RetryPolicy(3, TimeSpan.Zero), null, Documents(12));
            _output.WriteLine(string.Join(Environment.NewLine, server.Events));

            SendResult failed = Assert.Single(outcomes, o => o.Status != SendStatus.Sent);
            Assert.Equal(SendStatus.Failed, failed.Status);
            Assert.Equal(ErrorIds.InvalidAddress, failed.Exception!.ErrorId);
            Assert.Equal(11, outcomes.Count(o => o.Status == SendStatus.Sent));
            Assert.Equal(Enumerable.Range(0, 12).Select(i => "D" + i), outcomes.Select(o => o.DocumentIds.Single()));
            Assert.Single(log.Verbose, l => l.Contains("retry "));
            AssertEachArrivedOnce(server, outcomes.Where(o => o.Status == SendStatus.Sent));
            Assert.DoesNotContain(server.Accepted, m => m.MessageId == failed.MessageId);
        }

        [Fact]
        public void Retries_Uncertain_and_the_journal_with_several_connections_lose_nothing_and_repeat_nothing()
        {
            using var server = TestSmtpServer.Start();
            server.ReplyDelay = _ => TimeSpan.FromMilliseconds(50);
            server.Reply(FaultStage.MailFrom, 451, times: 2);
            server.Reply(FaultStage.Data, 421);
            server.Drop(FaultStage.EndOfData); // the server keeps that message and never replies: Uncertain
            string journalPath = Path.Combine(_folder.Path, "journal.jsonl");
            var log = new RecordingLog();
            DocumentRequest[] documents = Documents(12);

            List<SendResult> outcomes;
            using (SendJournal journal = SendJournal.Open(journalPath, log))
            {
                (outcomes, _) = Send(server, log, 4, new RetryPolicy(3, TimeSpan.Zero), journal, documents);
            }

            _output.WriteLine(string.Join(Environment.NewLine, server.Events));
            SendResult uncertain = Assert.Single(outcomes, o => o.Status != SendStatus.Sent);
            Assert.Equal(SendStatus.Uncertain, uncertain.Status);
            Assert.Equal(ErrorIds.DeliveryUncertain, uncertain.Exception!.ErrorId);
            Assert.Equal(3, log.Verbose.Count(l => l.Contains("retry ")));
            // Every message arrived exactly once, the Uncertain one included (the server kept it): nothing was resent.
            AssertEachArrivedOnce(server, outcomes);

            // The journal: one intent and one final record per document, each final record saying what the outcome said.
            List<JsonDocument> records = File.ReadAllLines(journalPath).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l)).ToList();
            try
            {
                Assert.Equal(24, records.Count);
                foreach (SendResult outcome in outcomes)
                {
                    string id = outcome.DocumentIds.Single();
                    string[] statuses = records
                        .Where(r => r.RootElement.GetProperty("documents").EnumerateArray().Single().GetProperty("id").GetString() == id)
                        .Select(r => r.RootElement.GetProperty("status").GetString()!)
                        .ToArray();
                    Assert.Equal(new[] { "Sending", outcome.Status.ToString() }, statuses);
                }
            }
            finally
            {
                records.ForEach(r => r.Dispose());
            }

            // A second run with the same journal sends nothing: eleven are already sent, one is Uncertain.
            int accepted = server.Accepted.Count;
            using (SendJournal journal = SendJournal.Open(journalPath, log))
            using (var run = NewRun(server, log, 4, RetryPolicy.None, journal))
            {
                foreach (DocumentRequest request in documents)
                {
                    Assert.Null(run.Collect(request));
                }

                RunPlan plan = run.Plan();
                Assert.Empty(plan.Messages);
                Assert.Equal(11, plan.KeptBack.Count(o => o.Status == SendStatus.Skipped && o.Reason == "AlreadySent"));
                Assert.Equal(uncertain.DocumentIds, Assert.Single(plan.KeptBack, o => o.Status == SendStatus.Uncertain).DocumentIds);
            }

            Assert.Equal(accepted, server.Accepted.Count);
        }

        [Fact]
        public void Cancelling_stops_every_connection_at_once_and_the_journal_keeps_their_intents()
        {
            using var server = TestSmtpServer.Start();
            // Far longer than the test: only a client that stops waiting ends these sends. The first message, which the
            // run sends alone before it opens more connections, goes through at once.
            server.ReplyDelay = m => m.Recipients.Contains("kund0@example.se") ? TimeSpan.Zero : TimeSpan.FromMinutes(5);
            string journalPath = Path.Combine(_folder.Path, "journal.jsonl");
            var log = new RecordingLog();
            DocumentRequest[] documents = Documents(8);
            using var cancel = new CancellationTokenSource();
            var emitted = new List<SendResult>();

            using (SendJournal journal = SendJournal.Open(journalPath, log))
            using (SendRun run = NewRun(server, log, 4, RetryPolicy.Default, journal))
            {
                foreach (DocumentRequest request in documents)
                {
                    Assert.Null(run.Collect(request));
                }

                RunPlan plan = run.Plan();
                Task sending = Task.Run(() =>
                {
                    var host = new RecordingHost();
                    try
                    {
                        run.Deliver(plan, host, cancel.Token);
                    }
                    finally
                    {
                        emitted.AddRange(host.Results);
                    }
                });

                // Cancel once all four connections hold a message (the run stopping on its own would be a bug too).
                Assert.True(SpinWait.SpinUntil(() => server.Waiting == 4 || sending.IsCompleted, TimeSpan.FromSeconds(60)), "Four messages never reached the server at once.");
                Assert.False(sending.IsCompleted);
                cancel.Cancel();
                Assert.ThrowsAny<OperationCanceledException>(() => sending.GetAwaiter().GetResult());
            }

            // The run ended while the server still held four: each connection stopped waiting for its reply.
            Assert.Equal("D0", Assert.Single(emitted).DocumentIds.Single());
            Assert.Equal(emitted[0].MessageId, Assert.Single(server.Accepted).MessageId);
            Assert.Equal(4, server.Sessions); // the last three messages were never started
            Assert.Equal(4, log.Warnings.Count(w => w.Contains("may or may not have been delivered")));

            // Four intents without a result: a later run reports those documents as Uncertain, skips the one sent and
            // sends only the other three.
            using (SendJournal journal = SendJournal.Open(journalPath, log))
            using (SendRun run = NewRun(server, log, 4, RetryPolicy.None, journal))
            {
                foreach (DocumentRequest request in documents)
                {
                    Assert.Null(run.Collect(request));
                }

                RunPlan plan = run.Plan();
                Assert.Equal(3, plan.Messages.Count);
                Assert.Equal(4, plan.KeptBack.Count(o => o.Status == SendStatus.Uncertain));
                Assert.Equal("D0", Assert.Single(plan.KeptBack, o => o.Status == SendStatus.Skipped).DocumentIds.Single());
            }
        }

        [Fact]
        public void Outlook_and_drafts_use_one_connection_whatever_the_limit()
        {
            Assert.Equal(4, new SendRunOptions(new SettingValues { Method = MailMethod.Smtp }) { ThrottleLimit = 4 }.ConnectionLimit);
            Assert.Equal(1, new SendRunOptions(new SettingValues { Method = MailMethod.Outlook }) { ThrottleLimit = 4 }.ConnectionLimit);
            Assert.Equal(1, new SendRunOptions(new SettingValues { Method = MailMethod.Smtp }) { ThrottleLimit = 4, DraftDirectory = _folder.Path }.ConnectionLimit);
            Assert.Throws<ArgumentOutOfRangeException>(() => new SendRunOptions(new SettingValues()) { ThrottleLimit = 0 });
            Assert.Throws<ArgumentOutOfRangeException>(() => new SendRunOptions(new SettingValues()) { ThrottleLimit = SendRunOptions.MaxThrottleLimit + 1 });
        }

        private static void AssertEachArrivedOnce(TestSmtpServer server, IEnumerable<SendResult> outcomes)
        {
            IReadOnlyList<AcceptedMessage> accepted = server.Accepted;
            Assert.All(accepted.GroupBy(m => m.MessageId), g => Assert.Single(g));
            foreach (SendResult outcome in outcomes)
            {
                Assert.Single(accepted, m => m.MessageId == outcome.MessageId);
            }
        }

        private DocumentRequest[] Documents(int count) => Enumerable.Range(0, count).Select(i => new DocumentRequest
        {
            Paths = new[] { _folder.RandomFile($"D{i}.pdf", 4096, seed: i) },
            To = new[] { $"kund{i}@example.se" },
            InputIndex = i,
        }).ToArray();

        private static SettingValues SettingsFor(TestSmtpServer server) => new SettingValues
        {
            Method = MailMethod.Smtp,
            Server = server.Host,
            Port = server.Port,
            From = "order@example.se",
        };

        private static SendRun NewRun(TestSmtpServer server, IRunLog log, int limit, RetryPolicy retry, SendJournal? journal) =>
            RunHarness.NewRun(SettingsFor(server), log, limit, retry, journal);

        private static (List<SendResult> Outcomes, int Transports) Send(TestSmtpServer server, IRunLog log, int limit, RetryPolicy retry,
            SendJournal? journal, DocumentRequest[] documents) => RunHarness.Send(SettingsFor(server), log, documents, limit, retry, journal);
    }
}
