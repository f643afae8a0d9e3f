using G5Mail.Core.Errors;




namespace G5Mail.Core.Settings
{
    /// <summary>
    /// Something wrong in a settings file that does not stop the other values from loading: a secret that cannot be
    /// decrypted (SecretUnreadable), a hand-edited value that is not valid (InvalidSetting), an unknown name.
    /// Get-G5MailSetting writes Error problems as non-terminating errors with <see cref="ErrorId"/>, Warning ones as warnings.
    /// </summary>
    public sealed class SettingsProblem
    {
        public SettingsProblem(FindingSeverity severity, string errorId, ErrorKind kind, string? setting, string path, string message)
        {
            Severity = severity;
            ErrorId = errorId;
            Kind = kind;
            Setting = setting;
            Path = path;
            Message = message;
        }

        public FindingSeverity Severity { get; }
        public string ErrorId { get; }
        public ErrorKind Kind { get; }
        public string? Setting { get; }
        public string Path { get; }
        public string Message { get; }

        public G5MailErrorException ToException() => new G5MailErrorException(ErrorId, Kind, Message, (object?)Setting ?? Path);

        public override string ToString() => $"{Severity} {ErrorId}: {Message}";
    }
}
