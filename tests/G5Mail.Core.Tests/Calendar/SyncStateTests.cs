using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using G5Mail.Core.Calendar;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using Xunit;
using static G5Mail.Core.Tests.Calendar.CalendarFixtures;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>The sync state file: lock, pending and done records, crash recovery, compaction.</summary>
    public sealed class SyncStateTests : IDisposable
    {
        private const string Method = "Smtp";
        private readonly TempFolder _folder = new TempFolder();
        private readonly string _path;

        public SyncStateTests()
        {
            _path = Path.Combine(_folder.Path, "state", "activities.jsonl");
        }

        public void Dispose() => _folder.Dispose();

        private static CalendarChange ChangeOf(string id, int sequence, string subject = "Service", ChangeKind kind = ChangeKind.Create, SyncStateEntry? previous = null)
        {
            ActivityRequest request = Request(id, subject);
            if (kind == ChangeKind.Cancel)
            {
                request.Status = "Cancelled";
            }

            return Change(Read(request), kind, sequence, hasState: true, previous);
        }

        private string[] Lines() => File.ReadAllLines(_path).Where(l => l.Length > 0).ToArray();

        [Fact]
        public void Open_creates_the_folder_the_file_and_the_lock()
        {
            using (SyncState state = SyncState.Open(_path, NullRunLog.Instance))
            {
                Assert.True(File.Exists(_path));
                Assert.True(File.Exists(_path + ".lock"));
                Assert.Equal(0, state.Count);
                Assert.False(state.IsReadOnly);
                Assert.Equal(Path.GetFullPath(_path), state.Path);
            }

            Assert.Equal(0, new FileInfo(_path).Length);
        }

        [Fact]
        public void A_second_Open_of_the_same_state_is_StateLocked_until_the_first_is_disposed()
        {
            using (SyncState.Open(_path, NullRunLog.Instance))
            {
                var error = Assert.Throws<G5MailErrorException>(() => SyncState.Open(_path, NullRunLog.Instance));
                Assert.Equal(ErrorIds.StateLocked, error.ErrorId);
                Assert.Contains(_path + ".lock", error.Message);
            }

            using (SyncState again = SyncState.Open(_path, NullRunLog.Instance))
            {
                Assert.Equal(0, again.Count);
            }
        }

        [Fact]
        public void A_folder_as_the_state_path_is_StateAccessFailed()
        {
            var error = Assert.Throws<G5MailErrorException>(() => SyncState.Open(_folder.Path, NullRunLog.Instance));
            Assert.Equal(ErrorIds.StateAccessFailed, error.ErrorId);
        }

        [Fact]
        public void A_pending_record_without_done_survives_a_crash()
        {
            CalendarChange change = ChangeOf("A-1", 4);
            using (SyncState state = SyncState.Open(_path, NullRunLog.Instance))
            {
                state.RecordPending(change, Method, "planner@example.com");
            } // the run dies here: no RecordDone

            using (SyncState reopened = SyncState.Open(_path, NullRunLog.Instance))
            {
                SyncStateEntry entry = reopened.Find("A-1")!;
                Assert.NotNull(entry);
                Assert.True(entry.Pending);
                Assert.Equal(4, entry.Sequence);
                Assert.Equal(change.Uid, entry.Uid);
                Assert.Null(entry.Hash);
                Assert.Equal(Method, entry.Method);
                Assert.Equal("planner@example.com", entry.Mailbox);
                Assert.Equal("Service", entry.Subject);
                Assert.Equal(new[] { "tekniker@example.com" }, entry.Attendees);
                Assert.Equal("Europe/Stockholm", entry.TimeZone);
            }
        }

        [Fact]
        public void RecordDone_sets_the_hash_and_clears_Pending()
        {
            CalendarChange change = ChangeOf("A-1", 0);
            using (SyncState state = SyncState.Open(_path, NullRunLog.Instance))
            {
                state.RecordPending(change, Method, "planner@example.com");
                state.RecordDone(change, Method, "planner@example.com", "<id@example.com>");
                SyncStateEntry live = state.Find("A-1")!;
                Assert.False(live.Pending);
                Assert.Equal(change.Hash, live.Hash);
            }

            Assert.Equal(2, Lines().Length);
            using (SyncState reopened = SyncState.Open(_path, NullRunLog.Instance))
            {
                SyncStateEntry entry = reopened.Find("A-1")!;
                Assert.False(entry.Pending);
                Assert.Equal(change.Hash, entry.Hash);
                Assert.Equal("<id@example.com>", entry.RemoteId);
                Assert.False(entry.Cancelled);
                Assert.Equal(0, reopened.IgnoredLines);
            }
        }

        [Fact]
        public void A_done_cancel_is_recorded_as_cancelled()
        {
            using SyncState state = SyncState.Open(_path, NullRunLog.Instance);
            CalendarChange cancel = ChangeOf("A-1", 2, kind: ChangeKind.Cancel);
            state.RecordPending(cancel, Method, "planner@example.com");
            state.RecordDone(cancel, Method, "planner@example.com", null);
            Assert.True(state.Find("A-1")!.Cancelled);
        }

        [Fact]
        public void A_certain_failure_keeps_the_hash_of_what_the_calendar_has_and_the_higher_sequence()
        {
            using SyncState state = SyncState.Open(_path, NullRunLog.Instance);
            CalendarChange first = ChangeOf("A-1", 0);
            state.RecordPending(first, Method, "planner@example.com");
            state.RecordDone(first, Method, "planner@example.com", "<1@example.com>");

            CalendarChange update = ChangeOf("A-1", 1, "Ändrad", ChangeKind.Update, state.Find("A-1"));
            state.RecordPending(update, Method, "planner@example.com");
            state.RecordFailed(update, Method, "planner@example.com", uncertain: false);

            SyncStateEntry entry = state.Find("A-1")!;
            Assert.Equal(first.Hash, entry.Hash);
            Assert.NotEqual(update.Hash, entry.Hash);
            Assert.False(entry.Pending);
            Assert.Equal(1, entry.Sequence); // used, even though it failed
            Assert.Equal("<1@example.com>", entry.RemoteId);
        }

        [Fact]
        public void An_uncertain_failure_keeps_Pending()
        {
            using SyncState state = SyncState.Open(_path, NullRunLog.Instance);
            CalendarChange first = ChangeOf("A-1", 0);
            state.RecordPending(first, Method, "planner@example.com");
            state.RecordDone(first, Method, "planner@example.com", null);

            CalendarChange update = ChangeOf("A-1", 1, "Ändrad", ChangeKind.Update, state.Find("A-1"));
            state.RecordPending(update, Method, "planner@example.com");
            state.RecordFailed(update, Method, "planner@example.com", uncertain: true);

            SyncStateEntry entry = state.Find("A-1")!;
            Assert.True(entry.Pending);
            Assert.Equal(first.Hash, entry.Hash);
            Assert.Equal(1, entry.Sequence);
        }

        [Fact]
        public void A_certain_failure_of_a_never_synced_activity_leaves_no_hash()
        {
            using SyncState state = SyncState.Open(_path, NullRunLog.Instance);
            CalendarChange create = ChangeOf("A-1", 0);
            state.RecordPending(create, Method, "planner@example.com");
            state.RecordFailed(create, Method, "planner@example.com", uncertain: false);

            SyncStateEntry entry = state.Find("A-1")!;
            Assert.Null(entry.Hash);
            Assert.False(entry.Pending);
        }

        [Fact]
        public void A_cut_last_line_is_ignored_with_a_warning_and_the_file_still_appends()
        {
            CalendarChange a = ChangeOf("A-1", 0);
            using (SyncState state = SyncState.Open(_path, NullRunLog.Instance))
            {
                state.RecordPending(a, Method, "planner@example.com");
                state.RecordDone(a, Method, "planner@example.com", null);
            }

            string whole = JsonSerializer.Serialize(new SyncStateEntry { ActivityId = "A-2", Uid = "u", Sequence = 9 });
            File.AppendAllText(_path, whole.Substring(0, whole.Length / 2), new UTF8Encoding(false)); // killed mid-write

            var log = new CalendarLog();
            CalendarChange b = ChangeOf("A-3", 0);
            using (SyncState state = SyncState.Open(_path, log))
            {
                Assert.Equal(1, state.IgnoredLines);
                Assert.Single(log.Warnings, w => w.Contains("line 3 ignored"));
                Assert.Equal(1, state.Count);
                Assert.Null(state.Find("A-2"));
                state.RecordPending(b, Method, "planner@example.com");
                state.RecordDone(b, Method, "planner@example.com", null);
            }

            using (SyncState reopened = SyncState.Open(_path, NullRunLog.Instance))
            {
                Assert.Equal(1, reopened.IgnoredLines);
                Assert.Equal(2, reopened.Count);
                Assert.Equal(b.Hash, reopened.Find("A-3")!.Hash);
                Assert.Equal(a.Hash, reopened.Find("A-1")!.Hash);
            }
        }

        [Fact]
        public void Many_superseded_lines_are_compacted_to_one_per_activity_with_the_last_values()
        {
            using (SyncState state = SyncState.Open(_path, NullRunLog.Instance))
            {
                for (int sequence = 0; sequence < 12; sequence++)
                {
                    foreach (string id in new[] { "A-1", "A-2", "A-3" })
                    {
                        CalendarChange change = ChangeOf(id, sequence, $"{id} version {sequence}");
                        state.RecordPending(change, Method, "planner@example.com");
                        state.RecordDone(change, Method, "planner@example.com", $"<{id}-{sequence}@example.com>");
                    }
                }
            }

            Assert.Equal(72, Lines().Length);
            using (SyncState state = SyncState.Open(_path, NullRunLog.Instance))
            {
                Assert.Equal(3, Lines().Length);
                Assert.Equal(3, state.Count);
                foreach (string id in new[] { "A-1", "A-2", "A-3" })
                {
                    SyncStateEntry entry = state.Find(id)!;
                    Assert.Equal(11, entry.Sequence);
                    Assert.Equal($"{id} version 11", entry.Subject);
                    Assert.Equal($"<{id}-11@example.com>", entry.RemoteId);
                    Assert.Equal(ChangeOf(id, 11, $"{id} version 11").Hash, entry.Hash);
                    Assert.False(entry.Pending);
                }

                Assert.Equal(new[] { "A-1", "A-2", "A-3" }, state.Entries.Select(e => e.ActivityId));
                CalendarChange next = ChangeOf("A-1", 12);
                state.RecordPending(next, Method, "planner@example.com");
            }

            Assert.Equal(4, Lines().Length);
            using (SyncState state = SyncState.Open(_path, NullRunLog.Instance))
            {
                Assert.True(state.Find("A-1")!.Pending);
                Assert.Equal(12, state.Find("A-1")!.Sequence);
            }
        }

        [Fact]
        public void A_file_of_few_superseded_lines_is_not_compacted()
        {
            using (SyncState state = SyncState.Open(_path, NullRunLog.Instance))
            {
                for (int sequence = 0; sequence < 30; sequence++)
                {
                    CalendarChange change = ChangeOf("A-1", sequence);
                    state.RecordPending(change, Method, "planner@example.com");
                    state.RecordDone(change, Method, "planner@example.com", null);
                }
            }

            using (SyncState.Open(_path, NullRunLog.Instance))
            {
                Assert.Equal(60, Lines().Length); // 60 lines: not over 64
            }
        }

        [Fact]
        public void OpenReadOnly_never_creates_the_file_or_the_lock()
        {
            using (SyncState state = SyncState.OpenReadOnly(_path, NullRunLog.Instance))
            {
                Assert.True(state.IsReadOnly);
                Assert.Equal(0, state.Count);
                Assert.Throws<InvalidOperationException>(() => state.RecordPending(ChangeOf("A-1", 0), Method, "planner@example.com"));
            }

            Assert.False(File.Exists(_path));
            Assert.False(File.Exists(_path + ".lock"));
            Assert.False(Directory.Exists(Path.GetDirectoryName(_path)));
        }

        [Fact]
        public void OpenReadOnly_reads_a_state_another_run_holds_without_writing_it()
        {
            CalendarChange change = ChangeOf("A-1", 3);
            using (SyncState writer = SyncState.Open(_path, NullRunLog.Instance))
            {
                writer.RecordPending(change, Method, "planner@example.com");
                writer.RecordDone(change, Method, "planner@example.com", null);
                byte[] before = File.ReadAllBytes(_path);

                using (SyncState reader = SyncState.OpenReadOnly(_path, NullRunLog.Instance))
                {
                    Assert.Equal(3, reader.Find("A-1")!.Sequence);
                    reader.RecordFailed(change, Method, "planner@example.com", uncertain: true); // a read-only state records nothing
                }

                Assert.Equal(before, File.ReadAllBytes(_path));
            }
        }

        [Fact]
        public void Find_returns_a_copy()
        {
            using SyncState state = SyncState.Open(_path, NullRunLog.Instance);
            CalendarChange change = ChangeOf("A-1", 0);
            state.RecordPending(change, Method, "planner@example.com");
            state.Find("A-1")!.Sequence = 99;
            Assert.Equal(0, state.Find("A-1")!.Sequence);
        }

        [Fact]
        public void The_sequence_never_goes_down()
        {
            using SyncState state = SyncState.Open(_path, NullRunLog.Instance);
            state.RecordPending(ChangeOf("A-1", 5), Method, "planner@example.com");
            state.RecordDone(ChangeOf("A-1", 2), Method, "planner@example.com", null);
            Assert.Equal(5, state.Find("A-1")!.Sequence);
        }

        [Fact]
        public void Lines_are_UTF_8_JSON_with_Swedish_text_readable()
        {
            using (SyncState state = SyncState.Open(_path, NullRunLog.Instance))
            {
                state.RecordPending(ChangeOf("A-1", 0, "Årlig översyn"), Method, "planner@example.com");
            }

            string line = Assert.Single(Lines());
            Assert.Contains("\"subject\":\"Årlig översyn\"", line);
            Assert.Contains("\"pending\":true", line);
            Assert.Contains("\"v\":1", line);
        }
    }
}
