using System;
using System.Diagnostics;
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
using Xunit.Abstractions;

namespace G5Mail.Core.Tests.Transports.Exchange
{
    /// <summary>
    /// EWS answers that leave the client in the dark: a server that reads the whole CreateItem and never answers (bounded by
    /// TimeoutSeconds, not HttpClient's 100 s), and an HTTP 200 whose body is not a readable EWS response (Exchange acted,
    /// so the message may have gone: DeliveryUncertain). A plain TCP listener on loopback plays the server.
    /// </summary>
    public sealed class EwsSilentAndBrokenAnswerTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();
        private readonly ITestOutputHelper _output;

        public EwsSilentAndBrokenAnswerTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _folder.Dispose();

        private OutgoingMessage Message()
        {
            string pdf = _folder.RandomFile("4001.pdf", 5_000, seed: 4);
            var documents = DocumentCollector.Collect(new[] { new DocumentRequest { Paths = new[] { pdf }, To = new[] { "kund@example.se" } } }, out _);
            return MessageComposer.Compose(MessagePlanner.Plan(documents, false, 100 * 1_048_576).Single(), new ComposeOptions { From = "order@example.se" });
        }

        [Fact]
        public async Task A_server_that_never_answers_fails_in_about_TimeoutSeconds_naming_the_setting()
        {
            using var server = new ScriptedHttpServer(answer: null);
            using var transport = Transport(server.Port, TimeSpan.FromSeconds(2));

            var watch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => transport.SendAsync(Message(), CancellationToken.None));
            watch.Stop();
            _output.WriteLine($"failed after {watch.Elapsed.TotalSeconds:0.0} s with TimeoutSeconds 2: {error.ErrorId}: {error.Message}");

            // The whole request went out, so Exchange may have acted: uncertain, with the bound in the cause.
            Assert.Equal(ErrorIds.DeliveryUncertain, error.ErrorId);
            Assert.Contains("TimeoutSeconds 2", error.Message);
            Assert.InRange(watch.Elapsed.TotalSeconds, 1.9, 30);
        }

        [Theory]
        [InlineData("text/xml; charset=utf-8", "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><m:CreateItemRes")]
        [InlineData("text/html", "<html><body>Proxy error</body></html>")]
        [InlineData("text/xml", "<?xml version=\"1.0\"?><not-soap/>")]
        public async Task HTTP_200_with_an_unreadable_CreateItem_answer_is_DeliveryUncertain(string contentType, string body)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            string answer = $"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n{body}";
            using var server = new ScriptedHttpServer(answer);
            using var transport = Transport(server.Port, TimeSpan.FromSeconds(30));

            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => transport.SendAsync(Message(), CancellationToken.None));

            Assert.Equal(ErrorIds.DeliveryUncertain, error.ErrorId);
            Assert.Equal(FailureClass.Uncertain, error.Failure);
            Assert.Contains("Sent Items", error.Message);
        }

        [Fact]
        public async Task A_body_cut_off_before_its_Content_Length_is_DeliveryUncertain()
        {
            const string body = "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>";
            string answer = $"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {body.Length + 500}\r\n\r\n{body}";
            using var server = new ScriptedHttpServer(answer, closeAfterAnswer: true);
            using var transport = Transport(server.Port, TimeSpan.FromSeconds(30));

            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => transport.SendAsync(Message(), CancellationToken.None));

            Assert.Equal(ErrorIds.DeliveryUncertain, error.ErrorId);
        }

        private static EwsTransport Transport(int port, TimeSpan timeout) =>
            new EwsTransport(new EwsTransportOptions(EwsEndpoint.Resolve($"http://127.0.0.1:{port}/EWS/Exchange.asmx", 0),
                new CertificatePolicy(null, false)) { Timeout = timeout }, NullRunLog.Instance);

        /// <summary>Reads one whole request (after 100 Continue), then writes <c>answer</c> as is, or nothing until disposed.</summary>
        private sealed class ScriptedHttpServer : IDisposable
        {
            private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
            private readonly CancellationTokenSource _stop = new CancellationTokenSource();
            private readonly Task _serve;

            public ScriptedHttpServer(string? answer, bool closeAfterAnswer = false)
            {
                _listener.Start();
                Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
                _serve = Task.Run(() => ServeAsync(answer, closeAfterAnswer));
            }

            public int Port { get; }

            private async Task ServeAsync(string? answer, bool closeAfterAnswer)
            {
                using Socket socket = await _listener.AcceptSocketAsync();
                using var stream = new NetworkStream(socket);
                var buffer = new byte[64 * 1024];
                var head = new StringBuilder();
                int headerEnd = -1;
                int read;
                while (headerEnd < 0 && (read = await stream.ReadAsync(buffer)) > 0)
                {
                    head.Append(Encoding.Latin1.GetString(buffer, 0, read));
                    headerEnd = head.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal);
                }

                string headers = head.ToString();
                long length = long.Parse(headers.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).Split(':')[1].Trim());
                long body = head.Length - (headerEnd + 4);
                if (headers.Contains("100-continue", StringComparison.OrdinalIgnoreCase))
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 100 Continue\r\n\r\n"));
                }

                while (body < length && (read = await stream.ReadAsync(buffer)) > 0)
                {
                    body += read;
                }

                if (answer == null)
                {
                    try
                    {
                        await Task.Delay(Timeout.Infinite, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    return;
                }

                await stream.WriteAsync(Encoding.UTF8.GetBytes(answer));
                await stream.FlushAsync();
                if (closeAfterAnswer)
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                else
                {
                    // Keep the connection until the client is done, so "Connection: close" is what ends it.
                    try
                    {
                        _ = await stream.ReadAsync(buffer, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }

            public void Dispose()
            {
                _stop.Cancel();
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
