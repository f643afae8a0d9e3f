using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using MimeKit;
using TimeZoneConverter;

namespace G5Mail.Core.Calendar
{
    /// <summary>
    /// Checks one <see cref="ActivityRequest"/> and makes it an <see cref="Activity"/>, or throws one
    /// <see cref="G5MailErrorException"/> (InvalidActivity, InvalidAddress) that says what to change. Pure: no clock, no I/O.
    /// </summary>
    public sealed class ActivityReader
    {
        /// <summary>The longest activity G5Mail accepts: longer is almost always a typo in a year.</summary>
        internal static readonly TimeSpan MaxLength = TimeSpan.FromDays(366);

        /// <summary>Wall-clock forms accepted for Start and End, besides ISO 8601 with an offset.</summary>
        private static readonly string[] WallClockFormats =
        {
            "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
            "yyyy-MM-dd H:mm", "yyyy-MM-dd HH.mm", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyyMMdd'T'HHmmss", "yyyyMMdd'T'HHmm",
        };

        private static readonly string[] DateFormats = { "yyyy-MM-dd", "yyyyMMdd" };

        private static readonly string[] OffsetFormats =
        {
            "yyyy-MM-dd'T'HH:mmzzz", "yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", "yyyy-MM-dd HH:mmzzz", "yyyy-MM-dd HH:mm:sszzz",
            "yyyy-MM-dd'T'HH:mm'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", "yyyy-MM-dd HH:mm'Z'", "yyyy-MM-dd HH:mm:ss'Z'",
            "yyyyMMdd'T'HHmmss'Z'",
        };

        private readonly string? _defaultOrganizer;
        private readonly string _defaultZone;

        /// <param name="defaultOrganizer">The settings' From: the organizer of activities that name none.</param>
        /// <param name="defaultTimeZone">The zone of activities that name none; null for the computer's.</param>
        public ActivityReader(string? defaultOrganizer, string? defaultTimeZone = null)
        {
            _defaultOrganizer = string.IsNullOrWhiteSpace(defaultOrganizer) ? null : defaultOrganizer!.Trim();
            _defaultZone = defaultTimeZone ?? TimeZoneInfo.Local.Id;
        }

        public Activity Read(ActivityRequest request)
        {
            string id = (request.ActivityId ?? string.Empty).Trim();
            if (id.Length == 0)
            {
                throw Invalid(null, "has no ActivityId. Every activity needs the stable id Monitor G5 gives it (column ActivityId, Id or ActivityNumber): "
                    + "it is what makes a rerun update the same calendar event instead of adding another.", request.Source);
            }

            if (id.Length > 200 || id.Any(char.IsControl))
            {
                throw Invalid(id, "has an ActivityId longer than 200 characters or with control characters; give Monitor G5's activity number.", id);
            }

            var activity = new Activity(id)
            {
                InputIndex = request.InputIndex,
                Source = request.Source,
                Subject = Clean(request.Subject) ?? string.Empty,
                Location = Clean(request.Location),
                Description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description!.Replace("\r\n", "\n").Trim(),
                Cancelled = ReadStatus(id, request.Status),
                ShowAs = ReadShowAs(id, request.ShowAs),
                Categories = (request.Categories ?? Array.Empty<string>())
                    .SelectMany(c => (c ?? string.Empty).Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries))
                    .Select(c => c.Trim()).Where(c => c.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
            };

            ReadZone(activity, request.TimeZone);
            activity.AllDay = ReadBool(id, "AllDay", request.AllDay);
            ReadTimes(activity, request);
            activity.ReminderMinutes = ReadReminder(id, request.ReminderMinutes);
            ReadPeople(activity, request);
            return activity;
        }

        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Iana, TimeZoneInfo? Zone)> Zones =
            new System.Collections.Concurrent.ConcurrentDictionary<string, (string, TimeZoneInfo?)>(StringComparer.Ordinal); // per spelling: "asia/tokyo" must not decide what "Asia/Tokyo" becomes

        /// <summary>The IANA id and zone of an IANA or Windows id; looked up once per id (a nightly export names a few zones, thousands of times).</summary>
        public static bool TryResolveZone(string id, out string ianaId, out TimeZoneInfo zone)
        {
            (string Iana, TimeZoneInfo? Zone) found = Zones.GetOrAdd(id.Trim(), key => LookUpZone(key, out string iana, out TimeZoneInfo z) ? (iana, z) : (string.Empty, null));
            ianaId = found.Iana;
            zone = found.Zone ?? TimeZoneInfo.Utc;
            return found.Zone != null;
        }

        private static bool LookUpZone(string id, out string ianaId, out TimeZoneInfo zone)
        {
            ianaId = string.Empty;
            zone = TimeZoneInfo.Utc;
            if (id.Equals("UTC", StringComparison.OrdinalIgnoreCase) || id.Equals("Etc/UTC", StringComparison.OrdinalIgnoreCase)
                || id.Equals("Coordinated Universal Time", StringComparison.OrdinalIgnoreCase))
            {
                ianaId = "UTC";
                return true;
            }

            // An IANA id straight from the system's zone database where it has one (Linux, macOS, .NET on Windows with
            // ICU): TimeZoneConverter's tables are loaded only for what that does not find, because loading them reads
            // every zone of the system (most of a second, once per process).
            if (id.IndexOf('/') > 0)
            {
                try
                {
                    TimeZoneInfo system = TimeZoneInfo.FindSystemTimeZoneById(id);
                    if (string.Equals(system.Id, id, StringComparison.Ordinal))
                    {
                        zone = system;
                        ianaId = id;
                        return true;
                    }

                    // Found under another spelling ("asia/tokyo" from .NET's case-insensitive cache of "Asia/Tokyo", where the
                    // file system alone would not find it): the canonical spelling comes from TimeZoneConverter below, so
                    // the id (the TZID, the hash) does not depend on which zones the process happened to look up before.
                }
                catch (Exception ex) when (ex is TimeZoneNotFoundException || ex is InvalidTimeZoneException || ex is System.Security.SecurityException)
                {
                    // Not under this spelling, or Windows PowerShell 5.1, which knows only Windows ids: TimeZoneConverter maps it.
                }
            }

            if (!TZConvert.TryGetTimeZoneInfo(id, out TimeZoneInfo? found) || found == null)
            {
                return false;
            }

            if (TZConvert.TryWindowsToIana(id, out string? fromWindows) && !string.IsNullOrEmpty(fromWindows))
            {
                ianaId = fromWindows!;
            }
            else
            {
                // An IANA id in another spelling (europe/stockholm): the canonical one.
                ianaId = TZConvert.KnownIanaTimeZoneNames.FirstOrDefault(n => n.Equals(id, StringComparison.OrdinalIgnoreCase)) ?? id;
            }

            zone = found;
            return true;
        }

        private void ReadZone(Activity activity, string? given)
        {
            string id = string.IsNullOrWhiteSpace(given) ? _defaultZone : given!;
            if (!TryResolveZone(id, out string iana, out TimeZoneInfo zone))
            {
                throw Invalid(activity.ActivityId, $"has TimeZone '{id}', which this computer does not know. Give an IANA id such as Europe/Stockholm "
                    + "or a Windows id such as W. Europe Standard Time.", id);
            }

            activity.TimeZoneId = iana;
            activity.TimeZone = zone;
        }

        private static void ReadTimes(Activity activity, ActivityRequest request)
        {
            string id = activity.ActivityId;
            Moment? start = ReadMoment(id, "Start", request.Start);
            if (start == null)
            {
                throw Invalid(id, "has no Start. Give it as 2027-03-28 14:30 (or ISO 8601, 2027-03-28T14:30:00+02:00).", id);
            }

            Moment? end = ReadMoment(id, "End", request.End);
            double? minutes = ReadNumber(id, "DurationMinutes", request.DurationMinutes);
            if (minutes.HasValue && (minutes.Value < 0 || minutes.Value > MaxLength.TotalMinutes))
            {
                throw Invalid(id, $"has DurationMinutes {Number(minutes.Value)}; give 0 to {Number(MaxLength.TotalMinutes)} minutes.", id);
            }

            if (activity.AllDay)
            {
                DateTime first = start.Value.Date(activity.TimeZone);
                DateTime last = end?.Date(activity.TimeZone) ?? (minutes.HasValue ? first.AddDays(Math.Max(1, Math.Ceiling(minutes.Value / 1440)) - 1) : first);
                if (last < first)
                {
                    throw Invalid(id, $"ends ({last:yyyy-MM-dd}) before it starts ({first:yyyy-MM-dd}).", id);
                }

                activity.LocalStart = DateTime.SpecifyKind(first, DateTimeKind.Unspecified);
                activity.LocalEnd = DateTime.SpecifyKind(last.AddDays(1), DateTimeKind.Unspecified); // DTEND of an all-day event is the day after
                activity.Start = Instant(activity, "Start", activity.LocalStart, allowGap: true);
                activity.End = Instant(activity, "End", activity.LocalEnd, allowGap: true);
                return;
            }

            activity.Start = start.Value.Resolve(activity, "Start");
            activity.LocalStart = Local(activity.Start, activity.TimeZone);
            if (end != null)
            {
                activity.End = end.Value.Resolve(activity, "End");
                if (minutes.HasValue && Math.Abs((activity.End - activity.Start).TotalMinutes - minutes.Value) >= 1)
                {
                    throw Invalid(id, $"has End {Show(activity.End, activity)} and DurationMinutes {Number(minutes.Value)}, which do not agree. Give one of them.", id);
                }
            }
            else if (minutes.HasValue)
            {
                activity.End = activity.Start.AddMinutes(minutes.Value);
            }
            else
            {
                throw Invalid(id, "has no End and no DurationMinutes. Give the end (2027-03-28 15:30) or the length in minutes.", id);
            }

            if (activity.End < activity.Start)
            {
                throw Invalid(id, $"ends ({Show(activity.End, activity)}) before it starts ({Show(activity.Start, activity)}).", id);
            }

            if (activity.End - activity.Start > MaxLength)
            {
                throw Invalid(id, $"lasts more than {MaxLength.TotalDays:0} days ({Show(activity.Start, activity)} to {Show(activity.End, activity)}); check the year.", id);
            }

            activity.LocalEnd = Local(activity.End, activity.TimeZone);
            // Shown (results, the state) in the activity's own zone, whatever offset the input carried.
            activity.Start = TimeZoneInfo.ConvertTime(activity.Start, activity.TimeZone);
            activity.End = TimeZoneInfo.ConvertTime(activity.End, activity.TimeZone);
        }

        private static string Show(DateTimeOffset instant, Activity activity) =>
            Local(instant, activity.TimeZone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

        private static DateTime Local(DateTimeOffset instant, TimeZoneInfo zone) =>
            DateTime.SpecifyKind(TimeZoneInfo.ConvertTime(instant, zone).DateTime, DateTimeKind.Unspecified);

        /// <summary>
        /// The instant of a wall-clock time in the activity's zone. A time in the spring gap does not exist (RFC 5545
        /// 3.3.5 would silently move it): an error that says so. A time in the autumn fold happens twice: the first
        /// one, as RFC 5545 3.3.5 prescribes.
        /// </summary>
        private static DateTimeOffset Instant(Activity activity, string name, DateTime wall, bool allowGap = false)
        {
            TimeZoneInfo zone = activity.TimeZone;
            wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
            if (zone.IsInvalidTime(wall))
            {
                if (allowGap)
                {
                    // Midnight skipped (a few zones change at 00:00): the day starts at the first minute that exists.
                    DateTime later = wall;
                    while (zone.IsInvalidTime(later))
                    {
                        later = later.AddMinutes(15);
                    }

                    return new DateTimeOffset(later, zone.GetUtcOffset(later));
                }

                (DateTime from, DateTime to) = GapAround(zone, wall);
                throw Invalid(activity.ActivityId,
                    $"has {name} {wall:yyyy-MM-dd HH:mm}, a time that does not exist in {activity.TimeZoneId}: that night the clocks go from "
                    + $"{from:HH:mm} to {to:HH:mm} (daylight saving time begins). Give a time before {from:HH:mm} or from {to:HH:mm} on.", activity.ActivityId);
            }

            TimeSpan offset = zone.IsAmbiguousTime(wall) ? zone.GetAmbiguousTimeOffsets(wall).Max() : zone.GetUtcOffset(wall);
            return new DateTimeOffset(wall, offset);
        }

        /// <summary>The wall-clock times where the gap that holds <paramref name="wall"/> begins and ends.</summary>
        private static (DateTime From, DateTime To) GapAround(TimeZoneInfo zone, DateTime wall)
        {
            DateTime from = wall;
            while (zone.IsInvalidTime(from.AddMinutes(-1)))
            {
                from = from.AddMinutes(-1);
            }

            DateTime to = wall;
            while (zone.IsInvalidTime(to))
            {
                to = to.AddMinutes(1);
            }

            return (from, to);
        }

        private void ReadPeople(Activity activity, ActivityRequest request)
        {
            string id = activity.ActivityId;
            string? organizerText = Clean(request.Organizer) ?? _defaultOrganizer;
            if (organizerText == null)
            {
                throw new G5MailErrorException(ErrorIds.InvalidActivity, ErrorKind.InvalidArgument,
                    $"Activity '{id}' has no Organizer and no From is set. Give the organizer (the calendar's owner) per activity, or set one for all: "
                    + "Set-G5MailSetting -From planner@example.com (or -From on the call).", id);
            }

            if (!MailAddresses.TryParseMailbox(organizerText, out MailboxAddress organizer))
            {
                throw new G5MailErrorException(ErrorIds.InvalidAddress, ErrorKind.InvalidArgument,
                    $"Activity '{id}': Organizer '{organizerText}' is not a valid mail address. Give it as name@example.com (or \"Name <name@example.com>\").",
                    organizerText);
            }

            activity.Organizer = organizer.ToString();
            activity.OrganizerAddress = MailAddresses.KeyOf(organizer);

            var seen = new HashSet<string>(StringComparer.Ordinal) { activity.OrganizerAddress };
            var attendees = new List<string>();
            var bad = new List<string>();
            foreach (string piece in (request.Attendees ?? Array.Empty<string>()).SelectMany(MailAddresses.Split))
            {
                if (!MailAddresses.TryParseMailbox(piece, out MailboxAddress mailbox))
                {
                    bad.Add(piece);
                }
                else if (seen.Add(MailAddresses.KeyOf(mailbox)))
                {
                    attendees.Add(mailbox.ToString());
                }
            }

            if (bad.Count > 0)
            {
                G5MailErrorException error = RecipientSet.InvalidAddressError(bad, null);
                throw new G5MailErrorException(error.ErrorId, error.Kind, $"Activity '{id}', Attendees: {error.Message}", error.Target);
            }

            activity.Attendees = attendees;
        }

        private static bool ReadStatus(string id, string? status)
        {
            string text = (status ?? string.Empty).Trim();
            if (text.Length == 0 || Is(text, "Active", "Aktiv", "Planned", "Planerad", "Confirmed"))
            {
                return false;
            }

            if (Is(text, "Cancelled", "Canceled", "Cancel", "Makulerad", "Inställd", "Avbokad"))
            {
                return true;
            }

            throw Invalid(id, $"has Status '{text}'; give Active or Cancelled.", text);
        }

        private static ActivityShowAs ReadShowAs(string id, string? showAs)
        {
            string text = (showAs ?? string.Empty).Trim().Replace(" ", string.Empty);
            if (text.Length == 0 || Is(text, "Busy", "Upptagen"))
            {
                return ActivityShowAs.Busy;
            }

            if (Is(text, "Free", "Ledig"))
            {
                return ActivityShowAs.Free;
            }

            if (Is(text, "Tentative", "Preliminär", "Preliminary"))
            {
                return ActivityShowAs.Tentative;
            }

            if (Is(text, "OutOfOffice", "Oof", "Away", "Borta", "Frånvarande"))
            {
                return ActivityShowAs.OutOfOffice;
            }

            throw Invalid(id, $"has ShowAs '{showAs}'; give Busy, Free, Tentative or OutOfOffice.", showAs);
        }

        private static int? ReadReminder(string id, object? value)
        {
            double? minutes = ReadNumber(id, "ReminderMinutes", value);
            if (minutes == null)
            {
                return null;
            }

            if (minutes.Value < 0 || minutes.Value > 40320 || minutes.Value != Math.Floor(minutes.Value))
            {
                throw Invalid(id, $"has ReminderMinutes {Number(minutes.Value)}; give whole minutes before the start, 0 to 40320 (four weeks), or leave it empty for no reminder.", id);
            }

            return (int)minutes.Value;
        }

        private static bool ReadBool(string id, string name, object? value)
        {
            switch (Unwrap(value))
            {
                case null:
                    return false;
                case bool b:
                    return b;
                case int i:
                    return i != 0;
                case long l:
                    return l != 0;
                case string s:
                    string text = s.Trim();
                    if (text.Length == 0 || Is(text, "False", "0", "No", "Nej", "N", "$false"))
                    {
                        return false;
                    }

                    if (Is(text, "True", "1", "Yes", "Ja", "J", "Y", "X", "$true"))
                    {
                        return true;
                    }

                    throw Invalid(id, $"has {name} '{s}'; give True or False (1/0, Ja/Nej also work).", s);
                default:
                    throw Invalid(id, $"has {name} of type {value!.GetType().Name}; give True or False.", value);
            }
        }

        private static double? ReadNumber(string id, string name, object? value)
        {
            switch (Unwrap(value))
            {
                case null:
                    return null;
                case string s when s.Trim().Length == 0:
                    return null;
                case string s:
                    // "15", "15.5", and "15,5" as a Swedish export writes decimals.
                    if (double.TryParse(s.Trim().Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && !double.IsNaN(parsed) && !double.IsInfinity(parsed))
                    {
                        return parsed;
                    }

                    throw Invalid(id, $"has {name} '{s}', which is not a number of minutes.", s);
                case IConvertible convertible when !(convertible is DateTime) && !(convertible is bool) && !(convertible is char):
                    return convertible.ToDouble(CultureInfo.InvariantCulture);
                case TimeSpan span:
                    return span.TotalMinutes;
                default:
                    throw Invalid(id, $"has {name} of type {value!.GetType().Name}; give a number of minutes.", value);
            }
        }

        /// <summary>A start or end as given: an instant (with offset or UTC), a wall-clock time, or a date alone.</summary>
        private readonly struct Moment
        {
            private readonly DateTimeOffset? _instant;
            private readonly DateTime _wall;

            public Moment(DateTimeOffset instant)
            {
                _instant = instant;
                _wall = default;
                DateOnly = false;
            }

            public Moment(DateTime wall, bool dateOnly)
            {
                _instant = null;
                _wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
                DateOnly = dateOnly;
            }

            public bool DateOnly { get; }

            public DateTimeOffset Resolve(Activity activity, string name) => _instant ?? Instant(activity, name, _wall);

            public DateTime Date(TimeZoneInfo zone) => _instant.HasValue ? TimeZoneInfo.ConvertTime(_instant.Value, zone).Date : _wall.Date;
        }

        private static Moment? ReadMoment(string id, string name, object? value)
        {
            switch (Unwrap(value))
            {
                case null:
                    return null;
                case DateTimeOffset offset:
                    return new Moment(offset);
                case DateTime time:
                    // UTC is an instant; a local or unspecified [datetime] (Get-Date, a typed CSV column) is a wall-clock
                    // time in the activity's zone, which defaults to the computer's.
                    return time.Kind == DateTimeKind.Utc ? new Moment(new DateTimeOffset(time)) : new Moment(time, dateOnly: false);
                case string s:
                    string text = s.Trim();
                    if (text.Length == 0)
                    {
                        return null;
                    }

                    if (DateTimeOffset.TryParseExact(text, OffsetFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset instant))
                    {
                        return new Moment(instant);
                    }

                    if (DateTime.TryParseExact(text, WallClockFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime wall))
                    {
                        return new Moment(wall, dateOnly: false);
                    }

                    if (DateTime.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime date))
                    {
                        return new Moment(date, dateOnly: true);
                    }

                    throw Invalid(id, $"has {name} '{s}', which is not a date and time G5Mail reads. Give 2027-03-28 14:30 (as a Swedish Excel export "
                        + "writes it), ISO 8601 (2027-03-28T14:30:00+02:00) or, for an all-day activity, 2027-03-28.", s);
                default:
                    throw Invalid(id, $"has {name} of type {value!.GetType().Name}; give a date and time such as 2027-03-28 14:30.", value);
            }
        }

        /// <summary>PowerShell hands over PSObject-wrapped values as the base object already; only a few remain wrapped in arrays of one.</summary>
        private static object? Unwrap(object? value) => value is object[] array && array.Length == 1 ? array[0] : value;

        private static string? Clean(string? text)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                return null;
            }

            // One line: a line break in a subject or location would break the mail header and the calendar's display.
            return string.Join(" ", text!.Split(new[] { '\r', '\n', '\t' }, StringSplitOptions.RemoveEmptyEntries)).Trim();
        }

        private static bool Is(string text, params string[] words) => words.Any(w => string.Equals(text, w, StringComparison.OrdinalIgnoreCase));

        private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

        internal static G5MailErrorException Invalid(string? id, string what, object? target) =>
            new G5MailErrorException(ErrorIds.InvalidActivity, ErrorKind.InvalidArgument,
                (id == null ? "An activity " : $"Activity '{id}' ") + what, target);
    }
}
