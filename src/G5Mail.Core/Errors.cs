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
    }
}
