using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using G5Mail.Core.Security;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Smtp;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MimeKit;

namespace G5Mail.Core.Transports.Imap
{
    public sealed class ImapReaderOptions
    {
        public ImapReaderOptions(ImapEndpoint endpoint, CertificatePolicy certificates)
        {
            Endpoint = endpoint;
            Certificates = certificates;
        }

        public ImapEndpoint Endpoint { get; }
        public CertificatePolicy Certificates { get; }

        /// <summary>The account (the Credential setting, the same as for SMTP AUTH).</summary>
        public NetworkCredential? Credential { get; set; }

        /// <summary>The bound of connect, greeting, TLS handshake and each reply (the TimeoutSeconds setting).</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(Defaults.TimeoutSeconds);

        /// <summary>How much of a message one partial fetch asks for: the most a download holds in memory at once.</summary>
        public int DownloadChunkBytes { get; set; } = 4 * 1024 * 1024;

        /// <summary>Whether a password may cross an unencrypted connection: only to this computer. A seam for tests.</summary>
        internal Func<ImapEndpoint, bool> MaySendCredentialsInClear { get; set; } = endpoint => endpoint.IsLoopback;
    }

    /// <summary>
    /// Reads a mailbox folder over IMAP (Method Smtp) with MailKit's ImapClient: one connection and one login for the whole
    /// call (a rejected login is remembered and never tried again in the same call), the SMTP transport's certificate rules,
    /// timeout and no-cleartext-password rule. Listing is one UID SEARCH and one UID FETCH of the summaries for all matches.
    /// </summary>
    public sealed class ImapMailboxReader : IMailboxReader
    {
        /// <summary>What one listing fetches: enough for MailSummary without reading any message.</summary>
        private const MessageSummaryItems ListingItems = MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.Flags
            | MessageSummaryItems.InternalDate | MessageSummaryItems.Size | MessageSummaryItems.BodyStructure;

        private readonly ImapReaderOptions _options;
        private readonly IRunLog _log;
        private ImapClient? _client;
        private IMailFolder? _folder;
        private string _folderPath = string.Empty;
        private G5MailErrorException? _failedLogin;
        private List<ImapFolderEntry>? _folders;
        private readonly Dictionary<string, IMailFolder> _byName = new Dictionary<string, IMailFolder>(StringComparer.Ordinal);
        private bool _warnedNoUidPlus;

        public ImapMailboxReader(ImapReaderOptions options, IRunLog log)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? NullRunLog.Instance;
        }

        public string Server => _options.Endpoint.ToString();

        private ImapEndpoint Endpoint => _options.Endpoint;

        public async Task<string> OpenFolderAsync(FolderPath folder, bool forWrite, CancellationToken cancellationToken)
        {
            ImapClient client = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                IReadOnlyList<ImapFolderEntry> folders = await ListFoldersAsync(client, cancellationToken).ConfigureAwait(false);
                ImapFolderEntry? entry = ImapFolderResolver.Resolve(folder, folders, NamespacePrefix(client));
                if (entry == null)
                {
                    throw folder.NotFound(MailboxName, $"{Endpoint} lists: {string.Join(", ", folders.Select(f => ImapFolderResolver.DisplayPath(f, NamespacePrefix(client))))}.");
                }

                IMailFolder opened = _byName[entry.FullName];
                if ((opened.Attributes & FolderAttributes.NoSelect) != 0)
                {
                    throw folder.NotFound(MailboxName, $"'{ImapFolderResolver.DisplayPath(entry, NamespacePrefix(client))}' only holds other folders (\\Noselect), no messages.");
                }

                await opened.OpenAsync(forWrite ? FolderAccess.ReadWrite : FolderAccess.ReadOnly, cancellationToken).ConfigureAwait(false);
                _folder = opened;
                _folderPath = ImapFolderResolver.DisplayPath(entry, NamespacePrefix(client));
                _log.Verbose($"IMAP {Endpoint}: opened {entry.FullName} ({(forWrite ? "read-write" : "read-only")}, {opened.Count} messages, UIDVALIDITY {opened.UidValidity}).");
                return _folderPath;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) || !cancellationToken.IsCancellationRequested)
            {
                throw Map(ex);
            }
        }

        public async Task<IReadOnlyList<MailSummary>> ListAsync(MailQuery query, CancellationToken cancellationToken)
        {
            IMailFolder folder = OpenedFolder();
            try
            {
                // SEARCH SINCE compares dates only (RFC 3501 6.4.4, in the server's time zone): ask for the day before and
                // keep the exact instant below. Messages marked \Deleted (a move without UIDPLUS) are left out below from
                // their FLAGS rather than with UNDELETED, which not every server's SEARCH knows (smtp4dev's does not).
                SearchQuery search = SearchQuery.All;
                if (query.Since is DateTimeOffset since)
                {
                    search = SearchQuery.DeliveredAfter(since.UtcDateTime.Date.AddDays(-1));
                }

                if (query.UnreadOnly)
                {
                    search = search == SearchQuery.All ? SearchQuery.NotSeen : search.And(SearchQuery.NotSeen);
                }

                IList<UniqueId> uids = await folder.SearchAsync(search, cancellationToken).ConfigureAwait(false);
                if (uids.Count == 0)
                {
                    return Array.Empty<MailSummary>();
                }

                // One UID FETCH for every match: MailKit writes the set compactly (1:1000), one round trip however many.
                IList<IMessageSummary> fetched = await folder.FetchAsync(uids, new FetchRequest(ListingItems), cancellationToken).ConfigureAwait(false);
                IEnumerable<MailSummary> summaries = fetched
                    .Where(m => m.Flags == null || (m.Flags.Value & MessageFlags.Deleted) == 0)
                    .Select(m => ToSummary(m, folder.UidValidity))
                    .Where(m => query.Since == null || m.Received >= query.Since.Value)
                    .Where(m => !query.DeliveryReportsOnly || m.IsDeliveryReport != false)
                    .OrderBy(m => m.Received)
                    .ThenBy(m => ((UniqueId)m.Handle!).Id);
                List<MailSummary> list = query.First is int first ? summaries.Take(Math.Max(0, first)).ToList() : summaries.ToList();
                _log.Verbose($"IMAP {Endpoint}: {uids.Count} messages match in {_folderPath}; listing {list.Count}.");
                return list;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) || !cancellationToken.IsCancellationRequested)
            {
                throw Map(ex);
            }
        }

        public async Task DownloadAsync(MailSummary message, Stream destination, CancellationToken cancellationToken)
        {
            IMailFolder folder = OpenedFolder();
            UniqueId uid = UidOf(message);
            int chunk = Math.Max(64 * 1024, _options.DownloadChunkBytes);
            try
            {
                // BODY.PEEK[]<offset.count> (RFC 3501 6.4.5): PEEK leaves \Seen alone; partial fetches bound the memory MailKit
                // uses to one chunk, where a whole-message fetch would read the literal into memory first.
                for (int offset = 0; ; offset += chunk)
                {
                    int copied;
                    using (Stream part = await folder.GetStreamAsync(uid, offset, chunk, cancellationToken).ConfigureAwait(false))
                    {
                        copied = await CopyAsync(part, destination, cancellationToken).ConfigureAwait(false);
                    }

                    if (copied < chunk)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) || !cancellationToken.IsCancellationRequested)
            {
                G5MailErrorException mapped = Map(ex);
                if (mapped.Scope == FailureScope.Message || ex is ImapCommandException || ex is MessageNotFoundException)
                {
                    throw Unreadable(message, ex);
                }

                throw mapped;
            }
        }

        public async Task MarkReadAsync(MailSummary message, CancellationToken cancellationToken)
        {
            IMailFolder folder = OpenedFolder();
            try
            {
                await folder.StoreAsync(new[] { UidOf(message) }, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true }, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) || !cancellationToken.IsCancellationRequested)
            {
                throw Map(ex);
            }
        }

        public async Task<string> EnsureFolderAsync(FolderPath folder, CancellationToken cancellationToken)
        {
            ImapClient client = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                string prefix = NamespacePrefix(client);
                IReadOnlyList<ImapFolderEntry> folders = await ListFoldersAsync(client, cancellationToken).ConfigureAwait(false);
                (ImapFolderEntry? parent, int depth) = ImapFolderResolver.Deepest(folder, folders, prefix);
                if (depth == folder.Segments.Count && parent != null)
                {
                    return ImapFolderResolver.DisplayPath(parent, prefix);
                }

                IMailFolder current = parent != null ? _byName[parent.FullName] : client.GetFolder(client.PersonalNamespaces[0]);
                foreach (string name in folder.Segments.Skip(depth))
                {
                    _log.Verbose($"IMAP {Endpoint}: creating folder '{name}' in '{(parent != null ? current.FullName : "(top)")}'.");
                    try
                    {
                        current = await current.CreateAsync(name, true, cancellationToken).ConfigureAwait(false)
                                  ?? throw new G5MailErrorException(ErrorIds.FolderNotFound, ErrorKind.ObjectNotFound,
                                      $"{Endpoint} did not create the folder '{name}' for '{folder.Text}'.", folder.Text);
                    }
                    catch (ImapCommandException ex)
                    {
                        throw new G5MailErrorException(ErrorIds.FolderNotFound, ErrorKind.ObjectNotFound,
                            $"The folder '{folder.Text}' does not exist in {MailboxName} and {Endpoint} refused to create '{name}': {Reply(ex)}. " +
                            "Create it with a mail client, or choose an existing folder for -MoveTo.", folder.Text, ex);
                    }

                    _byName[current.FullName] = current;
                }

                _folders = null; // listed again when next needed
                var created = new ImapFolderEntry(current.FullName, current.DirectorySeparator);
                return ImapFolderResolver.DisplayPath(created, prefix);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) || !cancellationToken.IsCancellationRequested)
            {
                throw Map(ex);
            }
        }

        public async Task MoveAsync(MailSummary message, FolderPath folder, CancellationToken cancellationToken)
        {
            IMailFolder source = OpenedFolder();
            ImapClient client = _client!;
            UniqueId uid = UidOf(message);
            try
            {
                IReadOnlyList<ImapFolderEntry> folders = await ListFoldersAsync(client, cancellationToken).ConfigureAwait(false);
                ImapFolderEntry entry = ImapFolderResolver.Resolve(folder, folders, NamespacePrefix(client)) ?? throw folder.NotFound(MailboxName);
                IMailFolder destination = _byName[entry.FullName];
                if ((client.Capabilities & ImapCapabilities.Move) != 0)
                {
                    // RFC 6851: one atomic UID MOVE.
                    await source.MoveToAsync(new[] { uid }, destination, cancellationToken).ConfigureAwait(false);
                    return;
                }

                // RFC 3501 without MOVE: UID COPY, then \Deleted on the original; RFC 4315 UID EXPUNGE removes exactly that one.
                await source.CopyToAsync(new[] { uid }, destination, cancellationToken).ConfigureAwait(false);
                await source.StoreAsync(new[] { uid }, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, cancellationToken)
                    .ConfigureAwait(false);
                if ((client.Capabilities & ImapCapabilities.UidPlus) != 0)
                {
                    await source.ExpungeAsync(new[] { uid }, cancellationToken).ConfigureAwait(false);
                }
                else if (!_warnedNoUidPlus)
                {
                    // A plain EXPUNGE would also remove every other message someone marked \Deleted in this folder: the
                    // original stays, marked \Deleted (hidden from the next listing), until a mail client or the server expunges it.
                    _warnedNoUidPlus = true;
                    _log.Verbose($"IMAP {Endpoint} offers neither MOVE nor UIDPLUS: moved messages are copied and their originals marked \\Deleted, not expunged.");
                }
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) || !cancellationToken.IsCancellationRequested)
            {
                throw Map(ex);
            }
        }

        public void Dispose()
        {
            MailServices.CloseQuietly(_client);
            _client = null;
        }

        private string MailboxName => _options.Credential != null ? $"the mailbox of '{AccountNames.UserNameOf(_options.Credential)}' on {Endpoint}" : Endpoint.ToString();

        private IMailFolder OpenedFolder() => _folder ?? throw new InvalidOperationException("OpenFolderAsync comes first.");

        private static UniqueId UidOf(MailSummary message) =>
            message.Handle is UniqueId uid ? uid : throw new ArgumentException("Not a message listed by this IMAP reader.", nameof(message));

        private static string NamespacePrefix(ImapClient client) =>
            client.PersonalNamespaces.Count > 0 ? client.PersonalNamespaces[0].Path ?? string.Empty : string.Empty;

        private static async Task<int> CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
        {
            var buffer = new byte[81920];
            int total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer, 0, read, cancellationToken).ConfigureAwait(false);
                total += read;
            }

            return total;
        }

        /// <summary>Every folder of the personal namespace, in one LIST (kept for the call; a CREATE empties it).</summary>
        private async Task<IReadOnlyList<ImapFolderEntry>> ListFoldersAsync(ImapClient client, CancellationToken cancellationToken)
        {
            if (_folders != null)
            {
                return _folders;
            }

            var list = new List<ImapFolderEntry>();
            _byName.Clear();
            IMailFolder inbox = client.Inbox;
            Add(inbox);
            FolderNamespace personal = client.PersonalNamespaces.Count > 0 ? client.PersonalNamespaces[0] : new FolderNamespace('/', string.Empty);
            foreach (IMailFolder folder in await client.GetFoldersAsync(personal, false, cancellationToken).ConfigureAwait(false))
            {
                Add(folder);
            }

            void Add(IMailFolder folder)
            {
                // A \Noselect folder (RFC 3501 7.2.2) stays in the list: its sub-folders are reached through it.
                if (_byName.ContainsKey(folder.FullName) || ((folder.Attributes & FolderAttributes.NonExistent) != 0 && folder != inbox))
                {
                    return;
                }

                _byName[folder.FullName] = folder;
                list.Add(new ImapFolderEntry(folder.FullName, folder.DirectorySeparator, RoleOf(folder.Attributes)));
            }

            _folders = list;
            return list;
        }

        /// <summary>RFC 6154 special-use attributes as the roles of <see cref="FolderPath"/>.</summary>
        internal static WellKnownFolder RoleOf(FolderAttributes attributes)
        {
            if ((attributes & FolderAttributes.Inbox) != 0) return WellKnownFolder.Inbox;
            if ((attributes & FolderAttributes.Sent) != 0) return WellKnownFolder.SentItems;
            if ((attributes & FolderAttributes.Drafts) != 0) return WellKnownFolder.Drafts;
            if ((attributes & FolderAttributes.Trash) != 0) return WellKnownFolder.DeletedItems;
            if ((attributes & FolderAttributes.Junk) != 0) return WellKnownFolder.JunkEmail;
            if ((attributes & FolderAttributes.Archive) != 0) return WellKnownFolder.Archive;
            return WellKnownFolder.None;
        }

        internal static MailSummary ToSummary(IMessageSummary m, uint uidValidity)
        {
            Envelope? envelope = m.Envelope;
            List<ReceivedAttachment>? attachments = AttachmentsOf(m.Body, out bool hasAttachments);
            return new MailSummary
            {
                RemoteId = $"{uidValidity}:{m.UniqueId.Id}",
                MessageId = envelope?.MessageId?.Trim('<', '>'),
                // Addresses only, as every reader gives them (a script compares them; the display name is in the MIME).
                From = envelope?.From?.Mailboxes.FirstOrDefault()?.Address,
                To = envelope?.To?.Mailboxes.Select(a => a.Address).ToArray() ?? Array.Empty<string>(),
                Cc = envelope?.Cc?.Mailboxes.Select(a => a.Address).ToArray() ?? Array.Empty<string>(),
                Subject = envelope?.Subject,
                Received = m.InternalDate ?? envelope?.Date ?? DateTimeOffset.MinValue,
                Size = m.Size ?? 0,
                IsRead = m.Flags.HasValue && (m.Flags.Value & MessageFlags.Seen) != 0,
                HasAttachments = hasAttachments,
                IsDeliveryReport = m.Body == null ? null : IsDeliveryReport(m.Body),
                Attachments = attachments,
                Handle = m.UniqueId,
            };
        }

        /// <summary>
        /// RFC 3464 2 / RFC 6522: a delivery status notification is multipart/report with report-type delivery-status (RFC 6533:
        /// global-delivery-status); the NDRs of Exchange and Exchange Online are the same shape. Null when the listing cannot
        /// tell: a multipart/report whose parameters the server left out (they are BODYSTRUCTURE extension data, RFC 3501
        /// 7.4.2, which smtp4dev 3.15 for one does not send); the content then tells.
        /// </summary>
        internal static bool? IsDeliveryReport(BodyPart body)
        {
            if (!(body is BodyPartMultipart multipart) || !multipart.ContentType.IsMimeType("multipart", "report"))
            {
                return false;
            }

            if (!multipart.ContentType.Parameters.TryGetValue("report-type", out string? type))
            {
                return null;
            }

            return string.Equals(type, "delivery-status", StringComparison.OrdinalIgnoreCase)
                   || string.Equals(type, "global-delivery-status", StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>
        /// The attachments BODYSTRUCTURE describes: every leaf part that is not the message's text (the first text part, or
        /// the text parts of its multipart/alternative), and any part with Content-Disposition attachment or a file name.
        /// Null when such a part has no name in the answer (a server that sends no extension data, RFC 3501 7.4.2, as
        /// smtp4dev): the listing then cannot describe the attachments, and the MIME content tells. A report's parts
        /// (multipart/report: text, status, returned message) are never attachments.
        /// </summary>
        internal static List<ReceivedAttachment>? AttachmentsOf(BodyPart? body, out bool any)
        {
            any = false;
            if (body == null)
            {
                return null;
            }

            var candidates = new List<BodyPartBasic>();
            bool textFound = false;
            Walk(body, false, candidates, ref textFound);
            any = candidates.Count > 0;
            if (candidates.Any(p => string.IsNullOrEmpty(p.FileName)))
            {
                return null;
            }

            return candidates.Select(part => new ReceivedAttachment
            {
                Name = part.FileName ?? string.Empty,
                ContentType = part.ContentType.MimeType.ToLowerInvariant(),
                // The server's octets are the encoded size; base64 carries 3 bytes in 4 characters (RFC 2045 6.8).
                Size = string.Equals(part.ContentTransferEncoding, "base64", StringComparison.OrdinalIgnoreCase) ? part.Octets * 3 / 4 : (long)part.Octets,
            }).ToList();
        }

        private static void Walk(BodyPart part, bool inAlternative, List<BodyPartBasic> attachments, ref bool textFound)
        {
            switch (part)
            {
                case BodyPartMultipart multipart when multipart.ContentType.IsMimeType("multipart", "report"):
                    break;
                case BodyPartMultipart multipart:
                    bool alternative = multipart.ContentType.IsMimeType("multipart", "alternative");
                    foreach (BodyPart child in multipart.BodyParts)
                    {
                        Walk(child, alternative || inAlternative, attachments, ref textFound);
                    }

                    if (alternative)
                    {
                        textFound = true;
                    }

                    break;
                case BodyPartBasic basic:
                    bool named = basic.IsAttachment || !string.IsNullOrEmpty(basic.FileName);
                    bool text = basic.ContentType.IsMimeType("text", "plain") || basic.ContentType.IsMimeType("text", "html");
                    if (!named && text && (inAlternative || !textFound))
                    {
                        textFound = textFound || !inAlternative;
                        break; // the message's text
                    }

                    attachments.Add(basic);
                    break;
            }
        }

        private async Task<ImapClient> EnsureConnectedAsync(CancellationToken cancellationToken)
        {
            if (_failedLogin != null)
            {
                // One failed login per call: a directory that locks accounts after five must not see a second one.
                throw _failedLogin;
            }

            if (_client != null && _client.IsConnected && _client.IsAuthenticated)
            {
                return _client;
            }

            NetworkCredential credential = _options.Credential != null && !string.IsNullOrEmpty(_options.Credential.UserName)
                ? _options.Credential
                : throw new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation,
                    $"Reading the mailbox over IMAP ({Endpoint}) needs the account: Set-G5MailSetting -Scope System -Credential (Get-Credential).",
                    "Credential");

            Dispose();
            var client = new ImapClient
            {
                Timeout = (int)_options.Timeout.TotalMilliseconds,
                ServerCertificateValidationCallback = _options.Certificates.Validate,
                // As for SMTP: revocation lists are often unreachable from servers; chain, expiry and name are checked.
                CheckCertificateRevocation = false,
            };
            try
            {
                _log.Verbose($"IMAP: connecting to {Endpoint.Description}.");
                var socket = await SmtpSocket.ConnectAsync(Endpoint.Host, Endpoint.Port, _options.Timeout, cancellationToken).ConfigureAwait(false);
                try
                {
                    await client.ConnectAsync(socket, Endpoint.Host, Endpoint.Port, Endpoint.Security, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                WarnIfCertificateOverridden(client);
                await AuthenticateAsync(client, credential, cancellationToken).ConfigureAwait(false);
                _client = client;
                return client;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) || !cancellationToken.IsCancellationRequested)
            {
                client.Dispose();
                G5MailErrorException mapped = Map(ex);
                if (mapped.ErrorId == ErrorIds.AuthenticationFailed)
                {
                    _failedLogin = mapped;
                }

                throw mapped;
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        private void WarnIfCertificateOverridden(ImapClient client)
        {
            if (client.IsSecure && _options.Certificates.LastAcceptedByOverride && _options.Certificates.SkipCheck && _options.Certificates.PinnedThumbprint == null)
            {
                _log.Warning($"SkipCertificateCheck is on: the certificate of {Endpoint} was not validated " +
                             $"({_options.Certificates.LastSeen?.Thumbprint}). Anyone between here and the server could read this mailbox.");
            }
        }

        private Task AuthenticateAsync(ImapClient client, NetworkCredential credential, CancellationToken cancellationToken) =>
            SignInAsync(client, credential, Endpoint, _options.MaySendCredentialsInClear, _log, cancellationToken);

        /// <summary>
        /// Signs in once (the reader and Test-G5MailServer -Imap): never a password over an unencrypted connection to another
        /// computer; one SASL mechanism of <see cref="SmtpAuthentication.Preference"/> when the server offers one, else one
        /// LOGIN (RFC 3501 6.2.3), never both. MailKit's Authenticate(ICredentials) would try each SASL mechanism and then LOGIN
        /// with the same password, costing several failed logins per wrong password.
        /// </summary>
        internal static async Task SignInAsync(ImapClient client, NetworkCredential credential, ImapEndpoint endpoint,
            Func<ImapEndpoint, bool> maySendCredentialsInClear, IRunLog log, CancellationToken cancellationToken)
        {
            if (!client.IsSecure && !maySendCredentialsInClear(endpoint))
            {
                throw new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.SecurityError,
                    $"G5Mail will not send the password over the unencrypted connection to {endpoint}. " +
                    "Set UseSsl (Set-G5MailSetting -UseSsl) so IMAP uses port 993 with TLS, or use the server's STARTTLS.", endpoint.ToString());
            }

            string? mechanism = SmtpAuthentication.Choose(client.AuthenticationMechanisms);
            string user = AccountNames.UserNameOf(credential);
            if (mechanism != null)
            {
                log.Verbose($"IMAP {endpoint}: signing in as {user} with AUTHENTICATE {mechanism}.");
                await client.AuthenticateAsync(SmtpAuthentication.Create(mechanism, credential), cancellationToken).ConfigureAwait(false);
                return;
            }

            if ((client.Capabilities & ImapCapabilities.LoginDisabled) != 0)
            {
                throw new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError,
                    SmtpAuthentication.NoneSupported(endpoint.ToString(), client.AuthenticationMechanisms) + " LOGIN is disabled (LOGINDISABLED) too.",
                    endpoint.ToString());
            }

            // With no SASL mechanism left MailKit sends exactly one LOGIN command.
            log.Verbose($"IMAP {endpoint}: signing in as {user} with LOGIN.");
            client.AuthenticationMechanisms.Clear();
            await client.AuthenticateAsync(credential, cancellationToken).ConfigureAwait(false);
        }

        private G5MailErrorException Unreadable(MailSummary message, Exception ex) =>
            new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.ReadError,
                $"{Endpoint} could not give message {message.MessageId ?? message.RemoteId} ({message.Subject}): {ex.Message}", message.MessageId ?? message.RemoteId, ex)
            {
                Scope = FailureScope.Message,
            };

        private static string Reply(ImapCommandException ex) => $"{ex.Response.ToString().ToUpperInvariant()} {ex.ResponseText}".Trim();

        /// <summary>MailKit and socket failures as the contract's ids (the connection and certificate parts shared with SMTP).</summary>
        private G5MailErrorException Map(Exception ex)
        {
            string server = Endpoint.ToString();
            switch (ex)
            {
                case G5MailErrorException known:
                    return known;
                case SslHandshakeException _ when SmtpErrors.Certificate(ex, Endpoint.Host, server, _options.Certificates) is G5MailErrorException certificate:
                    return certificate;
                case SslHandshakeException _:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                        $"The TLS handshake with {server} failed. " + (Endpoint.Security == SecureSocketOptions.SslOnConnect
                            ? "The port may not speak TLS on connect: try port 143 with STARTTLS (Set-G5MailSetting -ImapPort 143)."
                            : "The server may expect TLS on connect: try port 993 (Set-G5MailSetting -ImapPort 993)."), server, ex);
                case MailKit.Security.AuthenticationException _:
                    return new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError,
                        $"{server} rejected the login for '{(_options.Credential != null ? AccountNames.UserNameOf(_options.Credential) : null)}' ({ex.Message.Trim()}). " +
                        "Check the user name and password (Set-G5MailSetting -Scope System -Credential (Get-Credential)); G5Mail did not try again.", server, ex);
                case NotSupportedException _ when Endpoint.Security == SecureSocketOptions.StartTls:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.SecurityError,
                        $"{server} does not offer STARTTLS, and G5Mail sends no password unencrypted to another computer. " +
                        "Set UseSsl to use port 993 with TLS (Set-G5MailSetting -UseSsl), or ask for STARTTLS on the server.", server, ex);
                case System.Net.Sockets.SocketException socket:
                    return SmtpErrors.Socket(socket, Endpoint.Host, Endpoint.Port, server, "ImapServer", "ImapPort (0 = 143, or 993 with UseSsl)");
                case IOException io when io.InnerException is System.Net.Sockets.SocketException inner:
                    return SmtpErrors.Socket(inner, Endpoint.Host, Endpoint.Port, server, "ImapServer", "ImapPort (0 = 143, or 993 with UseSsl)");
                case TimeoutException _:
                case OperationCanceledException _:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout,
                        $"{server} did not answer in time. Check ImapServer, ImapPort and the firewall, or raise TimeoutSeconds.", server, ex);
                case ImapProtocolException _:
                case IOException _:
                case ServiceNotConnectedException _:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                        $"The IMAP connection to {server} failed: {ex.Message}", server, ex);
                case FolderNotFoundException notFound:
                    return new G5MailErrorException(ErrorIds.FolderNotFound, ErrorKind.ObjectNotFound,
                        $"The folder '{notFound.FolderName}' does not exist on {server}.", notFound.FolderName, ex);
                case ImapCommandException command:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.InvalidOperation,
                        $"{server} refused an IMAP command: {Reply(command)}", server, ex)
                    {
                        Scope = FailureScope.Server,
                    };
                default:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.NotSpecified,
                        $"Reading the mailbox on {server} failed: {ex.GetType().Name}: {ex.Message}", server, ex);
            }
        }
    }
}
