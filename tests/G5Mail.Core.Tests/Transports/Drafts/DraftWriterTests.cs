using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Drafts;
using MimeKit;
using G5Mail.Core.Tests.Runs;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Drafts
{
    /// <summary>
    /// Send-G5Document -DraftDirectory through the real pipeline (SendRun): every draft is read back with MimeKit and
    /// compared with what was asked for, attachments byte for byte.
    /// </summary>
    public sealed class DraftWriterTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();
        private readonly string _drafts;

        public DraftWriterTests()
        {
            _drafts = Path.Combine(_folder.Path, "Utkast");
        }

        public void Dispose() => _folder.Dispose();

        private DocumentRequest Doc(string id, int size, string to = "kund@example.se", string? cc = null, string? bcc = null, bool xml = false, int index = 0)
        {
            var paths = new List<string> { _folder.RandomFile(Path.Combine("in", id + ".pdf"), size, size) };
            if (xml)
            {
                paths.Add(_folder.File(Path.Combine("in", id + ".xml"), "<?xml version=\"1.0\"?><Faktura nr=\"" + id + "\">Åhus</Faktura>"));
            }

            return new DocumentRequest
            {
                Paths = paths,
                To = new[] { to },
                Cc = cc == null ? Array.Empty<string>() : new[] { cc },
                Bcc = bcc == null ? Array.Empty<string>() : new[] { bcc },
                InputIndex = index,
            };
        }

        private List<SendResult> WriteDrafts(Action<SettingValues, SendRunOptions>? configure, params DocumentRequest[] requests)
        {
            var settings = new SettingValues { Method = MailMethod.Smtp, Server = "smtp.example.com", From = "Ölbryggeriet <order@example.se>" };
            var options = new SendRunOptions(settings) { DraftDirectory = _drafts };
            configure?.Invoke(settings, options);
            var outcomes = new List<SendResult>();
            // With drafts no transport may be created at all: this factory fails the test if it is called.
            using (var run = new SendRun(options, () => throw new InvalidOperationException("A transport was created for drafts."), NullRunLog.Instance))
            {
                foreach (DocumentRequest request in requests)
                {
                    Assert.Null(run.Collect(request));
                }

                foreach (PlannedMessage planned in run.Plan().Messages)
                {
                    outcomes.Add(run.SendAsync(planned, CancellationToken.None).GetAwaiter().GetResult());
                }
            }

            return outcomes;
        }

        private static MimeMessage Load(string path)
        {
            using (var stream = File.OpenRead(path))
            {
                return MimeMessage.Load(stream);
            }
        }

        private static byte[] Content(MimeEntity attachment)
        {
            using (var decoded = new MemoryStream())
            {
                ((MimePart)attachment).Content!.DecodeTo(decoded);
                return decoded.ToArray();
            }
        }

        private static void AssertAttachments(MimeMessage draft, params string[] paths)
        {
            var attachments = draft.Attachments.ToList();
            Assert.Equal(paths.Select(Path.GetFileName), attachments.Select(a => ((MimePart)a).FileName));
            for (int i = 0; i < paths.Length; i++)
            {
                Assert.Equal(File.ReadAllBytes(paths[i]), Content(attachments[i]));
            }
        }

        [Fact]
        public void A_single_document_becomes_an_unsent_eml_with_every_recipient_and_identical_files()
        {
            DocumentRequest doc = Doc("1001", 70_000, cc: "Inköp <inkop@example.se>", bcc: "arkiv@example.se", xml: true);

            SendResult outcome = Assert.Single(WriteDrafts((s, o) => o.Subject = "Faktura {DocumentIds} från Ölbryggeriet", doc));

            Assert.Equal(SendStatus.Draft, outcome.Status);
            Assert.Null(outcome.Error);
            Assert.Equal(Path.Combine(_drafts, "1001.eml"), outcome.Path);
            Assert.Null(outcome.Server);
            Assert.Null(outcome.SentAt);
            Assert.Equal("Smtp", outcome.Method);

            MimeMessage draft = Load(outcome.Path!);
            Assert.Equal("1", draft.Headers["X-Unsent"]);
            Assert.Equal("Faktura 1001 från Ölbryggeriet", draft.Subject);
            Assert.Equal("order@example.se", draft.From.Mailboxes.Single().Address);
            Assert.Equal(new[] { "kund@example.se" }, draft.To.Mailboxes.Select(m => m.Address));
            Assert.Equal(new[] { "inkop@example.se" }, draft.Cc.Mailboxes.Select(m => m.Address));
            Assert.Equal("Inköp", draft.Cc.Mailboxes.Single().Name);
            // Nothing is sent yet, so the blind copy stays in the draft for Outlook to send.
            Assert.Equal(new[] { "arkiv@example.se" }, draft.Bcc.Mailboxes.Select(m => m.Address));
            Assert.Equal("<" + draft.MessageId + ">", outcome.MessageId);
            AssertAttachments(draft, doc.Paths.ToArray());
            Assert.Equal(new[] { "1001.eml" }, Directory.GetFiles(_drafts).Select(Path.GetFileName));
        }

        [Fact]
        public void Combined_documents_share_one_draft_named_after_all_of_them()
        {
            DocumentRequest a = Doc("1001", 5_000, index: 0, xml: true);
            DocumentRequest b = Doc("1002", 6_000, to: "KUND@example.se", index: 1);

            SendResult outcome = Assert.Single(WriteDrafts((s, o) => s.CombineDocuments = true, a, b));

            Assert.Equal(Path.Combine(_drafts, "1001_1002.eml"), outcome.Path);
            MimeMessage draft = Load(outcome.Path!);
            Assert.Equal("1", draft.Headers["X-Unsent"]);
            Assert.Equal("Dokument 1001, 1002", draft.Subject);
            AssertAttachments(draft, a.Paths.Concat(b.Paths).ToArray());
        }

        [Fact]
        public void A_split_message_becomes_one_draft_per_part()
        {
            DocumentRequest a = Doc("2001", 60_000, index: 0);
            DocumentRequest b = Doc("2002", 60_000, index: 1);
            DocumentRequest c = Doc("2003", 30_000, index: 2);

            var outcomes = WriteDrafts((s, o) => { s.CombineDocuments = true; s.MaxAttachmentSizeMB = 100_000 / 1_048_576d; }, a, b, c);

            Assert.Equal(2, outcomes.Count);
            Assert.All(outcomes, o => Assert.Equal(SendStatus.Draft, o.Status));
            var drafts = outcomes.Select(o => (Name: Path.GetFileName(o.Path!), Message: Load(o.Path!))).ToList();
            Assert.All(drafts, d => Assert.Equal("1", d.Message.Headers["X-Unsent"]));
            Assert.Equal(new[] { "2001_2003_part1of2.eml", "2002_part2of2.eml" }, drafts.Select(d => d.Name));
            Assert.Equal("Dokument 2001, 2003 (del 1 av 2)", drafts[0].Message.Subject);
            Assert.Equal("Dokument 2002 (del 2 av 2)", drafts[1].Message.Subject);
            AssertAttachments(drafts[0].Message, a.Paths[0], c.Paths[0]);
            AssertAttachments(drafts[1].Message, b.Paths[0]);
        }

        [Fact]
        public void Drafts_need_no_method_and_no_sender_and_then_have_no_From_header()
        {
            SendResult outcome = Assert.Single(WriteDrafts((s, o) => { s.Method = null; s.From = null; s.SendCopyToSelf = CopyToSelf.Cc; }, Doc("1001", 100)));

            Assert.Equal(SendStatus.Draft, outcome.Status);
            Assert.Equal(string.Empty, outcome.Method);
            MimeMessage draft = Load(outcome.Path!);
            Assert.False(draft.Headers.Contains(HeaderId.From));
            Assert.Empty(draft.Cc); // no copy to self in a draft: the mail program that sends it keeps its own copy
        }

        [Fact]
        public void An_existing_file_is_never_replaced_the_next_free_number_is_used()
        {
            Directory.CreateDirectory(_drafts);
            File.WriteAllText(Path.Combine(_drafts, "1001.eml"), "keep me");
            Directory.CreateDirectory(Path.Combine(_drafts, "1001 (2).eml"));

            SendResult first = Assert.Single(WriteDrafts(null, Doc("1001", 100)));
            SendResult second = Assert.Single(WriteDrafts(null, Doc("1001", 100)));

            Assert.Equal(Path.Combine(_drafts, "1001 (3).eml"), first.Path);
            Assert.Equal(Path.Combine(_drafts, "1001 (4).eml"), second.Path);
            Assert.Equal("keep me", File.ReadAllText(Path.Combine(_drafts, "1001.eml")));
            Assert.Equal("1", Load(second.Path!).Headers["X-Unsent"]);
        }

        [Fact]
        public void A_file_that_vanished_before_writing_fails_that_draft_and_leaves_no_partial_or_temp_file()
        {
            DocumentRequest gone = Doc("1001", 200_000, index: 0);
            DocumentRequest fine = Doc("1002", 100, index: 1);
            var settings = new SettingValues { From = "order@example.se" };
            var outcomes = new List<SendResult>();
            using (var run = new SendRun(new SendRunOptions(settings) { DraftDirectory = _drafts }, () => throw new InvalidOperationException(), NullRunLog.Instance))
            {
                run.Collect(gone);
                run.Collect(fine);
                File.Delete(gone.Paths[0]); // after collecting: the file disappears while the batch runs
                outcomes.AddRange(run.Plan().Messages.Select(p => run.SendAsync(p, CancellationToken.None).GetAwaiter().GetResult()));
            }

            Assert.Equal(SendStatus.Failed, outcomes[0].Status);
            Assert.Equal(ErrorIds.FileNotFound, outcomes[0].Exception!.ErrorId);
            Assert.Equal(SendStatus.Draft, outcomes[1].Status);
            Assert.Equal(new[] { "1002.eml" }, Directory.GetFiles(_drafts).Select(Path.GetFileName));
        }

        [Fact]
        public void A_draft_directory_that_is_a_file_is_a_clear_error()
        {
            File.WriteAllText(_drafts, "not a folder");

            SendResult outcome = Assert.Single(WriteDrafts(null, Doc("1001", 100)));

            Assert.Equal(SendStatus.Failed, outcome.Status);
            Assert.Equal(ErrorIds.SendFailed, outcome.Exception!.ErrorId);
            Assert.Equal(ErrorKind.WriteError, outcome.Exception.Kind);
            Assert.Contains("is a file", outcome.Exception.Message);
        }

        [Fact]
        public void WhatIf_writes_nothing()
        {
            var options = new SendRunOptions(new SettingValues { Method = MailMethod.Smtp, From = "order@example.se" }) { DraftDirectory = _drafts, WhatIf = true };
            using (var run = new SendRun(options, () => throw new InvalidOperationException(), NullRunLog.Instance))
            {
                run.Collect(Doc("1001", 100));
                var host = new RecordingHost { Confirm = false };
                run.Deliver(run.Plan(), host, CancellationToken.None);
                SendResult preview = Assert.Single(host.Results);
                Assert.Equal(SendStatus.WhatIf, preview.Status);
                Assert.Null(preview.Server);
                Assert.Equal("Write draft to " + _drafts, options.ActionDescription);
            }

            Assert.False(Directory.Exists(_drafts));
        }

        [Fact]
        public void Cancelling_leaves_no_file()
        {
            var options = new SendRunOptions(new SettingValues { From = "order@example.se" }) { DraftDirectory = _drafts };
            using (var run = new SendRun(options, () => throw new InvalidOperationException(), NullRunLog.Instance))
            {
                run.Collect(Doc("1001", 500_000));
                using var cancelled = new CancellationTokenSource();
                cancelled.Cancel();
                Assert.ThrowsAny<OperationCanceledException>(() => run.SendAsync(run.Plan().Messages.Single(), cancelled.Token).GetAwaiter().GetResult());
            }

            Assert.Empty(Directory.GetFileSystemEntries(_drafts));
        }

        [Theory]
        [InlineData("1001", 1, 1, "1001")]
        [InlineData("2024/1001", 1, 1, "2024_1001")]
        [InlineData(@"a\b:c*d?e""f<g>h|i", 1, 1, "a_b_c_d_e_f_g_h_i")]
        [InlineData("rad\tett\r\nrad två", 1, 1, "rad_ett__rad två")]
        [InlineData(" .dold. ", 1, 1, "dold")]
        [InlineData("...", 1, 1, "document")]
        [InlineData("CON", 1, 1, "_CON")]
        [InlineData("com1.old", 1, 1, "_com1.old")]
        [InlineData("Console", 1, 1, "Console")]
        [InlineData("Offert Åhus 1001", 2, 3, "Offert Åhus 1001_part2of3")]
        public void File_names_are_safe_on_every_file_system(string id, int part, int partCount, string expected)
        {
            Assert.Equal(expected, DraftWriter.FileNameFor(new[] { id }, part, partCount));
        }

        [Fact]
        public void Many_ids_are_listed_until_the_name_is_long_enough_then_counted()
        {
            string[] ids = Enumerable.Range(100001, 60).Select(i => i.ToString()).ToArray();

            string name = DraftWriter.FileNameFor(ids, 1, 2);

            Assert.StartsWith("100001_100002_", name);
            Assert.Matches(@"_and\d+more_part1of2$", name);
            Assert.True(Encoding.UTF8.GetByteCount(name) <= DraftWriter.MaxNameBytes, name);
            int listed = name.Split('_').Count(p => p.Length == 6 && p.All(char.IsDigit));
            Assert.EndsWith($"_and{60 - listed}more_part1of2", name);
        }

        [Fact]
        public void A_long_id_is_cut_by_bytes_without_splitting_a_character()
        {
            string id = string.Concat(Enumerable.Repeat("Å😀", 100));

            string name = DraftWriter.FileNameFor(new[] { id }, 1, 1);

            Assert.True(Encoding.UTF8.GetByteCount(name) <= DraftWriter.MaxNameBytes);
            Assert.True(Encoding.UTF8.GetByteCount(name) > DraftWriter.MaxNameBytes - 4);
            Assert.False(char.IsHighSurrogate(name[name.Length - 1]));
            Assert.Equal(name, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(name)));
        }

        [Fact]
        public void The_written_names_really_are_accepted_by_this_file_system()
        {
            var ids = new[] { "CON", "2024/1001", string.Concat(Enumerable.Repeat("Ö", 140)), "a:b*c" };
            var outcomes = WriteDrafts(null, ids.Select((id, i) => { DocumentRequest r = Doc("f" + i, 100, index: i); r.DocumentId = id; return r; }).ToArray());

            Assert.All(outcomes, o => Assert.Equal(SendStatus.Draft, o.Status));
            Assert.Equal(4, Directory.GetFiles(_drafts, "*.eml").Length);
            Assert.Empty(Directory.GetFiles(_drafts, "*.tmp", SearchOption.AllDirectories));
        }
    }
}
