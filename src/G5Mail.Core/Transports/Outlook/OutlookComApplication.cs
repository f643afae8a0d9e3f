using System;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>
    /// Classic Outlook through late-bound COM (IDispatch via Type.InvokeMember): no interop assembly to ship, and it
    /// works with every Outlook version that has the object model. Windows only; VERIFIED ONLY ON WINDOWS WITH
    /// OUTLOOK: the tests of this repository run the rest of the Outlook path against a recording double, never
    /// these calls. Every COM object obtained is released as soon as it is no longer needed; Outlook itself is
    /// never closed (Quit would close the user's Outlook), only our reference to it is released.
    /// </summary>
    internal sealed class OutlookComApplication : IOutlookApplication
    {
        private const string ProgId = "Outlook.Application";
        private const int OlMailItem = 0;
        private const int OlAppointmentItem = 1;
        private const int OlFolderCalendar = 9;
        private ComObject? _application;

        private OutlookComApplication(ComObject application)
        {
            _application = application;
        }

        /// <summary>
        /// Creates Outlook.Application. Outlook is a single-instance server: when it is running this attaches to it,
        /// otherwise COM starts it without a window.
        /// </summary>
        public static OutlookComApplication Start()
        {
            Type? type = Type.GetTypeFromProgID(ProgId, throwOnError: false);
            if (type == null)
            {
                throw new COMException("The class Outlook.Application is not registered.", OutlookErrors.REGDB_E_CLASSNOTREG);
            }

            object? instance;
            try
            {
                instance = Activator.CreateInstance(type);
            }
            catch (TargetInvocationException ex) when (ex.InnerException != null)
            {
                ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }

            return new OutlookComApplication(new ComObject(instance
                ?? throw new COMException("Outlook.Application could not be created.", OutlookErrors.E_FAIL)));
        }

        public string Version => Convert.ToString(App.Get("Version"), CultureInfo.InvariantCulture) ?? string.Empty;

        public IOutlookMailItem CreateMailItem() => new MailItem(App.GetObject("CreateItem", BindingFlags.InvokeMethod, OlMailItem));

        // NOT RUN ON WINDOWS HERE: written from Microsoft's Outlook object model reference (Application.CreateItem,
        // NameSpace.GetDefaultFolder); the tests run the calendar path against a recording double.
        public IOutlookAppointment CreateAppointment() => new AppointmentItem(App.GetObject("CreateItem", BindingFlags.InvokeMethod, OlAppointmentItem));

        // NOT RUN ON WINDOWS HERE.
        public IOutlookCalendar OpenDefaultCalendar()
        {
            ComObject session = App.GetObject("Session");
            try
            {
                return new CalendarFolder(session, session.GetObject("GetDefaultFolder", BindingFlags.InvokeMethod, OlFolderCalendar));
            }
            catch
            {
                session.Dispose();
                throw;
            }
        }

        // NOT RUN ON WINDOWS HERE: NameSpace.DefaultStore (https://learn.microsoft.com/office/vba/api/outlook.namespace.defaultstore),
        // NameSpace.Accounts, Account.SmtpAddress and Account.DeliveryStore
        // (https://learn.microsoft.com/office/vba/api/outlook.account.deliverystore).
        public IOutlookMailStore? OpenMailStore(string? accountAddress)
        {
            ComObject session = App.GetObject("Session");
            bool kept = false;
            try
            {
                if (accountAddress == null)
                {
                    kept = true;
                    return new MailStore(session, session.GetObject("DefaultStore"));
                }

                using (ComObject accounts = session.GetObject("Accounts"))
                {
                    int count = Convert.ToInt32(accounts.Get("Count"), CultureInfo.InvariantCulture);
                    for (int i = 1; i <= count; i++)
                    {
                        using (ComObject account = accounts.GetObject("Item", BindingFlags.InvokeMethod, i))
                        {
                            string address = Convert.ToString(account.Get("SmtpAddress"), CultureInfo.InvariantCulture) ?? string.Empty;
                            if (string.Equals(address, accountAddress, StringComparison.OrdinalIgnoreCase))
                            {
                                kept = true;
                                return new MailStore(session, account.GetObject("DeliveryStore"));
                            }
                        }
                    }
                }

                return null;
            }
            catch
            {
                kept = false;
                throw;
            }
            finally
            {
                if (!kept)
                {
                    session.Dispose();
                }
            }
        }

        public void Dispose()
        {
            _application?.Dispose();
            _application = null;
        }

        private ComObject App => _application ?? throw new ObjectDisposedException(nameof(OutlookComApplication));

        private sealed class MailItem : IOutlookMailItem
        {
            private const int OlByValue = 1;
            private const int OlDiscard = 1;
            private const int OlFormatHtml = 2;
            private const int DispMemberNotFound = unchecked((int)0x80020003); // DISP_E_MEMBERNOTFOUND
            private ComObject? _item;

            public MailItem(ComObject item)
            {
                _item = item;
            }

            private ComObject Item => _item ?? throw new ObjectDisposedException(nameof(MailItem));

            public void AddRecipient(string address, OutlookRecipientType type)
            {
                using (ComObject recipients = Item.GetObject("Recipients"))
                using (ComObject recipient = recipients.GetObject("Add", BindingFlags.InvokeMethod, address))
                {
                    recipient.Set("Type", (int)type);
                }
            }

            public bool ResolveAll()
            {
                using (ComObject recipients = Item.GetObject("Recipients"))
                {
                    return Convert.ToBoolean(recipients.Call("ResolveAll"), CultureInfo.InvariantCulture);
                }
            }

            public IReadOnlyList<bool> RecipientsResolved()
            {
                var resolved = new List<bool>();
                using (ComObject recipients = Item.GetObject("Recipients"))
                {
                    int count = Convert.ToInt32(recipients.Get("Count"), CultureInfo.InvariantCulture);
                    for (int i = 1; i <= count; i++)
                    {
                        // Collections of the object model are 1-based.
                        using (ComObject recipient = recipients.GetObject("Item", BindingFlags.InvokeMethod, i))
                        {
                            resolved.Add(Convert.ToBoolean(recipient.Get("Resolved"), CultureInfo.InvariantCulture));
                        }
                    }
                }

                return resolved;
            }

            public bool UseAccount(string smtpAddress)
            {
                using (ComObject session = Item.GetObject("Session"))
                using (ComObject accounts = session.GetObject("Accounts"))
                {
                    int count = Convert.ToInt32(accounts.Get("Count"), CultureInfo.InvariantCulture);
                    for (int i = 1; i <= count; i++)
                    {
                        using (ComObject account = accounts.GetObject("Item", BindingFlags.InvokeMethod, i))
                        {
                            string address = Convert.ToString(account.Get("SmtpAddress"), CultureInfo.InvariantCulture) ?? string.Empty;
                            if (string.Equals(address, smtpAddress, StringComparison.OrdinalIgnoreCase))
                            {
                                // An object-valued property: VBA's "Set item.SendUsingAccount = account" is a put-by-reference
                                // (DISPATCH_PROPERTYPUTREF); a plain put is the fallback for a type library that declares it so.
                                try
                                {
                                    Item.SetReference("SendUsingAccount", account.Value);
                                }
                                catch (COMException ex) when (ex.HResult == DispMemberNotFound)
                                {
                                    Item.Set("SendUsingAccount", account.Value);
                                }

                                return true;
                            }
                        }
                    }
                }

                return false;
            }

            public void SetSubject(string subject) => Item.Set("Subject", subject);

            public OutlookBody ReadBody()
            {
                using (Item.GetObject("GetInspector"))
                {
                    // Creating the inspector is what makes Outlook insert the default signature; it is not shown.
                }

                int format = Convert.ToInt32(Item.Get("BodyFormat"), CultureInfo.InvariantCulture);
                string? text = Convert.ToString(Item.Get(format == OlFormatHtml ? "HTMLBody" : "Body"), CultureInfo.InvariantCulture);
                return new OutlookBody(Enum.IsDefined(typeof(OutlookBodyFormat), format) ? (OutlookBodyFormat)format : OutlookBodyFormat.Unspecified, text);
            }

            public void SetBody(string text, bool html) => Item.Set(html ? "HTMLBody" : "Body", text);

            public void AddAttachment(string path, int position, string displayName)
            {
                using (ComObject attachments = Item.GetObject("Attachments"))
                using (attachments.GetObject("Add", BindingFlags.InvokeMethod, path, OlByValue, position, displayName))
                {
                }
            }

            public void Send() => Item.Call("Send");

            public void Display() => Item.Call("Display", false);

            public void Save() => Item.Call("Save");

            public void Discard() => Item.Call("Close", OlDiscard);

            public void Dispose()
            {
                _item?.Dispose();
                _item = null;
            }
        }
    }

    /// <summary>
    /// The default calendar (a MAPIFolder) and the session (NameSpace) it came from. NOT RUN ON WINDOWS HERE: every call
    /// below is written from Microsoft's Outlook object model reference and has only been compiled on this machine.
    /// </summary>
    internal sealed class CalendarFolder : IOutlookCalendar
    {
        private const int OlAppointment = 26; // OlObjectClass.olAppointment
        private ComObject? _session;
        private ComObject? _folder;

        public CalendarFolder(ComObject session, ComObject folder)
        {
            _session = session;
            _folder = folder;
        }

        private ComObject Session => _session ?? throw new ObjectDisposedException(nameof(CalendarFolder));

        private ComObject Folder => _folder ?? throw new ObjectDisposedException(nameof(CalendarFolder));

        public IOutlookAppointment? GetAppointment(string entryId)
        {
            string storeId = Convert.ToString(Folder.Get("StoreID"), CultureInfo.InvariantCulture) ?? string.Empty;
            object? raw;
            try
            {
                raw = Session.Call("GetItemFromID", entryId, storeId);
            }
            catch (COMException ex) when (OutlookErrors.IsNotFound(ex))
            {
                return null;
            }

            if (raw == null)
            {
                return null;
            }

            var item = new ComObject(raw);
            bool keep = false;
            try
            {
                if (Convert.ToInt32(item.Get("Class"), CultureInfo.InvariantCulture) != OlAppointment)
                {
                    return null;
                }

                // A deleted appointment keeps its EntryID in Deleted Items: only one still in this calendar counts.
                using (ComObject parent = item.GetObject("Parent"))
                {
                    object? parentId = parent.Get("EntryID");
                    object? folderId = Folder.Get("EntryID");
                    keep = Convert.ToBoolean(Session.Call("CompareEntryIDs", parentId ?? string.Empty, folderId ?? string.Empty), CultureInfo.InvariantCulture);
                }

                return keep ? new AppointmentItem(item) : null;
            }
            finally
            {
                if (!keep)
                {
                    item.Dispose();
                }
            }
        }

        public IOutlookAppointment? FindAppointment(string property, string filter)
        {
            // Items.Find refuses a condition on a property that is not a field of the folder: none means nothing was tagged here.
            using (ComObject definitions = Folder.GetObject("UserDefinedProperties"))
            {
                object? definition = definitions.Call("Find", property);
                if (definition == null)
                {
                    return null;
                }

                new ComObject(definition).Dispose();
            }

            using (ComObject items = Folder.GetObject("Items"))
            {
                object? found = items.Call("Find", filter);
                return found == null ? null : new AppointmentItem(new ComObject(found));
            }
        }

        public void Dispose()
        {
            _folder?.Dispose();
            _folder = null;
            _session?.Dispose();
            _session = null;
        }
    }

    /// <summary>One AppointmentItem. NOT RUN ON WINDOWS HERE: written from Microsoft's AppointmentItem reference.</summary>
    internal sealed class AppointmentItem : IOutlookAppointment
    {
        private const int OlText = 1; // OlUserPropertyType.olText
        private const int OlRequired = 1; // OlMeetingRecipientType.olRequired
        private const int OlOrganizer = 0; // OlMeetingRecipientType.olOrganizer
        private const int OlDiscard = 1;
        private const string SmtpAddressProperty = "http://schemas.microsoft.com/mapi/proptag/0x39FE001E"; // PR_SMTP_ADDRESS
        private ComObject? _item;

        public AppointmentItem(ComObject item)
        {
            _item = item;
        }

        private ComObject Item => _item ?? throw new ObjectDisposedException(nameof(AppointmentItem));

        public string EntryId => Convert.ToString(Item.Get("EntryID"), CultureInfo.InvariantCulture) ?? string.Empty;

        public OutlookMeetingStatus MeetingStatus
        {
            get => (OutlookMeetingStatus)Convert.ToInt32(Item.Get("MeetingStatus"), CultureInfo.InvariantCulture);
            set => Item.Set("MeetingStatus", (int)value);
        }

        public void SetUserProperty(string name, string value)
        {
            using (ComObject properties = Item.GetObject("UserProperties"))
            {
                object? existing = properties.Call("Find", name);
                // AddToFolderFields: true, so that Items.Find and Restrict can filter on it.
                using (ComObject property = existing != null ? new ComObject(existing) : properties.GetObject("Add", BindingFlags.InvokeMethod, name, OlText, true))
                {
                    property.Set("Value", value);
                }
            }
        }

        public void SetFields(OutlookAppointmentFields fields)
        {
            // AllDayEvent first: Start and End then mean dates (all day) or local times.
            Item.Set("Subject", fields.Subject);
            Item.Set("AllDayEvent", fields.AllDay);
            Item.Set("Start", fields.Start);
            Item.Set("End", fields.End);
            Item.Set("Location", fields.Location);
            Item.Set("Body", fields.Body);
            Item.Set("Categories", fields.Categories);
            Item.Set("BusyStatus", (int)fields.BusyStatus);
            Item.Set("ReminderSet", fields.ReminderSet);
            if (fields.ReminderSet)
            {
                Item.Set("ReminderMinutesBeforeStart", fields.ReminderMinutes);
            }
        }

        public IReadOnlyList<string> Attendees()
        {
            var addresses = new List<string>();
            using (ComObject recipients = Item.GetObject("Recipients"))
            {
                int count = Convert.ToInt32(recipients.Get("Count"), CultureInfo.InvariantCulture);
                for (int i = 1; i <= count; i++)
                {
                    using (ComObject recipient = recipients.GetObject("Item", BindingFlags.InvokeMethod, i))
                    {
                        if (Convert.ToInt32(recipient.Get("Type"), CultureInfo.InvariantCulture) != OlOrganizer)
                        {
                            addresses.Add(SmtpAddress(recipient));
                        }
                    }
                }
            }

            return addresses;
        }

        public void AddAttendee(string address)
        {
            using (ComObject recipients = Item.GetObject("Recipients"))
            using (ComObject recipient = recipients.GetObject("Add", BindingFlags.InvokeMethod, address))
            {
                recipient.Set("Type", OlRequired);
            }
        }

        public void RemoveAttendee(string address)
        {
            using (ComObject recipients = Item.GetObject("Recipients"))
            {
                int count = Convert.ToInt32(recipients.Get("Count"), CultureInfo.InvariantCulture);
                for (int i = count; i >= 1; i--)
                {
                    bool match;
                    using (ComObject recipient = recipients.GetObject("Item", BindingFlags.InvokeMethod, i))
                    {
                        match = string.Equals(SmtpAddress(recipient), address, StringComparison.OrdinalIgnoreCase);
                    }

                    if (match)
                    {
                        recipients.Call("Remove", i);
                    }
                }
            }
        }

        public bool ResolveAll()
        {
            using (ComObject recipients = Item.GetObject("Recipients"))
            {
                return Convert.ToBoolean(recipients.Call("ResolveAll"), CultureInfo.InvariantCulture);
            }
        }

        public void Save() => Item.Call("Save");

        public void Send() => Item.Call("Send");

        public void Delete() => Item.Call("Delete");

        public void Discard() => Item.Call("Close", OlDiscard);

        /// <summary>An Exchange user's Address is an X.500 DN; PR_SMTP_ADDRESS holds the SMTP one ("Obtain the E-mail Address of a Recipient").</summary>
        internal static string SmtpAddress(ComObject recipient)
        {
            try
            {
                using (ComObject accessor = recipient.GetObject("PropertyAccessor"))
                {
                    string? smtp = Convert.ToString(accessor.Call("GetProperty", SmtpAddressProperty), CultureInfo.InvariantCulture);
                    if (!string.IsNullOrEmpty(smtp))
                    {
                        return smtp!;
                    }
                }
            }
            catch (COMException)
            {
                // Not set for a one-off recipient: its Address is the SMTP address.
            }

            return Convert.ToString(recipient.Get("Address"), CultureInfo.InvariantCulture) ?? string.Empty;
        }

        public void Dispose()
        {
            _item?.Dispose();
            _item = null;
        }
    }

    /// <summary>One COM object reached through IDispatch; Dispose releases the runtime callable wrapper.</summary>
    internal sealed class ComObject : IDisposable
    {
        private object? _value;

        public ComObject(object value)
        {
            _value = value ?? throw new ArgumentNullException(nameof(value));
        }

        public object Value => _value ?? throw new ObjectDisposedException(nameof(ComObject));

        public object? Get(string name) => Invoke(name, BindingFlags.GetProperty, Array.Empty<object>());

        public void Set(string name, object value) => Invoke(name, BindingFlags.SetProperty, new[] { value });

        public void SetReference(string name, object value) => Invoke(name, BindingFlags.PutRefDispProperty, new[] { value });

        public object? Call(string name, params object[] args) => Invoke(name, BindingFlags.InvokeMethod, args);

        /// <summary>A property or method result that is itself a COM object; the caller disposes it.</summary>
        public ComObject GetObject(string name, BindingFlags kind = BindingFlags.GetProperty, params object[] args)
        {
            object? result = Invoke(name, kind, args);
            return new ComObject(result ?? throw new COMException($"Outlook returned nothing for {name}.", OutlookErrors.E_FAIL));
        }

        /// <summary>
        /// Releases this reference (Marshal.ReleaseComObject). Not FinalReleaseComObject: the runtime shares one
        /// wrapper per COM object across the whole process, so a final release would also cut off a script in the same
        /// session that holds Outlook.Application itself (New-Object -ComObject Outlook.Application).
        /// </summary>
        public void Dispose()
        {
            object? value = _value;
            _value = null;
            if (value != null && Marshal.IsComObject(value))
            {
                Marshal.ReleaseComObject(value);
            }
        }

        private object? Invoke(string name, BindingFlags kind, object[] args)
        {
            object target = Value;
            try
            {
                return target.GetType().InvokeMember(name, kind, null, target, args, CultureInfo.InvariantCulture);
            }
            catch (TargetInvocationException ex) when (ex.InnerException != null)
            {
                // Late binding wraps the COM failure; the HRESULT inside is what OutlookErrors maps.
                ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }
        }
    }
}
