using System;
using System.IO;
using System.Linq;
using System.Threading;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using MimeKit;
using Xunit;

namespace G5Mail.Core.Tests.Mailbox
{
    public class AttachmentSaverTests
    {
        [Theory]
        [InlineData("../../etc/passwd", "passwd")]
        [InlineData("..\\..\\Windows\\System32\\evil.dll", "evil.dll")]
        [InlineData("C:\\Users\\x\\faktura.pdf", "faktura.pdf")]
        [InlineData("C:faktura.pdf", "faktura.pdf")]
        [InlineData("/absolute/path/order.xml", "order.xml")]
        [InlineData("..", "attachment.pdf")]
        [InlineData("...", "attachment.pdf")]
        [InlineData("", "attachment.pdf")]
        [InlineData("   ", "attachment.pdf")]
        [InlineData("CON", "_CON")]
        [InlineData("con.pdf", "_con.pdf")]
        [InlineData("NUL.txt", "_NUL.txt")]
        [InlineData("COM1.pdf", "_COM1.pdf")]
        [InlineData("LPT9", "_LPT9")]
        [InlineData("faktura<1>:2|3?.pdf", "faktura_1__2_3_.pdf")]
        [InlineData("a\"b*c.pdf", "a_b_c.pdf")]
        [InlineData("line\r\nbreak.pdf", "line__break.pdf")]
        [InlineData("tab\there.pdf", "tab_here.pdf")]
        [InlineData(".hidden.pdf", "hidden.pdf")]
        [InlineData("trailing.pdf. ", "trailing.pdf")]
        [InlineData("Faktura 1001 – Åäö.pdf", "Faktura 1001 – Åäö.pdf")]
        [InlineData("invoice\u202Efdp.exe", "invoice_fdp.exe")]
        public void A_name_from_the_mail_becomes_a_safe_name_in_the_folder(string original, string expected)
        {
            Assert.Equal(expected, AttachmentSaver.SafeName(original, new ContentType("application", "pdf")));
        }

        [Fact]
        public void A_long_name_is_cut_to_the_limit_and_keeps_its_extension()
        {
            string name = AttachmentSaver.SafeName(new string('å', 300) + ".pdf");
            Assert.EndsWith(".pdf", name);
            Assert.True(System.Text.Encoding.UTF8.GetByteCount(name) <= AttachmentSaver.MaxNameBytes);
        }

        [Fact]
        public void Hostile_names_are_saved_inside_the_folder_and_nowhere_else()
        {
            using var root = new TempFolder();
            string dir = Path.Combine(root.Path, "in");
            var message = Mails.WithAttachments("x",
                ("../escape.pdf", new byte[] { 1 }),
                ("..\\..\\escape2.pdf", new byte[] { 2 }),
                ("/tmp/escape3.pdf", new byte[] { 3 }),
                ("NUL", new byte[] { 4 }),
                ("..", new byte[] { 5 }));

            var saved = new AttachmentSaver(dir).Process(message, "m1", CancellationToken.None);

            Assert.Equal(5, saved.Count);
            Assert.All(saved, a => Assert.Equal(dir, Path.GetDirectoryName(a.Path)));
            Assert.Equal(new[] { "in" }, Directory.GetFileSystemEntries(root.Path).Select(Path.GetFileName));
            Assert.Equal(5, Directory.GetFiles(dir).Length);
            Assert.Equal(new[] { "escape.pdf", "escape2.pdf", "escape3.pdf", "_NUL", "attachment.pdf" }, saved.Select(a => a.Name));
            Assert.Equal("../escape.pdf", saved[0].OriginalName);
        }

        [Fact]
        public void Each_saved_file_has_the_sent_bytes_its_size_and_its_sha256()
        {
            using var root = new TempFolder();
            byte[] pdf = Mails.Bytes(300_000, 1);
            var message = Mails.WithAttachments("x", ("Faktura 1001.pdf", pdf));

            var saved = new AttachmentSaver(root.Path).Process(message, "m1", CancellationToken.None).Single();

            Assert.Equal(pdf, File.ReadAllBytes(saved.Path!));
            Assert.Equal(pdf.Length, saved.Size);
            Assert.Equal(Mails.Sha256(pdf), saved.Sha256);
            Assert.Equal("application/pdf", saved.ContentType);
            Assert.Empty(Directory.GetFiles(root.Path, "*.tmp"));
        }

        [Fact]
        public void Without_a_folder_the_attachments_are_listed_with_their_hash_and_nothing_is_written()
        {
            byte[] pdf = Mails.Bytes(1000, 2);
            var saved = new AttachmentSaver(null).Process(Mails.WithAttachments("x", ("a.pdf", pdf)), "m1", CancellationToken.None).Single();
            Assert.Null(saved.Path);
            Assert.Equal(Mails.Sha256(pdf), saved.Sha256);
            Assert.Equal(1000, saved.Size);
        }

        [Fact]
        public void A_name_taken_by_other_content_gets_a_suffix_and_the_old_file_is_untouched()
        {
            using var root = new TempFolder();
            root.File("Faktura.pdf", new byte[] { 9, 9, 9 });
            byte[] first = Mails.Bytes(100, 3);
            byte[] second = Mails.Bytes(100, 4);
            var message = Mails.WithAttachments("x", ("Faktura.pdf", first), ("Faktura.pdf", second));

            var saved = new AttachmentSaver(root.Path).Process(message, "m1", CancellationToken.None);

            Assert.Equal(new[] { "Faktura (2).pdf", "Faktura (3).pdf" }, saved.Select(a => a.Name));
            Assert.Equal(new byte[] { 9, 9, 9 }, File.ReadAllBytes(Path.Combine(root.Path, "Faktura.pdf")));
            Assert.Equal(first, File.ReadAllBytes(saved[0].Path!));
            Assert.Equal(second, File.ReadAllBytes(saved[1].Path!));
        }

        [Fact]
        public void Saving_the_same_message_again_reuses_the_files_instead_of_making_copies()
        {
            using var root = new TempFolder();
            var message = Mails.WithAttachments("x", ("a.pdf", Mails.Bytes(5000, 5)), ("b.xml", Mails.Bytes(10, 6)));
            var saver = new AttachmentSaver(root.Path);

            var first = saver.Process(message, "m1", CancellationToken.None);
            var again = saver.Process(message, "m1", CancellationToken.None);

            Assert.Equal(first.Select(a => a.Path), again.Select(a => a.Path));
            Assert.Equal(2, Directory.GetFiles(root.Path).Length);
        }

        [Fact]
        public void A_pdf_sent_without_content_disposition_but_with_a_name_is_an_attachment()
        {
            var pdf = new MimePart("application", "pdf") { Content = new MimeContent(new MemoryStream(new byte[] { 1, 2, 3 })) };
            pdf.ContentType.Name = "order.pdf";
            pdf.Headers.Remove(HeaderId.ContentDisposition);
            var message = new MimeMessage { Body = new Multipart("mixed") { new TextPart("plain") { Text = "hej" }, pdf } };

            var saved = new AttachmentSaver(null).Process(message, "m1", CancellationToken.None);

            Assert.Equal("order.pdf", Assert.Single(saved).Name);
        }

        [Fact]
        public void A_winmail_dat_is_unpacked_into_the_attachments_it_carries()
        {
            using var root = new TempFolder();
            byte[] pdf = Mails.Bytes(4000, 7);
            byte[] xml = System.Text.Encoding.UTF8.GetBytes("<order/>");
            var tnef = new MimePart("application", "ms-tnef") { Content = new MimeContent(new MemoryStream(Tnef.Build(("Faktura 77.pdf", pdf), ("order.xml", xml)))), FileName = "winmail.dat" };
            var message = new MimeMessage { Body = new Multipart("mixed") { new TextPart("plain") { Text = "see attached" }, tnef } };
            // Parsed back, as a received message is: MimeKit makes the part a TnefPart.
            message = Reparse(message);

            var saved = new AttachmentSaver(root.Path).Process(message, "m1", CancellationToken.None);

            Assert.Equal(new[] { "Faktura 77.pdf", "order.xml" }, saved.Select(a => a.Name));
            Assert.Equal(pdf, File.ReadAllBytes(saved[0].Path!));
            Assert.Equal(xml, File.ReadAllBytes(saved[1].Path!));
            Assert.DoesNotContain("winmail.dat", Directory.GetFiles(root.Path).Select(Path.GetFileName));
        }

        [Fact]
        public void A_damaged_winmail_dat_makes_the_message_unreadable()
        {
            byte[] broken = Tnef.Build(("a.pdf", Mails.Bytes(100, 8)));
            Array.Resize(ref broken, broken.Length - 60); // cut in the middle of the attachment's data
            var tnef = new MimePart("application", "ms-tnef") { Content = new MimeContent(new MemoryStream(broken)), FileName = "winmail.dat" };
            var message = Reparse(new MimeMessage { Body = new Multipart("mixed") { new TextPart("plain") { Text = "x" }, tnef } });

            var ex = Assert.Throws<G5MailErrorException>(() => new AttachmentSaver(null).Process(message, "<m1@x>", CancellationToken.None));

            Assert.Equal(ErrorIds.MessageUnreadable, ex.ErrorId);
            Assert.Equal("<m1@x>", ex.Target);
            Assert.Equal(FailureScope.Message, ex.Scope);
        }

        [Fact]
        public void A_folder_that_is_a_file_stops_the_call_not_just_the_message()
        {
            using var root = new TempFolder();
            string file = root.File("not-a-folder", "x");
            var ex = Assert.Throws<G5MailErrorException>(() =>
                new AttachmentSaver(file).Process(Mails.WithAttachments("x", ("a.pdf", new byte[] { 1 })), "m1", CancellationToken.None));
            Assert.NotEqual(FailureScope.Message, ex.Scope);
        }

        private static MimeMessage Reparse(MimeMessage message)
        {
            var stream = new MemoryStream();
            message.WriteTo(stream);
            stream.Position = 0;
            return MimeMessage.Load(stream);
        }
    }
}
