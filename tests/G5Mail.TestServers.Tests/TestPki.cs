using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Identity.Client;

namespace G5Mail.TestServers.Tests;

/// <summary>
/// A throw-away certificate authority and a server certificate for 127.0.0.1/localhost, made with .NET APIs.
/// The tests trust the CA through a custom trust root on their own HttpClient, so nothing is added to any store.
/// </summary>
public sealed class TestPki : IDisposable
{
    public TestPki()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using RSA caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=G5Mail Test CA (xunit)", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        Ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using RSA serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using X509Certificate2 issued = request.Create(Ca, now.AddHours(-1), now.AddDays(7), serial);
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(serverKey);
        Directory = Path.Combine(Path.GetTempPath(), "g5mail-testpki-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        ServerPfxPath = Path.Combine(Directory, "server.pfx");
        File.WriteAllBytes(ServerPfxPath, withKey.Export(X509ContentType.Pfx));
    }

    public X509Certificate2 Ca { get; }
    public string Directory { get; }
    public string ServerPfxPath { get; }

    /// <summary>Validates the server chain against the test CA only (CustomRootTrust), including the host name check.</summary>
    public bool Validate(HttpRequestMessage _, X509Certificate2? cert, X509Chain? __, SslPolicyErrors errors)
    {
        if (cert is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }

    public HttpClient CreateHttpClient() =>
        new(new HttpClientHandler { ServerCertificateCustomValidationCallback = Validate }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Hands MSAL an HttpClient that trusts the test CA.</summary>
    public IMsalHttpClientFactory MsalFactory() => new Factory(CreateHttpClient());

    private sealed class Factory : IMsalHttpClientFactory
    {
        private readonly HttpClient _client;

        public Factory(HttpClient client) => _client = client;

        public HttpClient GetHttpClient() => _client;
    }

    public void Dispose()
    {
        Ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, true);
        }
        catch (IOException)
        {
        }
    }
}
