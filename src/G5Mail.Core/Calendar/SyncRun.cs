using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Transports;

namespace G5Mail.Core.Calendar
{
    /// <summary>
    /// One Sync-G5Activity call, in the order an activity travels through it:
    /// <list type="number">
    /// <item><see cref="Collect"/>: each pipeline item becomes an <see cref="Activity"/>, or a Failed result (InvalidActivity, InvalidAddress).</item>
    /// <item><see cref="Plan"/>: each activity is compared with the sync state: Unchanged, or a change (create, update,
    /// cancel) with its UID and next SEQUENCE; -RemoveMissing adds a cancellation per activity the state has and the input lacks.</item>
    /// <item><see cref="Deliver"/>: each change is confirmed (-WhatIf, -Confirm), recorded as pending in the state, sent through a
    /// pooled transport with retries (or written as an .ics file), recorded as done, and its result written in input order. The
    /// first failure of the account or the server stops all further attempts, as for documents.</item>
    /// <item><see cref="Report"/>: the counts of every result written.</item>
    /// </list>
    /// An unchanged rerun makes no network call at all: no transport is created until a change needs one.
    /// </summary>
    public sealed class SyncRun : IDisposable
    {
        private readonly SyncRunOptions _options;
        private readonly IRunLog _log;
        private readonly ActivityReader _reader;
        private readonly List<Activity> _activities = new List<Activity>();
        private readonly HashSet<string> _seen = new HashSet<string>(StringComparer.Ordinal);
        private readonly TransportPool<ICalendarTransport> _transports;
        private readonly RunBreaker _breaker;
        private readonly DeliveryRetry _retry;
        private readonly RunSummary<ActivityStatus> _summary = new RunSummary<ActivityStatus>(
            ActivityStatus.Created, ActivityStatus.Updated, ActivityStatus.Cancelled, ActivityStatus.Unchanged, ActivityStatus.Failed);
        private bool _someWithoutId;
        private int _inputCount;

        public SyncRun(SyncRunOptions options, Func<ICalendarTransport> transportFactory, IRunLog log, string? defaultTimeZone = null)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? throw new ArgumentNullException(nameof(log));
            _reader = new ActivityReader(options.Settings.From, defaultTimeZone);
            _transports = new TransportPool<ICalendarTransport>(transportFactory,
                (transport, number) => log.Verbose($"Opening connection {number} of at most {options.ConnectionLimit} to {transport.Server} (-ThrottleLimit)."));
            _breaker = new RunBreaker(log);
            _retry = new DeliveryRetry(options.Retry, log);
        }

        /// <summary>Connections (transports) this run has opened so far: 0 for a run with nothing to change.</summary>
        public int TransportCount => _transports.Count;

        /// <summary>Step 1, per pipeline item: null when it became an activity, or its Failed result (counted in the summary).</summary>
        public ActivityResult? Collect(ActivityRequest request)
        {
            _inputCount++;
            Activity activity;
            try
            {
                activity = _reader.Read(request);
            }
            catch (G5MailErrorException ex)
            {
                if (string.IsNullOrWhiteSpace(request.ActivityId))
                {
                    _someWithoutId = true;
                }
                else
                {
                    _seen.Add(request.ActivityId!.Trim()); // present, even if invalid: -RemoveMissing leaves it alone
                }

                return Counted(ActivityResults.Rejected(request, _options.MethodName, ex));
            }

            if (!_seen.Add(activity.ActivityId))
            {
                return Counted(ActivityResults.Rejected(request, _options.MethodName, ActivityReader.Invalid(activity.ActivityId,
                    "appears more than once in the input. Each activity must come once per run (the first one was synced; remove the duplicate rows).",
                    activity.ActivityId)));
            }

            _activities.Add(activity);
            return null;
        }

        /// <summary>Step 2, after the last item: what each activity needs, in input order, then the cancellations of -RemoveMissing.</summary>
        public IReadOnlyList<SyncItem> Plan()
        {
            var items = new List<SyncItem>(_activities.Count);
            DateTimeOffset now = DateTimeOffset.UtcNow;
            foreach (Activity activity in _activities)
            {
                items.Add(PlanOne(activity, _options.State?.Find(activity.ActivityId), now, missing: false));
            }

            foreach (Activity missing in Missing())
            {
                items.Add(PlanOne(missing, _options.State!.Find(missing.ActivityId), now, missing: true));
            }

            return items;
        }

        private SyncItem PlanOne(Activity activity, SyncStateEntry? entry, DateTimeOffset now, bool missing)
        {
            string method = _options.MethodName;
            string hash = ActivityIdentity.Hash(activity);
            bool hasState = _options.State != null;
            bool here = entry != null && entry.IsFor(method, activity.OrganizerAddress);
            if (hasState && here && !entry!.Pending && entry.Hash == hash)
            {
                return new SyncItem(Counted(ActivityResults.Unchanged(activity, method, entry, ActivityReasons.NoChange)));
            }

            if (hasState && activity.Cancelled && (entry == null || (entry.Cancelled && !entry.Pending && here) || entry.Hash == null && !entry.Pending))
            {
                // Never in a calendar (or already cancelled there): nothing to cancel.
                return new SyncItem(Counted(ActivityResults.Unchanged(activity, method, entry, ActivityReasons.NotSynced)));
            }

            ChangeKind kind = activity.Cancelled ? ChangeKind.Cancel : here && (entry!.Hash != null || entry.Pending) && !entry.Cancelled ? ChangeKind.Update : ChangeKind.Create;
            if (!hasState && !activity.Cancelled)
            {
                kind = ChangeKind.Update; // a create-or-update: nothing says which
            }

            string uid = entry?.Uid ?? ActivityIdentity.UidFor(activity.ActivityId, activity.OrganizerAddress);
            int sequence = entry != null ? entry.Sequence + 1 : hasState ? 0 : ActivityIdentity.ClockSequence(now);
            var change = new CalendarChange(activity, kind, uid, sequence, hash, entry, hasState) { Stamp = now, IsMissing = missing };
            return new SyncItem(change);
        }

        /// <summary>
        /// -RemoveMissing: the activities the state has (not cancelled) that the input does not, rebuilt from the state's
        /// record of them. None when the input could not say which ids it holds: no valid activity at all (an empty or
        /// broken export must not empty the calendars), or an activity without an id.
        /// </summary>
        private IEnumerable<Activity> Missing()
        {
            SyncState? state = _options.State;
            if (!_options.RemoveMissing || state == null)
            {
                yield break;
            }

            if (_activities.Count == 0 || _someWithoutId)
            {
                int wouldCancel = state.Entries.Count(e => !e.Cancelled && !_seen.Contains(e.ActivityId));
                if (wouldCancel > 0)
                {
                    _log.Warning(_activities.Count == 0
                        ? $"-RemoveMissing cancelled nothing: no valid activity came in ({_inputCount} input items), and cancelling the {wouldCancel} activities "
                          + "the state knows would empty the calendars. If they really are all gone, pass one cancelled row per activity (Status Cancelled)."
                        : $"-RemoveMissing cancelled nothing: an input item had no ActivityId, so G5Mail cannot tell which of the {wouldCancel} activities "
                          + "the state knows are really missing. Fix the input and run again.");
                }

                yield break;
            }

            foreach (SyncStateEntry entry in state.Entries)
            {
                if (_seen.Contains(entry.ActivityId) || (entry.Cancelled && !entry.Pending))
                {
                    continue;
                }

                var request = new ActivityRequest
                {
                    ActivityId = entry.ActivityId,
                    Subject = entry.Subject,
                    Start = entry.Start,
                    End = entry.End,
                    AllDay = entry.AllDay,
                    TimeZone = entry.TimeZone,
                    Location = entry.Location,
                    Organizer = entry.Organizer,
                    Attendees = entry.Attendees.ToArray(),
                    Status = "Cancelled",
                    Source = entry.ActivityId,
                    InputIndex = int.MaxValue,
                };
                Activity? activity = null;
                try
                {
                    activity = _reader.Read(request);
                }
                catch (G5MailErrorException ex)
                {
                    _log.Warning($"-RemoveMissing: activity {entry.ActivityId} in the state cannot be cancelled ({ex.Message}). Edit or remove its lines in {state.Path}.");
                }

                if (activity != null)
                {
                    yield return activity;
                }
            }
        }

        /// <summary>
        /// Step 3: confirms, records, applies and writes each item in order. Throws OperationCanceledException on Ctrl+C,
        /// after every change in progress has ended.
        /// </summary>
        public void Deliver(IReadOnlyList<SyncItem> plan, IRunHost<ActivityResult> host, CancellationToken cancellationToken)
        {
            var progress = new RunProgress(plan.Count, 0);
            using (var window = new RunWindow<SyncItem, ActivityResult>(_options.ConnectionLimit, ApplyAsync, WentThrough))
            {
                window.Run(
                    plan,
                    item => item.Decided ?? Confirm(item.Change!, host),
                    (item, result) =>
                    {
                        progress.Done++;
                        host.Write(item.Decided != null ? result : Counted(result));
                    },
                    () => host.Idle(progress),
                    SendRun.IdleInterval,
                    cancellationToken);
            }
        }

        /// <summary>Step 4: the counts of every result this run wrote.</summary>
        public ActivitySummary Report(string commandName, TimeSpan elapsed) => ActivitySummary.From(_summary, commandName, elapsed, _options.State?.Path);

        /// <summary>
        /// Applies one change: state "pending", the transport with retries, state "done" (or "failed"). Never throws for
        /// a failed change, only for cancellation.
        /// </summary>
        public async Task<ActivityResult> ApplyAsync(SyncItem item, CancellationToken cancellationToken)
        {
            CalendarChange change = item.Change!;
            var watch = Stopwatch.StartNew();
            string method = _options.MethodName;
            string mailbox = change.Activity.OrganizerAddress;
            ActivityResult result = ActivityResults.Of(change, method, ActivityStatus.Failed);
            if (change.IsMissing)
            {
                result.Reason = ActivityReasons.Missing;
            }

            if (_breaker.OpenedBy != null)
            {
                result.Exception = _breaker.NotAttempted("activity " + change.Activity.ActivityId, "A rerun (with -StatePath: the same command) syncs it.");
                result.Reason = _breaker.ReasonNotAttempted;
                result.Duration = watch.Elapsed;
                return result;
            }

            ICalendarTransport? transport = null;
            try
            {
                _options.State?.RecordPending(change, method, mailbox); // on disk before the change goes anywhere
                transport = _transports.Rent();
                CalendarReceipt receipt = await _retry.RunAsync($"Activity {change.Activity.ActivityId}",
                    token => transport.ApplyAsync(change, token), cancellationToken).ConfigureAwait(false);
                result.RemoteId = receipt.RemoteId;
                result.Path = receipt.Path;
                result.Status = transport.WritesFiles ? ActivityStatus.Draft
                    : change.Kind == ChangeKind.Cancel ? ActivityStatus.Cancelled
                    : change.Kind == ChangeKind.Create && !receipt.FoundExisting ? ActivityStatus.Created
                    : ActivityStatus.Updated;
                if (result.Reason != null)
                {
                    // Missing (-RemoveMissing) says it already.
                }
                else if (receipt.FoundExisting && change.Kind != ChangeKind.Cancel)
                {
                    result.Reason = ActivityReasons.FoundExisting;
                }
                else if (!change.HasState && change.Kind != ChangeKind.Cancel)
                {
                    result.Reason = ActivityReasons.NoState;
                }
                else if (change.Previous != null && change.Previous.Pending)
                {
                    result.Reason = ActivityReasons.Resent;
                }

                _options.State?.RecordDone(change, method, mailbox, receipt.RemoteId);
                if (receipt.Path != null)
                {
                    _log.Verbose($"Activity {change.Activity.ActivityId}: written to {receipt.Path}.");
                }
            }
            catch (G5MailErrorException ex)
            {
                bool uncertain = ex.Failure == FailureClass.Uncertain;
                result.Status = ActivityStatus.Failed;
                result.Exception = ex;
                if (uncertain)
                {
                    result.Reason = ActivityReasons.Uncertain;
                }

                if (ex.ErrorId != ErrorIds.StateWriteFailed)
                {
                    _options.State?.RecordFailed(change, method, mailbox, uncertain);
                    _breaker.Observe(ex, transport?.Server);
                }
            }
            finally
            {
                if (transport != null)
                {
                    _transports.Return(transport);
                }
            }

            result.Duration = watch.Elapsed;
            return result;
        }

        /// <summary>-WhatIf and -Confirm: null to apply the change, otherwise its result instead.</summary>
        private ActivityResult? Confirm(CalendarChange change, IRunHost<ActivityResult> host)
        {
            Activity a = change.Activity;
            string verb = ActivityReasons.For(change.Kind).ToLowerInvariant();
            string action = _options.WritesFiles ? $"Write .ics file ({verb}) to {_options.IcsDirectory}"
                : _options.Settings.Method == MailMethod.Smtp
                    ? change.Kind == ChangeKind.Cancel ? "Send calendar cancellation" : change.Kind == ChangeKind.Create ? "Send calendar invitation" : "Send calendar update"
                    : $"{ActivityReasons.For(change.Kind)} the event in the calendar ({_options.MethodName}" + (_options.InviteAttendees ? ", inviting the attendees)" : ")");
            string target = $"{a.ActivityId} '{a.Subject}' {InvitationMessage.When(a)} to {string.Join(", ", new[] { a.Organizer }.Concat(a.Attendees))}";
            if (host.ShouldProcess(target, action))
            {
                return null;
            }

            ActivityResult result = ActivityResults.Of(change, _options.MethodName, _options.WhatIf ? ActivityStatus.WhatIf : ActivityStatus.Unchanged);
            result.Reason = _options.WhatIf ? ActivityReasons.For(change.Kind) : SendReasons.Declined;
            return result;
        }

        /// <summary>A result that shows connecting and signing in work.</summary>
        private static bool WentThrough(ActivityResult result) =>
            result.Status == ActivityStatus.Created || result.Status == ActivityStatus.Updated || result.Status == ActivityStatus.Cancelled
            || result.Reason == ActivityReasons.Uncertain;

        private ActivityResult Counted(ActivityResult result)
        {
            _summary.Add(result.Status);
            return result;
        }

        public void Dispose() => _transports.Dispose();
    }

    /// <summary>One entry of a sync plan: a change to apply, or a result already decided (Unchanged).</summary>
    public sealed class SyncItem
    {
        internal SyncItem(CalendarChange change)
        {
            Change = change;
        }

        internal SyncItem(ActivityResult decided)
        {
            Decided = decided;
        }

        public CalendarChange? Change { get; }

        /// <summary>The result, when nothing has to be done (counted when planned).</summary>
        public ActivityResult? Decided { get; }
    }
}
