using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Calendar;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>
    /// Sync-G5Activity with Method Outlook: the activity as an AppointmentItem in the profile's default calendar through
    /// the late-bound COM layer, the activity id as a UserProperty; Save, and Send when -InviteAttendees.
    /// </summary>
    /// <remarks>
    /// The appointment is found again by its EntryID (the RemoteId the state keeps) and, when that is unknown or gone, by
    /// the UserProperty <see cref="ActivityIdProperty"/>: a lost state file, or a create whose outcome is not known, updates
    /// the appointment already there instead of making a second one. Like <see cref="OutlookTransport"/>: one Outlook
    /// connection per pipeline, released at Dispose (Outlook itself is never closed); every item and folder released after
    /// the change; all calls on the caller's thread; a call Outlook turns away because it is busy is repeated after a pause.
    /// Start and End are set in Outlook's own time zone (the computer's: AppointmentItem.Start "is always represented in
    /// the local time zone"), converted from the activity's instants, so the appointment is at the right moment whatever
    /// zone the activity was given in; StartTimeZone is left as Outlook sets it (the computer's zone).
    /// </remarks>
    public sealed class OutlookCalendarTransport : ICalendarTransport
    {
        /// <summary>The UserProperty (olText) that carries the Monitor G5 activity id on the appointment.</summary>
        internal const string ActivityIdProperty = "G5MailActivityId";

        /// <summary>PS_PUBLIC_STRINGS: the property set of Outlook's user-defined properties, for a DASL filter.</summary>
        private const string PublicStrings = "http://schemas.microsoft.com/mapi/string/{00020329-0000-0000-C000-000000000046}/";

        private const string MethodName = "Outlook";

        private readonly IRunLog _log;
        private readonly bool _inviteAttendees;
        private readonly IReadOnlyList<TimeSpan> _busyDelays;
        private readonly TimeZoneInfo _outlookZone;
        private readonly string _listSeparator;
        private IOutlookApplication? _outlook;

        private OutlookCalendarTransport(IOutlookApplication outlook, string version, IRunLog log, bool inviteAttendees, IReadOnlyList<TimeSpan> busyDelays,
            TimeZoneInfo outlookZone, string listSeparator)
        {
            _outlook = outlook;
            _log = log;
            _inviteAttendees = inviteAttendees;
            _busyDelays = busyDelays;
            _outlookZone = outlookZone;
            _listSeparator = listSeparator;
            Server = string.IsNullOrEmpty(version) ? "Outlook" : "Outlook " + version;
        }

        /// <summary>"Outlook 16.0.0.17928": the program the appointments go to.</summary>
        public string Server { get; }

        public bool WritesFiles => false;

        /// <summary>Throws MethodNotSupported (naming -IcsDirectory) where Outlook cannot be driven; called once per run, before any activity.</summary>
        public static void CheckPlatform() => CheckPlatform(OutlookHost.Current);

        internal static void CheckPlatform(IOutlookHost host)
        {
            if (!host.IsWindows)
            {
                throw new G5MailErrorException(Errors.ErrorIds.MethodNotSupported, Errors.ErrorKind.NotImplemented,
                    "The Outlook method drives classic Outlook through its COM interface, which exists only on Windows. On this computer write the "
                    + "activities as .ics files with -IcsDirectory <folder> (Outlook imports them), or use -Method Smtp, ExchangeOnline or Exchange.", "Method");
            }
        }

        /// <summary>Connects to Outlook on this computer, or throws MethodNotSupported saying why it cannot be used here.</summary>
        public static OutlookCalendarTransport Create(IRunLog log, bool inviteAttendees) =>
            // Outlook's Start and End are in the Windows time zone; Categories are split at the user's list separator
            // (sList in HKCU\Control Panel\International), which CurrentCulture reflects on Windows.
            Create(OutlookHost.Current, log, inviteAttendees, OutlookTransport.DefaultBusyDelays, TimeZoneInfo.Local, CultureInfo.CurrentCulture.TextInfo.ListSeparator);

        /// <summary>The seam for tests: any host, retry delays, the zone Outlook shows times in, and the list separator.</summary>
        internal static OutlookCalendarTransport Create(IOutlookHost host, IRunLog log, bool inviteAttendees, IReadOnlyList<TimeSpan> busyDelays,
            TimeZoneInfo outlookZone, string listSeparator)
        {
            CheckPlatform(host);
            if (!host.IsInteractiveSession)
            {
                throw OutlookErrors.NotInteractive(OutlookErrors.CalendarAlternatives);
            }

            bool wasRunning = host.IsOutlookRunning();
            IOutlookApplication? outlook = null;
            try
            {
                outlook = OutlookTransport.Retry(OutlookStep.Start, () => Connect(host), busyDelays, log, CancellationToken.None);
                IOutlookApplication connected = outlook;
                string version = OutlookTransport.Retry(OutlookStep.Start, () => connected.Version, busyDelays, log, CancellationToken.None);
                log.Verbose($"Connected to Outlook {version}{(wasRunning ? string.Empty : " (started without a window)")}; activities go to the default "
                            + (inviteAttendees ? "calendar, and their attendees get meeting requests (-InviteAttendees)." : "calendar alone (no invitations without -InviteAttendees)."));
                if (!wasRunning && inviteAttendees)
                {
                    log.Warning("Outlook was not running, so it was started without a window. Meeting requests go to its Outbox and Outlook sends "
                                + "them on its own schedule; if Outlook stops first they wait there until it next runs.");
                }

                var transport = new OutlookCalendarTransport(connected, version, log, inviteAttendees, busyDelays, outlookZone, listSeparator);
                outlook = null;
                return transport;
            }
            finally
            {
                outlook?.Dispose();
            }
        }

        private static IOutlookApplication Connect(IOutlookHost host)
        {
            try
            {
                return host.Connect();
            }
            catch (Exception ex) when (OutlookErrors.IsComFailure(ex) && OutlookErrors.IsNotRegistered(ex))
            {
                throw OutlookErrors.NotInstalled(ex, OutlookErrors.CalendarAlternatives);
            }
        }

        public Task<CalendarReceipt> ApplyAsync(CalendarChange change, CancellationToken cancellationToken)
        {
            if (change == null)
            {
                throw new ArgumentNullException(nameof(change));
            }

            // Synchronous on purpose: the COM objects belong to this thread's apartment.
            return Task.FromResult(Apply(change, cancellationToken));
        }

        private CalendarReceipt Apply(CalendarChange change, CancellationToken cancellationToken)
        {
            IOutlookApplication outlook = _outlook ?? throw new ObjectDisposedException(nameof(OutlookCalendarTransport));
            cancellationToken.ThrowIfCancellationRequested();
            using (IOutlookCalendar calendar = Call(OutlookStep.Calendar, outlook.OpenDefaultCalendar, cancellationToken))
            {
                (IOutlookAppointment? found, bool byProperty) = Find(calendar, change, cancellationToken);
                return change.Kind == ChangeKind.Cancel
                    ? Cancel(found, change, cancellationToken)
                    : Write(outlook, found, byProperty, change, cancellationToken);
            }
        }

        /// <summary>The activity's appointment: by the EntryID the state keeps, else by the activity id on it; null when neither finds one.</summary>
        private (IOutlookAppointment? Appointment, bool ByProperty) Find(IOutlookCalendar calendar, CalendarChange change, CancellationToken cancellationToken)
        {
            string? entryId = EntryIdOf(change.Previous);
            if (entryId != null)
            {
                IOutlookAppointment? byId = Call(OutlookStep.Lookup, () => calendar.GetAppointment(entryId), cancellationToken);
                if (byId != null)
                {
                    return (byId, false);
                }

                _log.Verbose($"Activity {change.Activity.ActivityId}: its appointment (EntryID {Short(entryId)}) is no longer in the default calendar; looking for it by its activity id.");
            }

            string filter = Filter(ActivityIdProperty, change.Activity.ActivityId);
            IOutlookAppointment? byProperty = Call(OutlookStep.Lookup, () => calendar.FindAppointment(ActivityIdProperty, filter), cancellationToken);
            return (byProperty, byProperty != null);
        }

        /// <summary>Create or update: the fields, the activity id, the attendees when inviting; Save, and Send when inviting.</summary>
        private CalendarReceipt Write(IOutlookApplication outlook, IOutlookAppointment? found, bool foundByProperty, CalendarChange change, CancellationToken cancellationToken)
        {
            Activity activity = change.Activity;
            if (found == null && change.Kind == ChangeKind.Update && change.Previous != null && change.Previous.Hash != null)
            {
                _log.Verbose($"Activity {activity.ActivityId}: no appointment in the default calendar has it (deleted in Outlook?); making it again.");
            }

            IOutlookAppointment item = found ?? Call(OutlookStep.CreateItem, outlook.CreateAppointment, cancellationToken);
            OutlookStep step = OutlookStep.Appointment;
            bool saved = false;
            try
            {
                OutlookAppointmentFields fields = Fields(activity, _outlookZone, _listSeparator);
                Call(step, () => item.SetFields(fields), cancellationToken);
                Call(step, () => item.SetUserProperty(ActivityIdProperty, activity.ActivityId), cancellationToken);

                bool invite = _inviteAttendees && activity.Attendees.Count > 0;
                if (invite)
                {
                    step = OutlookStep.Attendees;
                    if (Call(step, () => item.MeetingStatus, cancellationToken) != OutlookMeetingStatus.Meeting)
                    {
                        Call(step, () => item.MeetingStatus = OutlookMeetingStatus.Meeting, cancellationToken);
                    }

                    SetAttendees(item, activity.Attendees, activity.OrganizerAddress, cancellationToken);
                }
                else if (found != null && !_inviteAttendees && Call(step, () => item.MeetingStatus, cancellationToken) == OutlookMeetingStatus.Meeting)
                {
                    _log.Verbose($"Activity {activity.ActivityId}: its appointment is a meeting; the attendees are not sent this change without -InviteAttendees.");
                }

                step = OutlookStep.SaveAppointment;
                Call(step, item.Save, cancellationToken);
                saved = true;
                string entryId = Call(step, () => item.EntryId, cancellationToken);

                if (invite)
                {
                    step = OutlookStep.SendInvitation;
                    Call(step, item.Send, cancellationToken);
                }

                if (foundByProperty)
                {
                    _log.Verbose($"Activity {activity.ActivityId}: found in the default calendar by its activity id and updated (no second appointment).");
                }

                return new CalendarReceipt(entryId) { FoundExisting = foundByProperty };
            }
            catch (Exception) when (!saved)
            {
                // Nothing half-made stays behind: a new item is thrown away, an existing one keeps what it had.
                DiscardQuietly(item);
                throw;
            }
            finally
            {
                item.Dispose();
            }
        }

        /// <summary>
        /// The appointment's attendees become the activity's: the missing ones added as required attendees, the extra ones
        /// removed, then all resolved. An address Outlook cannot resolve stops the change before anything is saved.
        /// </summary>
        private void SetAttendees(IOutlookAppointment item, IReadOnlyList<string> attendees, string organizer, CancellationToken cancellationToken)
        {
            string[] wanted = attendees.Select(a => Documents.MailAddresses.ParseNormalized(a).Address).ToArray();
            IReadOnlyList<string> present = Call(OutlookStep.Attendees, item.Attendees, cancellationToken);
            // The organizer is never removed, should Outlook list it among the recipients.
            foreach (string extra in present.Where(p => !wanted.Contains(p, StringComparer.OrdinalIgnoreCase)
                                                        && !string.Equals(p, organizer, StringComparison.OrdinalIgnoreCase)).ToArray())
            {
                Call(OutlookStep.Attendees, () => item.RemoveAttendee(extra), cancellationToken);
            }

            foreach (string address in wanted.Where(w => !present.Contains(w, StringComparer.OrdinalIgnoreCase)))
            {
                // The bare address: Outlook resolves an SMTP address as a one-off recipient without an address-book lookup.
                Call(OutlookStep.Attendees, () => item.AddAttendee(address), cancellationToken);
            }

            if (!Call(OutlookStep.Attendees, item.ResolveAll, cancellationToken))
            {
                string list = string.Join(", ", wanted);
                throw new G5MailErrorException(ErrorIds.InvalidAddress, ErrorKind.InvalidArgument,
                    $"Outlook does not recognise one or more of the attendees ({list}), so the appointment was not saved and no meeting request was sent. "
                    + "Check the addresses.", list);
            }
        }

        /// <summary>
        /// Cancel: a meeting whose attendees were invited gets MeetingStatus canceled and Send (the attendees' cancellation),
        /// then the organizer's copy is deleted, as Outlook does when the organizer cancels a meeting; any other appointment
        /// is deleted. One that is not there any more is already gone: success.
        /// </summary>
        private CalendarReceipt Cancel(IOutlookAppointment? item, CalendarChange change, CancellationToken cancellationToken)
        {
            string? previousId = EntryIdOf(change.Previous);
            if (item == null)
            {
                _log.Verbose($"Activity {change.Activity.ActivityId}: no appointment in the default calendar has it; nothing to cancel.");
                return new CalendarReceipt(previousId);
            }

            try
            {
                string entryId = Call(OutlookStep.Lookup, () => item.EntryId, cancellationToken);
                bool meeting = Call(OutlookStep.Lookup, () => item.MeetingStatus, cancellationToken) == OutlookMeetingStatus.Meeting;
                if (meeting && _inviteAttendees)
                {
                    Call(OutlookStep.SendInvitation, () => item.MeetingStatus = OutlookMeetingStatus.Canceled, cancellationToken);
                    Call(OutlookStep.SendInvitation, item.Send, cancellationToken);
                }
                else if (meeting)
                {
                    _log.Warning($"Activity {change.Activity.ActivityId}: its meeting was deleted from the calendar without telling the attendees "
                                 + "(no -InviteAttendees); their copies stay in their calendars. Add -InviteAttendees to send cancellations.");
                }

                Call(OutlookStep.DeleteAppointment, item.Delete, cancellationToken);
                return new CalendarReceipt(entryId.Length > 0 ? entryId : previousId);
            }
            finally
            {
                item.Dispose();
            }
        }

        /// <summary>The EntryID the state keeps for the activity, when it was synced with Outlook.</summary>
        private static string? EntryIdOf(SyncStateEntry? previous) =>
            previous != null && string.Equals(previous.Method, MethodName, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(previous.RemoteId)
                ? previous.RemoteId
                : null;

        /// <summary>
        /// What the appointment shows of the activity. A timed activity's instants in <paramref name="outlookZone"/> (the
        /// zone Outlook's Start and End are in); an all-day activity's dates at midnight, End the day after the last, as
        /// Outlook keeps an all-day event. Categories joined by the list separator Outlook splits them at.
        /// </summary>
        internal static OutlookAppointmentFields Fields(Activity activity, TimeZoneInfo outlookZone, string listSeparator)
        {
            DateTime start = activity.AllDay ? activity.LocalStart.Date : TimeZoneInfo.ConvertTime(activity.Start, outlookZone).DateTime;
            DateTime end = activity.AllDay ? activity.LocalEnd.Date : TimeZoneInfo.ConvertTime(activity.End, outlookZone).DateTime;
            return new OutlookAppointmentFields
            {
                Subject = activity.Subject,
                AllDay = activity.AllDay,
                Start = DateTime.SpecifyKind(start, DateTimeKind.Unspecified),
                End = DateTime.SpecifyKind(end, DateTimeKind.Unspecified),
                Location = activity.Location ?? string.Empty,
                Body = activity.Description ?? string.Empty,
                Categories = string.Join(listSeparator + " ", activity.Categories),
                BusyStatus = activity.ShowAs switch
                {
                    ActivityShowAs.Free => OutlookBusyStatus.Free,
                    ActivityShowAs.Tentative => OutlookBusyStatus.Tentative,
                    ActivityShowAs.OutOfOffice => OutlookBusyStatus.OutOfOffice,
                    _ => OutlookBusyStatus.Busy,
                },
                // No ReminderMinutes: no reminder, as the .ics and the invitations have no alarm then.
                ReminderSet = activity.ReminderMinutes.HasValue,
                ReminderMinutes = activity.ReminderMinutes ?? 0,
            };
        }

        /// <summary>
        /// The Items.Find filter "[G5MailActivityId] = 'A-1001'" (Jet syntax: a user property is named in brackets). A value
        /// with an apostrophe goes in double quotes, as Microsoft's Items.Restrict documentation shows; one with both kinds of
        /// quote falls back to DASL on the property's MAPI name, where an apostrophe is doubled.
        /// </summary>
        internal static string Filter(string property, string value)
        {
            if (value.IndexOf('\'') < 0)
            {
                return $"[{property}] = '{value}'";
            }

            if (value.IndexOf('"') < 0)
            {
                return $"[{property}] = \"{value}\"";
            }

            return $"@SQL=\"{PublicStrings}{property}\" = '{value.Replace("'", "''")}'";
        }

        private static string Short(string entryId) => entryId.Length <= 16 ? entryId : "…" + entryId.Substring(entryId.Length - 16);

        private T Call<T>(OutlookStep step, Func<T> call, CancellationToken cancellationToken) => OutlookTransport.Retry(step, call, _busyDelays, _log, cancellationToken);

        private void Call(OutlookStep step, Action call, CancellationToken cancellationToken) =>
            OutlookTransport.Retry(step, () => { call(); return true; }, _busyDelays, _log, cancellationToken);

        private void DiscardQuietly(IOutlookAppointment item)
        {
            try
            {
                item.Discard();
            }
            catch (Exception ex) when (OutlookErrors.IsComFailure(ex))
            {
                _log.Verbose($"The unsaved Outlook appointment could not be discarded ({OutlookErrors.Hex(ex.HResult)}); Outlook drops it when it closes.");
            }
        }

        public void Dispose()
        {
            _outlook?.Dispose();
            _outlook = null;
        }
    }
}
