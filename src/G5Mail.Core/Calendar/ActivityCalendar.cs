using System;
using System.Globalization;
using G5Mail.Core.Documents;
using MimeKit;

namespace G5Mail.Core.Calendar
{
    /// <summary>
    /// The iCalendar object (RFC 5545) of one change, as an iTIP message (RFC 5546): METHOD:REQUEST for a new or changed
    /// activity, METHOD:CANCEL with STATUS:CANCELLED for a cancelled one. The same text goes into the invitation mail
    /// (RFC 6047) and into the .ics file of -IcsDirectory.
    /// </summary>
    /// <remarks>
    /// The properties each method must carry are those of RFC 5546 3.2.2 (REQUEST: DTSTAMP, DTSTART, ORGANIZER, SUMMARY,
    /// UID, SEQUENCE when above 0, at least one ATTENDEE) and 3.2.5 (CANCEL: ATTENDEE of those removed, STATUS:CANCELLED
    /// for the whole event, SEQUENCE). The organizer is also an ATTENDEE (ROLE=CHAIR, PARTSTAT=ACCEPTED), so that an
    /// activity without attendees is still a valid REQUEST and lands in the organizer's calendar.
    /// </remarks>
    public static class ActivityCalendar
    {
        public const string ProductId = "-//G5Mail//Sync-G5Activity//EN";

        /// <summary>The activity's Monitor G5 id on the event, for tools that look for it.</summary>
        public const string ActivityIdProperty = "X-G5MAIL-ACTIVITYID";

        /// <param name="sentBy">The address that sends on the organizer's behalf (the settings' From), when it is another (RFC 5545 3.2.18 SENT-BY).</param>
        public static string Write(CalendarChange change, string? sentBy)
        {
            Activity a = change.Activity;
            bool cancel = change.Kind == ChangeKind.Cancel;
            var lines = new ContentLines();
            lines.Line("BEGIN", "VCALENDAR");
            lines.Line("PRODID", ProductId);
            lines.Line("VERSION", "2.0");
            lines.Line("CALSCALE", "GREGORIAN");
            lines.Line("METHOD", change.Method);
            bool utc = a.TimeZoneId == "UTC";
            if (!a.AllDay && !utc)
            {
                // The years around the activity: enough for a client to place both ends (RFC 5545 3.6.5 needs the rules in effect).
                TimeZoneComponent.Write(lines, a.TimeZoneId, a.TimeZone, a.LocalStart.Year - 1, a.LocalEnd.Year + 1);
            }

            lines.Line("BEGIN", "VEVENT");
            lines.Text("UID", change.Uid);
            lines.Line("SEQUENCE", change.Sequence.ToString(CultureInfo.InvariantCulture));
            lines.Line("DTSTAMP", ContentLines.Utc(change.Stamp));
            if (a.AllDay)
            {
                lines.Line("DTSTART", ContentLines.Date(a.LocalStart), ("VALUE", "DATE"));
                lines.Line("DTEND", ContentLines.Date(a.LocalEnd), ("VALUE", "DATE"));
            }
            else if (utc)
            {
                lines.Line("DTSTART", ContentLines.Utc(a.Start));
                lines.Line("DTEND", ContentLines.Utc(a.End));
            }
            else
            {
                ZonedTime(lines, "DTSTART", a, a.LocalStart, a.Start);
                ZonedTime(lines, "DTEND", a, a.LocalEnd, a.End);
            }

            lines.Text("SUMMARY", a.Subject);
            if (a.Location != null)
            {
                lines.Text("LOCATION", a.Location);
            }

            if (a.Description != null)
            {
                lines.Text("DESCRIPTION", a.Description);
            }

            if (a.Categories.Count > 0)
            {
                // CATEGORIES is a list: each value escaped, joined by an unescaped comma (3.8.1.2).
                lines.Line("CATEGORIES", string.Join(",", System.Linq.Enumerable.Select(a.Categories, ContentLines.Escape)));
            }

            lines.Line("STATUS", cancel ? "CANCELLED" : "CONFIRMED");
            lines.Line("TRANSP", a.ShowAs == ActivityShowAs.Free ? "TRANSPARENT" : "OPAQUE");
            // Outlook's own free/busy property: TRANSP knows only busy and free ([MS-OXCICAL] 2.1.3.1.1.20.9).
            lines.Line("X-MICROSOFT-CDO-BUSYSTATUS", BusyStatus(a.ShowAs));
            if (a.AllDay)
            {
                lines.Line("X-MICROSOFT-CDO-ALLDAYEVENT", "TRUE");
            }

            MailboxAddress organizer = MailAddresses.ParseNormalized(a.Organizer);
            var organizerParameters = new System.Collections.Generic.List<(string, string)>();
            if (!string.IsNullOrEmpty(organizer.Name))
            {
                organizerParameters.Add(("CN", organizer.Name!));
            }

            if (sentBy != null && MailAddresses.TryParseMailbox(sentBy, out MailboxAddress sender) &&
                !string.Equals(sender.Address, organizer.Address, StringComparison.OrdinalIgnoreCase))
            {
                organizerParameters.Add(("SENT-BY", "mailto:" + sender.Address));
            }

            lines.Line("ORGANIZER", "mailto:" + organizer.Address, organizerParameters.ToArray());
            Attendee(lines, organizer, "CHAIR", "ACCEPTED", rsvp: false);
            foreach (string attendee in a.Attendees)
            {
                Attendee(lines, MailAddresses.ParseNormalized(attendee), "REQ-PARTICIPANT", "NEEDS-ACTION", rsvp: !cancel);
            }

            lines.Text(ActivityIdProperty, a.ActivityId);
            if (!cancel && a.ReminderMinutes.HasValue)
            {
                lines.Line("BEGIN", "VALARM");
                lines.Line("ACTION", "DISPLAY");
                lines.Text("DESCRIPTION", a.Subject.Length > 0 ? a.Subject : "Reminder");
                lines.Line("TRIGGER", a.ReminderMinutes.Value == 0 ? "PT0M" : "-PT" + a.ReminderMinutes.Value.ToString(CultureInfo.InvariantCulture) + "M");
                lines.Line("END", "VALARM");
            }

            lines.Line("END", "VEVENT");
            lines.Line("END", "VCALENDAR");
            return lines.ToString();
        }

        /// <summary>
        /// A time with TZID, or in UTC when it is the second occurrence of a wall-clock time the autumn fold repeats: a
        /// TZID time there means the first one (RFC 5545 3.3.5), an hour early (a 02:30 start of 60 minutes would end at
        /// its own start).
        /// </summary>
        private static void ZonedTime(ContentLines lines, string name, Activity a, DateTime wall, DateTimeOffset instant)
        {
            if (a.TimeZone.IsAmbiguousTime(wall)
                && new DateTimeOffset(wall, System.Linq.Enumerable.Max(a.TimeZone.GetAmbiguousTimeOffsets(wall))) != instant)
            {
                lines.Line(name, ContentLines.Utc(instant));
                return;
            }

            lines.Line(name, ContentLines.Local(wall), ("TZID", a.TimeZoneId));
        }

        private static void Attendee(ContentLines lines, MailboxAddress who, string role, string partstat, bool rsvp)
        {
            var parameters = new System.Collections.Generic.List<(string, string)>();
            if (!string.IsNullOrEmpty(who.Name))
            {
                parameters.Add(("CN", who.Name!));
            }

            parameters.Add(("ROLE", role));
            parameters.Add(("PARTSTAT", partstat));
            parameters.Add(("RSVP", rsvp ? "TRUE" : "FALSE"));
            lines.Line("ATTENDEE", "mailto:" + who.Address, parameters.ToArray());
        }

        private static string BusyStatus(ActivityShowAs showAs)
        {
            switch (showAs)
            {
                case ActivityShowAs.Free: return "FREE";
                case ActivityShowAs.Tentative: return "TENTATIVE";
                case ActivityShowAs.OutOfOffice: return "OOF";
                default: return "BUSY";
            }
        }
    }
}
