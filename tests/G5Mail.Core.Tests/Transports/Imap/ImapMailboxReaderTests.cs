using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using G5Mail.Core.Security;
using G5Mail.Core.Transports.Imap;
using MailKit.Security;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Imap
{
    /// <summary>
    /// The IMAP reader against <see cref="MiniImapServer"/>, for what smtp4dev (the Pester tests' real server) cannot do:
    /// CREATE, UID MOVE (RFC 6851), COPY + UID EXPUNGE (RFC 4315), SPECIAL-USE (RFC 6154), and counting round trips.
    /// </summary>
    public sealed class ImapMailboxReaderTests : IDisposable
    {
        private static readonly DateTimeOffset Day = new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
        private readonly MiniImapServer _server;

        public ImapMailboxReaderTests()
        {
            _server = new MiniImapServer();
        }

        public void Dispose() => _server.Dispose();

        private ImapMailboxReader Reader(string password = "secret", Action<ImapReaderOptions>? configure = null)
        {
            var options = new ImapReaderOptions(new ImapEndpoint("127.0.0.1", _server.Port, SecureSocketOptions.None), new CertificatePolicy(null, false))
            {
                Credential = new NetworkCredential("alice", password),
                Timeout = TimeSpan.FromSeconds(10),
            };
            configure?.Invoke(options);
            return new ImapMailboxReader(options, NullRunLog.Instance);
        }

        private int Count(string prefix) => _server.Transcript.Count(c => c.StartsWith(prefix, StringComparison.Ordinal));

        [Fact]
        public async Task Listing_a_thousand_messages_is_one_SEARCH_and_one_FETCH_oldest_first()
        {
            // UIDs in one order, arrival times in another: the listing follows INTERNALDATE.
            for (int i = 0; i < 1000; i++)
            {
                _server.Inbox.Add($"m{i}", Day.AddMinutes((i * 7919) % 1000));
            }

            using ImapMailboxReader reader = Reader();
            Assert.Equal("Inbox", await reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None));
            var all = await reader.ListAsync(new MailQuery(), CancellationToken.None);
            Assert.Equal(1000, all.Count);
            Assert.True(all.Zip(all.Skip(1), (a, b) => a.Received <= b.Received).All(x => x));
            Assert.Equal(1, Count("UID SEARCH"));
            Assert.Equal(1, Count("UID FETCH"));
            Assert.Equal(1, _server.Logins);

            var first = await reader.ListAsync(new MailQuery { First = 10 }, CancellationToken.None);
            Assert.Equal(all.Take(10).Select(m => m.RemoteId), first.Select(m => m.RemoteId));
            Assert.Equal(Day, first[0].Received);
            Assert.StartsWith($"{_server.Inbox.UidValidity}:", first[0].RemoteId);
            // Addresses only, the display name ("Sender") left to the MIME; Message-ID without angle brackets.
            Assert.Equal("a@example.com", first[0].From);
            Assert.Equal(new[] { "b@example.com" }, first[0].To);
            Assert.Matches(@"^m\d+@example\.com$", first[0].MessageId);
        }

        [Fact]
        public async Task Since_and_UnreadOnly_are_SEARCH_keys_and_Since_is_exact_to_the_second()
        {
            _server.Inbox.Add("old", Day.AddDays(-3));
            _server.Inbox.Add("early", Day.AddHours(-1));
            _server.Inbox.Add("read", Day.AddHours(1), flags: "\\Seen");
            _server.Inbox.Add("new", Day.AddHours(2));

            using ImapMailboxReader reader = Reader();
            await reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None);
            var since = await reader.ListAsync(new MailQuery { Since = Day }, CancellationToken.None);
            Assert.Equal(new[] { "read", "new" }, since.Select(m => m.Subject));
            Assert.Contains(_server.Transcript, c => c.StartsWith("UID SEARCH SINCE", StringComparison.Ordinal));

            var unread = await reader.ListAsync(new MailQuery { Since = Day, UnreadOnly = true }, CancellationToken.None);
            Assert.Equal(new[] { "new" }, unread.Select(m => m.Subject));
            Assert.Contains(_server.Transcript, c => c.StartsWith("UID SEARCH", StringComparison.Ordinal) && c.Contains("UNSEEN"));
            Assert.False(since[1].IsRead);
            Assert.True(since[0].IsRead);
        }

        [Fact]
        public async Task Download_streams_in_partial_PEEK_fetches_and_leaves_Seen_alone_then_MarkRead_sets_it()
        {
            var raw = new byte[200_000];
            new Random(5).NextBytes(raw);
            byte[] header = Encoding.ASCII.GetBytes("Subject: big\r\n\r\n");
            Buffer.BlockCopy(header, 0, raw, 0, header.Length);
            MiniMessage big = _server.Inbox.Add("big", Day, raw);

            using ImapMailboxReader reader = Reader(configure: o => o.DownloadChunkBytes = 64 * 1024);
            await reader.OpenFolderAsync(FolderPath.Inbox, true, CancellationToken.None);
            MailSummary summary = (await reader.ListAsync(new MailQuery(), CancellationToken.None)).Single();
            using (var copy = new MemoryStream())
            {
                await reader.DownloadAsync(summary, copy, CancellationToken.None);
                Assert.Equal(SHA256.HashData(raw), SHA256.HashData(copy.ToArray()));
            }

            // 200,000 bytes in 65,536-byte pieces: four partial fetches, each BODY.PEEK (RFC 3501 6.4.5).
            Assert.Equal(4, _server.Transcript.Count(c => c.Contains("BODY.PEEK[]<")));
            Assert.DoesNotContain("\\Seen", big.Flags);

            await reader.MarkReadAsync(summary, CancellationToken.None);
            Assert.Contains("\\Seen", big.Flags);
        }

        [Theory]
        [InlineData(131_072, 3)] // two full pieces, then an empty one says the end
        [InlineData(100, 1)]
        public async Task Download_ends_on_the_first_short_piece_even_when_the_size_is_a_multiple_of_the_piece(int size, int fetches)
        {
            var raw = new byte[size];
            new Random(size).NextBytes(raw);
            _server.Inbox.Add("sized", Day, raw);

            using ImapMailboxReader reader = Reader(configure: o => o.DownloadChunkBytes = 64 * 1024);
            await reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None);
            MailSummary summary = (await reader.ListAsync(new MailQuery(), CancellationToken.None)).Single();
            using var copy = new MemoryStream();
            await reader.DownloadAsync(summary, copy, CancellationToken.None);
            Assert.Equal(raw, copy.ToArray());
            Assert.Equal(fetches, _server.Transcript.Count(c => c.Contains("BODY.PEEK[]<")));
        }

        [Fact]
        public async Task MoveTo_creates_missing_folders_with_their_parents_and_uses_UID_MOVE_when_offered()
        {
            _server.Capabilities.AddRange(new[] { "MOVE", "UIDPLUS" });
            _server.Inbox.Add("bounce", Day);
            _server.Inbox.Add("keep", Day.AddMinutes(1));

            using ImapMailboxReader reader = Reader();
            await reader.OpenFolderAsync(FolderPath.Inbox, true, CancellationToken.None);
            var target = FolderPath.Parse("Inbox/Studsade/2026", "MoveTo");
            Assert.Equal("Inbox/Studsade/2026", await reader.EnsureFolderAsync(target, CancellationToken.None));
            Assert.Equal(new[] { "CREATE INBOX/Studsade", "CREATE INBOX/Studsade/2026" },
                _server.Transcript.Where(c => c.StartsWith("CREATE", StringComparison.Ordinal)).Select(c => c.Replace("\"", string.Empty)));

            MailSummary bounce = (await reader.ListAsync(new MailQuery(), CancellationToken.None)).First();
            await reader.MoveAsync(bounce, target, CancellationToken.None);
            Assert.Equal(1, Count("UID MOVE"));
            Assert.Equal(0, Count("UID COPY"));
            Assert.Equal(new[] { "keep" }, _server.Inbox.Messages.Select(m => m.Envelope.Split('"')[1]));
            Assert.Single(_server.Folders["INBOX/Studsade/2026"].Messages);

            // A second EnsureFolder finds it and creates nothing.
            Assert.Equal("Inbox/Studsade/2026", await reader.EnsureFolderAsync(target, CancellationToken.None));
            Assert.Equal(2, Count("CREATE"));
        }

        [Fact]
        public async Task Without_MOVE_but_with_UIDPLUS_a_move_is_COPY_then_Deleted_then_UID_EXPUNGE_of_that_message_only()
        {
            _server.Capabilities.Add("UIDPLUS");
            _server.AddFolder("Studsade");
            _server.Inbox.Add("bounce", Day);
            MiniMessage other = _server.Inbox.Add("someone else's deleted", Day.AddMinutes(1), flags: "\\Deleted");

            using ImapMailboxReader reader = Reader();
            await reader.OpenFolderAsync(FolderPath.Inbox, true, CancellationToken.None);
            MailSummary bounce = (await reader.ListAsync(new MailQuery(), CancellationToken.None)).Single();
            await reader.MoveAsync(bounce, FolderPath.Parse("Studsade", "MoveTo"), CancellationToken.None);

            Assert.Equal(new[] { "UID COPY", "UID STORE", "UID EXPUNGE" },
                _server.Transcript.Where(c => c.StartsWith("UID COPY") || c.StartsWith("UID STORE") || c.StartsWith("UID EXPUNGE")).Select(c => string.Join(" ", c.Split(' ').Take(2))));
            Assert.Equal(0, Count("EXPUNGE"));
            Assert.Single(_server.Folders["Studsade"].Messages);
            // The other \Deleted message is not ours to expunge.
            Assert.Equal(new[] { other }, _server.Inbox.Messages);
        }

        [Fact]
        public async Task Without_MOVE_and_UIDPLUS_a_move_copies_and_marks_Deleted_and_the_next_listing_leaves_it_out()
        {
            _server.AddFolder("Studsade");
            MiniMessage bounce = _server.Inbox.Add("bounce", Day);
            _server.Inbox.Add("keep", Day.AddMinutes(1));

            using ImapMailboxReader reader = Reader();
            await reader.OpenFolderAsync(FolderPath.Inbox, true, CancellationToken.None);
            MailSummary first = (await reader.ListAsync(new MailQuery(), CancellationToken.None)).First();
            await reader.MoveAsync(first, FolderPath.Parse("studsade", "MoveTo"), CancellationToken.None);

            Assert.Equal(0, Count("UID EXPUNGE") + Count("EXPUNGE"));
            Assert.Contains("\\Deleted", bounce.Flags);
            Assert.Single(_server.Folders["Studsade"].Messages);
            Assert.Equal(new[] { "keep" }, (await reader.ListAsync(new MailQuery(), CancellationToken.None)).Select(m => m.Subject));
        }

        [Fact]
        public async Task Well_known_folders_are_found_by_SPECIAL_USE_whatever_their_name()
        {
            _server.Capabilities.Add("SPECIAL-USE");
            _server.AddFolder("Skickat", "\\Sent");
            _server.AddFolder("Sent"); // an ordinary folder that only looks like it
            _server.Folders["Skickat"].Add("sent one", Day);

            using ImapMailboxReader reader = Reader();
            Assert.Equal("Skickat", await reader.OpenFolderAsync(FolderPath.Parse("Sent Items", "Folder"), false, CancellationToken.None));
            Assert.Equal("sent one", (await reader.ListAsync(new MailQuery(), CancellationToken.None)).Single().Subject);
        }

        [Fact]
        public async Task A_sub_folder_of_a_Noselect_container_is_read_and_the_container_itself_is_FolderNotFound()
        {
            _server.AddFolder("Arkiv").NoSelect = true;
            _server.AddFolder("Arkiv/2026").Add("archived", Day);

            using ImapMailboxReader reader = Reader();
            Assert.Equal("Arkiv/2026", await reader.OpenFolderAsync(FolderPath.Parse("arkiv/2026", "Folder"), false, CancellationToken.None));
            Assert.Equal("archived", (await reader.ListAsync(new MailQuery(), CancellationToken.None)).Single().Subject);

            using ImapMailboxReader second = Reader();
            var ex = await Assert.ThrowsAsync<G5MailErrorException>(() => second.OpenFolderAsync(FolderPath.Parse("Arkiv", "Folder"), false, CancellationToken.None));
            Assert.Equal(ErrorIds.FolderNotFound, ex.ErrorId);
            Assert.Contains("Noselect", ex.Message);
        }

        [Fact]
        public async Task A_missing_folder_is_FolderNotFound_naming_the_path()
        {
            using ImapMailboxReader reader = Reader();
            var ex = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.OpenFolderAsync(FolderPath.Parse("Inbox/Saknas", "Folder"), false, CancellationToken.None));
            Assert.Equal(ErrorIds.FolderNotFound, ex.ErrorId);
            Assert.Equal("Inbox/Saknas", ex.Target);
        }

        [Fact]
        public async Task A_rejected_login_is_one_AuthenticationFailed_and_never_tried_again_in_the_call()
        {
            using ImapMailboxReader reader = Reader(password: "wrong");
            var first = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None));
            var second = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.EnsureFolderAsync(FolderPath.Parse("Studsade", "MoveTo"), CancellationToken.None));
            Assert.Equal(ErrorIds.AuthenticationFailed, first.ErrorId);
            Assert.Equal(FailureScope.Account, first.Scope);
            Assert.Same(first, second);
            Assert.Equal(1, _server.Logins);
            Assert.DoesNotContain("wrong", first.Message);
        }

        [Fact]
        public async Task No_password_crosses_an_unencrypted_connection_to_another_computer()
        {
            // The seam stands for a server that is not this computer (the tests can only reach loopback).
            using ImapMailboxReader reader = Reader(configure: o => o.MaySendCredentialsInClear = _ => false);
            var ex = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None));
            Assert.Equal(ErrorIds.AuthenticationFailed, ex.ErrorId);
            Assert.Equal(ErrorKind.SecurityError, ex.Kind);
            Assert.Equal(0, _server.Logins);
            Assert.DoesNotContain(_server.Transcript, c => c.StartsWith("LOGIN", StringComparison.Ordinal) || c.StartsWith("AUTHENTICATE", StringComparison.Ordinal));
        }

        [Fact]
        public async Task STARTTLS_required_against_a_server_without_it_is_ConnectionFailed_before_any_login()
        {
            var options = new ImapReaderOptions(new ImapEndpoint("127.0.0.1", _server.Port, SecureSocketOptions.StartTls), new CertificatePolicy(null, false))
            {
                Credential = new NetworkCredential("alice", "secret"),
                Timeout = TimeSpan.FromSeconds(10),
            };
            using var reader = new ImapMailboxReader(options, NullRunLog.Instance);
            var ex = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None));
            Assert.Equal(ErrorIds.ConnectionFailed, ex.ErrorId);
            Assert.Contains("STARTTLS", ex.Message);
            Assert.Equal(0, _server.Logins);
        }

        [Fact]
        public async Task Nothing_listens_is_ConnectionFailed_naming_ImapPort()
        {
            int port;
            using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var options = new ImapReaderOptions(new ImapEndpoint("127.0.0.1", port, SecureSocketOptions.None), new CertificatePolicy(null, false))
            {
                Credential = new NetworkCredential("alice", "secret"),
            };
            using var reader = new ImapMailboxReader(options, NullRunLog.Instance);
            var ex = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None));
            Assert.Equal(ErrorIds.ConnectionFailed, ex.ErrorId);
            Assert.Contains("ImapPort", ex.Message);
        }

        private const string Text = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 100 3 NIL NIL NIL NIL)";
        private const string Headers = "(\"text\" \"rfc822-headers\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 300 5 NIL NIL NIL NIL)";

        private static string Report(string reportType, string statusType) =>
            $"({Text}(\"message\" \"{statusType}\" NIL NIL NIL \"7bit\" 200 NIL NIL NIL NIL){Headers} \"report\" (\"report-type\" \"{reportType}\" \"boundary\" \"b\") NIL NIL NIL)";

        [Fact]
        public async Task Delivery_reports_and_attachments_are_told_from_BODYSTRUCTURE_without_reading_the_messages()
        {
            _server.Inbox.Add("dsn", Day, bodyStructure: Report("delivery-status", "delivery-status"));
            _server.Inbox.Add("global dsn", Day.AddMinutes(1), bodyStructure: Report("Global-Delivery-Status", "global-delivery-status"));
            _server.Inbox.Add("read receipt", Day.AddMinutes(2), bodyStructure: Report("disposition-notification", "disposition-notification"));
            _server.Inbox.Add("invoice", Day.AddMinutes(3), bodyStructure:
                $"({Text}(\"application\" \"pdf\" (\"name\" \"1001.pdf\") NIL NIL \"base64\" 1368 NIL (\"attachment\" (\"filename\" \"1001.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL NIL NIL)");
            _server.Inbox.Add("nameless", Day.AddMinutes(4), bodyStructure:
                $"({Text}(\"application\" \"pdf\" NIL NIL NIL \"base64\" 1368) \"mixed\")");

            // Plain and HTML text with a PDF; a text/xml second part without a name (an XML invoice, as smtp4dev describes it).
            _server.Inbox.Add("alternative", Day.AddMinutes(5), bodyStructure:
                $"(({Text}(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 200 4 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"y\") NIL NIL NIL)" +
                "(\"application\" \"pdf\" (\"name\" \"1002.pdf\") NIL NIL \"base64\" 400 NIL (\"attachment\" (\"filename\" \"1002.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL NIL NIL)");
            _server.Inbox.Add("xml", Day.AddMinutes(6), bodyStructure: $"({Text}(\"text\" \"xml\" NIL NIL NIL \"7bit\" 500 9) \"mixed\")");
            _server.Inbox.Add("plain", Day.AddMinutes(7));
            // A report without extension data (no report-type): unknown from the listing, the MIME will tell.
            _server.Inbox.Add("bare report", Day.AddMinutes(8), bodyStructure: $"({Text}{Headers} \"report\")");

            using ImapMailboxReader reader = Reader();
            await reader.OpenFolderAsync(FolderPath.Inbox, false, CancellationToken.None);
            var all = await reader.ListAsync(new MailQuery(), CancellationToken.None);
            Assert.Equal(new bool?[] { true, true, false, false, false, false, false, false, null }, all.Select(m => m.IsDeliveryReport));
            Assert.Equal(new[] { false, false, false, true, true, true, true, false, false }, all.Select(m => m.HasAttachments));
            Assert.Equal("1002.pdf", Assert.Single(all[5].Attachments!).Name);
            Assert.Null(all[6].Attachments);
            Assert.Empty(all[7].Attachments!);

            ReceivedAttachment pdf = Assert.Single(all[3].Attachments!);
            Assert.Equal("1001.pdf", pdf.Name);
            Assert.Equal("application/pdf", pdf.ContentType);
            Assert.Equal(1026, pdf.Size); // 1368 base64 octets carry 1026 bytes
            // A part the server describes without a name: the listing cannot tell the attachments, the MIME will.
            Assert.Null(all[4].Attachments);
            Assert.Empty(all[0].Attachments!);

            var reports = await reader.ListAsync(new MailQuery { DeliveryReportsOnly = true }, CancellationToken.None);
            Assert.Equal(new[] { "dsn", "global dsn", "bare report" }, reports.Select(m => m.Subject));
            Assert.Equal(0, _server.Transcript.Count(c => c.Contains("BODY.PEEK[]") || c.Contains("BODY[]")));
        }
    }
}
