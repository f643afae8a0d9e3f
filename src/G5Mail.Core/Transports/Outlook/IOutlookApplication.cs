using System;
using System.Collections.Generic;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>
    /// The few calls G5Mail makes on classic Outlook's object model (Outlook.Application), kept this small so that
    /// everything around them (recipients, body, attachments, results, error mapping, release) is tested with a
    /// recording double. The COM implementation is <see cref="OutlookComApplication"/>; it runs only on Windows.
    /// Failures surface as the exceptions COM interop raises (COMException with the HRESULT, or
    /// UnauthorizedAccessException for E_ACCESSDENIED); <see cref="OutlookErrors"/> maps them.
    /// </summary>
    internal interface IOutlookApplication : IDisposable
    {
        /// <summary>Application.Version, e.g. "16.0.0.17928".</summary>
        string Version { get; }

        /// <summary>Application.CreateItem(olMailItem = 0). The caller disposes the item (releases it).</summary>
        IOutlookMailItem CreateMailItem();

        /// <summary>
        /// Application.CreateItem(olAppointmentItem = 1): a new, unsaved appointment, which Save puts in the default
        /// calendar. The caller disposes it (releases it).
        /// </summary>
        IOutlookAppointment CreateAppointment();

        /// <summary>Session.GetDefaultFolder(olFolderCalendar = 9): the profile's default calendar. The caller disposes it.</summary>
        IOutlookCalendar OpenDefaultCalendar();

        /// <summary>
        /// The message store to read (Receive-G5Mail): the profile's default store (Session.DefaultStore) when
        /// <paramref name="accountAddress"/> is null, else the delivery store (Account.DeliveryStore) of the profile's account
        /// whose SmtpAddress it is; null when the profile has no such account. The caller disposes it.
        /// </summary>
        IOutlookMailStore? OpenMailStore(string? accountAddress);
    }

    /// <summary>OlDefaultFolders: the folders Outlook knows by role, whatever the mailbox's language calls them.</summary>
    internal enum OutlookDefaultFolder
    {
        DeletedItems = 3,
        SentMail = 5,
        Inbox = 6,
        Drafts = 16,
        Junk = 23,
    }

    /// <summary>One message store (a mailbox or a .pst) of the profile. Dispose releases its COM objects.</summary>
    internal interface IOutlookMailStore : IDisposable
    {
        /// <summary>Store.DisplayName, e.g. "anna.svensson@example.se".</summary>
        string DisplayName { get; }

        /// <summary>Store.GetDefaultFolder(kind). The caller disposes the folder.</summary>
        IOutlookMailFolder GetDefaultFolder(OutlookDefaultFolder kind);

        /// <summary>Store.GetRootFolder(): the top of the folder tree, parent of Inbox and the user's own top-level folders.</summary>
        IOutlookMailFolder GetRootFolder();

        /// <summary>
        /// Session.GetItemFromID(entryId, Store.StoreID): the item with this EntryID, or null when Outlook has no such item
        /// (MAPI_E_NOT_FOUND, MAPI_E_INVALID_ENTRYID: deleted or moved to another store since it was listed).
        /// </summary>
        IOutlookReceivedItem? GetItem(string entryId);
    }

    /// <summary>One mail folder (a MAPIFolder). Dispose releases its COM object.</summary>
    internal interface IOutlookMailFolder : IDisposable
    {
        /// <summary>Folder.Name as Outlook shows it (in the mailbox's language for default folders).</summary>
        string Name { get; }

        /// <summary>The names of Folder.Folders (its direct sub-folders), in Outlook's order.</summary>
        IReadOnlyList<string> SubfolderNames();

        /// <summary>Folder.Folders.Item(i) for the sub-folder with exactly this name (as <see cref="SubfolderNames"/> gave it).</summary>
        IOutlookMailFolder OpenSubfolder(string name);

        /// <summary>Folder.Folders.Add(name): a new mail folder (the parent's item type). The caller disposes it.</summary>
        IOutlookMailFolder AddSubfolder(string name);

        /// <summary>
        /// Folder.Items, Items.Restrict(filter) when <paramref name="filter"/> is not null, then Items.Sort(property,
        /// descending). The caller disposes the collection.
        /// </summary>
        IOutlookItems Items(string? filter, string sortProperty, bool descending);
    }

    /// <summary>An Items collection, restricted and sorted. Dispose releases it.</summary>
    internal interface IOutlookItems : IDisposable
    {
        /// <summary>Items.Count.</summary>
        int Count { get; }

        /// <summary>Items.Item(index), 1-based, in the collection's sort order. The caller disposes the item.</summary>
        IOutlookReceivedItem Item(int index);
    }

    /// <summary>
    /// One item of a mail folder: a MailItem, a ReportItem (delivery and non-delivery reports, message class REPORT.*) or
    /// another item a mail folder holds (meeting requests). Dispose releases its COM object; it never changes the item.
    /// </summary>
    internal interface IOutlookReceivedItem : IDisposable
    {
        /// <summary>EntryID.</summary>
        string EntryId { get; }

        /// <summary>The listing's facts: MessageClass, Subject, sender, recipients, ReceivedTime, Size, UnRead, Attachments.Count, PR_INTERNET_MESSAGE_ID.</summary>
        OutlookItemFacts ReadFacts();

        /// <summary>PR_TRANSPORT_MESSAGE_HEADERS: the Internet headers the item arrived with; null when it has none (made inside Exchange).</summary>
        string? TransportHeaders();

        /// <summary>HTMLBody for an HTML item, else Body.</summary>
        OutlookBody ReadBody();

        /// <summary>PR_IN_REPLY_TO_ID (In-Reply-To): on a report, the Message-ID of the message it is about, when the report carries it.</summary>
        string? InReplyTo();

        /// <summary>The attachments (Attachments.Item(i) for i = 1..Count): FileName, Type, Size.</summary>
        IReadOnlyList<OutlookAttachmentInfo> Attachments();

        /// <summary>Attachments.Item(index).SaveAsFile(path), 1-based.</summary>
        void SaveAttachment(int index, string path);

        /// <summary>UnRead = false, then Save().</summary>
        void MarkRead();

        /// <summary>Item.Move(folder): the item in its new folder (with a new EntryID in most stores). The caller disposes it.</summary>
        IOutlookReceivedItem MoveTo(IOutlookMailFolder folder);
    }

    /// <summary>What one item's properties say, read in one go (each is one COM call).</summary>
    internal sealed class OutlookItemFacts
    {
        public string MessageClass { get; set; } = "IPM.Note";
        public string? Subject { get; set; }

        /// <summary>The sender's SMTP address (an Exchange sender's through PR_SMTP_ADDRESS / ExchangeUser.PrimarySmtpAddress), and display name.</summary>
        public string? SenderAddress { get; set; }
        public string? SenderName { get; set; }

        /// <summary>The SMTP addresses of the To and CC recipients (Recipients, Type olTo 1 / olCC 2).</summary>
        public IReadOnlyList<string> To { get; set; } = Array.Empty<string>();
        public IReadOnlyList<string> Cc { get; set; } = Array.Empty<string>();

        /// <summary>ReceivedTime (Outlook's local time, as an instant); for a ReportItem, which has no ReceivedTime, PR_MESSAGE_DELIVERY_TIME.</summary>
        public DateTimeOffset Received { get; set; }

        public long Size { get; set; }
        public bool UnRead { get; set; }
        public int AttachmentCount { get; set; }

        /// <summary>PR_INTERNET_MESSAGE_ID, as stored (with angle brackets); null when the item has none.</summary>
        public string? InternetMessageId { get; set; }
    }

    /// <summary>OlAttachmentType.</summary>
    internal enum OutlookAttachmentType
    {
        ByValue = 1,
        ByReference = 4,
        EmbeddedItem = 5,
        Ole = 6,
    }

    /// <summary>One attachment as Attachment.FileName, Type and Size describe it.</summary>
    internal sealed class OutlookAttachmentInfo
    {
        public OutlookAttachmentInfo(string fileName, OutlookAttachmentType type, long size)
        {
            FileName = fileName;
            Type = type;
            Size = size;
        }

        public string FileName { get; }
        public OutlookAttachmentType Type { get; }
        public long Size { get; }
    }

    /// <summary>The default calendar folder. Dispose releases its COM objects.</summary>
    internal interface IOutlookCalendar : IDisposable
    {
        /// <summary>
        /// Session.GetItemFromID(entryId, folder.StoreID): the appointment with this EntryID when it is still in this
        /// folder; null when Outlook has no such item (MAPI_E_NOT_FOUND, MAPI_E_INVALID_ENTRYID), when it is not an
        /// appointment, or when it is elsewhere (a deleted appointment waits in Deleted Items with its EntryID).
        /// </summary>
        IOutlookAppointment? GetAppointment(string entryId);

        /// <summary>
        /// The first appointment whose text UserProperty <paramref name="property"/> matches <paramref name="filter"/>
        /// (Items.Find), or null. Items.Find accepts a user property only when it is one of the folder's fields, so
        /// this first asks Folder.UserDefinedProperties.Find(property): absent means no appointment was ever tagged here.
        /// </summary>
        IOutlookAppointment? FindAppointment(string property, string filter);
    }

    /// <summary>One AppointmentItem. Dispose releases its COM object; it never closes or deletes the item.</summary>
    internal interface IOutlookAppointment : IDisposable
    {
        /// <summary>EntryID: empty until the item is first saved.</summary>
        string EntryId { get; }

        /// <summary>MeetingStatus (OlMeetingStatus).</summary>
        OutlookMeetingStatus MeetingStatus { get; set; }

        /// <summary>
        /// UserProperties.Find(name), or UserProperties.Add(name, olText = 1, AddToFolderFields: true) when absent (so that
        /// Items.Find can filter on it), then UserProperty.Value = value.
        /// </summary>
        void SetUserProperty(string name, string value);

        /// <summary>Sets Subject, AllDayEvent, Start, End, Location, Body, Categories, BusyStatus, ReminderSet and ReminderMinutesBeforeStart.</summary>
        void SetFields(OutlookAppointmentFields fields);

        /// <summary>The SMTP addresses of the attendees (recipients other than the organizer), in order.</summary>
        IReadOnlyList<string> Attendees();

        /// <summary>Recipients.Add(address) and Recipient.Type = olRequired (1).</summary>
        void AddAttendee(string address);

        /// <summary>Recipients.Remove(index) of the attendee with this SMTP address.</summary>
        void RemoveAttendee(string address);

        /// <summary>Recipients.ResolveAll(): true when every recipient resolved.</summary>
        bool ResolveAll();

        /// <summary>AppointmentItem.Save().</summary>
        void Save();

        /// <summary>AppointmentItem.Send(): the meeting request, update or cancellation to the attendees.</summary>
        void Send();

        /// <summary>AppointmentItem.Delete(): into Deleted Items.</summary>
        void Delete();

        /// <summary>AppointmentItem.Close(olDiscard = 1): throws away unsaved changes (after a failure).</summary>
        void Discard();
    }

    /// <summary>OlMeetingStatus.</summary>
    internal enum OutlookMeetingStatus
    {
        NonMeeting = 0,
        Meeting = 1,
        Received = 3,
        Canceled = 5,
        ReceivedAndCanceled = 7,
    }

    /// <summary>OlBusyStatus.</summary>
    internal enum OutlookBusyStatus
    {
        Free = 0,
        Tentative = 1,
        Busy = 2,
        OutOfOffice = 3,
        WorkingElsewhere = 4,
    }

    /// <summary>
    /// What an appointment shows of an activity, in the form Outlook's properties take: Start and End as wall-clock times
    /// of Outlook's own time zone (AppointmentItem.Start "is always represented in the local time zone,
    /// TimeZones.CurrentTimeZone"), dates at midnight for an all-day appointment.
    /// </summary>
    internal sealed class OutlookAppointmentFields
    {
        public string Subject { get; set; } = string.Empty;
        public bool AllDay { get; set; }
        public DateTime Start { get; set; }
        public DateTime End { get; set; }
        public string Location { get; set; } = string.Empty;
        public string Body { get; set; } = string.Empty;
        public string Categories { get; set; } = string.Empty;
        public OutlookBusyStatus BusyStatus { get; set; } = OutlookBusyStatus.Busy;
        public bool ReminderSet { get; set; }
        public int ReminderMinutes { get; set; }
    }

    /// <summary>One new MailItem. Dispose releases its COM object; it never closes or deletes the item.</summary>
    internal interface IOutlookMailItem : IDisposable
    {
        /// <summary>Recipients.Add(address) and Recipient.Type = olTo 1 / olCC 2 / olBCC 3.</summary>
        void AddRecipient(string address, OutlookRecipientType type);

        /// <summary>Recipients.ResolveAll(): true when every recipient resolved.</summary>
        bool ResolveAll();

        /// <summary>Recipient.Resolved of each recipient, in the order they were added.</summary>
        IReadOnlyList<bool> RecipientsResolved();

        /// <summary>
        /// Sets SendUsingAccount to the profile's account whose SmtpAddress is <paramref name="smtpAddress"/>
        /// (Session.Accounts); false, and nothing changed, when the profile has no such account.
        /// </summary>
        bool UseAccount(string smtpAddress);

        /// <summary>MailItem.Subject.</summary>
        void SetSubject(string subject);

        /// <summary>
        /// Opens the item's inspector (MailItem.GetInspector), which makes Outlook put the user's default signature
        /// in the body, and returns the body as it then is: HTMLBody for HTML items, else Body.
        /// </summary>
        OutlookBody ReadBody();

        /// <summary>HTMLBody when <paramref name="html"/>, else Body.</summary>
        void SetBody(string text, bool html);

        /// <summary>Attachments.Add(path, olByValue = 1, position, displayName).</summary>
        void AddAttachment(string path, int position, string displayName);

        /// <summary>MailItem.Send().</summary>
        void Send();

        /// <summary>MailItem.Display(false): a window the user closes; the call returns at once.</summary>
        void Display();

        /// <summary>MailItem.Save(): into the Drafts folder.</summary>
        void Save();

        /// <summary>MailItem.Close(olDiscard = 1): throws the unsent item away (after a failure).</summary>
        void Discard();
    }

    /// <summary>OlMailRecipientType.</summary>
    internal enum OutlookRecipientType
    {
        To = 1,
        Cc = 2,
        Bcc = 3,
    }

    /// <summary>OlBodyFormat.</summary>
    internal enum OutlookBodyFormat
    {
        Unspecified = 0,
        Plain = 1,
        Html = 2,
        RichText = 3,
    }

    /// <summary>A body as Outlook holds it: its format and text (HTML source for HTML items).</summary>
    internal readonly struct OutlookBody
    {
        public OutlookBody(OutlookBodyFormat format, string? text)
        {
            Format = format;
            Text = text ?? string.Empty;
        }

        public OutlookBodyFormat Format { get; }

        public string Text { get; }
    }
}
