using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Transports.Outlook;
using MimeKit;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Outlook
{
    /// <summary>
    /// Receive-G5Mail's Outlook reader against <see cref="RecordingOutlook"/>: which object-model calls it makes, the
    /// Restrict filter it writes, what it lists, the MIME it composes and how Outlook's failures come out. The COM calls
    /// themselves (OutlookComMailbox.cs) are not run on this machine; they are verified only on Windows with classic Outlook.
    /// </summary>
    public sealed class OutlookMailboxReaderTests : IDisposable
    {
        private const string Anna = "anna.svensson@example.se";
        private static readonly CancellationToken None = CancellationToken.None;
        private static readonly TimeZoneInfo Stockholm = TimeZoneInfo.FindSystemTimeZoneById("Europe/Stockholm");

        private readonly TempFolder _temp = new TempFolder();
        private readonly RecordingOutlook _outlook = new RecordingOutlook();
        private readonly ListRunLog _log = new ListRunLog();
        private readonly StoredMailFolder _root;
        private readonly StoredMailFolder _inbox;

        public OutlookMailboxReaderTests()
        {
            _root = _outlook.AddMailStore(Anna);
            _inbox = _root["Inkorgen"];
            Directory.CreateDirectory(TempRoot);
        }

        public void Dispose() => _temp.Dispose();

        private string TempRoot => Path.Combine(_temp.Path, "tmp");

        private OutlookMailboxReader Reader(string? account = null) => _outlook.CreateMailboxReader(TempRoot, account, _log);

        private static DateTimeOffset At(string stockholmTime)
        {
            DateTime local = DateTime.ParseExact(stockholmTime, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            return new DateTimeOffset(local, Stockholm.GetUtcOffset(local));
        }

        private StoredMessage Mail(StoredMailFolder folder, string subject, string received, bool unread = true) => folder.Deliver(new StoredMessage
        {
            Subject = subject,
            SenderName = "Leverantör AB",
            SenderAddress = "faktura@leverantor.example",
            Received = At(received),
            UnRead = unread,
            InternetMessageId = "<" + subject.Replace(' ', '-') + "@leverantor.example>",
            To = { Anna },
        });

        private static T Run<T>(System.Threading.Tasks.Task<T> task) => task.GetAwaiter().GetResult();

        private static void Run(System.Threading.Tasks.Task task) => task.GetAwaiter().GetResult();

        private static G5MailErrorException Fails(Action action) => Assert.Throws<G5MailErrorException>(action);

        // ---- folders ----

        [Theory]
        [InlineData("Inbox", 6, "Inkorgen")]
        [InlineData("inkorg", 6, "Inkorgen")]
        [InlineData("Sent Items", 5, "Skickat")]
        [InlineData("Drafts", 16, "Utkast")]
        [InlineData("Deleted Items", 3, "Borttaget")]
        [InlineData("Junk Email", 23, "Skräppost")]
        public void A_well_known_folder_is_found_by_its_role_whatever_Outlook_calls_it(string path, int role, string name)
        {
            using OutlookMailboxReader reader = Reader();
            string opened = Run(reader.OpenFolderAsync(FolderPath.Parse(path, "Folder"), false, None));

            Assert.Equal(name, opened);
            Assert.Contains($"Store.GetDefaultFolder({role})", _outlook.Calls);
            Assert.Contains("Session.DefaultStore", _outlook.Calls);
        }

        [Fact]
        public void Sub_folders_are_matched_by_name_without_case_and_named_as_Outlook_names_them()
        {
            _inbox.Add("Leverantörsfakturor").Add("2026");
            using OutlookMailboxReader reader = Reader();
            string opened = Run(reader.OpenFolderAsync(FolderPath.Parse(@"Inbox\leverantörsFAKTUROR/2026", "Folder"), false, None));

            Assert.Equal("Inkorgen/Leverantörsfakturor/2026", opened);
        }

        [Fact]
        public void A_first_segment_that_is_no_role_is_a_top_level_folder_and_Archive_is_Outlooks_Arkiv()
        {
            _root.Add("Studsade");
            _root.Add("Arkiv").Add("2025");
            using OutlookMailboxReader reader = Reader();

            Assert.Equal("Studsade", Run(reader.OpenFolderAsync(FolderPath.Parse("studsade", "Folder"), false, None)));
            Assert.Equal("Arkiv/2025", Run(reader.OpenFolderAsync(FolderPath.Parse("Archive/2025", "Folder"), false, None)));
            Assert.Contains("Store.GetRootFolder()", _outlook.Calls);
        }

        [Fact]
        public void A_missing_folder_is_FolderNotFound_for_the_call_and_nothing_is_listed()
        {
            _inbox.Add("Leverantörsfakturor");
            using OutlookMailboxReader reader = Reader();
            G5MailErrorException error = Fails(() => Run(reader.OpenFolderAsync(FolderPath.Parse("Inbox/Leverantörsfakturor/Saknas", "Folder"), false, None)));

            Assert.Equal(ErrorIds.FolderNotFound, error.ErrorId);
            Assert.Equal(ErrorKind.ObjectNotFound, error.Kind);
            Assert.Equal("Inbox/Leverantörsfakturor/Saknas", error.Target);
            Assert.Contains("Inkorgen/Leverantörsfakturor has no sub-folder 'Saknas'", error.Message);
            Assert.Contains(Anna, error.Message);
            Assert.DoesNotContain(_outlook.Calls, c => c.StartsWith("Items", StringComparison.Ordinal));
            Assert.DoesNotContain(_outlook.Calls, c => c.Contains(".Folders.Add("));
        }

        [Fact]
        public void A_store_without_that_default_folder_is_FolderNotFound()
        {
            _root.Children.Remove(_root["Skräppost"]);
            using OutlookMailboxReader reader = Reader();
            G5MailErrorException error = Fails(() => Run(reader.OpenFolderAsync(FolderPath.Parse("Junk Email", "Folder"), false, None)));

            Assert.Equal(ErrorIds.FolderNotFound, error.ErrorId);
            Assert.Equal("Junk Email", error.Target);
            Assert.Contains("no default folder of that kind", error.Message);
        }

        [Fact]
        public void A_missing_top_level_folder_is_FolderNotFound()
        {
            using OutlookMailboxReader reader = Reader();
            G5MailErrorException error = Fails(() => Run(reader.OpenFolderAsync(FolderPath.Parse("Studsade", "Folder"), false, None)));

            Assert.Equal(ErrorIds.FolderNotFound, error.ErrorId);
            Assert.Equal("Studsade", error.Target);
        }

        [Fact]
        public void Mailbox_reads_the_delivery_store_of_that_account_and_an_unknown_one_is_refused()
        {
            StoredMailFolder shared = _outlook.AddMailStore("faktura@example.se");
            Mail(shared["Inkorgen"], "Faktura 77", "2026-12-01 08:00:00");
            using (OutlookMailboxReader reader = Reader("FAKTURA@example.se"))
            {
                Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));
                Assert.Equal(new[] { "Faktura 77" }, Run(reader.ListAsync(new MailQuery(), None)).Select(m => m.Subject));
            }

            using (OutlookMailboxReader reader = Reader("okand@example.se"))
            {
                G5MailErrorException error = Fails(() => Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None)));
                Assert.Equal(ErrorIds.InvalidSetting, error.ErrorId);
                Assert.Equal("Mailbox", error.Target);
            }

            Assert.Equal(0, _outlook.OpenHandles);
        }

        // ---- the Restrict filter ----

        [Fact]
        public void The_filter_is_Jet_with_the_date_in_Outlooks_local_time_and_regional_format_without_seconds()
        {
            // 20:30:45 UTC is 21:30:45 in Stockholm (winter): Jet compares built-in dates as local time, to the minute.
            var query = new MailQuery { Since = new DateTimeOffset(2026, 12, 5, 20, 30, 45, TimeSpan.Zero), UnreadOnly = true };

            Assert.Equal("[ReceivedTime] >= '12/5/2026 9:30 PM' AND [UnRead] = True",
                OutlookMailboxReader.Filter(query, Stockholm, RecordingOutlook.WindowsFormat("en-US", "M/d/yyyy", "h:mm tt")));
            Assert.Equal("[ReceivedTime] >= '2026-12-05 21:30' AND [UnRead] = True",
                OutlookMailboxReader.Filter(query, Stockholm, RecordingOutlook.WindowsFormat("sv-SE", "yyyy-MM-dd", "HH:mm")));
            Assert.Equal("[ReceivedTime] >= '05.12.2026 21:30'",
                OutlookMailboxReader.Filter(new MailQuery { Since = query.Since }, Stockholm, RecordingOutlook.WindowsFormat("de-DE", "dd.MM.yyyy", "HH:mm")));
            // A user who put seconds in the short time format: Outlook filters without them.
            Assert.Equal("[ReceivedTime] >= '2026-12-05 21:30'",
                OutlookMailboxReader.Filter(new MailQuery { Since = query.Since }, Stockholm, RecordingOutlook.WindowsFormat("sv-SE", "yyyy-MM-dd", "HH:mm:ss")));
            Assert.Equal("[UnRead] = True", OutlookMailboxReader.Filter(new MailQuery { UnreadOnly = true }, Stockholm, CultureInfo.InvariantCulture));
            Assert.Null(OutlookMailboxReader.Filter(new MailQuery(), Stockholm, CultureInfo.InvariantCulture));
        }

        [Fact]
        public void The_filter_follows_Outlooks_regional_format_not_the_culture_the_script_runs_under()
        {
            Mail(_inbox, "Före", "2026-12-05 21:29:59");
            Mail(_inbox, "Efter", "2026-12-05 21:31:00");
            CultureInfo before = CultureInfo.CurrentCulture;
            try
            {
                CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("sv-SE");
                _outlook.RegionalFormat = RecordingOutlook.WindowsFormat("en-US", "M/d/yyyy", "h:mm tt");
                using OutlookMailboxReader reader = Reader();
                Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));
                IReadOnlyList<MailSummary> listed = Run(reader.ListAsync(new MailQuery { Since = At("2026-12-05 21:30:00") }, None));

                Assert.Contains("Items.Restrict([ReceivedTime] >= '12/5/2026 9:30 PM')", _outlook.Calls);
                Assert.Equal(new[] { "Efter" }, listed.Select(m => m.Subject));
            }
            finally
            {
                CultureInfo.CurrentCulture = before;
            }
        }

        [Fact]
        public void Since_is_exact_to_the_second_although_Outlook_filters_by_the_minute()
        {
            Mail(_inbox, "Tio sekunder för tidigt", "2026-12-05 21:30:35");
            Mail(_inbox, "Precis", "2026-12-05 21:30:45");
            Mail(_inbox, "Minuten före", "2026-12-05 21:29:50");
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));
            IReadOnlyList<MailSummary> listed = Run(reader.ListAsync(new MailQuery { Since = At("2026-12-05 21:30:45") }, None));

            Assert.Equal(new[] { "Precis" }, listed.Select(m => m.Subject));
            Assert.Equal(2, _outlook.FactReads); // Restrict left out the earlier minute: its item was never read
        }

        [Fact]
        public void UnreadOnly_lists_only_unread_mail()
        {
            Mail(_inbox, "Läst", "2026-12-01 08:00:00", unread: false);
            Mail(_inbox, "Oläst", "2026-12-01 09:00:00");
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));
            IReadOnlyList<MailSummary> listed = Run(reader.ListAsync(new MailQuery { UnreadOnly = true }, None));

            Assert.Equal(new[] { "Oläst" }, listed.Select(m => m.Subject));
            Assert.False(listed[0].IsRead);
            Assert.Contains("Items.Restrict([UnRead] = True)", _outlook.Calls);
        }

        // ---- listing ----

        [Fact]
        public void Messages_come_oldest_first_and_First_reads_only_the_oldest_ones()
        {
            Mail(_inbox, "Tredje", "2026-12-03 08:00:00");
            Mail(_inbox, "Första", "2026-12-01 08:00:00");
            Mail(_inbox, "Fjärde", "2026-12-04 08:00:00");
            Mail(_inbox, "Andra", "2026-12-02 08:00:00");
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));

            IReadOnlyList<MailSummary> all = Run(reader.ListAsync(new MailQuery(), None));
            Assert.Equal(new[] { "Första", "Andra", "Tredje", "Fjärde" }, all.Select(m => m.Subject));
            Assert.Contains("Items.Sort([ReceivedTime],False)", _outlook.Calls);

            int readBefore = _outlook.FactReads;
            IReadOnlyList<MailSummary> first = Run(reader.ListAsync(new MailQuery { First = 2 }, None));
            Assert.Equal(new[] { "Första", "Andra" }, first.Select(m => m.Subject));
            Assert.Equal(2, _outlook.FactReads - readBefore);
        }

        [Fact]
        public void A_listed_message_carries_what_the_item_says()
        {
            StoredMessage stored = Mail(_inbox, "Faktura 1001", "2026-12-01 08:15:30");
            stored.Cc.Add("inkop@example.se");
            stored.Size = 123456;
            stored.Attachments.Add(("1001.pdf", OutlookAttachmentType.ByValue, new byte[] { 1, 2, 3 }));
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));
            MailSummary m = Assert.Single(Run(reader.ListAsync(new MailQuery(), None)));

            Assert.Equal(stored.EntryId, m.RemoteId);
            Assert.Equal("Faktura-1001@leverantor.example", m.MessageId);
            Assert.Equal("faktura@leverantor.example", m.From);
            Assert.Equal(new[] { Anna }, m.To);
            Assert.Equal(new[] { "inkop@example.se" }, m.Cc);
            Assert.Equal(At("2026-12-01 08:15:30"), m.Received);
            Assert.Equal(123456, m.Size);
            Assert.False(m.IsRead);
            Assert.True(m.HasAttachments);
            Assert.False(m.IsDeliveryReport);
            Assert.Equal(0, _outlook.OpenHandles - 2); // the store and the folder stay open; every item was released
        }

        [Theory]
        [InlineData("REPORT.IPM.Note.NDR", true)]
        [InlineData("REPORT.IPM.Note.DR", true)]
        [InlineData("report.ipm.note.ndr", true)]
        [InlineData("REPORT.IPM.Note.IPNRN", false)]
        [InlineData("REPORT.IPM.Note.IPNNRN", false)]
        [InlineData("IPM.Note", false)]
        [InlineData("IPM.Schedule.Meeting.Request", false)]
        public void A_delivery_report_is_told_by_its_message_class(string messageClass, bool report)
        {
            StoredMessage stored = Mail(_inbox, "Meddelande", "2026-12-01 08:00:00");
            stored.MessageClass = messageClass;
            Mail(_inbox, "Vanligt", "2026-12-01 09:00:00");
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));

            Assert.Equal(report, Run(reader.ListAsync(new MailQuery(), None))[0].IsDeliveryReport);
            IReadOnlyList<MailSummary> reports = Run(reader.ListAsync(new MailQuery { DeliveryReportsOnly = true }, None));
            Assert.Equal(report ? new[] { "Meddelande" } : Array.Empty<string>(), reports.Select(m => m.Subject));
        }

        // ---- MIME ----

        [Fact]
        public void The_MIME_carries_the_arrival_headers_the_body_and_both_attachments_byte_for_byte()
        {
            byte[] pdf = RandomBytes(300_000, 1);
            byte[] xml = Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><Faktura nr=\"1001\">Åhus</Faktura>");
            StoredMessage stored = Mail(_inbox, "Faktura 1001", "2026-12-01 08:15:30");
            stored.TransportHeaders = "Received: from mx.leverantor.example by mx.example.se; Mon, 1 Dec 2026 07:15:29 +0000\r\n"
                                      + "From: =?utf-8?q?Leverant=C3=B6r_AB?= <faktura@leverantor.example>\r\n"
                                      + "To: Anna Svensson <anna.svensson@example.se>\r\n"
                                      + "Subject: Faktura 1001\r\n"
                                      + "Date: Mon, 1 Dec 2026 08:15:00 +0100\r\n"
                                      + "Message-ID: <Faktura-1001@leverantor.example>\r\n"
                                      + "MIME-Version: 1.0\r\n"
                                      + "Content-Type: multipart/mixed; boundary=\"old\"\r\n\r\n";
            stored.Body = new OutlookBody(OutlookBodyFormat.Html, "<html><body><p>Hej, här är fakturan.</p></body></html>");
            stored.Attachments.Add(("Faktura 1001.pdf", OutlookAttachmentType.ByValue, pdf));
            stored.Attachments.Add(("../../1001.xml", OutlookAttachmentType.ByValue, xml));

            MimeMessage message = Download(stored);

            Assert.Equal("Leverantör AB", message.From.Mailboxes.Single().Name);
            Assert.Equal("faktura@leverantor.example", message.From.Mailboxes.Single().Address);
            Assert.Equal("Faktura 1001", message.Subject);
            Assert.Equal("Faktura-1001@leverantor.example", message.MessageId);
            Assert.Equal("from mx.leverantor.example by mx.example.se; Mon, 1 Dec 2026 07:15:29 +0000", message.Headers[HeaderId.Received]?.Trim());
            Assert.Equal("<html><body><p>Hej, här är fakturan.</p></body></html>", message.HtmlBody);
            MimePart[] parts = message.Attachments.OfType<MimePart>().ToArray();
            Assert.Equal(new[] { "Faktura 1001.pdf", "../../1001.xml" }, parts.Select(p => p.FileName));
            Assert.Equal("application/pdf", parts[0].ContentType.MimeType);
            Assert.Equal(Hash(pdf), Hash(Decode(parts[0])));
            Assert.Equal(Hash(xml), Hash(Decode(parts[1])));

            // Outlook saved each attachment into a private folder under a name of its own, and nothing is left behind.
            Assert.Equal(2, _outlook.SavedAttachmentPaths.Count);
            Assert.All(_outlook.SavedAttachmentPaths, p => Assert.StartsWith(TempRoot, p, StringComparison.Ordinal));
            Assert.All(_outlook.SavedAttachmentPaths, p => Assert.Matches(@"G5Mail-[0-9a-f]{32}[/\\][12]$", p));
            Assert.Empty(Directory.EnumerateFileSystemEntries(TempRoot));
            Assert.Equal(0, _outlook.OpenHandles);
        }

        [Fact]
        public void A_message_made_inside_Exchange_without_Internet_headers_gets_headers_from_its_properties()
        {
            StoredMessage stored = Mail(_inbox, "Intern order", "2026-12-01 08:15:30");
            stored.SenderName = "Per Persson";
            stored.SenderAddress = "per.persson@example.se";
            stored.Cc.Add("inkop@example.se");
            stored.InternetMessageId = "<AM0PR01MB1234.eurprd01.prod.exchangelabs.com>";

            MimeMessage message = Download(stored);

            Assert.Equal("per.persson@example.se", message.From.Mailboxes.Single().Address);
            Assert.Equal(new[] { Anna }, message.To.Mailboxes.Select(m => m.Address));
            Assert.Equal(new[] { "inkop@example.se" }, message.Cc.Mailboxes.Select(m => m.Address));
            Assert.Equal("Intern order", message.Subject);
            Assert.Equal(At("2026-12-01 08:15:30"), message.Date);
            Assert.Equal("AM0PR01MB1234.eurprd01.prod.exchangelabs.com", message.MessageId);
            Assert.Equal("Hej!", message.TextBody?.TrimEnd());
            Assert.Empty(message.Attachments);
        }

        [Fact]
        public void A_non_delivery_report_gives_its_text_and_the_bounced_messages_id_as_In_Reply_To()
        {
            StoredMessage stored = Mail(_inbox, "Kan inte levereras: Faktura 1001", "2026-12-02 03:00:00");
            stored.MessageClass = "REPORT.IPM.Note.NDR";
            stored.SenderAddress = null;
            stored.InternetMessageId = null;
            stored.InReplyTo = "<g5.1001.abc@olbryggeriet.example>";
            stored.Body = new OutlookBody(OutlookBodyFormat.Plain,
                "Your message to kund@ahustra.example couldn't be delivered.\r\nRemote server returned '550 5.1.1 User unknown'");

            MimeMessage message = Download(stored);

            Assert.Equal("g5.1001.abc@olbryggeriet.example", message.InReplyTo);
            Assert.Contains("550 5.1.1 User unknown", message.TextBody);
            Assert.Equal("Kan inte levereras: Faktura 1001", message.Subject);
            Assert.Contains("PropertyAccessor.GetProperty(0x1042001F)", _outlook.Calls);
        }

        [Fact]
        public void A_link_attachment_has_no_content_and_is_left_out()
        {
            StoredMessage stored = Mail(_inbox, "Länk", "2026-12-01 08:00:00");
            stored.Attachments.Add(("\\\\server\\share\\fil.pdf", OutlookAttachmentType.ByReference, Array.Empty<byte>()));
            stored.Attachments.Add(("bild.png", OutlookAttachmentType.ByValue, new byte[] { 137, 80, 78, 71 }));

            MimeMessage message = Download(stored);

            Assert.Equal(new[] { "bild.png" }, message.Attachments.OfType<MimePart>().Select(p => p.FileName));
            Assert.DoesNotContain("Attachments.Item(1).SaveAsFile", _outlook.Calls);
        }

        // ---- marking and moving ----

        [Fact]
        public void MarkRead_then_Move_into_a_folder_EnsureFolder_created_once()
        {
            StoredMessage first = Mail(_inbox, "Studs 1", "2026-12-01 08:00:00");
            StoredMessage second = Mail(_inbox, "Studs 2", "2026-12-01 09:00:00");
            FolderPath target = FolderPath.Parse("Studsade/2026", "MoveTo");
            using (OutlookMailboxReader reader = Reader())
            {
                Run(reader.OpenFolderAsync(FolderPath.Inbox, true, None));
                IReadOnlyList<MailSummary> listed = Run(reader.ListAsync(new MailQuery(), None));
                Assert.Equal("Studsade/2026", Run(reader.EnsureFolderAsync(target, None)));
                _outlook.Calls.Clear();
                foreach (MailSummary m in listed)
                {
                    Run(reader.MarkReadAsync(m, None));
                    Run(reader.MoveAsync(m, target, None));
                }

                Assert.Equal(new[]
                {
                    $"GetItemFromID({listed[0].RemoteId})", "UnRead=False", "Save()", "Release(Item)",
                    $"GetItemFromID({listed[0].RemoteId})", "Move(2026)", "Release(Item)", "Release(Item)",
                    $"GetItemFromID({listed[1].RemoteId})", "UnRead=False", "Save()", "Release(Item)",
                    $"GetItemFromID({listed[1].RemoteId})", "Move(2026)", "Release(Item)", "Release(Item)",
                }, _outlook.Calls);
            }

            StoredMailFolder moved = _root["Studsade"]["2026"];
            Assert.Equal(new[] { first, second }, moved.Messages);
            Assert.Empty(_inbox.Messages);
            Assert.All(moved.Messages, m => Assert.False(m.UnRead));
            Assert.Equal(0, _outlook.OpenHandles);

            // A second call finds the folders there and creates nothing.
            _outlook.Calls.Clear();
            using (OutlookMailboxReader reader = Reader())
            {
                Assert.Equal("Studsade/2026", Run(reader.EnsureFolderAsync(target, None)));
            }

            Assert.DoesNotContain(_outlook.Calls, c => c.Contains(".Folders.Add("));
        }

        [Fact]
        public void EnsureFolder_creates_missing_parents_under_the_role_folder()
        {
            using OutlookMailboxReader reader = Reader();
            Assert.Equal("Inkorgen/Behandlat/Fakturor", Run(reader.EnsureFolderAsync(FolderPath.Parse("Inbox/Behandlat/Fakturor", "MoveTo"), None)));

            Assert.Contains("Inkorgen.Folders.Add(Behandlat)", _outlook.Calls);
            Assert.Contains("Behandlat.Folders.Add(Fakturor)", _outlook.Calls);
            Assert.NotNull(_inbox["Behandlat"]["Fakturor"]);
        }

        [Fact]
        public void A_message_gone_since_it_was_listed_fails_alone_with_its_id()
        {
            StoredMessage gone = Mail(_inbox, "Borta", "2026-12-01 08:00:00");
            Mail(_inbox, "Kvar", "2026-12-01 09:00:00");
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, true, None));
            IReadOnlyList<MailSummary> listed = Run(reader.ListAsync(new MailQuery(), None));
            _inbox.Messages.Remove(gone); // the user deleted it meanwhile

            G5MailErrorException error = Fails(() => Run(reader.DownloadAsync(listed[0], new MemoryStream(), None)));
            Assert.Equal(ErrorIds.MessageUnreadable, error.ErrorId);
            Assert.Equal(FailureScope.Message, error.Scope);
            Assert.Equal("Borta@leverantor.example", error.Target);

            var content = new MemoryStream();
            Run(reader.DownloadAsync(listed[1], content, None));
            Assert.True(content.Length > 0);
        }

        // ---- through the run ----

        [Fact]
        public void Receive_through_the_run_saves_attachments_then_marks_and_moves_and_a_broken_message_fails_alone()
        {
            StoredMailFolder invoices = _inbox.Add("Leverantörsfakturor");
            byte[] pdf = RandomBytes(120_000, 7);
            byte[] xml = Encoding.UTF8.GetBytes("<Faktura nr=\"88\"/>");
            Mail(invoices, "Påminnelse", "2026-12-01 08:00:00");
            StoredMessage broken = Mail(invoices, "Trasig", "2026-12-01 09:00:00");
            broken.Attachments.Add(("trasig.pdf", OutlookAttachmentType.ByValue, new byte[] { 1 }));
            StoredMessage invoice = Mail(invoices, "Faktura 88", "2026-12-01 10:00:00");
            invoice.Attachments.Add(("Faktura 88.pdf", OutlookAttachmentType.ByValue, pdf));
            invoice.Attachments.Add(("Faktura 88.xml", OutlookAttachmentType.ByValue, xml));
            _outlook.Fail("Attachments.Item", RecordingOutlook.Com(OutlookErrors.E_FAIL, "Cannot save the attachment."));
            string listedId = invoice.EntryId;
            string saveTo = Path.Combine(_temp.Path, "bilagor");
            var options = new ReceiveOptions
            {
                Folder = FolderPath.Parse("Inkorg/Leverantörsfakturor", "Folder"),
                MarkAsRead = true,
                MoveTo = FolderPath.Parse("Behandlat", "MoveTo"),
            };
            var host = new G5Mail.Core.Tests.Mailbox.RecordingReceiveHost<ReceivedMessage>();

            new ReceiveRun<ReceivedMessage>(options, () => Reader(), new ReceivedMessageHandler(saveTo, false), _log).Run(host, None);

            Assert.Equal(new[] { "Påminnelse", "Faktura 88" }, host.Results.Select(r => r.Subject));
            G5MailErrorException error = Assert.Single(host.Errors);
            Assert.Equal(ErrorIds.MessageUnreadable, error.ErrorId);
            Assert.Equal("Trasig@leverantor.example", error.Target);
            Assert.Equal(new[] { broken }, invoices.Messages); // left as it was: not marked, not moved
            Assert.True(broken.UnRead);
            Assert.Equal(2, _root["Behandlat"].Messages.Count);
            Assert.All(_root["Behandlat"].Messages, m => Assert.False(m.UnRead));

            ReceivedMessage result = host.Results[1];
            Assert.Equal(new[] { MessageActions.MarkedAsRead, MessageActions.Moved }, result.Actions);
            Assert.Equal("Behandlat", result.Folder);
            Assert.Equal(listedId, result.RemoteId); // the EntryID it was read by; Outlook gives the moved item a new one
            Assert.NotEqual(listedId, invoice.EntryId);
            Assert.Equal(new[] { "Faktura 88.pdf", "Faktura 88.xml" }, result.Attachments.Select(a => a.Name));
            Assert.Equal(pdf, File.ReadAllBytes(result.Attachments[0].Path!));
            Assert.Equal(xml, File.ReadAllBytes(result.Attachments[1].Path!));
            Assert.Equal(0, _outlook.OpenHandles);
            Assert.Empty(Directory.EnumerateFileSystemEntries(TempRoot));
        }

        // ---- Outlook's failures ----

        [Fact]
        public void A_failing_read_of_one_message_is_MessageUnreadable_for_that_message()
        {
            Mail(_inbox, "Trasig", "2026-12-01 08:00:00");
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));
            MailSummary m = Run(reader.ListAsync(new MailQuery(), None)).Single();
            _outlook.Fail("Body", RecordingOutlook.Com(OutlookErrors.E_FAIL, "The operation failed."));

            G5MailErrorException error = Fails(() => Run(reader.DownloadAsync(m, new MemoryStream(), None)));
            Assert.Equal(ErrorIds.MessageUnreadable, error.ErrorId);
            Assert.Equal(FailureScope.Message, error.Scope);
            Assert.Equal("Trasig@leverantor.example", error.Target);
            Assert.Contains("0x80004005", error.Message);
            Assert.Equal(2, _outlook.OpenHandles); // the item was released
        }

        [Fact]
        public void The_object_model_guard_refusing_is_PermissionDenied_for_the_whole_call()
        {
            Mail(_inbox, "Ett", "2026-12-01 08:00:00");
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));
            _outlook.Fail("Properties", new UnauthorizedAccessException("Access is denied. (0x80070005 (E_ACCESSDENIED))"));

            G5MailErrorException error = Fails(() => Run(reader.ListAsync(new MailQuery(), None)));
            Assert.Equal(ErrorIds.PermissionDenied, error.ErrorId);
            Assert.Equal(FailureScope.Account, error.Scope);
            Assert.Contains("A program is trying to access e-mail address information stored in Outlook", error.Message);
            Assert.Equal(2, _outlook.OpenHandles);
        }

        [Fact]
        public void A_busy_Outlook_is_asked_again_and_one_that_stays_busy_ends_the_call()
        {
            Mail(_inbox, "Ett", "2026-12-01 08:00:00");
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));

            _outlook.Fail("Items.Count", RecordingOutlook.Com(OutlookErrors.RPC_E_CALL_REJECTED, "Call was rejected by callee."), times: 2);
            Assert.Single(Run(reader.ListAsync(new MailQuery(), None)));
            Assert.Equal(2, _outlook.Calls.Count(c => c == "Items.Count !COMException"));

            _outlook.Fail("Items.Restrict", RecordingOutlook.Com(OutlookErrors.RPC_E_CALL_REJECTED, "Call was rejected by callee."), times: 3);
            G5MailErrorException error = Fails(() => Run(reader.ListAsync(new MailQuery { UnreadOnly = true }, None)));
            Assert.Equal(ErrorIds.ConnectionFailed, error.ErrorId);
            Assert.Equal(FailureScope.Server, error.Scope);
            Assert.Equal(FailureClass.Transient, error.Failure);
        }

        [Fact]
        public void Outlook_going_away_while_moving_ends_the_call()
        {
            Mail(_inbox, "Ett", "2026-12-01 08:00:00");
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, true, None));
            MailSummary m = Run(reader.ListAsync(new MailQuery(), None)).Single();
            FolderPath target = FolderPath.Parse("Studsade", "MoveTo");
            Run(reader.EnsureFolderAsync(target, None));
            _outlook.Fail("Move", RecordingOutlook.Com(OutlookErrors.RPC_S_SERVER_UNAVAILABLE, "The RPC server is unavailable."));

            G5MailErrorException error = Fails(() => Run(reader.MoveAsync(m, target, None)));
            Assert.Equal(ErrorIds.ConnectionFailed, error.ErrorId);
            Assert.Equal(FailureScope.Server, error.Scope);
            Assert.Single(_inbox.Messages);
        }

        [Fact]
        public void A_failing_folder_creation_is_one_error_for_the_call()
        {
            using OutlookMailboxReader reader = Reader();
            _outlook.Fail("Studsade.Folders.Add", RecordingOutlook.Com(OutlookErrors.E_FAIL, "Cannot create the folder."));
            _root.Add("Studsade");
            G5MailErrorException error = Fails(() => Run(reader.EnsureFolderAsync(FolderPath.Parse("Studsade/Ny", "MoveTo"), None)));

            Assert.Equal(ErrorIds.ConnectionFailed, error.ErrorId);
            Assert.Contains("create the folder", error.Message);
            Assert.Equal(0, _outlook.OpenHandles - 1); // only the store
        }

        // ---- where Outlook cannot run ----

        [Fact]
        public void Not_on_Windows_is_MethodNotSupported_before_Outlook_is_touched()
        {
            _outlook.IsWindows = false;
            G5MailErrorException error = Fails(() => Reader());

            Assert.Equal(ErrorIds.MethodNotSupported, error.ErrorId);
            Assert.Contains("only on Windows", error.Message);
            Assert.Contains("-Method Smtp (IMAP), ExchangeOnline (Microsoft Graph) or Exchange (EWS)", error.Message);
            Assert.Equal(0, _outlook.Connects);
            Assert.Empty(_outlook.Calls);
        }

        [Fact]
        public void Without_a_desktop_session_or_without_classic_Outlook_is_MethodNotSupported()
        {
            _outlook.IsInteractiveSession = false;
            G5MailErrorException error = Fails(() => Reader());
            Assert.Equal(ErrorIds.MethodNotSupported, error.ErrorId);
            Assert.Contains("interactive desktop session", error.Message);
            Assert.Equal(0, _outlook.Connects);

            _outlook.IsInteractiveSession = true;
            _outlook.Fail("Connect", RecordingOutlook.Com(OutlookErrors.REGDB_E_CLASSNOTREG, "Class not registered"));
            error = Fails(() => Reader());
            Assert.Equal(ErrorIds.MethodNotSupported, error.ErrorId);
            Assert.Contains("Classic Outlook is not installed", error.Message);
            Assert.Contains("IMAP", error.Message);
        }

        [G5Mail.Core.Tests.Settings.UnixFact]
        public void The_factory_gives_Method_Outlook_the_Outlook_reader_which_refuses_this_platform_at_once()
        {
            var settings = new G5Mail.Core.Settings.SettingValues { Method = G5Mail.MailMethod.Outlook, From = Anna };
            G5MailErrorException error = Fails(() => MailboxReaderFactory.Create(settings, _log, null).Dispose());

            Assert.Equal(ErrorIds.MethodNotSupported, error.ErrorId);
            Assert.Equal(ErrorKind.NotImplemented, error.Kind);
            Assert.Contains("only on Windows", error.Message);
            Assert.Contains("IMAP", error.Message);
            Assert.DoesNotContain("not available in this version", error.Message);
        }

        [Fact]
        public void Dispose_releases_every_handle_and_Outlook_itself()
        {
            _root.Add("Studsade");
            Mail(_inbox, "Ett", "2026-12-01 08:00:00");
            using (OutlookMailboxReader reader = Reader())
            {
                Run(reader.OpenFolderAsync(FolderPath.Inbox, true, None));
                IReadOnlyList<MailSummary> listed = Run(reader.ListAsync(new MailQuery(), None));
                Run(reader.EnsureFolderAsync(FolderPath.Parse("Studsade", "MoveTo"), None));
                Run(reader.DownloadAsync(listed[0], new MemoryStream(), None));
            }

            Assert.Equal(0, _outlook.OpenHandles);
            Assert.Equal(1, _outlook.ApplicationReleases);
        }

        private MimeMessage Download(StoredMessage stored)
        {
            using OutlookMailboxReader reader = Reader();
            Run(reader.OpenFolderAsync(FolderPath.Inbox, false, None));
            MailSummary summary = Run(reader.ListAsync(new MailQuery(), None)).Single(m => m.RemoteId == stored.EntryId);
            string path = Path.Combine(_temp.Path, "message.eml");
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
            {
                Run(reader.DownloadAsync(summary, file, None));
            }

            using var read = File.OpenRead(path);
            return MimeMessage.Load(read);
        }

        private static byte[] Decode(MimePart part)
        {
            using var memory = new MemoryStream();
            part.Content!.DecodeTo(memory);
            return memory.ToArray();
        }

        private static string Hash(byte[] bytes)
        {
            using var sha = SHA256.Create();
            return Convert.ToHexString(sha.ComputeHash(bytes));
        }

        private static byte[] RandomBytes(int length, int seed)
        {
            var bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }
    }
}
