using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.FaultSmtp
{
    /// <summary>Where in the SMTP conversation (RFC 5321 3.3, 4.1.1) a fault strikes.</summary>
    public enum FaultStage
    {
        /// <summary>Instead of the 220 greeting.</summary>
        Connect,
        /// <summary>When EHLO (or HELO) arrives, instead of its reply.</summary>
        Ehlo,
        /// <summary>When MAIL FROM arrives, instead of its reply.</summary>
        MailFrom,
        /// <summary>When RCPT TO arrives, instead of its reply.</summary>
        RcptTo,
        /// <summary>When DATA arrives, instead of 354.</summary>
        Data,
        /// <summary>In the middle of the message data (after <see cref="FaultSmtpServer.MidDataBytes"/> bytes): drops only.</summary>
        MidData,
        /// <summary>After the final dot, instead of the reply. A drop here first keeps the message (the worst case: the server took it).</summary>
        EndOfData,
    }

    /// <summary>One armed fault: at <see cref="Stage"/>, drop the connection (<see cref="ReplyCode"/> 0) or reply with the code, <see cref="Times"/> times.</summary>
    public sealed class Fault
    {
        public Fault(FaultStage stage, int replyCode, int times)
        {
            Stage = stage;
            ReplyCode = replyCode;
            Times = times;
        }

        public FaultStage Stage { get; }

        /// <summary>0: drop the connection (TCP reset); otherwise the reply code (a 421 also closes the connection, RFC 5321 3.8).</summary>
        public int ReplyCode { get; }

        public int Times { get; }

        public int Remaining { get; internal set; }

        public bool IsDrop => ReplyCode == 0;

        public override string ToString() => (IsDrop ? "drop at " : ReplyCode + " at ") + Stage;
    }

    /// <summary>A message the server accepted (received up to the final dot and kept).</summary>
    public sealed class AcceptedMessage
    {
        internal AcceptedMessage(int session, string from, IReadOnlyList<string> recipients, byte[] data, bool replied)
        {
            Session = session;
            From = from;
            Recipients = recipients;
            Data = data;
            Replied = replied;
            Headers = ParseHeaders(data);
            MessageId = Header("Message-ID")?.Trim();
            Subject = Header("Subject");
            using var sha = SHA256.Create();
            Sha256 = Convert.ToHexString(sha.ComputeHash(data));
        }

        public int Session { get; }
        public string From { get; }
        public IReadOnlyList<string> Recipients { get; }
        public byte[] Data { get; }

        /// <summary>False when the connection was dropped after the final dot instead of replying 250.</summary>
        public bool Replied { get; }

        public string? MessageId { get; }
        public string? Subject { get; }
        public string Sha256 { get; }
        public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

        public string? Header(string name) =>
            Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();

        private static IReadOnlyList<KeyValuePair<string, string>> ParseHeaders(byte[] data)
        {
            // The header block ends at the first empty line; folded lines (RFC 5322 2.2.3) continue the previous field.
            string text = Encoding.ASCII.GetString(data, 0, Math.Min(data.Length, 64 * 1024));
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                text = text.Substring(0, end);
            }

            var headers = new List<KeyValuePair<string, string>>();
            foreach (string line in text.Split("\r\n"))
            {
                if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t') && headers.Count > 0)
                {
                    var last = headers[^1];
                    headers[^1] = new KeyValuePair<string, string>(last.Key, last.Value + " " + line.Trim());
                }
                else if (line.IndexOf(':') > 0)
                {
                    int colon = line.IndexOf(':');
                    headers.Add(new KeyValuePair<string, string>(line.Substring(0, colon).Trim(), line.Substring(colon + 1).Trim()));
                }
            }

            return headers;
        }
    }

    /// <summary>
    /// A minimal SMTP server (RFC 5321: greeting, EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT; no
    /// PIPELINING, so each command waits for its reply and a fault lands exactly at its stage) that keeps every message
    /// it accepts and, per armed fault, drops the connection or answers with an error code at a chosen stage for the
    /// first N times it gets there, then behaves. Drops are TCP resets, as when a server or a firewall dies.
    /// </summary>
    public sealed class FaultSmtpServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly List<Fault> _faults = new List<Fault>();
        private readonly List<AcceptedMessage> _accepted = new List<AcceptedMessage>();
        private readonly List<string> _events = new List<string>();
        private readonly List<Socket> _open = new List<Socket>();
        private readonly Task _acceptLoop;
        private readonly List<string> _logins = new List<string>();
        private int _failedLogins;
        private int _successfulLogins;
        private int _sessions;
        private int _waiting;
        private int _peakWaiting;

        private FaultSmtpServer()
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _acceptLoop = Task.Run(AcceptLoopAsync);
        }

        /// <summary>Starts a server on 127.0.0.1 on a free port.</summary>
        public static FaultSmtpServer Start() => new FaultSmtpServer();

        public int Port { get; }

        public string Host => "127.0.0.1";

        /// <summary>How many bytes of message data a <see cref="FaultStage.MidData"/> drop lets through first.</summary>
        public int MidDataBytes { get; set; } = 16 * 1024;

        /// <summary>Connections accepted so far (one per attempt for a client that reconnects).</summary>
        public int Sessions => Volatile.Read(ref _sessions);

        /// <summary>
        /// How long the server thinks after a message's final dot before it keeps the message and replies (a relay that
        /// scans mail), per message; null or zero for no wait. Lets tests hold messages in the air on several connections.
        /// </summary>
        public Func<AcceptedMessage, TimeSpan>? ReplyDelay { get; set; }

        /// <summary>
        /// Accept connections but never send the greeting nor answer anything: a relay that hangs, or a firewall that lets
        /// the handshake through and then drops every packet.
        /// </summary>
        public bool Silent { get; set; }

        /// <summary>
        /// Speak TLS from the first byte (as on port 465, RFC 8314 3.3) with this certificate, on whatever port the server
        /// has: a client that waits for a plain greeting waits in vain, since the server waits for its ClientHello.
        /// </summary>
        public X509Certificate2? TlsCertificate { get; set; }

        /// <summary>
        /// The one account AUTH accepts (user name as the client must send it, e.g. "EXAMPLE\\anna"); null for a server that
        /// offers no AUTH and relays for anyone. With an account set, MAIL before a successful AUTH gets 530 (RFC 4954 6).
        /// </summary>
        public NetworkCredential? Account { get; set; }

        /// <summary>A reply that every AUTH gets instead of a verdict on the password (e.g. 454, RFC 4954 6); 0 for none.</summary>
        public int AuthReply { get; set; }

        /// <summary>The mechanisms EHLO offers when <see cref="Account"/> is set; PLAIN (RFC 4616) and LOGIN are implemented.</summary>
        public string[] AuthMechanisms { get; set; } = { "PLAIN", "LOGIN" };

        /// <summary>AUTH attempts that failed (each one a failed login in the server's log, and towards a lockout).</summary>
        public int FailedLogins => Volatile.Read(ref _failedLogins);

        /// <summary>AUTH attempts that succeeded.</summary>
        public int SuccessfulLogins => Volatile.Read(ref _successfulLogins);

        /// <summary>Every AUTH attempt as "MECHANISM user ok|failed", in order.</summary>
        public IReadOnlyList<string> Logins
        {
            get
            {
                lock (_logins)
                {
                    return _logins.ToArray();
                }
            }
        }

        /// <summary>
        /// Replies at once to the first <paramref name="messages"/> messages and holds the reply to every later one for
        /// <paramref name="delay"/> (a <see cref="ReplyDelay"/> that PowerShell tests can set without a delegate).
        /// </summary>
        public void HoldRepliesAfter(int messages, TimeSpan delay)
        {
            int seen = 0;
            ReplyDelay = _ => Interlocked.Increment(ref seen) > messages ? delay : TimeSpan.Zero;
        }

        /// <summary>Messages waiting in <see cref="ReplyDelay"/> right now.</summary>
        public int Waiting => Volatile.Read(ref _waiting);

        /// <summary>The most messages that were waiting in <see cref="ReplyDelay"/> at the same time: how many connections sent at once.</summary>
        public int PeakWaiting => Volatile.Read(ref _peakWaiting);

        public IReadOnlyList<AcceptedMessage> Accepted
        {
            get
            {
                lock (_accepted)
                {
                    return _accepted.ToArray();
                }
            }
        }

        /// <summary>What happened, one line per event ("session 2: 451 at RcptTo"), for test failure messages.</summary>
        public IReadOnlyList<string> Events
        {
            get
            {
                lock (_events)
                {
                    return _events.ToArray();
                }
            }
        }

        /// <summary>Drop the connection at <paramref name="stage"/> the next <paramref name="times"/> times it is reached.</summary>
        public Fault Drop(FaultStage stage, int times = 1) => Arm(new Fault(stage, 0, times));

        /// <summary>Answer <paramref name="code"/> at <paramref name="stage"/> the next <paramref name="times"/> times it is reached.</summary>
        public Fault Reply(FaultStage stage, int code, int times = 1)
        {
            if (stage == FaultStage.MidData)
            {
                throw new ArgumentException("Nothing is answered in the middle of the data; use Drop.", nameof(stage));
            }

            if (code < 400 || code > 599)
            {
                throw new ArgumentOutOfRangeException(nameof(code), code, "A fault reply is a 4xx or 5xx code.");
            }

            return Arm(new Fault(stage, code, times));
        }

        /// <summary>Forgets the faults, the accepted messages and the events.</summary>
        public void Reset()
        {
            lock (_faults)
            {
                _faults.Clear();
            }

            lock (_accepted)
            {
                _accepted.Clear();
            }

            lock (_events)
            {
                _events.Clear();
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_open)
            {
                foreach (Socket socket in _open)
                {
                    socket.Dispose();
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

        private Fault Arm(Fault fault)
        {
            if (fault.Times < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(fault), fault.Times, "A fault strikes at least once.");
            }

            fault.Remaining = fault.Times;
            lock (_faults)
            {
                _faults.Add(fault);
            }

            return fault;
        }

        /// <summary>The fault armed for this stage, if any is left; taking it uses one of its times.</summary>
        private Fault? Take(FaultStage stage)
        {
            lock (_faults)
            {
                Fault? fault = _faults.FirstOrDefault(f => f.Stage == stage && f.Remaining > 0);
                if (fault != null)
                {
                    fault.Remaining--;
                }

                return fault;
            }
        }

        private void Record(int session, string text)
        {
            lock (_events)
            {
                _events.Add($"session {session}: {text}");
            }
        }

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (SocketException)
                {
                    continue;
                }

                lock (_open)
                {
                    _open.Add(socket);
                }

                int session = Interlocked.Increment(ref _sessions);
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await ServeAsync(socket, session).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException || ex is SocketException || ex is ObjectDisposedException || ex is OperationCanceledException)
                    {
                        Record(session, "connection ended by the client: " + ex.GetType().Name);
                    }
                    finally
                    {
                        lock (_open)
                        {
                            _open.Remove(socket);
                        }

                        socket.Dispose();
                    }
                });
            }
        }

        private async Task ServeAsync(Socket socket, int session)
        {
            CancellationToken token = _stop.Token;
            using var network = new NetworkStream(socket, ownsSocket: false);
            if (Silent)
            {
                Record(session, "silent: no greeting");
                // Read and drop whatever comes (a ClientHello, an EHLO) until the client gives up.
                var sink = new byte[4096];
                while (await network.ReadAsync(sink.AsMemory(), token).ConfigureAwait(false) > 0)
                {
                }

                Record(session, "client closed the connection");
                return;
            }

            Stream stream = network;
            SslStream? tls = null;
            if (TlsCertificate != null)
            {
                tls = new SslStream(network, leaveInnerStreamOpen: true);
                try
                {
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = TlsCertificate,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    }, token).ConfigureAwait(false);
                }
                catch (AuthenticationException ex)
                {
                    Record(session, "TLS handshake failed: " + ex.Message);
                    tls.Dispose();
                    return;
                }

                Record(session, "TLS on connect: " + tls.SslProtocol);
                stream = tls;
            }

            using var ownedTls = tls;
            var reader = new LineReader(stream);
            bool authenticated = false;

            async Task Send(string line) => await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), token).ConfigureAwait(false);

            // What a fault did: nothing (none armed), answered in place of the command's reply, or ended the session.
            async Task<Struck> Strike(FaultStage stage)
            {
                Fault? fault = Take(stage);
                if (fault == null)
                {
                    return Struck.No;
                }

                Record(session, fault.ToString());
                if (fault.IsDrop)
                {
                    Abort(socket);
                    return Struck.Closed;
                }

                await Send($"{fault.ReplyCode} {EnhancedCode(fault.ReplyCode)} Fault injected at {stage}").ConfigureAwait(false);
                if (fault.ReplyCode == 421 || stage == FaultStage.Connect)
                {
                    // 421 closes the channel (RFC 5321 3.8); a refused greeting leaves nothing to talk about.
                    socket.Shutdown(SocketShutdown.Both);
                    return Struck.Closed;
                }

                return Struck.Replied;
            }

            if (await Strike(FaultStage.Connect).ConfigureAwait(false) != Struck.No)
            {
                return;
            }

            await Send("220 fault.test ESMTP G5Mail fault-injecting test server").ConfigureAwait(false);
            string from = string.Empty;
            var recipients = new List<string>();
            while (true)
            {
                string? line = await reader.ReadLineAsync(token).ConfigureAwait(false);
                if (line == null)
                {
                    Record(session, "client closed the connection");
                    return;
                }

                string verb = line.Split(' ', 2)[0].ToUpperInvariant();
                Struck struck;
                switch (verb)
                {
                    case "EHLO":
                    case "HELO":
                        struck = await Strike(FaultStage.Ehlo).ConfigureAwait(false);
                        if (struck == Struck.Closed) return;
                        if (struck == Struck.Replied) break;
                        if (verb == "EHLO")
                        {
                            await Send("250-fault.test Hello").ConfigureAwait(false);
                            await Send("250-8BITMIME").ConfigureAwait(false);
                            if (Account != null)
                            {
                                await Send("250-AUTH " + string.Join(" ", AuthMechanisms)).ConfigureAwait(false);
                            }

                            await Send("250 ENHANCEDSTATUSCODES").ConfigureAwait(false);
                        }
                        else
                        {
                            await Send("250 fault.test Hello").ConfigureAwait(false);
                        }

                        break;
                    case "AUTH":
                        if (Account == null || authenticated)
                        {
                            await Send("503 5.5.1 AUTH not available").ConfigureAwait(false);
                            break;
                        }

                        (string mechanism, string? user, string? password) = await ReadAuthAsync(line, reader, Send, token).ConfigureAwait(false);
                        if (mechanism.Length == 0)
                        {
                            await Send("504 5.5.4 Unrecognized authentication type").ConfigureAwait(false);
                            break;
                        }

                        if (AuthReply != 0)
                        {
                            Interlocked.Increment(ref _failedLogins);
                            lock (_logins)
                            {
                                _logins.Add($"{mechanism} {user} {AuthReply}");
                            }

                            await Send($"{AuthReply} {AuthReply / 100}.7.0 Temporary authentication failure").ConfigureAwait(false);
                            break;
                        }

                        authenticated = user == Account.UserName && password == Account.Password;
                        Interlocked.Increment(ref authenticated ? ref _successfulLogins : ref _failedLogins);
                        lock (_logins)
                        {
                            _logins.Add($"{mechanism} {user} {(authenticated ? "ok" : "failed")}");
                        }

                        Record(session, $"AUTH {mechanism} {user}: {(authenticated ? "ok" : "failed")}");
                        await Send(authenticated ? "235 2.7.0 Authentication successful" : "535 5.7.8 Authentication credentials invalid").ConfigureAwait(false);
                        break;
                    case "MAIL":
                        if (Account != null && !authenticated)
                        {
                            await Send("530 5.7.0 Authentication required").ConfigureAwait(false);
                            break;
                        }

                        struck = await Strike(FaultStage.MailFrom).ConfigureAwait(false);
                        if (struck == Struck.Closed) return;
                        if (struck == Struck.Replied) break;
                        from = Address(line);
                        recipients.Clear();
                        await Send("250 2.1.0 Sender OK").ConfigureAwait(false);
                        break;
                    case "RCPT":
                        struck = await Strike(FaultStage.RcptTo).ConfigureAwait(false);
                        if (struck == Struck.Closed) return;
                        if (struck == Struck.Replied) break;
                        recipients.Add(Address(line));
                        await Send("250 2.1.5 Recipient OK").ConfigureAwait(false);
                        break;
                    case "DATA":
                        if (recipients.Count == 0)
                        {
                            await Send("503 5.5.1 No valid recipients").ConfigureAwait(false);
                            break;
                        }

                        struck = await Strike(FaultStage.Data).ConfigureAwait(false);
                        if (struck == Struck.Closed) return;
                        if (struck == Struck.Replied) break;
                        await Send("354 End data with <CR><LF>.<CR><LF>").ConfigureAwait(false);
                        Fault? midData = Take(FaultStage.MidData);
                        byte[]? data = await reader.ReadDataAsync(midData != null ? MidDataBytes : -1, token).ConfigureAwait(false);
                        if (data == null)
                        {
                            if (midData != null)
                            {
                                Record(session, midData + $" after {MidDataBytes} bytes");
                                Abort(socket);
                            }
                            else
                            {
                                Record(session, "client closed the connection in the middle of the data");
                            }

                            return;
                        }

                        TimeSpan delay = ReplyDelay?.Invoke(new AcceptedMessage(session, from, recipients.ToArray(), data, replied: true)) ?? TimeSpan.Zero;
                        if (delay > TimeSpan.Zero)
                        {
                            int waiting = Interlocked.Increment(ref _waiting);
                            int peak;
                            while (waiting > (peak = Volatile.Read(ref _peakWaiting)) && Interlocked.CompareExchange(ref _peakWaiting, waiting, peak) != peak)
                            {
                            }

                            Record(session, $"waiting {delay.TotalMilliseconds:0} ms before the reply");
                            try
                            {
                                // A client waiting for the reply sends nothing: the socket turning readable with nothing to
                                // read means it gave up and closed (Poll does not consume what a client may send next).
                                DateTime until = DateTime.UtcNow + delay;
                                for (TimeSpan left = delay; left > TimeSpan.Zero; left = until - DateTime.UtcNow)
                                {
                                    await Task.Delay(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100), token).ConfigureAwait(false);
                                    if (socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0)
                                    {
                                        Record(session, "client closed the connection while waiting for the reply");
                                        return;
                                    }
                                }
                            }
                            finally
                            {
                                Interlocked.Decrement(ref _waiting);
                            }
                        }

                        Fault? end = Take(FaultStage.EndOfData);
                        if (end != null && end.IsDrop)
                        {
                            // The worst case for a client: the server kept the message and the reply never came.
                            Keep(session, from, recipients, data, replied: false);
                            Record(session, end + " (message kept, no reply)");
                            Abort(socket);
                            return;
                        }

                        if (end != null)
                        {
                            Record(session, end.ToString());
                            await Send($"{end.ReplyCode} {EnhancedCode(end.ReplyCode)} Fault injected at {FaultStage.EndOfData}").ConfigureAwait(false);
                            if (end.ReplyCode == 421)
                            {
                                socket.Shutdown(SocketShutdown.Both);
                                return;
                            }
                        }
                        else
                        {
                            int number = Keep(session, from, recipients, data, replied: true);
                            await Send($"250 2.0.0 Ok: queued as FAULT{number}").ConfigureAwait(false);
                        }

                        recipients.Clear();
                        break;
                    case "RSET":
                        recipients.Clear();
                        await Send("250 2.0.0 OK").ConfigureAwait(false);
                        break;
                    case "NOOP":
                        await Send("250 2.0.0 OK").ConfigureAwait(false);
                        break;
                    case "QUIT":
                        await Send("221 2.0.0 Bye").ConfigureAwait(false);
                        socket.Shutdown(SocketShutdown.Both);
                        return;
                    default:
                        await Send("502 5.5.2 Command not implemented").ConfigureAwait(false);
                        break;
                }
            }
        }

        /// <summary>
        /// The SASL exchange of an AUTH command (RFC 4954 4): PLAIN with or without an initial response (RFC 4616:
        /// authzid NUL authcid NUL passwd), or LOGIN (user name, then password, each base64 after a 334 prompt).
        /// Returns an empty mechanism for one it does not offer; null user/password when the client cancelled ("*").
        /// </summary>
        private async Task<(string Mechanism, string? User, string? Password)> ReadAuthAsync(string line, LineReader reader, Func<string, Task> send,
            CancellationToken token)
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string mechanism = parts.Length > 1 ? parts[1].ToUpperInvariant() : string.Empty;
            if (!AuthMechanisms.Contains(mechanism, StringComparer.OrdinalIgnoreCase))
            {
                return (string.Empty, null, null);
            }

            async Task<string?> Ask(string prompt)
            {
                await send("334 " + Convert.ToBase64String(Encoding.ASCII.GetBytes(prompt))).ConfigureAwait(false);
                string? answer = await reader.ReadLineAsync(token).ConfigureAwait(false);
                return answer == null || answer == "*" ? null : Encoding.UTF8.GetString(Convert.FromBase64String(answer));
            }

            if (mechanism == "PLAIN")
            {
                string? response = parts.Length > 2 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[2])) : await Ask(string.Empty).ConfigureAwait(false);
                string[]? fields = response?.Split('\0');
                return fields != null && fields.Length == 3 ? (mechanism, fields[1], fields[2]) : (mechanism, null, null);
            }

            if (mechanism == "LOGIN")
            {
                string? user = parts.Length > 2 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[2])) : await Ask("Username:").ConfigureAwait(false);
                string? password = user == null ? null : await Ask("Password:").ConfigureAwait(false);
                return (mechanism, user, password);
            }

            return (string.Empty, null, null);
        }

        private enum Struck
        {
            No,
            Replied,
            Closed,
        }

        private int Keep(int session, string from, List<string> recipients, byte[] data, bool replied)
        {
            lock (_accepted)
            {
                _accepted.Add(new AcceptedMessage(session, from, recipients.ToArray(), data, replied));
                Record(session, "accepted a message");
                return _accepted.Count;
            }
        }

        /// <summary>A reset, not a polite close: what a crashed server or a dropped route looks like to the client.</summary>
        private static void Abort(Socket socket)
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }

        private static string Address(string line)
        {
            int open = line.IndexOf('<');
            int close = line.IndexOf('>', open + 1);
            return open >= 0 && close > open ? line.Substring(open + 1, close - open - 1) : string.Empty;
        }

        /// <summary>An RFC 3463 enhanced status code that fits the reply (the first digit must match).</summary>
        private static string EnhancedCode(int code) => code switch
        {
            421 => "4.3.2",
            450 => "4.2.1",
            451 => "4.3.0",
            452 => "4.3.1",
            550 => "5.1.1",
            552 => "5.3.4",
            554 => "5.7.1",
            _ => code / 100 + ".0.0",
        };

        /// <summary>Reads CRLF lines and dot-terminated message data from the connection (buffered, binary-safe).</summary>
        private sealed class LineReader
        {
            private readonly Stream _stream;
            private readonly byte[] _buffer = new byte[64 * 1024];
            private int _start;
            private int _end;

            public LineReader(Stream stream)
            {
                _stream = stream;
            }

            public async Task<string?> ReadLineAsync(CancellationToken token)
            {
                byte[]? line = await ReadRawLineAsync(token, limit: 4096).ConfigureAwait(false);
                return line == null ? null : Encoding.ASCII.GetString(line);
            }

            /// <summary>
            /// The message data up to the final "." line, dot-unstuffed (RFC 5321 4.5.2), lines joined with CRLF and
            /// ending in CRLF; null when the connection ends first or when <paramref name="stopAfter"/> (>= 0) bytes
            /// arrived before the end.
            /// </summary>
            public async Task<byte[]?> ReadDataAsync(int stopAfter, CancellationToken token)
            {
                using var data = new MemoryStream();
                long received = 0;
                while (true)
                {
                    byte[]? line = await ReadRawLineAsync(token, limit: int.MaxValue).ConfigureAwait(false);
                    if (line == null)
                    {
                        return null;
                    }

                    received += line.Length + 2;
                    if (line.Length == 1 && line[0] == (byte)'.')
                    {
                        return data.ToArray();
                    }

                    if (stopAfter >= 0 && received >= stopAfter)
                    {
                        return null;
                    }

                    int skip = line.Length > 0 && line[0] == (byte)'.' ? 1 : 0;
                    data.Write(line, skip, line.Length - skip);
                    data.Write(CrLf, 0, 2);
                }
            }

            private static readonly byte[] CrLf = { (byte)'\r', (byte)'\n' };

            private async Task<byte[]?> ReadRawLineAsync(CancellationToken token, int limit)
            {
                var line = new MemoryStream();
                while (true)
                {
                    for (int i = _start; i < _end; i++)
                    {
                        if (_buffer[i] == (byte)'\n')
                        {
                            int length = i - _start;
                            line.Write(_buffer, _start, length);
                            _start = i + 1;
                            byte[] bytes = line.ToArray();
                            int trimmed = bytes.Length > 0 && bytes[^1] == (byte)'\r' ? bytes.Length - 1 : bytes.Length;
                            return bytes.AsSpan(0, trimmed).ToArray();
                        }
                    }

                    line.Write(_buffer, _start, _end - _start);
                    if (line.Length > limit)
                    {
                        throw new IOException("Line too long.");
                    }

                    _start = 0;
                    _end = await _stream.ReadAsync(_buffer.AsMemory(0, _buffer.Length), token).ConfigureAwait(false);
                    if (_end == 0)
                    {
                        return null;
                    }
                }
            }
        }
    }
}
