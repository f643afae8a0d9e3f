using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Calendar;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using Xunit;
using static G5Mail.Core.Tests.Calendar.CalendarFixtures;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>
    /// Sync-G5Activity's run as the cmdlet drives it (Collect, Plan, Deliver, Report) against a recording calendar
    /// transport: what reaches a calendar, with which UID and SEQUENCE, what the state keeps, what each result says.
    /// </summary>
    public sealed class SyncRunTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();
        private readonly string _statePath;
        private readonly CalendarRecorder _calendar = new CalendarRecorder();

        public SyncRunTests()
        {
            _statePath = Path.Combine(_folder.Path, "activities.jsonl");
        }

        public void Dispose() => _folder.Dispose();

        private static SettingValues Settings() => new SettingValues { Method = MailMethod.Smtp, Server = "mail.example.com", From = Planner };

        private sealed class Outcome
        {
            public List<ActivityResult> Rejected { get; } = new List<ActivityResult>();
            public List<ActivityResult> Results { get; set; } = new List<ActivityResult>();
            public int Transports { get; set; }
            public ActivitySummary Summary { get; set; } = new ActivitySummary();
            public CalendarHost Host { get; set; } = new CalendarHost();

            public ActivityResult this[string id] => Results.Single(r => r.ActivityId == id);
        }

        /// <summary>One run: with the state at _statePath (read-only for WhatIf) unless <paramref name="withState"/> is false.</summary>
        private Outcome Sync(IEnumerable<ActivityRequest> requests, bool withState = true, bool removeMissing = false, bool whatIf = false,
            bool confirm = true, RetryPolicy? retry = null, IRunLog? log = null)
        {
            log ??= NullRunLog.Instance;
            SyncState? state = !withState ? null : whatIf ? SyncState.OpenReadOnly(_statePath, log) : SyncState.Open(_statePath, log);
            try
            {
                var options = new SyncRunOptions(Settings()) { State = state, RemoveMissing = removeMissing, WhatIf = whatIf, Retry = retry ?? RetryPolicy.None };
                using var run = new SyncRun(options, _calendar.NewTransport, log, Zone);
                var outcome = new Outcome { Host = new CalendarHost { Confirm = confirm } };
                int index = 0;
                foreach (ActivityRequest request in requests)
                {
                    request.InputIndex = index++;
                    ActivityResult? rejected = run.Collect(request);
                    if (rejected != null)
                    {
                        outcome.Rejected.Add(rejected);
                    }
                }

                run.Deliver(run.Plan(), outcome.Host, CancellationToken.None);
                outcome.Results = outcome.Host.Results;
                outcome.Transports = run.TransportCount;
                outcome.Summary = run.Report("Sync-G5Activity", TimeSpan.FromSeconds(1));
                return outcome;
            }
            finally
            {
                state?.Dispose();
            }
        }

        private static ActivityRequest Activity(string id, string subject = "Service", string? status = null) => new ActivityRequest
        {
            ActivityId = id,
            Subject = subject,
            Start = "2027-06-10 09:00",
            End = "2027-06-10 10:00",
            Attendees = new[] { "tekniker@example.com" },
            Status = status,
        };

        private SyncStateEntry StateOf(string id)
        {
            using SyncState state = SyncState.OpenReadOnly(_statePath, NullRunLog.Instance);
            SyncStateEntry? entry = state.Find(id);
            Assert.NotNull(entry);
            return entry!;
        }

        [Fact]
        public void A_first_run_creates_each_activity_with_SEQUENCE_0()
        {
            Outcome run = Sync(new[] { Activity("A-1"), Activity("A-2") });

            Assert.Equal(new[] { "A-1", "A-2" }, run.Results.Select(r => r.ActivityId));
            Assert.All(run.Results, r =>
            {
                Assert.Equal(ActivityStatus.Created, r.Status);
                Assert.Null(r.Reason);
                Assert.Equal(0, r.Sequence);
                Assert.Equal("Smtp", r.Method);
                Assert.Equal(Planner, r.Mailbox);
                Assert.Equal(ActivityIdentity.UidFor(r.ActivityId, Planner), r.Uid);
                Assert.StartsWith("<", r.RemoteId);
            });
            Assert.Equal(2, _calendar.Applied.Count);
            Assert.All(_calendar.Applied, c => Assert.Equal("REQUEST", c.Method));
            Assert.Equal(1, run.Transports);
            Assert.Equal(2, run.Summary.Created);
            Assert.Equal(2, run.Summary.Total);

            SyncStateEntry entry = StateOf("A-1");
            Assert.False(entry.Pending);
            Assert.Equal(0, entry.Sequence);
            Assert.NotNull(entry.Hash);
            Assert.Equal(run["A-1"].RemoteId, entry.RemoteId);
        }

        [Fact]
        public void A_rerun_of_the_same_input_is_Unchanged_without_any_transport()
        {
            Sync(new[] { Activity("A-1"), Activity("A-2") });
            int calls = _calendar.Calls;
            int created = _calendar.Created;

            Outcome rerun = Sync(new[] { Activity("A-1"), Activity("A-2") });

            Assert.All(rerun.Results, r =>
            {
                Assert.Equal(ActivityStatus.Unchanged, r.Status);
                Assert.Equal(ActivityReasons.NoChange, r.Reason);
                Assert.Equal(0, r.Sequence);
                Assert.NotNull(r.Uid);
            });
            Assert.Equal(0, rerun.Transports);
            Assert.Equal(created, _calendar.Created);
            Assert.Equal(calls, _calendar.Calls);
            Assert.Equal(2, rerun.Summary.Unchanged);
        }

        [Fact]
        public void A_rerun_with_the_time_written_another_way_is_Unchanged()
        {
            Sync(new[] { Activity("A-1") });
            ActivityRequest same = Activity("A-1");
            same.Start = "2027-06-10T07:00:00Z";
            same.End = null;
            same.DurationMinutes = "60";

            Outcome rerun = Sync(new[] { same });
            Assert.Equal(ActivityStatus.Unchanged, Assert.Single(rerun.Results).Status);
            Assert.Equal(0, rerun.Transports);
        }

        [Fact]
        public void A_changed_field_is_an_Update_with_the_same_UID_and_SEQUENCE_1()
        {
            Outcome first = Sync(new[] { Activity("A-1"), Activity("A-2") });
            ActivityRequest moved = Activity("A-2");
            moved.Location = "Hall 3";

            Outcome second = Sync(new[] { Activity("A-1"), moved });

            Assert.Equal(ActivityStatus.Unchanged, second["A-1"].Status);
            ActivityResult updated = second["A-2"];
            Assert.Equal(ActivityStatus.Updated, updated.Status);
            Assert.Null(updated.Reason);
            Assert.Equal(1, updated.Sequence);
            Assert.Equal(first["A-2"].Uid, updated.Uid);
            CalendarChange sent = _calendar.Applied.Last();
            Assert.Equal(ChangeKind.Update, sent.Kind);
            Assert.Equal("Hall 3", sent.Activity.Location);
            Assert.Equal(1, sent.Sequence);
            Assert.Equal(3, _calendar.Calls);
            Assert.Equal(1, StateOf("A-2").Sequence);
        }

        [Fact]
        public void A_cancelled_activity_is_Cancelled_once_and_Unchanged_after()
        {
            Outcome first = Sync(new[] { Activity("A-1") });
            Outcome cancel = Sync(new[] { Activity("A-1", status: "Cancelled") });

            ActivityResult cancelled = Assert.Single(cancel.Results);
            Assert.Equal(ActivityStatus.Cancelled, cancelled.Status);
            Assert.Equal(1, cancelled.Sequence);
            Assert.Equal(first.Results[0].Uid, cancelled.Uid);
            Assert.Equal("CANCEL", _calendar.Applied.Last().Method);
            Assert.True(StateOf("A-1").Cancelled);

            Outcome again = Sync(new[] { Activity("A-1", status: "Cancelled") });
            ActivityResult unchanged = Assert.Single(again.Results);
            Assert.Equal(ActivityStatus.Unchanged, unchanged.Status);
            Assert.Contains(unchanged.Reason, new[] { ActivityReasons.NoChange, ActivityReasons.NotSynced });
            Assert.Equal(0, again.Transports);
            Assert.Equal(2, _calendar.Calls);

            ActivityRequest edited = Activity("A-1", "Ny rubrik", status: "Cancelled");
            Assert.Equal(ActivityStatus.Unchanged, Assert.Single(Sync(new[] { edited }).Results).Status);
            Assert.Equal(2, _calendar.Calls);
        }

        [Fact]
        public void A_cancelled_activity_never_synced_is_Unchanged_NotSynced()
        {
            Outcome run = Sync(new[] { Activity("A-1", status: "Cancelled") });
            ActivityResult result = Assert.Single(run.Results);
            Assert.Equal(ActivityStatus.Unchanged, result.Status);
            Assert.Equal(ActivityReasons.NotSynced, result.Reason);
            Assert.Equal(0, run.Transports);
        }

        [Fact]
        public void A_cancelled_activity_made_active_again_is_created_anew_with_the_same_UID()
        {
            Outcome first = Sync(new[] { Activity("A-1") });
            Sync(new[] { Activity("A-1", status: "Cancelled") });
            Outcome again = Sync(new[] { Activity("A-1") });

            ActivityResult result = Assert.Single(again.Results);
            Assert.Equal(ActivityStatus.Created, result.Status);
            Assert.Equal(2, result.Sequence);
            Assert.Equal(first.Results[0].Uid, result.Uid);
        }

        [Fact]
        public void RemoveMissing_cancels_what_the_state_has_and_the_input_lacks()
        {
            Outcome first = Sync(new[] { Activity("A-1"), Activity("A-2", "Borttagen"), Activity("A-3") });

            Outcome second = Sync(new[] { Activity("A-1") }, removeMissing: true);

            Assert.Equal(new[] { "A-1", "A-2", "A-3" }, second.Results.Select(r => r.ActivityId));
            Assert.Equal(ActivityStatus.Unchanged, second["A-1"].Status);
            foreach (string id in new[] { "A-2", "A-3" })
            {
                ActivityResult result = second[id];
                Assert.Equal(ActivityStatus.Cancelled, result.Status);
                Assert.Equal(ActivityReasons.Missing, result.Reason);
                Assert.Equal(first[id].Uid, result.Uid);
                Assert.Equal(1, result.Sequence);
            }

            CalendarChange cancel = _calendar.Applied.Single(c => c.Activity.ActivityId == "A-2" && c.Kind == ChangeKind.Cancel);
            Assert.True(cancel.IsMissing);
            Assert.Equal("Borttagen", cancel.Activity.Subject);
            Assert.Equal(first["A-2"].Start, cancel.Activity.Start);
            Assert.Equal(new[] { "tekniker@example.com" }, cancel.Activity.Attendees);
            Assert.True(StateOf("A-2").Cancelled);

            Outcome third = Sync(new[] { Activity("A-1") }, removeMissing: true);
            Assert.Equal("A-1", Assert.Single(third.Results).ActivityId);
            Assert.Equal(0, third.Transports);
        }

        [Fact]
        public void RemoveMissing_cancels_an_all_day_activity_with_its_days()
        {
            ActivityRequest allDay = Activity("A-2");
            allDay.AllDay = true;
            allDay.Start = "2027-06-01";
            allDay.End = "2027-06-02";
            Sync(new[] { Activity("A-1"), allDay });

            Sync(new[] { Activity("A-1") }, removeMissing: true);
            CalendarChange cancel = _calendar.Applied.Last();
            Assert.Equal("A-2", cancel.Activity.ActivityId);
            Assert.True(cancel.Activity.AllDay);
            Assert.Equal(new DateTime(2027, 6, 1), cancel.Activity.LocalStart);
            Assert.Equal(new DateTime(2027, 6, 3), cancel.Activity.LocalEnd);
        }

        [Fact]
        public void RemoveMissing_cancels_nothing_when_no_activity_in_the_input_is_valid_and_warns()
        {
            Sync(new[] { Activity("A-1"), Activity("A-2") });
            ActivityRequest broken = Activity("A-3");
            broken.Start = "not a date";
            var log = new CalendarLog();

            Outcome run = Sync(new[] { broken }, removeMissing: true, log: log);

            Assert.Empty(run.Results);
            ActivityResult rejected = Assert.Single(run.Rejected);
            Assert.Equal(ErrorIds.InvalidActivity, rejected.ErrorId);
            Assert.Equal(0, run.Transports);
            Assert.Equal(2, _calendar.Calls);
            Assert.Contains(log.Warnings, w => w.Contains("-RemoveMissing cancelled nothing") && w.Contains("no valid activity"));
            Assert.False(StateOf("A-1").Cancelled);
        }

        [Fact]
        public void RemoveMissing_cancels_nothing_when_an_input_item_has_no_id()
        {
            Sync(new[] { Activity("A-1"), Activity("A-2") });
            var log = new CalendarLog();

            Outcome run = Sync(new[] { Activity("A-1"), Activity(" ") }, removeMissing: true, log: log);

            Assert.Equal("A-1", Assert.Single(run.Results).ActivityId);
            Assert.Single(run.Rejected);
            Assert.Contains(log.Warnings, w => w.Contains("had no ActivityId"));
            Assert.False(StateOf("A-2").Cancelled);
        }

        [Fact]
        public void RemoveMissing_leaves_alone_an_activity_present_but_invalid()
        {
            Sync(new[] { Activity("A-1"), Activity("A-2") });
            ActivityRequest broken = Activity("A-2");
            broken.End = "2027-06-10 08:00";

            Outcome run = Sync(new[] { Activity("A-1"), broken }, removeMissing: true);
            Assert.Equal("A-1", Assert.Single(run.Results).ActivityId);
            Assert.Equal(ErrorIds.InvalidActivity, Assert.Single(run.Rejected).ErrorId);
            Assert.False(StateOf("A-2").Cancelled);
        }

        [Fact]
        public void An_uncertain_failure_is_resent_as_an_update_of_the_same_event()
        {
            _calendar.FailNext(CalendarRecorder.Uncertain());
            Outcome crashed = Sync(new[] { Activity("A-1") });

            ActivityResult failed = Assert.Single(crashed.Results);
            Assert.Equal(ActivityStatus.Failed, failed.Status);
            Assert.Equal(ActivityReasons.Uncertain, failed.Reason);
            Assert.Equal(ErrorIds.DeliveryUncertain, failed.ErrorId);
            Assert.True(StateOf("A-1").Pending);

            Outcome next = Sync(new[] { Activity("A-1") });
            ActivityResult resent = Assert.Single(next.Results);
            Assert.Equal(ActivityStatus.Updated, resent.Status);
            Assert.Equal(ActivityReasons.Resent, resent.Reason);
            Assert.Equal(1, resent.Sequence);
            Assert.Equal(failed.Uid, resent.Uid);
            Assert.False(StateOf("A-1").Pending);

            Outcome settled = Sync(new[] { Activity("A-1") });
            Assert.Equal(ActivityStatus.Unchanged, Assert.Single(settled.Results).Status);
        }

        [Fact]
        public void A_run_killed_between_pending_and_done_resends_with_a_higher_SEQUENCE()
        {
            Sync(new[] { Activity("A-1") });
            ActivityRequest changed = Activity("A-1", "Ändrad");
            using (SyncState state = SyncState.Open(_statePath, NullRunLog.Instance))
            {
                // What a killed run leaves: the pending record of SEQUENCE 1, no outcome.
                SyncStateEntry before = state.Find("A-1")!;
                state.RecordPending(Change(Read(changed), ChangeKind.Update, before.Sequence + 1, true, before), "Smtp", Planner);
            }

            Outcome next = Sync(new[] { changed });
            ActivityResult result = Assert.Single(next.Results);
            Assert.Equal(ActivityStatus.Updated, result.Status);
            Assert.Equal(ActivityReasons.Resent, result.Reason);
            Assert.Equal(2, result.Sequence);
            Assert.Equal(ActivityIdentity.UidFor("A-1", Planner), result.Uid);
        }

        [Fact]
        public void A_certain_failure_of_an_update_leaves_the_calendar_s_version_and_the_next_run_tries_again_higher()
        {
            Sync(new[] { Activity("A-1") });
            _calendar.FailNext(CalendarRecorder.Permanent());
            Outcome failed = Sync(new[] { Activity("A-1", "Ändrad") });
            Assert.Equal(ActivityStatus.Failed, Assert.Single(failed.Results).Status);
            Assert.Null(failed.Results[0].Reason);
            Assert.False(StateOf("A-1").Pending);

            Outcome next = Sync(new[] { Activity("A-1", "Ändrad") });
            ActivityResult result = Assert.Single(next.Results);
            Assert.Equal(ActivityStatus.Updated, result.Status);
            Assert.Equal(2, result.Sequence);
        }

        [Fact]
        public void A_transient_failure_is_retried_per_the_policy()
        {
            _calendar.FailNext(CalendarRecorder.Transient());
            Outcome run = Sync(new[] { Activity("A-1") }, retry: new RetryPolicy(1, TimeSpan.Zero));

            Assert.Equal(ActivityStatus.Created, Assert.Single(run.Results).Status);
            Assert.Equal(2, _calendar.Calls);
            Assert.Single(_calendar.Applied);
        }

        [Fact]
        public void Without_state_each_run_sends_an_update_with_a_clock_SEQUENCE_that_grows()
        {
            Outcome first = Sync(new[] { Activity("A-1") }, withState: false);
            Outcome second = Sync(new[] { Activity("A-1") }, withState: false);

            ActivityResult one = Assert.Single(first.Results);
            ActivityResult two = Assert.Single(second.Results);
            Assert.Equal(ActivityStatus.Updated, one.Status);
            Assert.Equal(ActivityReasons.NoState, one.Reason);
            Assert.Equal(ActivityReasons.NoState, two.Reason);
            Assert.True(one.Sequence > (int)(DateTimeOffset.UtcNow - ActivityIdentity.ClockEpoch).TotalSeconds - 600, $"SEQUENCE {one.Sequence}");
            Assert.True(two.Sequence > one.Sequence, $"{two.Sequence} after {one.Sequence}");
            Assert.Equal(one.Uid, two.Uid);
            Assert.Equal(2, _calendar.Calls);
            Assert.False(File.Exists(_statePath));
            Assert.All(_calendar.Applied, c => Assert.False(c.HasState));
        }

        [Fact]
        public void WhatIf_reports_what_would_happen_without_a_transport_or_a_state_write()
        {
            Sync(new[] { Activity("A-1"), Activity("A-2") });
            byte[] before = File.ReadAllBytes(_statePath);
            int calls = _calendar.Calls;

            Outcome run = Sync(new[] { Activity("A-1", "Ändrad"), Activity("A-2", status: "Cancelled"), Activity("A-3"), Activity("A-1x") },
                whatIf: true, confirm: false);

            Assert.Equal(new[] { "A-1", "A-2", "A-3", "A-1x" }, run.Results.Select(r => r.ActivityId));
            Assert.All(run.Results, r => Assert.Equal(ActivityStatus.WhatIf, r.Status));
            Assert.Equal(new[] { ActivityReasons.Update, ActivityReasons.Cancel, ActivityReasons.Create, ActivityReasons.Create }, run.Results.Select(r => r.Reason));
            Assert.Equal(new int?[] { 1, 1, 0, 0 }, run.Results.Select(r => r.Sequence));
            Assert.Equal(4, run.Host.Targets.Count);
            Assert.StartsWith("A-1 'Ändrad' 2027-06-10 09:00 - 10:00 (Europe/Stockholm) to ", run.Host.Targets[0]);
            Assert.Equal(0, run.Transports);
            Assert.Equal(calls, _calendar.Calls);
            Assert.Equal(before, File.ReadAllBytes(_statePath));
            Assert.Equal(4, run.Summary.WhatIf);
        }

        [Fact]
        public void WhatIf_without_a_state_file_creates_none()
        {
            Outcome run = Sync(new[] { Activity("A-1") }, whatIf: true, confirm: false);
            Assert.Equal(ActivityStatus.WhatIf, Assert.Single(run.Results).Status);
            Assert.Equal(ActivityReasons.Create, run.Results[0].Reason);
            Assert.False(File.Exists(_statePath));
            Assert.False(File.Exists(_statePath + ".lock"));
        }

        [Fact]
        public void A_change_declined_at_Confirm_is_Unchanged_Declined_and_not_recorded()
        {
            Outcome run = Sync(new[] { Activity("A-1") }, confirm: false);
            ActivityResult result = Assert.Single(run.Results);
            Assert.Equal(ActivityStatus.Unchanged, result.Status);
            Assert.Equal(SendReasons.Declined, result.Reason);
            Assert.Equal(0, _calendar.Calls);

            using SyncState state = SyncState.OpenReadOnly(_statePath, NullRunLog.Instance);
            Assert.Null(state.Find("A-1"));
        }

        [Fact]
        public void A_duplicate_ActivityId_fails_the_second_and_syncs_the_first()
        {
            Outcome run = Sync(new[] { Activity("A-1", "Första"), Activity("A-1", "Andra") });

            ActivityResult duplicate = Assert.Single(run.Rejected);
            Assert.Equal(ActivityStatus.Failed, duplicate.Status);
            Assert.Equal(ErrorIds.InvalidActivity, duplicate.ErrorId);
            Assert.Equal("Andra", duplicate.Subject);
            Assert.Contains("more than once", duplicate.Error);
            ActivityResult synced = Assert.Single(run.Results);
            Assert.Equal("Första", _calendar.Applied.Single().Activity.Subject);
            Assert.Equal(ActivityStatus.Created, synced.Status);
            Assert.Equal(1, run.Summary.Failed);
            Assert.Equal(1, run.Summary.Created);
        }

        [Fact]
        public void An_account_failure_stops_the_run_and_the_rest_is_NotAttempted()
        {
            _calendar.FailNext(CalendarRecorder.AuthenticationFailed());
            Outcome run = Sync(new[] { Activity("A-1"), Activity("A-2"), Activity("A-3") });

            Assert.Equal(new[] { "A-1", "A-2", "A-3" }, run.Results.Select(r => r.ActivityId));
            Assert.All(run.Results, r => Assert.Equal(ActivityStatus.Failed, r.Status));
            Assert.All(run.Results, r => Assert.Equal(ErrorIds.AuthenticationFailed, r.ErrorId));
            Assert.Null(run["A-1"].Reason);
            Assert.Equal(SendReasons.NotAttempted, run["A-2"].Reason);
            Assert.Equal(SendReasons.NotAttempted, run["A-3"].Reason);
            Assert.Equal(1, _calendar.Calls);
            Assert.Equal(3, run.Summary.Failed);

            using SyncState state = SyncState.OpenReadOnly(_statePath, NullRunLog.Instance);
            Assert.Null(state.Find("A-2")); // not attempted: nothing recorded
            Assert.False(state.Find("A-1")!.Pending);
        }

        [Fact]
        public void A_message_failure_does_not_stop_the_rest()
        {
            _calendar.FailNext(CalendarRecorder.Permanent());
            Outcome run = Sync(new[] { Activity("A-1"), Activity("A-2") });
            Assert.Equal(ActivityStatus.Failed, run["A-1"].Status);
            Assert.Equal(ActivityStatus.Created, run["A-2"].Status);
            Assert.Equal(2, _calendar.Calls);
        }

        [Fact]
        public void Results_come_out_in_input_order_mixing_unchanged_and_changes()
        {
            Sync(new[] { Activity("A-1"), Activity("A-2"), Activity("A-3") });
            ActivityRequest[] input =
            {
                Activity("A-5"), Activity("A-1"), Activity("A-3", "Ändrad"), Activity("A-4"), Activity("A-2", status: "Cancelled"),
            };

            Outcome run = Sync(input);

            Assert.Equal(new[] { "A-5", "A-1", "A-3", "A-4", "A-2" }, run.Results.Select(r => r.ActivityId));
            Assert.Equal(new[] { ActivityStatus.Created, ActivityStatus.Unchanged, ActivityStatus.Updated, ActivityStatus.Created, ActivityStatus.Cancelled },
                run.Results.Select(r => r.Status));
            Assert.Equal(new[] { "A-5", "A-3", "A-4", "A-2" }, _calendar.Applied.Skip(3).Select(c => c.Activity.ActivityId));
            Assert.Equal(2, run.Summary.Created);
            Assert.Equal(1, run.Summary.Updated);
            Assert.Equal(1, run.Summary.Cancelled);
            Assert.Equal(1, run.Summary.Unchanged);
        }

        [Fact]
        public void A_changed_organizer_is_a_new_calendar_created_with_the_same_UID_and_a_higher_SEQUENCE()
        {
            Outcome first = Sync(new[] { Activity("A-1") });
            ActivityRequest moved = Activity("A-1");
            moved.Organizer = "chef@example.com";

            Outcome second = Sync(new[] { moved });
            ActivityResult result = Assert.Single(second.Results);
            Assert.Equal(ActivityStatus.Created, result.Status);
            Assert.Equal("chef@example.com", result.Mailbox);
            Assert.Equal(first.Results[0].Uid, result.Uid);
            Assert.Equal(1, result.Sequence);
        }

        [Fact]
        public void Ics_files_are_Drafts_with_their_path()
        {
            string folder = Path.Combine(_folder.Path, "ics");
            using SyncState state = SyncState.Open(_statePath, NullRunLog.Instance);
            var options = new SyncRunOptions(Settings()) { State = state, IcsDirectory = folder, Retry = RetryPolicy.None };
            using var run = new SyncRun(options, () => new G5Mail.Core.Transports.Drafts.IcsFileWriter(folder, Planner), NullRunLog.Instance, Zone);
            Assert.Null(run.Collect(Activity("A-1")));
            var host = new CalendarHost();
            run.Deliver(run.Plan(), host, CancellationToken.None);

            ActivityResult result = Assert.Single(host.Results);
            Assert.Equal(ActivityStatus.Draft, result.Status);
            Assert.Equal(SyncRunOptions.IcsMethod, result.Method);
            Assert.Equal(Path.Combine(Path.GetFullPath(folder), "A-1.ics"), result.Path);
            Assert.True(File.Exists(result.Path));
            Assert.Equal(SyncRunOptions.IcsMethod, state.Find("A-1")!.Method);
        }
    }

    /// <summary>The calendars a run reaches: every change applied, how many transports were made, failures to throw on request.</summary>
    internal sealed class CalendarRecorder
    {
        private readonly Queue<G5MailErrorException> _failures = new Queue<G5MailErrorException>();
        private readonly object _gate = new object();

        public List<CalendarChange> Applied { get; } = new List<CalendarChange>();
        public int Calls { get; private set; }
        public int Created { get; private set; }

        public void FailNext(G5MailErrorException failure) => _failures.Enqueue(failure);

        public ICalendarTransport NewTransport()
        {
            lock (_gate)
            {
                Created++;
            }

            return new Transport(this);
        }

        public static G5MailErrorException Uncertain() => new G5MailErrorException(ErrorIds.DeliveryUncertain, ErrorKind.ConnectionError,
            "The connection broke after the invitation was sent.") { Failure = FailureClass.Uncertain, Scope = FailureScope.Message };

        public static G5MailErrorException Transient() => new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.ResourceUnavailable,
            "451 4.3.0 try later") { Failure = FailureClass.Transient };

        public static G5MailErrorException Permanent() => new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidOperation,
            "550 5.7.1 relaying denied") { Failure = FailureClass.Permanent };

        public static G5MailErrorException AuthenticationFailed() => new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError,
            "535 5.7.8 authentication credentials invalid. Check the password.") { Failure = FailureClass.Permanent, Scope = FailureScope.Account };

        private sealed class Transport : ICalendarTransport
        {
            private readonly CalendarRecorder _recorder;

            public Transport(CalendarRecorder recorder)
            {
                _recorder = recorder;
            }

            public string Server => "mail.example.com:25";

            public bool WritesFiles => false;

            public Task<CalendarReceipt> ApplyAsync(CalendarChange change, CancellationToken cancellationToken)
            {
                lock (_recorder._gate)
                {
                    _recorder.Calls++;
                    if (_recorder._failures.Count > 0)
                    {
                        throw _recorder._failures.Dequeue();
                    }

                    // What a real transport does with the change: the iTIP object must be writable.
                    Assert.Contains("METHOD:" + change.Method, ActivityCalendar.Write(change, Planner));
                    _recorder.Applied.Add(change);
                    return Task.FromResult(new CalendarReceipt("<" + Guid.NewGuid().ToString("N") + "@example.com>"));
                }
            }

            public void Dispose()
            {
            }
        }
    }

    /// <summary>A sync run's host: records results and ShouldProcess targets, on the thread that made it.</summary>
    internal sealed class CalendarHost : IRunHost<ActivityResult>
    {
        private readonly int _thread = Environment.CurrentManagedThreadId;

        public bool Confirm { get; set; } = true;
        public List<ActivityResult> Results { get; } = new List<ActivityResult>();
        public List<string> Targets { get; } = new List<string>();

        public bool ShouldProcess(string target, string action)
        {
            Assert.Equal(_thread, Environment.CurrentManagedThreadId);
            Targets.Add(target);
            return Confirm;
        }

        public void Write(ActivityResult result)
        {
            Assert.Equal(_thread, Environment.CurrentManagedThreadId);
            Results.Add(result);
        }

        public void Idle(RunProgress progress)
        {
            Assert.Equal(_thread, Environment.CurrentManagedThreadId);
        }
    }
}
