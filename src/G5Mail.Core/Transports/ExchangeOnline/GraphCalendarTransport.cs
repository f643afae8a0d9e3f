using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Calendar;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// Sync-G5Activity with Method ExchangeOnline: the activity as an event in the organizer's calendar through Microsoft
    /// Graph (POST/PATCH/DELETE or cancel on /users/{organizer}/events), the activity id as a single-value extended
    /// property so a lost state is rebuilt by one $filter query, transactionId on create.
    /// </summary>
    /// <remarks>
    /// One attempt per call: SyncRun retries the whole change (DeliveryRetry) on the same transport, so failures are only
    /// classified here. A create must never become a second event:
    /// <list type="bullet">
    /// <item>Without a known event id (no state, a lost state file) the activity id is looked up first, and a found event is
    /// updated (FoundExisting).</item>
    /// <item>A lost answer to the POST (timeout, connection reset after the request went out, an unreadable answer) is
    /// Transient, not Uncertain as for mail: the retry POSTs the same transactionId, and Graph answers a repeated
    /// transactionId with the event it already made ("Create event", user-post-events: transactionId avoids "redundant POST
    /// operations in case of client retries"). The retry also looks the activity id up first, so even a service that
    /// forgot the transaction finds the event rather than making a second one.</item>
    /// </list>
    /// </remarks>
    public sealed class GraphCalendarTransport : ICalendarTransport
    {
        private readonly ExchangeOnlineOptions _options;
        private readonly IRunLog _log;
        private readonly bool _inviteAttendees;
        private readonly GraphClient _graph;

        /// <summary>The changes whose create this transport has POSTed (the retries of a change come back to the same transport).</summary>
        private readonly ConditionalWeakTable<CalendarChange, CalendarChange> _posted = new ConditionalWeakTable<CalendarChange, CalendarChange>();

        public GraphCalendarTransport(ExchangeOnlineOptions options, IAccessTokenSource tokens, IRunLog log, bool inviteAttendees, GraphClient? client = null)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? NullRunLog.Instance;
            _inviteAttendees = inviteAttendees;
            _graph = client ?? new GraphClient(options, tokens, _log);
        }

        public string Server => _options.GraphEndpoint.Authority;

        public bool WritesFiles => false;

        public async Task<CalendarReceipt> ApplyAsync(CalendarChange change, CancellationToken cancellationToken)
        {
            if (change == null)
            {
                throw new ArgumentNullException(nameof(change));
            }

            var calendar = new Calendar(MailboxOf(change.Activity), change.Activity.OrganizerAddress);
            switch (change.Kind)
            {
                case ChangeKind.Create:
                    return await CreateAsync(calendar, change, cancellationToken).ConfigureAwait(false);
                case ChangeKind.Update:
                    return await UpdateAsync(calendar, change, cancellationToken).ConfigureAwait(false);
                default:
                    return await CancelAsync(calendar, change, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// users/{organizer} with an app-only token (any mailbox the app may use); me for a signed-in user who is the
        /// organizer; users/{organizer} for another organizer (then Exchange's calendar delegation decides).
        /// </summary>
        private string MailboxOf(Activity activity)
        {
            string organizer = activity.OrganizerAddress;
            if (!_options.IsAppOnly && string.Equals(organizer, _options.UserName, StringComparison.OrdinalIgnoreCase))
            {
                return "me";
            }

            return "users/" + Uri.EscapeDataString(organizer);
        }

        /// <summary>
        /// The Graph event id the state knows, only when its entry is this method's and this organizer's: an SMTP Message-Id,
        /// an EWS item id or an Outlook EntryID is no Graph event id (a state kept across a change of method).
        /// </summary>
        private static string? KnownEventId(CalendarChange change) =>
            change.Previous != null && change.Previous.IsFor(MailMethod.ExchangeOnline.ToString(), change.Activity.OrganizerAddress)
                ? change.Previous.RemoteId
                : null;

        /// <summary>
        /// A new event, unless the calendar has the activity's already: looked up first when the state knows no event id,
        /// and on every retry of a create (its answer may have been lost).
        /// </summary>
        private async Task<CalendarReceipt> CreateAsync(Calendar calendar, CalendarChange change, CancellationToken cancellationToken)
        {
            bool retried = _posted.TryGetValue(change, out _);
            if (KnownEventId(change) == null || retried)
            {
                string? found = await FindAsync(calendar, change.Activity, cancellationToken).ConfigureAwait(false);
                if (found != null && retried)
                {
                    // The POST of this very change went through and only its answer was lost: the event is the one it made.
                    _log.Verbose($"Activity {change.Activity.ActivityId}: the event created before the answer was lost is in {calendar.Owner}'s calendar ({found}).");
                    return new CalendarReceipt(found);
                }

                if (found != null)
                {
                    await PatchAsync(calendar, found, change, cancellationToken).ConfigureAwait(false);
                    return new CalendarReceipt(found) { FoundExisting = true };
                }
            }

            return new CalendarReceipt(await PostAsync(calendar, change, cancellationToken).ConfigureAwait(false));
        }

        /// <summary>PATCH the known event; one deleted meanwhile (404), or none known, is looked up by the activity id, else created.</summary>
        private async Task<CalendarReceipt> UpdateAsync(Calendar calendar, CalendarChange change, CancellationToken cancellationToken)
        {
            string? id = KnownEventId(change);
            bool foundExisting = false;
            if (id != null && await PatchAsync(calendar, id, change, cancellationToken).ConfigureAwait(false))
            {
                return new CalendarReceipt(id);
            }

            if (id != null)
            {
                _log.Verbose($"Activity {change.Activity.ActivityId}: event {id} is no longer in {calendar.Owner}'s calendar (404); looking it up by the activity id.");
            }

            string? found = await FindAsync(calendar, change.Activity, cancellationToken).ConfigureAwait(false);
            if (found != null && await PatchAsync(calendar, found, change, cancellationToken).ConfigureAwait(false))
            {
                // Without a known id (no -StatePath, a lost state) the event was found by the activity id; after a 404 it was
                // moved or re-created under another id.
                foundExisting = id == null;
                return new CalendarReceipt(found) { FoundExisting = foundExisting };
            }

            return new CalendarReceipt(await PostAsync(calendar, change, cancellationToken).ConfigureAwait(false));
        }

        /// <summary>
        /// A meeting whose attendees were invited is cancelled ("event: cancel": the attendees get the comment); any other
        /// event is deleted ("Delete event"). An event that is already gone (404) is what a cancellation wants.
        /// </summary>
        private async Task<CalendarReceipt> CancelAsync(Calendar calendar, CalendarChange change, CancellationToken cancellationToken)
        {
            Activity activity = change.Activity;
            string? id = KnownEventId(change) ?? await FindAsync(calendar, activity, cancellationToken).ConfigureAwait(false);
            if (id == null)
            {
                _log.Verbose($"Activity {activity.ActivityId}: no event in {calendar.Owner}'s calendar carries it; nothing to cancel.");
                return new CalendarReceipt(null);
            }

            string path = calendar.Path + "/events/" + Uri.EscapeDataString(id);
            if (_inviteAttendees && activity.Attendees.Count > 0)
            {
                byte[] body = GraphEventWriter.Cancellation(CancellationComment(activity));
                try
                {
                    GraphResponse? cancelled = await _graph.SendUnlessGoneAsync(HttpMethod.Post, path + "/cancel", () => GraphClient.JsonContent(body),
                        Operation($"cancel the meeting '{activity.Subject}' in the calendar of '{calendar.Owner}' (event: cancel)"), cancellationToken).ConfigureAwait(false);
                    LogGone(cancelled, activity, id);
                    return new CalendarReceipt(id);
                }
                catch (G5MailErrorException ex) when (ex.Cause != null && ex.Cause.StartsWith("HTTP 400", StringComparison.Ordinal))
                {
                    // "event: cancel" is for the organizer of a meeting; an event that never became one (created without
                    // -InviteAttendees) has nobody to tell, and Graph refuses to cancel it: it is deleted instead.
                    _log.Verbose($"Activity {activity.ActivityId}: Graph did not cancel event {id} as a meeting ({ex.Cause}); deleting it.");
                }
            }

            GraphResponse? deleted = await _graph.SendUnlessGoneAsync(HttpMethod.Delete, path, () => null,
                Operation($"delete the event '{activity.Subject}' from the calendar of '{calendar.Owner}'"), cancellationToken).ConfigureAwait(false);
            LogGone(deleted, activity, id);
            return new CalendarReceipt(id);
        }

        private void LogGone(GraphResponse? response, Activity activity, string id)
        {
            if (response == null)
            {
                _log.Verbose($"Activity {activity.ActivityId}: event {id} was already gone (404): nothing left to cancel.");
            }
        }

        /// <summary>The id of the event that carries the activity id, or null. Several (made by hand, or by another tool): the first.</summary>
        private async Task<string?> FindAsync(Calendar calendar, Activity activity, CancellationToken cancellationToken)
        {
            GraphResponse response = await _graph.SendAsync(HttpMethod.Get, calendar.Path + "/events" + GraphEventWriter.FindQuery(activity.ActivityId), () => null,
                Operation($"look up activity {activity.ActivityId} in the calendar of '{calendar.Owner}'"), cancellationToken).ConfigureAwait(false);
            List<string> ids = ReadIds(response.Body);
            if (ids.Count > 1)
            {
                _log.Warning($"Activity {activity.ActivityId}: {ids.Count} events in {calendar.Owner}'s calendar carry it; G5Mail updates the first ({ids[0]}). " +
                             "Delete the others by hand.");
            }

            return ids.Count > 0 ? ids[0] : null;
        }

        /// <summary>POST .../events with the change's transactionId; the new event's id.</summary>
        private async Task<string> PostAsync(Calendar calendar, CalendarChange change, CancellationToken cancellationToken)
        {
            Activity activity = change.Activity;
            byte[] body = GraphEventWriter.Event(activity, _inviteAttendees, GraphEventWriter.TransactionId(change));
            _posted.GetValue(change, c => c); // before the call: a lost answer makes the retry look up first
            GraphResponse created = await _graph.SendAsync(HttpMethod.Post, calendar.Path + "/events", () => GraphClient.JsonContent(body),
                Operation($"create the event '{activity.Subject}' in the calendar of '{calendar.Owner}'"), cancellationToken).ConfigureAwait(false);
            string? id = GraphClient.ReadString(created.Body, "id");
            if (id == null)
            {
                // The answer came and cannot be read (a proxy cut it off): the event was probably made. Transient, so the retry
                // looks it up by the activity id (and repeats the transactionId) rather than making a second one.
                throw new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidData,
                    $"Microsoft Graph answered {created.Status} to the create of activity {activity.ActivityId} without a readable event id.", activity.ActivityId)
                {
                    Failure = FailureClass.Transient,
                    Cause = $"HTTP {created.Status} without an event id",
                };
            }

            _log.Verbose($"Activity {activity.ActivityId}: event {id} created in {calendar.Owner}'s calendar.");
            return id;
        }

        /// <summary>PATCH the event with everything the activity says; false when it is gone (404).</summary>
        private async Task<bool> PatchAsync(Calendar calendar, string id, CalendarChange change, CancellationToken cancellationToken)
        {
            Activity activity = change.Activity;
            byte[] body = GraphEventWriter.Event(activity, _inviteAttendees, transactionId: null);
            GraphResponse? patched = await _graph.SendUnlessGoneAsync(new HttpMethod("PATCH"), calendar.Path + "/events/" + Uri.EscapeDataString(id), () => GraphClient.JsonContent(body),
                Operation($"update the event '{activity.Subject}' in the calendar of '{calendar.Owner}'"), cancellationToken).ConfigureAwait(false);
            return patched != null;
        }

        private static string CancellationComment(Activity activity) =>
            $"'{activity.Subject}' is cancelled.";

        private static GraphOperation Operation(string description) => new GraphOperation(description, GraphPermissions.CalendarsReadWrite);

        private static List<string> ReadIds(byte[] body)
        {
            var ids = new List<string>();
            try
            {
                using (JsonDocument document = JsonDocument.Parse(body))
                {
                    if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("value", out JsonElement value) &&
                        value.ValueKind == JsonValueKind.Array)
                    {
                        foreach (JsonElement item in value.EnumerateArray())
                        {
                            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.String)
                            {
                                ids.Add(id.GetString()!);
                            }
                        }

                        return ids;
                    }
                }
            }
            catch (JsonException)
            {
            }

            // An answer that cannot be read says nothing: creating now could make a second event.
            throw new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidData,
                "Microsoft Graph's answer to the look-up by activity id could not be read.", "events")
            {
                Failure = FailureClass.Transient,
                Cause = "unreadable look-up answer",
            };
        }

        public void Dispose() => _graph.Dispose();

        /// <summary>Whose calendar: the Graph path (users/{address} or me) and the address for messages.</summary>
        private readonly struct Calendar
        {
            public Calendar(string path, string owner)
            {
                Path = path;
                Owner = owner;
            }

            public string Path { get; }
            public string Owner { get; }
        }
    }
}
