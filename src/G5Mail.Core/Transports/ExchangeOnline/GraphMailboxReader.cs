using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// Receive-G5Mail and Get-G5DeliveryReport with Method ExchangeOnline: one mailbox folder read through Microsoft Graph.
    /// Sources (learn.microsoft.com/graph/api unless said otherwise):
    /// <list type="bullet">
    /// <item>"mailFolder resource type": the well-known folder names (inbox, sentitems, drafts, deleteditems, junkemail,
    /// archive, msgfolderroot) usable in place of a folder id, whatever the mailbox's language calls the folder.</item>
    /// <item>"List childFolders" (mailfolder-list-childfolders) with $filter=displayName eq '...'; OData string literals double
    /// a single quote ("Use query parameters", learn.microsoft.com/graph/query-parameters: escaping single quotes).</item>
    /// <item>"List messages" (user-list-messages): $top 1 to 1000; @odata.nextLink used whole; with $filter and $orderby in
    /// one query the $orderby properties must come first in $filter, in the same order, else 400 InefficientFilter, so
    /// receivedDateTime is always filtered (from 1900 when there is no -Since).</item>
    /// <item>"Get singleValueLegacyExtendedProperty": $expand=singleValueExtendedProperties($filter=id eq '...'), with the
    /// "{type} {proptag}" ids of PidTagMessageSize (Integer 0x0E08) and PidTagMessageClass (String 0x001A); a class
    /// REPORT.* is a delivery report ("PidTagMessageClass", learn.microsoft.com/office/client-developer/outlook/mapi).</item>
    /// <item>"Get MIME content of a message" (outlook-get-mime-message): GET .../messages/{id}/$value.</item>
    /// <item>"Update message" (PATCH isRead), "message: move" (POST destinationId; 201 and the moved message, which has a
    /// new id), "Create child folder" (mailfolder-post-childfolders; 409 ErrorFolderExists when the name is taken).</item>
    /// </list>
    /// One GraphClient and one token provider for the call (one token); 429/503/504 are retried a few times, each wait at
    /// most <see cref="MaxServerWait"/>. A permission Graph refuses (403) ends the call: every further message would be
    /// refused the same way.
    /// </summary>
    public sealed class GraphMailboxReader : IMailboxReader
    {
        /// <summary>The longest Retry-After honoured while reading: a read is interactive or a nightly step, never minutes.</summary>
        public static readonly TimeSpan MaxServerWait = TimeSpan.FromSeconds(30);

        /// <summary>PidTagMessageSize (PT_LONG) and PidTagMessageClass (PT_UNICODE) as Graph's extended property ids.</summary>
        internal const string SizeProperty = "Integer 0x0E08";
        internal const string ClassProperty = "String 0x001A";

        /// <summary>The page size asked for; Graph allows 1 to 1000 for messages.</summary>
        internal const int PageSize = 200;

        /// <summary>A filter bound older than any mail: receivedDateTime must be in $filter for $orderby to be allowed.</summary>
        private static readonly DateTimeOffset Beginning = new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

        private static readonly string MessageFields = "internetMessageId,from,toRecipients,ccRecipients,subject,receivedDateTime,isRead,hasAttachments";

        private readonly ExchangeOnlineOptions _options;
        private readonly IRunLog _log;
        private readonly GraphClient _graph;
        private readonly string _mailbox;
        private readonly string _path;
        private readonly Dictionary<string, (string Id, string Name)> _folders = new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase);
        private string? _folderId;
        private string? _folderName;

        /// <param name="mailbox">Whose mailbox: -Mailbox, or the settings' From.</param>
        /// <param name="handler">The HTTP handler (tests: one that trusts the stand-in's CA); null for the system's.</param>
        public GraphMailboxReader(ExchangeOnlineOptions options, IAccessTokenSource tokens, IRunLog log, string mailbox, HttpMessageHandler? handler = null)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? NullRunLog.Instance;
            _mailbox = string.IsNullOrWhiteSpace(mailbox) ? throw new ArgumentException("A mailbox is needed.", nameof(mailbox)) : mailbox.Trim();
            _graph = new GraphClient(options, tokens, _log, new RetryPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), MaxServerWait), handler);
            // As GraphCalendarTransport decides: /me for a signed-in user reading their own mailbox, /users/{address} otherwise
            // (app-only tokens; a delegated user reading a shared mailbox, where Exchange's folder permissions decide).
            _path = !_options.IsAppOnly && string.Equals(_mailbox, _options.UserName, StringComparison.OrdinalIgnoreCase)
                ? "me"
                : "users/" + Uri.EscapeDataString(_mailbox);
        }

        /// <summary>The reader for the effective settings: one EntraTokenProvider (one token) for the call.</summary>
        /// <param name="mailbox">-Mailbox or the settings' From.</param>
        public static GraphMailboxReader Create(SettingValues settings, IRunLog log, string? mailbox)
        {
            ExchangeOnlineOptions options = ExchangeOnlineOptions.FromSettings(settings, requireFrom: false, readsMailbox: true);
            if (string.IsNullOrWhiteSpace(mailbox))
            {
                throw new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation,
                    "Reading mail with Exchange Online needs the mailbox: give -Mailbox, or set From (Set-G5MailSetting -From mailbox@example.com).", "From");
            }

            if (settings.SkipCertificateCheck == true || settings.CertificateThumbprint != null)
            {
                log.Warning("CertificateThumbprint and SkipCertificateCheck are ignored for Exchange Online: the connection carries an access token, "
                            + "so the server's certificate is always validated against the system's trusted roots.");
            }

            return new GraphMailboxReader(options, new TokenForTheCall(new EntraTokenProvider(options, log)), log, mailbox!);
        }

        /// <summary>
        /// The call's token, kept until five minutes before it expires (as MSAL treats tokens). A signed-in user's token for
        /// reading is asked for "/.default" (<see cref="ExchangeOnlineOptions.ReadsMailbox"/>); MSAL's cache does not
        /// answer that scope from a token issued with the consented scopes, so without this each Graph call would renew it.
        /// A token Graph refused is renewed by the provider as always.
        /// </summary>
        private sealed class TokenForTheCall : IAccessTokenSource
        {
            private readonly IAccessTokenSource _inner;
            private AccessToken? _token;

            public TokenForTheCall(IAccessTokenSource inner) => _inner = inner;

            public async Task<AccessToken> GetTokenAsync(TokenAudience audience, CancellationToken cancellationToken)
            {
                if (_token == null || _token.ExpiresOn <= DateTimeOffset.UtcNow.AddMinutes(5))
                {
                    _token = await _inner.GetTokenAsync(audience, cancellationToken).ConfigureAwait(false);
                }

                return _token;
            }

            public async Task<AccessToken> RefreshTokenAsync(TokenAudience audience, AccessToken rejected, string? claims, CancellationToken cancellationToken) =>
                _token = await _inner.RefreshTokenAsync(audience, rejected, claims, cancellationToken).ConfigureAwait(false);
        }

        public string Server => _options.GraphEndpoint.Authority;

        /// <summary>The Graph path of the mailbox: "me" or "users/{address}".</summary>
        public string MailboxPath => _path;

        public async Task<string> OpenFolderAsync(FolderPath folder, bool forWrite, CancellationToken cancellationToken)
        {
            (string id, string name) = await ResolveAsync(folder, create: false, cancellationToken).ConfigureAwait(false)
                                       ?? throw folder.NotFound(_mailbox);
            _folderId = id;
            _folderName = name;
            _log.Verbose($"Exchange Online: reading '{name}' in {_mailbox} through Microsoft Graph{(forWrite ? " (messages may be marked or moved: Mail.ReadWrite)" : string.Empty)}.");
            return name;
        }

        public async Task<IReadOnlyList<MailSummary>> ListAsync(MailQuery query, CancellationToken cancellationToken)
        {
            if (_folderId == null)
            {
                throw new InvalidOperationException("OpenFolderAsync first.");
            }

            if (query == null)
            {
                throw new ArgumentNullException(nameof(query));
            }

            var found = new List<MailSummary>();
            int? first = query.First;
            if (first.HasValue && first.Value <= 0)
            {
                return found;
            }

            GraphOperation operation = Read($"list the messages of '{_folderName}' in {_mailbox}");
            string? next = null;
            int pages = 0;
            do
            {
                GraphResponse page = await CallAsync(() => next == null
                        ? _graph.SendAsync(HttpMethod.Get, ListQuery(query), () => null, operation, cancellationToken)
                        : _graph.GetNextPageAsync(next, operation, cancellationToken), null).ConfigureAwait(false);
                pages++;
                next = ReadPage(page.Body, found, query, first);
            }
            while (next != null && (!first.HasValue || found.Count < first.Value));

            _log.Verbose($"Exchange Online: {found.Count} message(s) listed in '{_folderName}' ({pages} page(s)).");
            return found;
        }

        /// <summary>
        /// The first page's URL: $select, the two extended properties, $filter on receivedDateTime (always: $orderby needs it)
        /// and isRead, oldest first, and $top no larger than needed.
        /// </summary>
        internal string ListQuery(MailQuery query)
        {
            DateTimeOffset since = query.Since ?? Beginning;
            string filter = "receivedDateTime ge " + since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            if (query.UnreadOnly)
            {
                filter += " and isRead eq false";
            }

            int top = query.First.HasValue && !query.DeliveryReportsOnly ? Math.Min(query.First.Value, PageSize) : PageSize;
            return $"{_path}/mailFolders/{Uri.EscapeDataString(_folderId!)}/messages" +
                   "?$select=" + MessageFields +
                   "&$expand=" + Uri.EscapeDataString($"singleValueExtendedProperties($filter=id eq '{SizeProperty}' or id eq '{ClassProperty}')") +
                   "&$filter=" + Uri.EscapeDataString(filter) +
                   "&$orderby=" + Uri.EscapeDataString("receivedDateTime asc") +
                   "&$top=" + top.ToString(CultureInfo.InvariantCulture);
        }

        /// <summary>Adds the page's messages (up to <paramref name="first"/>); returns the next page's link or null.</summary>
        internal static string? ReadPage(byte[] body, List<MailSummary> found, MailQuery query, int? first)
        {
            try
            {
                using (JsonDocument document = JsonDocument.Parse(body))
                {
                    JsonElement root = document.RootElement;
                    if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.Array)
                    {
                        throw Unreadable("the answer has no message list");
                    }

                    foreach (JsonElement item in value.EnumerateArray())
                    {
                        if (first.HasValue && found.Count >= first.Value)
                        {
                            return null;
                        }

                        MailSummary summary = Summary(item);
                        if (query.DeliveryReportsOnly && summary.IsDeliveryReport == false)
                        {
                            continue;
                        }

                        found.Add(summary);
                    }

                    return root.TryGetProperty("@odata.nextLink", out JsonElement link) && link.ValueKind == JsonValueKind.String ? link.GetString() : null;
                }
            }
            catch (JsonException ex)
            {
                throw Unreadable(ex.Message);
            }
        }

        private static G5MailErrorException Unreadable(string why) =>
            new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.InvalidData,
                $"Microsoft Graph's list of messages could not be read ({why}).", "messages")
            {
                Failure = FailureClass.Permanent,
                Scope = FailureScope.Server,
                Cause = "unreadable message list",
            };

        /// <summary>One message of a listing.</summary>
        internal static MailSummary Summary(JsonElement item)
        {
            string id = String(item, "id") ?? throw Unreadable("a message without an id");
            var summary = new MailSummary
            {
                RemoteId = id,
                MessageId = Unbracket(String(item, "internetMessageId")),
                From = Address(item.TryGetProperty("from", out JsonElement from) ? from : default),
                To = Addresses(item, "toRecipients"),
                Cc = Addresses(item, "ccRecipients"),
                Subject = String(item, "subject"),
                IsRead = item.TryGetProperty("isRead", out JsonElement read) && read.ValueKind == JsonValueKind.True,
                HasAttachments = item.TryGetProperty("hasAttachments", out JsonElement attached) && attached.ValueKind == JsonValueKind.True,
                Handle = id,
            };
            if (String(item, "receivedDateTime") is string received &&
                DateTimeOffset.TryParse(received, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset when))
            {
                summary.Received = when;
            }

            if (item.TryGetProperty("singleValueExtendedProperties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement property in properties.EnumerateArray())
                {
                    string? propertyId = String(property, "id");
                    string? text = String(property, "value");
                    if (propertyId == null || text == null)
                    {
                        continue;
                    }

                    // Graph may write the tag in its own case and length ("Integer 0xe08"): compared by type and number.
                    if (IsProperty(propertyId, SizeProperty) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long size))
                    {
                        summary.Size = size;
                    }
                    else if (IsProperty(propertyId, ClassProperty))
                    {
                        summary.IsDeliveryReport = text.StartsWith("REPORT.", StringComparison.OrdinalIgnoreCase);
                    }
                }
            }

            return summary;
        }

        internal static bool IsProperty(string id, string wanted)
        {
            string[] a = id.Trim().Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            string[] b = wanted.Split(' ');
            return a.Length == 2 && string.Equals(a[0], b[0], StringComparison.OrdinalIgnoreCase) && Tag(a[1]) is int x && x == Tag(b[1]);
        }

        private static int? Tag(string text) =>
            text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) &&
            int.TryParse(text.Substring(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int tag) ? tag : (int?)null;

        public async Task DownloadAsync(MailSummary message, Stream destination, CancellationToken cancellationToken)
        {
            string id = IdOf(message);
            GraphOperation operation = Read($"read the content of message {id} in {_mailbox}");
            await CallAsync(async () =>
            {
                await _graph.DownloadAsync(MessagePath(id) + "/$value", destination, operation, cancellationToken).ConfigureAwait(false);
                return true;
            }, message).ConfigureAwait(false);
        }

        public async Task MarkReadAsync(MailSummary message, CancellationToken cancellationToken)
        {
            string id = IdOf(message);
            byte[] body = Encoding.UTF8.GetBytes("{\"isRead\":true}");
            GraphResponse? patched = await CallAsync(() => _graph.SendUnlessGoneAsync(new HttpMethod("PATCH"), MessagePath(id), () => GraphClient.JsonContent(body),
                Write($"mark message {id} in {_mailbox} as read"), cancellationToken), message).ConfigureAwait(false);
            if (patched == null)
            {
                throw Gone(message);
            }
        }

        public async Task<string> EnsureFolderAsync(FolderPath folder, CancellationToken cancellationToken)
        {
            (string Id, string Name) found = await ResolveAsync(folder, create: true, cancellationToken).ConfigureAwait(false) ?? throw folder.NotFound(_mailbox);
            return found.Name;
        }

        public async Task MoveAsync(MailSummary message, FolderPath folder, CancellationToken cancellationToken)
        {
            string id = IdOf(message);
            if (!_folders.TryGetValue(folder.Text, out (string Id, string Name) target))
            {
                target = await ResolveAsync(folder, create: true, cancellationToken).ConfigureAwait(false) ?? throw folder.NotFound(_mailbox);
            }

            byte[] body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["destinationId"] = target.Id });
            GraphResponse? moved = await CallAsync(() => _graph.SendUnlessGoneAsync(HttpMethod.Post, MessagePath(id) + "/move", () => GraphClient.JsonContent(body),
                Write($"move message {id} in {_mailbox} to '{target.Name}'"), cancellationToken), message).ConfigureAwait(false);
            if (moved == null)
            {
                throw Gone(message);
            }

            // "message: move" answers with the message in its new folder, under a new id.
            string? newId = GraphClient.ReadString(moved.Body, "id");
            if (newId != null)
            {
                message.Handle = newId;
            }
        }

        // ---- folders ---------------------------------------------------------------------------------------------------

        /// <summary>
        /// The folder's id and its path as the mailbox names it, or null when a segment does not exist (and is not created).
        /// A well-known first segment is Graph's well-known name; the others are child folders matched by displayName
        /// without case; an ordinary first segment is a folder at the top of the mailbox (a child of msgfolderroot).
        /// </summary>
        private async Task<(string Id, string Name)?> ResolveAsync(FolderPath folder, bool create, CancellationToken cancellationToken)
        {
            if (_folders.TryGetValue(folder.Text, out (string Id, string Name) known))
            {
                return known;
            }

            string parentId;
            var names = new List<string>();
            if (folder.Root != WellKnownFolder.None)
            {
                string wellKnown = WellKnownName(folder.Root);
                GraphResponse root = await CallAsync(() => _graph.SendAsync(HttpMethod.Get, $"{_path}/mailFolders/{wellKnown}?$select=id,displayName", () => null,
                    Read($"open the folder '{folder.Segments[0]}' ({wellKnown}) of {_mailbox}"), cancellationToken), null, folder).ConfigureAwait(false);
                parentId = GraphClient.ReadString(root.Body, "id") ?? wellKnown;
                names.Add(GraphClient.ReadString(root.Body, "displayName") ?? folder.Segments[0]);
            }
            else
            {
                parentId = "msgfolderroot";
            }

            foreach (string segment in folder.Below)
            {
                (string Id, string Name)? child = await ChildAsync(parentId, segment, folder, cancellationToken).ConfigureAwait(false);
                if (child == null && create)
                {
                    child = await CreateChildAsync(parentId, segment, folder, cancellationToken).ConfigureAwait(false);
                }

                if (child == null)
                {
                    return null;
                }

                parentId = child.Value.Id;
                names.Add(child.Value.Name);
            }

            var resolved = (parentId, string.Join("/", names));
            _folders[folder.Text] = resolved;
            return resolved;
        }

        private async Task<(string Id, string Name)?> ChildAsync(string parentId, string name, FolderPath folder, CancellationToken cancellationToken)
        {
            string filter = "displayName eq '" + name.Replace("'", "''") + "'";
            GraphResponse response = await CallAsync(() => _graph.SendAsync(HttpMethod.Get,
                $"{_path}/mailFolders/{Uri.EscapeDataString(parentId)}/childFolders?$filter={Uri.EscapeDataString(filter)}&$select=id,displayName", () => null,
                Read($"look up the folder '{name}' of {_mailbox}"), cancellationToken), null, folder).ConfigureAwait(false);
            try
            {
                using (JsonDocument document = JsonDocument.Parse(response.Body))
                {
                    if (document.RootElement.TryGetProperty("value", out JsonElement value) && value.ValueKind == JsonValueKind.Array)
                    {
                        foreach (JsonElement item in value.EnumerateArray())
                        {
                            string? displayName = String(item, "displayName");
                            string? id = String(item, "id");
                            if (id != null && string.Equals(displayName, name, StringComparison.OrdinalIgnoreCase))
                            {
                                return (id, displayName!);
                            }
                        }
                    }
                }
            }
            catch (JsonException)
            {
                throw Unreadable("the folder list");
            }

            return null;
        }

        /// <summary>Creates a child folder; a name taken meanwhile (409 ErrorFolderExists) is looked up again.</summary>
        private async Task<(string Id, string Name)?> CreateChildAsync(string parentId, string name, FolderPath folder, CancellationToken cancellationToken)
        {
            byte[] body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["displayName"] = name });
            try
            {
                GraphResponse created = await CallAsync(() => _graph.SendAsync(HttpMethod.Post, $"{_path}/mailFolders/{Uri.EscapeDataString(parentId)}/childFolders",
                    () => GraphClient.JsonContent(body), Write($"create the folder '{name}' in {_mailbox}"), cancellationToken), null, folder).ConfigureAwait(false);
                string? id = GraphClient.ReadString(created.Body, "id");
                if (id != null)
                {
                    _log.Verbose($"Exchange Online: created the folder '{name}' in {_mailbox}.");
                    return (id, GraphClient.ReadString(created.Body, "displayName") ?? name);
                }
            }
            catch (G5MailErrorException ex) when (ex.Cause != null && ex.Cause.IndexOf("ErrorFolderExists", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                _log.Verbose($"Exchange Online: the folder '{name}' already exists in {_mailbox} ({ex.Cause}).");
            }

            return await ChildAsync(parentId, name, folder, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Graph's well-known folder names ("mailFolder resource type").</summary>
        internal static string WellKnownName(WellKnownFolder folder)
        {
            switch (folder)
            {
                case WellKnownFolder.Inbox: return "inbox";
                case WellKnownFolder.SentItems: return "sentitems";
                case WellKnownFolder.Drafts: return "drafts";
                case WellKnownFolder.DeletedItems: return "deleteditems";
                case WellKnownFolder.JunkEmail: return "junkemail";
                case WellKnownFolder.Archive: return "archive";
                default: return "msgfolderroot";
            }
        }

        // ---- errors ----------------------------------------------------------------------------------------------------

        /// <summary>
        /// A Graph call, its failure said in reading's words. GraphErrors maps the answer as for sending; here: a refused
        /// permission ends the call (Scope Account: every further message would be refused alike); a message that is gone
        /// or cannot be given fails alone (MessageUnreadable); a folder or mailbox Graph does not know is FolderNotFound;
        /// the rest is the server's (ConnectionFailed), which ends the call.
        /// </summary>
        private async Task<T> CallAsync<T>(Func<Task<T>> call, MailSummary? message, FolderPath? folder = null)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (G5MailErrorException ex) when (ex.ErrorId == ErrorIds.PermissionDenied)
            {
                ex.Scope = FailureScope.Account;
                throw;
            }
            catch (G5MailErrorException ex) when (ex.ErrorId == ErrorIds.SendFailed || ex.ErrorId == ErrorIds.InvalidAddress || ex.ErrorId == ErrorIds.MessageTooLarge)
            {
                int status = StatusOf(ex.Cause);
                if (status == 404 && message == null && folder != null && ex.Cause!.IndexOf("ErrorItemNotFound", StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    // A well-known folder the mailbox does not have (an archive never enabled) or a folder deleted meanwhile.
                    throw folder.NotFound(_mailbox, $"({ex.Cause})");
                }

                if (status == 404 && message == null)
                {
                    throw new G5MailErrorException(ErrorIds.FolderNotFound, ErrorKind.ObjectNotFound,
                        $"Microsoft Graph found no Exchange Online mailbox '{_mailbox}' ({ex.Cause}). Give -Mailbox (or From) as a mailbox address of " +
                        "the tenant; a shared mailbox is read by its own address.", _mailbox, ex)
                    {
                        Failure = FailureClass.Permanent,
                        Scope = FailureScope.Account,
                        Cause = ex.Cause,
                    };
                }

                if (message != null && ex.Failure != FailureClass.Transient && status >= 400 && status < 500)
                {
                    throw new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.ReadError,
                        $"Message {message.RemoteId} ({message.Subject}) in {_mailbox}: {ex.Message}", message.RemoteId, ex)
                    {
                        Failure = FailureClass.Permanent,
                        Scope = FailureScope.Message,
                        Cause = ex.Cause,
                    };
                }

                throw new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ResourceUnavailable, ex.Message, ex.Target, ex)
                {
                    Failure = ex.Failure,
                    Scope = FailureScope.Server,
                    RetryAfter = ex.RetryAfter,
                    Cause = ex.Cause,
                };
            }
        }

        /// <summary>The HTTP status in a GraphErrors cause ("HTTP 404 ErrorItemNotFound"); 0 when there is none.</summary>
        private static int StatusOf(string? cause)
        {
            if (cause == null || !cause.StartsWith("HTTP ", StringComparison.Ordinal) || cause.Length < 8)
            {
                return 0;
            }

            return int.TryParse(cause.Substring(5, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int status) ? status : 0;
        }

        private G5MailErrorException Gone(MailSummary message) =>
            new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.ObjectNotFound,
                $"Message {message.RemoteId} ({message.Subject}) is no longer in '{_folderName}' of {_mailbox} (404 ErrorItemNotFound): " +
                "another client moved or deleted it meanwhile.", message.RemoteId)
            {
                Failure = FailureClass.Permanent,
                Scope = FailureScope.Message,
                Cause = "HTTP 404 ErrorItemNotFound",
            };

        // ---- helpers ---------------------------------------------------------------------------------------------------

        private static GraphOperation Read(string description) => new GraphOperation(description, GraphPermissions.MailRead);

        private static GraphOperation Write(string description) => new GraphOperation(description, GraphPermissions.MailReadWrite);

        private string MessagePath(string id) => $"{_path}/messages/{Uri.EscapeDataString(id)}";

        private static string IdOf(MailSummary message) =>
            message?.Handle as string ?? message?.RemoteId ?? throw new ArgumentNullException(nameof(message));

        private static string? String(JsonElement item, string name) =>
            item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        private static string? Unbracket(string? id)
        {
            if (id == null)
            {
                return null;
            }

            string trimmed = id.Trim();
            return trimmed.StartsWith("<", StringComparison.Ordinal) && trimmed.EndsWith(">", StringComparison.Ordinal) ? trimmed.Substring(1, trimmed.Length - 2) : trimmed;
        }

        /// <summary>{ "emailAddress": { "name", "address" } } as "Name &lt;address&gt;" (or the address alone).</summary>
        private static string? Address(JsonElement recipient)
        {
            if (recipient.ValueKind != JsonValueKind.Object || !recipient.TryGetProperty("emailAddress", out JsonElement email))
            {
                return null;
            }

            string? address = String(email, "address");
            string? name = String(email, "name");
            if (string.IsNullOrEmpty(address))
            {
                return name;
            }

            return string.IsNullOrWhiteSpace(name) || string.Equals(name, address, StringComparison.OrdinalIgnoreCase)
                ? address
                : (name!.IndexOfAny(new[] { '"', ',', ';', '<', '>', '@', '(', ')', ':', '\\' }) >= 0
                    ? "\"" + name.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""
                    : name) + " <" + address + ">";
        }

        private static IReadOnlyList<string> Addresses(JsonElement item, string property)
        {
            var list = new List<string>();
            if (item.TryGetProperty(property, out JsonElement array) && array.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement recipient in array.EnumerateArray())
                {
                    string? text = Address(recipient);
                    if (!string.IsNullOrEmpty(text))
                    {
                        list.Add(text!);
                    }
                }
            }

            return list;
        }

        public void Dispose() => _graph.Dispose();
    }
}
