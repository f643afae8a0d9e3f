using System;
using System.Globalization;
using System.Runtime.InteropServices;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>Which Outlook call failed, so the error can say what was not done.</summary>
    internal enum OutlookStep
    {
        Start,
        CreateItem,
        Recipients,
        Account,
        Content,
        Attachment,
        Send,
        Display,
        Save,

        // Appointments (Sync-G5Activity).
        Calendar,
        Lookup,
        Appointment,
        Attendees,
        SaveAppointment,
        SendInvitation,
        DeleteAppointment,

        // Reading a mail folder (Receive-G5Mail, Get-G5DeliveryReport).
        OpenFolder,
        ListMessages,
        ReadMessage,
        MarkRead,
        CreateFolder,
        MoveMessage,
    }

    /// <summary>
    /// Maps what COM reports from Outlook to the contract's error ids, with a message that says what to change.
    /// HRESULT values are those of the Windows SDK headers (winerror.h, mapicode.h); the causes are from Microsoft's
    /// Outlook documentation: KB 237913 (no automation from services), "Security Behavior of the Outlook Object
    /// Model" and "Outlook Object Model Security Warnings" (the object-model guard and its Deny answer).
    /// </summary>
    internal static class OutlookErrors
    {
        public const int E_ABORT = unchecked((int)0x80004004);
        public const int E_FAIL = unchecked((int)0x80004005);
        public const int E_ACCESSDENIED = unchecked((int)0x80070005);
        public const int REGDB_E_CLASSNOTREG = unchecked((int)0x80040154);
        public const int CO_E_CLASSSTRING = unchecked((int)0x800401F3);
        public const int CO_E_SERVER_EXEC_FAILURE = unchecked((int)0x80080005);
        public const int CO_E_OBJNOTCONNECTED = unchecked((int)0x800401FD);
        public const int RPC_E_CALL_REJECTED = unchecked((int)0x80010001);
        public const int RPC_E_SERVERCALL_RETRYLATER = unchecked((int)0x8001010A);
        public const int RPC_E_SERVER_DIED = unchecked((int)0x80010007);
        public const int RPC_E_SERVER_DIED_DNE = unchecked((int)0x80010012);
        public const int RPC_E_DISCONNECTED = unchecked((int)0x80010108);
        public const int RPC_S_SERVER_UNAVAILABLE = unchecked((int)0x800706BA);
        public const int RPC_S_CALL_FAILED = unchecked((int)0x800706BE);
        public const int MAPI_E_NOT_SUPPORTED = unchecked((int)0x80040102);
        public const int MAPI_E_USER_CANCEL = unchecked((int)0x80040113);
        public const int ERROR_CANCELLED = unchecked((int)0x800704C7);
        public const int MAPI_E_NOT_FOUND = unchecked((int)0x8004010F);
        public const int MAPI_E_INVALID_ENTRYID = unchecked((int)0x80040107);

        private const string OtherMethods = "use -Method Smtp or ExchangeOnline, or write Outlook-ready drafts with -DraftDirectory";

        /// <summary>What Sync-G5Activity can use instead of Outlook.</summary>
        /// <summary>What Receive-G5Mail and Get-G5DeliveryReport can use instead of Outlook.</summary>
        public const string ReadAlternatives = "read the mailbox with -Method Smtp (IMAP), ExchangeOnline (Microsoft Graph) or Exchange (EWS)";

        public const string CalendarAlternatives = "write the activities as .ics files with -IcsDirectory <folder> (Outlook imports them), or use -Method Smtp, "
            + "ExchangeOnline or Exchange";

        /// <summary>True for the failures COM interop raises for a failed Outlook call.</summary>
        public static bool IsComFailure(Exception ex) =>
            ex is COMException || ex is UnauthorizedAccessException || ex is InvalidComObjectException;

        /// <summary>Outlook's message filter turned the call away (a dialog is open, or it is starting): try again later.</summary>
        public static bool IsBusy(Exception ex) => ex.HResult == RPC_E_CALL_REJECTED || ex.HResult == RPC_E_SERVERCALL_RETRYLATER;

        public static bool IsGone(Exception ex)
        {
            int hr = ex.HResult;
            return hr == RPC_S_SERVER_UNAVAILABLE || hr == RPC_S_CALL_FAILED || hr == RPC_E_DISCONNECTED || hr == RPC_E_SERVER_DIED
                   || hr == RPC_E_SERVER_DIED_DNE || hr == CO_E_OBJNOTCONNECTED || ex is InvalidComObjectException;
        }

        public static string Hex(int hresult) => "0x" + hresult.ToString("X8", CultureInfo.InvariantCulture);

        public static G5MailErrorException NotWindows() => new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.NotImplemented,
            "The Outlook method drives classic Outlook through its COM interface, which exists only on Windows. On this computer "
            + OtherMethods + " and open them in Outlook.", "Method");

        /// <param name="alternatives">What to use instead, e.g. <see cref="ReadAlternatives"/>.</param>
        public static G5MailErrorException NotWindows(string alternatives) => new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.NotImplemented,
            "The Outlook method drives classic Outlook through its COM interface, which exists only on Windows. On this computer "
            + alternatives + ".", "Method");

        /// <summary>
        /// MethodNotSupported where Outlook cannot be driven (not Windows, no interactive desktop), checked before anything
        /// else, as the send and calendar transports do.
        /// </summary>
        internal static void CheckHost(IOutlookHost host, string alternatives)
        {
            if (!host.IsWindows)
            {
                throw NotWindows(alternatives);
            }

            if (!host.IsInteractiveSession)
            {
                throw NotInteractive(alternatives);
            }
        }

        /// <param name="alternatives">What to use instead: by default the ways of sending documents.</param>
        public static G5MailErrorException NotInteractive(string alternatives = OtherMethods) => new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.NotImplemented,
            "The Outlook method needs an interactive desktop session: Microsoft supports Outlook automation only for a logged-on user "
            + "who can answer its dialogs, not from services or from scheduled tasks that run whether the user is logged on or not "
            + "(KB 237913). For unattended runs " + alternatives + ".", "Method");

        public static G5MailErrorException NotInstalled(Exception? inner = null, string alternatives = OtherMethods) => new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.NotImplemented,
            "Classic Outlook is not installed: its COM class Outlook.Application is not registered" + Suffix(inner) + ". The new Outlook "
            + "for Windows has no COM interface and cannot be used. Install classic Outlook (Microsoft 365 Apps or Office), or "
            + alternatives + ".", "Method", inner);

        /// <summary>GetItemFromID's answer for an EntryID Outlook does not know (any more).</summary>
        public static bool IsNotFound(Exception ex) => ex.HResult == MAPI_E_NOT_FOUND || ex.HResult == MAPI_E_INVALID_ENTRYID;

        /// <summary>Class not registered: classic Outlook is not installed.</summary>
        public static bool IsNotRegistered(Exception ex) => ex.HResult == REGDB_E_CLASSNOTREG || ex.HResult == CO_E_CLASSSTRING;

        /// <summary>Maps a failed call (after any retries) to a G5MailErrorException.</summary>
        public static G5MailErrorException Map(Exception ex, OutlookStep step, int attempts = 1)
        {
            int hr = ex.HResult;
            string code = Suffix(ex);
            string what = Describe(step);

            if (IsNotRegistered(ex))
            {
                return NotInstalled(ex);
            }

            if (step == OutlookStep.Start && (hr == CO_E_SERVER_EXEC_FAILURE || hr == E_ACCESSDENIED || ex is UnauthorizedAccessException))
            {
                // COM will not connect processes of different integrity levels: the classic cause of both codes.
                return new G5MailErrorException(hr == CO_E_SERVER_EXEC_FAILURE ? ErrorIds.ConnectionFailed : ErrorIds.PermissionDenied,
                    hr == CO_E_SERVER_EXEC_FAILURE ? ErrorKind.ResourceUnavailable : ErrorKind.PermissionDenied,
                    "Outlook could not be started or reached" + code + ". This happens when Outlook runs as administrator and PowerShell "
                    + "does not, or the reverse: run both at the same level. It also happens while Outlook is starting or shows a "
                    + "dialog (such as the profile choice): finish it and try again.", "Outlook", ex);
            }

            if (IsBusy(ex))
            {
                // A rejected call was not carried out, so the whole message may be tried again (the engine's retry policy).
                return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ResourceUnavailable,
                    $"Outlook is busy and refused to {what}{code}, {attempts} time(s): a dialog box is probably open in Outlook, or it is "
                    + "still starting. Close the dialog and try again.", "Outlook", ex)
                {
                    Failure = FailureClass.Transient,
                    Cause = "Outlook busy" + code,
                };
            }

            if (IsGone(ex) && step == OutlookStep.Send)
            {
                // Outlook may have taken the message into its Outbox before it went away: never sent again automatically.
                return new G5MailErrorException(ErrorIds.DeliveryUncertain, ErrorKind.ConnectionError,
                    $"Outlook closed or stopped responding when asked to {what}{code}. It may or may not have taken the message: look in Sent "
                    + "Items and the Outbox before sending this message again. Start Outlook and try again; rerun with -JournalPath to be safe: "
                    + "the journal keeps such messages from being sent twice.", "Outlook", ex)
                {
                    Failure = FailureClass.Uncertain,
                    Cause = "Outlook went away" + code,
                };
            }

            if (IsGone(ex))
            {
                return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                    $"Outlook closed or stopped responding when asked to {what}{code}. Start Outlook and try again.", "Outlook", ex);
            }

            if (hr == MAPI_E_USER_CANCEL || hr == ERROR_CANCELLED)
            {
                return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidOperation,
                    $"A dialog in Outlook was cancelled (profile choice, sign-in or security prompt), so Outlook did not {what}{code}.",
                    "Outlook", ex);
            }

            if ((hr == E_ABORT || hr == E_ACCESSDENIED || hr == MAPI_E_NOT_SUPPORTED || ex is UnauthorizedAccessException) && IsReading(step))
            {
                // The same guard watches reading addresses and properties ("A program is trying to access e-mail address
                // information stored in Outlook"). It answers every item the same way, so it is the session's failure:
                // one error for the call, not one per message.
                return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                    $"Outlook refused to {what}{code}: its security guard blocked the program, or Deny was chosen in its prompt "
                    + "\"A program is trying to access e-mail address information stored in Outlook\". Outlook allows it without asking "
                    + "when an up-to-date antivirus is active; otherwise an administrator sets File > Options > Trust Center > Trust "
                    + "Center Settings > Programmatic Access (or its Group Policy).", "Outlook", ex)
                {
                    Scope = FailureScope.Account,
                };
            }

            if (hr == E_ABORT || hr == E_ACCESSDENIED || hr == MAPI_E_NOT_SUPPORTED || ex is UnauthorizedAccessException)
            {
                // Outlook's object-model guard: Deny in its security prompt, or Programmatic Access set to "Automatically
                // deny". It stays quiet when Windows Security Center reports an up-to-date antivirus.
                return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                    $"Outlook refused to {what}{code}: its security guard blocked the program, or Deny was chosen in its prompt "
                    + "\"A program is trying to send an e-mail message on your behalf\". Outlook allows it without asking when an "
                    + "up-to-date antivirus is active; otherwise an administrator sets File > Options > Trust Center > Trust Center "
                    + "Settings > Programmatic Access (or its Group Policy). Meanwhile use -Display to send by hand, or another method.",
                    "Outlook", ex);
            }

            string detail = string.IsNullOrWhiteSpace(ex.Message) ? string.Empty : ": " + ex.Message.Trim();
            if (IsReading(step))
            {
                // One message's failure is that message's (the others go on); a folder's ends the call.
                bool oneMessage = step == OutlookStep.ReadMessage || step == OutlookStep.MarkRead || step == OutlookStep.MoveMessage;
                return new G5MailErrorException(oneMessage ? ErrorIds.MessageUnreadable : ErrorIds.ConnectionFailed,
                    oneMessage ? ErrorKind.ReadError : ErrorKind.ResourceUnavailable,
                    $"Outlook could not {what}{detail}{(detail.Contains(Hex(hr)) ? string.Empty : " (" + Hex(hr) + ")")}.", "Outlook", ex);
            }

            return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.NotSpecified,
                $"Outlook could not {what}{detail}{(detail.Contains(Hex(hr)) ? string.Empty : " (" + Hex(hr) + ")")}.", "Outlook", ex);
        }

        private static bool IsReading(OutlookStep step) => step >= OutlookStep.OpenFolder;

        private static string Suffix(Exception? ex) => ex == null ? string.Empty : " (" + Hex(ex.HResult) + ")";

        private static string Describe(OutlookStep step)
        {
            switch (step)
            {
                case OutlookStep.Start: return "start";
                case OutlookStep.CreateItem: return "create the message";
                case OutlookStep.Recipients: return "add the recipients";
                case OutlookStep.Account: return "choose the sending account";
                case OutlookStep.Content: return "set the subject and text";
                case OutlookStep.Attachment: return "attach the files";
                case OutlookStep.Send: return "send the message";
                case OutlookStep.Display: return "show the message";
                case OutlookStep.Save: return "save the message to Drafts";
                case OutlookStep.Calendar: return "open the default calendar";
                case OutlookStep.Lookup: return "find the activity's appointment";
                case OutlookStep.Appointment: return "set the appointment's subject, times and details";
                case OutlookStep.Attendees: return "add the attendees to the meeting";
                case OutlookStep.SaveAppointment: return "save the appointment";
                case OutlookStep.SendInvitation: return "send the meeting request, update or cancellation to the attendees";
                case OutlookStep.DeleteAppointment: return "delete the appointment";
                case OutlookStep.OpenFolder: return "open the mail folder";
                case OutlookStep.ListMessages: return "list the folder's messages";
                case OutlookStep.ReadMessage: return "read the message";
                case OutlookStep.MarkRead: return "mark the message as read";
                case OutlookStep.CreateFolder: return "create the folder";
                case OutlookStep.MoveMessage: return "move the message";
                default: return "carry out the call";
            }
        }
    }
}
