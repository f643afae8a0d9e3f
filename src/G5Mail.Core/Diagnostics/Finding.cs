namespace G5Mail.Core.Diagnostics
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

        public FindingSeverity Severity { get; }
        public string Code { get; }
        public string? Setting { get; }
        public string Message { get; }

        public override string ToString() => $"{Severity} {Code}: {Message}";
    }
}
