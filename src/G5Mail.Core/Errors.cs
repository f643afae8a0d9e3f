using System;

namespace G5Mail.Core
{
    /// <summary>The stable error ids of the contract (INTERFACE.md, "Findings and errors").</summary>
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
    /// What a failure belongs to, and so how much of a run it ends (see <see cref="Transport.FailureClassification.ScopeOf"/>).
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

    /// <summary>An error a sysadmin can act on: a stable id, a category and a message that says what to change.</summary>
    public class G5MailException : Exception
    {
        public G5MailException(string errorId, ErrorKind kind, string message, object? target = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
            Target = target;
        }

        public string ErrorId { get; }
        public ErrorKind Kind { get; }
        public object? Target { get; }

        /// <summary>Whether a delivery may be tried again; Permanent unless a transport says otherwise.</summary>
        public FailureClass Failure { get; set; } = FailureClass.Permanent;

        /// <summary>How long the server asked the client to wait (Retry-After, BackOffMilliseconds), when it said.</summary>
        public TimeSpan? RetryAfter { get; set; }

        private FailureScope? _scope;

        /// <summary>
        /// Whether the failure is the message's, the account's or the server's: derived from the error id and kind by the
        /// one classification table, unless the code that raised it knows better and sets it.
        /// </summary>
        public FailureScope Scope
        {
            get => _scope ?? Transport.FailureClassification.ScopeOf(ErrorId, Kind);
            set => _scope = value;
        }

        /// <summary>The failure in a few words for the retry log ("451 4.3.0 try later", "connection reset"); never a secret.</summary>
        public string? Cause { get; set; }
    }
}
