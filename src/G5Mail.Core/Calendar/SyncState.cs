using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using G5Mail.Core.Errors;
using G5Mail.Core.Files;
using G5Mail.Core.Runs;

namespace G5Mail.Core.Calendar
{
    /// <summary>
    /// The sync state of Sync-G5Activity -StatePath: per activity its UID, SEQUENCE, where it was synced (method,
    /// mailbox, remote id) and a hash of what was last sent (<see cref="SyncStateEntry"/>), as JSON lines, UTF-8.
    /// </summary>
    /// <remarks>
    /// Crash safety, the same way as the send journal: before a change goes to the calendar, a line with the new
    /// SEQUENCE and Pending is on disk (one write, fsync); after it, a line with the outcome. A run killed in between
    /// leaves Pending, and the next run sends the activity again as an update (same UID, SEQUENCE + 1): calendars then
    /// hold one event, never two, and the SEQUENCE only grows. One run at a time: the run holds "&lt;state&gt;.lock"
    /// (<see cref="RunLock"/>), and a second run on the same state stops at once with StateLocked. A line that does not
    /// parse (cut by a kill, or edited) is ignored with a warning. When the file holds many superseded lines it is
    /// rewritten, one line per activity, whole or not at all (<see cref="AtomicFile"/>), before the run appends.
    /// </remarks>
    public sealed class SyncState : IDisposable
    {
        private static readonly JsonSerializerOptions Json = new JsonSerializerOptions
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // Swedish subjects stay readable; the file is never HTML
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        };

        private readonly object _gate = new object();
        private readonly Dictionary<string, SyncStateEntry> _entries = new Dictionary<string, SyncStateEntry>(StringComparer.Ordinal);
        private readonly IRunLog _log;
        private FileStream? _file;
        private FileStream? _lock;
        private G5MailErrorException? _broken;
        private int _lines;

        private SyncState(string path, bool readOnly, IRunLog log)
        {
            Path = path;
            IsReadOnly = readOnly;
            _log = log;
        }

        public string Path { get; }

        /// <summary>-WhatIf: read if it exists; never created, locked or written.</summary>
        public bool IsReadOnly { get; }

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _entries.Count;
                }
            }
        }

        /// <summary>Lines ignored because they did not parse.</summary>
        public int IgnoredLines { get; private set; }

        /// <summary>Opens the state for a run: locks it, creates it (and its folder) when missing, reads it, compacts it when worth it.</summary>
        public static SyncState Open(string path, IRunLog log)
        {
            string full = FullPath(path);
            var state = new SyncState(full, readOnly: false, log);
            try
            {
                string? folder = System.IO.Path.GetDirectoryName(full);
                if (!string.IsNullOrEmpty(folder))
                {
                    Directory.CreateDirectory(folder);
                }

                state._lock = RunLock.Take(full, (lockFile, ex) => new G5MailErrorException(ErrorIds.StateLocked, ErrorKind.ResourceUnavailable,
                    $"The sync state '{full}' is in use by another Sync-G5Activity run (it holds '{lockFile}'). Nothing was synced. Let that run "
                    + "finish and start this one again: it then leaves alone what the other run synced. The lock ends with the other process, "
                    + "so the lock file need not be deleted.", full, ex));
                if (File.Exists(full))
                {
                    using (var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan))
                    {
                        state.ReadAll(file);
                    }
                }

                if (state._lines > 64 && state._lines > 2 * state._entries.Count)
                {
                    state.Compact();
                }

                state._file = new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
                state._file.Seek(0, SeekOrigin.End);
                if (state._file.Length > 0 && !EndsWithNewline(full))
                {
                    // End a line cut by a crash, or the next record would be glued to it and lost with it.
                    state._file.WriteByte((byte)'\n');
                    state._file.Flush(flushToDisk: true);
                }

                log.Verbose($"Sync state {full}: {state._entries.Count} activities.");
                return state;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                state.Dispose();
                throw AccessFailed(full, ex);
            }
            catch
            {
                state.Dispose();
                throw;
            }
        }

        /// <summary>Opens the state for -WhatIf: reads it if it exists; creates, locks and writes nothing.</summary>
        public static SyncState OpenReadOnly(string path, IRunLog log)
        {
            string full = FullPath(path);
            var state = new SyncState(full, readOnly: true, log);
            try
            {
                if (File.Exists(full))
                {
                    using (var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 81920, FileOptions.SequentialScan))
                    {
                        state.ReadAll(file);
                    }
                }

                return state;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                throw AccessFailed(full, ex);
            }
        }

        public SyncStateEntry? Find(string activityId)
        {
            lock (_gate)
            {
                return _entries.TryGetValue(activityId, out SyncStateEntry? entry) ? entry.Copy() : null;
            }
        }

        /// <summary>Every activity the state knows, in the order first seen.</summary>
        public IReadOnlyList<SyncStateEntry> Entries
        {
            get
            {
                lock (_gate)
                {
                    return _entries.Values.Select(e => e.Copy()).ToArray();
                }
            }
        }

        /// <summary>
        /// On disk before the change goes anywhere: the new SEQUENCE, Pending. Throws StateWriteFailed when it cannot be
        /// written; then the change must not be sent (its SEQUENCE would not be known to have been used).
        /// </summary>
        public void RecordPending(CalendarChange change, string method, string mailbox)
        {
            lock (_gate)
            {
                SyncStateEntry entry = Start(change, method, mailbox);
                entry.Pending = true;
                if (!Append(entry))
                {
                    throw _broken!;
                }
            }
        }

        /// <summary>The change went through: the calendar has <paramref name="change"/>'s content.</summary>
        public void RecordDone(CalendarChange change, string method, string mailbox, string? remoteId)
        {
            lock (_gate)
            {
                SyncStateEntry entry = Start(change, method, mailbox);
                entry.Pending = false;
                entry.Hash = change.Hash;
                entry.Cancelled = change.Kind == ChangeKind.Cancel;
                entry.RemoteId = remoteId ?? entry.RemoteId;
                if (!Append(entry))
                {
                    _log.Warning($"Activity {change.Activity.ActivityId} was synced, but the state {Path} could not record it ({_broken!.InnerException?.Message}): "
                                 + "the next run sends it again as an update (the same event, no duplicate).");
                }
            }
        }

        /// <summary>
        /// The change failed. Certainly not delivered: the calendar keeps what it had (the SEQUENCE stays used). Maybe
        /// delivered (<paramref name="uncertain"/>): Pending stays, and the next run sends an update.
        /// </summary>
        public void RecordFailed(CalendarChange change, string method, string mailbox, bool uncertain)
        {
            lock (_gate)
            {
                if (_broken != null || IsReadOnly)
                {
                    return;
                }

                SyncStateEntry entry = Start(change, method, mailbox);
                entry.Pending = uncertain || (change.Previous?.Pending ?? false);
                if (change.Previous == null || !change.Previous.IsFor(method, mailbox))
                {
                    // Never synced here: nothing the calendar has to keep.
                    entry.Hash = null;
                    entry.Cancelled = false;
                }

                Append(entry);
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

        /// <summary>The entry as it will be after <paramref name="change"/>: the last known one (or a new one) with this change's identity and content.</summary>
        private SyncStateEntry Start(CalendarChange change, string method, string mailbox)
        {
            if (IsReadOnly)
            {
                throw new InvalidOperationException("A read-only state (-WhatIf) is never written.");
            }

            if (_broken != null)
            {
                throw _broken;
            }

            Activity a = change.Activity;
            SyncStateEntry entry = _entries.TryGetValue(a.ActivityId, out SyncStateEntry? known) ? known.Copy() : new SyncStateEntry { ActivityId = a.ActivityId };
            if (!entry.IsFor(method, mailbox))
            {
                entry.RemoteId = null;
            }

            entry.Time = DateTimeOffset.Now;
            entry.Method = method;
            entry.Mailbox = mailbox;
            entry.Uid = change.Uid;
            entry.Sequence = Math.Max(entry.Sequence, change.Sequence);
            entry.Subject = a.Subject;
            entry.AllDay = a.AllDay;
            entry.Start = a.AllDay ? a.LocalStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : a.Start.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
            entry.End = a.AllDay ? a.LocalEnd.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : a.End.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
            entry.TimeZone = a.TimeZoneId;
            entry.Location = a.Location;
            entry.Organizer = a.Organizer;
            entry.Attendees = a.Attendees.ToList();
            return entry;
        }

        private static string FullPath(string path)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ArgumentException("A state path is needed.", nameof(path));
            }

            string full = System.IO.Path.GetFullPath(path);
            if (Directory.Exists(full))
            {
                throw new G5MailErrorException(ErrorIds.StateAccessFailed, ErrorKind.InvalidArgument,
                    $"-StatePath '{full}' is a folder. Give a file, e.g. '{System.IO.Path.Combine(full, "activity-state.jsonl")}'.", full);
            }

            return full;
        }

        private static G5MailErrorException AccessFailed(string path, Exception ex)
        {
            string why = ex is UnauthorizedAccessException ? "no permission" : ex.Message;
            return new G5MailErrorException(ErrorIds.StateAccessFailed, ErrorKind.PermissionDenied,
                $"The sync state '{path}' cannot be opened ({why}). Nothing was synced. Give a -StatePath in a folder this account can write to.", path, ex);
        }

        private static bool EndsWithNewline(string path)
        {
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1))
            {
                if (file.Length == 0)
                {
                    return true;
                }

                file.Seek(-1, SeekOrigin.End);
                return file.ReadByte() == '\n';
            }
        }

        private void ReadAll(Stream stream)
        {
            using (var reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true))
            {
                int number = 0;
                string? line;
                while ((line = reader.ReadLine()) != null)
                {
                    number++;
                    if (line.Trim().Length == 0)
                    {
                        continue;
                    }

                    _lines++;
                    SyncStateEntry? entry = null;
                    string? problem = null;
                    try
                    {
                        entry = JsonSerializer.Deserialize<SyncStateEntry>(line, Json);
                    }
                    catch (JsonException ex)
                    {
                        problem = ex.Message;
                    }

                    if (entry == null || entry.Version != SyncStateEntry.FormatVersion || entry.ActivityId.Length == 0 || entry.Uid.Length == 0)
                    {
                        IgnoredLines++;
                        _log.Warning($"Sync state {Path}, line {number} ignored: {problem ?? "not an entry of state format version " + SyncStateEntry.FormatVersion}. "
                                     + "An activity recorded only on that line is synced as new (the same UID, so its event is updated, not doubled).");
                        continue;
                    }

                    _entries[entry.ActivityId] = entry;
                }
            }
        }

        /// <summary>One line per activity, written whole or not at all.</summary>
        private void Compact()
        {
            var text = new StringBuilder();
            foreach (SyncStateEntry entry in _entries.Values)
            {
                text.Append(JsonSerializer.Serialize(entry, Json)).Append('\n');
            }

            AtomicFile.Write(Path, new UTF8Encoding(false).GetBytes(text.ToString()), overwrite: true, protection: FileProtection.OwnerOnly);
            _log.Verbose($"Sync state {Path}: compacted from {_lines} lines to {_entries.Count}.");
            _lines = _entries.Count;
        }

        /// <summary>One write of the whole line, then fsync. False (and the state broken for the rest of the run) on failure.</summary>
        private bool Append(SyncStateEntry entry)
        {
            byte[] line = new UTF8Encoding(false).GetBytes(JsonSerializer.Serialize(entry, Json) + "\n");
            try
            {
                FileStream file = _file ?? throw new ObjectDisposedException(nameof(SyncState));
                var watch = Stopwatch.StartNew();
                file.Write(line, 0, line.Length);
                file.Flush(flushToDisk: true);
                if (watch.ElapsedMilliseconds > 1000)
                {
                    _log.Verbose($"Writing the sync state took {watch.ElapsedMilliseconds} ms (a slow or network disk).");
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ObjectDisposedException)
            {
                _broken = new G5MailErrorException(ErrorIds.StateWriteFailed, ErrorKind.WriteError,
                    $"The sync state '{Path}' could not be written ({ex.Message}), so this activity and the rest of the run are not synced: a change "
                    + "the state does not know of could be sent with a SEQUENCE already used. Free the disk or fix the path, then run again.", Path, ex);
                return false;
            }

            _entries[entry.ActivityId] = entry;
            _lines++;
            return true;
        }
    }
}
