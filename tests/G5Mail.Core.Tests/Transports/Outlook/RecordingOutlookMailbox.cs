using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using G5Mail.Core.Runs;
using G5Mail.Core.Transports.Outlook;

namespace G5Mail.Core.Tests.Transports.Outlook
{
    /// <summary>
    /// The mail half of the recording Outlook: message stores with a folder tree, their items, and what the object model
    /// enforces when they are read, as Microsoft's reference documents it:
    /// <list type="bullet">
    /// <item>Store.GetDefaultFolder(OlDefaultFolders) finds a folder by role whatever it is called; Store.GetRootFolder is
    /// the top of the tree (https://learn.microsoft.com/office/vba/api/outlook.store.getdefaultfolder, .getrootfolder).</item>
    /// <item>Folders.Add(name) fails when the parent already has a folder of that name (MAPI_E_COLLISION)
    /// (https://learn.microsoft.com/office/vba/api/outlook.folders.add).</item>
    /// <item>Items.Restrict takes a Jet filter; a Boolean is compared unquoted ("[UnRead] = True"); a date is a quoted string
    /// that Outlook reads with the short date and time formats of the Windows regional settings, without seconds, and
    /// compares, for a built-in property named in Jet, as local time; Restrict refuses properties such as Body, HTMLBody
    /// and EntryID (https://learn.microsoft.com/office/vba/api/outlook.items.restrict and "Filtering Items Using a
    /// Date-time Comparison"). This double refuses what it cannot read rather than guess, so a filter that would
    /// misbehave in Outlook fails here.</item>
    /// <item>Items.Sort(Property, Descending) orders the collection; Items.Item(i) is 1-based in that order
    /// (https://learn.microsoft.com/office/vba/api/outlook.items.sort).</item>
    /// <item>NameSpace.GetItemFromID finds an item by EntryID; Move returns the moved item, which has a new EntryID
    /// (https://learn.microsoft.com/office/vba/api/outlook.mailitem.move); Attachment.SaveAsFile writes the file to the
    /// path given, which must be in an existing folder.</item>
    /// </list>
    /// Every store, folder, items collection and item handed out is a handle that must be released (Dispose).
    /// </summary>
    internal sealed partial class RecordingOutlook
    {
        private const int DispExceptionCode = unchecked((int)0x80020009); // DISP_E_EXCEPTION
        private const int MapiCollision = unchecked((int)0x80040604); // MAPI_E_COLLISION
        private int _mailEntryIds;

        /// <summary>The Windows regional format Outlook reads filter dates with (Control Panel, Region).</summary>
        public CultureInfo RegionalFormat { get; set; } = WindowsFormat("en-US", "M/d/yyyy", "h:mm tt");

        /// <summary>
        /// A regional format as Windows holds it (LOCALE_SSHORTDATE, LOCALE_SSHORTTIME): the patterns are given, not taken
        /// from this machine's ICU data, whose en-US time pattern has a narrow no-break space Windows does not use.
        /// </summary>
        public static CultureInfo WindowsFormat(string name, string shortDate, string shortTime)
        {
            var culture = (CultureInfo)CultureInfo.GetCultureInfo(name).Clone();
            culture.DateTimeFormat.ShortDatePattern = shortDate;
            culture.DateTimeFormat.ShortTimePattern = shortTime;
            return CultureInfo.ReadOnly(culture);
        }

        /// <summary>The Windows time zone: Jet compares built-in date properties in it.</summary>
        public TimeZoneInfo OutlookZone { get; set; } = TimeZoneInfo.FindSystemTimeZoneById("Europe/Stockholm");

        /// <summary>The stores of the profile by the SMTP address of their account; the first is the default store.</summary>
        public List<(string Account, StoredMailFolder Root)> MailStores { get; } = new List<(string, StoredMailFolder)>();

        /// <summary>How many items' properties were read (ReadFacts).</summary>
        public int FactReads { get; private set; }

        /// <summary>A store with the folders a Swedish Exchange mailbox has, empty.</summary>
        public StoredMailFolder AddMailStore(string account)
        {
            var root = new StoredMailFolder(this, account, null);
            root.Add("Inkorgen", OutlookDefaultFolder.Inbox);
            root.Add("Skickat", OutlookDefaultFolder.SentMail);
            root.Add("Utkast", OutlookDefaultFolder.Drafts);
            root.Add("Borttaget", OutlookDefaultFolder.DeletedItems);
            root.Add("Skräppost", OutlookDefaultFolder.Junk);
            MailStores.Add((account, root));
            return root;
        }

        internal string NextMailEntryId() => "00000000B1C2D3E4F5061728394A5B6C7D8E9F00" + (++_mailEntryIds).ToString("X8", CultureInfo.InvariantCulture);

        public IOutlookMailStore? OpenMailStore(string? accountAddress)
        {
            if (accountAddress == null)
            {
                Record("Session.DefaultStore");
                return MailStores.Count == 0 ? null : new StoreHandle(this, MailStores[0].Account, MailStores[0].Root);
            }

            Record($"Session.Accounts({accountAddress}).DeliveryStore");
            (string Account, StoredMailFolder Root) store = MailStores.FirstOrDefault(s => string.Equals(s.Account, accountAddress, StringComparison.OrdinalIgnoreCase));
            return store.Root == null ? null : new StoreHandle(this, store.Account, store.Root);
        }

        public OutlookMailboxReader CreateMailboxReader(string tempRoot, string? account = null, IRunLog? log = null, params TimeSpan[] busyDelays) =>
            OutlookMailboxReader.Create(this, log ?? NullRunLog.Instance, account, busyDelays.Length > 0 ? busyDelays : new[] { TimeSpan.Zero, TimeSpan.Zero },
                OutlookZone, RegionalFormat, tempRoot);

        private sealed class StoreHandle : IOutlookMailStore
        {
            private readonly RecordingOutlook _outlook;
            private readonly StoredMailFolder _root;
            private bool _released;

            public StoreHandle(RecordingOutlook outlook, string account, StoredMailFolder root)
            {
                _outlook = outlook;
                _root = root;
                _account = account;
                outlook.OpenHandles++;
            }

            private readonly string _account;

            public string DisplayName
            {
                get
                {
                    _outlook.Record("Store.DisplayName");
                    return _account;
                }
            }

            public IOutlookMailFolder GetDefaultFolder(OutlookDefaultFolder kind)
            {
                _outlook.Record($"Store.GetDefaultFolder({(int)kind})");
                StoredMailFolder folder = _root.Children.FirstOrDefault(f => f.Role == kind)
                                          ?? throw Com(OutlookErrors.MAPI_E_NOT_FOUND, "The attempted operation failed. An object could not be found.");
                return new FolderHandle(_outlook, folder);
            }

            public IOutlookMailFolder GetRootFolder()
            {
                _outlook.Record("Store.GetRootFolder()");
                return new FolderHandle(_outlook, _root);
            }

            public IOutlookReceivedItem? GetItem(string entryId)
            {
                _outlook.Record($"GetItemFromID({entryId})");
                StoredMessage? found = _root.All().SelectMany(f => f.Messages).FirstOrDefault(m => m.EntryId == entryId);
                return found == null ? null : new ItemHandle(_outlook, found);
            }

            public void Dispose()
            {
                if (!_released)
                {
                    _released = true;
                    _outlook.OpenHandles--;
                    _outlook.Calls.Add("Release(Store)");
                }
            }
        }

        private sealed class FolderHandle : IOutlookMailFolder
        {
            private static readonly Regex Condition = new Regex(@"^\[(?<name>[A-Za-z]+)\] (?<op>>=|<=|=|>|<) (?<value>'[^']*'|""[^""]*""|True|False)$", RegexOptions.CultureInvariant);
            private static readonly string[] Refused = { "Body", "HTMLBody", "EntryID", "BodyFormat", "Class", "Saved", "Sent", "Submitted" };

            private readonly RecordingOutlook _outlook;
            private bool _released;

            public FolderHandle(RecordingOutlook outlook, StoredMailFolder folder)
            {
                _outlook = outlook;
                Stored = folder;
                outlook.OpenHandles++;
            }

            public StoredMailFolder Stored { get; }

            public string Name
            {
                get
                {
                    _outlook.Record("Folder.Name");
                    return Stored.Name;
                }
            }

            public IReadOnlyList<string> SubfolderNames()
            {
                _outlook.Record($"{Stored.Name}.Folders");
                return Stored.Children.Select(c => c.Name).ToArray();
            }

            public IOutlookMailFolder OpenSubfolder(string name)
            {
                _outlook.Record($"{Stored.Name}.Folders.Item({name})");
                StoredMailFolder child = Stored.Children.FirstOrDefault(c => c.Name == name)
                                         ?? throw Com(OutlookErrors.MAPI_E_NOT_FOUND, "The attempted operation failed. An object could not be found.");
                return new FolderHandle(_outlook, child);
            }

            public IOutlookMailFolder AddSubfolder(string name)
            {
                _outlook.Record($"{Stored.Name}.Folders.Add({name})");
                if (Stored.Children.Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw Com(MapiCollision, "Cannot create the folder.");
                }

                return new FolderHandle(_outlook, Stored.Add(name));
            }

            public IOutlookItems Items(string? filter, string sortProperty, bool descending)
            {
                IEnumerable<StoredMessage> items = Stored.Messages;
                if (filter != null)
                {
                    _outlook.Record($"Items.Restrict({filter})");
                    items = Restrict(items, filter);
                }

                _outlook.Record($"Items.Sort({sortProperty},{descending})");
                if (sortProperty != "[ReceivedTime]")
                {
                    throw Com(DispExceptionCode, $"The property \"{sortProperty.Trim('[', ']')}\" is unknown.");
                }

                List<StoredMessage> sorted = descending ? items.OrderByDescending(m => m.Received).ToList() : items.OrderBy(m => m.Received).ToList();
                return new ItemsHandle(_outlook, sorted);
            }

            private IEnumerable<StoredMessage> Restrict(IEnumerable<StoredMessage> items, string filter)
            {
                var tests = new List<Func<StoredMessage, bool>>();
                foreach (string part in filter.Split(new[] { " AND " }, StringSplitOptions.None))
                {
                    Match match = Condition.Match(part);
                    if (!match.Success)
                    {
                        throw Com(DispExceptionCode, $"Cannot parse condition. Error at \"{part}\".");
                    }

                    string name = match.Groups["name"].Value;
                    string op = match.Groups["op"].Value;
                    string value = match.Groups["value"].Value;
                    if (Refused.Contains(name, StringComparer.OrdinalIgnoreCase))
                    {
                        throw Com(DispExceptionCode, $"The property \"{name}\" cannot be used in a filter.");
                    }

                    switch (name)
                    {
                        case "UnRead" when op == "=" && (value == "True" || value == "False"):
                            bool unread = value == "True";
                            tests.Add(m => m.UnRead == unread);
                            break;
                        case "ReceivedTime" when value.Length > 1 && (value[0] == '\'' || value[0] == '"'):
                            DateTime limit = ParseDate(value.Substring(1, value.Length - 2));
                            tests.Add(m => Compare(TimeZoneInfo.ConvertTime(m.Received, _outlook.OutlookZone).DateTime, op, limit));
                            break;
                        default:
                            throw Com(DispExceptionCode, $"Cannot parse condition. Error at \"{part}\".");
                    }
                }

                return items.Where(m => tests.All(t => t(m))).ToList();
            }

            /// <summary>The date as Outlook reads it: the regional short date and short time, no seconds, nothing else.</summary>
            private DateTime ParseDate(string text)
            {
                DateTimeFormatInfo format = _outlook.RegionalFormat.DateTimeFormat;
                string pattern = format.ShortDatePattern + " " + format.ShortTimePattern;
                if (pattern.Contains('s') || !DateTime.TryParseExact(text, pattern, _outlook.RegionalFormat, DateTimeStyles.None, out DateTime parsed))
                {
                    throw Com(DispExceptionCode, $"The condition's date '{text}' is not valid.");
                }

                return parsed;
            }

            private static bool Compare(DateTime value, string op, DateTime limit) => op switch
            {
                ">=" => value >= limit,
                ">" => value > limit,
                "<=" => value <= limit,
                "<" => value < limit,
                _ => value == limit,
            };

            public void Dispose()
            {
                if (!_released)
                {
                    _released = true;
                    _outlook.OpenHandles--;
                    _outlook.Calls.Add($"Release(Folder {Stored.Name})");
                }
            }
        }

        private sealed class ItemsHandle : IOutlookItems
        {
            private readonly RecordingOutlook _outlook;
            private readonly List<StoredMessage> _items;
            private bool _released;

            public ItemsHandle(RecordingOutlook outlook, List<StoredMessage> items)
            {
                _outlook = outlook;
                _items = items;
                outlook.OpenHandles++;
            }

            public int Count
            {
                get
                {
                    _outlook.Record("Items.Count");
                    return _items.Count;
                }
            }

            public IOutlookReceivedItem Item(int index)
            {
                _outlook.Record($"Items.Item({index})");
                if (index < 1 || index > _items.Count)
                {
                    throw Com(DispExceptionCode, "Array index out of bounds.");
                }

                return new ItemHandle(_outlook, _items[index - 1]);
            }

            public void Dispose()
            {
                if (!_released)
                {
                    _released = true;
                    _outlook.OpenHandles--;
                    _outlook.Calls.Add("Release(Items)");
                }
            }
        }

        private sealed class ItemHandle : IOutlookReceivedItem
        {
            private readonly RecordingOutlook _outlook;
            private readonly StoredMessage _message;
            private bool _released;

            public ItemHandle(RecordingOutlook outlook, StoredMessage message)
            {
                _outlook = outlook;
                _message = message;
                outlook.OpenHandles++;
            }

            public string EntryId
            {
                get
                {
                    Record("EntryID");
                    return _message.EntryId;
                }
            }

            public OutlookItemFacts ReadFacts()
            {
                Record("Properties");
                _outlook.FactReads++;
                return new OutlookItemFacts
                {
                    MessageClass = _message.MessageClass,
                    Subject = _message.Subject,
                    SenderAddress = _message.SenderAddress,
                    SenderName = _message.SenderName,
                    To = _message.To.ToArray(),
                    Cc = _message.Cc.ToArray(),
                    Received = _message.Received,
                    Size = _message.Size,
                    UnRead = _message.UnRead,
                    AttachmentCount = _message.Attachments.Count,
                    InternetMessageId = _message.InternetMessageId,
                };
            }

            public string? TransportHeaders()
            {
                Record("PropertyAccessor.GetProperty(0x007D001F)");
                return _message.TransportHeaders;
            }

            public OutlookBody ReadBody()
            {
                Record("Body");
                return _message.Body;
            }

            public string? InReplyTo()
            {
                Record("PropertyAccessor.GetProperty(0x1042001F)");
                return _message.InReplyTo;
            }

            public IReadOnlyList<OutlookAttachmentInfo> Attachments()
            {
                Record("Attachments");
                return _message.Attachments.Select(a => new OutlookAttachmentInfo(a.Name, a.Type, a.Content.Length)).ToArray();
            }

            public void SaveAttachment(int index, string path)
            {
                Record($"Attachments.Item({index}).SaveAsFile");
                if (index < 1 || index > _message.Attachments.Count)
                {
                    throw Com(DispExceptionCode, "Array index out of bounds.");
                }

                if (!Directory.Exists(Path.GetDirectoryName(path)))
                {
                    throw Com(OutlookErrors.E_FAIL, "Cannot save the attachment. Path does not exist.");
                }

                (string _, OutlookAttachmentType type, byte[] content) = _message.Attachments[index - 1];
                if (type == OutlookAttachmentType.ByReference)
                {
                    throw Com(OutlookErrors.E_FAIL, "Cannot save the attachment: it is a link.");
                }

                _outlook.SavedAttachmentPaths.Add(path);
                File.WriteAllBytes(path, content);
            }

            public void MarkRead()
            {
                Record("UnRead=False");
                Record("Save()");
                _message.UnRead = false;
            }

            public IOutlookReceivedItem MoveTo(IOutlookMailFolder folder)
            {
                var target = (FolderHandle)folder;
                Record($"Move({target.Stored.Name})");
                _message.Folder.Messages.Remove(_message);
                target.Stored.Messages.Add(_message);
                _message.Folder = target.Stored;
                _message.EntryId = _outlook.NextMailEntryId();
                return new ItemHandle(_outlook, _message);
            }

            public void Dispose()
            {
                if (!_released)
                {
                    _released = true;
                    _outlook.OpenHandles--;
                    _outlook.Calls.Add("Release(Item)");
                }
            }

            private void Record(string call) => _outlook.Record(call);
        }

        /// <summary>Where SaveAsFile was asked to write, in order.</summary>
        public List<string> SavedAttachmentPaths { get; } = new List<string>();
    }

    /// <summary>A folder of a recording store.</summary>
    internal sealed class StoredMailFolder
    {
        private readonly RecordingOutlook _outlook;

        public StoredMailFolder(RecordingOutlook outlook, string name, OutlookDefaultFolder? role)
        {
            _outlook = outlook;
            Name = name;
            Role = role;
            EntryId = outlook.NextMailEntryId();
        }

        public string Name { get; }
        public OutlookDefaultFolder? Role { get; }
        public string EntryId { get; }
        public List<StoredMailFolder> Children { get; } = new List<StoredMailFolder>();
        public List<StoredMessage> Messages { get; } = new List<StoredMessage>();

        public StoredMailFolder this[string name] => Children.Single(c => c.Name == name);

        public StoredMailFolder Add(string name, OutlookDefaultFolder? role = null)
        {
            var child = new StoredMailFolder(_outlook, name, role);
            Children.Add(child);
            return child;
        }

        public StoredMessage Deliver(StoredMessage message)
        {
            message.EntryId = _outlook.NextMailEntryId();
            message.Folder = this;
            Messages.Add(message);
            return message;
        }

        public IEnumerable<StoredMailFolder> All() => new[] { this }.Concat(Children.SelectMany(c => c.All()));
    }

    /// <summary>One item of a recording folder: what its properties say.</summary>
    internal sealed class StoredMessage
    {
        public string EntryId { get; set; } = string.Empty;
        public StoredMailFolder Folder { get; set; } = null!;
        public string MessageClass { get; set; } = "IPM.Note";
        public string? Subject { get; set; }
        public string? SenderName { get; set; }
        public string? SenderAddress { get; set; }
        public List<string> To { get; } = new List<string>();
        public List<string> Cc { get; } = new List<string>();
        public DateTimeOffset Received { get; set; }
        public long Size { get; set; } = 2048;
        public bool UnRead { get; set; } = true;
        public string? InternetMessageId { get; set; }
        public string? TransportHeaders { get; set; }
        public OutlookBody Body { get; set; } = new OutlookBody(OutlookBodyFormat.Plain, "Hej!");
        public string? InReplyTo { get; set; }
        public List<(string Name, OutlookAttachmentType Type, byte[] Content)> Attachments { get; } = new List<(string, OutlookAttachmentType, byte[])>();
    }
}
