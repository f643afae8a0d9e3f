namespace G5Mail.Core.Diagnostics
{
    /// <summary>
    /// Stable codes of the findings Test-G5MailServer reports. Scripts filter on them, so a code never changes
    /// meaning; new situations get new codes.
    /// </summary>
    public static class ServerFindingCodes
    {
        // What is missing before any connection can be tried.
        public const string MethodNotSet = "MethodNotSet";
        public const string MethodNotSupported = "MethodNotSupported";
        public const string ServerNotSet = "ServerNotSet";

        // Name resolution and TCP.
        public const string HostNotFound = "HostNotFound";
        public const string HostResolved = "HostResolved";
        public const string ConnectionRefused = "ConnectionRefused";
        public const string ConnectionTimeout = "ConnectionTimeout";
        public const string ConnectionFailed = "ConnectionFailed";
        public const string ConnectionClosed = "ConnectionClosed";
        public const string Connected = "Connected";

        // The SMTP session.
        public const string NotSmtp = "NotSmtp";
        /// <summary>Test-G5MailServer -Imap: the port answers, but not in IMAP.</summary>
        public const string NotImap = "NotImap";
        public const string GreetingRejected = "GreetingRejected";
        public const string ServerReady = "ServerReady";

        // TLS.
        public const string TlsExpectedButPlain = "TlsExpectedButPlain";
        public const string PlainExpectedButTls = "PlainExpectedButTls";
        public const string StartTlsNotOffered = "StartTlsNotOffered";
        public const string TlsNotOffered = "TlsNotOffered";
        public const string TlsHandshakeFailed = "TlsHandshakeFailed";
        public const string TlsProtocolOutdated = "TlsProtocolOutdated";
        public const string TlsEstablished = "TlsEstablished";

        // The server certificate.
        public const string CertificateExpired = "CertificateExpired";
        public const string CertificateUntrusted = "CertificateUntrusted";
        public const string CertificateNameMismatch = "CertificateNameMismatch";
        public const string CertificatePinMismatch = "CertificatePinMismatch";
        public const string CertificateExpiringSoon = "CertificateExpiringSoon";
        public const string CertificatePinned = "CertificatePinned";
        public const string CertificateCheckSkipped = "CertificateCheckSkipped";

        // Authentication.
        public const string AuthNotOffered = "AuthNotOffered";
        public const string AuthOnlyWithoutTls = "AuthOnlyWithoutTls";
        public const string AuthMechanismUnsupported = "AuthMechanismUnsupported";
        public const string CleartextAuthenticationRefused = "CleartextAuthenticationRefused";
        public const string AuthenticationRejected = "AuthenticationRejected";
        public const string AuthenticationSucceeded = "AuthenticationSucceeded";
        public const string AuthenticationSkipped = "AuthenticationSkipped";
        public const string NoCredential = "NoCredential";

        // Exchange Online (OAuth 2.0, Microsoft Graph).
        public const string SettingMissing = "SettingMissing";
        public const string TokenAcquired = "TokenAcquired";
        public const string TokenAcquisitionFailed = "TokenAcquisitionFailed";
        public const string PermissionsPresent = "PermissionsPresent";
        public const string PermissionMissing = "PermissionMissing";

        /// <summary>Warning: the token lacks Calendars.ReadWrite; mail works, Sync-G5Activity's events will fail with PermissionDenied.</summary>
        public const string CalendarPermissionMissing = "CalendarPermissionMissing";

        /// <summary>Warning: the token lacks Mail.Read (or Mail.ReadWrite); mail goes out, Receive-G5Mail and Get-G5DeliveryReport will fail with PermissionDenied.</summary>
        public const string MailReadPermissionMissing = "MailReadPermissionMissing";
        public const string GraphReachable = "GraphReachable";
        public const string TokenRejected = "TokenRejected";
        public const string MailboxFound = "MailboxFound";
        public const string MailboxNotVerified = "MailboxNotVerified";
        public const string MailboxNotFound = "MailboxNotFound";
        public const string SecretValid = "SecretValid";
        public const string SecretExpiringSoon = "SecretExpiringSoon";
        public const string SecretExpired = "SecretExpired";
        public const string SecretExpiryUnknown = "SecretExpiryUnknown";

        // Message size.
        public const string ServerSizeTooSmall = "ServerSizeTooSmall";
        public const string ServerSizeSufficient = "ServerSizeSufficient";
        public const string ServerSizeNotAnnounced = "ServerSizeNotAnnounced";

        // Exchange Web Services (method Exchange).
        public const string EwsPlainHttp = "EwsPlainHttp";
        public const string EwsFound = "EwsFound";
        public const string EwsNotFound = "EwsNotFound";
        public const string EwsAccessDenied = "EwsAccessDenied";
        public const string EwsServerBusy = "EwsServerBusy";
        public const string ServerVersion = "ServerVersion";
        public const string ServerVersionUnsupported = "ServerVersionUnsupported";
    }
}
