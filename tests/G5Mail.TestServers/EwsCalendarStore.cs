using System;
using System.Collections.Generic;
using System.Linq;

namespace G5Mail.TestServers;

/// <summary>One named extended property on an item: the property set GUID (lower case), the name, its MAPI type and value.</summary>
public sealed record EwsExtendedValue(string PropertySetId, string PropertyName, string PropertyType, string Value);

/// <summary>
/// A calendar item as the stand-in keeps it, shown by GET /_test/ews/calendar. Start and End are UTC (what EWS stores;
/// the time zones are kept beside them, as Exchange keeps StartTimeZone/EndTimeZone).
/// </summary>
public sealed class EwsCalendarItem
{
    public string Id { get; set; } = "";
    public string ChangeKey { get; set; } = "";
    public string Mailbox { get; set; } = "";

    /// <summary>calendar, or deleteditems after DeleteItem MoveToDeletedItems / CancelCalendarItem (under a new Id).</summary>
    public string Folder { get; set; } = "calendar";

    public string ItemClass { get; set; } = "IPM.Appointment";
    public string? Subject { get; set; }
    public string? Body { get; set; }
    public string? BodyType { get; set; }
    public List<string> Categories { get; set; } = new();
    public bool ReminderIsSet { get; set; }
    public int? ReminderMinutesBeforeStart { get; set; }
    public List<EwsExtendedValue> ExtendedProperties { get; set; } = new();
    public string? Start { get; set; }
    public string? End { get; set; }
    public bool IsAllDayEvent { get; set; }
    public string LegacyFreeBusyStatus { get; set; } = "Busy";
    public string? Location { get; set; }
    public List<string> RequiredAttendees { get; set; } = new();
    public bool IsMeeting { get; set; }
    public bool IsCancelled { get; set; }
    public bool MeetingRequestWasSent { get; set; }
    public string? StartTimeZone { get; set; }
    public string? EndTimeZone { get; set; }

    /// <summary>1 when created; +1 per UpdateItem (each with a new ChangeKey).</summary>
    public int Version { get; set; } = 1;

    public List<string> ChangeKeys { get; set; } = new();

    public EwsCalendarItem Copy()
    {
        var copy = (EwsCalendarItem)MemberwiseClone();
        copy.Categories = Categories.ToList();
        copy.ExtendedProperties = ExtendedProperties.ToList();
        copy.RequiredAttendees = RequiredAttendees.ToList();
        copy.ChangeKeys = ChangeKeys.ToList();
        return copy;
    }
}

/// <summary>A meeting request or cancellation Exchange would have sent to attendees (shown by GET /_test/ews/meetingMessages).</summary>
public sealed record EwsMeetingMessage(string Kind, string Operation, string ItemId, string Organizer, IReadOnlyList<string> To, string? Subject);

/// <summary>The calendar items of every mailbox and the meeting messages sent for them; thread-safe (Kestrel serves in parallel).</summary>
public sealed class EwsCalendarStore
{
    private readonly object _gate = new();
    private readonly List<EwsCalendarItem> _items = new();
    private readonly List<EwsMeetingMessage> _messages = new();

    public object Gate => _gate;

    public void Clear()
    {
        lock (_gate)
        {
            _items.Clear();
            _messages.Clear();
        }
    }

    /// <summary>Callers hold <see cref="Gate"/> while they read and change items.</summary>
    public List<EwsCalendarItem> Items => _items;

    public void Send(EwsMeetingMessage message)
    {
        lock (_gate) _messages.Add(message);
    }

    public IReadOnlyList<EwsCalendarItem> Snapshot()
    {
        lock (_gate) return _items.Select(i => i.Copy()).ToList();
    }

    public IReadOnlyList<EwsMeetingMessage> Messages()
    {
        lock (_gate) return _messages.ToList();
    }

    /// <summary>An EWS item id: base64, as Exchange's (opaque to clients, ErrorInvalidIdMalformed when not base64).</summary>
    public static string NewId() => Convert.ToBase64String(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray());

    /// <summary>A ChangeKey: a new one for every version of an item ("ItemId": "ChangeKey identifies a specific version of an item").</summary>
    public static string NewChangeKey() => "DwAAABYAAAA" + Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=');
}
