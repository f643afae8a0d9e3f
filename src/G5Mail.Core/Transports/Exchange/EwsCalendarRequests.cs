using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;
using G5Mail.Core.Calendar;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using MimeKit;
using TimeZoneConverter;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>
    /// The EWS requests of Sync-G5Activity with Method Exchange: calendar items found by the activity id (FindItem),
    /// read for their change key (GetItem), created (CreateItem), updated (UpdateItem), deleted (DeleteItem) or cancelled
    /// (CreateItem of a CancelCalendarItem). Each is built as an XElement (they are a few kilobytes) and written into the
    /// envelope of <see cref="EwsRequest"/>, so headers, version and streaming are the mail path's own.
    /// </summary>
    public static class EwsCalendarRequests
    {
        private static readonly XNamespace T = EwsNames.Types;
        private static readonly XNamespace M = EwsNames.Messages;

        /// <summary>
        /// The property set of G5Mail's own named property (learn.microsoft.com, "ExtendedFieldURI": PropertySetId is a GUID,
        /// PropertyName a name in it, PropertyType String). Fixed forever: calendars written by earlier versions are found by it.
        /// </summary>
        public const string PropertySetId = "c67aab68-4eed-4a65-9af0-e81e7378ed02";

        public const string PropertyName = "G5MailActivityId";

        private static readonly ConcurrentDictionary<string, string> WindowsZones = new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// The Windows time zone id EWS wants in StartTimeZone/EndTimeZone Id (learn.microsoft.com, "StartTimeZone": "Id ...
        /// the time zone identifier", the Windows ids of the server's registry), from the activity's IANA id
        /// (TimeZoneConverter's CLDR mapping), looked up once per id.
        /// </summary>
        public static string WindowsTimeZone(string ianaId)
        {
            if (string.Equals(ianaId, "UTC", StringComparison.OrdinalIgnoreCase) || string.Equals(ianaId, "Etc/UTC", StringComparison.OrdinalIgnoreCase))
            {
                return "UTC";
            }

            return WindowsZones.GetOrAdd(ianaId, id =>
            {
                if (TZConvert.TryIanaToWindows(id, out string? windows) && !string.IsNullOrEmpty(windows))
                {
                    return windows!;
                }

                throw new G5MailErrorException(ErrorIds.InvalidActivity, ErrorKind.InvalidArgument,
                    $"The time zone '{id}' has no Windows time zone id, which Exchange needs (EWS StartTimeZone). Give the activity's TimeZone as a " +
                    "Windows id (W. Europe Standard Time) or a common IANA id (Europe/Stockholm).", id);
            });
        }

        /// <summary>xs:dateTime in UTC ("2027-04-15T12:30:00Z"), as EWS reads Start and End whatever the time zone elements say.</summary>
        public static string UtcTime(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        /// <summary>LegacyFreeBusyType (learn.microsoft.com, "LegacyFreeBusyStatus"): Free, Tentative, Busy, OOF, NoData.</summary>
        public static string FreeBusy(ActivityShowAs showAs)
        {
            switch (showAs)
            {
                case ActivityShowAs.Free:
                    return "Free";
                case ActivityShowAs.Tentative:
                    return "Tentative";
                case ActivityShowAs.OutOfOffice:
                    return "OOF";
                default:
                    return "Busy";
            }
        }

        /// <summary>
        /// FindItem (learn.microsoft.com, "FindItem operation"): Traversal Shallow, ItemShape IdOnly, a Restriction IsEqualTo
        /// on G5Mail's extended property (learn.microsoft.com, "IsEqualTo", "Restriction"), in the calendar folder of
        /// <paramref name="mailbox"/> (null: the signed-in user's; "DistinguishedFolderId": t:Mailbox names another's).
        /// The order of FindItem's children is the schema's: ItemShape, Restriction, ParentFolderIds.
        /// </summary>
        public static EwsRequest FindByActivityId(string activityId, string? mailbox)
        {
            var body = new XElement(M + "FindItem",
                new XAttribute("Traversal", "Shallow"),
                new XElement(M + "ItemShape", new XElement(T + "BaseShape", "IdOnly")),
                new XElement(M + "Restriction",
                    new XElement(T + "IsEqualTo",
                        ActivityIdUri(),
                        new XElement(T + "FieldURIOrConstant", new XElement(T + "Constant", new XAttribute("Value", Text(activityId)))))),
                new XElement(M + "ParentFolderIds", Folder("calendar", mailbox)));
            return Build("FindItem", body);
        }

        /// <summary>
        /// GetItem (learn.microsoft.com, "GetItem operation (calendar item)"): BaseShape IdOnly for the current ChangeKey,
        /// and calendar:IsMeeting when a cancellation has to know whether attendees were invited.
        /// </summary>
        public static EwsRequest GetItem(string itemId, bool withIsMeeting)
        {
            var shape = new XElement(M + "ItemShape", new XElement(T + "BaseShape", "IdOnly"));
            if (withIsMeeting)
            {
                shape.Add(new XElement(T + "AdditionalProperties", new XElement(T + "FieldURI", new XAttribute("FieldURI", "calendar:IsMeeting"))));
            }

            var body = new XElement(M + "GetItem", shape, new XElement(M + "ItemIds", new XElement(T + "ItemId", new XAttribute("Id", itemId))));
            return Build("GetItem", body);
        }

        /// <summary>
        /// CreateItem (learn.microsoft.com, "CreateItem operation (calendar item)"): SendMeetingInvitations is required for
        /// calendar items (ErrorSendMeetingInvitationsRequired otherwise): SendToNone keeps the item in the organizer's calendar
        /// alone; with -InviteAttendees SendToAllAndSaveCopy sends meeting requests to RequiredAttendees. SavedItemFolderId is
        /// the calendar (of <paramref name="mailbox"/> when it is not the signed-in user's).
        /// </summary>
        public static EwsRequest CreateItem(Activity activity, string? mailbox, bool inviteAttendees)
        {
            bool invite = inviteAttendees && activity.Attendees.Count > 0;
            var body = new XElement(M + "CreateItem",
                new XAttribute("SendMeetingInvitations", invite ? "SendToAllAndSaveCopy" : "SendToNone"),
                new XElement(M + "SavedItemFolderId", Folder("calendar", mailbox)),
                new XElement(M + "Items", CalendarItem(activity, invite)));
            return Build("CreateItem", body);
        }

        /// <summary>
        /// UpdateItem (learn.microsoft.com, "UpdateItem operation"): ItemId with Id and ChangeKey, ConflictResolution
        /// AlwaysOverwrite (required attribute; G5Mail's activity is the source of truth), SendMeetingInvitationsOrCancellations
        /// (required for calendar items), and one SetItemField per property (learn.microsoft.com, "SetItemField": exactly one
        /// property in the item element, ErrorIncorrectUpdatePropertyCount otherwise); properties the activity no longer has
        /// are removed with DeleteItemField. The time zones come before Start and End, as the EWS Managed API orders them, so the
        /// new times are read in the new zone.
        /// </summary>
        public static EwsRequest UpdateItem(string itemId, string? changeKey, Activity activity, bool inviteAttendees)
        {
            bool invite = inviteAttendees && activity.Attendees.Count > 0;
            string zone = WindowsTimeZone(activity.TimeZoneId);
            var updates = new XElement(T + "Updates");
            void Set(string field, XElement value) =>
                updates.Add(new XElement(T + "SetItemField", new XElement(T + "FieldURI", new XAttribute("FieldURI", field)), new XElement(T + "CalendarItem", value)));
            void Delete(string field) =>
                updates.Add(new XElement(T + "DeleteItemField", new XElement(T + "FieldURI", new XAttribute("FieldURI", field))));

            Set("item:Subject", new XElement(T + "Subject", Text(activity.Subject)));
            Set("item:Body", Body(activity));
            if (activity.Categories.Count > 0)
            {
                Set("item:Categories", Categories(activity));
            }
            else
            {
                Delete("item:Categories");
            }

            Set("item:ReminderIsSet", new XElement(T + "ReminderIsSet", activity.ReminderMinutes.HasValue ? "true" : "false"));
            if (activity.ReminderMinutes.HasValue)
            {
                Set("item:ReminderMinutesBeforeStart", new XElement(T + "ReminderMinutesBeforeStart", activity.ReminderMinutes.Value.ToString(CultureInfo.InvariantCulture)));
            }

            Set("calendar:StartTimeZone", new XElement(T + "StartTimeZone", new XAttribute("Id", zone)));
            Set("calendar:EndTimeZone", new XElement(T + "EndTimeZone", new XAttribute("Id", zone)));
            Set("calendar:Start", new XElement(T + "Start", UtcTime(activity.Start)));
            Set("calendar:End", new XElement(T + "End", UtcTime(activity.End)));
            Set("calendar:IsAllDayEvent", new XElement(T + "IsAllDayEvent", activity.AllDay ? "true" : "false"));
            Set("calendar:LegacyFreeBusyStatus", new XElement(T + "LegacyFreeBusyStatus", FreeBusy(activity.ShowAs)));
            if (!string.IsNullOrEmpty(activity.Location))
            {
                Set("calendar:Location", new XElement(T + "Location", Text(activity.Location)));
            }
            else
            {
                Delete("calendar:Location");
            }

            if (inviteAttendees)
            {
                if (invite)
                {
                    Set("calendar:RequiredAttendees", Attendees(activity));
                }
                else
                {
                    Delete("calendar:RequiredAttendees");
                }
            }

            var id = new XElement(T + "ItemId", new XAttribute("Id", itemId));
            if (changeKey != null)
            {
                id.Add(new XAttribute("ChangeKey", changeKey));
            }

            var body = new XElement(M + "UpdateItem",
                new XAttribute("ConflictResolution", "AlwaysOverwrite"),
                new XAttribute("SendMeetingInvitationsOrCancellations", invite ? "SendToAllAndSaveCopy" : "SendToNone"),
                new XElement(M + "ItemChanges", new XElement(T + "ItemChange", id, updates)));
            return Build("UpdateItem", body);
        }

        /// <summary>
        /// DeleteItem (learn.microsoft.com, "DeleteItem operation"): DeleteType MoveToDeletedItems (the user can restore it)
        /// and SendMeetingCancellations, required for calendar items (ErrorSendMeetingCancellationsRequired otherwise).
        /// </summary>
        public static EwsRequest DeleteItem(string itemId, bool sendCancellations)
        {
            var body = new XElement(M + "DeleteItem",
                new XAttribute("DeleteType", "MoveToDeletedItems"),
                new XAttribute("SendMeetingCancellations", sendCancellations ? "SendToAllAndSaveCopy" : "SendToNone"),
                new XElement(M + "ItemIds", new XElement(T + "ItemId", new XAttribute("Id", itemId))));
            return Build("DeleteItem", body);
        }

        /// <summary>
        /// CreateItem of a t:CancelCalendarItem (learn.microsoft.com, "CancelCalendarItem"; "Cancel meetings by using EWS"):
        /// the organizer cancels the meeting, the attendees get the cancellation (MessageDisposition SendAndSaveCopy), and
        /// Exchange removes the meeting from the organizer's calendar. ReferenceItemId names the meeting by Id and ChangeKey.
        /// </summary>
        public static EwsRequest CancelCalendarItem(string itemId, string? changeKey, string? mailbox)
        {
            var reference = new XElement(T + "ReferenceItemId", new XAttribute("Id", itemId));
            if (changeKey != null)
            {
                reference.Add(new XAttribute("ChangeKey", changeKey));
            }

            var body = new XElement(M + "CreateItem",
                new XAttribute("MessageDisposition", "SendAndSaveCopy"),
                mailbox == null ? null : new XElement(M + "SavedItemFolderId", Folder("sentitems", mailbox)),
                new XElement(M + "Items", new XElement(T + "CancelCalendarItem", reference)));
            return Build("CreateItem", body);
        }

        /// <summary>
        /// The t:CalendarItem of a create, its children in the order of CalendarItemType (learn.microsoft.com, "CalendarItem"):
        /// the ItemType elements Subject, Body, Categories, ReminderIsSet, ReminderMinutesBeforeStart, ExtendedProperty, then
        /// Start, End, IsAllDayEvent, LegacyFreeBusyStatus, Location, RequiredAttendees, StartTimeZone, EndTimeZone. Start and
        /// End are UTC; StartTimeZone/EndTimeZone (Exchange 2010 and later; "StartTimeZone") carry the activity's zone so Outlook
        /// shows it in the zone it was planned in and an all-day item spans the right days.
        /// </summary>
        private static XElement CalendarItem(Activity activity, bool invite)
        {
            string zone = WindowsTimeZone(activity.TimeZoneId);
            var item = new XElement(T + "CalendarItem",
                new XElement(T + "Subject", Text(activity.Subject)),
                Body(activity),
                activity.Categories.Count > 0 ? Categories(activity) : null,
                new XElement(T + "ReminderIsSet", activity.ReminderMinutes.HasValue ? "true" : "false"),
                activity.ReminderMinutes.HasValue
                    ? new XElement(T + "ReminderMinutesBeforeStart", activity.ReminderMinutes.Value.ToString(CultureInfo.InvariantCulture))
                    : null,
                new XElement(T + "ExtendedProperty", ActivityIdUri(), new XElement(T + "Value", Text(activity.ActivityId))),
                new XElement(T + "Start", UtcTime(activity.Start)),
                new XElement(T + "End", UtcTime(activity.End)),
                new XElement(T + "IsAllDayEvent", activity.AllDay ? "true" : "false"),
                new XElement(T + "LegacyFreeBusyStatus", FreeBusy(activity.ShowAs)),
                string.IsNullOrEmpty(activity.Location) ? null : new XElement(T + "Location", Text(activity.Location)),
                invite ? Attendees(activity) : null,
                new XElement(T + "StartTimeZone", new XAttribute("Id", zone)),
                new XElement(T + "EndTimeZone", new XAttribute("Id", zone)));
            return item;
        }

        private static XElement Body(Activity activity) =>
            new XElement(T + "Body", new XAttribute("BodyType", "Text"), Text(activity.Description));

        private static XElement Categories(Activity activity) =>
            new XElement(T + "Categories", activity.Categories.Select(c => new XElement(T + "String", Text(c))));

        /// <summary>RequiredAttendees: t:Attendee/t:Mailbox with Name (when given) before EmailAddress ("Attendee", "Mailbox").</summary>
        private static XElement Attendees(Activity activity) =>
            new XElement(T + "RequiredAttendees", activity.Attendees.Select(a => new XElement(T + "Attendee", Mailbox(a))));

        private static XElement Mailbox(string text)
        {
            string? name = null;
            string address = text.Trim();
            if (MailAddresses.TryParseMailbox(text, out MailboxAddress parsed))
            {
                name = string.IsNullOrWhiteSpace(parsed.Name) ? null : parsed.Name;
                address = parsed.Address;
            }

            return new XElement(T + "Mailbox", name == null ? null : new XElement(T + "Name", Text(name)), new XElement(T + "EmailAddress", Text(address)));
        }

        private static XElement ActivityIdUri() =>
            new XElement(T + "ExtendedFieldURI",
                new XAttribute("PropertySetId", PropertySetId),
                new XAttribute("PropertyName", PropertyName),
                new XAttribute("PropertyType", "String"));

        /// <summary>t:DistinguishedFolderId, with t:Mailbox/t:EmailAddress when it is another mailbox's (the mailbox reader's too).</summary>
        internal static XElement Folder(string distinguished, string? mailbox) =>
            new XElement(T + "DistinguishedFolderId", new XAttribute("Id", distinguished),
                mailbox == null ? null : new XElement(T + "Mailbox", new XElement(T + "EmailAddress", Text(mailbox))));

        private static string Text(string? text) => EwsRequestWriter.XmlText(text);

        /// <summary>The operation element, serialized once with t:/m: prefixes, written raw into the envelope's soap:Body.</summary>
        internal static EwsRequest Build(string operation, XElement body)
        {
            body.SetAttributeValue(XNamespace.Xmlns + "t", EwsNames.Types);
            body.SetAttributeValue(XNamespace.Xmlns + "m", EwsNames.Messages);
            var settings = new XmlWriterSettings
            {
                OmitXmlDeclaration = true,
                Indent = false,
                // CR in a description must survive XML line-end normalization on the server, as in the mail path.
                NewLineHandling = NewLineHandling.Entitize,
                ConformanceLevel = ConformanceLevel.Fragment,
            };
            var text = new StringBuilder();
            using (XmlWriter writer = XmlWriter.Create(new StringWriter(text, CultureInfo.InvariantCulture), settings))
            {
                body.WriteTo(writer);
            }

            string xml = text.ToString();
            return EwsRequest.Create(operation, Array.Empty<DocumentFile>(), (w, withContent, ct) => w.WriteRawAsync(xml));
        }
    }
}
