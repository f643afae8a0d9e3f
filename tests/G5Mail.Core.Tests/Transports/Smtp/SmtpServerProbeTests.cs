using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Settings;
using G5Mail.Core.Tests.Diagnostics;
using G5Mail.TestSmtp;
using G5Mail.Core.Transports.Smtp;
using MailKit.Security;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Smtp
{
    public class SmtpServerProbeTests
    {
        private const string Password = "S3cret-Pw!";

        /// <summary>The account the scripted servers accept.</summary>
        private static NetworkCredential Account => new NetworkCredential("g5user", Password);

        private static SettingValues Settings(int port, bool useSsl = false, NetworkCredential? credential = null, string? pin = null,
            double? maxMB = null)
        {
            return new SettingValues
            {
                Method = MailMethod.Smtp,
                Server = "127.0.0.1",
                Port = port,
                UseSsl = useSsl,
                Credential = credential,
                CertificateThumbprint = pin,
                MaxAttachmentSizeMB = maxMB,
            };
        }

        private static Task<ServerTestResult> Probe(SettingValues settings, int timeoutSeconds = 5, bool skipAuthentication = false,
            SmtpServerProbe? probe = null)
        {
            return (probe ?? new SmtpServerProbe()).ProbeAsync(
                new ServerProbeRequest(settings, TimeSpan.FromSeconds(timeoutSeconds), skipAuthentication), CancellationToken.None);
        }

        /// <summary>TLS on connect on a port of the test's choosing (the endpoint rules reserve it for 465).</summary>
        private static Task<ServerTestResult> ProbeTlsOnConnect(SettingValues settings, int port, int timeoutSeconds = 5)
        {
            var endpoint = new SmtpEndpoint("127.0.0.1", port, SecureSocketOptions.SslOnConnect);
            return new SmtpServerProbe().ProbeAsync(new ServerProbeRequest(settings, TimeSpan.FromSeconds(timeoutSeconds), false), endpoint,
                CancellationToken.None);
        }

        private static string[] Codes(ServerTestResult result) => result.Findings.Select(f => f.Code).ToArray();

        private static Finding Single(ServerTestResult result, string code) => Assert.Single(result.Findings, f => f.Code == code);

        private static void AssertNoPassword(ServerTestResult result)
        {
            foreach (Finding finding in result.Findings)
            {
                Assert.DoesNotContain(Password, finding.Message, StringComparison.Ordinal);
            }
        }

        [Fact]
        public async Task ClosedPort_IsConnectionRefused()
        {
            int port = FreePort();
            ServerTestResult result = await Probe(Settings(port));

            Assert.False(result.Success);
            Assert.False(result.Reachable);
            Finding finding = Single(result, ServerFindingCodes.ConnectionRefused);
            Assert.Equal(FindingSeverity.Error, finding.Severity);
            Assert.Contains($"127.0.0.1:{port}", finding.Message);
            Assert.DoesNotContain(ServerFindingCodes.Connected, Codes(result));
        }

        [Fact]
        public async Task ListenerThatNeverSpeaks_IsConnectionTimeoutWithinTheBound()
        {
            using var server = TestSmtpServer.Start(s => s.OnConnect = ConnectBehaviour.Silent);
            var watch = Stopwatch.StartNew();
            ServerTestResult result = await Probe(Settings(server.Port), timeoutSeconds: 2);
            watch.Stop();

            Assert.True(result.Reachable);
            Finding finding = Single(result, ServerFindingCodes.ConnectionTimeout);
            Assert.Contains("no SMTP greeting within 2 s", finding.Message);
            Assert.DoesNotContain(ServerFindingCodes.PlainExpectedButTls, Codes(result));
            // The bound, plus slack for a loaded machine; far below what an unbounded wait would take.
            Assert.InRange(watch.Elapsed.TotalSeconds, 1.8, 5);
        }

        [Fact]
        public async Task UnknownHost_IsHostNotFound()
        {
            var settings = Settings(25);
            settings.Server = "no-such-host.g5mail.invalid";
            ServerTestResult result = await Probe(settings, timeoutSeconds: 5);

            Finding finding = Single(result, ServerFindingCodes.HostNotFound);
            Assert.Equal("Server", finding.Setting);
            Assert.Contains("no-such-host.g5mail.invalid", finding.Message);
            Assert.False(result.Reachable);
        }

        [Fact]
        public async Task PlainServer_WhenTlsOnConnectIsExpected_IsTlsExpectedButPlain()
        {
            using var server = TestSmtpServer.Start();
            ServerTestResult result = await ProbeTlsOnConnect(Settings(465, useSsl: true), server.Port);

            Finding finding = Single(result, ServerFindingCodes.TlsExpectedButPlain);
            Assert.Contains("220 g5mail.test", finding.Message);
            Assert.Contains("587 with STARTTLS", finding.Message);
            Assert.Null(result.TlsProtocol);
            Assert.False(result.Success);
        }

        [Fact]
        public async Task TlsOnConnectServer_WhenPlainIsExpected_IsPlainExpectedButTls()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start(s =>
            {
                s.TlsCertificate = certificate;
            });
            var watch = Stopwatch.StartNew();
            ServerTestResult result = await Probe(Settings(server.Port), timeoutSeconds: 6);

            Finding finding = Single(result, ServerFindingCodes.PlainExpectedButTls);
            Assert.Contains("465", finding.Message);
            Assert.DoesNotContain(ServerFindingCodes.ConnectionTimeout, Codes(result));
            // Told apart well before the 6 s bound would have ended the wait.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"took {watch.Elapsed}");
        }

        [Fact]
        public async Task TlsOnConnectServer_WithUseSsl_GoesOnOverTls_AndWarnsAboutThePort()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start(s =>
            {
                s.TlsCertificate = certificate;
            });
            SettingValues settings = Settings(server.Port, useSsl: true, pin: certificate.Thumbprint);
            ServerTestResult result = await Probe(settings, timeoutSeconds: 6);

            Finding finding = Single(result, ServerFindingCodes.PlainExpectedButTls);
            Assert.Equal(FindingSeverity.Warning, finding.Severity);
            Assert.Contains("goes on with TLS on connect", finding.Message);
            // The test went on over TLS and reports that connection as it would any other.
            Assert.NotNull(result.TlsProtocol);
            Assert.Equal(certificate.Thumbprint, result.Certificate!.Thumbprint);
            Assert.Contains("TLS on connect", result.Endpoint);
            Assert.True(result.Success, string.Join("; ", result.Findings.Select(f => f.Code + ": " + f.Message)));
        }

        [Fact]
        public async Task UseSsl_AndNoStartTls_IsStartTlsNotOffered_AndNoPasswordIsSent()
        {
            using var server = TestSmtpServer.Start(s => { s.AuthBeforeTls = new[] { "PLAIN", "LOGIN" }; s.Account = Account; });
            ServerTestResult result = await Probe(Settings(server.Port, useSsl: true, credential: new NetworkCredential("g5user", Password)));

            Finding finding = Single(result, ServerFindingCodes.StartTlsNotOffered);
            Assert.Equal("UseSsl", finding.Setting);
            Assert.Contains("AUTH PLAIN LOGIN", finding.Message);
            Assert.DoesNotContain("AUTH", server.Verbs);
            Assert.Null(result.Authenticated);
            Assert.Contains("QUIT", server.Verbs);
        }

        [Fact]
        public async Task AuthOfferedOnlyBeforeStartTls_IsAuthOnlyWithoutTls()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start(s =>
            {
                s.StartTlsCertificate = certificate;
                s.AuthBeforeTls = new[] { "PLAIN", "LOGIN" };
                s.AuthAfterTls = Array.Empty<string>();
                s.Account = Account;
            });
            ServerTestResult result = await Probe(Settings(server.Port, useSsl: true, credential: new NetworkCredential("g5user", Password),
                pin: certificate.Thumbprint));

            Finding finding = Single(result, ServerFindingCodes.AuthOnlyWithoutTls);
            Assert.Equal(FindingSeverity.Error, finding.Severity);
            Assert.DoesNotContain(ServerFindingCodes.AuthNotOffered, Codes(result));
            Assert.Equal("TLS 1.3", result.TlsProtocol);
            Assert.Empty(result.AuthenticationMechanisms);
            Assert.DoesNotContain("AUTH", server.Verbs);
        }

        [Fact]
        public async Task StartTls_WithPinnedCertificate_AndRightPassword_Succeeds()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start(s =>
            {
                s.StartTlsCertificate = certificate;
                s.AuthAfterTls = new[] { "LOGIN", "PLAIN", "XOAUTH2" };
                s.Account = Account;
                s.SizeKeyword = "SIZE 52428800";
            });
            ServerTestResult result = await Probe(Settings(server.Port, useSsl: true, credential: new NetworkCredential("g5user", Password),
                pin: certificate.Thumbprint));

            Assert.True(result.Success, string.Join(Environment.NewLine, result.Findings));
            Assert.True(result.Authenticated);
            Assert.Equal("TLS 1.3", result.TlsProtocol);
            Assert.Equal(certificate.Thumbprint, result.Certificate!.Thumbprint);
            Assert.False(result.CertificateValid);
            Assert.Equal(new[] { "LOGIN", "PLAIN", "XOAUTH2" }, result.AuthenticationMechanisms);
            Assert.Equal(52428800, result.MaxMessageSize);
            Assert.Contains("8BITMIME", result.Capabilities);
            Assert.Contains(ServerFindingCodes.CertificatePinned, Codes(result));
            Assert.Contains(ServerFindingCodes.TlsEstablished, Codes(result));
            Assert.Contains(ServerFindingCodes.AuthenticationSucceeded, Codes(result));
            Assert.Contains(ServerFindingCodes.ServerSizeSufficient, Codes(result));
            // Nothing is sent: the session ends with QUIT, never MAIL FROM.
            Assert.DoesNotContain("MAIL", server.Verbs);
            Assert.Equal("QUIT", server.Verbs.Last());
            AssertNoPassword(result);
        }

        [Fact]
        public async Task WrongPassword_IsAuthenticationRejected_WithoutThePassword()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start(s =>
            {
                s.StartTlsCertificate = certificate;
                s.AuthAfterTls = new[] { "PLAIN" };
                s.Account = new NetworkCredential("g5user", "the-right-one");
            });
            ServerTestResult result = await Probe(Settings(server.Port, useSsl: true, credential: new NetworkCredential("g5user", Password),
                pin: certificate.Thumbprint));

            Finding finding = Single(result, ServerFindingCodes.AuthenticationRejected);
            Assert.Equal("Credential", finding.Setting);
            Assert.Contains("'g5user'", finding.Message);
            Assert.Contains("5.7.8", finding.Message);
            Assert.False(result.Authenticated);
            Assert.False(result.Success);
            AssertNoPassword(result);
        }

        [Fact]
        public async Task PlainConnection_ToARemoteServer_NeverSendsThePassword()
        {
            using var server = TestSmtpServer.Start(s => { s.AuthBeforeTls = new[] { "PLAIN", "LOGIN" }; s.Account = Account; });
            // The server is on loopback; the probe is told to treat it as a remote host.
            var probe = new SmtpServerProbe { MayAuthenticateInClear = _ => false };
            ServerTestResult result = await Probe(Settings(server.Port, credential: new NetworkCredential("g5user", Password)), probe: probe);

            Finding finding = Single(result, ServerFindingCodes.CleartextAuthenticationRefused);
            Assert.Equal(FindingSeverity.Error, finding.Severity);
            Assert.Contains(ServerFindingCodes.TlsNotOffered, Codes(result));
            Assert.DoesNotContain("AUTH", server.Verbs);
            Assert.Null(result.Authenticated);
        }

        [Fact]
        public async Task PlainConnection_ToThisComputer_MayAuthenticate()
        {
            using var server = TestSmtpServer.Start(s => { s.AuthBeforeTls = new[] { "PLAIN", "LOGIN" }; s.Account = Account; });
            ServerTestResult result = await Probe(Settings(server.Port, credential: new NetworkCredential("g5user", Password)));

            Assert.True(result.Authenticated);
            Assert.Contains(ServerFindingCodes.TlsNotOffered, Codes(result));
            Assert.True(result.Success, string.Join(Environment.NewLine, result.Findings));
        }

        [Fact]
        public async Task CredentialButNoAuth_IsAuthNotOffered()
        {
            using var server = TestSmtpServer.Start();
            ServerTestResult result = await Probe(Settings(server.Port, credential: new NetworkCredential("g5user", Password)));

            Finding finding = Single(result, ServerFindingCodes.AuthNotOffered);
            Assert.Contains("-Clear Credential", finding.Message);
            Assert.DoesNotContain("AUTH", server.Verbs);
        }

        [Fact]
        public async Task SkipAuthentication_DoesNotSignIn()
        {
            using var server = TestSmtpServer.Start(s => { s.AuthBeforeTls = new[] { "PLAIN" }; s.Account = Account; });
            ServerTestResult result = await Probe(Settings(server.Port, credential: new NetworkCredential("g5user", Password)),
                skipAuthentication: true);

            Assert.Contains(ServerFindingCodes.AuthenticationSkipped, Codes(result));
            Assert.Null(result.Authenticated);
            Assert.DoesNotContain("AUTH", server.Verbs);
        }

        [Fact]
        public async Task ServerSizeBelowAFullMessage_IsServerSizeTooSmall_WithTheNumbers()
        {
            using var server = TestSmtpServer.Start(s => s.SizeKeyword = "SIZE 10485760");
            ServerTestResult result = await Probe(Settings(server.Port, maxMB: 10));

            Finding finding = Single(result, ServerFindingCodes.ServerSizeTooSmall);
            Assert.Equal("MaxAttachmentSizeMB", finding.Setting);
            Assert.Equal(10485760, result.MaxMessageSize);
            // 10 MB of files: 13,981,016 bytes of base64 + 367,922 of CRLF + 65,536 allowance = 14,414,474.
            Assert.Contains("10,485,760 bytes of files become 13,981,016 bytes of base64", finding.Message);
            Assert.Contains("about 14,414,474 bytes", finding.Message);
            Assert.Contains("-MaxAttachmentSizeMB 7.2", finding.Message);
        }

        [Fact]
        public async Task SizeWithEqualsSign_IsRead()
        {
            using var server = TestSmtpServer.Start(s => s.SizeKeyword = "SIZE=1000000");
            ServerTestResult result = await Probe(Settings(server.Port, maxMB: 10));

            Assert.Equal(1000000, result.MaxMessageSize);
            Assert.Contains(ServerFindingCodes.ServerSizeTooSmall, Codes(result));
        }

        [Fact]
        public async Task NoSizeAnnounced_IsInformationOnly()
        {
            using var server = TestSmtpServer.Start();
            ServerTestResult result = await Probe(Settings(server.Port));

            Assert.Null(result.MaxMessageSize);
            Assert.Equal(FindingSeverity.Information, Single(result, ServerFindingCodes.ServerSizeNotAnnounced).Severity);
            Assert.True(result.Success);
        }

        [Fact]
        public async Task SelfSignedCertificate_IsCertificateUntrusted_AndShowsTheThumbprintToPin()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start(s =>
            {
                s.StartTlsCertificate = certificate;
            });
            ServerTestResult result = await Probe(Settings(server.Port, useSsl: true));

            Finding finding = Single(result, ServerFindingCodes.CertificateUntrusted);
            Assert.Contains($"-CertificateThumbprint {certificate.Thumbprint}", finding.Message);
            Assert.Equal(certificate.Thumbprint, result.Certificate!.Thumbprint);
            Assert.False(result.CertificateValid);
            Assert.Null(result.TlsProtocol);
            Assert.DoesNotContain(ServerFindingCodes.CertificateExpired, Codes(result));
            Assert.DoesNotContain(ServerFindingCodes.CertificateNameMismatch, Codes(result));
        }

        [Fact]
        public async Task ExpiredCertificate_IsCertificateExpired()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned(notBefore: DateTimeOffset.UtcNow.AddDays(-60),
                notAfter: DateTimeOffset.UtcNow.AddDays(-2));
            using var server = TestSmtpServer.Start(s =>
            {
                s.TlsCertificate = certificate;
            });
            ServerTestResult result = await ProbeTlsOnConnect(Settings(465, useSsl: true), server.Port);

            Finding finding = Single(result, ServerFindingCodes.CertificateExpired);
            Assert.Contains("expired on", finding.Message);
            Assert.Contains(certificate.Thumbprint, finding.Message);
            Assert.DoesNotContain(ServerFindingCodes.CertificateExpiringSoon, Codes(result));
        }

        [Fact]
        public async Task CertificateForAnotherName_IsCertificateNameMismatch()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned(dnsNames: new[] { "mail.example.invalid" },
                addresses: Array.Empty<IPAddress>());
            using var server = TestSmtpServer.Start(s =>
            {
                s.TlsCertificate = certificate;
            });
            ServerTestResult result = await ProbeTlsOnConnect(Settings(465, useSsl: true), server.Port);

            Finding finding = Single(result, ServerFindingCodes.CertificateNameMismatch);
            Assert.Contains("mail.example.invalid", finding.Message);
            Assert.Contains("not for '127.0.0.1'", finding.Message);
        }

        [Fact]
        public async Task PinnedCertificate_ExpiringWithin30Days_IsAWarning()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned(notAfter: DateTimeOffset.UtcNow.AddDays(10));
            using var server = TestSmtpServer.Start(s =>
            {
                s.TlsCertificate = certificate;
            });
            ServerTestResult result = await ProbeTlsOnConnect(Settings(465, useSsl: true, pin: certificate.Thumbprint), server.Port);

            Finding finding = Single(result, ServerFindingCodes.CertificateExpiringSoon);
            Assert.Equal(FindingSeverity.Warning, finding.Severity);
            Assert.Matches("in (9|10) days", finding.Message);
            Assert.True(result.Success, string.Join(Environment.NewLine, result.Findings));
            Assert.Contains(ServerFindingCodes.CertificatePinned, Codes(result));
        }

        [Fact]
        public async Task PinForAnotherCertificate_IsCertificatePinMismatch()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using X509Certificate2 other = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start(s =>
            {
                s.TlsCertificate = certificate;
            });
            ServerTestResult result = await ProbeTlsOnConnect(Settings(465, useSsl: true, pin: other.Thumbprint), server.Port);

            Finding finding = Single(result, ServerFindingCodes.CertificatePinMismatch);
            Assert.Contains(certificate.Thumbprint, finding.Message);
            Assert.Contains(other.Thumbprint, finding.Message);
        }

        [Fact]
        public async Task SkipCertificateCheck_AcceptsButWarns()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start(s =>
            {
                s.TlsCertificate = certificate;
            });
            SettingValues settings = Settings(465, useSsl: true);
            settings.SkipCertificateCheck = true;
            ServerTestResult result = await ProbeTlsOnConnect(settings, server.Port);

            Assert.Equal(FindingSeverity.Warning, Single(result, ServerFindingCodes.CertificateCheckSkipped).Severity);
            Assert.True(result.Success);
            Assert.NotNull(result.TlsProtocol);
        }

        [Fact]
        public async Task RejectingGreeting_IsGreetingRejected()
        {
            using var server = TestSmtpServer.Start(s => s.Greeting = "554 5.7.1 No SMTP service here");
            ServerTestResult result = await Probe(Settings(server.Port));

            Finding finding = Single(result, ServerFindingCodes.GreetingRejected);
            Assert.Contains("554", finding.Message);
            Assert.Contains("No SMTP service here", finding.Message);
        }

        [Fact]
        public async Task HttpServer_IsNotSmtp()
        {
            using var server = TestSmtpServer.Start(s => s.OnConnect = ConnectBehaviour.NotSmtp);
            ServerTestResult result = await Probe(Settings(server.Port));

            Finding finding = Single(result, ServerFindingCodes.NotSmtp);
            Assert.Contains("HTTP/1.1 400", finding.Message);
        }

        [Fact]
        public async Task ServerThatHangsUp_IsConnectionClosed()
        {
            using var server = TestSmtpServer.Start(s => s.OnConnect = ConnectBehaviour.CloseAtOnce);
            ServerTestResult result = await Probe(Settings(server.Port));

            Assert.Contains(ServerFindingCodes.ConnectionClosed, Codes(result));
            Assert.True(result.Reachable);
        }

        [Fact]
        public async Task Cancellation_StopsAWaitAtOnce()
        {
            using var server = TestSmtpServer.Start(s => s.OnConnect = ConnectBehaviour.Silent);
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var watch = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SmtpServerProbe().ProbeAsync(
                new ServerProbeRequest(Settings(server.Port), TimeSpan.FromSeconds(30), false), cancel.Token));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        }

        [Fact]
        public async Task NoServer_IsServerNotSet_WithoutConnecting()
        {
            var settings = new SettingValues { Method = MailMethod.Smtp };
            ServerTestResult result = await Probe(settings);

            Assert.Equal(new[] { ServerFindingCodes.ServerNotSet }, Codes(result));
            Assert.False(result.Reachable);
        }

        private static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }
    }
}
