using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.TestServers.Tests;

/// <summary>
/// A minimal SMTP server (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) on 127.0.0.1,
/// keeping each message's envelope and raw bytes. Fast enough to start per test run; the Pester tests use smtp4dev.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    public SmtpSink()
    {
        _listener.Start();
        _accept = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<ReceivedMail> Messages { get; } = new();

    public sealed record ReceivedMail(string MailFrom, IReadOnlyList<string> RcptTo, byte[] Data);

    private async Task AcceptAsync()
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

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            NetworkStream network = client.GetStream();
            // Reads go through a buffer (messages are megabytes, read line by line); replies go straight out.
            Stream stream = new BufferedStream(network, 65536);
            async Task Reply(string line) => await network.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
            await Reply("220 sink ESMTP");
            string from = "";
            var rcpt = new List<string>();
            while (true)
            {
                string? line = await ReadLineAsync(stream);
                if (line is null) return;
                string verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await Reply("250-sink");
                        await Reply("250-8BITMIME");
                        await Reply("250 SIZE 209715200");
                        break;
                    case "HELO":
                    case "NOOP":
                        await Reply("250 OK");
                        break;
                    case "RSET":
                        from = "";
                        rcpt.Clear();
                        await Reply("250 OK");
                        break;
                    case "MAIL":
                        from = Angle(line);
                        rcpt.Clear();
                        await Reply("250 OK");
                        break;
                    case "RCPT":
                        rcpt.Add(Angle(line));
                        await Reply("250 OK");
                        break;
                    case "DATA":
                        await Reply("354 go ahead");
                        using (var data = new MemoryStream())
                        {
                            while (true)
                            {
                                string? dl = await ReadLineAsync(stream);
                                if (dl is null) return;
                                if (dl == ".") break;
                                if (dl.StartsWith('.')) dl = dl[1..]; // dot-unstuffing
                                byte[] bytes = Encoding.Latin1.GetBytes(dl + "\r\n");
                                data.Write(bytes);
                            }

                            Messages.Enqueue(new ReceivedMail(from, rcpt.ToArray(), data.ToArray()));
                        }

                        await Reply("250 queued");
                        break;
                    case "QUIT":
                        await Reply("221 bye");
                        return;
                    default:
                        await Reply("502 not implemented");
                        break;
                }
            }
        }
    }

    private static string Angle(string line)
    {
        int a = line.IndexOf('<');
        int b = line.IndexOf('>', a + 1);
        return a >= 0 && b > a ? line[(a + 1)..b] : "";
    }

    /// <summary>Reads one CRLF-terminated line as Latin-1 (byte-preserving), without the CRLF.</summary>
    private static async Task<string?> ReadLineAsync(Stream stream)
    {
        var bytes = new List<byte>(256);
        byte[] one = new byte[1];
        while (true)
        {
            int n = await stream.ReadAsync(one);
            if (n == 0) return null;
            if (one[0] == '\n')
            {
                if (bytes.Count > 0 && bytes[^1] == '\r') bytes.RemoveAt(bytes.Count - 1);
                return Encoding.Latin1.GetString(bytes.ToArray());
            }

            bytes.Add(one[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accept;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
