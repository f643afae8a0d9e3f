using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Settings;

namespace G5Mail.Core.Diagnostics
{
    /// <summary>
    /// Checks the server of one mail method against the effective settings without sending mail.
    /// One implementation per method (Smtp now; ExchangeOnline, Exchange and Outlook plug in the same way):
    /// register it in <see cref="ServerTest"/>.
    /// </summary>
    public interface IServerProbe
    {
        MailMethod Method { get; }

        /// <summary>
        /// Runs the checks in order and stops at the first one that fails. Never throws for what the server or
        /// the network does (that becomes a finding); only cancellation through <paramref name="cancellationToken"/>
        /// ends it with an OperationCanceledException.
        /// </summary>
        Task<ServerProbeResult> ProbeAsync(ServerProbeRequest request, CancellationToken cancellationToken);
    }

    public sealed class ServerProbeRequest
    {
        public ServerProbeRequest(MailSettings settings, TimeSpan timeout, bool skipAuthentication)
        {
            if (timeout <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
            }

            Settings = settings ?? throw new ArgumentNullException(nameof(settings));
            Timeout = timeout;
            SkipAuthentication = skipAuthentication;
        }

        /// <summary>The effective settings, with the caller's one-call overrides already applied.</summary>
        public MailSettings Settings { get; }

        /// <summary>The bound of each network step (name resolution, connect, session set-up, authentication).</summary>
        public TimeSpan Timeout { get; }

        public bool SkipAuthentication { get; }
    }

    /// <summary>Everything a probe learned; the cmdlet maps it to G5Mail.ServerTestResult.</summary>
    public sealed class ServerProbeResult
    {
        public ServerProbeResult(MailMethod? method)
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
        public Security.ObservedCertificate? Certificate { get; set; }

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

        public void Add(FindingSeverity severity, string code, string? setting, string message)
        {
            Findings.Add(new Finding(severity, code, setting, message));
        }

        public void Error(string code, string? setting, string message) => Add(FindingSeverity.Error, code, setting, message);

        public void Warning(string code, string? setting, string message) => Add(FindingSeverity.Warning, code, setting, message);

        public void Information(string code, string? setting, string message) => Add(FindingSeverity.Information, code, setting, message);
    }
}
