using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using G5Mail.Core.Calendar;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;

namespace G5Mail.Commands
{
    /// <summary>
    /// <para type="synopsis">Makes calendars match Monitor G5 activities: Exchange Online, Exchange and Outlook events, iCalendar invitations by SMTP, or .ics files.</para>
    /// </summary>
    [Cmdlet(VerbsData.Sync, "G5Activity", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(ActivityResult))]
    public sealed class SyncG5ActivityCommand : G5MailCmdlet
    {
        private readonly PipelineLog _log = new PipelineLog();
        private readonly Stopwatch _elapsed = new Stopwatch();
        private readonly ProgressRecord _progress = new ProgressRecord(1, "Sync-G5Activity", "Syncing activities");
        private SyncRun? _run;
        private SyncState? _state;
        private int _inputIndex;

        /// <summary>Monitor G5's stable id of the activity (required for every activity): a rerun updates the event with this id.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Id", "ActivityNumber", "Aktivitetsnummer")]
        [AllowNull, AllowEmptyString]
        public string? ActivityId { get; set; }

        /// <summary>The title in the calendar.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Title", "Summary", "Rubrik")]
        [AllowNull, AllowEmptyString]
        public string? Subject { get; set; }

        /// <summary>A [datetime], [DateTimeOffset] or text: 2027-03-28 14:30 (as a Swedish Excel export writes it) or ISO 8601.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("StartTime", "StartDate", "Starttid")]
        [AllowNull]
        public object? Start { get; set; }

        /// <summary>The end, in the same forms as Start; for an all-day activity the last day. Or give DurationMinutes.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("EndTime", "EndDate", "Sluttid")]
        [AllowNull]
        public object? End { get; set; }

        /// <summary>The length in minutes, instead of End.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Duration", "Minutes")]
        [AllowNull]
        public object? DurationMinutes { get; set; }

        /// <summary>True for an all-day activity (True/False, 1/0, Ja/Nej): written as whole days, without times.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("IsAllDay", "AllDayEvent", "Heldag")]
        [AllowNull]
        public object? AllDay { get; set; }

        /// <summary>The zone of Start and End: IANA (Europe/Stockholm) or Windows (W. Europe Standard Time). Default: this computer's.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("TimeZoneId", "Tz")]
        [AllowNull, AllowEmptyString]
        public string? TimeZone { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Place", "Plats")]
        [AllowNull, AllowEmptyString]
        public string? Location { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Notes", "Text", "Beskrivning")]
        [AllowNull, AllowEmptyString]
        public string? Description { get; set; }

        /// <summary>The calendar's owner, who sends the invitation; default the settings' From.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Owner", "OrganizerEmail", "Handläggare")]
        [AllowNull, AllowEmptyString]
        public string? Organizer { get; set; }

        /// <summary>Who else is invited; several may be separated by ';' or ',' (as in a CSV column).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Participants", "Attendee", "Deltagare")]
        [AllowNull, AllowEmptyCollection, AllowEmptyString]
        public string[]? Attendees { get; set; }

        /// <summary>Minutes before the start for a reminder (VALARM); empty for none.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Reminder", "Påminnelse")]
        [AllowNull]
        public object? ReminderMinutes { get; set; }

        /// <summary>Calendar categories; several may be separated by ';' or ','.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Category", "Kategori")]
        [AllowNull, AllowEmptyCollection, AllowEmptyString]
        public string[]? Categories { get; set; }

        /// <summary>Busy (default), Free, Tentative or OutOfOffice.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("BusyStatus", "FreeBusyStatus")]
        [AllowNull, AllowEmptyString]
        public string? ShowAs { get; set; }

        /// <summary>Active (default) or Cancelled: a cancelled activity is removed from the calendars (iTIP CANCEL).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("ActivityStatus")]
        [AllowNull, AllowEmptyString]
        public string? Status { get; set; }

        /// <summary>
        /// The sync state (JSON lines): what was last synced per activity. A rerun then changes only what changed
        /// (Status Unchanged, no network call), and a crash never makes a second event.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StatePath { get; set; }

        /// <summary>With -StatePath: cancel the activities the state has and this input does not.</summary>
        [Parameter]
        public SwitchParameter RemoveMissing { get; set; }

        /// <summary>
        /// Exchange Online, Exchange and Outlook: also send invitations to the attendees (otherwise the event is in the
        /// organizer's calendar alone). SMTP always sends invitations.
        /// </summary>
        [Parameter]
        public SwitchParameter InviteAttendees { get; set; }

        /// <summary>Write one .ics file per activity into this folder instead of changing calendars (any method, any platform).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? IcsDirectory { get; set; }

        /// <summary>Overrides Method for this call.</summary>
        [Parameter]
        public MailMethod Method { get; set; }

        /// <summary>Overrides From for this call: the sender of the invitations, and the organizer of activities that name none.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? From { get; set; }

        /// <summary>Overrides the stored Credential for this call.</summary>
        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>How often a change is sent again after a transient failure.</summary>
        [Parameter]
        [ValidateRange(0, RetryPolicy.MaxRetryCount)]
        public int RetryCount { get; set; } = RetryPolicy.DefaultRetryCount;

        /// <summary>The backoff before the first retry, in seconds; it doubles per retry (at most 60 s).</summary>
        [Parameter]
        [ValidateRange(0.0, 3600.0)]
        public double RetryDelaySeconds { get; set; } = RetryPolicy.DefaultBaseDelay.TotalSeconds;

        /// <summary>How many changes are sent at once, each on a connection of its own (default 1). Results still come in input order.</summary>
        [Parameter]
        [ValidateRange(1, SendRunOptions.MaxThrottleLimit)]
        public int ThrottleLimit { get; set; } = 1;

        /// <summary>Seconds, 1 to 600, that each network step may take; overrides the TimeoutSeconds setting for this call.</summary>
        [Parameter]
        [ValidateRange(1, 600)]
        public int TimeoutSeconds { get; set; }

        protected override void OnBegin()
        {
            _elapsed.Start();
            bool files = IcsDirectory != null;
            SettingsView view = LoadEffectiveSettingsView(problemsAsVerbose: files);
            new SettingOverrides
            {
                Method = MyInvocation.BoundParameters.ContainsKey(nameof(Method)) ? Method : (MailMethod?)null,
                From = From,
                Credential = Credential?.GetNetworkCredential(),
                TimeoutSeconds = MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSeconds)) ? TimeoutSeconds : (int?)null,
            }.ApplyTo(view.Settings);
            if (!files && view.Settings.Method == MailMethod.Outlook)
            {
                // Before the settings findings: "no Outlook here, use -IcsDirectory" is the point, not the mail advice.
                Core.Transports.Outlook.OutlookCalendarTransport.CheckPlatform();
            }

            if (!files)
            {
                EnsureComplete(view);
            }

            if (RemoveMissing.IsPresent && StatePath == null)
            {
                ThrowTerminating(new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                    "-RemoveMissing needs -StatePath: only the state knows which activities were synced before and are now missing.", "RemoveMissing"));
            }

            var options = new SyncRunOptions(view.Settings)
            {
                WhatIf = IsWhatIf,
                RemoveMissing = RemoveMissing.IsPresent,
                InviteAttendees = InviteAttendees.IsPresent,
                IcsDirectory = files ? ResolveFileSystemPath(IcsDirectory!, nameof(IcsDirectory), ErrorIds.InvalidSetting, "folder") : null,
                Retry = new RetryPolicy(RetryCount, TimeSpan.FromSeconds(RetryDelaySeconds)),
                ThrottleLimit = ThrottleLimit,
            };
            if (options.ConnectionLimit < options.ThrottleLimit)
            {
                WriteWarning($"-ThrottleLimit {ThrottleLimit} is ignored: " + (files
                    ? ".ics files are written one at a time."
                    : "Outlook takes one change at a time (it is one program that serves one caller at a time)."));
            }

            if (StatePath != null)
            {
                string path = ResolveFileSystemPath(StatePath, nameof(StatePath), ErrorIds.StateAccessFailed, "file");
                try
                {
                    _state = options.WhatIf ? SyncState.OpenReadOnly(path, _log) : SyncState.Open(path, _log);
                }
                finally
                {
                    _log.Flush(this);
                }

                options.State = _state;
            }

            _run = new SyncRun(options, TransportFactory.CreateCalendarFactory(view.Settings, _log, options.IcsDirectory, options.InviteAttendees), _log);
        }

        protected override void OnProcess()
        {
            // Called once without pipeline input: with no activity property given at all there is nothing to sync.
            if (!MyInvocation.ExpectingInput && MyInvocation.BoundParameters.Keys.Count > 0 && !HasActivityParameter())
            {
                return;
            }

            var request = new ActivityRequest
            {
                ActivityId = ActivityId,
                Subject = Subject,
                Start = Unwrapped(Start),
                End = Unwrapped(End),
                DurationMinutes = Unwrapped(DurationMinutes),
                AllDay = Unwrapped(AllDay),
                TimeZone = TimeZone,
                Location = Location,
                Description = Description,
                Organizer = Organizer,
                Attendees = Attendees,
                ReminderMinutes = Unwrapped(ReminderMinutes),
                Categories = Categories,
                ShowAs = ShowAs,
                Status = Status,
                InputIndex = _inputIndex++,
                Source = ActivityId,
            };

            ActivityResult? rejected = _run!.Collect(request);
            if (rejected != null)
            {
                Write(rejected);
            }
        }

        protected override void OnEnd()
        {
            SyncRun run = _run!;
            IReadOnlyList<SyncItem> plan = run.Plan();
            DeliverToEnd(token => run.Deliver(plan, new PipelineHost<ActivityResult>(ShouldProcess, Write, Idle), token), _log, _progress);

            _elapsed.Stop();
            if (!CancellationToken.IsCancellationRequested)
            {
                WriteSummary(run.Report(MyInvocation.MyCommand.Name, _elapsed.Elapsed));
            }
        }

        private void Idle(RunProgress progress)
        {
            _log.Flush(this);
            ShowProgress(_progress, progress, () => $"Activity {Math.Min(progress.Done + 1, progress.Count)} of {progress.Count}",
                () => progress.Done * 100 / progress.Count);
        }

        private void Write(ActivityResult result) => WriteResult(result, result.Exception, _log);

        /// <summary>
        /// The value itself: a [datetime] from Get-Date, a variable or a calculated property arrives wrapped in a PSObject,
        /// which the engine (free of PowerShell types) would not recognise.
        /// </summary>
        private static object? Unwrapped(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

        private bool HasActivityParameter()
        {
            foreach (string name in new[] { nameof(ActivityId), nameof(Subject), nameof(Start), nameof(End), nameof(DurationMinutes), nameof(AllDay),
                         nameof(TimeZone), nameof(Location), nameof(Description), nameof(Organizer), nameof(Attendees), nameof(ReminderMinutes),
                         nameof(Categories), nameof(ShowAs), nameof(Status) })
            {
                if (MyInvocation.BoundParameters.ContainsKey(name))
                {
                    return true;
                }
            }

            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _run?.Dispose();
                _run = null;
                _state?.Dispose();
                _state = null;
            }

            base.Dispose(disposing);
        }
    }
}
