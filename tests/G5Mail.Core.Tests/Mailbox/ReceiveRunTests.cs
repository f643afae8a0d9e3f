using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using Xunit;

namespace G5Mail.Core.Tests.Mailbox
{
    public class ReceiveRunTests
    {
        private static ReceiveRun<ReceivedMessage> Run(FakeMailbox box, ReceiveOptions options, string? saveTo = null, bool body = false) =>
            new ReceiveRun<ReceivedMessage>(options, () => box, new ReceivedMessageHandler(saveTo, body), NullRunLog.Instance);

        [Fact]
        public void Messages_come_oldest_first_with_the_listing_fields_and_no_download_when_nothing_needs_the_content()
        {
            var box = new FakeMailbox();
            var now = DateTimeOffset.UtcNow;
            box.Add("2", Mails.WithAttachments("second", ("b.pdf", new byte[] { 2 })), received: now.AddMinutes(2));
            box.Add("1", Mails.WithAttachments("first", ("a.pdf", new byte[] { 1 })), received: now.AddMinutes(1), isRead: true);
            var host = new RecordingReceiveHost<ReceivedMessage>();

            Run(box, new ReceiveOptions()).Run(host, CancellationToken.None);

            Assert.Equal(new[] { "first", "second" }, host.Results.Select(r => r.Subject));
            Assert.Equal(new[] { "OpenFolder:ro", "List", "Dispose" }, box.Calls);
            ReceivedMessage first = host.Results[0];
            Assert.True(first.IsRead);
            Assert.Equal("Inbox", first.Folder);
            Assert.Equal("1", first.RemoteId);
            Assert.Equal("faktura@supplier.example", first.From);
            Assert.Equal(new[] { "ekonomi@example.com" }, first.To);
            Assert.True(first.HasAttachments);
            Assert.Empty(first.Actions);
        }

        [Fact]
        public void Attachments_are_saved_before_the_message_is_marked_and_moved()
        {
            using var dir = new TempFolder();
            var box = new FakeMailbox();
            byte[] pdf = Mails.Bytes(2000, 11);
            box.Add("1", Mails.WithAttachments("Faktura 5", ("Faktura 5.pdf", pdf)));
            var host = new RecordingReceiveHost<ReceivedMessage>();

            Run(box, new ReceiveOptions { MarkAsRead = true, MoveTo = FolderPath.Parse("Inbox/Klart", "MoveTo") }, dir.Path).Run(host, CancellationToken.None);

            Assert.Equal(new[] { "OpenFolder:rw", "List", "Download:1", "MarkRead:1", "EnsureFolder:Inbox/Klart", "Move:1", "Dispose" }, box.Calls);
            ReceivedMessage result = Assert.Single(host.Results);
            Assert.Equal(new[] { MessageActions.MarkedAsRead, MessageActions.Moved }, result.Actions);
            Assert.Equal("Inbox/Klart", result.Folder);
            Assert.False(result.IsRead); // as it was before this call
            Assert.Equal(pdf, File.ReadAllBytes(Assert.Single(result.Attachments).Path!));
        }

        [Fact]
        public void The_move_folder_is_made_once_for_the_call()
        {
            var box = new FakeMailbox();
            for (int i = 0; i < 3; i++)
            {
                box.Add(i.ToString(), Mails.WithAttachments("m" + i));
            }

            Run(box, new ReceiveOptions { MoveTo = FolderPath.Parse("Klart", "MoveTo") }).Run(new RecordingReceiveHost<ReceivedMessage>(), CancellationToken.None);

            Assert.Single(box.Calls, c => c.StartsWith("EnsureFolder", StringComparison.Ordinal));
            Assert.Equal(3, box.Calls.Count(c => c.StartsWith("Move:", StringComparison.Ordinal)));
        }

        [Fact]
        public void A_broken_message_among_good_ones_fails_alone_and_is_neither_marked_nor_moved()
        {
            using var dir = new TempFolder();
            var box = new FakeMailbox();
            box.Add("1", Mails.WithAttachments("good 1", ("a.pdf", new byte[] { 1 })));
            byte[] broken = Tnef.Build(("x.pdf", Mails.Bytes(500, 1)));
            Array.Resize(ref broken, broken.Length - 100);
            string mime = "From: a@b.example\r\nMessage-ID: <broken@b.example>\r\nSubject: broken\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                          + "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                          + Convert.ToBase64String(broken, Base64FormattingOptions.InsertLineBreaks) + "\r\n--b--\r\n";
            box.AddRaw("2", Encoding.ASCII.GetBytes(mime));
            box.Messages[1].Summary.MessageId = "broken@b.example";
            box.Messages[1].Summary.Received = DateTimeOffset.UtcNow.AddMinutes(1);
            box.Add("3", Mails.WithAttachments("good 3", ("c.pdf", new byte[] { 3 })), received: DateTimeOffset.UtcNow.AddMinutes(2));
            var host = new RecordingReceiveHost<ReceivedMessage>();

            Run(box, new ReceiveOptions { MarkAsRead = true, MoveTo = FolderPath.Parse("Klart", "MoveTo") }, dir.Path).Run(host, CancellationToken.None);

            Assert.Equal(new[] { "good 1", "good 3" }, host.Results.Select(r => r.Subject));
            G5MailErrorException error = Assert.Single(host.Errors);
            Assert.Equal(ErrorIds.MessageUnreadable, error.ErrorId);
            Assert.Equal("<broken@b.example>", error.Target);
            Assert.DoesNotContain("MarkRead:2", box.Calls);
            Assert.DoesNotContain("Move:2", box.Calls);
            Assert.Equal("Inbox", box.Messages[1].Folder);
        }

        [Fact]
        public void A_crash_between_saving_and_moving_is_repaired_by_a_rerun_without_copies()
        {
            using var dir = new TempFolder();
            var box = new FakeMailbox();
            byte[] pdf = Mails.Bytes(3000, 12);
            box.Add("1", Mails.WithAttachments("Faktura 9", ("Faktura 9.pdf", pdf)));
            box.Failures["Move:1"] = new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, "connection lost");
            var options = new ReceiveOptions { MoveTo = FolderPath.Parse("Klart", "MoveTo") };

            var ex = Assert.Throws<G5MailErrorException>(() => Run(box, options, dir.Path).Run(new RecordingReceiveHost<ReceivedMessage>(), CancellationToken.None));
            Assert.Equal(ErrorIds.ConnectionFailed, ex.ErrorId);
            Assert.Equal("Inbox", box.Messages[0].Folder);
            Assert.Single(Directory.GetFiles(dir.Path));

            var host = new RecordingReceiveHost<ReceivedMessage>();
            Run(box, options, dir.Path).Run(host, CancellationToken.None);

            Assert.Equal("Klart", box.Messages[0].Folder);
            Assert.Equal(Path.Combine(dir.Path, "Faktura 9.pdf"), Assert.Single(Assert.Single(host.Results).Attachments).Path);
            Assert.Single(Directory.GetFiles(dir.Path));
        }

        [Fact]
        public void A_message_gone_when_it_is_moved_fails_alone()
        {
            var box = new FakeMailbox();
            box.Add("1", Mails.WithAttachments("one"));
            box.Add("2", Mails.WithAttachments("two"));
            box.Add("3", Mails.WithAttachments("three"));
            box.Failures["Move:2"] = new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.ObjectNotFound, "moved by someone else");
            var host = new RecordingReceiveHost<ReceivedMessage>();

            Run(box, new ReceiveOptions { MoveTo = FolderPath.Parse("Klart", "MoveTo") }).Run(host, CancellationToken.None);

            Assert.Equal(new[] { "one", "three" }, host.Results.Select(r => r.Subject));
            Assert.Equal(ErrorIds.MessageUnreadable, Assert.Single(host.Errors).ErrorId);
            Assert.Contains("Move:3", box.Calls);
        }

        [Fact]
        public void WhatIf_reads_but_changes_nothing_and_says_so()
        {
            var box = new FakeMailbox();
            box.Add("1", Mails.WithAttachments("x"));
            var host = new RecordingReceiveHost<ReceivedMessage>();

            Run(box, new ReceiveOptions { WhatIf = true, MarkAsRead = true, MoveTo = FolderPath.Parse("Klart", "MoveTo") }).Run(host, CancellationToken.None);

            Assert.Equal(new[] { "OpenFolder:ro", "List", "Dispose" }, box.Calls);
            Assert.Equal(new[] { MessageActions.WhatIf }, Assert.Single(host.Results).Actions);
            Assert.Equal(2, host.Asked.Count);
            Assert.StartsWith("Mark as read", host.Asked[0]);
            Assert.StartsWith("Move to Klart", host.Asked[1]);
        }

        [Fact]
        public void Declined_by_confirm_the_message_is_written_untouched()
        {
            var box = new FakeMailbox();
            box.Add("1", Mails.WithAttachments("x"));
            var host = new RecordingReceiveHost<ReceivedMessage> { Answer = false };

            Run(box, new ReceiveOptions { MarkAsRead = true }).Run(host, CancellationToken.None);

            Assert.DoesNotContain("MarkRead:1", box.Calls);
            Assert.Empty(Assert.Single(host.Results).Actions);
        }

        [Fact]
        public void An_already_read_message_is_not_marked_again()
        {
            var box = new FakeMailbox();
            box.Add("1", Mails.WithAttachments("x"), isRead: true);
            Run(box, new ReceiveOptions { MarkAsRead = true }).Run(new RecordingReceiveHost<ReceivedMessage>(), CancellationToken.None);
            Assert.DoesNotContain("MarkRead:1", box.Calls);
        }

        [Fact]
        public void A_missing_folder_is_one_error_for_the_call()
        {
            var box = new FakeMailbox();
            var ex = Assert.Throws<G5MailErrorException>(() =>
                Run(box, new ReceiveOptions { Folder = FolderPath.Parse("Inbox/Saknas", "Folder") }).Run(new RecordingReceiveHost<ReceivedMessage>(), CancellationToken.None));
            Assert.Equal(ErrorIds.FolderNotFound, ex.ErrorId);
            Assert.Equal("Inbox/Saknas", ex.Target);
            Assert.Contains("Dispose", box.Calls);
        }

        [Fact]
        public void A_server_failure_in_the_middle_ends_the_call_after_what_was_written()
        {
            var box = new FakeMailbox();
            box.Add("1", Mails.WithAttachments("one"));
            box.Add("2", Mails.WithAttachments("two"));
            box.Add("3", Mails.WithAttachments("three"));
            box.Failures["Download:2"] = new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, "lost");
            var host = new RecordingReceiveHost<ReceivedMessage>();

            Assert.Throws<G5MailErrorException>(() => Run(box, new ReceiveOptions(), body: true).Run(host, CancellationToken.None));

            Assert.Equal(new[] { "one" }, host.Results.Select(r => r.Subject));
            Assert.DoesNotContain("Download:3", box.Calls);
        }

        [Fact]
        public void IncludeBody_gives_the_plain_text()
        {
            var box = new FakeMailbox();
            box.Add("1", Mails.WithAttachments("x"));
            var host = new RecordingReceiveHost<ReceivedMessage>();
            Run(box, new ReceiveOptions(), body: true).Run(host, CancellationToken.None);
            ReceivedMessage result = Assert.Single(host.Results);
            Assert.Equal("Hej,\nbifogat.\n", result.Body!.Replace("\r\n", "\n"));
            Assert.False(result.BodyIsHtml);
        }

        [Fact]
        public void First_takes_the_oldest()
        {
            var box = new FakeMailbox();
            var now = DateTimeOffset.UtcNow;
            for (int i = 5; i >= 1; i--)
            {
                box.Add(i.ToString(), Mails.WithAttachments("m" + i), received: now.AddMinutes(i));
            }

            var host = new RecordingReceiveHost<ReceivedMessage>();
            Run(box, new ReceiveOptions { Query = new MailQuery { First = 2 } }).Run(host, CancellationToken.None);
            Assert.Equal(new[] { "m1", "m2" }, host.Results.Select(r => r.Subject));
        }
    }

    public class FolderPathTests
    {
        [Theory]
        [InlineData("Inbox", WellKnownFolder.Inbox, "Inbox")]
        [InlineData("inkorg", WellKnownFolder.Inbox, "inkorg")]
        [InlineData("Inbox/Leverantörsfakturor", WellKnownFolder.Inbox, "Inbox/Leverantörsfakturor")]
        [InlineData("Inkorg\\Fakturor\\2026", WellKnownFolder.Inbox, "Inkorg/Fakturor/2026")]
        [InlineData("/Inbox//Sub/", WellKnownFolder.Inbox, "Inbox/Sub")]
        [InlineData("Skickat", WellKnownFolder.SentItems, "Skickat")]
        [InlineData("Sent Items", WellKnownFolder.SentItems, "Sent Items")]
        [InlineData("Skräppost", WellKnownFolder.JunkEmail, "Skräppost")]
        [InlineData("Studsade", WellKnownFolder.None, "Studsade")]
        public void Paths_and_well_known_names(string text, WellKnownFolder root, string normalized)
        {
            FolderPath path = FolderPath.Parse(text, "Folder");
            Assert.Equal(root, path.Root);
            Assert.Equal(normalized, path.Text);
        }

        [Fact]
        public void Below_is_what_follows_a_well_known_root()
        {
            Assert.Equal(new[] { "Fakturor", "2026" }, FolderPath.Parse("Inbox/Fakturor/2026", "Folder").Below);
            Assert.Equal(new[] { "Studsade" }, FolderPath.Parse("Studsade", "Folder").Below);
        }

        [Theory]
        [InlineData("")]
        [InlineData("//")]
        [InlineData("Inbox/bad\nname")]
        public void Bad_paths_are_InvalidSetting(string text)
        {
            var ex = Assert.Throws<G5MailErrorException>(() => FolderPath.Parse(text, "Folder"));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
        }
    }
}
