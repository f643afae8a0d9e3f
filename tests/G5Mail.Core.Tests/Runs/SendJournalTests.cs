using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using Xunit;

namespace G5Mail.Core.Tests.Runs
{
    /// <summary>
    /// The send journal through the real pipeline (SendRun: collect, screen, plan, compose, record). The transport is
    /// a recording one that serialises each message to MIME as a mail server would receive it: what is under test is
    /// which messages reach a transport and what the journal says, not SMTP (the Pester tests do that with smtp4dev).
    /// </summary>
    public sealed class SendJournalTests : IDisposable
    {
        private const string Password = "Hemligt-L0senord!";
        private const string BodyText = "Tack för din beställning, hälsningar Ölbryggeriet";

        private readonly TempFolder _folder = new TempFolder();
        private readonly string _journalPath;

        public SendJournalTests()
        {
            _journalPath = Path.Combine(_folder.Path, "journal", "nightly.jsonl");
        }

        public void Dispose() => _folder.Dispose();

        [Fact]
        public void Records_round_trip_with_an_intent_before_each_result()
        {
            string pdf = Pdf("1001", 1000);
            Pdf("1002", 700);
            string xml = _folder.File(Path.Combine("in", "1001.xml"), "<Faktura nr=\"1001\">Åhus</Faktura>");
            var transport = new RecordingTransport();
            var log = new ListLog();

            List<SendResult> outcomes = Run(transport, log, false, false,
                new DocumentRequest { Paths = new[] { pdf, xml }, To = new[] { "Åhus Trä <inkop@ahustra.example>" }, Cc = new[] { "ekonomi@ahustra.example" }, Bcc = new[] { "arkiv@example.se" } },
                Request("1002", "kund@example.se", index: 1));

            Assert.All(outcomes, o => Assert.Equal(SendStatus.Sent, o.Status));
            string[] lines = File.ReadAllLines(_journalPath);
            Assert.Equal(4, lines.Length);
            using (JsonDocument intent = JsonDocument.Parse(lines[0]))
            using (JsonDocument sent = JsonDocument.Parse(lines[1]))
            {
                JsonElement i = intent.RootElement;
                JsonElement s = sent.RootElement;
                Assert.Equal("Sending", i.GetProperty("status").GetString());
                Assert.Equal("Sent", s.GetProperty("status").GetString());
                Assert.Equal(i.GetProperty("run").GetString(), s.GetProperty("run").GetString());
                Assert.Equal(transport.Sent[0].MessageId, s.GetProperty("messageId").GetString());
                Assert.Equal(new[] { "\"Åhus Trä\" <inkop@ahustra.example>" }, s.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
                Assert.Equal(new[] { "ekonomi@ahustra.example" }, s.GetProperty("cc").EnumerateArray().Select(e => e.GetString()));
                Assert.Equal(new[] { "arkiv@example.se" }, s.GetProperty("bcc").EnumerateArray().Select(e => e.GetString()));
                Assert.Equal("arkiv@example.se;ekonomi@ahustra.example;inkop@ahustra.example", s.GetProperty("recipientKey").GetString());
                Assert.Equal(1, s.GetProperty("part").GetInt32());
                Assert.Equal(1, s.GetProperty("partCount").GetInt32());
                JsonElement document = s.GetProperty("documents").EnumerateArray().Single();
                Assert.Equal("1001", document.GetProperty("id").GetString());
                JsonElement[] files = document.GetProperty("files").EnumerateArray().ToArray();
                Assert.Equal(new[] { "1001.pdf", "1001.xml" }, files.Select(f => f.GetProperty("name").GetString()));
                Assert.Equal(Sha256(pdf), files[0].GetProperty("sha256").GetString());
                Assert.Equal(Sha256(xml), files[1].GetProperty("sha256").GetString());
                Assert.Equal(new FileInfo(xml).Length, files[1].GetProperty("bytes").GetInt64());
                Assert.True(DateTimeOffset.TryParse(s.GetProperty("time").GetString(), out _));
                Assert.False(i.TryGetProperty("durationMs", out _));
                Assert.True(s.TryGetProperty("durationMs", out _));
            }

            using (SendJournal journal = SendJournal.Open(_journalPath, log))
            {
                Assert.Equal(4, journal.RecordCount);
                Assert.Equal(2, journal.DocumentCount);
                Assert.Empty(journal.IgnoredLines);
                JournalEntry? entry = journal.Find(Fingerprint(journal, new DocumentRequest { Paths = new[] { pdf, xml }, To = new[] { "inkop@ahustra.example", "EKONOMI@ahustra.example;arkiv@example.se" } }));
                Assert.NotNull(entry);
                Assert.Equal(JournalStatus.Sent, entry!.Status);
                Assert.Equal(2, entry.Line);
                Assert.Equal(transport.Sent[0].MessageId, entry.Record.MessageId);
            }
        }

        [Fact]
        public void Same_content_to_the_same_recipients_is_skipped_without_touching_the_transport()
        {
            string pdf = Pdf("2001", 500);
            Run(new RecordingTransport(), new ListLog(), false, false, Request("2001", "kund@example.se", pdf));
            long before = new FileInfo(_journalPath).Length;

            // Recipients in another case and role, the file renamed: still the same document.
            string renamed = _folder.File(Path.Combine("other", "Faktura 2001.pdf"), File.ReadAllBytes(pdf));
            var created = 0;
            List<SendResult> again = Run(() => { created++; return new RecordingTransport(); }, new ListLog(), false, false,
                new DocumentRequest { Paths = new[] { renamed }, DocumentId = "2001", Cc = new[] { "KUND@Example.se" } });

            SendResult skipped = Assert.Single(again);
            Assert.Equal(SendStatus.Skipped, skipped.Status);
            Assert.Equal(SendReasons.AlreadySent, skipped.Reason);
            Assert.NotNull(skipped.MessageId);
            Assert.NotNull(skipped.SentAt);
            Assert.Null(skipped.Error);
            Assert.Equal(0, created);
            Assert.Equal(before, new FileInfo(_journalPath).Length);
        }

        [Fact]
        public void Changed_attachment_bytes_or_other_recipients_are_sent_again()
        {
            string pdf = Pdf("3001", 500);
            Pdf("3002", 600);
            Run(new RecordingTransport(), new ListLog(), false, false, Request("3001", "kund@example.se"), Request("3002", "kund@example.se", index: 1));

            // 3001: one byte changed; 3002: the same bytes, but a Cc added.
            byte[] bytes = File.ReadAllBytes(pdf);
            bytes[bytes.Length / 2] ^= 0x01;
            File.WriteAllBytes(pdf, bytes);
            var transport = new RecordingTransport();
            List<SendResult> again = Run(transport, new ListLog(), false, false,
                Request("3001", "kund@example.se"),
                new DocumentRequest { Paths = new[] { PathOf("3002") }, To = new[] { "kund@example.se" }, Cc = new[] { "chef@example.se" }, InputIndex = 1 });

            Assert.Equal(new[] { SendStatus.Sent, SendStatus.Sent }, again.Select(o => o.Status));
            Assert.Equal(new[] { "3001", "3002" }, transport.Sent.SelectMany(m => m.DocumentIds));
        }

        [Fact]
        public void Failed_documents_are_sent_again_and_the_failure_is_in_the_journal()
        {
            Pdf("4001", 500);
            Pdf("4002", 500);
            var failing = new RecordingTransport { FailDocument = "4002" };
            List<SendResult> first = Run(failing, new ListLog(), false, false, Request("4001", "kund@example.se"), Request("4002", "kund@example.se", index: 1));
            Assert.Equal(new[] { SendStatus.Sent, SendStatus.Failed }, first.Select(o => o.Status));
            string failedLine = File.ReadAllLines(_journalPath).Last();
            Assert.Contains("\"status\":\"Failed\"", failedLine);
            Assert.Contains("\"errorId\":\"SendFailed\"", failedLine);

            var transport = new RecordingTransport();
            List<SendResult> again = Run(transport, new ListLog(), false, false, Request("4001", "kund@example.se"), Request("4002", "kund@example.se", index: 1));

            Assert.Equal(new[] { SendStatus.Skipped, SendStatus.Sent }, again.Select(o => o.Status));
            Assert.Equal(new[] { "4002" }, transport.Sent.SelectMany(m => m.DocumentIds));
        }

        [Fact]
        public void An_intent_without_a_result_is_Uncertain_and_not_resent_unless_forced()
        {
            Pdf("5001", 500);
            Pdf("5002", 500);
            // A run that wrote its intent for 5001 and was then killed: no result line follows.
            using (SendJournal crashed = SendJournal.Open(_journalPath, new ListLog()))
            {
                PlannedMessage planned = Plan(Request("5001", "kund@example.se")).Single();
                crashed.RecordSending(planned, new SendResult { Status = SendStatus.Sent, MessageId = "<crashed@example.se>", To = planned.Recipients.To.ToArray() });
            }

            var transport = new RecordingTransport();
            List<SendResult> again = Run(transport, new ListLog(), false, false, Request("5001", "kund@example.se"), Request("5002", "kund@example.se", index: 1));

            SendResult uncertain = again.Single(o => o.DocumentIds.Contains("5001"));
            Assert.Equal(SendStatus.Uncertain, uncertain.Status);
            Assert.Equal(SendReasons.PreviouslyUncertain, uncertain.Reason);
            Assert.Equal(ErrorIds.DeliveryUncertain, uncertain.Exception!.ErrorId);
            Assert.Contains("-Force", uncertain.Exception.Message);
            Assert.Equal("<crashed@example.se>", uncertain.MessageId);
            Assert.Equal(new[] { "5002" }, transport.Sent.SelectMany(m => m.DocumentIds));

            // Reported again on the next run, still not sent...
            var third = new RecordingTransport();
            Assert.Equal(SendStatus.Uncertain, Run(third, new ListLog(), false, false, Request("5001", "kund@example.se")).Single().Status);
            Assert.Empty(third.Sent);

            // ...until -Force, which sends it (with a warning), after which it is Sent like any other.
            var forced = new RecordingTransport();
            var log = new ListLog();
            Assert.Equal(SendStatus.Sent, Run(forced, log, true, false, Request("5001", "kund@example.se")).Single().Status);
            Assert.Equal(new[] { "5001" }, forced.Sent.SelectMany(m => m.DocumentIds));
            Assert.Contains(log.Warnings, w => w.Contains("5001") && w.Contains("-Force"));
            Assert.Equal(SendStatus.Skipped, Run(new RecordingTransport(), new ListLog(), true, false, Request("5001", "kund@example.se")).Single().Status);
        }

        [Fact]
        public void A_result_recorded_as_Uncertain_is_reported_again_with_its_reason()
        {
            Pdf("5101", 500);
            using (SendJournal journal = SendJournal.Open(_journalPath, new ListLog()))
            {
                PlannedMessage planned = Plan(Request("5101", "kund@example.se")).Single();
                var outcome = new SendResult
                {
                    Status = SendStatus.Uncertain,
                    Exception = new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.ConnectionError, "The connection was lost after the message data was sent."),
                };
                journal.RecordSending(planned, outcome);
                journal.RecordResult(planned, outcome);
            }

            var transport = new RecordingTransport();
            SendResult again = Run(transport, new ListLog(), false, false, Request("5101", "kund@example.se")).Single();

            Assert.Equal(SendStatus.Uncertain, again.Status);
            Assert.Contains("connection was lost after the message data", again.Exception!.Message);
            Assert.Empty(transport.Sent);
        }

        [Fact]
        public void A_line_cut_by_a_crash_is_ignored_with_a_warning_and_the_next_record_starts_a_new_line()
        {
            Pdf("6001", 500);
            Pdf("6002", 500);
            Run(new RecordingTransport(), new ListLog(), false, false, Request("6001", "kund@example.se"));
            // The killed run got half of its next intent onto the disk.
            string intent = File.ReadAllLines(_journalPath)[0];
            File.AppendAllText(_journalPath, intent.Substring(0, intent.Length / 2));

            var log = new ListLog();
            var transport = new RecordingTransport();
            List<SendResult> again = Run(transport, log, false, false, Request("6001", "kund@example.se"), Request("6002", "kund@example.se", index: 1));

            Assert.Equal(new[] { SendStatus.Skipped, SendStatus.Sent }, again.Select(o => o.Status));
            string warning = Assert.Single(log.Warnings);
            Assert.Contains("line 3 ignored", warning);
            Assert.Contains("cut off", warning);

            // The cut line stays a line of its own; everything after it parses.
            var reread = new ListLog();
            using (SendJournal journal = SendJournal.Open(_journalPath, reread))
            {
                Assert.Equal(new[] { 3 }, journal.IgnoredLines);
                Assert.Equal(4, journal.RecordCount);
                Assert.Equal(JournalStatus.Sent, journal.Find(Fingerprint(journal, Request("6002", "kund@example.se")))!.Status);
            }

            Assert.Contains("line 3 ignored", Assert.Single(reread.Warnings));
        }

        [Fact]
        public void A_corrupt_line_in_the_middle_is_ignored_with_a_warning_naming_it()
        {
            Pdf("7001", 500);
            Pdf("7002", 500);
            Pdf("7003", 500);
            Run(new RecordingTransport(), new ListLog(), false, false, Request("7001", "kund@example.se"), Request("7002", "kund@example.se", index: 1), Request("7003", "kund@example.se", index: 2));
            List<string> lines = File.ReadAllLines(_journalPath).ToList();
            // Line 4 (7002's result) destroyed, and a stray line that is JSON but no record inserted after line 1.
            lines[3] = "{\"v\":1,\"status\":\"Sent\",\"docu\u00ff";
            lines.Insert(1, "[1,2,3]");
            File.WriteAllText(_journalPath, string.Join("\n", lines) + "\n");

            var log = new ListLog();
            var transport = new RecordingTransport();
            List<SendResult> again = Run(transport, log, false, false, Request("7001", "kund@example.se"), Request("7002", "kund@example.se", index: 1), Request("7003", "kund@example.se", index: 2));

            Assert.Equal(2, log.Warnings.Count);
            Assert.Contains("line 2 ignored", log.Warnings[0]);
            Assert.Contains("line 5 ignored", log.Warnings[1]);
            Assert.Contains("sent again", log.Warnings[1]);
            // 7002's result is gone, its intent remains: Uncertain, not resent. The others are known as Sent.
            Assert.Equal(new[] { SendStatus.Skipped, SendStatus.Uncertain, SendStatus.Skipped }, again.Select(o => o.Status));
            Assert.Empty(transport.Sent);
        }

        [Fact]
        public void Combined_documents_are_checked_one_by_one_and_only_the_changed_one_is_sent()
        {
            string pdf = Pdf("8001", 500);
            Pdf("8002", 500);
            List<SendResult> first = Run(new RecordingTransport(), new ListLog(), false, true, Request("8001", "kund@example.se"), Request("8002", "kund@example.se", index: 1));
            Assert.Equal(new[] { "8001", "8002" }, Assert.Single(first).DocumentIds);

            File.WriteAllBytes(pdf, Encoding.ASCII.GetBytes("%PDF-1.4 corrected invoice 8001"));
            var transport = new RecordingTransport();
            List<SendResult> again = Run(transport, new ListLog(), false, true, Request("8001", "kund@example.se"), Request("8002", "kund@example.se", index: 1));

            Assert.Equal(SendStatus.Skipped, again.Single(o => o.DocumentIds.SequenceEqual(new[] { "8002" })).Status);
            Assert.Equal(SendStatus.Sent, again.Single(o => o.DocumentIds.SequenceEqual(new[] { "8001" })).Status);
            Assert.Equal(new[] { "8001" }, Assert.Single(transport.Sent).DocumentIds);
        }

        [Fact]
        public void The_journal_holds_neither_the_body_nor_a_secret()
        {
            Pdf("9001", 500);
            var settings = Settings();
            settings.Credential = new NetworkCredential("smtpuser", Password);
            var options = new SendRunOptions(settings) { Body = BodyText, Subject = "Faktura {DocumentIds}" };
            var failing = new RecordingTransport { FailDocument = "9002" };
            Pdf("9002", 500);
            Run(options, () => failing, new ListLog(), Request("9001", "kund@example.se"), Request("9002", "kund@example.se", index: 1));

            string text = File.ReadAllText(_journalPath, Encoding.UTF8);
            Assert.Contains("Faktura 9001", text);
            Assert.DoesNotContain(Password, text);
            Assert.DoesNotContain("smtpuser", text);
            Assert.DoesNotContain("Tack för", text);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(BodyText)).Substring(0, 16), text);
            // Nor any attachment content (only its hash).
            Assert.DoesNotContain("%PDF", text);
            // The body really was sent, so its absence above means something.
            Assert.Contains(BodyText, failing.Sent.Single().Mime);
        }

        [Fact]
        public void A_second_run_on_the_same_journal_is_refused_until_the_first_ends()
        {
            using (SendJournal first = SendJournal.Open(_journalPath, new ListLog()))
            {
                var error = Assert.Throws<G5MailErrorException>(() => SendJournal.Open(_journalPath, new ListLog()));
                Assert.Equal(ErrorIds.JournalLocked, error.ErrorId);
                Assert.Contains(_journalPath, error.Message);
                Assert.Contains("another Send-G5Document run", error.Message);

                // -WhatIf only reads, so it is not refused.
                using (SendJournal preview = SendJournal.OpenReadOnly(_journalPath, new ListLog()))
                {
                    Assert.True(preview.IsReadOnly);
                }
            }

            using (SendJournal.Open(_journalPath, new ListLog()))
            {
            }
        }

        [Fact]
        public void A_read_only_journal_neither_creates_nor_changes_the_file()
        {
            Pdf("9101", 500);
            using (SendJournal preview = SendJournal.OpenReadOnly(_journalPath, new ListLog()))
            {
                Assert.Equal(0, preview.RecordCount);
            }

            Assert.False(File.Exists(_journalPath));
            Assert.False(Directory.Exists(Path.GetDirectoryName(_journalPath)));

            Run(new RecordingTransport(), new ListLog(), false, false, Request("9101", "kund@example.se"));
            string intent = File.ReadAllLines(_journalPath)[0];
            File.AppendAllText(_journalPath, intent.Substring(0, 40));
            byte[] before = File.ReadAllBytes(_journalPath);
            using (SendJournal preview = SendJournal.OpenReadOnly(_journalPath, new ListLog()))
            {
                Assert.Equal(JournalStatus.Sent, preview.Find(Fingerprint(preview, Request("9101", "kund@example.se")))!.Status);
            }

            Assert.Equal(before, File.ReadAllBytes(_journalPath));
        }

        [Fact]
        public void When_the_journal_cannot_be_written_nothing_more_is_sent()
        {
            Pdf("9201", 500);
            Pdf("9202", 500);
            var transport = new RecordingTransport();
            var options = new SendRunOptions(Settings());
            SendJournal journal = SendJournal.Open(_journalPath, new ListLog());
            options.Journal = journal;
            using (var run = new SendRun(options, () => transport, new ListLog()))
            {
                run.Collect(Request("9201", "kund@example.se"));
                run.Collect(Request("9202", "kund@example.se", index: 1));
                RunPlan runPlan = run.Plan();
                IReadOnlyList<PlannedMessage> plan = runPlan.Messages;
                // The file goes away under the run (as a full disk or a lost network share would make writes fail).
                journal.Dispose();
                List<SendResult> outcomes = plan.Select(p => run.SendAsync(p, CancellationToken.None).GetAwaiter().GetResult()).ToList();

                Assert.All(outcomes, o => Assert.Equal(SendStatus.Failed, o.Status));
                Assert.All(outcomes, o => Assert.Equal(ErrorIds.JournalWriteFailed, o.Exception!.ErrorId));
                Assert.Empty(transport.Sent);
            }
        }

        [Fact]
        public void A_journal_path_that_is_a_folder_is_refused()
        {
            var error = Assert.Throws<G5MailErrorException>(() => SendJournal.Open(_folder.Path, new ListLog()));
            Assert.Equal(ErrorIds.JournalAccessFailed, error.ErrorId);
            Assert.Contains("is a folder", error.Message);
        }

        [Fact]
        public void The_summary_counts_each_status_and_names_the_time()
        {
            var summary = new RunSummary<SendStatus>(SendStatus.Sent, SendStatus.Failed, SendStatus.Skipped, SendStatus.Uncertain);
            foreach (SendStatus status in new[] { SendStatus.Sent, SendStatus.Sent, SendStatus.Failed, SendStatus.Uncertain })
            {
                summary.Add(status);
            }

            Assert.Equal("Send-G5Document: 2 Sent, 1 Failed, 0 Skipped, 1 Uncertain in 12.3 s", summary.Describe("Send-G5Document", TimeSpan.FromSeconds(12.34)));
            summary.Add(SendStatus.WhatIf);
            Assert.Equal("X: 2 Sent, 1 Failed, 0 Skipped, 1 Uncertain, 1 WhatIf in 0.5 s", summary.Describe("X", TimeSpan.FromMilliseconds(460)));
            Assert.Equal(5, summary.Total);
        }

        private static SettingValues Settings() => new SettingValues { Method = MailMethod.Smtp, Server = "smtp.example.com", From = "order@example.se" };

        private string PathOf(string id) => Path.Combine(_folder.Path, "in", id + ".pdf");

        private string Pdf(string id, int size) => _folder.RandomFile(Path.Combine("in", id + ".pdf"), size, size + int.Parse(id, System.Globalization.CultureInfo.InvariantCulture));

        private DocumentRequest Request(string id, string to, string? path = null, int index = 0) =>
            new DocumentRequest { Paths = new[] { path ?? PathOf(id) }, To = new[] { to }, InputIndex = index };

        private List<SendResult> Run(RecordingTransport transport, IRunLog log, bool force, bool combine, params DocumentRequest[] requests) =>
            Run(() => transport, log, force, combine, requests);

        private List<SendResult> Run(Func<IMessageTransport> transport, IRunLog log, bool force, bool combine, params DocumentRequest[] requests)
        {
            var settings = Settings();
            settings.CombineDocuments = combine;
            return Run(new SendRunOptions(settings) { ResendUncertain = force }, transport, log, requests);
        }

        /// <summary>One Send-G5Document run with the journal, as the cmdlet drives it: kept-back outcomes, then one per message.</summary>
        private List<SendResult> Run(SendRunOptions options, Func<IMessageTransport> transport, IRunLog log, params DocumentRequest[] requests)
        {
            using (SendJournal journal = SendJournal.Open(_journalPath, log))
            {
                options.Journal = journal;
                using (var run = new SendRun(options, transport, log))
                {
                    foreach (DocumentRequest request in requests)
                    {
                        Assert.Null(run.Collect(request));
                    }

                    RunPlan runPlan = run.Plan();
                IReadOnlyList<PlannedMessage> plan = runPlan.Messages;
                    var outcomes = new List<SendResult>(runPlan.KeptBack);
                    outcomes.AddRange(plan.Select(p => run.SendAsync(p, CancellationToken.None).GetAwaiter().GetResult()));
                    return outcomes.OrderBy(o => o.DocumentIds[0], StringComparer.Ordinal).ToList();
                }
            }
        }

        private static IReadOnlyList<PlannedMessage> Plan(params DocumentRequest[] requests) =>
            MessagePlanner.Plan(DocumentCollector.Collect(requests, out _), false, 10 * 1_048_576);

        private static DocumentFingerprint Fingerprint(SendJournal journal, DocumentRequest request) =>
            journal.Hasher.Fingerprint(DocumentCollector.Collect(new[] { request }, out _).Single());

        private static string Sha256(string path)
        {
            using (SHA256 sha = SHA256.Create())
            using (FileStream stream = File.OpenRead(path))
            {
                return Convert.ToHexString(sha.ComputeHash(stream)).ToLowerInvariant();
            }
        }

        /// <summary>Stands in for a mail server: keeps each message as the MIME text the transport would have sent.</summary>
        private sealed class RecordingTransport : IMessageTransport
        {
            public List<(string MessageId, IReadOnlyList<string> DocumentIds, string Mime)> Sent { get; } = new List<(string, IReadOnlyList<string>, string)>();

            /// <summary>A message holding this document fails as a permanent SMTP rejection would (after it was recorded as Sending).</summary>
            public string? FailDocument { get; set; }

            public string Server => "recording.test:25";

            public Task<TransportReceipt> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
            {
                using (var mime = new MemoryStream())
                {
                    message.WriteTo(mime, cancellationToken);
                    if (FailDocument != null && message.DocumentIds.Contains(FailDocument))
                    {
                        throw new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidOperation, "550 5.7.1 Message rejected by the test server.");
                    }

                    // The body as composed (in the MIME it may be quoted-printable or base64), so a test can see it went out.
                    Sent.Add((message.MessageId, message.DocumentIds, Encoding.UTF8.GetString(mime.ToArray()) + "\n" + message.Body));
                }

                return Task.FromResult(new TransportReceipt(message.MessageId));
            }

            public void Dispose()
            {
            }
        }

        private sealed class ListLog : IRunLog
        {
            private readonly ConcurrentQueue<string> _warnings = new ConcurrentQueue<string>();

            public List<string> Warnings => _warnings.ToList();

            public void Verbose(string message)
            {
            }

            public void Warning(string message) => _warnings.Enqueue(message);
        }
    }
}
