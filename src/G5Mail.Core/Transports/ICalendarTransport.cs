using System;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Calendar;

namespace G5Mail.Core.Transports
{
    /// <summary>
    /// One way of making a calendar match an activity: iTIP invitations by SMTP, an .ics file, and (next) Graph events,
    /// EWS calendar items and Outlook appointments. Like <see cref="IMessageTransport"/>: one per connection, kept for the
    /// pipeline, failures thrown as <see cref="G5MailErrorException"/> with the contract's ids and classified by the one
    /// table (FailureClassification), so the run's retry and breaker treat them as they treat messages.
    /// </summary>
    public interface ICalendarTransport : IDisposable
    {
        /// <summary>Where the changes go, e.g. "smtp.example.com:587" or a folder.</summary>
        string Server { get; }

        /// <summary>True when the change is written for the user (an .ics file) rather than made in a calendar: Status Draft.</summary>
        bool WritesFiles { get; }

        Task<CalendarReceipt> ApplyAsync(CalendarChange change, CancellationToken cancellationToken);
    }

    public sealed class CalendarReceipt
    {
        public CalendarReceipt(string? remoteId, string? path = null)
        {
            RemoteId = remoteId;
            Path = path;
        }

        /// <summary>The invitation's Message-Id (SMTP), or the event's id.</summary>
        public string? RemoteId { get; }

        /// <summary>The file written (-IcsDirectory).</summary>
        public string? Path { get; }

        /// <summary>
        /// A create found the activity's event already in the calendar (by the activity id stored on it: a state file lost,
        /// or a create whose answer was lost) and updated it instead of making a second one.
        /// </summary>
        public bool FoundExisting { get; set; }
    }
}
