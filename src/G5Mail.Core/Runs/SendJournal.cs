using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using G5Mail.Core.Errors;
using G5Mail.Core.Files;
using G5Mail.Core.Messages;
using G5Mail.Core.Settings;

namespace G5Mail.Core.Runs
{
    /// <summary>What the journal last says about one document (see <see cref="DocumentFingerprint"/>).</summary>
    public sealed class JournalEntry
    {
        internal JournalEntry(JournalRecord record, int line)
        {
            Record = record;
            Line = line;
        }

        /// <summary>Sending means an intent without a final record: the run that wrote it stopped while sending.</summary>
        public JournalStatus Status => Record.Status;

        public JournalRecord Record { get; }

        /// <summary>1-based line number in the journal file (0 for a record written by this run).</summary>
        public int Line { get; }
    }

    /// <summary>
    /// The append-only send journal of Send-G5Document -JournalPath: one JSON line (<see cref="JournalRecord"/>) per
    /// event, each written with a single write and flushed to disk (fsync) before the run goes on. For every message a
    /// "Sending" intent is on disk before the message is handed to the transport, and the final status after, so a
    /// crash between the two leaves an intent without a result, which the next run reports as Uncertain.
    /// </summary>
    /// <remarks>
    /// One run at a time: a run holds "&lt;journal&gt;.lock" (opened with FileShare.None: a share-mode lock on Windows,
    /// flock(LOCK_EX) on Unix) from reading the journal until it ends, and a second run on the same journal stops at
    /// once with JournalLocked. The operating system releases the lock when the process ends, however it ends, and the
    /// lock file is never deleted (deleting it would let two runs lock two different files). The journal itself stays
    /// readable by others during a run. Lines that do not parse (a line cut by a kill, a corrupt or edited line) are
    /// ignored with a warning naming the line; a cut last line is ended with "\n" before appending, so the next
    /// record starts on a line of its own.
    /// </remarks>
    public sealed class SendJournal : IDisposable
    {
        public const string LockSuffix = RunLock.Suffix;

        private readonly object _gate = new object();
        private readonly Dictionary<string, JournalEntry> _index = new Dictionary<string, JournalEntry>(DocumentFingerprint.KeyComparer);
        private readonly Dictionary<string, JournalEntry> _messages = new Dictionary<string, JournalEntry>(StringComparer.Ordinal);
        private readonly List<int> _ignoredLines = new List<int>();
        private readonly IRunLog _log;
        private FileStream? _file;
        private FileStream? _lock;
        private G5MailErrorException? _broken;

        private SendJournal(string path, bool readOnly, IRunLog log)
        {
            Path = path;
            IsReadOnly = readOnly;
            _log = log;
            RunId = Guid.NewGuid().ToString("N");
        }

        /// <summary>The journal file (full path).</summary>
        public string Path { get; }

        /// <summary>Identifies this run's records in the journal.</summary>
        public string RunId { get; }

        /// <summary>True for -WhatIf: the journal is read (if it exists) but never created, locked or written.</summary>
        public bool IsReadOnly { get; }

        /// <summary>Records read from the file when it was opened.</summary>
        public int RecordCount { get; private set; }

        /// <summary>Line numbers (1-based) that were ignored because they do not parse.</summary>
        public IReadOnlyList<int> IgnoredLines => _ignoredLines;

        /// <summary>Distinct documents the journal knows.</summary>
        public int DocumentCount => _index.Count;

        /// <summary>Hashes attachments once per run, for the screen and for the records.</summary>
        public AttachmentHasher Hasher { get; } = new AttachmentHasher();

        /// <summary>
        /// Opens the journal for a sending run: takes its lock (JournalLocked if another run has it), creates the file
        /// and its folder when missing, reads what earlier runs recorded, and gets ready to append.
        /// </summary>
        public static SendJournal Open(string path, IRunLog log)
        {
            string full = FullPath(path);
            var journal = new SendJournal(full, readOnly: false, log);
            try
            {
                string? folder = System.IO.Path.GetDirectoryName(full);
                if (!string.IsNullOrEmpty(folder))
                {
                    Directory.CreateDirectory(folder);
                }

                journal._lock = TakeLock(full);
                journal._file = new FileStream(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
                bool endsWithNewline = journal.ReadAll(journal._file);
                if (!endsWithNewline)
                {
                    // End a line cut by a crash, or this run's first record would be glued to it and lost with it.
                    journal._file.Seek(0, SeekOrigin.End);
                    journal._file.WriteByte((byte)'\n');
                    journal._file.Flush(flushToDisk: true);
                }

                journal._file.Seek(0, SeekOrigin.End);
                log.Verbose($"Journal {full}: {journal.RecordCount} records about {journal.DocumentCount} documents read; this run is {journal.RunId}.");
                return journal;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                journal.Dispose();
                throw AccessFailed(full, ex);
            }
            catch
            {
                journal.Dispose();
                throw;
            }
        }

        /// <summary>Opens the journal for -WhatIf: reads it if it exists; creates, locks and writes nothing.</summary>
        public static SendJournal OpenReadOnly(string path, IRunLog log)
        {
            string full = FullPath(path);
            var journal = new SendJournal(full, readOnly: true, log);
            try
            {
                if (File.Exists(full))
                {
                    // ReadWrite sharing: a run may be appending right now; what it has flushed is what is read.
                    using (var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 81920, FileOptions.SequentialScan))
                    {
                        journal.ReadAll(file);
                    }
                }

                log.Verbose($"Journal {full} (read only): {journal.RecordCount} records about {journal.DocumentCount} documents.");
                return journal;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                throw AccessFailed(full, ex);
            }
        }

        /// <summary>What the journal last says about the document, or null when it has no record of it.</summary>
        /// <remarks>Once a document was Sent, a later record about it (only possible by editing the file) does not undo that.</remarks>
        public JournalEntry? Find(DocumentFingerprint document)
        {
            lock (_gate)
            {
                return _index.TryGetValue(document.Key, out JournalEntry? entry) ? entry : null;
            }
        }

        /// <summary>
        /// The record of the message with this Message-ID (with or without angle brackets), or null: what a delivery report
        /// about it is matched with. The final record (Sent, Uncertain) when there is one, else the intent (a run that
        /// stopped while sending may have handed the message over); never a Failed or Draft record, whose message did not
        /// leave. See <see cref="MessageIdKey"/> for how ids compare.
        /// </summary>
        public JournalEntry? FindMessage(string? messageId)
        {
            string? key = MessageIdKey(messageId);
            if (key == null)
            {
                return null;
            }

            lock (_gate)
            {
                return _messages.TryGetValue(key, out JournalEntry? entry) ? entry : null;
            }
        }

        /// <summary>
        /// A Message-ID as a lookup key: without white space and angle brackets, the part left of the last '@' as written
        /// (RFC 5322 3.6.4 gives id-left no case rules, so it is compared exactly) and the part right of it lower-case (it
        /// is a domain, or names one, in every generator seen). Null for an empty id.
        /// </summary>
        public static string? MessageIdKey(string? messageId)
        {
            if (messageId == null)
            {
                return null;
            }

            string id = messageId.Trim().TrimStart('<').TrimEnd('>').Trim();
            if (id.Length == 0)
            {
                return null;
            }

            int at = id.LastIndexOf('@');
            return at < 0 ? id : id.Substring(0, at + 1) + id.Substring(at + 1).ToLowerInvariant();
        }

        /// <summary>
        /// Writes the intent for one message and flushes it to disk. Call just before handing the message to the
        /// transport; when this throws (JournalWriteFailed), the message must not be sent.
        /// </summary>
        /// <param name="server">Where the message goes (the transport's Server), when the outcome does not say yet.</param>
        public void RecordSending(PlannedMessage planned, SendResult outcome, string? server = null)
        {
            lock (_gate)
            {
                if (IsReadOnly)
                {
                    throw new InvalidOperationException("A read-only journal (-WhatIf) is never written.");
                }

                if (_broken != null)
                {
                    throw _broken;
                }

                JournalRecord record = Build(JournalStatus.Sending, planned, outcome);
                record.Server = server ?? record.Server;
                if (!Append(record))
                {
                    throw _broken!;
                }
            }
        }

        /// <summary>
        /// Writes the final status of one message (Sent, Failed, Uncertain, Draft). Never throws: a message that was
        /// sent stays sent; when its record cannot be written a warning says that the next run will call it Uncertain.
        /// </summary>
        public void RecordResult(PlannedMessage planned, SendResult outcome)
        {
            JournalStatus status;
            switch (outcome.Status)
            {
                case SendStatus.Sent: status = JournalStatus.Sent; break;
                case SendStatus.Failed: status = JournalStatus.Failed; break;
                case SendStatus.Uncertain: status = JournalStatus.Uncertain; break;
                case SendStatus.Draft: status = JournalStatus.Draft; break;
                default: return; // Skipped and WhatIf change nothing.
            }

            lock (_gate)
            {
                if (IsReadOnly || _broken != null)
                {
                    return;
                }

                JournalRecord record;
                try
                {
                    record = Build(status, planned, outcome);
                }
                catch (G5MailErrorException ex)
                {
                    // Only if a file vanished between the screen and now; the intent already names the document.
                    _log.Warning($"The journal has no final record for {string.Join(", ", planned.DocumentIds)}: {ex.Message}");
                    return;
                }

                if (!Append(record) && outcome.Status == SendStatus.Sent)
                {
                    _log.Warning($"{string.Join(", ", planned.DocumentIds)} to {planned.Recipients} was sent, but the journal {Path} could not record it "
                                 + $"({_broken!.InnerException?.Message}): a later run with this journal reports it as Uncertain.");
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _file?.Dispose();
                _file = null;
                _lock?.Dispose();
                _lock = null;
            }
        }

        private static string FullPath(string path)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ArgumentException("A journal path is needed.", nameof(path));
            }

            string full = System.IO.Path.GetFullPath(path);
            if (Directory.Exists(full))
            {
                throw new G5MailErrorException(ErrorIds.JournalAccessFailed, ErrorKind.InvalidArgument,
                    $"-JournalPath '{full}' is a folder. Give a file, e.g. '{System.IO.Path.Combine(full, "send-journal.jsonl")}'.", full);
            }

            return full;
        }

        private static FileStream TakeLock(string journal) =>
            RunLock.Take(journal, (lockFile, ex) => new G5MailErrorException(ErrorIds.JournalLocked, ErrorKind.ResourceUnavailable,
                $"The journal '{journal}' is in use by another Send-G5Document run (it holds '{lockFile}'). Nothing was sent. "
                + "Let that run finish and start this one again: it then skips what the other run sent. Two runs that must overlap need "
                + "two journals. The lock ends with the other process, so the lock file need not be deleted.", journal, ex));

        private static G5MailErrorException AccessFailed(string journal, Exception ex)
        {
            string why = ex is UnauthorizedAccessException ? "no permission" : ex.Message;
            return new G5MailErrorException(ErrorIds.JournalAccessFailed, ErrorKind.PermissionDenied,
                $"The journal '{journal}' cannot be opened ({why}). Nothing was sent. Give a -JournalPath in a folder this account can write to.",
                journal, ex);
        }

        /// <summary>Reads every line; returns whether the file ends with "\n" (or is empty).</summary>
        private bool ReadAll(Stream stream)
        {
            var line = new MemoryStream();
            var buffer = new byte[81920];
            int lineNumber = 0;
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                int start = 0;
                int newline;
                while ((newline = Array.IndexOf(buffer, (byte)'\n', start, read - start)) >= 0)
                {
                    line.Write(buffer, start, newline - start);
                    ReadLine(line, ++lineNumber, cut: false);
                    line.SetLength(0);
                    start = newline + 1;
                }

                line.Write(buffer, start, read - start);
            }

            if (line.Length == 0)
            {
                return true;
            }

            ReadLine(line, ++lineNumber, cut: true);
            return false;
        }

        private void ReadLine(MemoryStream line, int lineNumber, bool cut)
        {
            var bytes = new ReadOnlyMemory<byte>(line.GetBuffer(), 0, (int)line.Length);
            if (IsBlank(bytes.Span))
            {
                return;
            }

            if (JournalRecord.TryParse(bytes, out JournalRecord? record, out string? problem))
            {
                RecordCount++;
                Apply(record!, lineNumber);
                return;
            }

            _ignoredLines.Add(lineNumber);
            _log.Warning(cut
                ? $"Journal {Path}, line {lineNumber} ignored: it was cut off ({problem}), most likely because the run writing it was killed. "
                  + "That is safe: a message whose intent was cut was never handed to the mail system, and one whose result was cut keeps its "
                  + "intent and is reported as Uncertain."
                : $"Journal {Path}, line {lineNumber} ignored: {problem}. A document recorded only on that line counts as not in the journal "
                  + "(if that line said it was sent, it is sent again).");
        }

        private static bool IsBlank(ReadOnlySpan<byte> bytes)
        {
            foreach (byte b in bytes)
            {
                if (b != (byte)' ' && b != (byte)'\t' && b != (byte)'\r')
                {
                    return false;
                }
            }

            return true;
        }

        private void Apply(JournalRecord record, int lineNumber)
        {
            foreach (DocumentFingerprint document in record.Documents)
            {
                if (_index.TryGetValue(document.Key, out JournalEntry? known) && known.Status == JournalStatus.Sent && record.Status != JournalStatus.Sent)
                {
                    continue;
                }

                _index[document.Key] = new JournalEntry(record, lineNumber);
            }

            IndexMessage(record, lineNumber);
        }

        private void IndexMessage(JournalRecord record, int lineNumber)
        {
            string? key = MessageIdKey(record.MessageId);
            if (key == null || record.Status == JournalStatus.Failed || record.Status == JournalStatus.Draft)
            {
                return;
            }

            // A final record replaces the intent; a later intent (not written for a message already sent) does not.
            if (record.Status == JournalStatus.Sending && _messages.ContainsKey(key))
            {
                return;
            }

            _messages[key] = new JournalEntry(record, lineNumber);
        }

        private JournalRecord Build(JournalStatus status, PlannedMessage planned, SendResult outcome)
        {
            bool final = status != JournalStatus.Sending;
            return new JournalRecord
            {
                RunId = RunId,
                Time = final && outcome.SentAt.HasValue ? outcome.SentAt.Value : DateTimeOffset.Now,
                Status = status,
                Method = string.IsNullOrEmpty(outcome.Method) ? null : outcome.Method,
                Server = outcome.Server,
                MessageId = outcome.MessageId,
                From = string.IsNullOrEmpty(outcome.From) ? null : outcome.From,
                To = outcome.To,
                Cc = outcome.Cc,
                Bcc = outcome.Bcc,
                Subject = outcome.Subject,
                Part = planned.Part,
                PartCount = planned.PartCount,
                RecipientKey = planned.Recipients.Key,
                Documents = planned.Documents.Select(Hasher.Fingerprint).ToArray(),
                ErrorId = final ? outcome.ErrorId : null,
                Error = final ? outcome.Error : null,
                Reason = final ? outcome.Reason : null,
                DurationMs = final ? (long)outcome.Duration.TotalMilliseconds : (long?)null,
            };
        }

        /// <summary>One write of the whole line, then fsync. False (and the journal broken for the rest of the run) on failure.</summary>
        private bool Append(JournalRecord record)
        {
            byte[] line = record.ToJsonLine();
            try
            {
                FileStream file = _file ?? throw new ObjectDisposedException(nameof(SendJournal));
                var watch = Stopwatch.StartNew();
                file.Write(line, 0, line.Length);
                file.Flush(flushToDisk: true);
                if (watch.ElapsedMilliseconds > 1000)
                {
                    _log.Verbose($"Writing the journal took {watch.ElapsedMilliseconds} ms (a slow or network disk).");
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ObjectDisposedException)
            {
                _broken = new G5MailErrorException(ErrorIds.JournalWriteFailed, ErrorKind.WriteError,
                    $"The journal '{Path}' could not be written ({ex.Message}), so this message and the rest of the run are not sent: "
                    + "a message the journal does not know of could be sent twice. Free the disk or fix the path, then run again.",
                    Path, ex);
                return false;
            }

            Apply(record, 0);
            return true;
        }
    }
}
