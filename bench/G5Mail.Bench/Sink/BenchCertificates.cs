using System;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace G5Mail.Bench.Sink;

/// <summary>
/// A throw-away CA and a server certificate for 127.0.0.1/localhost, made for one benchmark run. G5Mail and the
/// MailKit floor pin the server certificate by thumbprint; Send-MailMessage cannot pin, so the CA goes into
/// CurrentUser\Root for the run (<see cref="TrustCa"/>) and out again afterwards (<see cref="Dispose"/>).
/// </summary>
public sealed class BenchCertificates : IDisposable
{
    private bool _trusted;

    private BenchCertificates(X509Certificate2 ca, X509Certificate2 server)
    {
        Ca = ca;
        Server = server;
    }

    public X509Certificate2 Ca { get; }

    /// <summary>With private key, usable by SslStream on every platform (re-imported from PKCS#12).</summary>
    public X509Certificate2 Server { get; }

    public string ServerThumbprint => Server.Thumbprint;

    public static BenchCertificates Create()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using RSA caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest($"CN=G5Mail Bench CA {now:yyyyMMddHHmmss}", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using X509Certificate2 caWithKey = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));

        // RSA 2048, as most mail servers use: the TLS handshake cost Send-MailMessage pays per message is realistic.
        using RSA serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(caWithKey, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using X509Certificate2 signed = request.Create(caWithKey, now.AddHours(-1), now.AddDays(1), serial);
        using X509Certificate2 withKey = signed.CopyWithPrivateKey(serverKey);
        X509Certificate2 server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        X509Certificate2 ca = X509CertificateLoader.LoadCertificate(caWithKey.Export(X509ContentType.Cert));
        return new BenchCertificates(ca, server);
    }

    /// <summary>Adds the CA (public part only) to CurrentUser\Root, so System.Net.Mail accepts the sink's certificate.</summary>
    public void TrustCa()
    {
        using var store = new X509Store(StoreName.Root, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        store.Add(Ca);
        _trusted = true;
    }

    /// <summary>Removes the CA from CurrentUser\Root again (also done by Dispose).</summary>
    public void UntrustCa()
    {
        if (!_trusted)
        {
            return;
        }

        using var store = new X509Store(StoreName.Root, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        foreach (X509Certificate2 found in store.Certificates.Find(X509FindType.FindByThumbprint, Ca.Thumbprint, false))
        {
            store.Remove(found);
            found.Dispose();
        }

        _trusted = false;
    }

    public void Dispose()
    {
        UntrustCa();
        Server.Dispose();
        Ca.Dispose();
    }
}
