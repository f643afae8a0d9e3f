using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.Tests.Diagnostics
{
    /// <summary>
    /// A small SMTP server on 127.0.0.1 for the cases smtp4dev cannot produce (a silent port, STARTTLS missing,
    /// AUTH only before TLS, odd greetings). It speaks the protocol of RFC 5321 (greeting, EHLO, QUIT), RFC 3207
    /// (STARTTLS), RFC 4954 (AUTH with PLAIN per RFC 4616 and LOGIN) and RFC 1870 (SIZE) as far as the probe uses it.
    /// </summary>
    internal sealed class ScriptedSmtpServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly ConcurrentQueue<string> _verbs = new ConcurrentQueue<string>();
        private readonly List<TcpClient> _clients = new List<TcpClient>();
        private readonly Task _acceptLoop;

        public ScriptedSmtpServer(Action<ScriptedSmtpServer>? configure = null)
        {
            configure?.Invoke(this);
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _acceptLoop = Behaviour == ServerBehaviour.Silent ? Task.CompletedTask : Task.Run(AcceptLoopAsync);
        }

        /// <summary>What the server does with a new connection.</summary>
        public ServerBehaviour Behaviour { get; set; } = ServerBehaviour.Smtp;

        public string Greeting { get; set; } = "220 scripted.test ESMTP ready";

        /// <summary>For ServerBehaviour.Smtp with TLS: the certificate for STARTTLS; for ImplicitTls the one on connect.</summary>
        public X509Certificate2? Certificate { get; set; }

        public bool OfferStartTls { get; set; }
        public string[] AuthBeforeTls { get; set; } = Array.Empty<string>();
        public string[] AuthAfterTls { get; set; } = Array.Empty<string>();
        public string? SizeKeyword { get; set; }
        public string UserName { get; set; } = "g5user";
        public string Password { get; set; } = "S3cret-Pw!";

        public int Port { get; }

        /// <summary>The command verbs received (never arguments: tests look for MAIL, AUTH and QUIT).</summary>
        public IReadOnlyList<string> Verbs => _verbs.ToArray();

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_clients)
            {
                foreach (TcpClient client in _clients)
                {
                    client.Dispose();
                }
            }

            try
            {
                _acceptLoop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }
        }

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                lock (_clients)
                {
                    _clients.Add(client);
                }

                _ = Task.Run(async () =>
                {
                    try
                    {
                        await ServeAsync(client);
                    }
                    catch (Exception)
                    {
                        // A client that goes away mid-session is normal for a probe.
                    }
                    finally
                    {
                        client.Dispose();
                    }
                });
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            Stream stream = client.GetStream();
            switch (Behaviour)
            {
                case ServerBehaviour.CloseAtOnce:
                    return;
                case ServerBehaviour.NotSmtp:
                    await WriteAsync(stream, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                case ServerBehaviour.ImplicitTls:
                    var tls = new SslStream(stream, false);
                    await tls.AuthenticateAsServerAsync(Certificate!, false, false);
                    stream = tls;
                    break;
            }

            await WriteAsync(stream, Greeting + "\r\n");
            if (!Greeting.StartsWith("220", StringComparison.Ordinal))
            {
                return;
            }

            bool secure = Behaviour == ServerBehaviour.ImplicitTls;
            var reader = new LineReader(stream);
            while (true)
            {
                string? line = await reader.ReadLineAsync(_stop.Token);
                if (line == null)
                {
                    return;
                }

                string verb = line.Split(' ')[0].ToUpperInvariant();
                _verbs.Enqueue(verb);
                switch (verb)
                {
                    case "EHLO":
                        var lines = new List<string> { "scripted.test greets you" };
                        if (OfferStartTls && !secure)
                        {
                            lines.Add("STARTTLS");
                        }

                        string[] auth = secure ? AuthAfterTls : AuthBeforeTls;
                        if (auth.Length > 0)
                        {
                            lines.Add("AUTH " + string.Join(" ", auth));
                        }

                        if (SizeKeyword != null)
                        {
                            lines.Add(SizeKeyword);
                        }

                        lines.Add("8BITMIME");
                        await WriteAsync(stream, string.Concat(lines.Select((l, i) => $"250{(i == lines.Count - 1 ? ' ' : '-')}{l}\r\n")));
                        break;
                    case "STARTTLS" when OfferStartTls && !secure:
                        await WriteAsync(stream, "220 2.0.0 Ready to start TLS\r\n");
                        var ssl = new SslStream(stream, false);
                        await ssl.AuthenticateAsServerAsync(Certificate!, false, false);
                        stream = ssl;
                        reader = new LineReader(stream);
                        secure = true;
                        break;
                    case "AUTH":
                        await AuthenticateAsync(stream, reader, line);
                        break;
                    case "QUIT":
                        await WriteAsync(stream, "221 2.0.0 Bye\r\n");
                        return;
                    default:
                        await WriteAsync(stream, "502 5.5.2 Command not implemented\r\n");
                        break;
                }
            }
        }

        private async Task AuthenticateAsync(Stream stream, LineReader reader, string line)
        {
            string[] parts = line.Split(' ');
            string mechanism = parts.Length > 1 ? parts[1].ToUpperInvariant() : string.Empty;
            string? user = null, password = null;
            if (mechanism == "PLAIN")
            {
                string? response = parts.Length > 2 ? parts[2] : null;
                if (response == null)
                {
                    await WriteAsync(stream, "334 \r\n");
                    response = await reader.ReadLineAsync(_stop.Token);
                }

                string[] fields = Encoding.UTF8.GetString(Convert.FromBase64String(response ?? string.Empty)).Split('\0');
                if (fields.Length == 3)
                {
                    user = fields[1];
                    password = fields[2];
                }
            }
            else if (mechanism == "LOGIN")
            {
                await WriteAsync(stream, "334 VXNlcm5hbWU6\r\n");
                user = Encoding.UTF8.GetString(Convert.FromBase64String(await reader.ReadLineAsync(_stop.Token) ?? string.Empty));
                await WriteAsync(stream, "334 UGFzc3dvcmQ6\r\n");
                password = Encoding.UTF8.GetString(Convert.FromBase64String(await reader.ReadLineAsync(_stop.Token) ?? string.Empty));
            }
            else
            {
                await WriteAsync(stream, "504 5.5.4 Unrecognized authentication type\r\n");
                return;
            }

            await WriteAsync(stream, user == UserName && password == Password
                ? "235 2.7.0 Authentication successful\r\n"
                : "535 5.7.8 Authentication credentials invalid\r\n");
        }

        private static Task WriteAsync(Stream stream, string text)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(text);
            return stream.WriteAsync(bytes, 0, bytes.Length);
        }

        /// <summary>Reads CRLF lines byte by byte, so nothing is buffered past a STARTTLS.</summary>
        private sealed class LineReader
        {
            private readonly Stream _stream;

            public LineReader(Stream stream)
            {
                _stream = stream;
            }

            public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
            {
                var line = new StringBuilder();
                var one = new byte[1];
                while (true)
                {
                    int read = await _stream.ReadAsync(one, 0, 1, cancellationToken);
                    if (read == 0)
                    {
                        return line.Length > 0 ? line.ToString() : null;
                    }

                    if (one[0] == '\n')
                    {
                        return line.ToString().TrimEnd('\r');
                    }

                    line.Append((char)one[0]);
                }
            }
        }
    }

    internal enum ServerBehaviour
    {
        /// <summary>Accepts connections (the kernel does) and never says a word.</summary>
        Silent,
        Smtp,
        ImplicitTls,
        CloseAtOnce,
        NotSmtp,
    }
}
