using System;
using System.Collections.Generic;
using System.Linq;

namespace G5Mail.TestServers;

/// <summary>One attendee of an event (Graph's attendee resource: emailAddress, type).</summary>
public sealed record StoredAttendee(string Address, string? Name, string Type);

/// <summary>An event as the Graph stand-in keeps it: the subset of the event resource G5Mail writes, plus what tests need to see.</summary>
public sealed class StoredEvent
{
    public string Id { get; init; } = "";
    public string Mailbox { get; init; } = "";
    public string? TransactionId { get; set; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset LastModified { get; set; }

    /// <summary>Grows with every change: Graph's changeKey (and the @odata.etag built from it).</summary>
    public int Version { get; set; } = 1;

    public string? Subject { get; set; }
    public string BodyContentType { get; set; } = "text";
    public string BodyContent { get; set; } = "";
    public string StartDateTime { get; set; } = "";
    public string StartTimeZone { get; set; } = "";
    public string EndDateTime { get; set; } = "";
    public string EndTimeZone { get; set; } = "";
    public DateTime StartUtc { get; set; }
    public DateTime EndUtc { get; set; }
    public bool IsAllDay { get; set; }
    public string LocationDisplayName { get; set; } = "";
    public List<string> Categories { get; set; } = new();
    public string ShowAs { get; set; } = "busy";
    public bool IsReminderOn { get; set; } = true;
    public int ReminderMinutesBeforeStart { get; set; } = 15;
    public List<StoredAttendee> Attendees { get; set; } = new();

    /// <summary>singleValueExtendedProperties by id (the id exactly as created: its Name part is case-sensitive).</summary>
    public Dictionary<string, string> ExtendedProperties { get; } = new(StringComparer.Ordinal);

    /// <summary>Moved to Deleted Items (DELETE or cancel): no longer found by id, listed or filtered.</summary>
    public bool Deleted { get; set; }

    public bool Cancelled { get; set; }
    public string? CancelComment { get; set; }

    /// <summary>What Exchange would have mailed the attendees: "invite a@b", "update a@b", "cancel a@b".</summary>
    public List<string> Notifications { get; } = new();
}

/// <summary>Every mailbox's calendar in one thread-safe store; cleared by POST /_test/reset.</summary>
public sealed class CalendarStore
{
    private readonly object _gate = new();
    private readonly List<StoredEvent> _events = new();

    /// <summary>Runs <paramref name="action"/> under the store's lock: a transactionId check and the create it guards are one step.</summary>
    public T Locked<T>(Func<T> action)
    {
        lock (_gate) return action();
    }

    public void Add(StoredEvent e)
    {
        lock (_gate) _events.Add(e);
    }

    /// <summary>A live event of the mailbox (not deleted).</summary>
    public StoredEvent? Find(string mailbox, string id)
    {
        lock (_gate)
        {
            return _events.FirstOrDefault(e => !e.Deleted && e.Id == id && string.Equals(e.Mailbox, mailbox, StringComparison.OrdinalIgnoreCase));
        }
    }

    public StoredEvent? FindByTransaction(string mailbox, string transactionId)
    {
        lock (_gate)
        {
            return _events.FirstOrDefault(e => !e.Deleted && e.TransactionId == transactionId && string.Equals(e.Mailbox, mailbox, StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>The live events of a mailbox, oldest first.</summary>
    public List<StoredEvent> InMailbox(string mailbox)
    {
        lock (_gate)
        {
            return _events.Where(e => !e.Deleted && string.Equals(e.Mailbox, mailbox, StringComparison.OrdinalIgnoreCase)).ToList();
        }
    }

    /// <summary>Everything, deleted events included, for GET /_test/events.</summary>
    public List<StoredEvent> All()
    {
        lock (_gate) return _events.ToList();
    }

    public void Clear()
    {
        lock (_gate) _events.Clear();
    }
}
