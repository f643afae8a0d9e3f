using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TimeZoneConverter;

namespace G5Mail.TestServers;

/// <summary>
/// The calendar operations of the EWS stand-in, as Exchange 2013 and later answer them. What each enforces, with the page
/// of learn.microsoft.com/exchange/client-developer/web-service-reference/ it comes from:
/// - CreateItem of t:CalendarItem ("CreateItem operation (calendar item)"): SendMeetingInvitations is required for calendar
///   items (ErrorSendMeetingInvitationsRequired, "ResponseCode"); the children in CalendarItemType's order ("CalendarItem");
///   a calendar item with attendees is a meeting, and meeting requests go out only with SendOnlyToAll/SendToAllAndSaveCopy.
/// - UpdateItem ("UpdateItem operation"): ConflictResolution is a required attribute; SendMeetingInvitationsOrCancellations
///   is required for calendar items (ErrorSendMeetingInvitationsOrCancellationsRequired); each SetItemField changes exactly
///   one property (ErrorIncorrectUpdatePropertyCount, "SetItemField"); a ChangeKey that is not the item's current one fails
///   with ErrorIrresolvableConflict under NeverOverwrite ("ConflictResolution": AutoResolve and AlwaysOverwrite overwrite);
///   without a ChangeKey only AlwaysOverwrite may write (ErrorChangeKeyRequiredForWriteOperations); each update gives the
///   item a new ChangeKey ("ItemId").
/// - GetItem ("GetItem operation (calendar item)"): ItemShape/BaseShape required, AdditionalProperties.
/// - DeleteItem ("DeleteItem operation"): DeleteType is required; SendMeetingCancellations is required for calendar items
///   (ErrorSendMeetingCancellationsRequired); MoveToDeletedItems moves the item to Deleted Items, where it has a new id.
/// - CreateItem of t:CancelCalendarItem ("CancelCalendarItem"): MessageDisposition required, ReferenceItemId required; the
///   attendees get a cancellation and the meeting leaves the organizer's calendar.
/// - FindItem ("FindItem operation", "Restriction", "IsEqualTo"): Traversal required; ItemShape, Restriction, ParentFolderIds
///   in that order; IsEqualTo on an ExtendedFieldURI compared with a Constant.
/// - Ids ("ItemId"): not base64 is ErrorInvalidIdMalformed; unknown, or moved by a delete, is ErrorItemNotFound.
/// - Time zones ("StartTimeZone", "EndTimeZone"): Id must be a time zone Exchange knows (the Windows ids), else ErrorTimeZone.
/// - ExtendedFieldURI ("ExtendedFieldURI"): PropertyType required; PropertySetId a GUID with PropertyName or PropertyId;
///   PropertyTag not together with a property set (ErrorInvalidExtendedProperty).
/// - DistinguishedFolderId with t:Mailbox ("DistinguishedFolderId"): another mailbox's calendar needs delegate access
///   (ErrorAccessDenied), and an address without a mailbox is ErrorNonExistentMailbox.
/// Schema violations throw <see cref="EwsSchemaException"/> (an ErrorSchemaValidation fault); the others are error
/// response messages, one per item.
/// </summary>
public static class EwsCalendarEndpoints
{
    private static readonly XNamespace T = EwsNs.Types;
    private static readonly XNamespace M = EwsNs.Messages;

    /// <summary>CalendarItemType's children in schema order: ItemType's, then the calendar's own ("CalendarItem"; MS-OXWSMTGS 2.2.4.6).</summary>
    private static readonly string[] CalendarItemOrder =
    {
        "MimeContent", "ItemId", "ParentFolderId", "ItemClass", "Subject", "Sensitivity", "Body", "Attachments", "DateTimeReceived", "Size",
        "Categories", "Importance", "InReplyTo", "IsSubmitted", "IsDraft", "IsFromMe", "IsResend", "IsUnmodified", "InternetMessageHeaders",
        "DateTimeSent", "DateTimeCreated", "ResponseObjects", "ReminderDueBy", "ReminderIsSet", "ReminderMinutesBeforeStart", "DisplayCc",
        "DisplayTo", "HasAttachments", "ExtendedProperty", "Culture", "UID", "RecurrenceId", "DateTimeStamp", "Start", "End", "OriginalStart",
        "IsAllDayEvent", "LegacyFreeBusyStatus", "Location", "When", "IsMeeting", "IsCancelled", "IsRecurring", "MeetingRequestWasSent",
        "IsResponseRequested", "CalendarItemType", "MyResponseType", "Organizer", "RequiredAttendees", "OptionalAttendees", "Resources",
        "ConflictingMeetingCount", "AdjacentMeetingCount", "ConflictingMeetings", "AdjacentMeetings", "Duration", "TimeZone",
        "AppointmentReplyTime", "AppointmentSequenceNumber", "AppointmentState", "Recurrence", "FirstOccurrence", "LastOccurrence",
        "ModifiedOccurrences", "DeletedOccurrences", "MeetingTimeZone", "StartTimeZone", "EndTimeZone", "ConferenceType",
        "AllowNewTimeProposal", "IsOnlineMeeting", "MeetingWorkspaceUrl", "NetShowUrl",
    };

    /// <summary>Read-only on a calendar item: setting one is ErrorInvalidPropertySet ("ResponseCode").</summary>
    private static readonly string[] ReadOnly =
    {
        "ItemId", "ParentFolderId", "DateTimeReceived", "Size", "IsSubmitted", "IsDraft", "IsFromMe", "IsResend", "IsUnmodified", "DateTimeSent",
        "DateTimeCreated", "ResponseObjects", "DisplayCc", "DisplayTo", "HasAttachments", "IsCancelled", "IsRecurring", "MeetingRequestWasSent",
        "CalendarItemType", "MyResponseType", "Organizer", "ConflictingMeetingCount", "AdjacentMeetingCount", "ConflictingMeetings",
        "AdjacentMeetings", "Duration", "AppointmentReplyTime", "AppointmentSequenceNumber", "AppointmentState", "FirstOccurrence",
        "LastOccurrence", "ModifiedOccurrences", "DeletedOccurrences",
    };

    /// <summary>CancelCalendarItem's children in order ("CancelCalendarItem").</summary>
    private static readonly string[] CancelOrder =
    {
        "ItemClass", "Sensitivity", "Body", "Attachments", "InternetMessageHeaders", "Sender", "ToRecipients", "CcRecipients", "BccRecipients",
        "IsReadReceiptRequested", "IsDeliveryReceiptRequested", "From", "ReferenceItemId", "NewBodyContent",
    };

    /// <summary>The FieldURI values (UnindexedFieldURIType) the stand-in updates, with the element each names.</summary>
    private static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["item:Subject"] = "Subject", ["item:Body"] = "Body", ["item:Categories"] = "Categories", ["item:ReminderIsSet"] = "ReminderIsSet",
        ["item:ReminderMinutesBeforeStart"] = "ReminderMinutesBeforeStart", ["calendar:Start"] = "Start", ["calendar:End"] = "End",
        ["calendar:IsAllDayEvent"] = "IsAllDayEvent", ["calendar:LegacyFreeBusyStatus"] = "LegacyFreeBusyStatus", ["calendar:Location"] = "Location",
        ["calendar:RequiredAttendees"] = "RequiredAttendees", ["calendar:StartTimeZone"] = "StartTimeZone", ["calendar:EndTimeZone"] = "EndTimeZone",
        ["calendar:IsMeeting"] = "IsMeeting", ["calendar:IsCancelled"] = "IsCancelled",
    };

    /// <summary>MapiPropertyTypeType's single-value members ("ExtendedFieldURI").</summary>
    private static readonly string[] PropertyTypes =
    {
        "ApplicationTime", "Binary", "Boolean", "CLSID", "Currency", "Double", "Error", "Float", "Integer", "IntArray", "Long", "Null", "Object",
        "Short", "SystemTime", "String", "StringArray", "BinaryArray", "SystemTimeArray", "CLSIDArray", "LongArray", "ShortArray", "ObjectArray",
        "ApplicationTimeArray", "CurrencyArray", "DoubleArray", "FloatArray",
    };

    /// <summary>GET /_test/ews/calendar (every item, Deleted Items included) and GET /_test/ews/meetingMessages.</summary>
    public static void MapTestControl(IEndpointRouteBuilder app, EwsState ews)
    {
        app.MapGet("/_test/ews/calendar", () => Results.Json(ews.Calendar.Snapshot(), TestServerConfig.JsonOptions));
        app.MapGet("/_test/ews/meetingMessages", () => Results.Json(ews.Calendar.Messages(), TestServerConfig.JsonOptions));
    }

    /// <summary>An error response message for one item (the operation goes on with the next).</summary>
    internal sealed class ItemError : Exception
    {
        public ItemError(string code, string text) : base(text) => Code = code;
        public string Code { get; }
    }

    internal static EwsSchemaException Invalid(XObject at, string message)
    {
        var info = (IXmlLineInfo)at;
        return new EwsSchemaException(message, info.HasLineInfo() ? info.LineNumber : 0, info.HasLineInfo() ? info.LinePosition : 0);
    }

    /// <summary>The children of <paramref name="parent"/> must be in <paramref name="ns"/>, from <paramref name="order"/>, in its order.</summary>
    internal static void CheckOrder(XElement parent, XNamespace ns, string[] order, params string[] repeatable)
    {
        int last = -1;
        foreach (XElement child in parent.Elements())
        {
            int index = child.Name.Namespace == ns ? Array.IndexOf(order, child.Name.LocalName) : -1;
            bool repeat = index == last && repeatable.Contains(child.Name.LocalName);
            if (index < 0 || (index <= last && !repeat))
            {
                throw Invalid(child, $"The element '{parent.Name.LocalName}' in namespace '{parent.Name.NamespaceName}' has invalid child element " +
                                     $"'{child.Name.LocalName}' in namespace '{child.Name.NamespaceName}'. List of possible elements expected: '" +
                                     string.Join(", ", order.Skip(last + 1)) + "'.");
            }

            last = index;
        }
    }

    internal static XElement Required(XElement parent, XName name)
    {
        return parent.Element(name) ?? throw Invalid(parent, $"The element '{parent.Name.LocalName}' in namespace '{parent.Name.NamespaceName}' has incomplete " +
                                                            $"content. List of possible elements expected: '{name.LocalName}'.");
    }

    internal static string RequiredAttribute(XElement element, string name)
    {
        return (string?)element.Attribute(name) ?? throw Invalid(element, $"The required attribute '{name}' of {element.Name.LocalName} is missing.");
    }

    internal static void Enumeration(XObject at, string attribute, string? value, string type, params string[] allowed)
    {
        if (value is not null && !allowed.Contains(value, StringComparer.Ordinal))
        {
            throw Invalid(at, $"The '{attribute}' attribute is invalid - The value '{value}' is invalid according to its datatype '{EwsNs.Types}:{type}' - " +
                              "The Enumeration constraint failed.");
        }
    }

    /// <summary>FindItem, GetItem, UpdateItem, DeleteItem.</summary>
    public static byte[] Handle(EwsState ews, EwsUserConfig user, XElement op)
    {
        return op.Name.LocalName switch
        {
            "FindItem" => FindItem(ews, user, op),
            "GetItem" => GetItem(ews, user, op),
            "UpdateItem" => UpdateItem(ews, user, op),
            "DeleteItem" => DeleteItem(ews, user, op),
            _ => throw Invalid(op, $"The stand-in does not implement '{op.Name.LocalName}'."),
        };
    }

    private static EwsSoapWriter.ResponseMessage Error(string code, string text) => new("Error", code, text);

    internal static EwsSoapWriter.ResponseMessage Run(Func<EwsSoapWriter.ResponseMessage> item)
    {
        try
        {
            return item();
        }
        catch (ItemError error)
        {
            return Error(error.Code, error.Message);
        }
    }

    /// <summary>The mailbox whose calendar is meant: the user's own, or one it has delegate access to.</summary>
    private static string MailboxFor(EwsState ews, EwsUserConfig user, string? named)
    {
        if (user.AccessDenied)
        {
            throw new ItemError("ErrorAccessDenied", "Access is denied. Check credentials and try again.");
        }

        if (named is null || string.Equals(named, user.EmailAddress, StringComparison.OrdinalIgnoreCase))
        {
            return user.EmailAddress;
        }

        if (!ews.Config.Users.Any(u => string.Equals(u.EmailAddress, named, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ItemError("ErrorNonExistentMailbox", $"No mailbox with such SMTP address: {named}.");
        }

        if (!user.CalendarAccess.Contains(named, StringComparer.OrdinalIgnoreCase))
        {
            throw new ItemError("ErrorAccessDenied", "Access is denied. Check credentials and try again.");
        }

        return named.ToLowerInvariant();
    }

    private static bool MayAccess(EwsUserConfig user, string mailbox) =>
        string.Equals(mailbox, user.EmailAddress, StringComparison.OrdinalIgnoreCase) || user.CalendarAccess.Contains(mailbox, StringComparer.OrdinalIgnoreCase);

    /// <summary>A t:DistinguishedFolderId (calendar or another) with an optional t:Mailbox.</summary>
    private static (string Id, string? Mailbox) Folder(XElement parent)
    {
        XElement? folder = parent.Elements().FirstOrDefault();
        if (folder is null || parent.Elements().Count() != 1 || folder.Name.Namespace != T || folder.Name.LocalName is not ("DistinguishedFolderId" or "FolderId"))
        {
            throw Invalid(folder ?? parent, $"The element '{parent.Name.LocalName}' expects one 'FolderId' or 'DistinguishedFolderId'.");
        }

        string id = RequiredAttribute(folder, "Id");
        if (folder.Name.LocalName == "DistinguishedFolderId" && !EwsSoapReader.DistinguishedFolders.Contains(id, StringComparer.Ordinal))
        {
            throw Invalid(folder, $"The 'Id' attribute is invalid - The value '{id}' is invalid according to its datatype '{EwsNs.Types}:DistinguishedFolderIdNameType'.");
        }

        string? mailbox = folder.Element(T + "Mailbox")?.Element(T + "EmailAddress")?.Value.Trim();
        return (folder.Name.LocalName == "DistinguishedFolderId" ? id : "folder:" + id, mailbox);
    }

    /// <summary>The item an ItemId names, in a calendar the user may use: ErrorInvalidIdMalformed, ErrorItemNotFound, ErrorAccessDenied.</summary>
    private static EwsCalendarItem Find(EwsState ews, EwsUserConfig user, string id)
    {
        try
        {
            Convert.FromBase64String(id);
        }
        catch (FormatException)
        {
            throw new ItemError("ErrorInvalidIdMalformed", "Id is malformed.");
        }

        EwsCalendarItem? item = ews.Calendar.Items.FirstOrDefault(i => i.Id == id);
        if (item is null)
        {
            throw new ItemError("ErrorItemNotFound", "The specified object was not found in the store.");
        }

        if (!MayAccess(user, item.Mailbox))
        {
            throw new ItemError("ErrorAccessDenied", "Access is denied. Check credentials and try again.");
        }

        return item;
    }

    internal static bool Bool(XElement e)
    {
        string v = e.Value.Trim();
        return v switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw Invalid(e, $"The '{e.Name.LocalName}' element is invalid - The value '{v}' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:boolean'."),
        };
    }

    /// <summary>xs:dateTime; kept as UTC ("2027-04-15T12:30:00Z").</summary>
    private static string DateTimeUtc(XElement e)
    {
        try
        {
            DateTimeOffset value = XmlConvert.ToDateTimeOffset(e.Value.Trim());
            return value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }
        catch (FormatException)
        {
            throw Invalid(e, $"The '{e.Name.LocalName}' element is invalid - The value '{e.Value}' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:dateTime'.");
        }
    }

    /// <summary>A Windows time zone id Exchange knows (its registry's ids; TimeZoneConverter's CLDR table lists them), or ErrorTimeZone.</summary>
    private static string TimeZoneId(XElement e)
    {
        string id = (string?)e.Attribute("Id") ?? throw new ItemError("ErrorTimeZone", $"{e.Name.LocalName} needs an Id (or a full time zone definition).");
        if (id != "UTC" && !TZConvert.TryWindowsToIana(id, out _))
        {
            throw new ItemError("ErrorTimeZone", $"The time zone isn't valid: '{id}' is not a time zone Exchange knows.");
        }

        return id;
    }

    /// <summary>An ExtendedFieldURI as (set, name, type), checked as "ExtendedFieldURI" describes.</summary>
    private static (string Set, string Name, string Type) ExtendedUri(XElement uri)
    {
        string type = RequiredAttribute(uri, "PropertyType");
        Enumeration(uri, "PropertyType", type, "MapiPropertyTypeType", PropertyTypes);
        string? set = (string?)uri.Attribute("PropertySetId");
        string? distinguished = (string?)uri.Attribute("DistinguishedPropertySetId");
        string? name = (string?)uri.Attribute("PropertyName");
        string? propertyId = (string?)uri.Attribute("PropertyId");
        string? tag = (string?)uri.Attribute("PropertyTag");
        if (set is not null && !Guid.TryParse(set, out _))
        {
            throw Invalid(uri, $"The 'PropertySetId' attribute is invalid - The value '{set}' is invalid according to its datatype '{EwsNs.Types}:GuidType'.");
        }

        bool hasSet = set is not null || distinguished is not null;
        if ((tag is not null && (hasSet || name is not null || propertyId is not null)) || (hasSet && (name is null) == (propertyId is null)) ||
            (!hasSet && tag is null) || (set is not null && distinguished is not null))
        {
            throw new ItemError("ErrorInvalidExtendedProperty", "The extended property attribute combination is invalid.");
        }

        return ((set ?? distinguished ?? "tag").ToLowerInvariant(), name ?? propertyId ?? tag!, type);
    }

    /// <summary>Sets one property of <paramref name="item"/> from its element (create, or one SetItemField).</summary>
    private static void Apply(EwsCalendarItem item, XElement property)
    {
        string name = property.Name.LocalName;
        if (ReadOnly.Contains(name))
        {
            throw new ItemError("ErrorInvalidPropertySet", $"The property {name} is read-only and cannot be set.");
        }

        switch (name)
        {
            case "ItemClass":
                item.ItemClass = property.Value;
                break;
            case "Subject":
                item.Subject = property.Value;
                break;
            case "Body":
                string bodyType = RequiredAttribute(property, "BodyType");
                Enumeration(property, "BodyType", bodyType, "BodyTypeType", "HTML", "Text");
                item.BodyType = bodyType;
                item.Body = property.Value;
                break;
            case "Categories":
                if (property.Elements().Any(e => e.Name != T + "String"))
                {
                    throw Invalid(property, "The element 'Categories' accepts only 't:String' children (ArrayOfStringsType).");
                }

                item.Categories = property.Elements().Select(e => e.Value).ToList();
                break;
            case "ReminderIsSet":
                item.ReminderIsSet = Bool(property);
                break;
            case "ReminderMinutesBeforeStart":
                if (!int.TryParse(property.Value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int minutes) || minutes < 0)
                {
                    throw Invalid(property, $"The 'ReminderMinutesBeforeStart' element has invalid value '{property.Value}' (ReminderMinutesBeforeStartType: 0 or more).");
                }

                item.ReminderMinutesBeforeStart = minutes;
                break;
            case "ExtendedProperty":
                CheckOrder(property, T, new[] { "ExtendedFieldURI", "Value", "Values" });
                (string set, string prop, string type) = ExtendedUri(Required(property, T + "ExtendedFieldURI"));
                string value = (property.Element(T + "Value") ?? property.Element(T + "Values") ??
                                throw Invalid(property, "The element 'ExtendedProperty' has incomplete content. List of possible elements expected: 'Value, Values'.")).Value;
                item.ExtendedProperties.RemoveAll(p => p.PropertySetId == set && p.PropertyName == prop);
                item.ExtendedProperties.Add(new EwsExtendedValue(set, prop, type, value));
                break;
            case "Start":
                item.Start = DateTimeUtc(property);
                break;
            case "End":
                item.End = DateTimeUtc(property);
                break;
            case "IsAllDayEvent":
                item.IsAllDayEvent = Bool(property);
                break;
            case "LegacyFreeBusyStatus":
                string status = property.Value.Trim();
                if (status is not ("Free" or "Tentative" or "Busy" or "OOF" or "WorkingElsewhere" or "NoData"))
                {
                    throw Invalid(property, $"The 'LegacyFreeBusyStatus' element has invalid value '{status}' according to its datatype '{EwsNs.Types}:LegacyFreeBusyType'.");
                }

                item.LegacyFreeBusyStatus = status;
                break;
            case "Location":
                item.Location = property.Value;
                break;
            case "RequiredAttendees":
                var attendees = new List<string>();
                foreach (XElement attendee in property.Elements())
                {
                    string? address = attendee.Name == T + "Attendee" ? attendee.Element(T + "Mailbox")?.Element(T + "EmailAddress")?.Value.Trim() : null;
                    if (string.IsNullOrEmpty(address))
                    {
                        throw Invalid(attendee, "RequiredAttendees holds t:Attendee elements, each with a t:Mailbox and its t:EmailAddress.");
                    }

                    attendees.Add(address);
                }

                item.RequiredAttendees = attendees;
                // "CreateItem operation (calendar item)": with attendees the calendar item is a meeting.
                item.IsMeeting = attendees.Count > 0 || item.IsMeeting;
                break;
            case "StartTimeZone":
                item.StartTimeZone = TimeZoneId(property);
                break;
            case "EndTimeZone":
                item.EndTimeZone = TimeZoneId(property);
                break;
            case "IsMeeting":
                item.IsMeeting = Bool(property);
                break;
            default:
                // Valid in its place; the stand-in does not keep it.
                break;
        }
    }

    private static void CheckTimes(EwsCalendarItem item)
    {
        if (item.Start is not null && item.End is not null && string.CompareOrdinal(item.End, item.Start) < 0)
        {
            throw new ItemError("ErrorCalendarEndDateIsEarlierThanStartDate", "The end date occurs before the start date.");
        }
    }

    private static void Invite(EwsState ews, EwsCalendarItem item, string kind, string operation)
    {
        if (item.RequiredAttendees.Count > 0)
        {
            ews.Calendar.Send(new EwsMeetingMessage(kind, operation, item.Id, item.Mailbox, item.RequiredAttendees.ToList(), item.Subject));
        }
    }

    private static Action<XmlWriter> ItemIdContent(EwsCalendarItem item) => w =>
    {
        w.WriteStartElement("t", "CalendarItem", EwsNs.Types);
        WriteItemId(w, item);
        w.WriteEndElement();
    };

    private static void WriteItemId(XmlWriter w, EwsCalendarItem item) => WriteId(w, "ItemId", item.Id, item.ChangeKey);

    /// <summary>t:ItemId or t:FolderId with Id and ChangeKey ("ItemId", "FolderId"), for calendar items, messages and folders.</summary>
    internal static void WriteId(XmlWriter w, string element, string id, string changeKey)
    {
        w.WriteStartElement("t", element, EwsNs.Types);
        w.WriteAttributeString("Id", id);
        w.WriteAttributeString("ChangeKey", changeKey);
        w.WriteEndElement();
    }

    /// <summary>CreateItem of CalendarItem or CancelCalendarItem items (the request reader kept them as XML).</summary>
    public static byte[] CreateItem(EwsState ews, EwsUserConfig user, EwsCreateItem op)
    {
        var results = new List<EwsSoapWriter.ResponseMessage>();
        lock (ews.Calendar.Gate)
        {
            foreach (XElement element in op.CalendarItems)
            {
                results.Add(element.Name.LocalName == "CalendarItem" ? Run(() => CreateCalendarItem(ews, user, op, element)) : Run(() => Cancel(ews, user, op, element)));
            }
        }

        return EwsSoapWriter.Response(ews.Config.ServerVersion, "CreateItem", results, "Items");
    }

    private static EwsSoapWriter.ResponseMessage CreateCalendarItem(EwsState ews, EwsUserConfig user, EwsCreateItem op, XElement element)
    {
        CheckOrder(element, T, CalendarItemOrder, "ExtendedProperty");
        if (op.SendMeetingInvitations is null)
        {
            throw new ItemError("ErrorSendMeetingInvitationsRequired", "SendMeetingInvitations attribute is required for calendar items.");
        }

        string folder = op.SavedItemFolderId?.Id ?? "calendar";
        if (folder != "calendar")
        {
            throw new ItemError("ErrorInvalidRequest", $"The stand-in keeps calendar items in the calendar folder only, not in '{folder}'.");
        }

        string mailbox = MailboxFor(ews, user, op.SavedItemFolderId?.Mailbox);
        var item = new EwsCalendarItem { Id = EwsCalendarStore.NewId(), ChangeKey = EwsCalendarStore.NewChangeKey(), Mailbox = mailbox };
        foreach (XElement property in element.Elements())
        {
            Apply(item, property);
        }

        CheckTimes(item);
        item.ChangeKeys.Add(item.ChangeKey);
        if (op.SendMeetingInvitations != "SendToNone" && item.RequiredAttendees.Count > 0)
        {
            item.MeetingRequestWasSent = true;
            Invite(ews, item, "Request", "CreateItem");
        }

        ews.Calendar.Items.Add(item);
        return new EwsSoapWriter.ResponseMessage("Success", "NoError", Content: ItemIdContent(item));
    }

    private static EwsSoapWriter.ResponseMessage Cancel(EwsState ews, EwsUserConfig user, EwsCreateItem op, XElement element)
    {
        CheckOrder(element, T, CancelOrder);
        if (op.MessageDisposition is null)
        {
            throw new ItemError("ErrorMessageDispositionRequired", "MessageDisposition attribute is required.");
        }

        XElement reference = Required(element, T + "ReferenceItemId");
        EwsCalendarItem item = Find(ews, user, RequiredAttribute(reference, "Id"));
        if (item.Folder != "calendar")
        {
            throw new ItemError("ErrorItemNotFound", "The specified object was not found in the store.");
        }

        item.IsCancelled = true;
        if (op.MessageDisposition != "SaveOnly")
        {
            Invite(ews, item, "Cancellation", "CancelCalendarItem");
        }

        MoveToDeletedItems(item);
        // SendAndSaveCopy and SendOnly return no item ("CreateItem").
        return new EwsSoapWriter.ResponseMessage("Success", "NoError");
    }

    /// <summary>Moved items get a new id: the old one is ErrorItemNotFound from now on.</summary>
    private static void MoveToDeletedItems(EwsCalendarItem item)
    {
        item.Folder = "deleteditems";
        item.Id = EwsCalendarStore.NewId();
        item.ChangeKey = EwsCalendarStore.NewChangeKey();
    }

    private static byte[] GetItem(EwsState ews, EwsUserConfig user, XElement op)
    {
        CheckOrder(op, M, new[] { "ItemShape", "ItemIds" });
        XElement shape = Required(op, M + "ItemShape");
        string baseShape = BaseShape(shape);
        List<string> additional = Additional(shape);
        XElement ids = Required(op, M + "ItemIds");
        var results = new List<EwsSoapWriter.ResponseMessage>();
        lock (ews.Calendar.Gate)
        {
            foreach (XElement id in ids.Elements())
            {
                if (id.Name != T + "ItemId")
                {
                    throw Invalid(id, "The stand-in reads t:ItemId in ItemIds.");
                }

                string value = RequiredAttribute(id, "Id");
                results.Add(Run(() =>
                {
                    EwsCalendarItem item = Find(ews, user, value);
                    if (item.Folder != "calendar")
                    {
                        throw new ItemError("ErrorItemNotFound", "The specified object was not found in the store.");
                    }

                    EwsCalendarItem copy = item.Copy();
                    return new EwsSoapWriter.ResponseMessage("Success", "NoError", Content: w => WriteItem(w, copy, baseShape, additional));
                }));
            }
        }

        return EwsSoapWriter.Response(ews.Config.ServerVersion, "GetItem", results, "Items");
    }

    internal static string BaseShape(XElement shape)
    {
        CheckOrder(shape, T, new[] { "BaseShape", "IncludeMimeContent", "BodyType", "FilterHtmlContent", "ConvertHtmlCodePageToUTF8", "AdditionalProperties" });
        XElement element = Required(shape, T + "BaseShape");
        string value = element.Value.Trim();
        if (value is not ("IdOnly" or "Default" or "AllProperties"))
        {
            throw Invalid(element, $"The element 'BaseShape' has invalid value '{value}' according to its datatype '{EwsNs.Types}:DefaultShapeNamesType'.");
        }

        return value;
    }

    internal static List<string> Additional(XElement shape) =>
        shape.Element(T + "AdditionalProperties")?.Elements(T + "FieldURI").Select(f => RequiredAttribute(f, "FieldURI")).ToList() ?? new List<string>();

    /// <summary>A calendar item in the shape asked for, its elements in schema order.</summary>
    private static void WriteItem(XmlWriter w, EwsCalendarItem item, string baseShape, List<string> additional)
    {
        bool all = baseShape != "IdOnly";
        bool Has(string field) => all || additional.Contains(field);
        w.WriteStartElement("t", "CalendarItem", EwsNs.Types);
        WriteItemId(w, item);
        if (Has("item:Subject") && item.Subject is not null) w.WriteElementString("t", "Subject", EwsNs.Types, item.Subject);
        if (Has("calendar:Start") && item.Start is not null) w.WriteElementString("t", "Start", EwsNs.Types, item.Start);
        if (Has("calendar:End") && item.End is not null) w.WriteElementString("t", "End", EwsNs.Types, item.End);
        if (Has("calendar:IsAllDayEvent")) w.WriteElementString("t", "IsAllDayEvent", EwsNs.Types, item.IsAllDayEvent ? "true" : "false");
        if (Has("calendar:LegacyFreeBusyStatus")) w.WriteElementString("t", "LegacyFreeBusyStatus", EwsNs.Types, item.LegacyFreeBusyStatus);
        if (Has("calendar:Location") && item.Location is not null) w.WriteElementString("t", "Location", EwsNs.Types, item.Location);
        if (Has("calendar:IsMeeting")) w.WriteElementString("t", "IsMeeting", EwsNs.Types, item.IsMeeting ? "true" : "false");
        if (Has("calendar:IsCancelled")) w.WriteElementString("t", "IsCancelled", EwsNs.Types, item.IsCancelled ? "true" : "false");
        w.WriteEndElement();
    }

    private static byte[] FindItem(EwsState ews, EwsUserConfig user, XElement op)
    {
        string traversal = RequiredAttribute(op, "Traversal");
        Enumeration(op, "Traversal", traversal, "ItemQueryTraversalType", "Shallow", "SoftDeleted", "Associated");
        CheckOrder(op, M, new[]
        {
            "ItemShape", "IndexedPageItemView", "FractionalPageItemView", "SeekToConditionPageItemView", "CalendarView", "ContactsView", "GroupBy",
            "DistinguishedGroupBy", "Restriction", "SortOrder", "ParentFolderIds", "QueryString",
        });
        string baseShape = BaseShape(Required(op, M + "ItemShape"));
        List<string> additional = Additional(Required(op, M + "ItemShape"));
        XElement parents = Required(op, M + "ParentFolderIds");
        Func<EwsCalendarItem, bool> matches = _ => true;
        if (op.Element(M + "Restriction") is XElement restriction)
        {
            matches = Restriction(restriction);
        }

        var results = new List<EwsSoapWriter.ResponseMessage>();
        lock (ews.Calendar.Gate)
        {
            foreach (XElement parent in parents.Elements())
            {
                var wrapper = new XElement(M + "ParentFolderIds", parent);
                (string folder, string? named) = Folder(wrapper);
                results.Add(Run(() =>
                {
                    string mailbox = MailboxFor(ews, user, named);
                    List<EwsCalendarItem> found = traversal != "Shallow" ? new List<EwsCalendarItem>() : ews.Calendar.Items
                        .Where(i => string.Equals(i.Mailbox, mailbox, StringComparison.OrdinalIgnoreCase) && i.Folder == folder && matches(i))
                        .Select(i => i.Copy()).ToList();
                    return new EwsSoapWriter.ResponseMessage("Success", "NoError", Content: w =>
                    {
                        // m:RootFolder ("RootFolder (FindItemResponseMessage)"): the counts, then t:Items.
                        w.WriteAttributeString("TotalItemsInView", found.Count.ToString(CultureInfo.InvariantCulture));
                        w.WriteAttributeString("IncludesLastItemInRange", "true");
                        w.WriteStartElement("t", "Items", EwsNs.Types);
                        foreach (EwsCalendarItem item in found)
                        {
                            WriteItem(w, item, baseShape, additional);
                        }

                        w.WriteEndElement();
                    });
                }));
            }
        }

        return EwsSoapWriter.Response(ews.Config.ServerVersion, "FindItem", results, "RootFolder");
    }

    /// <summary>IsEqualTo: a property path (FieldURI or ExtendedFieldURI), then FieldURIOrConstant with a t:Constant Value ("IsEqualTo").</summary>
    private static Func<EwsCalendarItem, bool> Restriction(XElement restriction)
    {
        XElement? test = restriction.Elements().SingleOrDefault();
        if (test is null || test.Name != T + "IsEqualTo")
        {
            throw new ItemError("ErrorInvalidRequest", "The stand-in implements one restriction: t:IsEqualTo.");
        }

        CheckOrder(test, T, new[] { "FieldURI", "IndexedFieldURI", "ExtendedFieldURI", "FieldURIOrConstant" });
        XElement constant = Required(Required(test, T + "FieldURIOrConstant"), T + "Constant");
        string value = RequiredAttribute(constant, "Value");
        if (test.Element(T + "ExtendedFieldURI") is XElement uri)
        {
            (string set, string name, string type) = ExtendedUri(uri);
            return item => item.ExtendedProperties.Any(p => p.PropertySetId == set && p.PropertyName == name && p.PropertyType == type && p.Value == value);
        }

        if (test.Element(T + "FieldURI") is XElement field && (string?)field.Attribute("FieldURI") == "item:Subject")
        {
            return item => item.Subject == value;
        }

        throw new ItemError("ErrorInvalidRequest", "The stand-in compares ExtendedFieldURI properties and item:Subject only.");
    }

    private static byte[] UpdateItem(EwsState ews, EwsUserConfig user, XElement op)
    {
        string resolution = RequiredAttribute(op, "ConflictResolution");
        Enumeration(op, "ConflictResolution", resolution, "ConflictResolutionType", "NeverOverwrite", "AutoResolve", "AlwaysOverwrite");
        string? disposition = (string?)op.Attribute("MessageDisposition");
        Enumeration(op, "MessageDisposition", disposition, "MessageDispositionType", "SaveOnly", "SendOnly", "SendAndSaveCopy");
        string? send = (string?)op.Attribute("SendMeetingInvitationsOrCancellations");
        Enumeration(op, "SendMeetingInvitationsOrCancellations", send, "CalendarItemUpdateOperationType", "SendToNone", "SendOnlyToAll", "SendOnlyToChanged",
            "SendToAllAndSaveCopy", "SendToChangedAndSaveCopy");
        CheckOrder(op, M, new[] { "SavedItemFolderId", "ItemChanges" });
        XElement changes = Required(op, M + "ItemChanges");
        var results = new List<EwsSoapWriter.ResponseMessage>();
        lock (ews.Calendar.Gate)
        {
            foreach (XElement change in changes.Elements())
            {
                if (change.Name != T + "ItemChange")
                {
                    throw Invalid(change, "ItemChanges holds t:ItemChange elements.");
                }

                CheckOrder(change, T, new[] { "ItemId", "OccurrenceItemId", "RecurringMasterItemId", "Updates" });
                XElement id = Required(change, T + "ItemId");
                XElement updates = Required(change, T + "Updates");
                foreach (XElement update in updates.Elements())
                {
                    if (update.Name.Namespace != T || update.Name.LocalName is not ("AppendToItemField" or "SetItemField" or "DeleteItemField"))
                    {
                        throw Invalid(update, "Updates holds AppendToItemField, SetItemField and DeleteItemField elements.");
                    }
                }

                results.Add(Run(() => UpdateOne(ews, user, resolution, send, id, updates)));
            }
        }

        return EwsSoapWriter.Response(ews.Config.ServerVersion, "UpdateItem", results, "Items");
    }

    private static EwsSoapWriter.ResponseMessage UpdateOne(EwsState ews, EwsUserConfig user, string resolution, string? send, XElement id, XElement updates)
    {
        EwsCalendarItem item = Find(ews, user, RequiredAttribute(id, "Id"));
        if (item.Folder != "calendar")
        {
            throw new ItemError("ErrorItemNotFound", "The specified object was not found in the store.");
        }

        if (send is null)
        {
            throw new ItemError("ErrorSendMeetingInvitationsOrCancellationsRequired", "The SendMeetingInvitationsOrCancellations attribute is required for calendar items.");
        }

        CheckChangeKey(id, item.ChangeKey, resolution);

        // All changes or none: work on a copy.
        EwsCalendarItem updated = item.Copy();
        foreach (XElement update in updates.Elements())
        {
            XElement? path = update.Elements().FirstOrDefault();
            if (path is null || path.Name.Namespace != T || path.Name.LocalName is not ("FieldURI" or "IndexedFieldURI" or "ExtendedFieldURI"))
            {
                throw Invalid(update, $"The element '{update.Name.LocalName}' starts with FieldURI, IndexedFieldURI or ExtendedFieldURI.");
            }

            string? element = null;
            (string Set, string Name, string Type)? extended = null;
            if (path.Name.LocalName == "ExtendedFieldURI")
            {
                extended = ExtendedUri(path);
            }
            else if (path.Name.LocalName == "FieldURI")
            {
                string field = RequiredAttribute(path, "FieldURI");
                if (!Fields.TryGetValue(field, out element))
                {
                    throw new ItemError("ErrorInvalidRequest", $"The stand-in does not update '{field}'.");
                }
            }
            else
            {
                throw new ItemError("ErrorInvalidRequest", "The stand-in does not update indexed properties.");
            }

            if (update.Name.LocalName == "DeleteItemField")
            {
                if (update.Elements().Count() != 1)
                {
                    throw Invalid(update, "DeleteItemField holds only the property path.");
                }

                Clear(updated, element, extended);
                continue;
            }

            XElement? itemElement = update.Elements().Skip(1).FirstOrDefault();
            if (itemElement is null || update.Elements().Count() != 2 || itemElement.Name.Namespace != T)
            {
                throw Invalid(update, $"{update.Name.LocalName} holds the property path and one item element (t:CalendarItem, t:Item, ...).");
            }

            // "SetItemField": the item element holds exactly the one property the path names.
            List<XElement> properties = itemElement.Elements().ToList();
            bool same = properties.Count == 1 && (extended is null
                ? properties[0].Name == T + element!
                : properties[0].Name == T + "ExtendedProperty" && ExtendedUri(Required(properties[0], T + "ExtendedFieldURI")) == extended.Value);
            if (!same)
            {
                throw new ItemError("ErrorIncorrectUpdatePropertyCount", "An object within a change description must contain one and only one property to modify.");
            }

            Apply(updated, properties[0]);
        }

        CheckTimes(updated);
        updated.ChangeKey = EwsCalendarStore.NewChangeKey();
        updated.ChangeKeys.Add(updated.ChangeKey);
        updated.Version++;
        int index = ews.Calendar.Items.IndexOf(item);
        ews.Calendar.Items[index] = updated;
        if (send is not "SendToNone" && updated.IsMeeting)
        {
            updated.MeetingRequestWasSent = true;
            Invite(ews, updated, "Request", "UpdateItem");
        }

        return new EwsSoapWriter.ResponseMessage("Success", "NoError", Content: ItemIdContent(updated));
    }

    /// <summary>
    /// UpdateItem's ChangeKey rule ("ConflictResolution", "ItemId"): without a ChangeKey only AlwaysOverwrite may write
    /// (ErrorChangeKeyRequiredForWriteOperations); a ChangeKey that is not the item's current one fails under NeverOverwrite
    /// (ErrorIrresolvableConflict), AutoResolve and AlwaysOverwrite write anyway. Calendar items and messages alike.
    /// </summary>
    internal static void CheckChangeKey(XElement id, string current, string resolution)
    {
        string? changeKey = (string?)id.Attribute("ChangeKey");
        if (changeKey is null && resolution != "AlwaysOverwrite")
        {
            throw new ItemError("ErrorChangeKeyRequiredForWriteOperations", "When making a write request, the ChangeKey is required unless ConflictResolution is AlwaysOverwrite.");
        }

        if (changeKey is not null && changeKey != current && resolution == "NeverOverwrite")
        {
            throw new ItemError("ErrorIrresolvableConflict", "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.");
        }
    }

    private static void Clear(EwsCalendarItem item, string? element, (string Set, string Name, string Type)? extended)
    {
        if (extended is { } e)
        {
            item.ExtendedProperties.RemoveAll(p => p.PropertySetId == e.Set && p.PropertyName == e.Name);
            return;
        }

        switch (element)
        {
            case "Subject": item.Subject = null; break;
            case "Body": item.Body = null; break;
            case "Categories": item.Categories = new List<string>(); break;
            case "Location": item.Location = null; break;
            case "RequiredAttendees": item.RequiredAttendees = new List<string>(); break;
            case "ReminderMinutesBeforeStart": item.ReminderMinutesBeforeStart = null; break;
            case "ReminderIsSet": item.ReminderIsSet = false; break;
            default: throw new ItemError("ErrorInvalidPropertyDelete", $"The property {element} cannot be deleted.");
        }
    }

    private static byte[] DeleteItem(EwsState ews, EwsUserConfig user, XElement op)
    {
        string type = RequiredAttribute(op, "DeleteType");
        Enumeration(op, "DeleteType", type, "DisposalType", "HardDelete", "SoftDelete", "MoveToDeletedItems");
        string? cancellations = (string?)op.Attribute("SendMeetingCancellations");
        Enumeration(op, "SendMeetingCancellations", cancellations, "CalendarItemCreateOrDeleteOperationType", "SendToNone", "SendOnlyToAll", "SendToAllAndSaveCopy");
        CheckOrder(op, M, new[] { "ItemIds" });
        XElement ids = Required(op, M + "ItemIds");
        var results = new List<EwsSoapWriter.ResponseMessage>();
        lock (ews.Calendar.Gate)
        {
            foreach (XElement id in ids.Elements())
            {
                if (id.Name != T + "ItemId")
                {
                    throw Invalid(id, "The stand-in reads t:ItemId in ItemIds.");
                }

                string value = RequiredAttribute(id, "Id");
                results.Add(Run(() =>
                {
                    EwsCalendarItem item = Find(ews, user, value);
                    if (cancellations is null)
                    {
                        throw new ItemError("ErrorSendMeetingCancellationsRequired", "SendMeetingCancellations attribute is required for Calendar items.");
                    }

                    if (cancellations != "SendToNone" && item.IsMeeting)
                    {
                        Invite(ews, item, "Cancellation", "DeleteItem");
                    }

                    if (type == "MoveToDeletedItems" && item.Folder != "deleteditems")
                    {
                        MoveToDeletedItems(item);
                    }
                    else
                    {
                        ews.Calendar.Items.Remove(item);
                    }

                    return new EwsSoapWriter.ResponseMessage("Success", "NoError");
                }));
            }
        }

        return EwsSoapWriter.Response(ews.Config.ServerVersion, "DeleteItem", results, null);
    }
}
