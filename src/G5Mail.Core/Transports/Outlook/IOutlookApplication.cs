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
