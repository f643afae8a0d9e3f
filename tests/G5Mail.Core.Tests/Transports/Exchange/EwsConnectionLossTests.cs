using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Runs;
using G5Mail.Core.Security;
using G5Mail.Core.Transports.Exchange;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Exchange
{
    /// <summary>
    /// A connection to EWS lost before the whole CreateItem request went out cannot have sent the message (IIS waits for
    /// Content-Length bytes): transient. Lost after it, before the answer: Exchange may have sent it, so DeliveryUncertain.
    /// The server here is a plain TCP listener on loopback that reads the HTTP request as far as asked and then resets.
    /// </summary>
    public sealed class EwsConnectionLossTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        private OutgoingMessage Message(int bytes)
        {
            string pdf = _folder.RandomFile("3001.pdf", bytes, seed: 3);
            var documents = DocumentCollector.Collect(new[] { new DocumentRequest { Paths = new[] { pdf }, To = new[] { "kund@example.se" } } }, out _);
            return MessageComposer.Compose(MessagePlanner.Plan(documents, false, 100 * 1_048_576).Single(), new ComposeOptions { From = "order@example.se" });
        }

        [Fact]
        public async Task A_reset_after_the_whole_request_arrived_is_DeliveryUncertain()
        {
            using var server = new ResettingHttpServer(readWholeBody: true);
            using var transport = Transport(server.Port);

            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => transport.SendAsync(Message(20_000), CancellationToken.None));

            Assert.Equal(ErrorIds.DeliveryUncertain, error.ErrorId);
            Assert.Equal(FailureClass.Uncertain, error.Failure);
            Assert.Contains("may or may", error.Message);
            Assert.Contains("Sent Items", error.Message);
            Assert.True(server.BodyBytesRead > 20_000, $"read {server.BodyBytesRead}");
        }

        [Fact]
        public async Task A_reset_before_the_body_went_out_is_transient()
        {
            // Reset right after the headers: the client is still waiting for "100 Continue" and has sent no body.
            using var server = new ResettingHttpServer(readWholeBody: false);
            using var transport = Transport(server.Port);

            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => transport.SendAsync(Message(20_000), CancellationToken.None));

            Assert.Equal(ErrorIds.ConnectionFailed, error.ErrorId);
            Assert.Equal(FailureClass.Transient, error.Failure);
            Assert.Equal(0, server.BodyBytesRead);
        }

        private static EwsTransport Transport(int port) =>
            new EwsTransport(new EwsTransportOptions(EwsEndpoint.Resolve($"http://127.0.0.1:{port}/EWS/Exchange.asmx", 0),
                new CertificatePolicy(null, false)), NullRunLog.Instance);

        private sealed class ResettingHttpServer : IDisposable
        {
            private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
            private readonly Task _serve;

            public ResettingHttpServer(bool readWholeBody)
            {
                _listener.Start();
                Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
                _serve = Task.Run(() => ServeAsync(readWholeBody));
            }

            public int Port { get; }

            public long BodyBytesRead { get; private set; }

            private async Task ServeAsync(bool readWholeBody)
            {
                using Socket socket = await _listener.AcceptSocketAsync();
                using var stream = new NetworkStream(socket);
                var buffer = new byte[64 * 1024];
                var head = new StringBuilder();
                int headerEnd = -1;
                int read = 0;
                while (headerEnd < 0 && (read = await stream.ReadAsync(buffer)) > 0)
                {
                    head.Append(Encoding.Latin1.GetString(buffer, 0, read));
                    headerEnd = head.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal);
                }

                string headers = head.ToString();
                long length = long.Parse(headers.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).Split(':')[1].Trim());
                long body = head.Length - (headerEnd + 4);
                if (readWholeBody)
                {
                    if (headers.Contains("100-continue", StringComparison.OrdinalIgnoreCase))
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 100 Continue\r\n\r\n"));
                    }

                    while (body < length && (read = await stream.ReadAsync(buffer)) > 0)
                    {
                        body += read;
                    }
                }

                BodyBytesRead = body;
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }

            public void Dispose()
            {
                _listener.Stop();
                try
                {
                    _serve.Wait(TimeSpan.FromSeconds(5));
                }
                catch (AggregateException)
                {
                }
            }
        }
    }
}
