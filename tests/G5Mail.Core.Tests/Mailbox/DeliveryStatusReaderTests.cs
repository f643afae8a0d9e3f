using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using MimeKit;
using Xunit;

namespace G5Mail.Core.Tests.Mailbox
{
    /// <summary>
    /// Delivery status notifications in the shapes real servers send (Samples/*.eml, written from their published
    /// formats) and built with MimeKit, read by DeliveryStatusReader.
    /// </summary>
    public sealed class DeliveryStatusReaderTests
    {
        internal static MimeMessage Sample(string name) =>
            MimeMessage.Load(Path.Combine(AppContext.BaseDirectory, "Mailbox", "Samples", name));

        internal static MimeMessage RoundTrip(MimeMessage message)
        {
            using (var buffer = new MemoryStream())
            {
                message.WriteTo(buffer);
                buffer.Position = 0;
                return MimeMessage.Load(buffer);
            }
        }

        [Fact]
        public void Postfix_bounce_gives_the_recipient_the_status_and_the_returned_message()
        {
            DeliveryStatusNotification report = DeliveryStatusReader.Read(Sample("postfix-user-unknown.eml"), "bounce")!;

            Assert.Equal("message/delivery-status", report.Format);
            Assert.Equal("mail.example.se", report.ReportingMta);
            RecipientStatus recipient = Assert.Single(report.Recipients);
            Assert.Equal("nobody@kund.example", recipient.Recipient);
            Assert.Equal("nobody@kund.example", recipient.OriginalRecipient);
            Assert.Equal("failed", recipient.Action);
            Assert.Equal("5.1.1", recipient.Status);
            Assert.Equal("550 5.1.1 <nobody@kund.example>: Recipient address rejected: User unknown in virtual mailbox table", recipient.Diagnostic);
            Assert.Equal("mx.kund.example", recipient.RemoteMta);
            Assert.Equal(DeliveryReason.MailboxUnknown, recipient.Reason);
            Assert.Equal("20261204221011.1001.a1b2c3@faktura.example.se", report.OriginalMessageIds[0]);
            Assert.Equal("Faktura 1001", report.OriginalSubject);
        }

        [Fact]
        public void Exchange_Online_ndr_with_5_1_10_is_an_unknown_mailbox()
        {
            MimeMessage ndr = Sample("exchange-online-recipient-not-found.eml");
            Assert.True(DeliveryStatusReader.IsDeliveryStatusNotification(ndr));

            DeliveryStatusNotification report = DeliveryStatusReader.Read(ndr, "ndr")!;

            RecipientStatus recipient = Assert.Single(report.Recipients);
            Assert.Equal("okand@kund.example", recipient.Recipient);
            Assert.Equal("5.1.10", recipient.Status);
            Assert.Equal(DeliveryReason.MailboxUnknown, recipient.Reason);
            Assert.Equal("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient okand@kund.example not found by SMTP address lookup", recipient.Diagnostic);
            Assert.Equal("mx.kund.example", recipient.RemoteMta);
            Assert.Equal("AM0PR01MB1234.eurprd01.prod.exchangelabs.com", report.ReportingMta);
            Assert.Equal("20261204221012.1002.d4e5f6@faktura.example.se", report.OriginalMessageIds[0]);
            Assert.Equal("Faktura 1002", report.OriginalSubject);
        }

        [Fact]
        public void Gmail_address_not_found_joins_the_folded_diagnostic_and_reads_the_last_attempt()
        {
            DeliveryStatusNotification report = DeliveryStatusReader.Read(Sample("gmail-address-not-found.eml"), "gmail")!;

            RecipientStatus recipient = Assert.Single(report.Recipients);
            Assert.Equal("nobody@kund2.example", recipient.Recipient);
            Assert.Null(recipient.OriginalRecipient);
            Assert.Equal(DeliveryReason.MailboxUnknown, recipient.Reason);
            Assert.StartsWith("550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking", recipient.Diagnostic);
            Assert.DoesNotContain("\n", recipient.Diagnostic);
            Assert.Equal(new DateTimeOffset(2026, 12, 4, 14, 10, 14, TimeSpan.FromHours(-8)), recipient.LastAttemptDate);
            Assert.Equal("mx.kund2.example. (192.0.2.30, the server for the domain kund2.example.)", recipient.RemoteMta);
            // The returned message, Gmail's X-Original-Message-ID and In-Reply-To all name the same message: listed once.
            Assert.Equal(new[] { "20261204221013.1003.0a1b2c@faktura.example.se" }, report.OriginalMessageIds);
        }

        [Fact]
        public void Rfc6533_global_report_reads_utf8_addresses_and_the_returned_global_headers()
        {
            DeliveryStatusNotification report = DeliveryStatusReader.Read(Sample("global-utf8-recipient.eml"), "global")!;

            Assert.Equal("message/global-delivery-status", report.Format);
            RecipientStatus recipient = Assert.Single(report.Recipients);
            Assert.Equal("användare@kund-åkeri.example", recipient.Recipient);
            // Original-Recipient in the \x{HEXPOINT} form of RFC 6533 3 decodes to the same address.
            Assert.Equal("användare@kund-åkeri.example", recipient.OriginalRecipient);
            Assert.Equal("550 5.1.1 <användare@kund-åkeri.example>: Användaren finns inte", recipient.Diagnostic);
            Assert.Equal(DeliveryReason.MailboxUnknown, recipient.Reason);
            Assert.Equal("20261204221014.1004.3d4e5f@faktura.example.se", report.OriginalMessageIds[0]);
            Assert.Equal("Faktura 1004 – Åkeri Öst AB", report.OriginalSubject);
        }

        [Fact]
        public void Delay_warning_is_Delayed_and_its_headers_come_from_text_rfc822_headers()
        {
            DeliveryStatusNotification report = DeliveryStatusReader.Read(Sample("postfix-delayed.eml"), "delay")!;

            RecipientStatus recipient = Assert.Single(report.Recipients);
            Assert.Equal("delayed", recipient.Action);
            Assert.Equal("4.4.1", recipient.Status);
            Assert.Equal(DeliveryReason.Delayed, recipient.Reason);
            Assert.Equal("connect to mx.kund3.example[192.0.2.40]:25: Connection timed out", recipient.Diagnostic);
            Assert.Equal("20261204221015.1005.6a7b8c@faktura.example.se", report.OriginalMessageIds[0]);
            Assert.Equal("Faktura 1005", report.OriginalSubject);
        }

        [Fact]
        public void Sendmail_mailbox_full_with_headers_only_and_upper_case_types()
        {
            DeliveryStatusNotification report = DeliveryStatusReader.Read(Sample("sendmail-mailbox-full-headers-only.eml"), "sendmail")!;

            RecipientStatus recipient = Assert.Single(report.Recipients);
            Assert.Equal("ekonomi@kund4.example", recipient.Recipient);
            Assert.Equal("5.2.2", recipient.Status);
            Assert.Equal(DeliveryReason.MailboxFull, recipient.Reason);
            Assert.Equal("552 5.2.2 Mailbox full", recipient.Diagnostic);
            Assert.Equal("mailstore.kund4.example", recipient.RemoteMta);
            Assert.Equal("20261204221016.1006.9d0e1f@faktura.example.se", report.OriginalMessageIds[0]);
            Assert.Equal("Faktura 1006", report.OriginalSubject);
        }

        [Fact]
        public void A_cut_off_status_part_is_MessageUnreadable_naming_the_message()
        {
            var ex = Assert.Throws<G5MailErrorException>(() => DeliveryStatusReader.Read(Sample("damaged-status-cut-off.eml"), "<damaged@mail.example.se>"));

            Assert.Equal(ErrorIds.MessageUnreadable, ex.ErrorId);
            Assert.Equal(ErrorKind.InvalidData, ex.Kind);
            Assert.Equal(FailureScope.Message, ex.Scope);
            Assert.Equal("<damaged@mail.example.se>", ex.Target);
            Assert.Contains("line 5 of its delivery status is not a field", ex.Message);
        }

        [Fact]
        public void MimeKit_built_report_with_several_recipients_gives_each_its_reason()
        {
            MimeMessage original = Original("<built.2001@faktura.example.se>", "Faktura 2001");
            var status = new MessageDeliveryStatus();
            status.StatusGroups.Add(Group(("Reporting-MTA", "dns; relay.example.se"), ("Original-Envelope-Id", "g5-2001")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; full@kund.example"), ("Action", "failed"), ("Status", "5.2.2"),
                ("Diagnostic-Code", "smtp; 552 5.2.2 Quota exceeded")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; later@kund.example"), ("Action", "Delayed"), ("Status", "4.2.2")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; big@kund.example"), ("Action", "failed"), ("Status", "5.3.4 (message too big)")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; ok@kund.example"), ("Action", "delivered"), ("Status", "2.0.0")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; spam@kund.example"), ("Action", "failed"), ("Status", "5.7.1"),
                ("Diagnostic-Code", "smtp; 550 5.7.1 Message rejected as spam")));
            MimeMessage built = Report("delivery-status", new TextPart("plain") { Text = "Delivery report" }, status, new MessagePart { Message = original });

            DeliveryStatusNotification report = DeliveryStatusReader.Read(RoundTrip(built), "built")!;

            Assert.Equal(new[] { "full@kund.example", "later@kund.example", "big@kund.example", "ok@kund.example", "spam@kund.example" },
                report.Recipients.Select(r => r.Recipient));
            Assert.Equal(new[] { DeliveryReason.MailboxFull, DeliveryReason.Delayed, DeliveryReason.MessageTooLarge, DeliveryReason.Other, DeliveryReason.Rejected },
                report.Recipients.Select(r => r.Reason));
            Assert.Equal(new[] { "failed", "delayed", "failed", "delivered", "failed" }, report.Recipients.Select(r => r.Action));
            Assert.Equal("5.3.4", report.Recipients[2].Status);
            Assert.Equal("g5-2001", report.OriginalEnvelopeId);
            Assert.Equal(new[] { "built.2001@faktura.example.se", "g5-2001" }, report.OriginalMessageIds);
            Assert.Equal("Faktura 2001", report.OriginalSubject);
        }

        [Fact]
        public void Base64_encoded_global_status_and_returned_headers_are_decoded()
        {
            var status = new MimePart("message", "global-delivery-status")
            {
                Content = new MimeContent(new MemoryStream(Encoding.UTF8.GetBytes(
                    "Reporting-MTA: dns; relay.example.se\r\n\r\nFinal-Recipient: utf-8; jörgen@kund.example\r\nAction: failed\r\nStatus: 5.1.2\r\n"))),
                ContentTransferEncoding = ContentEncoding.Base64,
            };
            var headers = new MimePart("message", "global-headers")
            {
                Content = new MimeContent(new MemoryStream(Encoding.UTF8.GetBytes("Message-ID: <b64.3001@faktura.example.se>\r\nSubject: Faktura 3001 för Jörgen\r\n\r\n"))),
                ContentTransferEncoding = ContentEncoding.Base64,
            };
            MimeMessage built = Report("global-delivery-status", new TextPart("plain") { Text = "report" }, status, headers);

            DeliveryStatusNotification report = DeliveryStatusReader.Read(RoundTrip(built), "b64")!;

            RecipientStatus recipient = Assert.Single(report.Recipients);
            Assert.Equal("jörgen@kund.example", recipient.Recipient);
            Assert.Equal(DeliveryReason.DomainUnknown, recipient.Reason);
            Assert.Equal("b64.3001@faktura.example.se", report.OriginalMessageIds[0]);
            Assert.Equal("Faktura 3001 för Jörgen", report.OriginalSubject);
        }

        [Fact]
        public void Ordinary_mail_read_receipts_and_forwarded_bounces_are_not_reports()
        {
            MimeMessage plain = Original("<plain@kund.example>", "Beställning");
            var receiptReport = new MultipartReport("disposition-notification") { new TextPart("plain") { Text = "Läst" }, new MessageDispositionNotification() };
            var receipt = new MimeMessage { Subject = "Läst: Faktura 1001", Body = receiptReport };
            var forwarded = new MimeMessage
            {
                Subject = "VB: Undelivered Mail Returned to Sender",
                Body = new Multipart("mixed") { new TextPart("plain") { Text = "Se nedan" }, new MessagePart { Message = Sample("postfix-user-unknown.eml") } },
            };

            foreach (MimeMessage message in new[] { plain, receipt, forwarded })
            {
                MimeMessage read = RoundTrip(message);
                Assert.False(DeliveryStatusReader.IsDeliveryStatusNotification(read));
                Assert.Null(DeliveryStatusReader.Read(read, "x"));
            }
        }

        [Fact]
        public void A_report_or_Exchange_ndr_without_a_status_part_is_MessageUnreadable()
        {
            MimeMessage report = Report("delivery-status", new TextPart("plain") { Text = "Your message could not be delivered." },
                new MessagePart { Message = Original("<lost@faktura.example.se>", "Faktura 4001") });
            var ndr = new MimeMessage { Subject = "Undeliverable: Faktura 4002", Body = new TextPart("plain") { Text = "Your message couldn't be delivered." } };
            ndr.Headers.Add(DeliveryStatusReader.ExchangeNdrHeader, string.Empty);

            var first = Assert.Throws<G5MailErrorException>(() => DeliveryStatusReader.Read(RoundTrip(report), "<r@x>"));
            var second = Assert.Throws<G5MailErrorException>(() => DeliveryStatusReader.Read(RoundTrip(ndr), "<n@x>"));

            Assert.Equal(ErrorIds.MessageUnreadable, first.ErrorId);
            Assert.Contains("report-type=delivery-status", first.Message);
            Assert.Equal(ErrorIds.MessageUnreadable, second.ErrorId);
            Assert.Contains(DeliveryStatusReader.ExchangeNdrHeader, second.Message);
        }

        [Fact]
        public void A_damaged_group_among_readable_ones_is_left_out_with_a_warning()
        {
            var status = new MessageDeliveryStatus();
            status.StatusGroups.Add(Group(("Reporting-MTA", "dns; relay.example.se")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; good@kund.example"), ("Action", "failed"), ("Status", "5.1.1")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; nostatus@kund.example"), ("Action", "failed")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; odd@kund.example"), ("Action", "bounced"), ("Status", "5.0.0")));
            var log = new ListLog();

            DeliveryStatusNotification report = DeliveryStatusReader.Read(RoundTrip(Report("delivery-status", status)), "partial", log)!;

            Assert.Equal("good@kund.example", Assert.Single(report.Recipients).Recipient);
            Assert.Equal(2, log.Warnings.Count);
            Assert.Contains(log.Warnings, w => w.Contains("nostatus@kund.example has no Status"));
            Assert.Contains(log.Warnings, w => w.Contains("odd@kund.example has the unknown Action 'bounced'"));
        }

        [Fact]
        public void A_status_part_whose_groups_all_lack_required_fields_is_MessageUnreadable()
        {
            var status = new MessageDeliveryStatus();
            status.StatusGroups.Add(Group(("Reporting-MTA", "dns; relay.example.se")));
            status.StatusGroups.Add(Group(("Final-Recipient", "rfc822; a@kund.example"), ("Action", "failed"), ("Status", "five")));

            var ex = Assert.Throws<G5MailErrorException>(() => DeliveryStatusReader.Read(RoundTrip(Report("delivery-status", status)), "bad"));

            Assert.Equal(ErrorIds.MessageUnreadable, ex.ErrorId);
            Assert.Contains("'five'", ex.Message);
        }

        [Fact]
        public void A_runaway_status_part_is_not_read_into_memory_whole()
        {
            var text = new StringBuilder("Reporting-MTA: dns; relay.example.se\r\n\r\nFinal-Recipient: rfc822; a@kund.example\r\nAction: failed\r\nStatus: 5.1.1\r\n");
            while (text.Length < 2 * 1024 * 1024)
            {
                text.Append("X-Padding: ").Append('x', 70).Append("\r\n");
            }

            var status = new MimePart("message", "delivery-status") { Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes(text.ToString()))) };

            var ex = Assert.Throws<G5MailErrorException>(() => DeliveryStatusReader.Read(RoundTrip(Report("delivery-status", status)), "huge"));

            Assert.Equal(ErrorIds.MessageUnreadable, ex.ErrorId);
            Assert.Contains("larger than 1024 KB", ex.Message);
        }

        [Theory]
        [InlineData("failed", "5.1.1", DeliveryReason.MailboxUnknown)]
        [InlineData("failed", "5.1.10", DeliveryReason.MailboxUnknown)]
        [InlineData("failed", "5.1.6", DeliveryReason.MailboxUnknown)]
        [InlineData("failed", "5.1.3", DeliveryReason.MailboxUnknown)]
        [InlineData("failed", "5.1.2", DeliveryReason.DomainUnknown)]
        [InlineData("failed", "5.4.4", DeliveryReason.DomainUnknown)]
        [InlineData("failed", "4.4.4", DeliveryReason.DomainUnknown)]
        [InlineData("failed", "5.2.2", DeliveryReason.MailboxFull)]
        [InlineData("failed", "4.2.2", DeliveryReason.MailboxFull)]
        [InlineData("failed", "5.2.3", DeliveryReason.MessageTooLarge)]
        [InlineData("failed", "5.3.4", DeliveryReason.MessageTooLarge)]
        [InlineData("failed", "5.7.1", DeliveryReason.Rejected)]
        [InlineData("failed", "5.7.26", DeliveryReason.Rejected)]
        [InlineData("failed", "5.0.0", DeliveryReason.Rejected)]
        [InlineData("failed", "4.4.7", DeliveryReason.Rejected)]
        [InlineData("failed", "5.1.11", DeliveryReason.Rejected)]
        [InlineData("delayed", "4.2.2", DeliveryReason.Delayed)]
        [InlineData("delayed", "4.4.1", DeliveryReason.Delayed)]
        [InlineData("delivered", "2.0.0", DeliveryReason.Other)]
        [InlineData("relayed", "2.0.0", DeliveryReason.Other)]
        [InlineData("expanded", "2.0.0", DeliveryReason.Other)]
        [InlineData("failed", "2.0.0", DeliveryReason.Other)]
        [InlineData("failed", "not a code", DeliveryReason.Other)]
        public void Reason_follows_the_action_then_RFC_3463(string action, string status, DeliveryReason expected)
        {
            Assert.Equal(expected, DeliveryStatusReader.ReasonOf(action, status));
        }

        internal static MimeMessage Original(string messageId, string subject)
        {
            var message = new MimeMessage { Subject = subject, Body = new TextPart("plain") { Text = "Hej, här kommer fakturan." } };
            message.From.Add(MailboxAddress.Parse("faktura@example.se"));
            message.To.Add(MailboxAddress.Parse("kund@kund.example"));
            message.MessageId = messageId.Trim('<', '>');
            return message;
        }

        internal static MimeMessage Report(string reportType, params MimeEntity[] parts)
        {
            var report = new MultipartReport(reportType);
            foreach (MimeEntity part in parts)
            {
                report.Add(part);
            }

            var message = new MimeMessage { Subject = "Undelivered Mail Returned to Sender", Body = report };
            message.From.Add(MailboxAddress.Parse("MAILER-DAEMON@relay.example.se"));
            message.To.Add(MailboxAddress.Parse("faktura@example.se"));
            message.MessageId = "report." + Guid.NewGuid().ToString("N") + "@relay.example.se";
            return message;
        }

        internal static HeaderList Group(params (string Name, string Value)[] fields)
        {
            var group = new HeaderList();
            foreach ((string name, string value) in fields)
            {
                group.Add(name, value);
            }

            return group;
        }

        internal sealed class ListLog : IRunLog
        {
            public List<string> Warnings { get; } = new List<string>();
            public List<string> Verbose { get; } = new List<string>();

            void IRunLog.Verbose(string message) => Verbose.Add(message);

            public void Warning(string message) => Warnings.Add(message);
        }
    }
}
