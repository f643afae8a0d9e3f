using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Tests.Diagnostics;
using G5Mail.Core.Tests.Settings;
using G5Mail.Core.Transports.Smtp;
using G5Mail.TestSmtp;
using Xunit;
using Xunit.Abstractions;

namespace G5Mail.Core.Tests.Runs
{
    /// <summary>
    /// What a failing account or server costs a run, through the real pipeline (SendRun, RunWindow, DeliveryRetry and
    /// the MailKit transport) against the test SMTP server with faults armed: one failed login per run however many documents or
    /// connections, a dead or silent server given up after one message's retries, everything else accounted for as
    /// NotAttempted or ServerUnavailable and journaled as failed, so the next run sends it.
    /// </summary>
    public sealed class RunSafetyTests : IDisposable
    {
        private static readonly NetworkCredential Right = new NetworkCredential("anna", "rätt lösenord");
        private static readonly NetworkCredential Wrong = new NetworkCredential("anna", "expired");

        private readonly TempFolder _folder = new TempFolder();
        private readonly ITestOutputHelper _output;

        public RunSafetyTests(ITestOutputHelper output)
        {
            _output = output;
        }

        public void Dispose() => _folder.Dispose();

        [Theory]
        [InlineData(1)]
        [InlineData(4)]
        public void A_rejected_password_costs_one_failed_login_per_run_whatever_the_documents_and_connections(int throttleLimit)
        {
            using var server = TestSmtpServer.Start();
            server.Account = Right;
            var log = new RecordingLog();

            List<SendResult> outcomes = Send(Settings(server, Wrong), log, Documents(20), throttleLimit, new RetryPolicy(3, TimeSpan.Zero));
            _output.WriteLine(string.Join(Environment.NewLine, server.Events));

            Assert.Equal(1, server.FailedLogins);
            Assert.Equal(1, server.Sessions);
            Assert.Equal(20, outcomes.Count);
            Assert.All(outcomes, o => Assert.Equal(SendStatus.Failed, o.Status));
            Assert.All(outcomes, o => Assert.Equal(ErrorIds.AuthenticationFailed, o.Exception!.ErrorId));
            Assert.Null(outcomes[0].Reason);
            Assert.All(outcomes.Skip(1), o => Assert.Equal(SendReasons.NotAttempted, o.Reason));
            Assert.All(outcomes.Skip(1), o => Assert.Contains("Not attempted", o.Exception!.Message));
            Assert.All(outcomes, o => Assert.DoesNotContain("expired", o.Exception!.Message)); // never the password
            Assert.Single(log.Warnings, w => w.Contains("NotAttempted"));
            Assert.Empty(server.Accepted);
        }

        [Fact]
        public void A_temporary_authentication_failure_is_not_retried_with_the_same_password()
        {
            using var server = TestSmtpServer.Start();
            server.Account = Right;
            server.AuthReply = 454; // RFC 4954 6: "temporary authentication failure"
            var log = new RecordingLog();

            List<SendResult> outcomes = Send(Settings(server, Right), log, Documents(3), 1, new RetryPolicy(3, TimeSpan.Zero));

            Assert.Equal(1, server.FailedLogins);
            Assert.Equal(ErrorIds.AuthenticationFailed, outcomes[0].Exception!.ErrorId);
            Assert.Equal(new[] { null, SendReasons.NotAttempted, SendReasons.NotAttempted }, outcomes.Select(o => o.Reason));
        }

        [Theory]
        [InlineData("PLAIN LOGIN", "PLAIN")]
        [InlineData("LOGIN PLAIN", "PLAIN")]
        [InlineData("LOGIN", "LOGIN")]
        public void One_mechanism_is_chosen_from_a_fixed_preference_and_tried_once(string offered, string used)
        {
            using var server = TestSmtpServer.Start();
            server.Account = Right;
            server.AuthMechanisms = offered.Split(' ');

            Send(Settings(server, Wrong), new RecordingLog(), Documents(1), 1, RetryPolicy.None);

            Assert.Equal($"{used} anna failed", Assert.Single(server.Logins));
        }

        [Fact]
        public void The_preference_puts_mechanisms_that_never_send_the_password_first()
        {
            Assert.Equal("SCRAM-SHA-256", SmtpAuthentication.Choose(new[] { "LOGIN", "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2" }));
            Assert.Equal("PLAIN", SmtpAuthentication.Choose(new[] { "login", "plain", "CRAM-MD5" }));
            Assert.Equal("NTLM", SmtpAuthentication.Choose(new[] { "GSSAPI", "NTLM" }));
            Assert.Null(SmtpAuthentication.Choose(new[] { "XOAUTH2", "GSSAPI" }));
            Assert.Null(SmtpAuthentication.Choose(Array.Empty<string>()));
        }

        [Fact]
        public void A_domain_account_signs_in_with_its_domain()
        {
            using var server = TestSmtpServer.Start();
            server.Account = new NetworkCredential("EXAMPLE\\anna", "rätt lösenord");

            List<SendResult> outcomes = Send(Settings(server, new NetworkCredential("anna", "rätt lösenord", "EXAMPLE")), new RecordingLog(),
                Documents(1), 1, RetryPolicy.None);

            Assert.Equal(SendStatus.Sent, Assert.Single(outcomes).Status);
            Assert.Equal("PLAIN EXAMPLE\\anna ok", Assert.Single(server.Logins));
        }

        [Fact]
        public void A_server_that_never_greets_costs_one_message_its_retries_and_the_rest_fail_fast()
        {
            using var server = TestSmtpServer.Start();
            server.Silent = true;
            var log = new RecordingLog();
            SettingValues settings = Settings(server, null);
            settings.TimeoutSeconds = 1;
            var watch = Stopwatch.StartNew();

            List<SendResult> outcomes = Send(settings, log, Documents(10), 1, new RetryPolicy(2, TimeSpan.Zero));
            watch.Stop();
            _output.WriteLine($"10 documents against a silent relay, TimeoutSeconds 1, 2 retries: {watch.Elapsed.TotalSeconds:0.0} s");

            Assert.Equal(3, server.Sessions); // one attempt and two retries, then no connection at all
            Assert.All(outcomes, o => Assert.Equal(SendStatus.Failed, o.Status));
            Assert.All(outcomes, o => Assert.Equal(ErrorIds.ConnectionFailed, o.Exception!.ErrorId));
            Assert.All(outcomes.Skip(1), o => Assert.Equal(SendReasons.ServerUnavailable, o.Reason));
            // Three waits of one second, not three of the old 100 s: generous for a loaded machine, far below the old cost.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        }

        [Fact]
        public void A_server_that_takes_a_message_and_then_goes_silent_leaves_it_Uncertain_and_gets_no_more()
        {
            using var server = TestSmtpServer.Start();
            server.HoldRepliesAfter(0, TimeSpan.FromMinutes(5)); // takes the data, never replies
            SettingValues settings = Settings(server, null);
            settings.TimeoutSeconds = 1;

            List<SendResult> outcomes = Send(settings, new RecordingLog(), Documents(5), 1, new RetryPolicy(3, TimeSpan.Zero));

            Assert.Equal(SendStatus.Uncertain, outcomes[0].Status);
            Assert.Equal(ErrorKind.OperationTimeout, outcomes[0].Exception!.Kind);
            Assert.All(outcomes.Skip(1), o => Assert.Equal(SendReasons.ServerUnavailable, o.Reason));
            Assert.All(outcomes.Skip(1), o => Assert.Equal(SendStatus.Failed, o.Status));
            // Neither resent nor followed by the next message.
            Assert.True(server.Sessions == 1, $"{server.Sessions} sessions:{Environment.NewLine}{string.Join(Environment.NewLine, server.Events)}");
        }

        [Fact]
        public void A_refused_connection_ends_the_run_after_one_messages_retries_and_the_journal_lets_the_rerun_send_everything()
        {
            int port;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop(); // nothing listens there now: connections are refused
            var settings = new SettingValues { Method = MailMethod.Smtp, Server = "127.0.0.1", Port = port, From = "order@example.se" };
            string journalPath = Path.Combine(_folder.Path, "journal.jsonl");
            DocumentRequest[] documents = Documents(5);
            var log = new RecordingLog();

            List<SendResult> outcomes;
            using (SendJournal journal = SendJournal.Open(journalPath, log))
            {
                outcomes = Send(settings, log, documents, 1, new RetryPolicy(2, TimeSpan.Zero), journal);
            }

            Assert.Equal(2, log.Verbose.Count(l => l.Contains("retry ")));
            Assert.All(outcomes, o => Assert.Equal(ErrorIds.ConnectionFailed, o.Exception!.ErrorId));
            Assert.Equal(new[] { null, "ServerUnavailable", "ServerUnavailable", "ServerUnavailable", "ServerUnavailable" }, outcomes.Select(o => o.Reason));
            string[] lines = File.ReadAllLines(journalPath).Where(l => l.Length > 0).ToArray();
            Assert.Equal(5, lines.Count(l => l.Contains("\"status\":\"Failed\"")));
            Assert.Equal(4, lines.Count(l => l.Contains("\"reason\":\"ServerUnavailable\"")));

            // The server is back: the same journal sends all five, none held back.
            using var server = TestSmtpServer.Start();
            using (SendJournal journal = SendJournal.Open(journalPath, log))
            {
                outcomes = Send(Settings(server, null), log, documents, 1, RetryPolicy.None, journal);
            }

            Assert.All(outcomes, o => Assert.Equal(SendStatus.Sent, o.Status));
            Assert.Equal(5, server.Accepted.Count);
        }

        [Fact]
        public void A_port_that_wants_TLS_on_connect_is_used_with_TLS_and_the_run_warns_once()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start();
            server.TlsCertificate = certificate;
            server.Account = Right;
            SettingValues settings = Settings(server, Right);
            settings.UseSsl = true;
            settings.CertificateThumbprint = certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
            settings.TimeoutSeconds = 10;
            var log = new RecordingLog();

            List<SendResult> outcomes = Send(settings, log, Documents(6), 2, RetryPolicy.None);
            _output.WriteLine(string.Join(Environment.NewLine, server.Events));

            Assert.All(outcomes, o => Assert.Equal(SendStatus.Sent, o.Status));
            Assert.Single(log.Warnings, w => w.Contains("wants TLS from the first byte"));
            Assert.All(server.Events.Where(e => e.Contains("TLS on connect")), e => Assert.Contains("Tls1", e));
            Assert.Equal(6, server.Accepted.Count);
        }

        [Fact]
        public void A_port_that_wants_TLS_on_connect_still_needs_a_valid_certificate()
        {
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start();
            server.TlsCertificate = certificate;
            SettingValues settings = Settings(server, null);
            settings.UseSsl = true;
            settings.TimeoutSeconds = 10;

            List<SendResult> outcomes = Send(settings, new RecordingLog(), Documents(3), 1, new RetryPolicy(2, TimeSpan.Zero));

            Assert.Equal(ErrorIds.CertificateInvalid, outcomes[0].Exception!.ErrorId);
            Assert.Equal(new[] { null, SendReasons.ServerUnavailable, SendReasons.ServerUnavailable }, outcomes.Select(o => o.Reason));
            Assert.Empty(server.Accepted);
        }

        [Theory]
        [InlineData(true, null)]
        [InlineData(false, "pin")]
        public void Exchange_Online_over_SMTP_validates_the_certificate_whatever_the_overrides_say(bool skipCheck, string? pin)
        {
            // A bearer token must never go to a server whose certificate was not verified: the self-signed certificate
            // is refused before any token is asked for, although SkipCertificateCheck or a matching pin would accept it
            // for Method Smtp.
            using X509Certificate2 certificate = TestCertificates.SelfSigned();
            using var server = TestSmtpServer.Start();
            server.TlsCertificate = certificate;
            var settings = new SettingValues
            {
                Method = MailMethod.ExchangeOnline,
                ExchangeOnlineProtocol = ExchangeOnlineProtocol.Smtp,
                Server = server.Host,
                Port = server.Port,
                From = "order@contoso.example",
                ClientId = Guid.NewGuid(),
                TenantId = "contoso.example",
                ClientSecret = G5Mail.Core.Tests.Settings.Secrets.Secure("not-used"),
                SkipCertificateCheck = skipCheck,
                CertificateThumbprint = pin != null ? certificate.Thumbprint : null,
                TimeoutSeconds = 10,
            };
            var log = new RecordingLog();

            List<SendResult> outcomes = Send(settings, log, Documents(2), 1, RetryPolicy.None);

            Assert.Equal(ErrorIds.CertificateInvalid, outcomes[0].Exception!.ErrorId);
            Assert.Equal(SendReasons.ServerUnavailable, outcomes[1].Reason);
            Assert.Single(log.Warnings, w => w.Contains("ignored for Exchange Online"));
            Assert.Empty(server.Accepted);
        }

        [Fact]
        public void UseSsl_against_a_silent_port_that_is_not_TLS_either_fails_within_seconds()
        {
            using var server = TestSmtpServer.Start();
            server.Silent = true;
            SettingValues settings = Settings(server, null);
            settings.UseSsl = true;
            settings.TimeoutSeconds = 2;
            var watch = Stopwatch.StartNew();

            List<SendResult> outcomes = Send(settings, new RecordingLog(), Documents(1), 1, RetryPolicy.None);
            _output.WriteLine($"UseSsl against a silent port: {watch.Elapsed.TotalSeconds:0.0} s");

            Assert.Equal(ErrorIds.ConnectionFailed, Assert.Single(outcomes).Exception!.ErrorId);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        }

        private static SettingValues Settings(TestSmtpServer server, NetworkCredential? credential) => new SettingValues
        {
            Method = MailMethod.Smtp,
            Server = server.Host,
            Port = server.Port,
            From = "order@example.se",
            Credential = credential,
        };

        private DocumentRequest[] Documents(int count) => Enumerable.Range(0, count).Select(i => new DocumentRequest
        {
            Paths = new[] { _folder.RandomFile($"D{i}.pdf", 2048, seed: i) },
            To = new[] { $"kund{i}@example.se" },
            InputIndex = i,
        }).ToArray();

        private static List<SendResult> Send(SettingValues settings, IRunLog log, DocumentRequest[] documents, int throttleLimit, RetryPolicy retry,
            SendJournal? journal = null) => RunHarness.Send(settings, log, documents, throttleLimit, retry, journal).Outcomes;
    }
}
