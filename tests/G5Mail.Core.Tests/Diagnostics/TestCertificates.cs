using System;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace G5Mail.Core.Tests.Diagnostics
{
    /// <summary>Server certificates made on the spot (CertificateRequest works on every OS, unlike New-SelfSignedCertificate).</summary>
    internal static class TestCertificates
    {
        /// <summary>A self-signed TLS server certificate for 127.0.0.1 and "localhost" unless other names are given.</summary>
        public static X509Certificate2 SelfSigned(string commonName = "G5Mail test server", DateTimeOffset? notBefore = null,
            DateTimeOffset? notAfter = null, string[]? dnsNames = null, IPAddress[]? addresses = null)
        {
            using RSA key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            foreach (string dns in dnsNames ?? new[] { "localhost" })
            {
                names.AddDnsName(dns);
            }

            foreach (IPAddress address in addresses ?? new[] { IPAddress.Loopback })
            {
                names.AddIpAddress(address);
            }

            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, false));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
            DateTimeOffset from = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
            DateTimeOffset to = notAfter ?? DateTimeOffset.UtcNow.AddYears(1);
            using X509Certificate2 created = request.CreateSelfSigned(from, to);
            // A PFX round trip gives a key SslStream can use as a server on every platform.
            return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx, "test"), "test");
        }
    }
}
