using System;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace G5Mail.Core.Security
{
    /// <summary>What was seen of a server certificate during a TLS handshake.</summary>
    public sealed class ObservedCertificate
    {
        public ObservedCertificate(X509Certificate2 certificate, SslPolicyErrors errors, X509ChainStatusFlags chainStatus)
        {
            Subject = certificate.Subject;
            Issuer = certificate.Issuer;
            NotBefore = certificate.NotBefore.ToUniversalTime();
            NotAfter = certificate.NotAfter.ToUniversalTime();
            Thumbprint = certificate.Thumbprint.ToUpperInvariant();
            using (var sha256 = SHA256.Create())
            {
                Sha256Thumbprint = BitConverter.ToString(sha256.ComputeHash(certificate.RawData)).Replace("-", string.Empty);
            }

            PolicyErrors = errors;
            ChainStatus = chainStatus;
        }

        public string Subject { get; }
        public string Issuer { get; }
        public DateTime NotBefore { get; }
        public DateTime NotAfter { get; }

        /// <summary>SHA-1 thumbprint (as Windows shows it); CertificateThumbprint accepts it or the SHA-256 one.</summary>
        public string Thumbprint { get; }
        public string Sha256Thumbprint { get; }
        public SslPolicyErrors PolicyErrors { get; }
        public X509ChainStatusFlags ChainStatus { get; }

        public bool IsExpired => DateTime.UtcNow > NotAfter || (ChainStatus & X509ChainStatusFlags.NotTimeValid) != 0;
        public bool IsNameMismatch => (PolicyErrors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0;
        public bool IsUntrusted => (PolicyErrors & SslPolicyErrors.RemoteCertificateChainErrors) != 0 && !IsOnlyExpired;

        private bool IsOnlyExpired =>
            (ChainStatus & ~(X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NoError)) == 0 &&
            (ChainStatus & X509ChainStatusFlags.NotTimeValid) != 0;

        /// <summary>A sentence that says what is wrong with the certificate and how to fix or pin it.</summary>
        public string Describe(string server)
        {
            string problem;
            if (IsExpired)
            {
                problem = $"has expired (valid until {NotAfter:yyyy-MM-dd HH:mm} UTC)";
            }
            else if (IsNameMismatch && !IsUntrusted)
            {
                problem = $"was issued for another name ({Subject}), not '{server}'";
            }
            else if (IsUntrusted)
            {
                problem = $"is not trusted by this computer (issuer: {Issuer}; chain: {ChainStatus})";
            }
            else
            {
                problem = $"was rejected ({PolicyErrors})";
            }

            return $"The certificate of '{server}' {problem}. Thumbprint {Thumbprint}. " +
                   "Install the issuing CA as trusted, or if you have checked this certificate, pin it with " +
                   $"Set-G5MailSetting -CertificateThumbprint {Thumbprint}.";
        }
    }

    /// <summary>
    /// Server certificate validation: the system's chain and name check, or exactly one pinned certificate
    /// (CertificateThumbprint), or nothing at all when the user explicitly set SkipCertificateCheck.
    /// Records the certificate it saw so errors and Test-G5MailServer can describe it.
    /// </summary>
    public sealed class CertificatePolicy
    {
        private readonly string? _pinnedThumbprint;

        public CertificatePolicy(string? pinnedThumbprint, bool skipCheck)
        {
            _pinnedThumbprint = NormalizeThumbprint(pinnedThumbprint);
            SkipCheck = skipCheck;
        }

        public bool SkipCheck { get; }
        public string? PinnedThumbprint => _pinnedThumbprint;

        /// <summary>The last certificate a handshake presented (null before any handshake).</summary>
        public ObservedCertificate? LastSeen { get; private set; }

        /// <summary>True when the last handshake was accepted only because SkipCertificateCheck or a pin allowed it.</summary>
        public bool LastAcceptedByOverride { get; private set; }

        public static string? NormalizeThumbprint(string? thumbprint)
        {
            if (string.IsNullOrWhiteSpace(thumbprint))
            {
                return null;
            }

            var chars = new System.Text.StringBuilder(thumbprint!.Length);
            foreach (char c in thumbprint)
            {
                if (Uri.IsHexDigit(c))
                {
                    chars.Append(char.ToUpperInvariant(c));
                }
            }

            return chars.ToString();
        }

        /// <summary>False when a pin is set and the certificate is not the pinned one.</summary>
        public bool MatchesPin(ObservedCertificate certificate)
        {
            return _pinnedThumbprint == null ||
                   string.Equals(_pinnedThumbprint, certificate.Thumbprint, StringComparison.Ordinal) ||
                   string.Equals(_pinnedThumbprint, certificate.Sha256Thumbprint, StringComparison.Ordinal);
        }

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            LastAcceptedByOverride = false;
            if (certificate == null)
            {
                return SkipCheck;
            }

            var cert2 = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
            X509ChainStatusFlags status = X509ChainStatusFlags.NoError;
            if (chain != null)
            {
                foreach (X509ChainStatus s in chain.ChainStatus)
                {
                    status |= s.Status;
                }
            }

            LastSeen = new ObservedCertificate(cert2, errors, status);
            if (errors == SslPolicyErrors.None && _pinnedThumbprint == null)
            {
                return true;
            }

            if (_pinnedThumbprint != null)
            {
                bool match = MatchesPin(LastSeen);
                // A pin trusts exactly this certificate: a different one is rejected even if the chain is valid.
                LastAcceptedByOverride = match && errors != SslPolicyErrors.None;
                return match;
            }

            if (SkipCheck)
            {
                LastAcceptedByOverride = true;
                return true;
            }

            return false;
        }
    }
}
