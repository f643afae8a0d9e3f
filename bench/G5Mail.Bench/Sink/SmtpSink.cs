using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Bench.Sink;

/// <summary>What the sink accepts.</summary>
public sealed class SmtpSinkOptions
{
    public SmtpSinkOptions(X509Certificate2 certificate, string userName, string password)
    {
        Certificate = certificate;
        UserName = userName;
        Password = password;
    }

    /// <summary>Server certificate with private key, for STARTTLS.</summary>
    public X509Certificate2 Certificate { get; }

    public string UserName { get; }

    public string Password { get; }

    /// <summary>Announced with SIZE (RFC 1870) and enforced on MAIL FROM SIZE=.</summary>
    public long MaxSize { get; init; } = 1L << 30;

    /// <summary>
    /// Accepts MAIL without TLS or AUTH: for the Graph stand-in's relay (line 5), which delivers what Graph "sends"
    /// over plain SMTP. Off for every client under test.
    /// </summary>
    public bool AllowAnonymous { get; init; }
}

/// <summary>One message the sink accepted: when its final dot arrived (Stopwatch ticks), its size, its connection.</summary>
public readonly record struct SinkMessage(long Timestamp, long Bytes, int Connection);

/// <summary>Counters since the last <see cref="SmtpSink.Reset"/>.</summary>
public sealed record SinkSnapshot(IReadOnlyList<SinkMessage> Messages, int Connections, int Authentications, int Rejections);

/// <summary>
/// A loopback SMTP server that accepts and discards mail as fast as a client can send it, so a benchmark measures
/// the client and not the server. What matters for that (see issue 9):
/// - TCP_NODELAY on every connection, and every reply to a pipelined group (RFC 2920) leaves in ONE write, once the
///   buffered input is used up. A server that answers MAIL/RCPT in separate small writes without NODELAY stalls a
///   pipelining client for ~40 ms per message (Nagle's algorithm waiting for the client's delayed ACK).
/// - DATA is read in large buffers and scanned for CRLF.CRLF with a vectorised search, across buffer boundaries
///   (the last four bytes of a buffer are kept for the next scan), and then discarded.
/// - STARTTLS (RFC 3207) with a prepared certificate context (no chain building per handshake), AUTH PLAIN
///   (RFC 4616) and LOGIN (what System.Net.Mail, behind Send-MailMessage, speaks), SIZE (RFC 1870).
/// </summary>
public sealed class SmtpSink : IDisposable
{
    private const int BufferSize = 256 * 1024;
    private const int MaxCommandLine = 8 * 1024;
    private static readonly byte[] EndOfData = "\r\n.\r\n"u8.ToArray();

    private readonly SmtpSinkOptions _options;
    private readonly SslStreamCertificateContext _certificateContext;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly List<SinkMessage> _messages = new();
    private int _connections;
    private int _authentications;
    private int _rejections;
    private int _nextConnectionId;
    private Task? _acceptLoop;

    public SmtpSink(SmtpSinkOptions options)
    {
        _options = options;
        _certificateContext = SslStreamCertificateContext.Create(options.Certificate, additionalCertificates: null, offline: true);
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public void Start() => _acceptLoop = AcceptLoopAsync(_stop.Token);

    /// <summary>Forgets the messages and counters so far (between benchmark runs).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _messages.Clear();
            _connections = 0;
            _authentications = 0;
            _rejections = 0;
        }
    }

    public SinkSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new SinkSnapshot(_messages.ToArray(), _connections, _authentications, _rejections);
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
                if (_messages.Count >= count)
                {
                    return true;
                }
            }

            await Task.Delay(5).ConfigureAwait(false);
        }

        return false;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _acceptLoop?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener; nothing to report.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException || ex is ObjectDisposedException || ex is SocketException)
            {
                return;
            }

            int id = Interlocked.Increment(ref _nextConnectionId);
            lock (_gate)
            {
                _connections++;
            }

            _ = Task.Run(() => RunSessionAsync(socket, id, cancellationToken), CancellationToken.None);
        }
    }

    private async Task RunSessionAsync(Socket socket, int connectionId, CancellationToken cancellationToken)
    {
        socket.NoDelay = true;
        var network = new NetworkStream(socket, ownsSocket: true);
        Stream stream = network;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var session = new Session(this, connectionId);
        try
        {
            int start = 0;
            int end = 0;
            session.Reply("220 g5mail-bench ESMTP ready");
            while (true)
            {
                Next next = session.Consume(buffer, ref start, end);
                if (session.HasReplies)
                {
                    // Everything buffered is answered: the replies to a pipelined group leave in one write.
                    await stream.WriteAsync(session.TakeReplies(), cancellationToken).ConfigureAwait(false);
                }

                if (next == Next.Quit)
                {
                    return;
                }

                if (next == Next.StartTls)
                {
                    var tls = new SslStream(network, leaveInnerStreamOpen: false);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = _certificateContext,
                        ClientCertificateRequired = false,
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    }, cancellationToken).ConfigureAwait(false);
                    stream = tls;
                    session.Secured();
                    start = end = 0; // RFC 3207: anything pipelined after STARTTLS is discarded
                    continue;
                }

                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }

                if (!session.InData && end >= MaxCommandLine)
                {
                    session.Reply("500 5.5.6 Line too long");
                    await stream.WriteAsync(session.TakeReplies(), cancellationToken).ConfigureAwait(false);
                    return;
                }

                int read = await stream.ReadAsync(buffer.AsMemory(end, buffer.Length - end), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                end += read;
            }
        }
        catch (Exception ex) when (ex is IOException || ex is SocketException || ex is AuthenticationException || ex is OperationCanceledException || ex is ObjectDisposedException)
        {
            // The client went away (Send-MailMessage often closes right after QUIT): nothing to do.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Accepted(long bytes, int connectionId)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _messages.Add(new SinkMessage(now, bytes, connectionId));
        }
    }

    private void Authenticated()
    {
        lock (_gate)
        {
            _authentications++;
        }
    }

    private void Rejected()
    {
        lock (_gate)
        {
            _rejections++;
        }
    }

    private enum Next
    {
        Read,
        StartTls,
        Quit,
    }

    private enum AuthStep
    {
        None,
        PlainResponse,
        LoginUser,
        LoginPassword,
    }

    /// <summary>The protocol state of one connection; consumes buffered bytes and queues replies.</summary>
    private sealed class Session
    {
        private readonly SmtpSink _sink;
        private readonly int _connectionId;
        private readonly ArrayBufferWriter<byte> _replies = new(1024);
        private bool _secure;
        private bool _authenticated;
        private bool _hasSender;
        private int _recipients;
        private long _dataBytes;
        private AuthStep _auth;
        private string? _loginUser;

        public Session(SmtpSink sink, int connectionId)
        {
            _sink = sink;
            _connectionId = connectionId;
        }

        public bool InData { get; private set; }

        public bool HasReplies => _replies.WrittenCount > 0;

        public ReadOnlyMemory<byte> TakeReplies()
        {
            byte[] copy = _replies.WrittenSpan.ToArray();
            _replies.Clear();
            return copy;
        }

        public void Reply(string line)
        {
            int count = Encoding.ASCII.GetByteCount(line) + 2;
            Span<byte> span = _replies.GetSpan(count);
            int written = Encoding.ASCII.GetBytes(line, span);
            span[written] = (byte)'\r';
            span[written + 1] = (byte)'\n';
            _replies.Advance(written + 2);
        }

        public void Secured()
        {
            _secure = true;
            ResetTransaction();
            _auth = AuthStep.None;
        }

        /// <summary>Consumes complete lines and message data from buffer[start..end); returns what the loop must do next.</summary>
        public Next Consume(byte[] buffer, ref int start, int end)
        {
            while (true)
            {
                if (InData)
                {
                    ReadOnlySpan<byte> data = buffer.AsSpan(start, end - start);
                    int at = data.IndexOf(EndOfData);
                    if (at < 0)
                    {
                        // Keep the last bytes: the end marker may straddle this buffer and the next read.
                        int keep = Math.Min(data.Length, EndOfData.Length - 1);
                        _dataBytes += data.Length - keep;
                        start = end - keep;
                        return Next.Read;
                    }

                    _dataBytes += at + 2; // the CRLF before the dot ends the message's last line
                    start += at + EndOfData.Length;
                    InData = false;
                    _sink.Accepted(_dataBytes, _connectionId);
                    ResetTransaction();
                    Reply("250 2.0.0 Ok: queued");
                    continue;
                }

                int lf = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (lf < 0)
                {
                    return Next.Read;
                }

                ReadOnlySpan<byte> line = buffer.AsSpan(start, lf);
                int lineStart = start;
                start += lf + 1;
                if (line.Length > 0 && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }

                Next next = Command(Encoding.ASCII.GetString(line));
                if (next == Next.StartTls)
                {
                    start = end;
                    return next;
                }

                if (next == Next.Quit)
                {
                    return next;
                }

                if (InData && start - lineStart >= 2 && buffer[start - 2] == (byte)'\r')
                {
                    // Scan from the DATA line's own CRLF, so an empty message (".\r\n" at once) is found too.
                    start -= 2;
                    _dataBytes = -2;
                }
            }
        }

        private Next Command(string line)
        {
            if (_auth != AuthStep.None)
            {
                Authenticate(line);
                return Next.Read;
            }

            int space = line.IndexOf(' ');
            string verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
            string argument = space < 0 ? string.Empty : line[(space + 1)..].Trim();
            switch (verb)
            {
                case "EHLO":
                    ResetTransaction();
                    Reply("250-g5mail-bench");
                    Reply("250-PIPELINING");
                    Reply("250-SIZE " + _sink._options.MaxSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Reply("250-8BITMIME");
                    Reply(_secure ? "250-AUTH PLAIN LOGIN" : "250-STARTTLS");
                    Reply("250 ENHANCEDSTATUSCODES");
                    return Next.Read;
                case "HELO":
                    ResetTransaction();
                    Reply("250 g5mail-bench");
                    return Next.Read;
                case "STARTTLS":
                    if (_secure)
                    {
                        Reply("503 5.5.1 TLS already active");
                        return Next.Read;
                    }

                    Reply("220 2.0.0 Ready to start TLS");
                    return Next.StartTls;
                case "AUTH":
                    StartAuthentication(argument);
                    return Next.Read;
                case "MAIL":
                    Mail(argument);
                    return Next.Read;
                case "RCPT":
                    if (!_hasSender)
                    {
                        Reply("503 5.5.1 MAIL first");
                    }
                    else
                    {
                        _recipients++;
                        Reply("250 2.1.5 Ok");
                    }

                    return Next.Read;
                case "DATA":
                    if (_recipients == 0)
                    {
                        Reply("503 5.5.1 No valid recipients");
                    }
                    else
                    {
                        InData = true;
                        _dataBytes = 0;
                        Reply("354 End data with <CR><LF>.<CR><LF>");
                    }

                    return Next.Read;
                case "RSET":
                    ResetTransaction();
                    Reply("250 2.0.0 Ok");
                    return Next.Read;
                case "NOOP":
                    Reply("250 2.0.0 Ok");
                    return Next.Read;
                case "QUIT":
                    Reply("221 2.0.0 Bye");
                    return Next.Quit;
                default:
                    Reply("502 5.5.2 Command not recognized");
                    return Next.Read;
            }
        }

        private void Mail(string argument)
        {
            if (!_authenticated && !_sink._options.AllowAnonymous)
            {
                _sink.Rejected();
                Reply("530 5.7.0 Authentication required");
                return;
            }

            foreach (string parameter in argument.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (parameter.StartsWith("SIZE=", StringComparison.OrdinalIgnoreCase) &&
                    long.TryParse(parameter.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long size) &&
                    size > _sink._options.MaxSize)
                {
                    _sink.Rejected();
                    Reply("552 5.3.4 Message size exceeds fixed maximum message size");
                    return;
                }
            }

            _hasSender = true;
            _recipients = 0;
            Reply("250 2.1.0 Ok");
        }

        private void StartAuthentication(string argument)
        {
            if (!_secure)
            {
                Reply("538 5.7.11 Encryption required for requested authentication mechanism");
                return;
            }

            if (_authenticated)
            {
                Reply("503 5.5.1 Already authenticated");
                return;
            }

            string[] parts = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            string mechanism = parts.Length > 0 ? parts[0].ToUpperInvariant() : string.Empty;
            string? initial = parts.Length > 1 ? parts[1] : null;
            switch (mechanism)
            {
                case "PLAIN":
                    if (initial == null)
                    {
                        _auth = AuthStep.PlainResponse;
                        Reply("334 ");
                    }
                    else
                    {
                        CheckPlain(initial);
                    }

                    break;
                case "LOGIN":
                    if (initial == null)
                    {
                        _auth = AuthStep.LoginUser;
                        Reply("334 VXNlcm5hbWU6"); // "Username:"
                    }
                    else
                    {
                        _loginUser = Decode(initial);
                        _auth = AuthStep.LoginPassword;
                        Reply("334 UGFzc3dvcmQ6"); // "Password:"
                    }

                    break;
                default:
                    Reply("504 5.5.4 Unrecognized authentication type");
                    break;
            }
        }

        private void Authenticate(string line)
        {
            AuthStep step = _auth;
            _auth = AuthStep.None;
            if (line == "*")
            {
                Reply("501 5.7.0 Authentication cancelled");
                return;
            }

            switch (step)
            {
                case AuthStep.PlainResponse:
                    CheckPlain(line);
                    break;
                case AuthStep.LoginUser:
                    _loginUser = Decode(line);
                    _auth = AuthStep.LoginPassword;
                    Reply("334 UGFzc3dvcmQ6");
                    break;
                case AuthStep.LoginPassword:
                    Verify(_loginUser, Decode(line));
                    break;
            }
        }

        private void CheckPlain(string response)
        {
            // RFC 4616: [authzid] NUL authcid NUL passwd
            string? decoded = Decode(response);
            string[] fields = decoded?.Split('\0') ?? Array.Empty<string>();
            if (fields.Length != 3)
            {
                Reply("501 5.5.2 Malformed PLAIN response");
                return;
            }

            Verify(fields[1], fields[2]);
        }

        private void Verify(string? user, string? password)
        {
            bool ok = user != null && password != null &&
                      string.Equals(user, _sink._options.UserName, StringComparison.Ordinal) &&
                      CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(_sink._options.Password));
            if (!ok)
            {
                _sink.Rejected();
                Reply("535 5.7.8 Authentication credentials invalid");
                return;
            }

            _authenticated = true;
            _sink.Authenticated();
            Reply("235 2.7.0 Authentication successful");
        }

        private static string? Decode(string base64)
        {
            try
            {
                return Encoding.UTF8.GetString(Convert.FromBase64String(base64.Trim()));
            }
            catch (FormatException)
            {
                return null;
            }
        }

        private void ResetTransaction()
        {
            _hasSender = false;
            _recipients = 0;
        }
    }
}
