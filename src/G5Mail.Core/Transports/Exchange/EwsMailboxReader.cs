using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using MimeKit;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>
    /// Reads a mailbox folder through EWS (Method Exchange): the folder by its DistinguishedFolderId and then FindFolder per
    /// path segment; the listing by FindItem pages (IndexedPageItemView, oldest first) and one GetItem per page for the
    /// recipients FindItem does not return; the MIME by GetItem IncludeMimeContent, its base64 decoded straight into the
    /// destination; UpdateItem for IsRead, CreateFolder and MoveItem. Another mailbox (-Mailbox) is named in the
    /// DistinguishedFolderId's t:Mailbox and needs delegate or Full Access rights on it.
    /// <para>
    /// The connection, errors and endpoint rules are the send transport's (<see cref="EwsConnection"/>, <see cref="EwsErrors"/>).
    /// Throttling (ErrorServerBusy) is waited out with the server's BackOffMilliseconds through <see cref="RetryPolicy"/>
    /// (bounded count and wait); a rejected sign-in ends every later call of this reader without asking the server again, so one
    /// call never costs an account more than one failed sign-in.
    /// </para>
    /// </summary>
    public sealed class EwsMailboxReader : IMailboxReader
    {
        private static readonly XNamespace T = EwsNames.Types;
        private static readonly XNamespace M = EwsNames.Messages;

        /// <summary>Names the one-click Archive folder has (it is no DistinguishedFolderId on Exchange Server: archivemsgfolderroot is the archive mailbox).</summary>
        private static readonly string[] ArchiveNames = { "Archive", "Arkiv" };

        private readonly EwsTransportOptions _options;
        private readonly IRunLog _log;
        private readonly EwsConnection _connection;
        private readonly RetryPolicy _retry;
        private readonly string? _mailbox;
        private readonly Dictionary<string, string> _folderIds = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        private G5MailErrorException? _accountFailure;
        private string? _folderId;
        private FolderPath? _folder;
        private bool _warned;

        /// <param name="mailbox">-Mailbox (or the From setting): whose mailbox; null or the signed-in account's own = its own.</param>
        /// <param name="retry">How often and how long ErrorServerBusy is waited out; default <see cref="RetryPolicy.Default"/>.</param>
        public EwsMailboxReader(EwsTransportOptions options, IRunLog log, string? mailbox, RetryPolicy? retry = null)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? NullRunLog.Instance;
            _retry = retry ?? RetryPolicy.Default;
            EwsTransport.EnsureCredentialsMayTravel(options.Endpoint, options.Credential);
            _connection = new EwsConnection(options.Endpoint, options.Certificates, options.Credential, options.Timeout);
            _mailbox = string.IsNullOrWhiteSpace(mailbox) ? null : Address(mailbox!);
        }

        public string Server => _options.Endpoint.ToString();

        /// <summary>Whose mailbox is read, for messages.</summary>
        private string Owner => _mailbox ?? _connection.UserName ?? "the signed-in user's mailbox";

        public async Task<string> OpenFolderAsync(FolderPath folder, bool forWrite, CancellationToken cancellationToken)
        {
            if (folder == null)
            {
                throw new ArgumentNullException(nameof(folder));
            }

            WarnOnce();
            (string id, string path) = await ResolveAsync(folder, create: false, cancellationToken).ConfigureAwait(false);
            _folderId = id;
            _folder = folder;
            _log.Verbose($"EWS {Server}: opened {path} of {Owner}{(forWrite ? " (to mark or move)" : string.Empty)}.");
            return path;
        }

        public async Task<IReadOnlyList<MailSummary>> ListAsync(MailQuery query, CancellationToken cancellationToken)
        {
            if (query == null)
            {
                throw new ArgumentNullException(nameof(query));
            }

            string folderId = _folderId ?? throw new InvalidOperationException("OpenFolderAsync comes first.");
            var list = new List<MailSummary>();
            int offset = 0;
            while (query.First == null || list.Count < query.First.Value)
            {
                int size = query.First == null ? EwsMailboxRequests.PageSize : Math.Min(EwsMailboxRequests.PageSize, query.First.Value - list.Count);
                EwsResponseMessage message = await ExecuteAsync(EwsMailboxRequests.FindItem(folderId, query, offset, size), _folder!.Text, cancellationToken)
                    .ConfigureAwait(false);
                XElement? root = message.Element?.Element(M + "RootFolder");
                List<MailSummary> page = root?.Element(T + "Items")?.Elements().Select(Summary).Where(s => s != null).Select(s => s!).ToList()
                                         ?? new List<MailSummary>();
                if (page.Count > 0)
                {
                    await AddRecipientsAsync(page, cancellationToken).ConfigureAwait(false);
                    list.AddRange(page);
                }

                bool last = string.Equals((string?)root?.Attribute("IncludesLastItemInRange"), "true", StringComparison.OrdinalIgnoreCase);
                _log.Verbose($"EWS {Server}: FindItem offset {offset} gave {page.Count} message(s){(last ? ", the last ones" : string.Empty)}.");
                if (last || page.Count == 0)
                {
                    break;
                }

                // "IndexedPageItemView": the next page starts where this one ended (IndexedPagingOffset says where).
                offset = int.TryParse((string?)root?.Attribute("IndexedPagingOffset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int next) && next > offset
                    ? next
                    : offset + page.Count;
            }

            return query.First == null ? list : list.Take(query.First.Value).ToList();
        }

        /// <summary>One GetItem for the page: To, Cc and From's address (FindItem returns no recipient lists).</summary>
        private async Task AddRecipientsAsync(List<MailSummary> page, CancellationToken ct)
        {
            EwsResponse response = await ExecuteAllAsync(EwsMailboxRequests.GetRecipients(page.Select(p => p.RemoteId)), _folder!.Text, ct).ConfigureAwait(false);
            for (int i = 0; i < page.Count && i < response.Messages.Count; i++)
            {
                EwsResponseMessage message = response.Messages[i];
                XElement? item = message.Element?.Element(M + "Items")?.Elements().FirstOrDefault();
                if (message.IsError || item == null)
                {
                    continue; // gone since the listing: DownloadAsync reports it for that message alone
                }

                page[i].To = Mailboxes(item.Element(T + "ToRecipients"));
                page[i].Cc = Mailboxes(item.Element(T + "CcRecipients"));
                page[i].From = Mailboxes(item.Element(T + "From")).FirstOrDefault() ?? page[i].From;
            }
        }

        public async Task DownloadAsync(MailSummary message, Stream destination, CancellationToken cancellationToken)
        {
            if (message == null || destination == null)
            {
                throw new ArgumentNullException(message == null ? nameof(message) : nameof(destination));
            }

            bool found = false;
            EwsResponse response = await SendAsync(EwsMailboxRequests.GetMime(message.RemoteId), message.RemoteId, async (body, ct) =>
            {
                (EwsResponse? parsed, bool mime) = await MimeContentReader.CopyAsync(body, destination, message.RemoteId, ct).ConfigureAwait(false);
                found = mime;
                return parsed;
            }, cancellationToken).ConfigureAwait(false);
            EwsResponseMessage first = response.Messages[0];
            if (first.IsError)
            {
                throw Unreadable(message, first);
            }

            if (!found)
            {
                throw new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.InvalidData,
                    $"Exchange ({_options.Endpoint.Host}) gave no MIME content for the message '{message.Subject}' ({message.RemoteId}).", message.RemoteId)
                {
                    Scope = FailureScope.Message,
                };
            }
        }

        public async Task MarkReadAsync(MailSummary message, CancellationToken cancellationToken)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            EwsResponseMessage result = await ExecuteAsync(EwsMailboxRequests.MarkRead(message.RemoteId, message.Handle as string), message.RemoteId, cancellationToken,
                "ErrorItemNotFound", "ErrorIrresolvableConflict").ConfigureAwait(false);
            if (result.IsError)
            {
                throw Unreadable(message, result);
            }

            // "UpdateItem operation": the answer holds the item's id with its new ChangeKey.
            XElement? id = result.Element?.Descendants(T + "ItemId").FirstOrDefault();
            message.Handle = (string?)id?.Attribute("ChangeKey") ?? message.Handle;
        }

        public async Task<string> EnsureFolderAsync(FolderPath folder, CancellationToken cancellationToken)
        {
            if (folder == null)
            {
                throw new ArgumentNullException(nameof(folder));
            }

            (string id, string path) = await ResolveAsync(folder, create: true, cancellationToken).ConfigureAwait(false);
            _folderIds[folder.Text] = id;
            return path;
        }

        public async Task MoveAsync(MailSummary message, FolderPath folder, CancellationToken cancellationToken)
        {
            if (message == null || folder == null)
            {
                throw new ArgumentNullException(message == null ? nameof(message) : nameof(folder));
            }

            if (!_folderIds.TryGetValue(folder.Text, out string? folderId))
            {
                await EnsureFolderAsync(folder, cancellationToken).ConfigureAwait(false);
                folderId = _folderIds[folder.Text];
            }

            EwsResponseMessage result = await ExecuteAsync(EwsMailboxRequests.MoveItem(message.RemoteId, folderId), message.RemoteId, cancellationToken, "ErrorItemNotFound")
                .ConfigureAwait(false);
            if (result.IsError)
            {
                throw Unreadable(message, result);
            }
        }

        /// <summary>
        /// The folder's FolderId and its path as the server names it: the distinguished folder (GetFolder), then each segment
        /// among the children (FindFolder, matched without case); a missing one is FolderNotFound, or created when
        /// <paramref name="create"/> (CreateFolder).
        /// </summary>
        private async Task<(string Id, string Path)> ResolveAsync(FolderPath folder, bool create, CancellationToken ct)
        {
            string distinguished;
            IReadOnlyList<string> below = folder.Below;
            switch (folder.Root)
            {
                case WellKnownFolder.Inbox:
                    distinguished = "inbox";
                    break;
                case WellKnownFolder.SentItems:
                    distinguished = "sentitems";
                    break;
                case WellKnownFolder.Drafts:
                    distinguished = "drafts";
                    break;
                case WellKnownFolder.DeletedItems:
                    distinguished = "deleteditems";
                    break;
                case WellKnownFolder.JunkEmail:
                    distinguished = "junkemail";
                    break;
                default:
                    // Archive and ordinary names: folders under the top of the information store, beside the Inbox.
                    distinguished = "msgfolderroot";
                    below = folder.Segments;
                    break;
            }

            EwsResponseMessage root = await ExecuteAsync(EwsMailboxRequests.GetFolder(distinguished, _mailbox), folder.Text, ct).ConfigureAwait(false);
            (string id, string name) = Folder(root.Element?.Element(M + "Folders")?.Elements().FirstOrDefault())
                                       ?? throw folder.NotFound(Owner, $"Exchange answered GetFolder for '{distinguished}' without the folder.");
            var names = new List<string>();
            if (distinguished != "msgfolderroot")
            {
                names.Add(name);
            }

            for (int i = 0; i < below.Count; i++)
            {
                string segment = below[i];
                string[] accepted = i == 0 && folder.Root == WellKnownFolder.Archive
                    ? new[] { segment }.Concat(ArchiveNames).ToArray()
                    : new[] { segment };
                (string Id, string Name)? child = await FindChildAsync(id, accepted, folder, ct).ConfigureAwait(false);
                if (child == null)
                {
                    if (!create)
                    {
                        throw folder.NotFound(Owner, names.Count > 0 ? $"'{string.Join("/", names)}' has no subfolder '{segment}'." : null);
                    }

                    child = await CreateAsync(id, segment, folder, ct).ConfigureAwait(false);
                    _log.Verbose($"EWS {Server}: created the folder '{segment}' in {(names.Count > 0 ? string.Join("/", names) : "the top of the mailbox")} of {Owner}.");
                }

                id = child.Value.Id;
                names.Add(child.Value.Name);
            }

            return (id, string.Join("/", names));
        }

        /// <summary>The child folder whose name is one of <paramref name="names"/> (first that matches, in that order), paging through FindFolder.</summary>
        private async Task<(string Id, string Name)?> FindChildAsync(string parentId, string[] names, FolderPath folder, CancellationToken ct)
        {
            var children = new List<(string Id, string Name)>();
            int offset = 0;
            while (true)
            {
                EwsResponseMessage message = await ExecuteAsync(EwsMailboxRequests.FindFolder(parentId, offset), folder.Text, ct).ConfigureAwait(false);
                XElement? root = message.Element?.Element(M + "RootFolder");
                List<(string Id, string Name)> page = root?.Element(T + "Folders")?.Elements().Select(Folder).Where(f => f != null).Select(f => f!.Value).ToList()
                                                      ?? new List<(string Id, string Name)>();
                children.AddRange(page);
                bool last = string.Equals((string?)root?.Attribute("IncludesLastItemInRange"), "true", StringComparison.OrdinalIgnoreCase);
                if (last || page.Count == 0)
                {
                    break;
                }

                offset += page.Count;
            }

            foreach (string name in names)
            {
                foreach ((string Id, string Name) child in children)
                {
                    if (string.Equals(child.Name, name, StringComparison.OrdinalIgnoreCase))
                    {
                        return child;
                    }
                }
            }

            return null;
        }

        private async Task<(string Id, string Name)> CreateAsync(string parentId, string name, FolderPath folder, CancellationToken ct)
        {
            EwsResponseMessage message = await ExecuteAsync(EwsMailboxRequests.CreateFolder(parentId, name), folder.Text, ct, "ErrorFolderExists").ConfigureAwait(false);
            if (message.IsError)
            {
                // Made by someone else since the look-up: use theirs.
                return await FindChildAsync(parentId, new[] { name }, folder, ct).ConfigureAwait(false)
                       ?? throw folder.NotFound(Owner, $"Exchange says '{name}' exists but does not list it.");
            }

            string id = (string?)message.Element?.Descendants(T + "FolderId").FirstOrDefault()?.Attribute("Id")
                        ?? throw folder.NotFound(Owner, $"Exchange answered CreateFolder for '{name}' without the new folder's id.");
            return (id, name);
        }

        /// <summary>A t:Folder (or another folder element) as (FolderId, DisplayName).</summary>
        private static (string Id, string Name)? Folder(XElement? element)
        {
            string? id = (string?)element?.Element(T + "FolderId")?.Attribute("Id");
            if (element == null || string.IsNullOrEmpty(id))
            {
                return null;
            }

            return (id!, element.Element(T + "DisplayName")?.Value ?? string.Empty);
        }

        /// <summary>A listed item as a summary: id and ChangeKey (kept in Handle for UpdateItem), and the listing's properties.</summary>
        private static MailSummary? Summary(XElement item)
        {
            XElement? itemId = item.Element(T + "ItemId");
            string? id = (string?)itemId?.Attribute("Id");
            if (string.IsNullOrEmpty(id))
            {
                return null;
            }

            string? itemClass = item.Element(T + "ItemClass")?.Value;
            string? messageId = item.Element(T + "InternetMessageId")?.Value.Trim();
            return new MailSummary
            {
                RemoteId = id!,
                Handle = (string?)itemId!.Attribute("ChangeKey"),
                Subject = item.Element(T + "Subject")?.Value,
                Received = Date(item.Element(T + "DateTimeReceived")),
                Size = long.TryParse(item.Element(T + "Size")?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long size) ? size : 0,
                HasAttachments = Bool(item.Element(T + "HasAttachments")),
                IsRead = Bool(item.Element(T + "IsRead")),
                From = Mailboxes(item.Element(T + "From")).FirstOrDefault(),
                MessageId = string.IsNullOrEmpty(messageId) ? null : messageId!.Trim('<', '>'),
                IsDeliveryReport = itemClass == null ? (bool?)null : IsReportClass(itemClass),
            };
        }

        /// <summary>
        /// Exchange's delivery status notifications: REPORT.IPM.Note.NDR, .DR, .Delayed, .Relayed, .Expanded (MS-OXOMSG 2.2.1.1:
        /// report messages have the class REPORT.&lt;original class&gt;.&lt;suffix&gt;); read receipts (.IPNRN, .IPNNRN) are not.
        /// </summary>
        public static bool IsReportClass(string itemClass)
        {
            if (!itemClass.StartsWith("REPORT.", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            return !itemClass.EndsWith(".IPNRN", StringComparison.OrdinalIgnoreCase) && !itemClass.EndsWith(".IPNNRN", StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>"Name &lt;address&gt;" (or the address alone) of each t:Mailbox of a recipient element.</summary>
        private static IReadOnlyList<string> Mailboxes(XElement? element)
        {
            if (element == null)
            {
                return Array.Empty<string>();
            }

            var list = new List<string>();
            foreach (XElement mailbox in element.Descendants(T + "Mailbox"))
            {
                string? name = mailbox.Element(T + "Name")?.Value.Trim();
                string? address = mailbox.Element(T + "EmailAddress")?.Value.Trim();
                if (string.IsNullOrEmpty(address))
                {
                    if (!string.IsNullOrEmpty(name))
                    {
                        list.Add(name!);
                    }

                    continue;
                }

                list.Add(string.IsNullOrEmpty(name) || string.Equals(name, address, StringComparison.OrdinalIgnoreCase)
                    ? address!
                    : new MailboxAddress(name, address!).ToString());
            }

            return list;
        }

        private static DateTimeOffset Date(XElement? element)
        {
            if (element == null)
            {
                return default;
            }

            try
            {
                return XmlConvert.ToDateTimeOffset(element.Value.Trim());
            }
            catch (FormatException)
            {
                return default;
            }
        }

        private static bool Bool(XElement? element) => string.Equals(element?.Value.Trim(), "true", StringComparison.OrdinalIgnoreCase) || element?.Value.Trim() == "1";

        /// <summary>The response message of a one-item request; error codes in <paramref name="expected"/> are returned, others thrown.</summary>
        private async Task<EwsResponseMessage> ExecuteAsync(EwsRequest request, string target, CancellationToken ct, params string[] expected)
        {
            EwsResponse response = await SendAsync(request, target, null, ct).ConfigureAwait(false);
            EwsResponseMessage first = response.Messages[0];
            if (first.IsError && !expected.Contains(first.ResponseCode, StringComparer.Ordinal))
            {
                throw Error(response, first, target);
            }

            return first;
        }

        /// <summary>A many-item request (GetItem of a page): only an error of the whole request (every item refused alike) is thrown.</summary>
        private async Task<EwsResponse> ExecuteAllAsync(EwsRequest request, string target, CancellationToken ct)
        {
            EwsResponse response = await SendAsync(request, target, null, ct).ConfigureAwait(false);
            EwsResponseMessage? error = response.Messages.FirstOrDefault(m => m.IsError && m.ResponseCode != "ErrorItemNotFound");
            if (error != null && response.Messages.All(m => m.IsError))
            {
                throw Error(response, error, target);
            }

            return response;
        }

        /// <summary>
        /// One request, its answer checked: HTTP statuses and SOAP faults as the contract's errors (<see cref="EwsErrors"/>),
        /// ErrorServerBusy (fault or response message) waited out as the server asks, a bounded number of times.
        /// </summary>
        private async Task<EwsResponse> SendAsync(EwsRequest request, string target, Func<Stream, CancellationToken, Task<EwsResponse?>>? readSuccess, CancellationToken ct)
        {
            if (_accountFailure != null)
            {
                throw _accountFailure;
            }

            for (int attempt = 0; ; attempt++)
            {
                EwsExchange exchange = await _connection.SendAsync(request, expectContinue: false, readSuccess, ct).ConfigureAwait(false);
                EwsResponse? response = exchange.Response;
                if (response != null && response.ErrorCode == EwsErrors.ServerBusy)
                {
                    TimeSpan? wait = _retry.DelayBefore(attempt + 1, response.BackOff);
                    if (wait != null)
                    {
                        _log.Verbose($"EWS {Server}: {request.Operation} answered ErrorServerBusy; waiting {wait.Value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s " +
                                     $"as Exchange asks (attempt {attempt + 2} of {_retry.RetryCount + 1}).");
                        await _retry.WaitAsync(wait.Value, ct).ConfigureAwait(false);
                        continue;
                    }

                    throw Busy(response, target);
                }

                if (response != null && response.Fault != null)
                {
                    throw Error(response, null, target);
                }

                if (response != null && exchange.Status == HttpStatusCode.OK && response.Messages.Count > 0)
                {
                    return response;
                }

                if (exchange.Status == HttpStatusCode.OK)
                {
                    throw new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.InvalidData,
                        $"Exchange ({_options.Endpoint.Host}) answered {request.Operation} with HTTP 200 but a body that is not a readable EWS response " +
                        "(a proxy in between may have changed it).", target);
                }

                G5MailErrorException failure = EwsErrors.FromStatus(exchange.Status, exchange.Location, _options.Endpoint, _connection.UserName, request.Length, target);
                if (failure.ErrorId == ErrorIds.AuthenticationFailed)
                {
                    _accountFailure = failure;
                }

                throw failure;
            }
        }

        /// <summary>EWS's answer as the contract's error for reading a mailbox.</summary>
        private G5MailErrorException Error(EwsResponse response, EwsResponseMessage? message, string target)
        {
            string code = message?.ResponseCode ?? response.ErrorCode ?? "ErrorInternalServerError";
            string text = (message?.MessageText ?? response.Fault?.Text ?? code).Trim();
            string said = $"Exchange ({_options.Endpoint.Host}) answered {code}: {text}";
            string user = _connection.UserName ?? "the current Windows user";
            switch (code)
            {
                case "ErrorFolderNotFound":
                    return (_folder != null && _folder.Text == target ? _folder : FolderPath.Parse(target, "Folder")).NotFound(Owner, said + ".");
                case "ErrorAccessDenied":
                    return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied, _mailbox != null
                        ? $"{said}. '{user}' may not read or change {_mailbox}: give the account Full Access to it (Add-MailboxPermission {_mailbox} -User <account> " +
                          $"-AccessRights FullAccess), or rights on the folder (Add-MailboxFolderPermission {_mailbox}:\\Inbox -User <account> -AccessRights Editor; " +
                          "Reviewer is enough to read without -MarkAsRead and -MoveTo)."
                        : $"{said}. '{user}' may not use this mailbox through EWS: check that it has a mailbox and that EWS is allowed for it " +
                          "(Get-CASMailbox <user> | Format-List Ews*).", target);
                case "ErrorNonExistentMailbox":
                case "ErrorMailboxNotFound":
                    return new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.ObjectNotFound,
                        $"{said}. Exchange has no mailbox {_mailbox ?? "for this account"}: check -Mailbox (or the From setting).", "Mailbox");
                default:
                    return EwsErrors.FromResponse(response, _options.Endpoint, _connection.UserName, _mailbox, target);
            }
        }

        /// <summary>Still throttled after the retries: the server's failure, which ends the call.</summary>
        private G5MailErrorException Busy(EwsResponse response, string target) =>
            new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ResourceUnavailable,
                $"Exchange ({_options.Endpoint.Host}) is throttling this account (ErrorServerBusy) and still was after {_retry.RetryCount} wait(s). " +
                "Run the command again later, or ask the Exchange administrator about the account's throttling policy.", target)
            {
                Failure = FailureClass.Transient,
                RetryAfter = response.BackOff,
                Cause = EwsErrors.ServerBusy,
                Scope = FailureScope.Server,
            };

        /// <summary>One message that cannot be read, marked or moved (gone, or its MIME refused): that message alone fails.</summary>
        private G5MailErrorException Unreadable(MailSummary message, EwsResponseMessage result)
        {
            string code = result.ResponseCode ?? "ErrorInternalServerError";
            if (code == "ErrorAccessDenied")
            {
                return Error(new EwsResponse(null, new[] { result }, null), result, message.RemoteId);
            }

            string why = code == "ErrorItemNotFound"
                ? "it is no longer in the folder (moved or deleted since it was listed)"
                : code == "ErrorIrresolvableConflict" ? "it was changed by someone else at the same time" : result.MessageText ?? code;
            return new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.ReadError,
                $"The message '{message.Subject}' from {message.From ?? "an unknown sender"} could not be read from Exchange ({_options.Endpoint.Host}): {why} ({code}).",
                message.RemoteId)
            {
                Scope = FailureScope.Message,
            };
        }

        private static string Address(string text) =>
            MailAddresses.TryParseMailbox(text, out MailboxAddress parsed) ? parsed.Address : text.Trim();

        /// <summary>The endpoint's warning (plain http on this computer), once per reader as the transports give it once per run.</summary>
        private void WarnOnce()
        {
            if (!_warned && _options.Endpoint.Warning is string warning)
            {
                _log.Warning(warning);
            }

            _warned = true;
        }

        public void Dispose() => _connection.Dispose();
    }

    /// <summary>
    /// Reads a GetItem answer with IncludeMimeContent as it arrives: the base64 of t:MimeContent ("MimeContent": the whole
    /// message, base64-encoded; its CharacterSet attribute names the charset the MIME was converted with and does not change
    /// the bytes) is decoded in chunks straight into the destination, so memory stays the same whatever the message's size.
    /// An error response message is returned as an <see cref="EwsResponse"/> like any other answer.
    /// </summary>
    public static class MimeContentReader
    {
        private const int ChunkSize = 48 * 1024;

        public static async Task<(EwsResponse? Response, bool FoundMime)> CopyAsync(Stream body, Stream destination, string target, CancellationToken ct)
        {
            var settings = new XmlReaderSettings
            {
                Async = true,
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                IgnoreWhitespace = true,
                IgnoreComments = true,
            };
            XmlReader reader;
            try
            {
                reader = XmlReader.Create(body, settings);
            }
            catch (XmlException)
            {
                return (null, false);
            }

            using (reader)
            {
                try
                {
                    while (await reader.ReadAsync().ConfigureAwait(false))
                    {
                        if (reader.NodeType != XmlNodeType.Element || reader.NamespaceURI != EwsNames.Messages ||
                            !reader.LocalName.EndsWith("ResponseMessage", StringComparison.Ordinal))
                        {
                            continue;
                        }

                        string responseClass = reader.GetAttribute("ResponseClass") ?? "Error";
                        if (responseClass != "Success")
                        {
                            var element = (XElement)XNode.ReadFrom(reader); // an error message is small; the reader has it buffered
                            return (Wrap(element), false);
                        }

                        bool found = false;
                        while (await reader.ReadAsync().ConfigureAwait(false))
                        {
                            if (reader.NodeType == XmlNodeType.Element && reader.NamespaceURI == EwsNames.Types && reader.LocalName == "MimeContent")
                            {
                                await DecodeAsync(reader, destination, target, ct).ConfigureAwait(false);
                                found = true;
                                break;
                            }
                        }

                        var success = new EwsResponseMessage("GetItem", "Success", "NoError", null, new Dictionary<string, string>(), Array.Empty<string>());
                        return (new EwsResponse(null, new[] { success }, null), found);
                    }
                }
                catch (XmlException)
                {
                    return (null, false);
                }
            }

            return (null, false);
        }

        private static async Task DecodeAsync(XmlReader reader, Stream destination, string target, CancellationToken ct)
        {
            var buffer = new byte[ChunkSize];
            while (true)
            {
                int read;
                try
                {
                    read = await reader.ReadElementContentAsBase64Async(buffer, 0, buffer.Length).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is FormatException || (ex is XmlException && reader.ReadState != ReadState.EndOfFile))
                {
                    throw new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.InvalidData,
                        $"Exchange sent MIME content that is not valid base64: {ex.Message}", target, ex) { Scope = FailureScope.Message };
                }

                if (read == 0)
                {
                    break;
                }

                ct.ThrowIfCancellationRequested();
                try
                {
                    await destination.WriteAsync(buffer, 0, read, ct).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    throw new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.WriteError,
                        $"The message could not be written to a temporary file: {ex.Message}", target, ex) { Scope = FailureScope.Message };
                }
            }
        }

        /// <summary>An error response message as a parsed answer (its own envelope around it, parsed as every EWS answer is).</summary>
        private static EwsResponse Wrap(XElement message)
        {
            XNamespace s = EwsNames.Soap;
            var document = new XDocument(new XElement(s + "Envelope", new XElement(s + "Body",
                new XElement(message.Name.Namespace + "GetItemResponse", new XElement(message.Name.Namespace + "ResponseMessages", message)))));
            return EwsResponseParser.Parse(document.ToString(SaveOptions.DisableFormatting));
        }
    }
}
