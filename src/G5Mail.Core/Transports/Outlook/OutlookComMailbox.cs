using System;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>
    /// A message store of the profile (a Store) and the session (NameSpace) it came from. NOT RUN ON WINDOWS HERE: every
    /// call below is written from Microsoft's Outlook object model reference and has only been compiled on this machine;
    /// the reading path around it is tested against a recording double.
    /// </summary>
    internal sealed class MailStore : IOutlookMailStore
    {
        private ComObject? _session;
        private ComObject? _store;

        public MailStore(ComObject session, ComObject store)
        {
            _session = session;
            _store = store;
        }

        private ComObject Session => _session ?? throw new ObjectDisposedException(nameof(MailStore));

        private ComObject Store => _store ?? throw new ObjectDisposedException(nameof(MailStore));

        // Store.DisplayName (https://learn.microsoft.com/office/vba/api/outlook.store.displayname).
        public string DisplayName => Convert.ToString(Store.Get("DisplayName"), CultureInfo.InvariantCulture) ?? string.Empty;

        // Store.GetDefaultFolder(OlDefaultFolders) (https://learn.microsoft.com/office/vba/api/outlook.store.getdefaultfolder).
        public IOutlookMailFolder GetDefaultFolder(OutlookDefaultFolder kind) =>
            new MailFolder(Store.GetObject("GetDefaultFolder", BindingFlags.InvokeMethod, (int)kind));

        // Store.GetRootFolder (https://learn.microsoft.com/office/vba/api/outlook.store.getrootfolder).
        public IOutlookMailFolder GetRootFolder() => new MailFolder(Store.GetObject("GetRootFolder", BindingFlags.InvokeMethod));

        // NameSpace.GetItemFromID(EntryIDItem, EntryIDStore) (https://learn.microsoft.com/office/vba/api/outlook.namespace.getitemfromid).
        public IOutlookReceivedItem? GetItem(string entryId)
        {
            string storeId = Convert.ToString(Store.Get("StoreID"), CultureInfo.InvariantCulture) ?? string.Empty;
            object? raw;
            try
            {
                raw = Session.Call("GetItemFromID", entryId, storeId);
            }
            catch (COMException ex) when (OutlookErrors.IsNotFound(ex))
            {
                return null;
            }

            return raw == null ? null : new ReceivedItem(new ComObject(raw));
        }

        public void Dispose()
        {
            _store?.Dispose();
            _store = null;
            _session?.Dispose();
            _session = null;
        }
    }

    /// <summary>One Folder (MAPIFolder). NOT RUN ON WINDOWS HERE.</summary>
    internal sealed class MailFolder : IOutlookMailFolder
    {
        private ComObject? _folder;

        public MailFolder(ComObject folder)
        {
            _folder = folder;
        }

        internal ComObject Folder => _folder ?? throw new ObjectDisposedException(nameof(MailFolder));

        // Folder.Name (https://learn.microsoft.com/office/vba/api/outlook.folder.name).
        public string Name => Convert.ToString(Folder.Get("Name"), CultureInfo.InvariantCulture) ?? string.Empty;

        // Folder.Folders, Folders.Count, Folders.Item(index) (https://learn.microsoft.com/office/vba/api/outlook.folders.item).
        public IReadOnlyList<string> SubfolderNames()
        {
            var names = new List<string>();
            using (ComObject folders = Folder.GetObject("Folders"))
            {
                int count = Convert.ToInt32(folders.Get("Count"), CultureInfo.InvariantCulture);
                for (int i = 1; i <= count; i++)
                {
                    using (ComObject child = folders.GetObject("Item", BindingFlags.InvokeMethod, i))
                    {
                        names.Add(Convert.ToString(child.Get("Name"), CultureInfo.InvariantCulture) ?? string.Empty);
                    }
                }
            }

            return names;
        }

        public IOutlookMailFolder OpenSubfolder(string name)
        {
            using (ComObject folders = Folder.GetObject("Folders"))
            {
                int count = Convert.ToInt32(folders.Get("Count"), CultureInfo.InvariantCulture);
                for (int i = 1; i <= count; i++)
                {
                    ComObject child = folders.GetObject("Item", BindingFlags.InvokeMethod, i);
                    if (string.Equals(Convert.ToString(child.Get("Name"), CultureInfo.InvariantCulture), name, StringComparison.Ordinal))
                    {
                        return new MailFolder(child);
                    }

                    child.Dispose();
                }
            }

            throw new COMException($"The folder '{name}' is no longer there.", OutlookErrors.MAPI_E_NOT_FOUND);
        }

        // Folders.Add(Name): "If Type is not specified, it defaults to the same type as the parent folder"
        // (https://learn.microsoft.com/office/vba/api/outlook.folders.add).
        public IOutlookMailFolder AddSubfolder(string name)
        {
            using (ComObject folders = Folder.GetObject("Folders"))
            {
                return new MailFolder(folders.GetObject("Add", BindingFlags.InvokeMethod, name));
            }
        }

        // Folder.Items; Items.Restrict(Filter) returns a new Items collection
        // (https://learn.microsoft.com/office/vba/api/outlook.items.restrict); Items.Sort(Property, Descending)
        // (https://learn.microsoft.com/office/vba/api/outlook.items.sort).
        public IOutlookItems Items(string? filter, string sortProperty, bool descending)
        {
            ComObject items = Folder.GetObject("Items");
            try
            {
                if (filter != null)
                {
                    ComObject restricted = items.GetObject("Restrict", BindingFlags.InvokeMethod, filter);
                    items.Dispose();
                    items = restricted;
                }

                items.Call("Sort", sortProperty, descending);
                return new ItemsCollection(items);
            }
            catch
            {
                items.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            _folder?.Dispose();
            _folder = null;
        }
    }

    /// <summary>An Items collection. NOT RUN ON WINDOWS HERE.</summary>
    internal sealed class ItemsCollection : IOutlookItems
    {
        private ComObject? _items;

        public ItemsCollection(ComObject items)
        {
            _items = items;
        }

        private ComObject Items => _items ?? throw new ObjectDisposedException(nameof(ItemsCollection));

        // Items.Count, Items.Item(index) (https://learn.microsoft.com/office/vba/api/outlook.items.item).
        public int Count => Convert.ToInt32(Items.Get("Count"), CultureInfo.InvariantCulture);

        public IOutlookReceivedItem Item(int index) => new ReceivedItem(Items.GetObject("Item", BindingFlags.InvokeMethod, index));

        public void Dispose()
        {
            _items?.Dispose();
            _items = null;
        }
    }

    /// <summary>
    /// A MailItem, ReportItem or other item of a mail folder, read late-bound: a property the item's kind does not have
    /// (a ReportItem has no ReceivedTime, SenderEmailAddress, Recipients or HTMLBody) answers DISP_E_UNKNOWNNAME and is
    /// read as absent. NOT RUN ON WINDOWS HERE.
    /// </summary>
    internal sealed class ReceivedItem : IOutlookReceivedItem
    {
        private const string InternetMessageId = "http://schemas.microsoft.com/mapi/proptag/0x1035001F"; // PR_INTERNET_MESSAGE_ID
        private const string TransportMessageHeaders = "http://schemas.microsoft.com/mapi/proptag/0x007D001F"; // PR_TRANSPORT_MESSAGE_HEADERS
        private const string InReplyToId = "http://schemas.microsoft.com/mapi/proptag/0x1042001F"; // PR_IN_REPLY_TO_ID
        private const string MessageDeliveryTime = "http://schemas.microsoft.com/mapi/proptag/0x0E060040"; // PR_MESSAGE_DELIVERY_TIME
        private const int DispUnknownName = unchecked((int)0x80020006); // DISP_E_UNKNOWNNAME
        private const int DispMemberNotFound = unchecked((int)0x80020003); // DISP_E_MEMBERNOTFOUND
        private const int OlTo = 1;
        private const int OlCc = 2;
        private const int OlFormatHtml = 2;
        private ComObject? _item;

        public ReceivedItem(ComObject item)
        {
            _item = item;
        }

        internal ComObject Item => _item ?? throw new ObjectDisposedException(nameof(ReceivedItem));

        public string EntryId => Convert.ToString(Item.Get("EntryID"), CultureInfo.InvariantCulture) ?? string.Empty;

        // MailItem properties (https://learn.microsoft.com/office/vba/api/outlook.mailitem): MessageClass, Subject,
        // ReceivedTime (local time), Size, UnRead, Attachments.Count, SenderName, SenderEmailType, SenderEmailAddress,
        // Sender.GetExchangeUser().PrimarySmtpAddress for an Exchange sender ("EX"), Recipients (Type olTo 1, olCC 2).
        // ReportItem (https://learn.microsoft.com/office/vba/api/outlook.reportitem) has MessageClass, Subject, Size, UnRead,
        // Attachments and PropertyAccessor; its arrival is PR_MESSAGE_DELIVERY_TIME, which PropertyAccessor.GetProperty
        // gives in UTC ("Best Practices for Getting and Setting Properties").
        public OutlookItemFacts ReadFacts()
        {
            var facts = new OutlookItemFacts
            {
                MessageClass = Text("MessageClass") ?? string.Empty,
                Subject = Text("Subject"),
                Size = Convert.ToInt64(Item.Get("Size"), CultureInfo.InvariantCulture),
                UnRead = Convert.ToBoolean(Item.Get("UnRead"), CultureInfo.InvariantCulture),
                SenderName = Text("SenderName"),
                SenderAddress = Sender(),
                InternetMessageId = Property(InternetMessageId) as string,
            };

            using (ComObject attachments = Item.GetObject("Attachments"))
            {
                facts.AttachmentCount = Convert.ToInt32(attachments.Get("Count"), CultureInfo.InvariantCulture);
            }

            object? received = Optional(() => Item.Get("ReceivedTime"));
            if (received is DateTime local)
            {
                facts.Received = new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), TimeZoneInfo.Local.GetUtcOffset(local));
            }
            else if (Property(MessageDeliveryTime) is DateTime utc)
            {
                facts.Received = new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
            }

            (facts.To, facts.Cc) = Recipients();
            return facts;
        }

        public string? TransportHeaders() => Property(TransportMessageHeaders) as string;

        public string? InReplyTo() => Property(InReplyToId) as string;

        // MailItem.BodyFormat, HTMLBody, Body; a ReportItem has Body only.
        public OutlookBody ReadBody()
        {
            object? format = Optional(() => Item.Get("BodyFormat"));
            int kind = format == null ? (int)OutlookBodyFormat.Plain : Convert.ToInt32(format, CultureInfo.InvariantCulture);
            string? text = Convert.ToString(Item.Get(kind == OlFormatHtml ? "HTMLBody" : "Body"), CultureInfo.InvariantCulture);
            return new OutlookBody(Enum.IsDefined(typeof(OutlookBodyFormat), kind) ? (OutlookBodyFormat)kind : OutlookBodyFormat.Plain, text);
        }

        // Attachments.Item(i): FileName, Type (OlAttachmentType), Size (https://learn.microsoft.com/office/vba/api/outlook.attachment).
        public IReadOnlyList<OutlookAttachmentInfo> Attachments()
        {
            var list = new List<OutlookAttachmentInfo>();
            using (ComObject attachments = Item.GetObject("Attachments"))
            {
                int count = Convert.ToInt32(attachments.Get("Count"), CultureInfo.InvariantCulture);
                for (int i = 1; i <= count; i++)
                {
                    using (ComObject attachment = attachments.GetObject("Item", BindingFlags.InvokeMethod, i))
                    {
                        int type = Convert.ToInt32(attachment.Get("Type"), CultureInfo.InvariantCulture);
                        string name = Convert.ToString(Optional(() => attachment.Get("FileName")), CultureInfo.InvariantCulture)
                                      ?? Convert.ToString(attachment.Get("DisplayName"), CultureInfo.InvariantCulture) ?? string.Empty;
                        long size = Convert.ToInt64(attachment.Get("Size"), CultureInfo.InvariantCulture);
                        list.Add(new OutlookAttachmentInfo(name, (OutlookAttachmentType)type, size));
                    }
                }
            }

            return list;
        }

        // Attachment.SaveAsFile(Path) (https://learn.microsoft.com/office/vba/api/outlook.attachment.saveasfile).
        public void SaveAttachment(int index, string path)
        {
            using (ComObject attachments = Item.GetObject("Attachments"))
            using (ComObject attachment = attachments.GetObject("Item", BindingFlags.InvokeMethod, index))
            {
                attachment.Call("SaveAsFile", path);
            }
        }

        // MailItem.UnRead = False, then MailItem.Save (https://learn.microsoft.com/office/vba/api/outlook.mailitem.unread).
        public void MarkRead()
        {
            Item.Set("UnRead", false);
            Item.Call("Save");
        }

        // MailItem.Move(DestFldr) returns the moved item (https://learn.microsoft.com/office/vba/api/outlook.mailitem.move).
        public IOutlookReceivedItem MoveTo(IOutlookMailFolder folder)
        {
            var destination = (MailFolder)folder;
            return new ReceivedItem(Item.GetObject("Move", BindingFlags.InvokeMethod, destination.Folder.Value));
        }

        public void Dispose()
        {
            _item?.Dispose();
            _item = null;
        }

        private string? Text(string name) => Convert.ToString(Optional(() => Item.Get(name)), CultureInfo.InvariantCulture);

        /// <summary>
        /// The sender's SMTP address: SenderEmailAddress is an X.500 DN for an Exchange sender (SenderEmailType "EX"), whose
        /// SMTP address is ExchangeUser.PrimarySmtpAddress (https://learn.microsoft.com/office/vba/api/outlook.exchangeuser.primarysmtpaddress).
        /// </summary>
        private string? Sender()
        {
            string? type = Text("SenderEmailType");
            if (string.Equals(type, "EX", StringComparison.OrdinalIgnoreCase))
            {
                object? sender = Optional(() => Item.Get("Sender"));
                if (sender != null)
                {
                    using (var entry = new ComObject(sender))
                    {
                        object? user = entry.Call("GetExchangeUser");
                        if (user != null)
                        {
                            using (var exchangeUser = new ComObject(user))
                            {
                                string? smtp = Convert.ToString(exchangeUser.Get("PrimarySmtpAddress"), CultureInfo.InvariantCulture);
                                if (!string.IsNullOrEmpty(smtp))
                                {
                                    return smtp;
                                }
                            }
                        }
                    }
                }
            }

            return Text("SenderEmailAddress");
        }

        private (IReadOnlyList<string> To, IReadOnlyList<string> Cc) Recipients()
        {
            var to = new List<string>();
            var cc = new List<string>();
            object? raw = Optional(() => Item.Get("Recipients"));
            if (raw == null)
            {
                return (to, cc);
            }

            using (var recipients = new ComObject(raw))
            {
                int count = Convert.ToInt32(recipients.Get("Count"), CultureInfo.InvariantCulture);
                for (int i = 1; i <= count; i++)
                {
                    using (ComObject recipient = recipients.GetObject("Item", BindingFlags.InvokeMethod, i))
                    {
                        int type = Convert.ToInt32(recipient.Get("Type"), CultureInfo.InvariantCulture);
                        if (type == OlTo || type == OlCc)
                        {
                            (type == OlTo ? to : cc).Add(AppointmentItem.SmtpAddress(recipient));
                        }
                    }
                }
            }

            return (to, cc);
        }

        /// <summary>
        /// PropertyAccessor.GetProperty(SchemaName) (https://learn.microsoft.com/office/vba/api/outlook.propertyaccessor.getproperty);
        /// null when the item does not have the property (MAPI_E_NOT_FOUND).
        /// </summary>
        private object? Property(string schemaName)
        {
            using (ComObject accessor = Item.GetObject("PropertyAccessor"))
            {
                try
                {
                    return accessor.Call("GetProperty", schemaName);
                }
                catch (COMException ex) when (OutlookErrors.IsNotFound(ex) || ex.HResult == OutlookErrors.E_FAIL)
                {
                    return null;
                }
            }
        }

        private static object? Optional(Func<object?> read)
        {
            try
            {
                return read();
            }
            catch (COMException ex) when (ex.HResult == DispUnknownName || ex.HResult == DispMemberNotFound)
            {
                return null;
            }
            catch (MissingMemberException)
            {
                return null;
            }
        }
    }
}
