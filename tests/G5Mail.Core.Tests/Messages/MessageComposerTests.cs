using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using MimeKit;
using Xunit;

namespace G5Mail.Core.Tests.Messages
{
    public sealed class MessageComposerTests : IDisposable
    {
        private const string SwedishPdf = "Offert Åhus 1001.pdf";
        private const string SwedishSubject = "Beställning från Ölbryggeriet";

        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        private static ComposeOptions Options(string? subject = null, CopyToSelf copy = CopyToSelf.None) => new ComposeOptions
        {
            From = "Ölbryggeriet AB <order@olbryggeriet.se>",
            CopyToSelf = copy,
            SubjectTemplate = subject,
            Date = new DateTimeOffset(2025, 3, 14, 9, 30, 0, TimeSpan.FromHours(1)),
        };

        private PlannedMessage OneDocument(out string pdfPath, out string xmlPath, params string[] to)
        {
            pdfPath = _folder.RandomFile(SwedishPdf, 70_001, 1);
            xmlPath = _folder.File("1001.xml", "<?xml version=\"1.0\" encoding=\"utf-8\"?><Order><Customer>Åhus Glass & Öl</Customer></Order>");
            var documents = DocumentCollector.Collect(
                new[] { new DocumentRequest { Paths = new[] { pdfPath, xmlPath }, To = to.Length > 0 ? to : new[] { "Kund <kund@example.se>" }, DocumentId = "1001" } },
                out var rejections);
            Assert.Empty(rejections);
            return Assert.Single(MessagePlanner.Plan(documents, false, 10 * 1_048_576));
        }

        private static (MimeMessage Parsed, byte[] Raw) RoundTrip(OutgoingMessage message)
        {
            using (var buffer = new MemoryStream())
            {
                message.WriteTo(buffer);
                var raw = buffer.ToArray();
                return (MimeMessage.Load(new MemoryStream(raw)), raw);
            }
        }

        [Fact]
        public void Attachments_arrive_byte_for_byte_with_their_Swedish_names_and_types()
        {
            var plan = OneDocument(out var pdf, out var xml);
            var message = MessageComposer.Compose(plan, Options(SwedishSubject));

            var (parsed, raw) = RoundTrip(message);

            var attachments = parsed.Attachments.OfType<MimePart>().ToList();
            Assert.Equal(2, attachments.Count);
            Assert.Equal(SwedishPdf, attachments[0].FileName);
            Assert.Equal("1001.xml", attachments[1].FileName);
            Assert.Equal("application/pdf", attachments[0].ContentType.MimeType);
            Assert.Equal("application/xml", attachments[1].ContentType.MimeType);
            Assert.All(attachments, a => Assert.Equal(ContentEncoding.Base64, a.ContentTransferEncoding));
            Assert.All(attachments, a => Assert.True(a.IsAttachment));
            Assert.Equal(File.ReadAllBytes(pdf), Decode(attachments[0]));
            Assert.Equal(File.ReadAllBytes(xml), Decode(attachments[1]));

            // On the wire: 7-bit only, the name per RFC 2231 in UTF-8, the subject as RFC 2047 words.
            Assert.All(raw, b => Assert.True(b < 128, "non-ASCII byte in the message"));
            var text = Encoding.ASCII.GetString(raw);
            Assert.Contains("filename*=iso-8859-1''Offert%20%C5hus%201001.pdf", text);
            Assert.Contains("name*=iso-8859-1''Offert%20%C5hus%201001.pdf", text);
            Assert.Contains("Subject: =?utf-8?", text);
            Assert.Equal(SwedishSubject, parsed.Subject);
            Assert.DoesNotContain("\n", text.Replace("\r\n", string.Empty)); // CRLF line ends only
        }

        [Theory]
        [InlineData("Faktura € 1001.pdf", "filename*=utf-8''Faktura%20%E2%82%AC%201001.pdf")]
        [InlineData("Ordererkännande – Ölbryggeriet, Åhus & Ystad (ändrad version 2) med ett riktigt långt filnamn.pdf", "filename*0*=utf-8''")]
        [InlineData("plain-1001.pdf", "filename=plain-1001.pdf")]
        public void File_names_outside_latin1_and_long_names_round_trip(string name, string expectedOnTheWire)
        {
            var path = _folder.RandomFile(name, 3000, 9);
            var documents = DocumentCollector.Collect(new[] { new DocumentRequest { Paths = new[] { path }, To = new[] { "kund@example.se" } } }, out _);
            var message = MessageComposer.Compose(MessagePlanner.Plan(documents, false, 1).Single(), Options());

            var (parsed, raw) = RoundTrip(message);

            var attachment = Assert.IsType<MimePart>(parsed.Attachments.Single());
            Assert.Equal(name, attachment.FileName);
            Assert.Equal(File.ReadAllBytes(path), Decode(attachment));
            Assert.Contains(expectedOnTheWire, Encoding.ASCII.GetString(raw));
            Assert.All(raw, b => Assert.True(b < 128));
        }

        private static byte[] Decode(MimePart part)
        {
            using (var output = new MemoryStream())
            {
                part.Content!.DecodeTo(output);
                return output.ToArray();
            }
        }

        [Fact]
        public void Headers_body_message_id_and_date_are_written()
        {
            var plan = OneDocument(out _, out _, "Kund <kund@example.se>", "inkop@example.se");
            var options = Options();
            options.Body = "Hej!\r\nHär kommer ordererkännandet för Åhus.";

            var message = MessageComposer.Compose(plan, options);
            var (parsed, _) = RoundTrip(message);

            Assert.Equal("\"Ölbryggeriet AB\" <order@olbryggeriet.se>", message.From);
            Assert.Equal("order@olbryggeriet.se", parsed.From.Mailboxes.Single().Address);
            Assert.Equal("Ölbryggeriet AB", parsed.From.Mailboxes.Single().Name);
            Assert.Equal(new[] { "kund@example.se", "inkop@example.se" }, parsed.To.Mailboxes.Select(m => m.Address));
            Assert.Equal("Kund", parsed.To.Mailboxes.First().Name);
            Assert.Empty(parsed.Cc);
            Assert.Matches("^<[^<>@]+@olbryggeriet\\.se>$", message.MessageId);
            Assert.Equal(message.MessageId, "<" + parsed.MessageId + ">");
            Assert.Equal(options.Date, parsed.Date);
            var body = Assert.IsType<TextPart>(parsed.BodyParts.First());
            Assert.True(body.IsPlain);
            Assert.Equal(options.Body.Replace("\r\n", "\n"), body.Text.Replace("\r\n", "\n").TrimEnd('\n'));
            Assert.Equal("Dokument 1001", parsed.Subject); // MessageLanguage sv by default, type Other
        }

        [Fact]
        public void Each_message_gets_its_own_message_id()
        {
            var plan = OneDocument(out _, out _);
            var ids = Enumerable.Range(0, 20).Select(_ => MessageComposer.Compose(plan, Options()).MessageId).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
        }

        [Theory]
        [InlineData(CopyToSelf.None, 0, 0)]
        [InlineData(CopyToSelf.Cc, 1, 0)]
        [InlineData(CopyToSelf.Bcc, 0, 1)]
        public void Copy_to_self_adds_the_sender_as_Cc_or_Bcc(CopyToSelf copy, int ccCount, int bccCount)
        {
            var plan = OneDocument(out _, out _);

            var message = MessageComposer.Compose(plan, Options(copy: copy));
            var (parsed, _) = RoundTrip(message);

            Assert.Equal(ccCount, parsed.Cc.Mailboxes.Count(m => m.Address == "order@olbryggeriet.se"));
            Assert.Equal(bccCount, parsed.Bcc.Mailboxes.Count(m => m.Address == "order@olbryggeriet.se"));
            Assert.Equal(ccCount, message.Cc.Count);
            Assert.Equal(bccCount, message.Bcc.Count);
            Assert.Equal(1 + ccCount + bccCount, message.AllRecipients.Count);
        }

        [Fact]
        public void Copy_to_self_does_not_repeat_a_sender_who_is_already_a_recipient()
        {
            var plan = OneDocument(out _, out _, "kund@example.se", "ORDER@olbryggeriet.se");
            var message = MessageComposer.Compose(plan, Options(copy: CopyToSelf.Bcc));
            Assert.Empty(message.Bcc);
            Assert.Equal(2, message.AllRecipients.Count);
        }

        [Fact]
        public void Html_body_is_text_html()
        {
            var plan = OneDocument(out _, out _);
            var options = Options();
            options.Body = "<p>Hej <b>Åhus</b></p>";
            options.BodyAsHtml = true;

            var (parsed, _) = RoundTrip(MessageComposer.Compose(plan, options));

            var body = Assert.IsType<TextPart>(parsed.BodyParts.First());
            Assert.True(body.IsHtml);
            Assert.Equal("<p>Hej <b>Åhus</b></p>", body.Text.TrimEnd('\r', '\n'));
        }

        [Fact]
        public void Default_body_lists_the_documents_and_files()
        {
            var plan = OneDocument(out _, out _);
            var message = MessageComposer.Compose(plan, Options());
            Assert.Equal("Hej!\r\n\r\nBifogat finns dokument 1001 (Offert Åhus 1001.pdf, 1001.xml).\r\n", message.Body);
            Assert.False(message.IsHtml);

            var html = Options();
            html.BodyAsHtml = true;
            Assert.Equal("<p>Hej!<br>\r\n<br>\r\nBifogat finns dokument 1001 (Offert Åhus 1001.pdf, 1001.xml).</p>",
                MessageComposer.Compose(plan, html).Body);
        }

        private static PlannedMessage Split(int part, int partCount, params string[] ids)
        {
            var recipients = RecipientSet.Parse(new[] { "kund@example.se" });
            var documents = ids.Select((id, i) => PlanningData.Doc(id, 10, recipients, i)).ToArray();
            return new PlannedMessage(documents, recipients, part, partCount);
        }

        [Theory]
        [InlineData(null, 1, 1, new[] { "1001" }, "Dokument 1001")]
        [InlineData(null, 1, 1, new[] { "1001", "1002" }, "Dokument 1001, 1002")]
        [InlineData(null, 2, 3, new[] { "1003", "1004" }, "Dokument 1003, 1004 (del 2 av 3)")]
        [InlineData("Order {DocumentIds}", 1, 1, new[] { "1001" }, "Order 1001")]
        [InlineData("Order {documentids}", 3, 3, new[] { "1005" }, "Order 1005 (del 3 av 3)")]
        [InlineData("Fakturor {DocumentIds} del {Part}/{PartCount}", 2, 2, new[] { "7", "8" }, "Fakturor 7, 8 del 2/2")]
        [InlineData("Del {PART} av {PartCount}: {DocumentIds}", 1, 2, new[] { "7" }, "Del 1 av 2: 7")]
        [InlineData("Bara {PartCount} delar", 1, 2, new[] { "7" }, "Bara 2 delar (del 1 av 2)")]
        [InlineData("Rad ett\r\nrad två", 1, 1, new[] { "7" }, "Rad ett rad två")]
        [InlineData("   ", 1, 1, new[] { "7" }, "Dokument 7")]
        public void Subject_placeholders_and_defaults(string? template, int part, int partCount, string[] ids, string expected)
        {
            var plan = Split(part, partCount, ids);
            Assert.Equal(expected, MessageComposer.Subject(template, plan));
            Assert.Equal(expected, MessageComposer.Compose(plan, Options(template)).Subject);
        }

        [Fact]
        public void A_split_plan_composes_each_part_with_its_own_subject_and_attachments()
        {
            var kund = new[] { "kund@example.se" };
            var requests = Enumerable.Range(0, 5)
                .Select(i => new DocumentRequest { Paths = new[] { _folder.RandomFile("Faktura 200" + i + ".pdf", 400_000, i) }, To = kund, InputIndex = i })
                .ToList();
            var documents = DocumentCollector.Collect(requests, out _);
            var plan = MessagePlanner.Plan(documents, combine: true, limitBytes: 1_000_000);

            var messages = plan.Select(p => MessageComposer.Compose(p, Options("Fakturor {DocumentIds}"))).ToList();

            Assert.Equal(3, messages.Count);
            Assert.Equal("Fakturor Faktura 2000, Faktura 2001 (del 1 av 3)", messages[0].Subject);
            Assert.Equal("Fakturor Faktura 2004 (del 3 av 3)", messages[2].Subject);
            foreach (var message in messages)
            {
                var (parsed, _) = RoundTrip(message);
                var names = parsed.Attachments.OfType<MimePart>().Select(a => a.FileName ?? string.Empty).ToList();
                Assert.Equal(message.AttachmentNames, names);
                Assert.All(parsed.Attachments.OfType<MimePart>(), a =>
                    Assert.Equal(File.ReadAllBytes(Path.Combine(_folder.Path, a.FileName!)), Decode(a)));
            }
        }

        [Fact]
        public void A_bad_or_missing_sender_is_an_error_with_an_id()
        {
            var plan = OneDocument(out _, out _);

            var bad = Assert.Throws<G5MailErrorException>(() => MessageComposer.Compose(plan, new ComposeOptions { From = "order@@olbryggeriet" }));
            Assert.Equal(ErrorIds.InvalidAddress, bad.ErrorId);
            Assert.Contains("order@@olbryggeriet", bad.Message);

            var two = Assert.Throws<G5MailErrorException>(() => MessageComposer.Compose(plan, new ComposeOptions { From = "a@example.se; b@example.se" }));
            Assert.Equal(ErrorIds.InvalidAddress, two.ErrorId);

            var none = Assert.Throws<G5MailErrorException>(() => MessageComposer.Compose(plan, new ComposeOptions { From = " " }));
            Assert.Equal(ErrorIds.SettingsIncomplete, none.ErrorId);
            Assert.Contains("Set-G5MailSetting -From", none.Message);
        }

        [Fact]
        public void The_size_estimate_matches_the_written_size()
        {
            var sizes = new[] { 0, 1, 2, 3, 56, 57, 58, 59, 1000, 70_001 };
            var recipients = new[] { "kund@example.se" };
            var requests = sizes.Select((size, i) => new DocumentRequest
            {
                Paths = new[] { _folder.RandomFile("fil " + i + " Ö.bin", size, i) },
                To = recipients,
                DocumentId = "D",
                InputIndex = i,
            });
            var documents = DocumentCollector.Collect(requests, out _);
            var message = MessageComposer.Compose(Assert.Single(MessagePlanner.Plan(documents, true, long.MaxValue)), Options(SwedishSubject));

            long written;
            using (var buffer = new MemoryStream())
            {
                message.WriteTo(buffer);
                written = buffer.Length;
            }

            Assert.Equal(written, message.EstimateEncodedSize());
        }

        [Fact]
        public void Attachment_files_are_opened_only_when_written_and_closed_on_dispose()
        {
            var plan = OneDocument(out _, out _);
            var message = MessageComposer.Compose(plan, Options());

            List<LazyFileStream> streams;
            using (var mime = message.ToMimeMessage())
            {
                streams = mime.Attachments.OfType<MimePart>().Select(p => Assert.IsType<Base64FileStream>(p.Content!.Stream).File).ToList();
                Assert.Equal(2, streams.Count);
                Assert.All(streams, s => Assert.False(s.IsOpen));

                mime.WriteTo(OutgoingMessage.CreateFormatOptions(), Stream.Null);
                Assert.All(streams, s => Assert.True(s.IsOpen));

                // Written twice (a retry after a dropped connection): the same bytes again.
                using (var first = new MemoryStream())
                using (var second = new MemoryStream())
                {
                    mime.WriteTo(OutgoingMessage.CreateFormatOptions(), first);
                    mime.WriteTo(OutgoingMessage.CreateFormatOptions(), second);
                    Assert.Equal(first.ToArray(), second.ToArray());
                }
            }

            Assert.All(streams, s => Assert.True(s.IsDisposed));
            Assert.All(streams, s => Assert.False(s.IsOpen));
        }

        [Fact]
        public void A_file_removed_before_sending_gives_FileNotFound()
        {
            var plan = OneDocument(out var pdf, out _);
            var message = MessageComposer.Compose(plan, Options());
            File.Delete(pdf);

            var error = Assert.Throws<G5MailErrorException>(() => message.WriteTo(Stream.Null));
            Assert.Equal(ErrorIds.FileNotFound, error.ErrorId);
            Assert.Contains(pdf, error.Message);
        }
    }
}
