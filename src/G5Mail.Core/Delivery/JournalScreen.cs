using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using G5Mail.Core.Sending;
using G5Mail.Core.Transport;

namespace G5Mail.Core.Delivery
{
    /// <summary>
    /// Decides, before planning, which collected documents a run with a journal sends: a document the journal says
    /// was Sent (same id, recipients and attachment bytes) is kept back as Skipped (Reason AlreadySent); one an earlier
    /// run was sending when it stopped, or that ended Uncertain, is kept back as Uncertain unless the caller forces a
    /// resend; Failed, Draft and unknown documents are sent. Kept-back documents are not planned at all, so -Combine
    /// packs only what really goes out.
    /// </summary>
    public static class JournalScreen
    {
        public const string AlreadySent = OutcomeReasons.AlreadySent;

        /// <summary>Reason of a document kept back because an earlier run could not tell whether it was delivered.</summary>
        public const string PreviouslyUncertain = "PreviouslyUncertain";

        /// <summary>
        /// Returns the documents to send, in input order; adds one outcome per kept-back document to
        /// <paramref name="heldBack"/> (Skipped, Uncertain, or Failed when a file cannot be read to hash it).
        /// </summary>
        public static IReadOnlyList<Document> Apply(
            IReadOnlyList<Document> documents,
            SendJournal journal,
            bool resendUncertain,
            SendRunOptions options,
            IRunLog log,
            ICollection<MessageOutcome> heldBack)
        {
            var toSend = new List<Document>(documents.Count);
            foreach (Document document in documents)
            {
                DocumentFingerprint fingerprint;
                try
                {
                    fingerprint = journal.Hasher.Fingerprint(document);
                }
                catch (G5MailException ex)
                {
                    MessageOutcome failed = Describe(document, null, options);
                    failed.Status = DeliveryStatus.Failed;
                    failed.Error = ex;
                    heldBack.Add(failed);
                    continue;
                }

                JournalEntry? entry = journal.Find(fingerprint);
                string label = $"{document.DocumentId} to {document.Recipients}";
                switch (entry?.Status)
                {
                    case JournalStatus.Sent:
                    {
                        JournalRecord sent = entry.Record;
                        MessageOutcome skipped = Describe(document, sent, options);
                        skipped.Status = DeliveryStatus.Skipped;
                        skipped.Reason = AlreadySent;
                        skipped.SentAt = sent.Time;
                        log.Verbose($"{label}: already sent on {When(sent)} (Message-Id {sent.MessageId ?? "unknown"}); skipped.");
                        heldBack.Add(skipped);
                        continue;
                    }

                    case JournalStatus.Sending:
                    case JournalStatus.Uncertain:
                    {
                        JournalRecord earlier = entry.Record;
                        if (resendUncertain)
                        {
                            log.Warning($"{label}: may already have arrived (an earlier run on {When(earlier)} could not tell); sent again because of -Force.");
                            toSend.Add(document);
                            continue;
                        }

                        MessageOutcome uncertain = Describe(document, earlier, options);
                        uncertain.Status = DeliveryStatus.Uncertain;
                        uncertain.Reason = PreviouslyUncertain;
                        uncertain.Error = UncertainError(document, entry);
                        heldBack.Add(uncertain);
                        continue;
                    }

                    default:
                        if (entry != null)
                        {
                            log.Verbose($"{label}: the journal says {entry.Status} on {When(entry.Record)}; sending it again.");
                        }

                        toSend.Add(document);
                        continue;
                }
            }

            return toSend;
        }

        private static G5MailException UncertainError(Document document, JournalEntry entry)
        {
            JournalRecord record = entry.Record;
            string what = record.Status == JournalStatus.Sending
                ? $"an earlier run (run {record.RunId}) began handing it to the mail system on {When(record)} and stopped before the mail system "
                  + "answered (the process was ended or the computer stopped)"
                : $"an earlier run (run {record.RunId}) could not tell on {When(record)} whether the mail system accepted it"
                  + (string.IsNullOrEmpty(record.Error) ? string.Empty : ": " + record.Error);
            return new G5MailException(JournalErrorIds.DeliveryUncertain, ErrorKind.InvalidOperation,
                $"Document '{document.DocumentId}' to {document.Recipients} is not sent again: {what}. It may or may not have arrived"
                + (record.MessageId != null ? $" (Message-Id {record.MessageId})" : string.Empty)
                + ". Check the recipient's mailbox or the mail server's log; to send it anyway, run again with -Force.",
                document.DocumentId);
        }

        private static MessageOutcome Describe(Document document, JournalRecord? earlier, SendRunOptions options)
        {
            return new MessageOutcome
            {
                // Where and how the earlier run sent it, when the journal knows.
                Method = earlier?.Method ?? options.MethodName,
                Server = earlier != null ? earlier.Server : options.Settings.Server,
                MessageId = earlier?.MessageId,
                From = earlier?.From ?? options.Settings.From,
                To = document.Recipients.To,
                Cc = document.Recipients.Cc,
                Bcc = document.Recipients.Bcc,
                Subject = earlier?.Subject,
                DocumentIds = new[] { document.DocumentId },
                Attachments = document.Files.Select(f => f.FileName).ToArray(),
                AttachmentBytes = document.TotalBytes,
                Part = 1,
                PartCount = 1,
                Source = document.Requests.Count > 0 ? document.Requests[0].Source : null,
            };
        }

        private static string When(JournalRecord record) => record.Time.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
    }
}
