using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using G5Mail.Core.Calendar;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Tests.Calendar;
using G5Mail.Core.Transports.Outlook;
using Xunit;
using static G5Mail.Core.Tests.Calendar.CalendarFixtures;

namespace G5Mail.Core.Tests.Transports.Outlook
{
    /// <summary>
    /// Sync-G5Activity with Method Outlook, as the cmdlet drives it (SyncRun with a state file), against
    /// <see cref="RecordingOutlook"/>: the object-model calls made, what the default calendar then holds, the results and
    /// what the state keeps. The COM calls themselves (OutlookComApplication, CalendarFolder, AppointmentItem) are not run
    /// on this machine; they are verified only on Windows with classic Outlook.
    /// </summary>
    public sealed class OutlookCalendarTransportTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();
        private readonly RecordingOutlook _outlook = new RecordingOutlook();
        private readonly ListRunLog _log = new ListRunLog();
        private readonly string _statePath;
        private int _transports;

        public OutlookCalendarTransportTests()
        {
            _statePath = Path.Combine(_folder.Path, "activities.jsonl");
        }

        public void Dispose() => _folder.Dispose();

        private static ActivityRequest Service(string id = "A-1001", string location = "Bryggeriet, Hall 2", string? status = null) => new ActivityRequest
        {
            ActivityId = id,
            Subject = "Service av kompressor",
            Start = "2027-06-10 09:00",
            End = "2027-06-10 10:00",
            Location = location,
            Description = "Byt filter.",
            Attendees = new[] { "Tekniker <tekniker@example.com>" },
            Categories = new[] { "Service", "Kund" },
            ShowAs = "Tentative",
            ReminderMinutes = "30",
            Status = status,
        };

        private List<ActivityResult> Sync(bool invite, params ActivityRequest[] requests) => Sync(invite, withState: true, requests);

        private List<ActivityResult> Sync(bool invite, bool withState, params ActivityRequest[] requests)
        {
            SyncState? state = withState ? SyncState.Open(_statePath, _log) : null;
            try
            {
                var settings = new SettingValues { Method = MailMethod.Outlook, From = Planner };
                var options = new SyncRunOptions(settings) { State = state, InviteAttendees = invite, Retry = RetryPolicy.None, ThrottleLimit = 4 };
                using var run = new SyncRun(options, () => _outlook.CreateCalendarTransport(invite, _log), _log, Zone);
                int index = 0;
                foreach (ActivityRequest request in requests)
                {
                    request.InputIndex = index++;
                    Assert.Null(run.Collect(request));
                }

                var host = new CalendarHost();
                run.Deliver(run.Plan(), host, CancellationToken.None);
                _transports = run.TransportCount;
                return host.Results;
            }
            finally
            {
                state?.Dispose();
            }
        }

        private void AllReleased()
        {
            Assert.Equal(0, _outlook.OpenHandles);
            Assert.Equal(_outlook.Connects, _outlook.ApplicationReleases);
        }

        [Fact]
        public void Create_makes_one_appointment_with_the_fields_and_the_activity_id_and_no_recipients_without_InviteAttendees()
        {
            ActivityResult result = Assert.Single(Sync(false, Service()));

            Assert.Equal(ActivityStatus.Created, result.Status);
            Assert.Null(result.Error);
            Assert.Null(result.Reason);
            Assert.Equal("Outlook", result.Method);
            StoredAppointment stored = Assert.Single(_outlook.Appointments);
            Assert.Equal(stored.EntryId, result.RemoteId);
            Assert.Equal(StoredAppointment.Calendar, stored.Folder);

            AppointmentState saved = stored.Saved!;
            Assert.Equal("Service av kompressor", saved.Subject);
            Assert.False(saved.AllDay);
            Assert.Equal(new DateTime(2027, 6, 10, 9, 0, 0), saved.Start); // Outlook's zone here is the activity's (Stockholm)
            Assert.Equal(new DateTime(2027, 6, 10, 10, 0, 0), saved.End);
            Assert.Equal("Bryggeriet, Hall 2", saved.Location);
            Assert.Equal("Byt filter.", saved.Body);
            Assert.Equal("Service; Kund", saved.Categories);
            Assert.Equal(OutlookBusyStatus.Tentative, saved.BusyStatus);
            Assert.True(saved.ReminderSet);
            Assert.Equal(30, saved.ReminderMinutes);
            Assert.Equal("A-1001", saved.UserProperties[OutlookCalendarTransport.ActivityIdProperty]);
            Assert.Contains(OutlookCalendarTransport.ActivityIdProperty, _outlook.CalendarFields);
            Assert.Empty(saved.Recipients);
            Assert.Equal(OutlookMeetingStatus.NonMeeting, saved.MeetingStatus);
            Assert.Empty(stored.Sent);

            Assert.Equal(new[]
            {
                "Connect", "Version", "GetDefaultFolder(9)",
                "UserDefinedProperties.Find(G5MailActivityId)", // nothing tagged yet: no Items.Find (Outlook would refuse the condition)
                "CreateItem(1)",
                "Subject=Service av kompressor", "AllDayEvent=False", "Start=2027-06-10 09:00", "End=2027-06-10 10:00",
                "Location=Bryggeriet, Hall 2", "Body=Byt filter.", "Categories=Service; Kund", "BusyStatus=1", "ReminderSet=True",
                "ReminderMinutesBeforeStart=30", "UserProperties.Add(G5MailActivityId,1,True).Value=A-1001",
                "Save()", "EntryID", "Release(Appointment 1)", "Release(Calendar)", "Release(Application)",
            }, _outlook.Calls);
            AllReleased();

            using SyncState state = SyncState.OpenReadOnly(_statePath, NullRunLog.Instance);
            Assert.Equal(stored.EntryId, state.Find("A-1001")!.RemoteId);
        }

        [Fact]
        public void An_unchanged_rerun_makes_no_COM_call_at_all()
        {
            Sync(false, Service());
            int calls = _outlook.Calls.Count;

            ActivityResult result = Assert.Single(Sync(false, Service()));

            Assert.Equal(ActivityStatus.Unchanged, result.Status);
            Assert.Equal(ActivityReasons.NoChange, result.Reason);
            Assert.Equal(0, _transports);
            Assert.Equal(calls, _outlook.Calls.Count);
            Assert.Equal(1, _outlook.Connects);
        }

        [Fact]
        public void An_update_of_one_field_finds_the_appointment_by_its_EntryID_and_saves_it_in_place()
        {
            string entryId = Sync(false, Service())[0].RemoteId!;
            _outlook.Calls.Clear();

            ActivityResult result = Assert.Single(Sync(false, Service(location: "Hall 3")));

            Assert.Equal(ActivityStatus.Updated, result.Status);
            Assert.Null(result.Reason);
            Assert.Equal(1, result.Sequence);
            Assert.Equal(entryId, result.RemoteId);
            StoredAppointment stored = Assert.Single(_outlook.Appointments);
            Assert.Equal("Hall 3", stored.Saved!.Location);
            Assert.Equal(2, stored.Saves);
            Assert.Contains($"GetItemFromID({entryId})", _outlook.Calls);
            Assert.Contains("UserProperties.Find(G5MailActivityId).Value=A-1001", _outlook.Calls);
            Assert.DoesNotContain("CreateItem(1)", _outlook.Calls);
            Assert.DoesNotContain(_outlook.Calls, c => c.StartsWith("Items.Find", StringComparison.Ordinal));
            Assert.DoesNotContain("Send()", _outlook.Calls);
            AllReleased();
        }

        [Fact]
        public void Cancel_deletes_the_appointment_without_sending()
        {
            Sync(false, Service());
            _outlook.Calls.Clear();

            ActivityResult result = Assert.Single(Sync(false, Service(status: "Cancelled")));

            Assert.Equal(ActivityStatus.Cancelled, result.Status);
            StoredAppointment stored = Assert.Single(_outlook.Appointments);
            Assert.Equal(StoredAppointment.DeletedItems, stored.Folder);
            Assert.Empty(stored.Sent);
            Assert.Contains("Delete()", _outlook.Calls);
            Assert.DoesNotContain("MeetingStatus=5", _outlook.Calls);
            Assert.Empty(_log.Warnings);
            AllReleased();
        }

        [Fact]
        public void With_InviteAttendees_a_meeting_request_goes_out_and_a_cancel_sends_the_cancellation_then_deletes()
        {
            ActivityResult created = Assert.Single(Sync(true, Service()));

            Assert.Equal(ActivityStatus.Created, created.Status);
            StoredAppointment stored = Assert.Single(_outlook.Appointments);
            Assert.Equal(OutlookMeetingStatus.Meeting, stored.Saved!.MeetingStatus);
            Assert.Equal(new[] { "tekniker@example.com" }, stored.Saved.Recipients);
            var sent = Assert.Single(stored.Sent);
            Assert.Equal(OutlookMeetingStatus.Meeting, sent.Status);
            int save = _outlook.Calls.IndexOf("Save()");
            Assert.True(_outlook.Calls.IndexOf("MeetingStatus=1") < _outlook.Calls.IndexOf("Recipients.Add(tekniker@example.com).Type=1"));
            Assert.True(_outlook.Calls.IndexOf("Recipients.ResolveAll()") < save && save < _outlook.Calls.IndexOf("Send()"));

            ActivityResult cancelled = Assert.Single(Sync(true, Service(status: "Cancelled")));

            Assert.Equal(ActivityStatus.Cancelled, cancelled.Status);
            Assert.Equal(2, stored.Sent.Count);
            Assert.Equal(OutlookMeetingStatus.Canceled, stored.Sent[1].Status);
            Assert.Equal(StoredAppointment.DeletedItems, stored.Folder);
            int cancel = _outlook.Calls.LastIndexOf("MeetingStatus=5");
            Assert.True(cancel < _outlook.Calls.LastIndexOf("Send()") && _outlook.Calls.LastIndexOf("Send()") < _outlook.Calls.LastIndexOf("Delete()"));
            AllReleased();
        }

        [Fact]
        public void With_InviteAttendees_an_update_brings_the_attendees_in_line_and_sends_the_update()
        {
            Sync(true, Service());
            ActivityRequest changed = Service();
            changed.Attendees = new[] { "montor@example.com" };

            ActivityResult result = Assert.Single(Sync(true, changed));

            Assert.Equal(ActivityStatus.Updated, result.Status);
            StoredAppointment stored = Assert.Single(_outlook.Appointments);
            Assert.Equal(new[] { "montor@example.com" }, stored.Saved!.Recipients);
            Assert.Contains("Recipients.Remove(tekniker@example.com)", _outlook.Calls);
            Assert.Equal(2, stored.Sent.Count);
            Assert.Equal(1, _outlook.Calls.Count(c => c == "MeetingStatus=1")); // already a meeting: not set again
        }

        [Fact]
        public void A_meeting_cancelled_without_InviteAttendees_is_deleted_with_a_warning_that_the_attendees_were_not_told()
        {
            Sync(true, Service());

            ActivityResult result = Assert.Single(Sync(false, Service(status: "Cancelled")));

            Assert.Equal(ActivityStatus.Cancelled, result.Status);
            StoredAppointment stored = Assert.Single(_outlook.Appointments);
            Assert.Single(stored.Sent);
            Assert.Equal(StoredAppointment.DeletedItems, stored.Folder);
            Assert.Contains(_log.Warnings, w => w.Contains("A-1001") && w.Contains("-InviteAttendees"));
        }

        [Fact]
        public void InviteAttendees_without_attendees_saves_a_plain_appointment_and_sends_nothing()
        {
            ActivityRequest alone = Service();
            alone.Attendees = null;

            Assert.Equal(ActivityStatus.Created, Assert.Single(Sync(true, alone)).Status);

            StoredAppointment stored = Assert.Single(_outlook.Appointments);
            Assert.Equal(OutlookMeetingStatus.NonMeeting, stored.Saved!.MeetingStatus);
            Assert.Empty(stored.Sent);
        }

        [Fact]
        public void After_a_lost_state_file_the_appointment_is_found_by_its_activity_id_and_updated_not_made_twice()
        {
            Sync(false, Service());
            File.Delete(_statePath);
            _outlook.Calls.Clear();

            ActivityResult result = Assert.Single(Sync(false, Service(location: "Hall 3")));

            Assert.Equal(ActivityStatus.Updated, result.Status);
            Assert.Equal(ActivityReasons.FoundExisting, result.Reason);
            StoredAppointment stored = Assert.Single(_outlook.Appointments);
            Assert.Equal(stored.EntryId, result.RemoteId);
            Assert.Equal("Hall 3", stored.Saved!.Location);
            Assert.Contains("Items.Find([G5MailActivityId] = 'A-1001')", _outlook.Calls);
            Assert.DoesNotContain("CreateItem(1)", _outlook.Calls);
            AllReleased();
        }

        [Fact]
        public void Without_a_state_file_each_run_creates_or_updates_the_one_appointment()
        {
            Assert.Equal(ActivityStatus.Updated, Assert.Single(Sync(false, withState: false, Service())).Status);
            ActivityResult second = Assert.Single(Sync(false, withState: false, Service()));

            Assert.Equal(ActivityReasons.FoundExisting, second.Reason);
            Assert.Single(_outlook.Appointments);
        }

        [Fact]
        public void An_appointment_deleted_in_Outlook_is_made_again_on_update_and_counts_as_gone_on_cancel()
        {
            Sync(false, Service());
            _outlook.DeleteInOutlook(_outlook.Appointments[0]);

            ActivityResult updated = Assert.Single(Sync(false, Service(location: "Hall 3")));

            Assert.Equal(ActivityStatus.Updated, updated.Status);
            Assert.Equal(2, _outlook.Appointments.Count);
            StoredAppointment again = Assert.Single(_outlook.InCalendar);
            Assert.Equal(again.EntryId, updated.RemoteId);

            _outlook.DeleteInOutlook(again);
            _outlook.Calls.Clear();
            ActivityResult cancelled = Assert.Single(Sync(false, Service(status: "Cancelled")));

            Assert.Equal(ActivityStatus.Cancelled, cancelled.Status); // already gone: nothing to do, and no error
            Assert.Null(cancelled.Error);
            Assert.DoesNotContain("Delete()", _outlook.Calls);
            AllReleased();
        }

        [Fact]
        public void An_activity_id_with_both_kinds_of_quote_is_still_found_after_a_lost_state()
        {
            const string id = "A-7 'O\"Brien'";
            Sync(false, Service(id));
            File.Delete(_statePath);

            ActivityResult result = Assert.Single(Sync(false, Service(id, location: "Hall 3")));

            Assert.Equal(ActivityReasons.FoundExisting, result.Reason);
            Assert.Single(_outlook.Appointments);
        }

        [Theory]
        [InlineData("A-1001", "[G5MailActivityId] = 'A-1001'")]
        [InlineData("O'Brien", "[G5MailActivityId] = \"O'Brien\"")]
        [InlineData("'a\"b'", "@SQL=\"http://schemas.microsoft.com/mapi/string/{00020329-0000-0000-C000-000000000046}/G5MailActivityId\" = '''a\"b'''")]
        public void The_Find_filter_quotes_the_activity_id_as_Outlook_reads_it(string id, string filter) =>
            Assert.Equal(filter, OutlookCalendarTransport.Filter(OutlookCalendarTransport.ActivityIdProperty, id));

        [Fact]
        public void Times_are_converted_to_Outlooks_zone_and_all_day_activities_keep_their_dates()
        {
            Activity timed = Read(Request());
            OutlookAppointmentFields inNewYork = OutlookCalendarTransport.Fields(timed, TimeZoneInfo.FindSystemTimeZoneById("America/New_York"), ",");
            Assert.Equal(new DateTime(2027, 6, 10, 3, 0, 0), inNewYork.Start); // 09:00 CEST = 07:00 UTC = 03:00 EDT
            Assert.Equal(new DateTime(2027, 6, 10, 4, 0, 0), inNewYork.End);
            Assert.Equal(DateTimeKind.Unspecified, inNewYork.Start.Kind);
            Assert.False(inNewYork.ReminderSet);
            Assert.Equal(OutlookBusyStatus.Busy, inNewYork.BusyStatus);

            ActivityRequest day = Request();
            day.Start = "2027-06-10";
            day.End = null;
            day.AllDay = true;
            Activity allDay = Read(day);
            OutlookAppointmentFields fields = OutlookCalendarTransport.Fields(allDay, TimeZoneInfo.FindSystemTimeZoneById("America/New_York"), ",");
            Assert.True(fields.AllDay);
            Assert.Equal(new DateTime(2027, 6, 10), fields.Start);
            Assert.Equal(allDay.LocalEnd.Date, fields.End);
            Assert.True(fields.End > fields.Start);
        }

        [Fact]
        public void Outlook_busy_is_waited_out_and_the_change_goes_through()
        {
            _outlook.Fail("Save", RecordingOutlook.Com(OutlookErrors.RPC_E_CALL_REJECTED), times: 2);

            ActivityResult result = Assert.Single(Sync(false, Service()));

            Assert.Equal(ActivityStatus.Created, result.Status);
            Assert.Equal(2, _outlook.Calls.Count(c => c == "Save() !COMException"));
            Assert.Single(_outlook.InCalendar);
            Assert.Contains(_log.Verbose, v => v.Contains("Outlook is busy"));
            AllReleased();
        }

        [Fact]
        public void Outlook_busy_too_long_fails_the_activity_as_transient_and_leaves_nothing_half_made()
        {
            _outlook.Fail("Save", RecordingOutlook.Com(OutlookErrors.RPC_E_CALL_REJECTED), times: 3);

            ActivityResult result = Assert.Single(Sync(false, Service()));

            Assert.Equal(ActivityStatus.Failed, result.Status);
            Assert.Equal(ErrorIds.ConnectionFailed, result.ErrorId);
            Assert.Equal(FailureClass.Transient, result.Exception!.Failure);
            Assert.Contains("save the appointment", result.Error);
            Assert.Empty(_outlook.InCalendar);
            Assert.True(_outlook.Appointments[0].Discarded);
            AllReleased();
        }

        [Fact]
        public void An_attendee_Outlook_cannot_resolve_stops_the_change_before_anything_is_saved_or_sent()
        {
            _outlook.Unresolvable.Add("tekniker@example.com");

            ActivityResult result = Assert.Single(Sync(true, Service()));

            Assert.Equal(ActivityStatus.Failed, result.Status);
            Assert.Equal(ErrorIds.InvalidAddress, result.ErrorId);
            Assert.Empty(_outlook.InCalendar);
            Assert.DoesNotContain("Save()", _outlook.Calls);
            Assert.DoesNotContain("Send()", _outlook.Calls);
            AllReleased();
        }

        [Fact]
        public void Not_on_Windows_the_method_is_not_supported_and_the_error_names_IcsDirectory()
        {
            _outlook.IsWindows = false;

            var error = Assert.Throws<G5MailErrorException>(() => _outlook.CreateCalendarTransport());

            Assert.Equal(ErrorIds.MethodNotSupported, error.ErrorId);
            Assert.Contains("-IcsDirectory", error.Message);
            Assert.Equal(0, _outlook.Connects);
        }

        [Fact]
        public void Outside_an_interactive_session_the_method_is_not_supported_and_the_error_names_IcsDirectory()
        {
            _outlook.IsInteractiveSession = false;

            var error = Assert.Throws<G5MailErrorException>(() => _outlook.CreateCalendarTransport());

            Assert.Equal(ErrorIds.MethodNotSupported, error.ErrorId);
            Assert.Contains("KB 237913", error.Message);
            Assert.Contains("-IcsDirectory", error.Message);
            Assert.DoesNotContain("-DraftDirectory", error.Message);
            Assert.Equal(0, _outlook.Connects);
        }

        [Fact]
        public void Without_classic_Outlook_the_method_is_not_supported_and_the_error_names_IcsDirectory()
        {
            _outlook.Fail("Connect", RecordingOutlook.Com(OutlookErrors.REGDB_E_CLASSNOTREG));

            var error = Assert.Throws<G5MailErrorException>(() => _outlook.CreateCalendarTransport());

            Assert.Equal(ErrorIds.MethodNotSupported, error.ErrorId);
            Assert.Contains("-IcsDirectory", error.Message);
        }

        [Fact]
        public void Outlook_syncs_on_one_connection_whatever_the_ThrottleLimit()
        {
            Assert.Equal(1, new SyncRunOptions(new SettingValues { Method = MailMethod.Outlook }) { ThrottleLimit = 4 }.ConnectionLimit);
            Assert.Equal(4, new SyncRunOptions(new SettingValues { Method = MailMethod.Smtp }) { ThrottleLimit = 4 }.ConnectionLimit);

            List<ActivityResult> results = Sync(false, Service("A-1"), Service("A-2"), Service("A-3"));

            Assert.All(results, r => Assert.Equal(ActivityStatus.Created, r.Status));
            Assert.Equal(1, _transports);
            Assert.Equal(1, _outlook.Connects);
            Assert.Equal(3, _outlook.InCalendar.Count());
            AllReleased();
        }
    }
}
