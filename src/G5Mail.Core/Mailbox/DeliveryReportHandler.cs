using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using MimeKit;

namespace G5Mail.Core.Mailbox
{
    /// <summary>
    /// Get-G5DeliveryReport's part of a reading run: reads each delivery status notification and matches the message it
    /// is about with the send journal, giving one <see cref="DeliveryReport"/> per recipient of a journal's message.
    /// Only the reports it returns results for are marked or moved (-MoveTo), so a report about mail G5Mail did not
    /// send stays where it is unless -IncludeUnmatched reports it.
    /// </summary>
    public sealed class DeliveryReportHandler : IMessageHandler<DeliveryReport>
    {
        private readonly SendJournal _journal;
        private readonly bool _includeUnmatched;
        private readonly IRunLog _log;

        public DeliveryReportHandler(SendJournal journal, bool includeUnmatched, IRunLog log)
        {
            _journal = journal ?? throw new ArgumentNullException(nameof(journal));
            _includeUnmatched = includeUnmatched;
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>
        /// Opens the journal read-only for matching. It takes no lock, so it works while a Send-G5Document run appends to
        /// the same journal (that run's flushed records are read). A journal that does not exist is JournalAccessFailed
        /// (ObjectNotFound): a mistyped path would otherwise report every bounce as unmatched.
        /// </summary>
        public static SendJournal OpenJournal(string path, IRunLog log)
        {
            string full = Path.GetFullPath(path);
            if (!File.Exists(full))
            {
                throw new G5MailErrorException(ErrorIds.JournalAccessFailed, ErrorKind.ObjectNotFound,
                    $"The journal '{full}' does not exist. Give the -JournalPath that Send-G5Document wrote; the mailbox was not read.", full);
            }

            try
            {
                return SendJournal.OpenReadOnly(full, log);
            }
            catch (G5MailErrorException ex) when (ex.ErrorId == ErrorIds.JournalAccessFailed)
            {
                // SendJournal's own text speaks of sending.
                throw new G5MailErrorException(ErrorIds.JournalAccessFailed, ErrorKind.PermissionDenied,
                    $"The journal '{full}' cannot be read ({ex.InnerException?.Message ?? ex.Message}); the mailbox was not read.", full, ex.InnerException);
            }
        }

        /// <summary>Every message that may be a report: known ones, and those the listing cannot tell (null).</summary>
        public bool Wants(MailSummary summary) => summary.IsDeliveryReport != false;

        public bool NeedsContent(MailSummary summary) => true;

        public HandledMessage<DeliveryReport> Handle(MailSummary summary, MimeMessage? content, string folder)
        {
            if (summary == null)
            {
                throw new ArgumentNullException(nameof(summary));
            }

            if (content == null)
            {
                throw new ArgumentNullException(nameof(content), "Delivery reports are read from their content (NeedsContent is true).");
            }

            string target = ReceiveRun<DeliveryReport>.Target(summary);
            DeliveryStatusNotification? report = DeliveryStatusReader.Read(content, target, _log);
            if (report == null)
            {
                return Nothing;
            }

            JournalEntry? sent = null;
            string? messageId = report.OriginalMessageIds.FirstOrDefault();
            foreach (string id in report.OriginalMessageIds)
            {
                sent = _journal.FindMessage(id);
                if (sent != null)
                {
                    messageId = id;
                    break;
                }
            }

            if (sent == null && !_includeUnmatched)
            {
                _log.Verbose($"Delivery report {target} is about {(messageId != null ? "<" + messageId + ">" : "a message it does not name")}, "
                             + "which the journal does not know; left as it is (-IncludeUnmatched reports it).");
                return Nothing;
            }

            JournalRecord? record = sent?.Record;
            DocumentIdList documentIds = record != null ? new DocumentIdList(record.Documents.Select(d => d.DocumentId)) : DocumentIdList.Empty;
            var results = report.Recipients.Select(r => new DeliveryReport
            {
                DocumentIds = documentIds,
                Recipient = r.Recipient,
                Action = r.Action,
                Status = r.Status,
                Diagnostic = r.Diagnostic,
                Reason = r.Reason,
                MessageId = messageId,
                Subject = record?.Subject ?? report.OriginalSubject,
                SentAt = record?.Time,
                ReportedAt = summary.Received,
                ReportRemoteId = summary.RemoteId,
                Matched = record != null,
            }).ToList();
            return new HandledMessage<DeliveryReport>(results, act: true);
        }

        /// <summary>A DeliveryReport does not say where its report message went: nothing to add.</summary>
        public void Acted(HandledMessage<DeliveryReport> handled, IReadOnlyList<string> actions, string folder)
        {
        }

        private static HandledMessage<DeliveryReport> Nothing => new HandledMessage<DeliveryReport>(Array.Empty<DeliveryReport>(), act: false);
    }
}
