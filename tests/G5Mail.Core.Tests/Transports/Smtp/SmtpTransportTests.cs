using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Runs;
using G5Mail.Core.Security;
using G5Mail.Core.Tests.Diagnostics;
using G5Mail.TestSmtp;
using G5Mail.Core.Transports.Smtp;
using MailKit.Security;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Smtp
{
    public sealed class SmtpTransportTests : IDisposable
    {
        private const string Password = "S3cret-Pw!";

        private static NetworkCredential Account => new NetworkCredential("g5user", Password);
        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        private OutgoingMessage Message()
        {
            string pdf = _folder.File("1001.pdf", "%PDF-1.4 test");
            var documents = DocumentCollector.Collect(new[] { new DocumentRequest { Paths = new[] { pdf }, To = new[] { "kund@example.se" } } }, out _);
            PlannedMessage planned = MessagePlanner.Plan(documents, false, 10 * 1_048_576).Single();
            return MessageComposer.Compose(planned, new ComposeOptions { From = "order@example.se" });
        }

        [Fact]
        public async Task A_password_never_crosses_an_unencrypted_connection_to_another_computer()
        {
            using var server = TestSmtpServer.Start(s => { s.AuthBeforeTls = new[] { "PLAIN", "LOGIN" }; s.Account = Account; });
            var options = new SmtpTransportOptions(new SmtpEndpoint("127.0.0.1", server.Port, SecureSocketOptions.StartTlsWhenAvailable),
                new CertificatePolicy(null, false))
            {
                Credential = new NetworkCredential("g5user", Password),
                // The server is on loopback; the transport is told to treat it as another computer.
                MaySendCredentialsInClear = _ => false,
            };
            using var transport = new SmtpTransport(options, NullRunLog.Instance);

            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => transport.SendAsync(Message(), CancellationToken.None));

            Assert.Equal(ErrorIds.AuthenticationFailed, error.ErrorId);
            Assert.Contains("UseSsl", error.Message);
            Assert.DoesNotContain(Password, error.ToString());
            Assert.DoesNotContain("AUTH", server.Verbs);
        }

        [Fact]
        public async Task A_refused_connection_is_ConnectionFailed_naming_the_port()
        {
            int port;
            using (var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            var options = new SmtpTransportOptions(new SmtpEndpoint("127.0.0.1", port, SecureSocketOptions.None), new CertificatePolicy(null, false));
            using var transport = new SmtpTransport(options, NullRunLog.Instance);

            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => transport.SendAsync(Message(), CancellationToken.None));

            Assert.Equal(ErrorIds.ConnectionFailed, error.ErrorId);
            Assert.Contains(port.ToString(), error.Message);
        }
    }
}
