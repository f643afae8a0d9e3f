using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Runs
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
        /// <summary>
        /// The documents to send, in input order, and one result per document kept back (Skipped, Uncertain, or Failed
        /// when a file cannot be read to hash it). Without a journal (or for drafts, which the journal does not track)
        /// every document is sent.
        /// </summary>
        public static Screening Apply(IReadOnlyList<Document> documents, SendRunOptions options, IRunLog log)
        {
            SendJournal? journal = options.Journal;
            if (journal == null || options.WritesDrafts)
            {
                return new Screening(documents, Array.Empty<SendResult>());
            }

            var toSend = new List<Document>(documents.Count);
            var keptBack = new List<SendResult>();
            foreach (Document document in documents)
            {
                DocumentFingerprint fingerprint;
                try
                {
                    fingerprint = journal.Hasher.Fingerprint(document);
                }
                catch (G5MailErrorException ex)
                {
                    SendResult failed = SendResults.KeptBack(document, null, options, SendStatus.Failed);
                    failed.Exception = ex;
                    keptBack.Add(failed);
                    continue;
                }

                JournalEntry? entry = journal.Find(fingerprint);
                string label = $"{document.DocumentId} to {document.Recipients}";
                switch (entry?.Status)
                {
                    case JournalStatus.Sent:
                    {
                        JournalRecord sent = entry.Record;
                        SendResult skipped = SendResults.KeptBack(document, sent, options, SendStatus.Skipped);
                        skipped.Reason = SendReasons.AlreadySent;
                        skipped.SentAt = sent.Time;
                        log.Verbose($"{label}: already sent on {When(sent)} (Message-Id {sent.MessageId ?? "unknown"}); skipped.");
                        keptBack.Add(skipped);
                        continue;
                    }

                    case JournalStatus.Sending:
                    case JournalStatus.Uncertain:
                    {
                        JournalRecord earlier = entry.Record;
                        if (options.ResendUncertain)
                        {
                            log.Warning($"{label}: may already have arrived (an earlier run on {When(earlier)} could not tell); sent again because of -Force.");
                            toSend.Add(document);
                            continue;
                        }

                        SendResult uncertain = SendResults.KeptBack(document, earlier, options, SendStatus.Uncertain);
                        uncertain.Reason = SendReasons.PreviouslyUncertain;
                        uncertain.Exception = UncertainError(document, entry);
                        keptBack.Add(uncertain);
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

            return new Screening(toSend, keptBack);
        }

        private static G5MailErrorException UncertainError(Document document, JournalEntry entry)
        {
            JournalRecord record = entry.Record;
            string what = record.Status == JournalStatus.Sending
                ? $"an earlier run (run {record.RunId}) began handing it to the mail system on {When(record)} and stopped before the mail system "
                  + "answered (the process was ended or the computer stopped)"
                : $"an earlier run (run {record.RunId}) could not tell on {When(record)} whether the mail system accepted it"
                  + (string.IsNullOrEmpty(record.Error) ? string.Empty : ": " + record.Error);
            return new G5MailErrorException(ErrorIds.DeliveryUncertain, ErrorKind.InvalidOperation,
                $"Document '{document.DocumentId}' to {document.Recipients} is not sent again: {what}. It may or may not have arrived"
                + (record.MessageId != null ? $" (Message-Id {record.MessageId})" : string.Empty)
                + ". Check the recipient's mailbox or the mail server's log; to send it anyway, run again with -Force.",
                document.DocumentId);
        }

        private static string When(JournalRecord record) => record.Time.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
    }
}

namespace G5Mail.Core.Runs
{
    /// <summary>What <see cref="JournalScreen"/> decided: the documents to plan and send, and the results of those kept back.</summary>
    public sealed class Screening
    {
        public Screening(IReadOnlyList<Document> toSend, IReadOnlyList<SendResult> keptBack)
        {
            ToSend = toSend;
            KeptBack = keptBack;
        }

        public IReadOnlyList<Document> ToSend { get; }
        public IReadOnlyList<SendResult> KeptBack { get; }
    }
}
