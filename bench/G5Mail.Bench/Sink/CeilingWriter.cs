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

namespace G5Mail.Bench.Sink;

/// <summary>
/// The fastest any client could go: a raw socket that pushes a pre-encoded message over one connection with
/// STARTTLS and AUTH PLAIN, MAIL/RCPT/DATA pipelined in one write and the message in one write (two round trips per
/// message, no MIME work). Its time shows the sink and the proxy are not what limits the clients.
/// </summary>
public static class CeilingWriter
{
    /// <summary>Dot-stuffs (RFC 5321 4.5.2) a CRLF message and appends the end marker.</summary>
    public static byte[] ToDataPayload(byte[] message)
    {
        using var output = new MemoryStream(message.Length + 1024);
        bool lineStart = true;
        foreach (byte b in message)
        {
            if (lineStart && b == (byte)'.')
            {
                output.WriteByte((byte)'.');
            }

            output.WriteByte(b);
            lineStart = b == (byte)'\n';
        }

        if (!lineStart)
        {
            output.Write("\r\n"u8);
        }

        output.Write(".\r\n"u8);
        return output.ToArray();
    }

    public static async Task<TimeSpan> RunAsync(IPEndPoint endPoint, string user, string password, string pinnedThumbprint, byte[] payload, int count, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        var network = new NetworkStream(socket, ownsSocket: false);
        var replies = new ReplyReader(network);
        await replies.ExpectAsync(220, cancellationToken).ConfigureAwait(false);
        await SendAsync(network, "EHLO ceiling\r\n", cancellationToken).ConfigureAwait(false);
        await replies.ExpectAsync(250, cancellationToken).ConfigureAwait(false);
        await SendAsync(network, "STARTTLS\r\n", cancellationToken).ConfigureAwait(false);
        await replies.ExpectAsync(220, cancellationToken).ConfigureAwait(false);

        await using var tls = new SslStream(network, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate != null && string.Equals(certificate.GetCertHashString(), pinnedThumbprint, StringComparison.OrdinalIgnoreCase),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        }, cancellationToken).ConfigureAwait(false);
        replies = new ReplyReader(tls);
        await SendAsync(tls, "EHLO ceiling\r\n", cancellationToken).ConfigureAwait(false);
        await replies.ExpectAsync(250, cancellationToken).ConfigureAwait(false);
        string plain = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + user + "\0" + password));
        await SendAsync(tls, "AUTH PLAIN " + plain + "\r\n", cancellationToken).ConfigureAwait(false);
        await replies.ExpectAsync(235, cancellationToken).ConfigureAwait(false);

        for (int i = 1; i <= count; i++)
        {
            await SendAsync(tls, $"MAIL FROM:<ceiling@bench.test> SIZE={payload.Length}\r\nRCPT TO:<r{i}@bench.test>\r\nDATA\r\n", cancellationToken).ConfigureAwait(false);
            await replies.ExpectAsync(250, cancellationToken).ConfigureAwait(false);
            await replies.ExpectAsync(250, cancellationToken).ConfigureAwait(false);
            await replies.ExpectAsync(354, cancellationToken).ConfigureAwait(false);
            await tls.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
            await replies.ExpectAsync(250, cancellationToken).ConfigureAwait(false);
        }

        await SendAsync(tls, "QUIT\r\n", cancellationToken).ConfigureAwait(false);
        await replies.ExpectAsync(221, cancellationToken).ConfigureAwait(false);
        return watch.Elapsed;
    }

    private static Task SendAsync(Stream stream, string text, CancellationToken cancellationToken) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken).AsTask();

    /// <summary>Reads SMTP replies (possibly several in one read) line by line.</summary>
    private sealed class ReplyReader
    {
        private readonly Stream _stream;
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public ReplyReader(Stream stream) => _stream = stream;

        public async Task ExpectAsync(int code, CancellationToken cancellationToken)
        {
            var lines = new List<string>();
            while (true)
            {
                string line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
                lines.Add(line);
                if (line.Length < 4 || line[3] != '-')
                {
                    break;
                }
            }

            string last = lines[^1];
            if (!last.StartsWith(code.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The sink answered '{last}', expected {code}.");
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (lf >= 0)
                {
                    string line = Encoding.ASCII.GetString(_buffer, _start, lf - _start).TrimEnd('\r');
                    _start = lf + 1;
                    return line;
                }

                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                if (_end == _buffer.Length)
                {
                    throw new InvalidOperationException("Reply line too long.");
                }

                int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException("The sink closed the connection.");
                }

                _end += read;
            }
        }
    }
}
