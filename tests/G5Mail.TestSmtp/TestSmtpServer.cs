using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.TestSmtp
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
        /// <summary>In the middle of the message data (after <see cref="TestSmtpServer.MidDataBytes"/> bytes): drops only.</summary>
        MidData,
        /// <summary>After the final dot, instead of the reply. A drop here first keeps the message (the worst case: the server took it).</summary>
        EndOfData,
    }

    /// <summary>What the server does with a new connection before any SMTP.</summary>
    public enum ConnectBehaviour
    {
        /// <summary>Speaks SMTP (after TLS, with <see cref="TestSmtpServer.TlsCertificate"/>).</summary>
        Smtp,

        /// <summary>
        /// Accepts the connection (the kernel does) and never says a word, reading and dropping whatever comes: a relay
        /// that hangs, or a firewall that lets the handshake through and then drops every packet.
        /// </summary>
        Silent,

        /// <summary>Closes the connection at once.</summary>
        CloseAtOnce,

        /// <summary>Answers like a web server (HTTP/1.1 400), then waits: something that is not a mail server.</summary>
        NotSmtp,
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

    /// <summary>A message the server accepted (received up to the final dot and kept), with its envelope and data.</summary>
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
            Sha256 = Convert.ToHexString(SHA256.HashData(data));
        }

        public int Session { get; }
        public string From { get; }
        public IReadOnlyList<string> Recipients { get; }

        /// <summary>The message as the client meant it: dot-unstuffed (RFC 5321 4.5.2), without the final dot line.</summary>
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

    /// <summary>One message the server took: when its final dot arrived (Stopwatch ticks), its size on the wire, its connection.</summary>
    public readonly record struct SinkMessage(long Timestamp, long Bytes, int Connection);

    /// <summary>What arrived since the last <see cref="TestSmtpServer.Reset"/>.</summary>
    public sealed record SinkSnapshot(IReadOnlyList<SinkMessage> Messages, int Connections, int Authentications, int Rejections);

    /// <summary>
    /// The SMTP server of the tests and the benchmark, on 127.0.0.1 and a free port. It speaks RFC 5321 (greeting,
    /// EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT), RFC 3207 (STARTTLS) or TLS from the first
    /// byte (RFC 8314 3.3), RFC 4954 AUTH with PLAIN (RFC 4616) and LOGIN, RFC 1870 SIZE and RFC 2920 PIPELINING, and
    /// everything about it is configurable before <see cref="Start"/> returns it:
    /// <list type="bullet">
    /// <item>scripted behaviour: the greeting, a silent or non-SMTP peer, which capabilities EHLO offers before and after TLS;</item>
    /// <item>faults: per stage, drop the connection or answer an error code the next N times (<see cref="Drop"/>, <see cref="Reply"/>),
    /// hold replies (<see cref="ReplyDelay"/>), refuse logins, count every login;</item>
    /// <item>the fast path of the benchmark: every reply to a pipelined group leaves in one write with TCP_NODELAY (a server
    /// that answers MAIL/RCPT in separate small writes without it stalls a pipelining client ~40 ms per message, Nagle's
    /// algorithm waiting for the client's delayed ACK), data is read in large buffers and scanned for CRLF.CRLF with a
    /// vectorised search, and with <see cref="KeepMessages"/> off it is discarded.</item>
    /// </list>
    /// </summary>
    public sealed class TestSmtpServer : IDisposable
    {
        private const int BufferSize = 256 * 1024;
        private const int MaxCommandLine = 8 * 1024;
        private static readonly byte[] EndOfData = "\r\n.\r\n"u8.ToArray();

        private readonly Socket _listener;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly object _gate = new object();
        private readonly List<Fault> _faults = new List<Fault>();
        private readonly List<AcceptedMessage> _accepted = new List<AcceptedMessage>();
        private readonly List<SinkMessage> _received = new List<SinkMessage>();
        private readonly List<string> _events = new List<string>();
        private readonly List<string> _logins = new List<string>();
        private readonly List<string> _verbs = new List<string>();
        private readonly List<Socket> _open = new List<Socket>();
        private SslStreamCertificateContext? _tlsContext;
        private Thread? _acceptLoop;
        private int _sessions;
        private int _connectionsSinceReset;
        private int _failedLogins;
        private int _successfulLogins;
        private int _authenticationsSinceReset;
        private int _rejections;
        private int _waiting;
        private int _peakWaiting;

        private TestSmtpServer()
        {
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(512);
            EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        }

        /// <summary>Configures a server on 127.0.0.1 on a free port and starts accepting connections.</summary>
        public static TestSmtpServer Start(Action<TestSmtpServer>? configure = null)
        {
            var server = new TestSmtpServer();
            configure?.Invoke(server);
            // Threads of its own, not the thread pool: a test that blocks pool threads (synchronous sends on several
            // connections) must not delay the server's replies past the client's timeouts.
            server._acceptLoop = new Thread(server.AcceptLoop) { IsBackground = true, Name = "TestSmtpServer " + server.Port };
            server._acceptLoop.Start();
            return server;
        }

        /// <summary>
        /// The benchmark's sink: STARTTLS with <paramref name="certificate"/>, AUTH once TLS is active for
        /// <paramref name="account"/> (null: anyone may send, as to the Graph stand-in's relay), PIPELINING, SIZE 1 GiB,
        /// and every message counted and discarded.
        /// </summary>
        public static TestSmtpServer StartSink(X509Certificate2 certificate, NetworkCredential? account) => Start(s =>
        {
            s.StartTlsCertificate = certificate;
            s.Account = account;
            s.Pipelining = true;
            s.MaxMessageSize = 1L << 30;
            s.KeepMessages = false;
        });

        public IPEndPoint EndPoint { get; }

        public int Port => EndPoint.Port;

        public string Host => "127.0.0.1";

        // ---- What the server is ----

        public ConnectBehaviour OnConnect { get; set; } = ConnectBehaviour.Smtp;

        /// <summary>Shorthand for <see cref="ConnectBehaviour.Silent"/>.</summary>
        public bool Silent
        {
            get => OnConnect == ConnectBehaviour.Silent;
            set => OnConnect = value ? ConnectBehaviour.Silent : ConnectBehaviour.Smtp;
        }

        /// <summary>The greeting line; one that is not 220 is followed by closing the connection.</summary>
        public string Greeting { get; set; } = "220 g5mail.test ESMTP G5Mail test server";

        /// <summary>
        /// Speak TLS from the first byte (as on port 465, RFC 8314 3.3) with this certificate, on whatever port the server
        /// has: a client that waits for a plain greeting waits in vain, since the server waits for its ClientHello.
        /// </summary>
        public X509Certificate2? TlsCertificate { get; set; }

        /// <summary>Offer STARTTLS (RFC 3207) with this certificate.</summary>
        public X509Certificate2? StartTlsCertificate { get; set; }

        /// <summary>
        /// The one account AUTH accepts (user name as the client must send it, e.g. "EXAMPLE\\anna"). With an account set,
        /// MAIL before a successful AUTH gets 530 (RFC 4954 6); without one the server relays for anyone.
        /// </summary>
        public NetworkCredential? Account { get; set; }

        /// <summary>
        /// The mechanisms EHLO offers before TLS is active. Default: PLAIN and LOGIN when an <see cref="Account"/> is set and
        /// no STARTTLS is offered, none otherwise (a server that offers STARTTLS wants the password encrypted).
        /// </summary>
        public string[]? AuthBeforeTls { get; set; }

        /// <summary>The mechanisms EHLO offers once TLS is active. Default: PLAIN and LOGIN when an <see cref="Account"/> is set.</summary>
        public string[]? AuthAfterTls { get; set; }

        /// <summary>Sets the mechanisms offered before and after TLS alike; PLAIN (RFC 4616) and LOGIN are implemented.</summary>
        public string[] AuthMechanisms
        {
            get => AuthAfterTls ?? DefaultMechanisms;
            set => AuthBeforeTls = AuthAfterTls = value;
        }

        /// <summary>A reply that every AUTH gets instead of a verdict on the password (e.g. 454, RFC 4954 6); 0 for none.</summary>
        public int AuthReply { get; set; }

        /// <summary>Announced as "SIZE n" (RFC 1870) and enforced on MAIL FROM SIZE=; null announces nothing.</summary>
        public long? MaxMessageSize { get; set; }

        /// <summary>An EHLO line to announce instead of the one <see cref="MaxMessageSize"/> makes (for malformed announcements).</summary>
        public string? SizeKeyword { get; set; }

        /// <summary>Announce PIPELINING (RFC 2920). Off by default, so a client waits for each reply and a fault lands exactly at its stage.</summary>
        public bool Pipelining { get; set; }

        /// <summary>Keep every accepted message's envelope and data (<see cref="Accepted"/>); off for the benchmark, which only counts.</summary>
        public bool KeepMessages { get; set; } = true;

        // ---- Faults ----

        /// <summary>How many bytes of message data a <see cref="FaultStage.MidData"/> drop lets through first.</summary>
        public int MidDataBytes { get; set; } = 16 * 1024;

        /// <summary>
        /// How long the server thinks after a message's final dot before it keeps the message and replies (a relay that
        /// scans mail), per message; null or zero for no wait. Lets tests hold messages in the air on several connections.
        /// </summary>
        public Func<AcceptedMessage, TimeSpan>? ReplyDelay { get; set; }

        /// <summary>
        /// Replies at once to the first <paramref name="messages"/> messages and holds the reply to every later one for
        /// <paramref name="delay"/> (a <see cref="ReplyDelay"/> that PowerShell tests can set without a delegate).
        /// </summary>
        public void HoldRepliesAfter(int messages, TimeSpan delay)
        {
            int seen = 0;
            ReplyDelay = _ => Interlocked.Increment(ref seen) > messages ? delay : TimeSpan.Zero;
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

        // ---- What happened ----

        /// <summary>Connections accepted so far (one per attempt for a client that reconnects).</summary>
        public int Sessions => Volatile.Read(ref _sessions);

        /// <summary>AUTH attempts that failed (each one a failed login in the server's log, and towards a lockout).</summary>
        public int FailedLogins => Volatile.Read(ref _failedLogins);

        /// <summary>AUTH attempts that succeeded.</summary>
        public int SuccessfulLogins => Volatile.Read(ref _successfulLogins);

        /// <summary>Every AUTH attempt as "MECHANISM user ok|failed", in order.</summary>
        public IReadOnlyList<string> Logins => Copy(_logins);

        /// <summary>The command verbs received, in order (never arguments: tests look for MAIL, AUTH and QUIT).</summary>
        public IReadOnlyList<string> Verbs => Copy(_verbs);

        /// <summary>Messages waiting in <see cref="ReplyDelay"/> right now.</summary>
        public int Waiting => Volatile.Read(ref _waiting);

        /// <summary>The most messages that were waiting in <see cref="ReplyDelay"/> at the same time: how many connections sent at once.</summary>
        public int PeakWaiting => Volatile.Read(ref _peakWaiting);

        /// <summary>The messages kept (with <see cref="KeepMessages"/>), in the order their final dot arrived.</summary>
        public IReadOnlyList<AcceptedMessage> Accepted => Copy(_accepted);

        /// <summary>What happened, one line per event ("session 2: 451 at RcptTo"), for test failure messages.</summary>
        public IReadOnlyList<string> Events => Copy(_events);

        /// <summary>Timestamps, sizes and counters since the last <see cref="Reset"/> (the benchmark's measurements).</summary>
        public SinkSnapshot Snapshot()
        {
            lock (_gate)
            {
                return new SinkSnapshot(_received.ToArray(), _connectionsSinceReset, _authenticationsSinceReset, _rejections);
            }
        }

        /// <summary>Waits (bounded) until <paramref name="count"/> messages have arrived since the last reset.</summary>
        public async Task<bool> WaitForMessagesAsync(int count, TimeSpan timeout)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < timeout)
            {
                lock (_gate)
                {
                    if (_received.Count >= count)
                    {
                        return true;
                    }
                }

                await Task.Delay(5).ConfigureAwait(false);
            }

            return false;
        }

        /// <summary>Forgets the faults, the messages, the events and the counters of <see cref="Snapshot"/>.</summary>
        public void Reset()
        {
            lock (_gate)
            {
                _faults.Clear();
                _accepted.Clear();
                _received.Clear();
                _events.Clear();
                _connectionsSinceReset = 0;
                _authenticationsSinceReset = 0;
                _rejections = 0;
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
            lock (_open)
            {
                foreach (Socket socket in _open)
                {
                    socket.Dispose();
                }
            }

            try
            {
                _acceptLoop?.Join(TimeSpan.FromSeconds(5));
            }
            catch (ThreadStateException)
            {
                // Never started: nothing to wait for.
            }
        }

        private static readonly string[] DefaultMechanisms = { "PLAIN", "LOGIN" };

        /// <summary>What EHLO offers for AUTH now.</summary>
        private string[] OfferedMechanisms(bool secure)
        {
            if (secure)
            {
                return AuthAfterTls ?? (Account != null ? DefaultMechanisms : Array.Empty<string>());
            }

            return AuthBeforeTls ?? (Account != null && StartTlsCertificate == null ? DefaultMechanisms : Array.Empty<string>());
        }

        private IReadOnlyList<T> Copy<T>(List<T> list)
        {
            lock (_gate)
            {
                return list.ToArray();
            }
        }

        private Fault Arm(Fault fault)
        {
            if (fault.Times < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(fault), fault.Times, "A fault strikes at least once.");
            }

            fault.Remaining = fault.Times;
            lock (_gate)
            {
                _faults.Add(fault);
            }

            return fault;
        }

        /// <summary>The fault armed for this stage, if any is left; taking it uses one of its times.</summary>
        private Fault? Take(FaultStage stage)
        {
            lock (_gate)
            {
                if (_faults.Count == 0)
                {
                    return null;
                }

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
            lock (_gate)
            {
                _events.Add($"session {session}: {text}");
            }
        }

        private void Login(int session, string mechanism, string? user, bool ok, string verdict)
        {
            Interlocked.Increment(ref ok ? ref _successfulLogins : ref _failedLogins);
            lock (_gate)
            {
                _logins.Add($"{mechanism} {user} {verdict}");
                if (ok)
                {
                    _authenticationsSinceReset++;
                }
            }

            Record(session, $"AUTH {mechanism} {user}: {verdict}");
        }

        private void Rejected()
        {
            lock (_gate)
            {
                _rejections++;
            }
        }

        private int Keep(int session, string from, IReadOnlyList<string> recipients, byte[]? data, long bytes, bool replied)
        {
            long now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                _received.Add(new SinkMessage(now, bytes, session));
                if (data != null)
                {
                    _accepted.Add(new AcceptedMessage(session, from, recipients.ToArray(), data, replied));
                    _events.Add($"session {session}: accepted a message");
                }

                return _received.Count;
            }
        }

        private void AcceptLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = _listener.Accept();
                }
                catch (Exception ex) when (ex is OperationCanceledException || ex is ObjectDisposedException || ex is SocketException)
                {
                    if (_stop.IsCancellationRequested)
                    {
                        return;
                    }

                    continue;
                }

                lock (_open)
                {
                    _open.Add(socket);
                }

                int session = Interlocked.Increment(ref _sessions);
                lock (_gate)
                {
                    _connectionsSinceReset++;
                }

                new Thread(() =>
                {
                    try
                    {
                        Serve(socket, session);
                    }
                    catch (Exception ex) when (ex is IOException || ex is SocketException || ex is ObjectDisposedException || ex is OperationCanceledException
                                               || ex is AuthenticationException)
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
                }) { IsBackground = true, Name = $"TestSmtpServer {Port} session {session}" }.Start();
            }
        }

        private void Serve(Socket socket, int session)
        {
            socket.NoDelay = true;
            using var network = new NetworkStream(socket, ownsSocket: false);
            switch (OnConnect)
            {
                case ConnectBehaviour.CloseAtOnce:
                    Record(session, "closed at once");
                    return;
                case ConnectBehaviour.NotSmtp:
                    network.Write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
                    Drain(network);
                    return;
                case ConnectBehaviour.Silent:
                    Record(session, "silent: no greeting");
                    Drain(network);
                    Record(session, "client closed the connection");
                    return;
            }

            Stream stream = network;
            if (TlsCertificate != null)
            {
                var tls = new SslStream(network, leaveInnerStreamOpen: true);
                try
                {
                    tls.AuthenticateAsServer(TlsOptions(TlsCertificate));
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

            var connection = new Connection(this, socket, stream, session, secure: TlsCertificate != null);
            try
            {
                connection.Run();
            }
            finally
            {
                connection.Dispose();
            }
        }

        /// <summary>Reads and drops whatever comes (a ClientHello, an EHLO) until the client gives up.</summary>
        private static void Drain(Stream stream)
        {
            var sink = new byte[4096];
            while (stream.Read(sink) > 0)
            {
            }
        }

        private SslServerAuthenticationOptions TlsOptions(X509Certificate2 certificate)
        {
            // One prepared context per server: no chain building per handshake (the benchmark opens many).
            SslStreamCertificateContext context = LazyInitializer.EnsureInitialized(ref _tlsContext,
                () => SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true));
            return new SslServerAuthenticationOptions
            {
                ServerCertificateContext = context,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateRequired = false,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            };
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
            454 => "4.7.0",
            550 => "5.1.1",
            552 => "5.3.4",
            554 => "5.7.1",
            _ => code / 100 + ".0.0",
        };

        /// <summary>What a fault did: nothing (none armed), answered in place of the command's reply, or ended the session.</summary>
        private enum Struck
        {
            No,
            Replied,
            Closed,
        }

        /// <summary>
        /// One SMTP session. Input is read in large buffers; replies are queued and leave in one write when the buffered
        /// input is used up (so the replies to a pipelined group go out together), before a wait, and before closing.
        /// </summary>
        private sealed class Connection : IDisposable
        {
            private readonly TestSmtpServer _server;
            private readonly Socket _socket;
            private readonly int _session;
            private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            private readonly ArrayBufferWriter<byte> _replies = new ArrayBufferWriter<byte>(1024);
            private readonly List<string> _recipients = new List<string>();
            private Stream _stream;
            private int _start;
            private int _end;
            private bool _secure;
            private bool _authenticated;
            private string? _from;

            public Connection(TestSmtpServer server, Socket socket, Stream stream, int session, bool secure)
            {
                _server = server;
                _socket = socket;
                _stream = stream;
                _session = session;
                _secure = secure;
            }

            public void Run()
            {
                if (Strike(FaultStage.Connect) != Struck.No)
                {
                    return;
                }

                Reply(_server.Greeting);
                if (!_server.Greeting.StartsWith("220", StringComparison.Ordinal))
                {
                    Flush();
                    return;
                }

                while (true)
                {
                    string? line = ReadLine();
                    if (line == null)
                    {
                        _server.Record(_session, "client closed the connection");
                        return;
                    }

                    int space = line.IndexOf(' ');
                    string verb = (space < 0 ? line : line.Substring(0, space)).ToUpperInvariant();
                    lock (_server._gate)
                    {
                        _server._verbs.Add(verb);
                    }

                    if (!Command(verb, line))
                    {
                        return;
                    }
                }
            }

            /// <summary>Answers one command; false when the session is over.</summary>
            private bool Command(string verb, string line)
            {
                Struck struck;
                switch (verb)
                {
                    case "EHLO":
                    case "HELO":
                        struck = Strike(FaultStage.Ehlo);
                        if (struck != Struck.No)
                        {
                            return struck == Struck.Replied;
                        }

                        ResetTransaction();
                        if (verb == "HELO")
                        {
                            Reply("250 g5mail.test Hello");
                            return true;
                        }

                        var lines = new List<string> { "g5mail.test Hello" };
                        if (_server.Pipelining)
                        {
                            lines.Add("PIPELINING");
                        }

                        if (_server.SizeKeyword != null)
                        {
                            lines.Add(_server.SizeKeyword);
                        }
                        else if (_server.MaxMessageSize != null)
                        {
                            lines.Add("SIZE " + _server.MaxMessageSize.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        }

                        lines.Add("8BITMIME");
                        if (_server.StartTlsCertificate != null && !_secure)
                        {
                            lines.Add("STARTTLS");
                        }

                        string[] mechanisms = _server.OfferedMechanisms(_secure);
                        if (mechanisms.Length > 0)
                        {
                            lines.Add("AUTH " + string.Join(" ", mechanisms));
                        }

                        lines.Add("ENHANCEDSTATUSCODES");
                        for (int i = 0; i < lines.Count; i++)
                        {
                            Reply("250" + (i == lines.Count - 1 ? " " : "-") + lines[i]);
                        }

                        return true;
                    case "STARTTLS":
                        if (_server.StartTlsCertificate == null || _secure)
                        {
                            Reply(_secure ? "503 5.5.1 TLS already active" : "502 5.5.2 Command not implemented");
                            return true;
                        }

                        Reply("220 2.0.0 Ready to start TLS");
                        Flush();
                        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
                        tls.AuthenticateAsServer(_server.TlsOptions(_server.StartTlsCertificate));
                        _stream = tls;
                        _secure = true;
                        _start = _end = 0; // RFC 3207 4.2: anything the client sent before the handshake is discarded
                        ResetTransaction();
                        _authenticated = false;
                        return true;
                    case "AUTH":
                        Authenticate(line);
                        return true;
                    case "MAIL":
                        if (_server.Account != null && !_authenticated)
                        {
                            _server.Rejected();
                            Reply("530 5.7.0 Authentication required");
                            return true;
                        }

                        struck = Strike(FaultStage.MailFrom);
                        if (struck != Struck.No)
                        {
                            return struck == Struck.Replied;
                        }

                        if (TooLarge(line))
                        {
                            _server.Rejected();
                            Reply("552 5.3.4 Message size exceeds fixed maximum message size");
                            return true;
                        }

                        _from = Address(line);
                        _recipients.Clear();
                        Reply("250 2.1.0 Sender OK");
                        return true;
                    case "RCPT":
                        if (_from == null)
                        {
                            Reply("503 5.5.1 MAIL first");
                            return true;
                        }

                        struck = Strike(FaultStage.RcptTo);
                        if (struck != Struck.No)
                        {
                            return struck == Struck.Replied;
                        }

                        _recipients.Add(Address(line));
                        Reply("250 2.1.5 Recipient OK");
                        return true;
                    case "DATA":
                        if (_recipients.Count == 0)
                        {
                            Reply("503 5.5.1 No valid recipients");
                            return true;
                        }

                        struck = Strike(FaultStage.Data);
                        if (struck != Struck.No)
                        {
                            return struck == Struck.Replied;
                        }

                        Reply("354 End data with <CR><LF>.<CR><LF>");
                        return ReceiveMessage();
                    case "RSET":
                        ResetTransaction();
                        Reply("250 2.0.0 OK");
                        return true;
                    case "NOOP":
                        Reply("250 2.0.0 OK");
                        return true;
                    case "QUIT":
                        Reply("221 2.0.0 Bye");
                        Flush();
                        _socket.Shutdown(SocketShutdown.Both);
                        return false;
                    default:
                        Reply("502 5.5.2 Command not implemented");
                        return true;
                }
            }

            /// <summary>The data after 354 up to the final dot, then the reply (or the fault armed for the end of data).</summary>
            private bool ReceiveMessage()
            {
                Fault? midData = _server.Take(FaultStage.MidData);
                (byte[]? data, long bytes, bool complete) = ReadData(midData != null ? _server.MidDataBytes : -1);
                if (!complete)
                {
                    if (midData != null)
                    {
                        _server.Record(_session, midData + $" after {_server.MidDataBytes} bytes");
                        Abort(_socket);
                    }
                    else
                    {
                        _server.Record(_session, "client closed the connection in the middle of the data");
                    }

                    return false;
                }

                string from = _from ?? string.Empty;
                if (_server.ReplyDelay != null)
                {
                    TimeSpan delay = _server.ReplyDelay(new AcceptedMessage(_session, from, _recipients.ToArray(), data ?? Array.Empty<byte>(), replied: true));
                    if (delay > TimeSpan.Zero && !Hold(delay))
                    {
                        return false;
                    }
                }

                Fault? end = _server.Take(FaultStage.EndOfData);
                if (end != null && end.IsDrop)
                {
                    // The worst case for a client: the server kept the message and the reply never came.
                    _server.Keep(_session, from, _recipients, data, bytes, replied: false);
                    _server.Record(_session, end + " (message kept, no reply)");
                    Flush();
                    Abort(_socket);
                    return false;
                }

                if (end != null)
                {
                    _server.Record(_session, end.ToString());
                    Reply($"{end.ReplyCode} {EnhancedCode(end.ReplyCode)} Fault injected at {FaultStage.EndOfData}");
                    if (end.ReplyCode == 421)
                    {
                        Flush();
                        _socket.Shutdown(SocketShutdown.Both);
                        return false;
                    }
                }
                else
                {
                    int number = _server.Keep(_session, from, _recipients, data, bytes, replied: true);
                    Reply("250 2.0.0 Ok: queued as TEST" + number.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                ResetTransaction();
                return true;
            }

            /// <summary>
            /// Holds the reply to a message for <paramref name="delay"/>; false when the client gave up meanwhile. A client
            /// waiting for the reply sends nothing: the socket turning readable with nothing to read means it closed.
            /// </summary>
            private bool Hold(TimeSpan delay)
            {
                Flush();
                int waiting = Interlocked.Increment(ref _server._waiting);
                int peak;
                while (waiting > (peak = Volatile.Read(ref _server._peakWaiting)) && Interlocked.CompareExchange(ref _server._peakWaiting, waiting, peak) != peak)
                {
                }

                _server.Record(_session, $"waiting {delay.TotalMilliseconds:0} ms before the reply");
                try
                {
                    DateTime until = DateTime.UtcNow + delay;
                    for (TimeSpan left = delay; left > TimeSpan.Zero; left = until - DateTime.UtcNow)
                    {
                        if (_server._stop.IsCancellationRequested)
                        {
                            return false;
                        }

                        Thread.Sleep(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
                        if (_socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0)
                        {
                            _server.Record(_session, "client closed the connection while waiting for the reply");
                            return false;
                        }
                    }

                    return true;
                }
                finally
                {
                    Interlocked.Decrement(ref _server._waiting);
                }
            }

            /// <summary>
            /// The SASL exchange of an AUTH command (RFC 4954 4): PLAIN with or without an initial response (RFC 4616:
            /// authzid NUL authcid NUL passwd), or LOGIN (user name, then password, each base64 after a 334 prompt).
            /// </summary>
            private void Authenticate(string line)
            {
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string mechanism = parts.Length > 1 ? parts[1].ToUpperInvariant() : string.Empty;
                if (_authenticated)
                {
                    Reply("503 5.5.1 Already authenticated");
                    return;
                }

                if (!_server.OfferedMechanisms(_secure).Contains(mechanism, StringComparer.OrdinalIgnoreCase))
                {
                    bool afterTls = !_secure && _server.OfferedMechanisms(secure: true).Contains(mechanism, StringComparer.OrdinalIgnoreCase);
                    Reply(afterTls ? "538 5.7.11 Encryption required for requested authentication mechanism" : "504 5.5.4 Unrecognized authentication type");
                    return;
                }

                string? Ask(string prompt)
                {
                    Reply("334 " + Convert.ToBase64String(Encoding.ASCII.GetBytes(prompt)));
                    string? answer = ReadLine();
                    return answer == null || answer == "*" ? null : Decode(answer);
                }

                string? user = null;
                string? password = null;
                if (mechanism == "PLAIN")
                {
                    string? response = parts.Length > 2 ? Decode(parts[2]) : Ask(string.Empty);
                    string[]? fields = response?.Split('\0');
                    if (fields != null && fields.Length == 3)
                    {
                        user = fields[1];
                        password = fields[2];
                    }
                }
                else if (mechanism == "LOGIN")
                {
                    user = parts.Length > 2 ? Decode(parts[2]) : Ask("Username:");
                    password = user == null ? null : Ask("Password:");
                }
                else
                {
                    // Offered (a scripted capability such as XOAUTH2) but not implemented.
                    Reply("504 5.5.4 Unrecognized authentication type");
                    return;
                }

                if (_server.AuthReply != 0)
                {
                    _server.Login(_session, mechanism, user, ok: false, _server.AuthReply.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Reply($"{_server.AuthReply} {EnhancedCode(_server.AuthReply)} Temporary authentication failure");
                    return;
                }

                NetworkCredential? account = _server.Account;
                _authenticated = account != null && user == account.UserName && password == account.Password;
                _server.Login(_session, mechanism, user, _authenticated, _authenticated ? "ok" : "failed");
                Reply(_authenticated ? "235 2.7.0 Authentication successful" : "535 5.7.8 Authentication credentials invalid");
            }

            private static string? Decode(string base64)
            {
                try
                {
                    return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
                }
                catch (FormatException)
                {
                    return null;
                }
            }

            private bool TooLarge(string line)
            {
                long? max = _server.MaxMessageSize;
                if (max == null)
                {
                    return false;
                }

                foreach (string parameter in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (parameter.StartsWith("SIZE=", StringComparison.OrdinalIgnoreCase)
                        && long.TryParse(parameter.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long size)
                        && size > max.Value)
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>Answers a fault armed for <paramref name="stage"/>, if there is one.</summary>
            private Struck Strike(FaultStage stage)
            {
                Fault? fault = _server.Take(stage);
                if (fault == null)
                {
                    return Struck.No;
                }

                _server.Record(_session, fault.ToString());
                if (fault.IsDrop)
                {
                    Flush();
                    Abort(_socket);
                    return Struck.Closed;
                }

                Reply($"{fault.ReplyCode} {EnhancedCode(fault.ReplyCode)} Fault injected at {stage}");
                if (fault.ReplyCode == 421 || stage == FaultStage.Connect)
                {
                    // 421 closes the channel (RFC 5321 3.8); a refused greeting leaves nothing to talk about.
                    Flush();
                    _socket.Shutdown(SocketShutdown.Both);
                    return Struck.Closed;
                }

                return Struck.Replied;
            }

            private void ResetTransaction()
            {
                _from = null;
                _recipients.Clear();
            }

            private void Reply(string line)
            {
                int count = Encoding.ASCII.GetByteCount(line) + 2;
                Span<byte> span = _replies.GetSpan(count);
                int written = Encoding.ASCII.GetBytes(line, span);
                span[written] = (byte)'\r';
                span[written + 1] = (byte)'\n';
                _replies.Advance(written + 2);
            }

            private void Flush()
            {
                if (_replies.WrittenCount == 0)
                {
                    return;
                }

                byte[] replies = _replies.WrittenSpan.ToArray();
                _replies.Clear();
                _stream.Write(replies);
            }

            /// <summary>Reads more input; the queued replies leave first, as the client may be waiting for them.</summary>
            private bool Fill()
            {
                Flush();
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                int read = _stream.Read(_buffer.AsSpan(_end, _buffer.Length - _end));
                _end += read;
                return read > 0;
            }

            /// <summary>The next command line without its CRLF; null when the client closed the connection.</summary>
            private string? ReadLine()
            {
                while (true)
                {
                    int lf = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                    if (lf >= 0)
                    {
                        ReadOnlySpan<byte> line = _buffer.AsSpan(_start, lf);
                        _start += lf + 1;
                        if (line.Length > 0 && line[^1] == (byte)'\r')
                        {
                            line = line[..^1];
                        }

                        return Encoding.ASCII.GetString(line);
                    }

                    if (_end - _start >= MaxCommandLine)
                    {
                        Reply("500 5.5.6 Line too long");
                        Flush();
                        return null;
                    }

                    if (!Fill())
                    {
                        return null;
                    }
                }
            }

            /// <summary>
            /// The message data up to the final "." line, scanned for CRLF.CRLF across buffer boundaries (the last bytes
            /// of a buffer are kept for the next scan). Kept dot-unstuffed (RFC 5321 4.5.2) with <see cref="KeepMessages"/>;
            /// <c>Complete</c> is false when the connection ends first or when <paramref name="stopAfter"/> (>= 0) bytes
            /// arrived before the end.
            /// </summary>
            private (byte[]? Data, long Bytes, bool Complete) ReadData(int stopAfter)
            {
                MemoryStream? kept = _server.KeepMessages ? new MemoryStream() : null;
                long bytes = 0;
                // An empty message: the final dot comes first (the CRLF before it ended the DATA line).
                while (_end - _start < 3)
                {
                    if (!Fill())
                    {
                        return (null, bytes, false);
                    }
                }

                if (_buffer.AsSpan(_start, 3).SequenceEqual(".\r\n"u8))
                {
                    _start += 3;
                    return (kept != null ? Array.Empty<byte>() : null, 0, true);
                }

                while (true)
                {
                    ReadOnlySpan<byte> data = _buffer.AsSpan(_start, _end - _start);
                    int at = data.IndexOf(EndOfData);
                    if (at >= 0)
                    {
                        // The CRLF before the dot ends the message's last line.
                        kept?.Write(data[..(at + 2)]);
                        bytes += at + 2;
                        _start += at + EndOfData.Length;
                        return (kept != null ? Unstuff(kept) : null, bytes, true);
                    }

                    int keep = Math.Min(data.Length, EndOfData.Length - 1);
                    kept?.Write(data[..(data.Length - keep)]);
                    bytes += data.Length - keep;
                    _start = _end - keep;
                    if (stopAfter >= 0 && bytes >= stopAfter)
                    {
                        return (null, bytes, false);
                    }

                    if (!Fill())
                    {
                        return (null, bytes, false);
                    }
                }
            }

            /// <summary>Removes the dot a client put before every line that starts with one (RFC 5321 4.5.2).</summary>
            private static byte[] Unstuff(MemoryStream raw)
            {
                ReadOnlySpan<byte> data = raw.GetBuffer().AsSpan(0, (int)raw.Length);
                var result = new byte[data.Length];
                int length = 0;
                bool lineStart = true;
                foreach (byte b in data)
                {
                    if (lineStart && b == (byte)'.')
                    {
                        lineStart = false;
                        continue;
                    }

                    result[length++] = b;
                    lineStart = b == (byte)'\n';
                }

                return result.AsSpan(0, length).ToArray();
            }

            public void Dispose()
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                if (!ReferenceEquals(_stream, null))
                {
                    try
                    {
                        _stream.Dispose();
                    }
                    catch (Exception ex) when (ex is IOException || ex is ObjectDisposedException || ex is SocketException)
                    {
                        // The connection is gone already.
                    }
                }
            }
        }
    }
}
