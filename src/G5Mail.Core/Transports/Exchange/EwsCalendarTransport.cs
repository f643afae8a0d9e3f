using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using G5Mail.Core.Calendar;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Security;
using MimeKit;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>
    /// Sync-G5Activity with Method Exchange: the activity as a calendar item through EWS (CreateItem, UpdateItem with the
    /// change key, CancelCalendarItem or DeleteItem), the activity id as an ExtendedFieldURI property, so that a lost state
    /// file or a lost answer to a create is resolved by one FindItem instead of a second item.
    /// <para>
    /// Each call makes one attempt, as every transport does: throttling (ErrorServerBusy with BackOffMilliseconds, HTTP 503)
    /// and connections lost come back as transient failures and the run's retry policy tries again. Every operation here
    /// can be repeated safely: an update or delete twice leaves the same calendar, and a create whose outcome is unknown is
    /// remembered, so its retry looks the item up by the activity id before it creates anything.
    /// </para>
    /// </summary>
    public sealed class EwsCalendarTransport : ICalendarTransport
    {
        /// <summary>The method name the sync state records for this transport (SyncRunOptions.MethodName).</summary>
        private const string MethodName = "Exchange";

        private readonly EwsTransportOptions _options;
        private readonly IRunLog _log;
        private readonly bool _inviteAttendees;
        private readonly EwsConnection _connection;
        private readonly string? _ownAddress;

        /// <summary>Activities (id + organizer) whose last CreateItem through this transport has no known outcome.</summary>
        private readonly HashSet<string> _unknownCreates = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The newest ChangeKey seen per item id: an update right after a create or another update needs no GetItem.</summary>
        private readonly Dictionary<string, string> _changeKeys = new Dictionary<string, string>(StringComparer.Ordinal);

        private readonly object _gate = new object();
        private bool _warned;

        public EwsCalendarTransport(EwsTransportOptions options, IRunLog log, bool inviteAttendees)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? NullRunLog.Instance;
            _inviteAttendees = inviteAttendees;
            EwsTransport.EnsureCredentialsMayTravel(options.Endpoint, options.Credential);
            _connection = new EwsConnection(options.Endpoint, options.Certificates, options.Credential, options.Timeout);
            _ownAddress = OwnAddress(options);
        }

        public string Server => _options.Endpoint.ToString();

        public bool WritesFiles => false;

        public async Task<CalendarReceipt> ApplyAsync(CalendarChange change, CancellationToken cancellationToken)
        {
            if (change == null)
            {
                throw new ArgumentNullException(nameof(change));
            }

            WarnOnce();
            Activity activity = change.Activity;
            string? mailbox = OtherMailbox(activity.OrganizerAddress);
            string? remoteId = change.Previous != null && change.Previous.IsFor(MethodName, activity.OrganizerAddress) ? change.Previous.RemoteId : null;
            if (change.Kind == ChangeKind.Cancel)
            {
                return await CancelAsync(activity, mailbox, remoteId, cancellationToken).ConfigureAwait(false);
            }

            string key = activity.ActivityId + "\n" + activity.OrganizerAddress;
            bool unknownCreate;
            lock (_gate)
            {
                unknownCreate = _unknownCreates.Contains(key);
            }

            if (change.Kind == ChangeKind.Update && remoteId != null)
            {
                // The state knows the item: its current ChangeKey, then the update. Gone (deleted in Outlook, or the id no
                // longer valid): found by the activity id if it is still there, else made again.
                ItemRef? known = await GetItemAsync(remoteId, withIsMeeting: false, activity, cancellationToken).ConfigureAwait(false);
                if (known != null && await UpdateAsync(known, activity, cancellationToken).ConfigureAwait(false) is ItemRef updated)
                {
                    return new CalendarReceipt(updated.Id);
                }

                _log.Verbose($"EWS {Server}: the calendar item of activity {activity.ActivityId} ({remoteId}) is gone; looking it up by the activity id.");
                remoteId = null;
            }

            if (remoteId == null || unknownCreate)
            {
                // Create without a known item (a new activity, a lost state file, a run without -StatePath), or the retry of
                // a create whose answer was lost: one FindItem on the activity id decides between update and create.
                ItemRef? found = await FindAsync(activity, mailbox, cancellationToken).ConfigureAwait(false);
                if (found != null && await UpdateAsync(found, activity, cancellationToken).ConfigureAwait(false) is ItemRef updated)
                {
                    Forget(key);
                    _log.Verbose($"EWS {Server}: activity {activity.ActivityId} was already in the calendar ({updated.Id}); updated it instead of creating a second item.");
                    return new CalendarReceipt(updated.Id) { FoundExisting = true };
                }
            }

            ItemRef created = await CreateAsync(activity, mailbox, key, cancellationToken).ConfigureAwait(false);
            return new CalendarReceipt(created.Id);
        }

        /// <summary>
        /// Cancel: with -InviteAttendees a meeting is cancelled for its attendees (CancelCalendarItem), anything else is
        /// deleted without notices (DeleteItem, MoveToDeletedItems, SendToNone). An item that is already gone is success:
        /// the calendar has what the activity says.
        /// </summary>
        private async Task<CalendarReceipt> CancelAsync(Activity activity, string? mailbox, string? remoteId, CancellationToken ct)
        {
            ItemRef? item = null;
            if (remoteId != null && _inviteAttendees)
            {
                item = await GetItemAsync(remoteId, withIsMeeting: true, activity, ct).ConfigureAwait(false);
            }
            else if (remoteId != null)
            {
                item = new ItemRef(remoteId, null, false);
            }

            if (item == null)
            {
                item = await FindAsync(activity, mailbox, ct).ConfigureAwait(false);
                if (item != null && _inviteAttendees)
                {
                    item = await GetItemAsync(item.Id, withIsMeeting: true, activity, ct).ConfigureAwait(false);
                }
            }

            if (item == null)
            {
                _log.Verbose($"EWS {Server}: activity {activity.ActivityId} has no calendar item (already deleted): nothing to cancel.");
                return new CalendarReceipt(remoteId);
            }

            bool gone;
            if (_inviteAttendees && item.IsMeeting)
            {
                _log.Verbose($"EWS {Server}: CancelCalendarItem (send cancellations) for activity {activity.ActivityId}, item {item.Id}.");
                EwsResponse response = await ExecuteAsync(EwsCalendarRequests.CancelCalendarItem(item.Id, item.ChangeKey ?? KnownChangeKey(item.Id), mailbox),
                    activity, ct, "ErrorItemNotFound").ConfigureAwait(false);
                gone = First(response).ResponseCode == "ErrorItemNotFound";
            }
            else
            {
                _log.Verbose($"EWS {Server}: DeleteItem (to Deleted Items, no cancellations) for activity {activity.ActivityId}, item {item.Id}.");
                EwsResponse response = await ExecuteAsync(EwsCalendarRequests.DeleteItem(item.Id, sendCancellations: false), activity, ct, "ErrorItemNotFound")
                    .ConfigureAwait(false);
                gone = First(response).ResponseCode == "ErrorItemNotFound";
            }

            if (gone)
            {
                _log.Verbose($"EWS {Server}: the calendar item {item.Id} of activity {activity.ActivityId} was already deleted.");
            }

            lock (_gate)
            {
                _changeKeys.Remove(item.Id);
            }

            return new CalendarReceipt(item.Id);
        }

        private async Task<ItemRef> CreateAsync(Activity activity, string? mailbox, string key, CancellationToken ct)
        {
            EwsRequest request = EwsCalendarRequests.CreateItem(activity, mailbox, _inviteAttendees);
            _log.Verbose($"EWS {Server}: CreateItem (calendar item, {(_inviteAttendees && activity.Attendees.Count > 0 ? "send invitations" : "no invitations")}) " +
                         $"for activity {activity.ActivityId} in the calendar of {mailbox ?? "the signed-in user"}.");
            lock (_gate)
            {
                // Until the answer is read, the item may or may not exist: a retry must look before it creates.
                _unknownCreates.Add(key);
            }

            EwsResponse response;
            try
            {
                response = await ExecuteAsync(request, activity, ct).ConfigureAwait(false);
            }
            catch (G5MailErrorException ex) when (ex.Failure == FailureClass.Permanent && ex.ErrorId != ErrorIds.ConnectionFailed)
            {
                Forget(key); // Exchange answered, and refused: nothing was created.
                throw;
            }

            Forget(key);
            ItemRef? item = ItemRefs(First(response)).FirstOrDefault();
            if (item == null)
            {
                throw new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidData,
                    $"Exchange ({_options.Endpoint.Host}) answered CreateItem for activity {activity.ActivityId} without the new item's id.", activity.ActivityId);
            }

            Remember(item);
            return item;
        }

        /// <summary>UpdateItem of every property G5Mail writes; null when the item is gone (ErrorItemNotFound).</summary>
        private async Task<ItemRef?> UpdateAsync(ItemRef item, Activity activity, CancellationToken ct)
        {
            string? changeKey = item.ChangeKey ?? KnownChangeKey(item.Id);
            if (changeKey == null)
            {
                ItemRef? current = await GetItemAsync(item.Id, withIsMeeting: false, activity, ct).ConfigureAwait(false);
                if (current == null)
                {
                    return null;
                }

                changeKey = current.ChangeKey;
            }

            _log.Verbose($"EWS {Server}: UpdateItem for activity {activity.ActivityId}, item {item.Id}.");
            EwsResponse response = await ExecuteAsync(EwsCalendarRequests.UpdateItem(item.Id, changeKey, activity, _inviteAttendees), activity, ct,
                "ErrorItemNotFound").ConfigureAwait(false);
            EwsResponseMessage message = First(response);
            if (message.ResponseCode == "ErrorItemNotFound")
            {
                return null;
            }

            // UpdateItem answers the item's new ItemId (Id and the new ChangeKey) in m:Items ("UpdateItem operation").
            ItemRef updated = ItemRefs(message).FirstOrDefault() ?? new ItemRef(item.Id, null, item.IsMeeting);
            Remember(updated);
            return updated;
        }

        /// <summary>GetItem IdOnly: the item's current Id and ChangeKey (and IsMeeting); null when it is gone.</summary>
        private async Task<ItemRef?> GetItemAsync(string id, bool withIsMeeting, Activity activity, CancellationToken ct)
        {
            EwsResponse response = await ExecuteAsync(EwsCalendarRequests.GetItem(id, withIsMeeting), activity, ct, "ErrorItemNotFound", "ErrorInvalidIdMalformed")
                .ConfigureAwait(false);
            EwsResponseMessage message = First(response);
            if (message.IsError)
            {
                return null; // not found, or an id that is not an EWS id (a state written by another method): look it up instead
            }

            return ItemRefs(message).FirstOrDefault();
        }

        /// <summary>FindItem on the activity id in the organizer's calendar; the first match (a second one is reported).</summary>
        private async Task<ItemRef?> FindAsync(Activity activity, string? mailbox, CancellationToken ct)
        {
            EwsResponse response = await ExecuteAsync(EwsCalendarRequests.FindByActivityId(activity.ActivityId, mailbox), activity, ct).ConfigureAwait(false);
            List<ItemRef> items = ItemRefs(First(response)).ToList();
            if (items.Count > 1)
            {
                _log.Warning($"Exchange: {items.Count} calendar items of {mailbox ?? "the signed-in user"} carry activity id {activity.ActivityId} (copied in Outlook?). " +
                             $"G5Mail keeps the first ({items[0].Id}) up to date; delete the others by hand.");
            }

            return items.FirstOrDefault();
        }

        /// <summary>
        /// One request and its answer, with EWS's errors as the contract's. Response codes in <paramref name="expected"/> are
        /// returned to the caller (ErrorItemNotFound decides what to do next); every other error response is thrown.
        /// </summary>
        private async Task<EwsResponse> ExecuteAsync(EwsRequest request, Activity activity, CancellationToken ct, params string[] expected)
        {
            string target = activity.ActivityId;
            EwsExchange exchange;
            try
            {
                exchange = await _connection.SendAsync(request, expectContinue: false, ct).ConfigureAwait(false);
            }
            catch (G5MailErrorException ex) when (ex.Failure == FailureClass.Uncertain)
            {
                // The request went out and no answer came back. Every calendar operation may be repeated (a create only after
                // a lookup, see ApplyAsync), so this is worth another attempt, unlike a message that would be sent twice.
                throw new G5MailErrorException(ErrorIds.ConnectionFailed, ex.Kind,
                    $"The connection to Exchange at {_options.Endpoint.Host} failed ({ex.Cause}) before Exchange answered {request.Operation} for activity " +
                    $"{activity.ActivityId}. Exchange may or may not have made the change; G5Mail looks the item up by the activity id before it tries again.",
                    target, ex)
                {
                    Failure = FailureClass.Transient,
                    Cause = ex.Cause,
                };
            }

            EwsResponse? response = exchange.Response;
            if (response != null && response.Fault != null)
            {
                throw EwsCalendarErrors.FromResponse(response, _options.Endpoint, _connection.UserName, activity);
            }

            if (response != null && exchange.Status == HttpStatusCode.OK && response.Messages.Count > 0)
            {
                EwsResponseMessage first = response.Messages[0];
                if (first.IsError && !expected.Contains(first.ResponseCode, StringComparer.Ordinal))
                {
                    throw EwsCalendarErrors.FromResponse(response, _options.Endpoint, _connection.UserName, activity);
                }

                return response;
            }

            if (exchange.Status == HttpStatusCode.OK)
            {
                // HTTP 200: Exchange ran the request, only its answer is unreadable (a proxy in between). As above: repeatable.
                throw new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.InvalidData,
                    $"Exchange ({_options.Endpoint.Host}) answered {request.Operation} for activity {activity.ActivityId} with HTTP 200 but a body that is " +
                    "not a readable EWS response (a proxy in between may have changed it). G5Mail looks the item up by the activity id before it tries again.",
                    target)
                {
                    Failure = FailureClass.Transient,
                    Cause = "HTTP 200 with an unreadable " + request.Operation + " response",
                    Scope = FailureScope.Message,
                };
            }

            throw EwsErrors.FromStatus(exchange.Status, exchange.Location, _options.Endpoint, _connection.UserName, request.Length, target);
        }

        private static EwsResponseMessage First(EwsResponse response) => response.Messages[0];

        /// <summary>The t:ItemId (Id, ChangeKey) of each item in a response message, with t:IsMeeting when it was asked for.</summary>
        private static IEnumerable<ItemRef> ItemRefs(EwsResponseMessage message)
        {
            XElement? element = message.Element;
            if (element == null)
            {
                yield break;
            }

            XName itemId = XName.Get("ItemId", EwsNames.Types);
            XName isMeeting = XName.Get("IsMeeting", EwsNames.Types);
            foreach (XElement id in element.Descendants(itemId))
            {
                string? value = (string?)id.Attribute("Id");
                if (string.IsNullOrEmpty(value))
                {
                    continue;
                }

                XElement? item = id.Parent;
                bool meeting = string.Equals(item?.Element(isMeeting)?.Value.Trim(), "true", StringComparison.OrdinalIgnoreCase);
                yield return new ItemRef(value!, (string?)id.Attribute("ChangeKey"), meeting);
            }
        }

        private void Remember(ItemRef item)
        {
            if (item.ChangeKey == null)
            {
                return;
            }

            lock (_gate)
            {
                _changeKeys[item.Id] = item.ChangeKey;
            }
        }

        private string? KnownChangeKey(string id)
        {
            lock (_gate)
            {
                return _changeKeys.TryGetValue(id, out string? key) ? key : null;
            }
        }

        private void Forget(string key)
        {
            lock (_gate)
            {
                _unknownCreates.Remove(key);
            }
        }

        /// <summary>
        /// Null when <paramref name="organizer"/> is the signed-in account (its own calendar needs no t:Mailbox), otherwise
        /// the organizer's address: a delegate writes another mailbox's calendar by naming it in DistinguishedFolderId
        /// (learn.microsoft.com, "DistinguishedFolderId": "Mailbox ... identifies the mailbox"; needs delegate or full access).
        /// </summary>
        private string? OtherMailbox(string organizer) =>
            _ownAddress == null || string.Equals(organizer, _ownAddress, StringComparison.OrdinalIgnoreCase) ? null : organizer;

        /// <summary>
        /// The signed-in account's own address: the user name when it is one (user@domain), else the From setting (the address
        /// the account sends as, also the organizer of activities that name none). Null when neither is known: every
        /// organizer is then taken to be the signed-in account.
        /// </summary>
        private static string? OwnAddress(EwsTransportOptions options)
        {
            string? user = options.Credential?.UserName;
            if (user != null && user.IndexOf('@') > 0 && user.IndexOf('\\') < 0)
            {
                return user.Trim();
            }

            if (!string.IsNullOrWhiteSpace(options.Mailbox) && MailAddresses.TryParseMailbox(options.Mailbox!, out MailboxAddress from))
            {
                return from.Address;
            }

            return null;
        }

        private void WarnOnce()
        {
            lock (_gate)
            {
                if (_warned)
                {
                    return;
                }

                _warned = true;
            }

            string? warning = _options.Endpoint.Warning;
            if (warning != null)
            {
                _log.Warning(warning);
            }
        }

        public void Dispose() => _connection.Dispose();

        /// <summary>An item as EWS names it: Id, the ChangeKey of its current version (when known), and whether it is a meeting.</summary>
        private sealed class ItemRef
        {
            public ItemRef(string id, string? changeKey, bool isMeeting)
            {
                Id = id;
                ChangeKey = changeKey;
                IsMeeting = isMeeting;
            }

            public string Id { get; }
            public string? ChangeKey { get; }
            public bool IsMeeting { get; }
        }
    }

    /// <summary>EWS response codes of calendar operations as the contract's error ids; the rest as for messages (<see cref="EwsErrors"/>).</summary>
    public static class EwsCalendarErrors
    {
        public static G5MailErrorException FromResponse(EwsResponse response, EwsEndpoint endpoint, string? user, Activity activity)
        {
            string code = response.ErrorCode ?? "ErrorInternalServerError";
            string text = response.Fault?.Text ?? response.Messages.FirstOrDefault(m => m.IsError)?.MessageText ?? code;
            string said = $"Exchange ({endpoint.Host}) answered {code} for activity {activity.ActivityId}: {text.Trim()}";
            switch (code)
            {
                case "ErrorNonExistentMailbox":
                case "ErrorAccessDenied":
                case "ErrorFolderNotFound":
                    // A delegate needs access to the organizer's calendar (Add-MailboxFolderPermission ... -AccessRights Editor).
                    return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                        $"{said}. '{user ?? "The signed-in user"}' cannot write the calendar of {activity.OrganizerAddress}: give the account Editor " +
                        $"rights on it (Add-MailboxFolderPermission {activity.OrganizerAddress}:\\Calendar -User <account> -AccessRights Editor), or " +
                        "make the account's own address the activity's Organizer.", activity.ActivityId);
                case "ErrorCalendarEndDateIsEarlierThanStartDate":
                case "ErrorTimeZone":
                case "ErrorCalendarInvalidTimeZone":
                case "ErrorInvalidRecipients":
                    return new G5MailErrorException(code == "ErrorInvalidRecipients" ? ErrorIds.InvalidAddress : ErrorIds.InvalidActivity, ErrorKind.InvalidArgument,
                        $"{said}. Check the activity's Start, End, TimeZone and Attendees.", activity.ActivityId);
                default:
                    return EwsErrors.FromResponse(response, endpoint, user, activity.OrganizerAddress, activity.ActivityId);
            }
        }
    }
}
