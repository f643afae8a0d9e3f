using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using MimeKit;

namespace G5Mail.Core.Tests.Mailbox
{
    /// <summary>
    /// An in-memory mailbox for the run's own rules (order of steps, failures, -WhatIf); the readers themselves are tested
    /// against real servers and the stand-ins. Records every call in <see cref="Calls"/>.
    /// </summary>
    internal sealed class FakeMailbox : IMailboxReader
    {
        public List<string> Calls { get; } = new List<string>();
        public List<(MailSummary Summary, byte[] Mime, string Folder)> Messages { get; } = new List<(MailSummary, byte[], string)>();
        public HashSet<string> Folders { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Inbox" };

        /// <summary>Thrown by the next call whose name is the key (OpenFolder, List, Download:id, MarkRead:id, Move:id).</summary>
        public Dictionary<string, Exception> Failures { get; } = new Dictionary<string, Exception>();

        public string Server => "fake:143";

        public void Add(string id, MimeMessage message, bool isRead = false, string folder = "Inbox", DateTimeOffset? received = null)
        {
            using var stream = new MemoryStream();
            message.WriteTo(stream);
            var summary = new MailSummary
            {
                RemoteId = id,
                MessageId = message.MessageId,
                From = message.From.Mailboxes.FirstOrDefault()?.Address,
                To = message.To.Mailboxes.Select(m => m.Address).ToList(),
                Subject = message.Subject,
                Received = received ?? DateTimeOffset.UtcNow.AddMinutes(Messages.Count),
                Size = stream.Length,
                IsRead = isRead,
                HasAttachments = message.Attachments.Any(),
            };
            Messages.Add((summary, stream.ToArray(), folder));
        }

        public void AddRaw(string id, byte[] mime, bool hasAttachments = true)
        {
            Messages.Add((new MailSummary { RemoteId = id, Subject = id, Received = DateTimeOffset.UtcNow, Size = mime.Length, HasAttachments = hasAttachments }, mime, "Inbox"));
        }

        private void Step(string name)
        {
            Calls.Add(name);
            if (Failures.TryGetValue(name, out Exception? ex))
            {
                Failures.Remove(name);
                throw ex;
            }
        }

        public Task<string> OpenFolderAsync(FolderPath folder, bool forWrite, CancellationToken cancellationToken)
        {
            Step("OpenFolder" + (forWrite ? ":rw" : ":ro"));
            if (!Folders.Contains(folder.Text))
            {
                throw folder.NotFound("fake");
            }

            return Task.FromResult(folder.Text);
        }

        public Task<IReadOnlyList<MailSummary>> ListAsync(MailQuery query, CancellationToken cancellationToken)
        {
            Step("List");
            IEnumerable<MailSummary> list = Messages.Where(m => m.Folder == "Inbox").Select(m => m.Summary)
                .Where(m => !query.UnreadOnly || !m.IsRead).OrderBy(m => m.Received);
            if (query.First != null)
            {
                list = list.Take(query.First.Value);
            }

            return Task.FromResult<IReadOnlyList<MailSummary>>(list.ToList());
        }

        public async Task DownloadAsync(MailSummary message, Stream destination, CancellationToken cancellationToken)
        {
            Step("Download:" + message.RemoteId);
            byte[] mime = Messages.Single(m => m.Summary.RemoteId == message.RemoteId).Mime;
            await destination.WriteAsync(mime, 0, mime.Length, cancellationToken);
        }

        public Task MarkReadAsync(MailSummary message, CancellationToken cancellationToken)
        {
            Step("MarkRead:" + message.RemoteId);
            int i = Messages.FindIndex(m => m.Summary.RemoteId == message.RemoteId);
            Messages[i].Summary.IsRead = true;
            return Task.CompletedTask;
        }

        public Task<string> EnsureFolderAsync(FolderPath folder, CancellationToken cancellationToken)
        {
            Step("EnsureFolder:" + folder.Text);
            Folders.Add(folder.Text);
            return Task.FromResult(folder.Text);
        }

        public Task MoveAsync(MailSummary message, FolderPath folder, CancellationToken cancellationToken)
        {
            Step("Move:" + message.RemoteId);
            int i = Messages.FindIndex(m => m.Summary.RemoteId == message.RemoteId);
            Messages[i] = (Messages[i].Summary, Messages[i].Mime, folder.Text);
            return Task.CompletedTask;
        }

        public void Dispose() => Calls.Add("Dispose");
    }

    /// <summary>Collects what a run writes, and answers ShouldProcess.</summary>
    internal sealed class RecordingReceiveHost<T> : IReceiveHost<T>
    {
        public List<T> Results { get; } = new List<T>();
        public List<G5MailErrorException> Errors { get; } = new List<G5MailErrorException>();
        public List<string> Asked { get; } = new List<string>();
        public bool Answer { get; set; } = true;

        public bool ShouldProcess(string target, string action)
        {
            Asked.Add(action + " " + target);
            return Answer;
        }

        public void Write(T result) => Results.Add(result);

        public void WriteError(G5MailErrorException error) => Errors.Add(error);

        public void Idle(G5Mail.Core.Runs.RunProgress progress)
        {
        }
    }

    internal static class Mails
    {
        public static MimeMessage WithAttachments(string subject, params (string Name, byte[] Content)[] files)
        {
            // Parts made by hand: BodyBuilder would already strip a path from the name, and a hostile sender's mail program does not.
            var body = new Multipart("mixed") { new TextPart("plain") { Text = "Hej,\nbifogat.\n" } };
            foreach (var (name, content) in files)
            {
                body.Add(new MimePart("application", "pdf")
                {
                    Content = new MimeContent(new MemoryStream(content)),
                    ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = name },
                    ContentTransferEncoding = ContentEncoding.Base64,
                });
            }

            var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("supplier.example") };
            message.From.Add(MailboxAddress.Parse("faktura@supplier.example"));
            message.To.Add(MailboxAddress.Parse("ekonomi@example.com"));
            message.Body = body;
            return message;
        }

        public static byte[] Bytes(int length, int seed)
        {
            var bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }

        public static string Sha256(byte[] bytes)
        {
            using var sha = System.Security.Cryptography.SHA256.Create();
            return Convert.ToHexString(sha.ComputeHash(bytes)).ToLowerInvariant();
        }
    }
}
