using System;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Calendar;
using G5Mail.Core.Runs;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>
    /// Sync-G5Activity with Method Exchange: the activity as a calendar item through EWS (CreateItem, UpdateItem with the
    /// change key, CancelCalendarItem or DeleteItem), the activity id as an ExtendedFieldURI property.
    /// </summary>
    public sealed class EwsCalendarTransport : ICalendarTransport
    {
        private readonly EwsTransportOptions _options;
        private readonly IRunLog _log;
        private readonly bool _inviteAttendees;

        public EwsCalendarTransport(EwsTransportOptions options, IRunLog log, bool inviteAttendees)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? NullRunLog.Instance;
            _inviteAttendees = inviteAttendees;
            EwsTransport.EnsureCredentialsMayTravel(options.Endpoint, options.Credential);
        }

        public string Server => _options.Endpoint.ToString();

        public bool WritesFiles => false;

        public Task<CalendarReceipt> ApplyAsync(CalendarChange change, CancellationToken cancellationToken) =>
            throw new NotImplementedException("EWS calendar items: in progress on a branch (issue 17).");

        public void Dispose()
        {
        }
    }
}
