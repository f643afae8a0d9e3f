using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using G5Mail.Core.Calendar;
using G5Mail.Core.Documents;
using MimeKit;
using TimeZoneConverter;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// Writes an activity as a Graph event resource ("event resource type", learn.microsoft.com/graph/api/resources/event)
    /// for POST .../events ("Create event", user-post-events) and PATCH .../events/{id} ("Update event"), and the query
    /// that finds an event by the activity id stored on it as a single-value extended property ("Get
    /// singleValueLegacyExtendedProperty", singlevaluelegacyextendedproperty-get; "Create single-value extended property",
    /// singlevaluelegacyextendedproperty-post-singlevalueextendedproperties).
    /// </summary>
    public static class GraphEventWriter
    {
        /// <summary>
        /// The extended property that carries Monitor's activity id on every event G5Mail writes. Named property in G5Mail's
        /// own property set (a fixed GUID: never change it, or events written before can no longer be found): the id format
        /// "{type} {guid} Name {name}" of the extended-properties overview. The same property set and name as the EWS
        /// path (EwsCalendarRequests.PropertySetId): one MAPI named property, so an event written through Exchange on-premises
        /// is found again after the mailbox moves to Exchange Online.
        /// </summary>
        public const string ActivityIdProperty = "String {c67aab68-4eed-4a65-9af0-e81e7378ed02} Name G5MailActivityId";

        private static readonly JsonWriterOptions Options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        private static readonly ConcurrentDictionary<string, string> WindowsZones = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

        /// <summary>
        /// The Windows name of the activity's zone ("W. Europe Standard Time" for Europe/Stockholm). "dateTimeTimeZone resource
        /// type" (learn.microsoft.com/graph/api/resources/datetimetimezone): timeZone may be any Windows time zone, plus a short
        /// list of IANA ids (Europe/Berlin is on it, Europe/Stockholm is not), and create and update "might not support" all
        /// of those; so G5Mail always sends the Windows name. Looked up once per id (TimeZoneConverter's tables are loaded on
        /// first use).
        /// </summary>
        public static string WindowsZone(Activity activity)
        {
            string iana = activity.TimeZoneId;
            return WindowsZones.GetOrAdd(iana, id =>
            {
                if (id == "UTC" || id == "Etc/UTC")
                {
                    return "UTC";
                }

                if (TZConvert.TryIanaToWindows(id, out string? windows) && !string.IsNullOrEmpty(windows))
                {
                    return windows!;
                }

                // A Windows id that the reader kept as it was (no IANA equivalent): Graph takes Windows ids.
                return id;
            });
        }

        /// <summary>
        /// Graph's transactionId for the create of one version of the activity: derived from its UID and SEQUENCE, so a
        /// retried POST of the same change carries the same value and Graph returns the event it made instead of a second
        /// one ("Create event": transactionId "avoids redundant POST operations in case of client retries"), while a later
        /// create (a higher SEQUENCE) is a new transaction. A hash keeps it short and plain ASCII whatever the activity id.
        /// </summary>
        public static string TransactionId(CalendarChange change)
        {
            using (SHA256 sha = SHA256.Create())
            {
                byte[] hash = sha.ComputeHash(Encoding.UTF8.GetBytes(change.Uid + "\n" + change.Sequence.ToString(CultureInfo.InvariantCulture)));
                return "g5mail-" + string.Concat(hash.Take(16).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
            }
        }

        /// <summary>
        /// events?$filter=singleValueExtendedProperties/Any(ep: ep/id eq '...' and ep/value eq '...')&amp;$select=id: the events
        /// that carry the activity id (string values: eq, with ' doubled as OData literals require).
        /// </summary>
        public static string FindQuery(string activityId)
        {
            string literal = activityId.Replace("'", "''");
            string filter = $"singleValueExtendedProperties/Any(ep: ep/id eq '{ActivityIdProperty}' and ep/value eq '{literal}')";
            return "?$filter=" + Uri.EscapeDataString(filter) + "&$select=id";
        }

        /// <summary>
        /// The event for POST (<paramref name="transactionId"/> set) or PATCH (null: "After you set transactionId when
        /// creating an event, you can't change transactionId in a subsequent update"). Attendees only with
        /// <paramref name="inviteAttendees"/>: an event with attendees is a meeting, and Exchange sends them invitations.
        /// </summary>
        public static byte[] Event(Activity activity, bool inviteAttendees, string? transactionId)
        {
            using (var buffer = new MemoryStream())
            {
                using (var w = new Utf8JsonWriter(buffer, Options))
                {
                    w.WriteStartObject();
                    if (transactionId != null)
                    {
                        w.WriteString("transactionId", transactionId);
                    }

                    w.WriteString("subject", activity.Subject);
                    w.WriteStartObject("body");
                    w.WriteString("contentType", "text");
                    w.WriteString("content", activity.Description ?? string.Empty);
                    w.WriteEndObject();

                    // All-day: "start and end must be set to midnight and be in the same time zone" (event resource, isAllDay).
                    string zone = WindowsZone(activity);
                    string format = activity.AllDay ? "yyyy-MM-dd'T'00:00:00" : "yyyy-MM-dd'T'HH:mm:ss";
                    WriteTime(w, "start", activity.LocalStart.ToString(format, CultureInfo.InvariantCulture), zone);
                    WriteTime(w, "end", activity.LocalEnd.ToString(format, CultureInfo.InvariantCulture), zone);
                    w.WriteBoolean("isAllDay", activity.AllDay);

                    w.WriteStartObject("location");
                    w.WriteString("displayName", activity.Location ?? string.Empty);
                    w.WriteEndObject();

                    w.WriteStartArray("categories");
                    foreach (string category in activity.Categories)
                    {
                        w.WriteStringValue(category);
                    }

                    w.WriteEndArray();
                    w.WriteString("showAs", ShowAs(activity.ShowAs));
                    w.WriteBoolean("isReminderOn", activity.ReminderMinutes.HasValue);
                    if (activity.ReminderMinutes.HasValue)
                    {
                        w.WriteNumber("reminderMinutesBeforeStart", activity.ReminderMinutes.Value);
                    }

                    if (inviteAttendees)
                    {
                        w.WriteStartArray("attendees");
                        foreach (string attendee in activity.Attendees)
                        {
                            w.WriteStartObject();
                            w.WriteStartObject("emailAddress");
                            if (MailAddresses.TryParseMailbox(attendee, out MailboxAddress mailbox))
                            {
                                w.WriteString("address", mailbox.Address);
                                if (!string.IsNullOrWhiteSpace(mailbox.Name))
                                {
                                    w.WriteString("name", mailbox.Name);
                                }
                            }
                            else
                            {
                                w.WriteString("address", attendee);
                            }

                            w.WriteEndObject();
                            w.WriteString("type", "required");
                            w.WriteEndObject();
                        }

                        w.WriteEndArray();
                    }

                    w.WriteStartArray("singleValueExtendedProperties");
                    w.WriteStartObject();
                    w.WriteString("id", ActivityIdProperty);
                    w.WriteString("value", activity.ActivityId);
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                return buffer.ToArray();
            }
        }

        /// <summary>{"comment": "..."} for POST .../events/{id}/cancel ("event: cancel"): the text the attendees receive.</summary>
        public static byte[] Cancellation(string comment)
        {
            using (var buffer = new MemoryStream())
            {
                using (var w = new Utf8JsonWriter(buffer, Options))
                {
                    w.WriteStartObject();
                    w.WriteString("comment", comment);
                    w.WriteEndObject();
                }

                return buffer.ToArray();
            }
        }

        /// <summary>freeBusyStatus values of the event resource's showAs: free, tentative, busy, oof (workingElsewhere, unknown unused).</summary>
        public static string ShowAs(ActivityShowAs showAs)
        {
            switch (showAs)
            {
                case ActivityShowAs.Free:
                    return "free";
                case ActivityShowAs.Tentative:
                    return "tentative";
                case ActivityShowAs.OutOfOffice:
                    return "oof";
                default:
                    return "busy";
            }
        }

        private static void WriteTime(Utf8JsonWriter w, string name, string dateTime, string zone)
        {
            w.WriteStartObject(name);
            w.WriteString("dateTime", dateTime);
            w.WriteString("timeZone", zone);
            w.WriteEndObject();
        }
    }
}
