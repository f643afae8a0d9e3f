namespace G5Mail
{
    public enum FindingSeverity
    {
        Information,
        Warning,
        Error,
    }

    /// <summary>One observation about settings or a server, with a message that says what to change.</summary>
    public sealed class Finding
    {
        public Finding(FindingSeverity severity, string code, string? setting, string message)
        {
            Severity = severity;
            Code = code;
            Setting = setting;
            Message = message;
        }

        /// <summary>Error, Warning or Information.</summary>
        public FindingSeverity Severity { get; }

        /// <summary>A stable code scripts can test, e.g. CertificateExpired.</summary>
        public string Code { get; }

        /// <summary>The setting to change, when one is concerned.</summary>
        public string? Setting { get; }

        public string Message { get; }

        public override string ToString() => $"{Severity} {Code}: {Message}";
    }
}
