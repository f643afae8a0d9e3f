using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.TestServers;

/// <summary>
/// TLS in front of a plain-text IMAP server (smtp4dev's IMAP has no TLS): the tests' way to read a real IMAP server over
/// TLS on connect (the 993 style, RFC 8314 3.2) and over STARTTLS (RFC 3501 6.2.1).
/// <list type="bullet">
/// <item>TlsOnConnect: the TLS handshake comes first, then every byte is relayed both ways.</item>
/// <item>StartTls: the upstream greeting is relayed; before TLS only CAPABILITY (answered with the upstream's capabilities plus
/// STARTTLS and LOGINDISABLED, as RFC 3501 6.2.3 wants of a server that refuses LOGIN in clear), NOOP, LOGOUT and STARTTLS
/// are accepted, anything else is "BAD" (a password never crosses in clear); "tag STARTTLS" gets "tag OK", then the TLS
/// handshake, then the relay (RFC 3501 6.2.1: the client asks CAPABILITY again, and the upstream answers).</item>
/// </list>
/// Each IMAP command the client sends is noted by name only (never its arguments: a LOGIN carries the password) in
/// <see cref="Commands"/> and, when given, a log file, so a test can count login attempts.
/// Command line: imap-tls-front --upstream-port N --mode TlsOnConnect|StartTls --certificate PFX [--log PATH] [--parent-pid PID];
/// prints "G5MAIL-IMAPFRONT-READY PORT" and runs until stdin closes or the parent exits.
/// </summary>
public sealed class ImapTlsFront : IAsyncDisposable
{
    public const string ReadyPrefix = "G5MAIL-IMAPFRONT-READY";

    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly X509Certificate2 _certificate;
    private readonly bool _startTls;
    private readonly string? _logPath;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly object _gate = new();
    private readonly List<string> _commands = new();
    private int _connections;

    public ImapTlsFront(IPEndPoint upstream, X509Certificate2 certificate, bool startTls, string? logPath = null)
    {
        _upstream = upstream;
        _certificate = certificate;
        _startTls = startTls;
        _logPath = logPath;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>"C1 LOGIN", "C1 SELECT"...: connection number and command name, in order.</summary>
    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_gate)
            {
                return _commands.ToArray();
            }
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        int upstreamPort = 0;
        string? mode = null, certificatePath = null, log = null;
        int? parentPid = null;
        for (int i = 1; i < args.Length; i++)
        {
            string next = i + 1 < args.Length ? args[i + 1] : string.Empty;
            switch (args[i])
            {
                case "--upstream-port": upstreamPort = int.Parse(next); i++; break;
                case "--mode": mode = next; i++; break;
                case "--certificate": certificatePath = next; i++; break;
                case "--log": log = next; i++; break;
                case "--parent-pid": parentPid = int.Parse(next); i++; break;
                default:
                    Console.Error.WriteLine($"Unknown argument '{args[i]}'.");
                    return 2;
            }
        }

        if (upstreamPort <= 0 || certificatePath is null || (mode != "TlsOnConnect" && mode != "StartTls"))
        {
            Console.Error.WriteLine("Usage: imap-tls-front --upstream-port N --mode TlsOnConnect|StartTls --certificate PFX [--log PATH] [--parent-pid PID]");
            return 2;
        }

        using X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, null, X509KeyStorageFlags.EphemeralKeySet);
        await using var front = new ImapTlsFront(new IPEndPoint(IPAddress.Loopback, upstreamPort), certificate, mode == "StartTls", log);
        Console.Out.WriteLine($"{ReadyPrefix} {front.Port}");
        Console.Out.Flush();
        Task stdinClosed = Task.Run(() => Console.In.ReadToEnd());
        Task parentGone = parentPid is int pid ? WaitForExitAsync(pid) : Task.Delay(Timeout.Infinite);
        await Task.WhenAny(stdinClosed, parentGone);
        return 0;
    }

    private static async Task WaitForExitAsync(int pid)
    {
        try
        {
            using Process parent = Process.GetProcessById(pid);
            await parent.WaitForExitAsync();
        }
        catch (ArgumentException)
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
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            int number = Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client, number));
        }
    }

    private async Task ServeAsync(TcpClient client, int number)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(_upstream, _stop.Token);
                NetworkStream plainClient = client.GetStream();
                NetworkStream server = upstream.GetStream();
                Stream secured;
                if (_startTls)
                {
                    secured = await NegotiateStartTlsAsync(plainClient, server, number);
                }
                else
                {
                    var ssl = new SslStream(plainClient, false);
                    await ssl.AuthenticateAsServerAsync(_certificate, false, false);
                    secured = ssl;
                }

                await using (secured)
                {
                    await RelayAsync(secured, server, number);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                // A client that went away or failed the handshake (the untrusted-certificate tests): nothing to relay.
            }
        }
    }

    private async Task<Stream> NegotiateStartTlsAsync(NetworkStream client, NetworkStream server, int number)
    {
        await WriteLineAsync(client, await ReadLineAsync(server)); // the greeting
        while (true)
        {
            string? line = await ReadLineAsync(client);
            if (line is null)
            {
                throw new IOException("The client left before STARTTLS.");
            }

            string[] words = line.Split(' ', 3);
            string tag = words[0];
            string command = words.Length > 1 ? words[1].ToUpperInvariant() : string.Empty;
            Note(number, command + " (before TLS)");
            switch (command)
            {
                case "CAPABILITY":
                    await WriteLineAsync(server, line);
                    while (true)
                    {
                        string answer = await ReadLineAsync(server) ?? throw new IOException("The upstream server left.");
                        if (answer.StartsWith("* CAPABILITY ", StringComparison.OrdinalIgnoreCase))
                        {
                            answer += " STARTTLS LOGINDISABLED";
                        }

                        await WriteLineAsync(client, answer);
                        if (answer.StartsWith(tag + " ", StringComparison.Ordinal))
                        {
                            break;
                        }
                    }

                    break;
                case "NOOP":
                    await WriteLineAsync(client, $"{tag} OK NOOP completed");
                    break;
                case "LOGOUT":
                    await WriteLineAsync(client, "* BYE logging out");
                    await WriteLineAsync(client, $"{tag} OK LOGOUT completed");
                    throw new IOException("Logged out before STARTTLS.");
                case "STARTTLS":
                    await WriteLineAsync(client, $"{tag} OK Begin TLS negotiation now");
                    var ssl = new SslStream(client, false);
                    await ssl.AuthenticateAsServerAsync(_certificate, false, false);
                    return ssl;
                default:
                    await WriteLineAsync(client, $"{tag} BAD STARTTLS first: this server takes no command in clear text");
                    break;
            }
        }
    }

    private async Task RelayAsync(Stream client, NetworkStream server, int number)
    {
        Task up = CopyCommandsAsync(client, server, number);
        Task down = server.CopyToAsync(client, _stop.Token);
        await Task.WhenAny(up, down);
    }

    /// <summary>
    /// Client to server, noting each command's name (the first word after the tag). A line that ends in a literal ({n},
    /// RFC 3501 4.3; {n+}, RFC 7888) is followed by n bytes of data and then the rest of the same command: neither is a
    /// new command, so neither is looked at (a LOGIN's password may travel as a literal).
    /// </summary>
    private async Task CopyCommandsAsync(Stream client, NetworkStream server, int number)
    {
        var buffer = new byte[16384];
        var head = new StringBuilder();
        var tail = new StringBuilder();
        bool commandStart = true;
        long literal = 0;
        int read;
        while ((read = await client.ReadAsync(buffer, _stop.Token)) > 0)
        {
            for (int i = 0; i < read; i++)
            {
                if (literal > 0)
                {
                    literal--;
                    continue;
                }

                char c = (char)buffer[i];
                if (c != '\n')
                {
                    if (head.Length < 64)
                    {
                        head.Append(c);
                    }

                    tail.Append(c);
                    if (tail.Length > 24)
                    {
                        tail.Remove(0, tail.Length - 24);
                    }

                    continue;
                }

                if (commandStart)
                {
                    NoteCommandLine(number, head.ToString());
                }

                var match = System.Text.RegularExpressions.Regex.Match(tail.ToString(), @"\{(\d+)\+?\}\r?$");
                literal = match.Success ? long.Parse(match.Groups[1].Value) : 0;
                commandStart = !match.Success;
                head.Clear();
                tail.Clear();
            }

            await server.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }

    private void NoteCommandLine(int number, string line)
    {
        string[] words = line.TrimEnd('\r').Split(' ', 3);
        if (words.Length >= 2 && words[0].Length > 0)
        {
            string name = words[1].ToUpperInvariant();
            if (name == "UID" && words.Length > 2)
            {
                name += " " + words[2].Split(' ')[0].ToUpperInvariant();
            }

            Note(number, name);
        }
    }

    private void Note(int number, string command)
    {
        string entry = $"C{number} {command}";
        lock (_gate)
        {
            _commands.Add(entry);
            if (_logPath != null)
            {
                File.AppendAllText(_logPath, entry + Environment.NewLine);
            }
        }
    }

    private static async Task<string?> ReadLineAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            int read = await stream.ReadAsync(one);
            if (read == 0)
            {
                return bytes.Count == 0 ? null : Encoding.UTF8.GetString(bytes.ToArray());
            }

            if (one[0] == '\n')
            {
                return Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r');
            }

            bytes.Add(one[0]);
        }
    }

    private static Task WriteLineAsync(Stream stream, string? line) =>
        stream.WriteAsync(Encoding.UTF8.GetBytes((line ?? string.Empty) + "\r\n")).AsTask();

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception)
        {
            // Stopping.
        }

        _stop.Dispose();
    }
}
