using System;

namespace G5Mail.Core.Errors
{
    /// <summary>Every stable error id G5Mail writes (the contract's list in INTERFACE.md, "Findings and errors"), in one place.</summary>
    public static class ErrorIds
    {
        public const string MissingRecipient = "MissingRecipient";
        public const string InvalidAddress = "InvalidAddress";
        public const string FileNotFound = "FileNotFound";
        public const string SettingsIncomplete = "SettingsIncomplete";
        public const string InvalidSetting = "InvalidSetting";
        public const string SecretUnreadable = "SecretUnreadable";
        public const string ConnectionFailed = "ConnectionFailed";
        public const string CertificateInvalid = "CertificateInvalid";
        public const string AuthenticationFailed = "AuthenticationFailed";
        public const string TokenAcquisitionFailed = "TokenAcquisitionFailed";
        public const string PermissionDenied = "PermissionDenied";
        public const string MessageTooLarge = "MessageTooLarge";
        public const string SendFailed = "SendFailed";
        public const string MethodNotSupported = "MethodNotSupported";

        /// <summary>
        /// The connection was lost after the whole message had gone out but before the server confirmed it: it may or
        /// may not have been delivered, so it is not sent again automatically (Status Uncertain).
        /// </summary>
        public const string DeliveryUncertain = "DeliveryUncertain";

        /// <summary>Another Send-G5Document run holds the journal; this run stops before sending anything.</summary>
        public const string JournalLocked = "JournalLocked";

        /// <summary>The journal cannot be created, opened or read (a folder, no permission, device error).</summary>
        public const string JournalAccessFailed = "JournalAccessFailed";

        /// <summary>A record could not be written; the message it was for is not sent, nor is any later one in the run.</summary>
        public const string JournalWriteFailed = "JournalWriteFailed";

        /// <summary>An I/O failure while writing a settings file (disk full, file locked); the old file is intact.</summary>
        public const string SettingsWriteFailed = "SettingsWriteFailed";

        /// <summary>An I/O failure while reading a settings file (locked, device error).</summary>
        public const string SettingsReadFailed = "SettingsReadFailed";

        /// <summary>Another process held the settings file's lock for longer than the wait (10 s); nothing was written.</summary>
        public const string SettingsLocked = "SettingsLocked";

        /// <summary>
        /// Send-G5Document: a subject or body names a placeholder ({CustomerName}) that this document's input object has no
        /// value for. Only the message of that document fails; the others are sent.
        /// </summary>
        public const string MissingPlaceholderValue = "MissingPlaceholderValue";

        /// <summary>Send-G5Document: a document's DocumentType names no known type (English or Swedish); that document is not sent.</summary>
        public const string InvalidDocumentType = "InvalidDocumentType";

        /// <summary>Sync-G5Activity: an activity that cannot be synced as given (no id, End before Start, a time in the DST gap...).</summary>
        public const string InvalidActivity = "InvalidActivity";

        /// <summary>Sync-G5Activity -StatePath: another run holds the state file's lock; nothing was synced.</summary>
        public const string StateLocked = "StateLocked";

        /// <summary>Sync-G5Activity -StatePath: the state file cannot be opened or read; nothing was synced.</summary>
        public const string StateAccessFailed = "StateAccessFailed";

        /// <summary>Sync-G5Activity -StatePath: a record could not be written, so the activity (and the rest of the run) was not synced.</summary>
        public const string StateWriteFailed = "StateWriteFailed";

        /// <summary>
        /// Receive-G5Mail / Get-G5DeliveryReport: one message whose MIME cannot be read or one of whose attachments cannot be
        /// decoded or saved; the message is left as it was (not marked, not moved) and the others go on.
        /// </summary>
        public const string MessageUnreadable = "MessageUnreadable";

        /// <summary>Receive-G5Mail / Get-G5DeliveryReport: -Folder names a folder the mailbox does not have; nothing was read.</summary>
        public const string FolderNotFound = "FolderNotFound";
    }

    /// <summary>What a failed delivery attempt means for trying again.</summary>
    public enum FailureClass
    {
        /// <summary>Trying again will fail the same way (5xx, HTTP 4xx, authentication, certificate, size, settings).</summary>
        Permanent,

        /// <summary>The message was certainly not accepted and the cause may pass (4xx, throttling, a connection lost before the data went out).</summary>
        Transient,

        /// <summary>The message may have been accepted (the connection was lost after the data went out): never sent again automatically.</summary>
        Uncertain,
    }

    /// <summary>
    /// What a failure belongs to, and so how much of a run it ends (see <see cref="FailureClassification.ScopeOf"/>).
    /// </summary>
    public enum FailureScope
    {
        /// <summary>This message only: the next one may well go through (a refused recipient, a file too large).</summary>
        Message,

        /// <summary>
        /// The account: the server or Entra ID rejected the credentials. Every further attempt with them fails the same way
        /// and counts towards the account's lockout, so the run stops trying.
        /// </summary>
        Account,

        /// <summary>
        /// The server: it cannot be reached, does not answer, or fails TLS. Once a message has used up its retries on it,
        /// the rest of the run would only wait out the same timeouts, so the run stops trying.
        /// </summary>
        Server,
    }

    /// <summary>
    /// Engine-side mirror of PowerShell's ErrorCategory, so the engine needs no PowerShell types.
    /// The cmdlet layer maps each value to the ErrorCategory of the same name.
    /// </summary>
    public enum ErrorKind
    {
        NotSpecified,
        InvalidArgument,
        InvalidData,
        InvalidOperation,
        ObjectNotFound,
        ConnectionError,
        SecurityError,
        AuthenticationError,
        PermissionDenied,
        LimitsExceeded,
        NotImplemented,
        ResourceUnavailable,
        WriteError,
        ReadError,
        OperationTimeout,
    }
}
