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
