using System;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Calendar;
using G5Mail.Core.Runs;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// Sync-G5Activity with Method ExchangeOnline: the activity as an event in the organizer's calendar through Microsoft
    /// Graph (POST/PATCH/DELETE or cancel on /users/{organizer}/events), the activity id as a single-value extended
    /// property so a lost state is rebuilt by one $filter query, transactionId on create.
    /// </summary>
    public sealed class GraphCalendarTransport : ICalendarTransport
    {
        private readonly ExchangeOnlineOptions _options;
        private readonly IRunLog _log;
        private readonly bool _inviteAttendees;
        private readonly GraphClient _graph;

        public GraphCalendarTransport(ExchangeOnlineOptions options, IAccessTokenSource tokens, IRunLog log, bool inviteAttendees, GraphClient? client = null)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? NullRunLog.Instance;
            _inviteAttendees = inviteAttendees;
            _graph = client ?? new GraphClient(options, tokens, _log);
        }

        public string Server => _options.GraphEndpoint.Authority;

        public bool WritesFiles => false;

        public Task<CalendarReceipt> ApplyAsync(CalendarChange change, CancellationToken cancellationToken) =>
            throw new NotImplementedException("Graph calendar events: in progress on a branch (issue 17).");

        public void Dispose() => _graph.Dispose();
    }
}
