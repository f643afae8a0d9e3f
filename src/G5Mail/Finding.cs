using G5Mail.Core.Diagnostics;

namespace G5Mail
{
    /// <summary>One observation about the settings or a server, with a message that says what to change.</summary>
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

        internal static Finding From(G5Mail.Core.Diagnostics.Finding finding) =>
            new Finding(finding.Severity.To<FindingSeverity>(), finding.Code, finding.Setting, finding.Message);

        public override string ToString() => $"{Severity} {Code}: {Message}";
    }
}
