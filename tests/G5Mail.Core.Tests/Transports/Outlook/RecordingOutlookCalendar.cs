using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using G5Mail.Core.Runs;
using G5Mail.Core.Transports.Outlook;

namespace G5Mail.Core.Tests.Transports.Outlook
{
    /// <summary>
    /// The calendar half of the recording Outlook: a default calendar folder holding appointments, and what the object
    /// model enforces for them, as Microsoft's reference documents it: an EntryID only once an item is saved;
    /// GetItemFromID finds an item by it, also one deleted into Deleted Items (the COM layer then answers "not in this
    /// calendar"); Items.Find on a user property works only when the property is one of the folder's fields
    /// (UserProperties.Add with AddToFolderFields), otherwise Outlook throws; Send only for a meeting (MeetingStatus
    /// olMeeting or olMeetingCanceled) with recipients; Close(olDiscard) throws unsaved changes away.
    /// Every appointment or folder handed out is a handle that must be released (Dispose), as each COM reference must.
    /// </summary>
    internal sealed partial class RecordingOutlook
    {
        private const int DispException = unchecked((int)0x80020009); // DISP_E_EXCEPTION: "Condition is not valid."
        private int _entryIds;

        /// <summary>Every appointment ever created (saved or not), in order.</summary>
        public List<StoredAppointment> Appointments { get; } = new List<StoredAppointment>();

        /// <summary>The user properties that are fields of the calendar folder (Folder.UserDefinedProperties).</summary>
        public HashSet<string> CalendarFields { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>Appointment and folder handles handed out and not yet released.</summary>
        public int OpenHandles { get; internal set; }

        /// <summary>The appointments in the default calendar now.</summary>
        public IEnumerable<StoredAppointment> InCalendar => Appointments.Where(a => a.Folder == StoredAppointment.Calendar);

        public IOutlookAppointment CreateAppointment()
        {
            Record("CreateItem(1)");
            var stored = new StoredAppointment(Appointments.Count + 1);
            Appointments.Add(stored);
            return new AppointmentHandle(this, stored);
        }

        public IOutlookCalendar OpenDefaultCalendar()
        {
            Record("GetDefaultFolder(9)");
            OpenHandles++;
            return new CalendarHandle(this);
        }

        /// <summary>The user deletes the appointment in Outlook: it moves to Deleted Items and keeps its EntryID.</summary>
        public void DeleteInOutlook(StoredAppointment appointment) => appointment.Folder = StoredAppointment.DeletedItems;

        internal string NextEntryId() => "00000000A1B2C3D4E5F60718293A4B5C6D7E8F90" + (++_entryIds).ToString("X8", CultureInfo.InvariantCulture);

        public OutlookCalendarTransport CreateCalendarTransport(bool inviteAttendees = false, IRunLog? log = null, TimeZoneInfo? outlookZone = null, string listSeparator = ";") =>
            OutlookCalendarTransport.Create(this, log ?? NullRunLog.Instance, inviteAttendees, new[] { TimeSpan.Zero, TimeSpan.Zero },
                outlookZone ?? TimeZoneInfo.FindSystemTimeZoneById("Europe/Stockholm"), listSeparator);

        private sealed class CalendarHandle : IOutlookCalendar
        {
            private static readonly Regex Jet = new Regex(@"^\[(?<name>[^\]]+)\] = (?:'(?<value>[^']*)'|""(?<value>[^""]*)"")$", RegexOptions.CultureInvariant);
            private static readonly Regex Dasl = new Regex(
                @"^@SQL=""http://schemas\.microsoft\.com/mapi/string/\{00020329-0000-0000-C000-000000000046\}/(?<name>[^""]+)"" = '(?<value>(?:[^']|'')*)'$",
                RegexOptions.CultureInvariant);

            private readonly RecordingOutlook _outlook;
            private bool _released;

            public CalendarHandle(RecordingOutlook outlook)
            {
                _outlook = outlook;
            }

            public IOutlookAppointment? GetAppointment(string entryId)
            {
                _outlook.Record($"GetItemFromID({entryId})");
                StoredAppointment? stored = _outlook.Appointments.FirstOrDefault(a => a.EntryId == entryId);
                return stored == null || stored.Folder != StoredAppointment.Calendar ? null : new AppointmentHandle(_outlook, stored);
            }

            public IOutlookAppointment? FindAppointment(string property, string filter)
            {
                _outlook.Record($"UserDefinedProperties.Find({property})");
                if (!_outlook.CalendarFields.Contains(property))
                {
                    return null;
                }

                _outlook.Record($"Items.Find({filter})");
                Match jet = Jet.Match(filter);
                Match dasl = Dasl.Match(filter);
                if (!jet.Success && !dasl.Success)
                {
                    throw Com(DispException, "Cannot parse condition. Error at \"" + filter + "\".");
                }

                string name = (jet.Success ? jet : dasl).Groups["name"].Value;
                string value = jet.Success ? jet.Groups["value"].Value : dasl.Groups["value"].Value.Replace("''", "'");
                if (jet.Success && !_outlook.CalendarFields.Contains(name))
                {
                    throw Com(DispException, $"The property \"{name}\" in the condition is not valid.");
                }

                StoredAppointment? stored = _outlook.InCalendar.FirstOrDefault(a =>
                    a.Saved != null && a.Saved.UserProperties.TryGetValue(name, out string? v) && v == value);
                return stored == null ? null : new AppointmentHandle(_outlook, stored);
            }

            public void Dispose()
            {
                if (!_released)
                {
                    _released = true;
                    _outlook.OpenHandles--;
                    _outlook.Calls.Add("Release(Calendar)");
                }
            }
        }

        private sealed class AppointmentHandle : IOutlookAppointment
        {
            private readonly RecordingOutlook _outlook;
            private readonly StoredAppointment _stored;
            private bool _released;

            public AppointmentHandle(RecordingOutlook outlook, StoredAppointment stored)
            {
                _outlook = outlook;
                _stored = stored;
                outlook.OpenHandles++;
            }

            private AppointmentState Current => _stored.Current;

            public string EntryId
            {
                get
                {
                    Record("EntryID");
                    return _stored.EntryId ?? string.Empty;
                }
            }

            public OutlookMeetingStatus MeetingStatus
            {
                get
                {
                    Record("MeetingStatus");
                    return Current.MeetingStatus;
                }
                set
                {
                    Record($"MeetingStatus={(int)value}");
                    Current.MeetingStatus = value;
                }
            }

            public void SetUserProperty(string name, string value)
            {
                if (Current.UserProperties.ContainsKey(name))
                {
                    Record($"UserProperties.Find({name}).Value={value}");
                }
                else
                {
                    Record($"UserProperties.Add({name},1,True).Value={value}");
                    _outlook.CalendarFields.Add(name); // AddToFolderFields
                }

                Current.UserProperties[name] = value;
            }

            public void SetFields(OutlookAppointmentFields fields)
            {
                Set("Subject", fields.Subject, () => Current.Subject = fields.Subject);
                Set("AllDayEvent", fields.AllDay, () => Current.AllDay = fields.AllDay);
                Set("Start", fields.Start, () => Current.Start = fields.Start);
                Set("End", fields.End, () => Current.End = fields.End);
                Set("Location", fields.Location, () => Current.Location = fields.Location);
                Set("Body", fields.Body, () => Current.Body = fields.Body);
                Set("Categories", fields.Categories, () => Current.Categories = fields.Categories);
                Set("BusyStatus", (int)fields.BusyStatus, () => Current.BusyStatus = fields.BusyStatus);
                Set("ReminderSet", fields.ReminderSet, () => Current.ReminderSet = fields.ReminderSet);
                if (fields.ReminderSet)
                {
                    Set("ReminderMinutesBeforeStart", fields.ReminderMinutes, () => Current.ReminderMinutes = fields.ReminderMinutes);
                }
            }

            public IReadOnlyList<string> Attendees()
            {
                Record("Recipients");
                return Current.Recipients.ToArray();
            }

            public void AddAttendee(string address)
            {
                Record($"Recipients.Add({address}).Type=1");
                Current.Recipients.Add(address);
            }

            public void RemoveAttendee(string address)
            {
                Record($"Recipients.Remove({address})");
                Current.Recipients.RemoveAll(r => string.Equals(r, address, StringComparison.OrdinalIgnoreCase));
            }

            public bool ResolveAll()
            {
                Record("Recipients.ResolveAll()");
                return Current.Recipients.All(r => !_outlook.Unresolvable.Contains(r));
            }

            public void Save()
            {
                Record("Save()");
                _stored.EntryId ??= _outlook.NextEntryId();
                _stored.Folder ??= StoredAppointment.Calendar;
                _stored.Saved = Current.Copy();
                _stored.Saves++;
            }

            public void Send()
            {
                Record("Send()");
                if ((Current.MeetingStatus != OutlookMeetingStatus.Meeting && Current.MeetingStatus != OutlookMeetingStatus.Canceled) || Current.Recipients.Count == 0)
                {
                    throw Com(OutlookErrors.E_FAIL, "This item is not a meeting request and cannot be sent.");
                }

                _stored.EntryId ??= _outlook.NextEntryId();
                _stored.Folder ??= StoredAppointment.Calendar;
                _stored.Saved = Current.Copy();
                _stored.Sent.Add((Current.MeetingStatus, Current.Recipients.ToArray()));
            }

            public void Delete()
            {
                Record("Delete()");
                _stored.Folder = StoredAppointment.DeletedItems;
            }

            public void Discard()
            {
                Record("Close(1)");
                _stored.Current = _stored.Saved?.Copy() ?? new AppointmentState();
                _stored.Discarded = true;
            }

            public void Dispose()
            {
                if (!_released)
                {
                    _released = true;
                    _outlook.OpenHandles--;
                    _outlook.Calls.Add($"Release(Appointment {_stored.Number})");
                }
            }

            private void Set(string property, object value, Action apply)
            {
                string text = value is DateTime time ? time.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
                    : Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
                Record($"{property}={text}");
                apply();
            }

            private void Record(string call) => _outlook.Record(call);
        }
    }

    /// <summary>One appointment in the recording Outlook's store: what it holds now (unsaved edits included) and as last saved.</summary>
    internal sealed class StoredAppointment
    {
        public const string Calendar = "Calendar";
        public const string DeletedItems = "Deleted Items";

        public StoredAppointment(int number)
        {
            Number = number;
        }

        public int Number { get; }

        /// <summary>Null until the first Save.</summary>
        public string? EntryId { get; set; }

        /// <summary>Calendar, Deleted Items, or null while never saved.</summary>
        public string? Folder { get; set; }

        public AppointmentState Current { get; set; } = new AppointmentState();

        /// <summary>What the store holds: null until the first Save.</summary>
        public AppointmentState? Saved { get; set; }

        public int Saves { get; set; }
        public bool Discarded { get; set; }

        /// <summary>Each Send: the meeting status it was sent with and the recipients.</summary>
        public List<(OutlookMeetingStatus Status, string[] Recipients)> Sent { get; } = new List<(OutlookMeetingStatus, string[])>();
    }

    internal sealed class AppointmentState
    {
        public string? Subject { get; set; }
        public bool AllDay { get; set; }
        public DateTime Start { get; set; }
        public DateTime End { get; set; }
        public string? Location { get; set; }
        public string? Body { get; set; }
        public string? Categories { get; set; }
        public OutlookBusyStatus BusyStatus { get; set; } = OutlookBusyStatus.Busy;

        // Outlook's default for a new appointment: a reminder 15 minutes before.
        public bool ReminderSet { get; set; } = true;
        public int ReminderMinutes { get; set; } = 15;
        public OutlookMeetingStatus MeetingStatus { get; set; }
        public List<string> Recipients { get; set; } = new List<string>();
        public Dictionary<string, string> UserProperties { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        public AppointmentState Copy()
        {
            var copy = (AppointmentState)MemberwiseClone();
            copy.Recipients = new List<string>(Recipients);
            copy.UserProperties = new Dictionary<string, string>(UserProperties, StringComparer.OrdinalIgnoreCase);
            return copy;
        }
    }
}
