using System;
using System.Linq;
using G5Mail.Core.Diagnostics;

namespace G5Mail
{
    /// <summary>What Test-G5MailServer found out about the mail server of the effective settings.</summary>
    public sealed class ServerTestResult
    {
        /// <summary>The mail method tested (Smtp, ExchangeOnline, Exchange, Outlook); null when none is set.</summary>
        public MailMethod? Method { get; set; }

        public string? Server { get; set; }
        public int? Port { get; set; }

        /// <summary>Where and how the test connected, e.g. "smtp.example.com:587, STARTTLS required".</summary>
        public string? Endpoint { get; set; }

        /// <summary>True when no finding is an error.</summary>
        public bool Success { get; set; }

        /// <summary>True once a network connection to the server was established.</summary>
        public bool Reachable { get; set; }

        /// <summary>Time to establish the connection, in milliseconds.</summary>
        public double? LatencyMs { get; set; }

        /// <summary>"TLS 1.3", "TLS 1.2", …; null when the connection is not encrypted.</summary>
        public string? TlsProtocol { get; set; }

        public string? CertificateSubject { get; set; }
        public string? CertificateIssuer { get; set; }
        public DateTime? CertificateNotAfter { get; set; }

        /// <summary>The SHA-1 thumbprint, as the CertificateThumbprint setting takes it to pin this certificate.</summary>
        public string? CertificateThumbprint { get; set; }

        /// <summary>True when this computer trusts the certificate for this server name; null when none was seen.</summary>
        public bool? CertificateValid { get; set; }

        /// <summary>True when signed in, false when the server rejected the credential, null when not tried.</summary>
        public bool? Authenticated { get; set; }

        public string[] AuthenticationMechanisms { get; set; } = Array.Empty<string>();

        /// <summary>The server's message size limit in bytes; null when it announces none.</summary>
        public long? MaxMessageSize { get; set; }

        public string[] Capabilities { get; set; } = Array.Empty<string>();

        public Finding[] Findings { get; set; } = Array.Empty<Finding>();

        internal static ServerTestResult From(ServerProbeResult probe)
        {
            return new ServerTestResult
            {
                Method = probe.Method?.To<MailMethod>(),
                Server = probe.Server,
                Port = probe.Port,
                Endpoint = probe.Endpoint,
                Success = probe.Success,
                Reachable = probe.Reachable,
                LatencyMs = probe.LatencyMs,
                TlsProtocol = probe.TlsProtocol,
                CertificateSubject = probe.Certificate?.Subject,
                CertificateIssuer = probe.Certificate?.Issuer,
                // Shown in local time, as certificates are everywhere else in PowerShell (Get-ChildItem Cert:).
                CertificateNotAfter = probe.Certificate?.NotAfter.ToLocalTime(),
                CertificateThumbprint = probe.Certificate?.Thumbprint,
                CertificateValid = probe.CertificateValid,
                Authenticated = probe.Authenticated,
                AuthenticationMechanisms = probe.AuthenticationMechanisms.ToArray(),
                MaxMessageSize = probe.MaxMessageSize,
                Capabilities = probe.Capabilities.ToArray(),
                Findings = probe.Findings.Select(Finding.From).ToArray(),
            };
        }
    }
}
