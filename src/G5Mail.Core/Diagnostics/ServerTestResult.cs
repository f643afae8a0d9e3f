using System;
using System.Collections.Generic;
using G5Mail.Core.Security;

namespace G5Mail
{
    /// <summary>What Test-G5MailServer found out about the mail server of the effective settings: everything the probes learned.</summary>
    public sealed class ServerTestResult
    {
        public ServerTestResult(MailMethod? method)
        {
            Method = method;
        }

        public MailMethod? Method { get; }
        public string? Server { get; set; }
        public int? Port { get; set; }

        /// <summary>Where and how the probe connected, e.g. "smtp.example.com:587, STARTTLS required".</summary>
        public string? Endpoint { get; set; }

        /// <summary>True once a TCP connection was established.</summary>
        public bool Reachable { get; set; }

        /// <summary>Time to establish the TCP connection.</summary>
        public double? LatencyMs { get; set; }

        /// <summary>The negotiated protocol, e.g. "TLS 1.3"; null when the connection is not encrypted.</summary>
        public string? TlsProtocol { get; set; }

        /// <summary>The certificate the server presented (also when it was rejected).</summary>
        internal ObservedCertificate? Certificate { get; set; }

        public string? CertificateSubject => Certificate?.Subject;
        public string? CertificateIssuer => Certificate?.Issuer;

        /// <summary>Local time, as certificates are shown everywhere else in PowerShell (Get-ChildItem Cert:).</summary>
        public DateTime? CertificateNotAfter => Certificate?.NotAfter.ToLocalTime();

        /// <summary>The SHA-1 thumbprint, as the CertificateThumbprint setting takes it to pin this certificate.</summary>
        public string? CertificateThumbprint => Certificate?.Thumbprint;

        /// <summary>True when the system accepts the certificate's chain and name; null when none was seen.</summary>
        public bool? CertificateValid { get; set; }

        /// <summary>True when signed in, false when the server rejected the credential, null when not tried.</summary>
        public bool? Authenticated { get; set; }

        public IReadOnlyList<string> AuthenticationMechanisms { get; set; } = Array.Empty<string>();

        /// <summary>The server's announced message size limit in bytes; null when it announces none.</summary>
        public long? MaxMessageSize { get; set; }

        public IReadOnlyList<string> Capabilities { get; set; } = Array.Empty<string>();

        public List<Finding> Findings { get; } = new List<Finding>();

        /// <summary>True when no finding is an error: the settings can be expected to work with this server.</summary>
        public bool Success => !Findings.Exists(f => f.Severity == FindingSeverity.Error);

        internal void Add(FindingSeverity severity, string code, string? setting, string message)
        {
            Findings.Add(new Finding(severity, code, setting, message));
        }

        internal void Error(string code, string? setting, string message) => Add(FindingSeverity.Error, code, setting, message);

        internal void Warning(string code, string? setting, string message) => Add(FindingSeverity.Warning, code, setting, message);

        internal void Information(string code, string? setting, string message) => Add(FindingSeverity.Information, code, setting, message);
    }
}
