using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>
    /// Receive-G5Mail and Get-G5DeliveryReport with Method Outlook: one folder of a store in the user's classic Outlook
    /// profile, read through the late-bound COM layer. Folders are found by role (NameSpace/Store.GetDefaultFolder) and
    /// by name below it; the listing is Items.Restrict (Jet filter on [ReceivedTime] and [UnRead]) and Items.Sort on
    /// [ReceivedTime] ascending, of which only the first -First items are read. Outlook has no MIME export, so the
    /// content is composed by <see cref="OutlookMimeWriter"/> from what the item gives.
    /// </summary>
    /// <remarks>
    /// Like <see cref="OutlookTransport"/> and <see cref="OutlookCalendarTransport"/>: one Outlook connection per call,
    /// released at Dispose (Outlook itself is never closed); every item is released as soon as it has been read, and found
    /// again by its EntryID for each later step (Outlook in Exchange online mode limits the items a program may hold
    /// open); all calls on the caller's thread (COM apartments); a call Outlook turns away because it is busy is repeated
    /// after a pause (<see cref="OutlookTransport.Retry{T}"/>), any other failure mapped by <see cref="OutlookErrors"/>.
    /// </remarks>
    public sealed class OutlookMailboxReader : IMailboxReader
    {
        /// <summary>The sort of Items.Sort: "[ReceivedTime]" (https://learn.microsoft.com/office/vba/api/outlook.items.sort).</summary>
        internal const string SortProperty = "[ReceivedTime]";

        private static readonly string[] ArchiveNames = { "Archive", "Arkiv" };

        private readonly IRunLog _log;
        private readonly string? _account;
        private readonly IReadOnlyList<TimeSpan> _busyDelays;
        private readonly TimeZoneInfo _outlookZone;
        private readonly CultureInfo _regionalFormat;
        private readonly string _tempRoot;
        private readonly Dictionary<string, IOutlookMailFolder> _targets = new Dictionary<string, IOutlookMailFolder>(StringComparer.OrdinalIgnoreCase);
        private IOutlookApplication? _outlook;
        private IOutlookMailStore? _store;
        private string _storeName = "the mailbox";
        private IOutlookMailFolder? _folder;

        private OutlookMailboxReader(IOutlookApplication outlook, string version, IRunLog log, string? account, IReadOnlyList<TimeSpan> busyDelays,
            TimeZoneInfo outlookZone, CultureInfo regionalFormat, string tempRoot)
        {
            _outlook = outlook;
            _log = log;
            _account = account;
            _busyDelays = busyDelays;
            _outlookZone = outlookZone;
            _regionalFormat = regionalFormat;
            _tempRoot = tempRoot;
            Server = string.IsNullOrEmpty(version) ? "Outlook" : "Outlook " + version;
        }

        /// <summary>"Outlook 16.0.0.17928": the program the mailbox is read through.</summary>
        public string Server { get; }

        /// <summary>Throws MethodNotSupported where Outlook cannot be driven (not Windows, no interactive desktop), before anything else.</summary>
        public static void CheckPlatform() => OutlookErrors.CheckHost(OutlookHost.Current, OutlookErrors.ReadAlternatives);

        /// <summary>
        /// Connects to Outlook on this computer, or throws MethodNotSupported saying why it cannot be used here.
        /// </summary>
        /// <param name="account">-Mailbox: the SMTP address of an account of the profile whose store is read; null = the profile's default store.</param>
        public static OutlookMailboxReader Create(IRunLog log, string? account)
        {
            // The platform first: the regional format below is read from Windows.
            CheckPlatform();
            // Jet filters compare dates as Outlook's local time, written in the Windows user's regional format.
            return Create(OutlookHost.Current, log, account, OutlookTransport.DefaultBusyDelays, TimeZoneInfo.Local, WindowsRegionalFormat(), Path.GetTempPath());
        }

        /// <summary>The seam for tests: any host, retry delays, Outlook's time zone and regional format, where temporary files go.</summary>
        internal static OutlookMailboxReader Create(IOutlookHost host, IRunLog log, string? account, IReadOnlyList<TimeSpan> busyDelays,
            TimeZoneInfo outlookZone, CultureInfo regionalFormat, string tempRoot)
        {
            OutlookErrors.CheckHost(host, OutlookErrors.ReadAlternatives);
            IOutlookApplication? outlook = null;
            try
            {
                outlook = OutlookTransport.Retry(OutlookStep.Start, () => Connect(host), busyDelays, log, CancellationToken.None);
                IOutlookApplication connected = outlook;
                string version = OutlookTransport.Retry(OutlookStep.Start, () => connected.Version, busyDelays, log, CancellationToken.None);
                log.Verbose($"Connected to Outlook {version}; reading {(account == null ? "the profile's default mailbox" : "the mailbox of its account " + account)}.");
                var reader = new OutlookMailboxReader(connected, version, log, account, busyDelays, outlookZone, regionalFormat, tempRoot);
                outlook = null;
                return reader;
            }
            finally
            {
                outlook?.Dispose();
            }
        }

        private static IOutlookApplication Connect(IOutlookHost host)
        {
            try
            {
                return host.Connect();
            }
            catch (Exception ex) when (OutlookErrors.IsComFailure(ex) && OutlookErrors.IsNotRegistered(ex))
            {
                throw OutlookErrors.NotInstalled(ex, OutlookErrors.ReadAlternatives);
            }
        }

        public Task<string> OpenFolderAsync(FolderPath folder, bool forWrite, CancellationToken cancellationToken)
        {
            if (folder == null)
            {
                throw new ArgumentNullException(nameof(folder));
            }

            // Synchronous on purpose, here and below: the COM objects belong to this thread's apartment.
            cancellationToken.ThrowIfCancellationRequested();
            IOutlookMailStore store = Store(cancellationToken);
            (IOutlookMailFolder opened, string path) = Resolve(store, folder, create: false, cancellationToken);
            _folder?.Dispose();
            _folder = opened;
            _log.Verbose($"Opened the folder {path} of {_storeName} in Outlook.");
            return Task.FromResult(path);
        }

        public Task<IReadOnlyList<MailSummary>> ListAsync(MailQuery query, CancellationToken cancellationToken)
        {
            if (query == null)
            {
                throw new ArgumentNullException(nameof(query));
            }

            IOutlookMailFolder folder = _folder ?? throw new InvalidOperationException("OpenFolderAsync comes first.");
            string? filter = Filter(query, _outlookZone, _regionalFormat);
            var listed = new List<MailSummary>();
            using (IOutlookItems items = Call(OutlookStep.ListMessages, () => folder.Items(filter, SortProperty, descending: false), cancellationToken))
            {
                int count = Call(OutlookStep.ListMessages, () => items.Count, cancellationToken);
                // Sorted oldest first, so -First N is the first N items: only those are read.
                for (int index = 1; index <= count && (query.First == null || listed.Count < query.First.Value); index++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int position = index;
                    OutlookItemFacts facts;
                    string entryId;
                    using (IOutlookReceivedItem item = Call(OutlookStep.ListMessages, () => items.Item(position), cancellationToken))
                    {
                        entryId = Call(OutlookStep.ListMessages, () => item.EntryId, cancellationToken);
                        facts = Call(OutlookStep.ListMessages, item.ReadFacts, cancellationToken);
                    }

                    // Restrict compares whole minutes (the filter has no seconds); the exact instant is checked here.
                    if ((query.Since.HasValue && facts.Received < query.Since.Value) || (query.UnreadOnly && !facts.UnRead))
                    {
                        continue;
                    }

                    bool report = IsDeliveryReport(facts.MessageClass);
                    if (query.DeliveryReportsOnly && !report)
                    {
                        continue;
                    }

                    listed.Add(new MailSummary
                    {
                        RemoteId = entryId,
                        MessageId = OutlookMimeWriter.Unbracket(facts.InternetMessageId),
                        From = facts.SenderAddress,
                        To = facts.To,
                        Cc = facts.Cc,
                        Subject = facts.Subject,
                        Received = facts.Received,
                        Size = facts.Size,
                        IsRead = !facts.UnRead,
                        HasAttachments = facts.AttachmentCount > 0,
                        IsDeliveryReport = report,
                        Handle = facts,
                    });
                }
            }

            return Task.FromResult<IReadOnlyList<MailSummary>>(listed);
        }

        public Task DownloadAsync(MailSummary message, Stream destination, CancellationToken cancellationToken)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            if (destination == null)
            {
                throw new ArgumentNullException(nameof(destination));
            }

            OnMessage(message, OutlookStep.ReadMessage, cancellationToken, item =>
            {
                OutlookItemFacts facts = message.Handle as OutlookItemFacts ?? Call(OutlookStep.ReadMessage, item.ReadFacts, cancellationToken);
                OutlookMimeWriter.Write(item, facts, IsDeliveryReport(facts.MessageClass), destination, _tempRoot, _log, _busyDelays, cancellationToken);
            });
            return Task.CompletedTask;
        }

        public Task MarkReadAsync(MailSummary message, CancellationToken cancellationToken)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            OnMessage(message, OutlookStep.MarkRead, cancellationToken, item => Call(OutlookStep.MarkRead, item.MarkRead, cancellationToken));
            return Task.CompletedTask;
        }

        public Task<string> EnsureFolderAsync(FolderPath folder, CancellationToken cancellationToken)
        {
            if (folder == null)
            {
                throw new ArgumentNullException(nameof(folder));
            }

            cancellationToken.ThrowIfCancellationRequested();
            (IOutlookMailFolder target, string path) = Resolve(Store(cancellationToken), folder, create: true, cancellationToken);
            if (_targets.TryGetValue(folder.Text, out IOutlookMailFolder? previous))
            {
                previous.Dispose();
            }

            _targets[folder.Text] = target;
            return Task.FromResult(path);
        }

        public Task MoveAsync(MailSummary message, FolderPath folder, CancellationToken cancellationToken)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            if (folder == null)
            {
                throw new ArgumentNullException(nameof(folder));
            }

            if (!_targets.TryGetValue(folder.Text, out IOutlookMailFolder? target))
            {
                (target, _) = Resolve(Store(cancellationToken), folder, create: false, cancellationToken);
                _targets[folder.Text] = target;
            }

            IOutlookMailFolder destination = target;
            OnMessage(message, OutlookStep.MoveMessage, cancellationToken, item =>
            {
                using (Call(OutlookStep.MoveMessage, () => item.MoveTo(destination), cancellationToken))
                {
                    // The moved item (with its new EntryID) is not used further.
                }
            });
            return Task.CompletedTask;
        }

        /// <summary>
        /// Finds the listed message again by its EntryID and does <paramref name="action"/> with it. A message that is gone,
        /// or whose own call fails, is that message's error (MessageUnreadable, the message as target); a failure of Outlook
        /// itself (busy, gone, its guard) stays the call's.
        /// </summary>
        private void OnMessage(MailSummary message, OutlookStep step, CancellationToken cancellationToken, Action<IOutlookReceivedItem> action)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IOutlookMailStore store = Store(cancellationToken);
            string target = message.MessageId ?? message.RemoteId;
            try
            {
                IOutlookReceivedItem? item = Call(step, () => store.GetItem(message.RemoteId), cancellationToken);
                if (item == null)
                {
                    throw new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.ObjectNotFound,
                        $"The message '{message.Subject}' is no longer in the folder (deleted or moved in Outlook since it was listed), so it was not read, marked or moved.",
                        target);
                }

                using (item)
                {
                    action(item);
                }
            }
            catch (G5MailErrorException ex) when (ex.ErrorId == ErrorIds.MessageUnreadable && !Equals(ex.Target, target))
            {
                throw new G5MailErrorException(ex.ErrorId, ex.Kind, ex.Message, target, ex.InnerException ?? ex);
            }
        }

        /// <summary>
        /// The folder of <paramref name="path"/>: its first segment by role (Store.GetDefaultFolder) or as a top-level folder
        /// (below Store.GetRootFolder), the others as sub-folders matched without case; missing ones created when
        /// <paramref name="create"/>, else FolderNotFound. Returns the folder and its path as Outlook names it.
        /// </summary>
        private (IOutlookMailFolder Folder, string Path) Resolve(IOutlookMailStore store, FolderPath path, bool create, CancellationToken cancellationToken)
        {
            OutlookStep step = create ? OutlookStep.CreateFolder : OutlookStep.OpenFolder;
            var names = new List<string>();
            IOutlookMailFolder current;
            IEnumerable<string> below;
            OutlookDefaultFolder? role = DefaultFolderOf(path.Root);
            if (role.HasValue)
            {
                try
                {
                    current = Call(step, () => store.GetDefaultFolder(role.Value), cancellationToken);
                }
                catch (G5MailErrorException ex) when (ex.InnerException is Exception inner && OutlookErrors.IsNotFound(inner))
                {
                    // A store without that role (a POP or IMAP account's .pst may have no Junk E-mail folder).
                    throw path.NotFound(_storeName, "It has no default folder of that kind.");
                }

                below = path.Below;
            }
            else
            {
                // Outlook has no default folder for Archive (OlDefaultFolders has none): it is the top-level folder Outlook's
                // Archive button creates, "Archive" (Swedish "Arkiv"). Other first segments are top-level folders too.
                current = Call(step, store.GetRootFolder, cancellationToken);
                below = path.Segments;
                if (path.Root == WellKnownFolder.Archive)
                {
                    IOutlookMailFolder root = current;
                    try
                    {
                        IReadOnlyList<string> present = Call(step, root.SubfolderNames, cancellationToken);
                        string wanted = new[] { path.Segments[0] }.Concat(ArchiveNames)
                            .FirstOrDefault(n => present.Contains(n, StringComparer.OrdinalIgnoreCase)) ?? path.Segments[0];
                        string? existing = present.FirstOrDefault(n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase));
                        below = new[] { existing ?? wanted }.Concat(path.Below).ToArray();
                    }
                    catch
                    {
                        root.Dispose();
                        throw;
                    }
                }
            }

            try
            {
                if (role.HasValue)
                {
                    IOutlookMailFolder top = current;
                    names.Add(Call(step, () => top.Name, cancellationToken));
                }

                foreach (string segment in below)
                {
                    IOutlookMailFolder parent = current;
                    IReadOnlyList<string> present = Call(step, parent.SubfolderNames, cancellationToken);
                    string? existing = present.FirstOrDefault(n => string.Equals(n, segment, StringComparison.Ordinal))
                                       ?? present.FirstOrDefault(n => string.Equals(n, segment, StringComparison.OrdinalIgnoreCase));
                    IOutlookMailFolder child;
                    if (existing != null)
                    {
                        child = Call(step, () => parent.OpenSubfolder(existing), cancellationToken);
                        names.Add(existing);
                    }
                    else if (create)
                    {
                        child = Call(OutlookStep.CreateFolder, () => parent.AddSubfolder(segment), cancellationToken);
                        names.Add(segment);
                        _log.Verbose($"Created the folder {string.Join("/", names)} in {_storeName}.");
                    }
                    else
                    {
                        throw path.NotFound(_storeName, names.Count > 0 ? $"{string.Join("/", names)} has no sub-folder '{segment}'." : null);
                    }

                    parent.Dispose();
                    current = child;
                }

                return (current, string.Join("/", names));
            }
            catch
            {
                current.Dispose();
                throw;
            }
        }

        private static OutlookDefaultFolder? DefaultFolderOf(WellKnownFolder role) => role switch
        {
            // OlDefaultFolders (https://learn.microsoft.com/office/vba/api/outlook.oldefaultfolders).
            WellKnownFolder.Inbox => OutlookDefaultFolder.Inbox,
            WellKnownFolder.SentItems => OutlookDefaultFolder.SentMail,
            WellKnownFolder.Drafts => OutlookDefaultFolder.Drafts,
            WellKnownFolder.DeletedItems => OutlookDefaultFolder.DeletedItems,
            WellKnownFolder.JunkEmail => OutlookDefaultFolder.Junk,
            _ => null,
        };

        private IOutlookMailStore Store(CancellationToken cancellationToken)
        {
            if (_store != null)
            {
                return _store;
            }

            IOutlookApplication outlook = _outlook ?? throw new ObjectDisposedException(nameof(OutlookMailboxReader));
            _store = Call(OutlookStep.OpenFolder, () => outlook.OpenMailStore(_account), cancellationToken)
                ?? throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.ObjectNotFound,
                    $"-Mailbox {_account} is not an account of this Outlook profile, so its mailbox cannot be read through Outlook. "
                    + "Add the account to Outlook, or leave out -Mailbox to read the profile's default mailbox.", "Mailbox");
            IOutlookMailStore store = _store;
            _storeName = Call(OutlookStep.OpenFolder, () => store.DisplayName, cancellationToken);
            return _store;
        }

        /// <summary>
        /// The Items.Restrict filter for the query, or null for none. Jet syntax
        /// (https://learn.microsoft.com/office/vba/api/outlook.items.restrict): "[ReceivedTime] &gt;= 'date'" and
        /// "[UnRead] = True" (a Boolean is not quoted), joined by AND. Per "Filtering Items Using a Date-time Comparison"
        /// (https://learn.microsoft.com/office/vba/outlook/how-to/search-and-filter/filtering-items-using-a-date-time-comparison)
        /// a built-in property named in a Jet filter is compared in local time, and Outlook reads the date string with the
        /// short date and time formats of Windows' regional settings, without seconds (seconds make the filter fail). So
        /// -Since is turned into Outlook's time zone, rounded down to its minute, and written in
        /// <paramref name="regionalFormat"/> (the Windows user's, not the thread culture a script may have changed); the
        /// exact instant is checked on each listed item.
        /// </summary>
        internal static string? Filter(MailQuery query, TimeZoneInfo outlookZone, CultureInfo regionalFormat)
        {
            var conditions = new List<string>();
            if (query.Since.HasValue)
            {
                DateTime local = TimeZoneInfo.ConvertTime(query.Since.Value, outlookZone).DateTime;
                local = new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0, DateTimeKind.Unspecified);
                DateTimeFormatInfo format = regionalFormat.DateTimeFormat;
                string text = local.ToString(format.ShortDatePattern, regionalFormat) + " " + local.ToString(WithoutSeconds(format.ShortTimePattern), regionalFormat);
                conditions.Add($"[ReceivedTime] >= '{text}'");
            }

            if (query.UnreadOnly)
            {
                conditions.Add("[UnRead] = True");
            }

            return conditions.Count == 0 ? null : string.Join(" AND ", conditions);
        }

        /// <summary>A short time pattern without its seconds, should a user have put them there ("HH:mm:ss" becomes "HH:mm").</summary>
        private static string WithoutSeconds(string pattern)
        {
            int s = pattern.IndexOf('s');
            if (s < 0)
            {
                return pattern;
            }

            int start = s;
            while (start > 0 && !char.IsLetter(pattern[start - 1]))
            {
                start--;
            }

            int end = s;
            while (end < pattern.Length && pattern[end] == 's')
            {
                end++;
            }

            return (pattern.Substring(0, start) + pattern.Substring(end)).Trim();
        }

        /// <summary>
        /// A delivery status notification by its message class: "REPORT.{class}.NDR" (non-delivery) or "REPORT.{class}.DR"
        /// (delivery), as PidTagMessageClass defines report classes
        /// (https://learn.microsoft.com/office/client-developer/outlook/mapi/pidtagmessageclass-canonical-property and
        /// "Handling Message Classes"). ".IPNRN" and ".IPNNRN" are read receipts: reports about reading, not delivery.
        /// </summary>
        internal static bool IsDeliveryReport(string? messageClass)
        {
            string value = messageClass ?? string.Empty;
            return value.StartsWith("REPORT.", StringComparison.OrdinalIgnoreCase)
                   && (value.EndsWith(".NDR", StringComparison.OrdinalIgnoreCase) || value.EndsWith(".DR", StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>
        /// The Windows user's regional format (Control Panel, Region) as Outlook reads it, whatever culture the thread runs
        /// with: the user's locale with the short date, short time and AM/PM strings Windows itself holds for the user
        /// (GetLocaleInfoEx with LOCALE_NAME_USER_DEFAULT, so the user's own changes count). Windows only.
        /// </summary>
        private static CultureInfo WindowsRegionalFormat()
        {
            string name = LocaleInfo(LocaleSName) ?? CultureInfo.CurrentCulture.Name;
            CultureInfo culture;
            try
            {
                culture = (CultureInfo)new CultureInfo(name, useUserOverride: false).Clone();
            }
            catch (CultureNotFoundException)
            {
                culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            }

            DateTimeFormatInfo format = culture.DateTimeFormat;
            format.ShortDatePattern = LocaleInfo(LocaleSShortDate) ?? format.ShortDatePattern;
            format.ShortTimePattern = LocaleInfo(LocaleSShortTime) ?? format.ShortTimePattern;
            format.AMDesignator = LocaleInfo(LocaleS1159) ?? format.AMDesignator;
            format.PMDesignator = LocaleInfo(LocaleS2359) ?? format.PMDesignator;
            return CultureInfo.ReadOnly(culture);
        }

        private const int LocaleSName = 0x5C; // LOCALE_SNAME
        private const int LocaleSShortDate = 0x1F; // LOCALE_SSHORTDATE
        private const int LocaleSShortTime = 0x79; // LOCALE_SSHORTTIME
        private const int LocaleS1159 = 0x28; // LOCALE_S1159 (AM)
        private const int LocaleS2359 = 0x29; // LOCALE_S2359 (PM)

        private static string? LocaleInfo(int type)
        {
            var buffer = new StringBuilder(128);
            // LOCALE_NAME_USER_DEFAULT is NULL: the user's locale with the user's overrides.
            int length = GetLocaleInfoEx(null, type, buffer, buffer.Capacity);
            return length > 1 ? buffer.ToString() : null;
        }

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, ExactSpelling = true)]
        private static extern int GetLocaleInfoEx(string? localeName, int lcType, StringBuilder data, int length);

        private T Call<T>(OutlookStep step, Func<T> call, CancellationToken cancellationToken) => OutlookTransport.Retry(step, call, _busyDelays, _log, cancellationToken);

        private void Call(OutlookStep step, Action call, CancellationToken cancellationToken) =>
            OutlookTransport.Retry(step, () => { call(); return true; }, _busyDelays, _log, cancellationToken);

        public void Dispose()
        {
            foreach (IOutlookMailFolder target in _targets.Values)
            {
                target.Dispose();
            }

            _targets.Clear();
            _folder?.Dispose();
            _folder = null;
            _store?.Dispose();
            _store = null;
            _outlook?.Dispose();
            _outlook = null;
        }
    }
}
