using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using MimeKit;
using Xunit;
using static G5Mail.Core.Tests.Mailbox.DeliveryStatusReaderTests;

namespace G5Mail.Core.Tests.Mailbox
{
    /// <summary>
    /// Get-G5DeliveryReport's handler against a send journal file written in the journal's own format (JournalRecord
    /// lines), with reports from the samples: no network, no mailbox.
    /// </summary>
    public sealed class DeliveryReportHandlerTests : IDisposable
    {
        private static readonly DateTimeOffset SentTime = new DateTimeOffset(2026, 12, 4, 23, 10, 11, TimeSpan.FromHours(1));
        private static readonly DateTimeOffset Arrived = new DateTimeOffset(2026, 12, 5, 6, 30, 0, TimeSpan.FromHours(1));

        private readonly TempFolder _folder = new TempFolder();
        private readonly string _journalPath;
        private readonly ListLog _log = new ListLog();

        public DeliveryReportHandlerTests()
        {
            _journalPath = Path.Combine(_folder.Path, "nightly.jsonl");
        }

        public void Dispose() => _folder.Dispose();

        [Fact]
        public void A_bounce_of_a_journal_message_gives_its_documents_per_recipient()
        {
            Write(Record(JournalStatus.Sending, "<20261204221011.1001.a1b2c3@faktura.example.se>", "Faktura 1001", SentTime.AddSeconds(-1), "1001", "1001-bilaga"),
                  Record(JournalStatus.Sent, "<20261204221011.1001.a1b2c3@faktura.example.se>", "Faktura 1001", SentTime, "1001", "1001-bilaga"));
            DeliveryReportHandler handler = Handler(includeUnmatched: false);
            MailSummary summary = Summary("<20261204221012.4Q1x2Y3Z4zD@mail.example.se>");

            HandledMessage<DeliveryReport> handled = handler.Handle(summary, Sample("postfix-user-unknown.eml"), "Inbox");

            Assert.True(handled.Act);
            DeliveryReport report = Assert.Single(handled.Results);
            Assert.Equal(new[] { "1001", "1001-bilaga" }, report.DocumentIds);
            Assert.True(report.Matched);
            Assert.Equal("nobody@kund.example", report.Recipient);
            Assert.Equal("failed", report.Action);
            Assert.Equal("5.1.1", report.Status);
            Assert.Equal(DeliveryReason.MailboxUnknown, report.Reason);
            Assert.Equal("20261204221011.1001.a1b2c3@faktura.example.se", report.MessageId);
            Assert.Equal("Faktura 1001", report.Subject);
            Assert.Equal(SentTime, report.SentAt); // the Sent record's time, not the intent's
            Assert.Equal(Arrived, report.ReportedAt);
            Assert.Equal(summary.RemoteId, report.ReportRemoteId);
        }

        [Fact]
        public void Every_recipient_of_a_report_is_one_result_about_the_same_documents()
        {
            Write(Record(JournalStatus.Sent, "<multi.5001@faktura.example.se>", "Order 5001", SentTime, "5001"));
            var status = new MessageDeliveryStatus();
            status.StatusGroups.Add(Group(("Reporting-MTA", "dns; relay.example.se")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; full@kund.example"), ("Action", "failed"), ("Status", "5.2.2")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; slow@kund.example"), ("Action", "delayed"), ("Status", "4.4.1")));
            MimeMessage bounce = RoundTrip(Report("delivery-status", new TextPart("plain") { Text = "report" }, status,
                new TextRfc822Headers { Message = Original("<multi.5001@faktura.example.se>", "Order 5001") }));

            HandledMessage<DeliveryReport> handled = Handler(false).Handle(Summary("<r@relay>"), bounce, "Inbox");

            Assert.Equal(new[] { "full@kund.example", "slow@kund.example" }, handled.Results.Select(r => r.Recipient));
            Assert.Equal(new[] { DeliveryReason.MailboxFull, DeliveryReason.Delayed }, handled.Results.Select(r => r.Reason));
            Assert.All(handled.Results, r => Assert.Equal(new[] { "5001" }, r.DocumentIds));
        }

        [Fact]
        public void An_unmatched_report_is_left_alone_unless_IncludeUnmatched()
        {
            Write(Record(JournalStatus.Sent, "<other.9999@faktura.example.se>", "Faktura 9999", SentTime, "9999"));

            HandledMessage<DeliveryReport> quiet = Handler(false).Handle(Summary("<g@google>"), Sample("gmail-address-not-found.eml"), "Inbox");
            HandledMessage<DeliveryReport> told = Handler(true).Handle(Summary("<g@google>"), Sample("gmail-address-not-found.eml"), "Inbox");

            Assert.Empty(quiet.Results);
            Assert.False(quiet.Act);
            Assert.Contains(_log.Verbose, v => v.Contains("<20261204221013.1003.0a1b2c@faktura.example.se>") && v.Contains("-IncludeUnmatched"));
            DeliveryReport report = Assert.Single(told.Results);
            Assert.True(told.Act);
            Assert.False(report.Matched);
            Assert.Empty(report.DocumentIds);
            Assert.Null(report.SentAt);
            Assert.Equal("20261204221013.1003.0a1b2c@faktura.example.se", report.MessageId);
            Assert.Equal("Faktura 1003", report.Subject); // from the returned message
            Assert.Equal(DeliveryReason.MailboxUnknown, report.Reason);
        }

        [Fact]
        public void Mail_that_is_no_report_after_all_gives_nothing_and_is_not_acted_on()
        {
            Write(Record(JournalStatus.Sent, "<x.1@faktura.example.se>", "Faktura 1", SentTime, "1"));

            HandledMessage<DeliveryReport> handled = Handler(true).Handle(Summary("<p@kund>"), Original("<p@kund.example>", "Fråga om faktura 1"), "Inbox");

            Assert.Empty(handled.Results);
            Assert.False(handled.Act);
        }

        [Fact]
        public void Wants_every_message_the_listing_does_not_rule_out_and_always_needs_content()
        {
            Write(Record(JournalStatus.Sent, "<x.1@faktura.example.se>", "Faktura 1", SentTime, "1"));
            DeliveryReportHandler handler = Handler(false);

            Assert.False(handler.Wants(new MailSummary { IsDeliveryReport = false }));
            Assert.True(handler.Wants(new MailSummary { IsDeliveryReport = true }));
            Assert.True(handler.Wants(new MailSummary { IsDeliveryReport = null }));
            Assert.True(handler.NeedsContent(new MailSummary()));
        }

        [Fact]
        public void A_damaged_report_is_MessageUnreadable_with_the_report_id_as_target()
        {
            Write(Record(JournalStatus.Sent, "<20261204221017.1007.2a3b4c@faktura.example.se>", "Faktura 1007", SentTime, "1007"));

            var ex = Assert.Throws<G5MailErrorException>(() =>
                Handler(true).Handle(Summary("20261204221018.4Q5c6D7e8fG@mail.example.se"), Sample("damaged-status-cut-off.eml"), "Inbox"));

            Assert.Equal(ErrorIds.MessageUnreadable, ex.ErrorId);
            Assert.Equal("<20261204221018.4Q5c6D7e8fG@mail.example.se>", ex.Target);
        }

        [Fact]
        public void Message_ids_match_without_brackets_exactly_on_the_left_and_without_case_on_the_right()
        {
            Write(Record(JournalStatus.Sent, "<20261204221012.1002.d4e5f6@FAKTURA.Example.SE>", "Faktura 1002", SentTime, "1002"),
                  Record(JournalStatus.Sent, "<20261204221011.1001.A1B2C3@faktura.example.se>", "Faktura 1001", SentTime, "1001"));
            DeliveryReportHandler handler = Handler(false);

            HandledMessage<DeliveryReport> domainCase = handler.Handle(Summary("<e@ms>"), Sample("exchange-online-recipient-not-found.eml"), "Inbox");
            HandledMessage<DeliveryReport> leftCase = handler.Handle(Summary("<p@pf>"), Sample("postfix-user-unknown.eml"), "Inbox");

            Assert.Equal(new[] { "1002" }, Assert.Single(domainCase.Results).DocumentIds);
            Assert.Empty(leftCase.Results); // a1b2c3 is not A1B2C3: id-left is compared exactly
        }

        [Fact]
        public void Without_the_returned_message_the_reports_own_In_Reply_To_finds_the_message()
        {
            Write(Record(JournalStatus.Sent, "<20261204221012.1002.d4e5f6@faktura.example.se>", "Faktura 1002", SentTime, "1002"));
            MimeMessage ndr = Sample("exchange-online-recipient-not-found.eml");
            var report = (Multipart)ndr.Body!;
            report.Remove(report.OfType<MessagePart>().Single());

            DeliveryReport result = Assert.Single(Handler(false).Handle(Summary("<e@ms>"), RoundTrip(ndr), "Inbox").Results);

            Assert.Equal(new[] { "1002" }, result.DocumentIds);
            Assert.Equal("Faktura 1002", result.Subject); // from the journal
        }

        [Fact]
        public void Failed_and_draft_records_do_not_match_an_intent_alone_does()
        {
            Write(Record(JournalStatus.Failed, "<20261204221011.1001.a1b2c3@faktura.example.se>", "Faktura 1001", SentTime, "1001"),
                  Record(JournalStatus.Draft, "<20261204221013.1003.0a1b2c@faktura.example.se>", "Faktura 1003", SentTime, "1003"),
                  Record(JournalStatus.Sending, "<20261204221016.1006.9d0e1f@faktura.example.se>", "Faktura 1006", SentTime, "1006"));
            DeliveryReportHandler handler = Handler(false);

            Assert.Empty(handler.Handle(Summary("<a@x>"), Sample("postfix-user-unknown.eml"), "Inbox").Results);
            Assert.Empty(handler.Handle(Summary("<b@x>"), Sample("gmail-address-not-found.eml"), "Inbox").Results);
            // A run that stopped while sending may have handed the message over: its bounce is about those documents.
            Assert.Equal(new[] { "1006" }, Assert.Single(handler.Handle(Summary("<c@x>"), Sample("sendmail-mailbox-full-headers-only.eml"), "Inbox").Results).DocumentIds);
        }

        [Fact]
        public void The_journal_is_read_while_a_send_run_holds_its_lock()
        {
            Write(Record(JournalStatus.Sent, "<20261204221015.1005.6a7b8c@faktura.example.se>", "Faktura 1005", SentTime, "1005"));
            using (SendJournal running = SendJournal.Open(_journalPath, NullRunLog.Instance))
            using (SendJournal reading = DeliveryReportHandler.OpenJournal(_journalPath, _log))
            {
                var handler = new DeliveryReportHandler(reading, false, _log);
                DeliveryReport result = Assert.Single(handler.Handle(Summary("<d@x>"), Sample("postfix-delayed.eml"), "Inbox").Results);

                Assert.Equal(new[] { "1005" }, result.DocumentIds);
                Assert.Equal(DeliveryReason.Delayed, result.Reason);
                Assert.True(File.Exists(_journalPath + SendJournal.LockSuffix));
            }
        }

        [Fact]
        public void A_journal_that_does_not_exist_is_JournalAccessFailed_and_is_not_created()
        {
            string missing = Path.Combine(_folder.Path, "typo", "nightly.jsonl");

            var ex = Assert.Throws<G5MailErrorException>(() => DeliveryReportHandler.OpenJournal(missing, _log));

            Assert.Equal(ErrorIds.JournalAccessFailed, ex.ErrorId);
            Assert.Equal(ErrorKind.ObjectNotFound, ex.Kind);
            Assert.False(Directory.Exists(Path.GetDirectoryName(missing)));
        }

        [Fact]
        public void Document_ids_read_as_text_joined_so_a_csv_keeps_them()
        {
            var ids = new DocumentIdList(new[] { "1001", "1001-bilaga" });

            Assert.Equal("1001, 1001-bilaga", ids.ToString());
            Assert.Equal(2, ids.Count);
            Assert.Equal(string.Empty, DocumentIdList.Empty.ToString());
            Assert.Equal("[\"1001\",\"1001-bilaga\"]", System.Text.Json.JsonSerializer.Serialize(ids));
        }

        [Theory]
        [InlineData("<a.b@Example.COM>", "a.b@example.com")]
        [InlineData(" a.b@example.com ", "a.b@example.com")]
        [InlineData("<A.B@example.com>", "A.B@example.com")]
        [InlineData("<no-at-sign>", "no-at-sign")]
        [InlineData("<\"a@b\"@Host.Example>", "\"a@b\"@host.example")]
        [InlineData("<>", null)]
        [InlineData(null, null)]
        public void Message_id_keys(string? id, string? key)
        {
            Assert.Equal(key, SendJournal.MessageIdKey(id));
        }

        private DeliveryReportHandler Handler(bool includeUnmatched) =>
            new DeliveryReportHandler(DeliveryReportHandler.OpenJournal(_journalPath, _log), includeUnmatched, _log);

        private static MailSummary Summary(string messageId) => new MailSummary
        {
            RemoteId = "1234:" + Math.Abs(messageId.GetHashCode()),
            MessageId = messageId,
            Received = Arrived,
            IsDeliveryReport = true,
        };

        private void Write(params JournalRecord[] records)
        {
            using (var file = new FileStream(_journalPath, FileMode.Append, FileAccess.Write))
            {
                foreach (JournalRecord record in records)
                {
                    byte[] line = record.ToJsonLine();
                    file.Write(line, 0, line.Length);
                }
            }
        }

        private static JournalRecord Record(JournalStatus status, string messageId, string subject, DateTimeOffset time, params string[] documentIds)
        {
            const string recipients = "kund@kund.example";
            return new JournalRecord
            {
                RunId = "run1",
                Time = time,
                Status = status,
                Method = "Smtp",
                Server = "mail.example.se:587",
                MessageId = messageId,
                From = "faktura@example.se",
                To = new[] { recipients },
                Subject = subject,
                RecipientKey = recipients,
                Documents = documentIds.Select(id => new DocumentFingerprint(id, recipients,
                    new[] { new FileFingerprint(id + ".pdf", 1000, new string('a', 64)) })).ToArray(),
            };
        }
    }
}
