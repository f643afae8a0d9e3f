using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using G5Mail.Core.Security;

namespace G5Mail.Core.Diagnostics
{
    /// <summary>The certificate findings of Test-G5MailServer, shared by the probes of every method that uses TLS.</summary>
    public static class CertificateFindings
    {
        /// <summary>A certificate that expires sooner than this gets a warning.</summary>
        public static readonly TimeSpan WarningWindow = TimeSpan.FromDays(30);

        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        /// <summary>"TLS 1.3" etc.; netstandard2.0 has no SslProtocols.Tls13 member, hence the numbers.</summary>
        public static string FormatProtocol(SslProtocols protocol)
        {
            switch ((int)protocol)
            {
                case 12288: return "TLS 1.3";
                case 3072: return "TLS 1.2";
                case 768: return "TLS 1.1";
                case 192: return "TLS 1.0";
                case 48: return "SSL 3.0";
                case 12: return "SSL 2.0";
                default: return protocol.ToString();
            }
        }

        public static bool IsOutdated(SslProtocols protocol)
        {
            int value = (int)protocol;
            return value == 768 || value == 192 || value == 48 || value == 12;
        }

        /// <summary>
        /// Reports the certificate of one TLS handshake: what was wrong with it when it was rejected (expired, wrong name,
        /// untrusted, not the pinned one), or how it was accepted (TLS version, pin, SkipCertificateCheck), and whether it
        /// expires soon. Every probe that does TLS reports its certificate through here, so the findings read alike.
        /// </summary>
        /// <param name="how">How TLS was set up, e.g. "via STARTTLS", "on connect", "for https".</param>
        /// <param name="names">The names the certificate holds (<see cref="NamesOf"/>); null: its subject.</param>
        public static void Report(ServerTestResult result, CertificatePolicy policy, string host, bool accepted, SslProtocols? protocol,
            string how, string? names)
        {
            ObservedCertificate? certificate = policy.LastSeen;
            if (protocol != null)
            {
                result.TlsProtocol = FormatProtocol(protocol.Value);
            }

            if (certificate == null)
            {
                return;
            }

            result.Certificate = certificate;
            result.CertificateValid = certificate.PolicyErrors == SslPolicyErrors.None;
            string thumbprint = certificate.Thumbprint;
            string pin = $"Set-G5MailSetting -Scope System -CertificateThumbprint {thumbprint}";
            names = names ?? certificate.Subject;

            if (!accepted)
            {
                if (policy.PinnedThumbprint != null)
                {
                    result.Error(ServerFindingCodes.CertificatePinMismatch, "CertificateThumbprint",
                        $"{host} presented the certificate {thumbprint} ({certificate.Subject}, valid until {Date(certificate.NotAfter)}), " +
                        $"but CertificateThumbprint pins {policy.PinnedThumbprint}. If the server's certificate was renewed, check the " +
                        $"new one and pin it: {pin}.");
                }
                else
                {
                    bool reported = false;
                    if (certificate.IsExpired)
                    {
                        reported = true;
                        result.Error(ServerFindingCodes.CertificateExpired, "CertificateThumbprint",
                            $"The certificate of {host} ({certificate.Subject}) expired on {Date(certificate.NotAfter)}. Renew it on the " +
                            $"server. Its thumbprint is {thumbprint}; pinning it ({pin}) works until then, but is only safe after " +
                            "you have checked it.");
                    }

                    if (certificate.IsNameMismatch)
                    {
                        reported = true;
                        result.Error(ServerFindingCodes.CertificateNameMismatch, "Server",
                            $"The certificate of {host} is issued for {names}, not for '{host}'. Set Server to a name the certificate " +
                            $"holds (Set-G5MailSetting -Server <name>), or, if you have checked it, pin it by its thumbprint: {pin}.");
                    }

                    if (certificate.IsUntrusted || !reported)
                    {
                        result.Error(ServerFindingCodes.CertificateUntrusted, "CertificateThumbprint",
                            $"The certificate of {host} ({certificate.Subject}, issued by {certificate.Issuer}) is not trusted by this " +
                            $"computer ({ChainText(certificate)}). Install the issuing CA's certificate as a trusted root on this " +
                            $"computer, or, if you have checked the certificate, pin it by its thumbprint: {pin}.");
                    }
                }
            }
            else
            {
                result.Information(ServerFindingCodes.TlsEstablished, null,
                    $"{result.TlsProtocol} {how}; certificate {certificate.Subject}, issued by {certificate.Issuer}, valid until " +
                    $"{Date(certificate.NotAfter)}, thumbprint {thumbprint}.");
                if (protocol != null && IsOutdated(protocol.Value))
                {
                    result.Warning(ServerFindingCodes.TlsProtocolOutdated, "UseSsl",
                        $"The server negotiated {result.TlsProtocol}, which is outdated and may soon be refused by this computer. " +
                        "Ask the mail administrator to enable TLS 1.2 or 1.3.");
                }

                if (policy.LastAcceptedByOverride && policy.PinnedThumbprint != null)
                {
                    result.Information(ServerFindingCodes.CertificatePinned, "CertificateThumbprint",
                        $"The system would reject this certificate ({Problems(certificate)}), but CertificateThumbprint pins it, so it is accepted.");
                }
                else if (policy.SkipCheck)
                {
                    result.Warning(ServerFindingCodes.CertificateCheckSkipped, "SkipCertificateCheck",
                        $"SkipCertificateCheck accepts any certificate{(policy.LastAcceptedByOverride ? $" (this one: {Problems(certificate)})" : string.Empty)}, " +
                        $"so a machine in between could read the password. Install the issuing CA, or pin this certificate instead: {pin}, " +
                        "then Set-G5MailSetting -Scope System -SkipCertificateCheck:$false.");
                }
            }

            TimeSpan left = certificate.NotAfter - DateTime.UtcNow;
            if (!certificate.IsExpired && left < WarningWindow)
            {
                result.Warning(ServerFindingCodes.CertificateExpiringSoon, "CertificateThumbprint",
                    $"The certificate of {host} expires on {Date(certificate.NotAfter)}, in {Math.Max(0, (int)left.TotalDays)} days. " +
                    "Have it renewed on the server" + (policy.PinnedThumbprint != null ? ", then pin the new thumbprint." : "."));
            }
        }

        private static string Problems(ObservedCertificate certificate)
        {
            var problems = new List<string>();
            if (certificate.IsExpired)
            {
                problems.Add("expired");
            }

            if (certificate.IsNameMismatch)
            {
                problems.Add("issued for another name");
            }

            if (certificate.IsUntrusted)
            {
                problems.Add("not trusted");
            }

            return problems.Count > 0 ? string.Join(", ", problems) : certificate.PolicyErrors.ToString();
        }

        private static string ChainText(ObservedCertificate certificate)
        {
            X509ChainStatusFlags status = certificate.ChainStatus;
            if (status == X509ChainStatusFlags.NoError)
            {
                return certificate.PolicyErrors.ToString();
            }

            var parts = new List<string>();
            if ((status & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            {
                parts.Add("its issuer is not a trusted root here");
            }

            if ((status & (X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation)) != 0)
            {
                parts.Add("its revocation status could not be checked");
            }

            if ((status & X509ChainStatusFlags.Revoked) != 0)
            {
                parts.Add("it has been revoked");
            }

            parts.Add($"chain status: {status}");
            return string.Join("; ", parts);
        }

        /// <summary>The names a certificate is valid for: the subject alternative names, else the common name.</summary>
        public static string NamesOf(X509Certificate2 certificate)
        {
            foreach (X509Extension extension in certificate.Extensions)
            {
                if (extension.Oid?.Value == "2.5.29.17")
                {
                    return extension.Format(false);
                }
            }

            return certificate.GetNameInfo(X509NameType.SimpleName, false) ?? certificate.Subject;
        }

        private static string Date(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm", Invariant) + " UTC";
    }
}
