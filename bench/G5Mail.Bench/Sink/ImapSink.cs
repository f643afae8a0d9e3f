using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using MimeKit;

namespace G5Mail.Bench.Sink;

/// <summary>
/// Line 7's IMAP server: INBOX with messages held in memory, whose FETCH answers (ENVELOPE, BODYSTRUCTURE) are rendered
/// once when a message is added, so the server is not the limit of what is measured (as the SMTP sink is not for line 1;
/// smtp4dev, which the tests use, reads and parses every message from its database for every FETCH). It speaks the
/// subset of IMAP4rev1 (RFC 3501) a read-only listing needs: CAPABILITY, LOGIN (quoted or literal arguments), LIST,
/// SELECT/EXAMINE, UID SEARCH ALL, UID FETCH of UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE and
/// BODY.PEEK[]&lt;partial&gt;, NOOP, CLOSE, LOGOUT; anything else is BAD. Loopback, plain text, any password for the one user.
/// Counts the commands it received, so a line can say how many round trips a call took.
/// </summary>
public sealed class ImapSink : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Entry> _messages = new();
    private readonly CancellationTokenSource _stop = new();
    private int _commands;
    private int _lastConnectionCommands;

    private sealed record Entry(uint Uid, byte[] Mime, DateTimeOffset InternalDate, string Envelope, string BodyStructure);

    public ImapSink()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>IMAP commands received since the last reset, every connection together.</summary>
    public int Commands => Volatile.Read(ref _commands);

    public void ResetCounts() => Interlocked.Exchange(ref _commands, 0);

    /// <summary>Commands of the connection that ended last: one Receive-G5Mail call is one connection.</summary>
    public int LastConnectionCommands => Volatile.Read(ref _lastConnectionCommands);

    public void Add(MimeMessage message, DateTimeOffset received)
    {
        using var stream = new MemoryStream();
        message.WriteTo(FormatOptions.Default.Clone(), stream);
        lock (_messages)
        {
            _messages.Add(new Entry((uint)_messages.Count + 1, stream.ToArray(), received, Envelope(message), Structure(message.Body!)));
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
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
            client.NoDelay = true;
            NetworkStream stream = client.GetStream();
            var input = new BufferedStream(stream, 65536);
            var output = new BufferedStream(stream, 65536);
            await WriteAsync(output, "* OK [CAPABILITY IMAP4rev1] G5Mail bench IMAP sink ready\r\n").ConfigureAwait(false);
            Entry[] selected = Array.Empty<Entry>();
            int commands = 0;
            try
            {
                while (await ReadCommandAsync(input, output).ConfigureAwait(false) is { } line)
                {
                    Interlocked.Increment(ref _commands);
                    commands++;
                    int space = line.IndexOf(' ');
                    string tag = space > 0 ? line[..space] : line;
                    string rest = space > 0 ? line[(space + 1)..] : string.Empty;
                    string command = rest.Split(' ')[0].ToUpperInvariant();
                    switch (command)
                    {
                        case "CAPABILITY":
                            await WriteAsync(output, $"* CAPABILITY IMAP4rev1\r\n{tag} OK CAPABILITY completed\r\n").ConfigureAwait(false);
                            break;
                        case "LOGIN":
                            await WriteAsync(output, $"{tag} OK [CAPABILITY IMAP4rev1] LOGIN completed\r\n").ConfigureAwait(false);
                            break;
                        case "NOOP":
                        case "CLOSE":
                        case "UNSELECT":
                            await WriteAsync(output, $"{tag} OK {command} completed\r\n").ConfigureAwait(false);
                            break;
                        case "LIST":
                        case "LSUB":
                            // Every pattern lists INBOX, the one folder; the empty pattern asks for the hierarchy delimiter.
                            string answer = rest.EndsWith("\"\"", StringComparison.Ordinal)
                                ? "* LIST (\\Noselect) \"/\" \"\"\r\n"
                                : "* LIST (\\HasNoChildren) \"/\" INBOX\r\n";
                            await WriteAsync(output, answer + $"{tag} OK LIST completed\r\n").ConfigureAwait(false);
                            break;
                        case "SELECT":
                        case "EXAMINE":
                            lock (_messages)
                            {
                                selected = _messages.ToArray();
                            }

                            await WriteAsync(output,
                                $"* {selected.Length} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n" +
                                "* OK [PERMANENTFLAGS ()] read-only\r\n* OK [UIDVALIDITY 1] UIDs valid\r\n" +
                                $"* OK [UIDNEXT {selected.Length + 1}] next\r\n{tag} OK [READ-ONLY] {command} completed\r\n").ConfigureAwait(false);
                            break;
                        case "UID":
                            await UidAsync(output, tag, rest[4..], selected).ConfigureAwait(false);
                            break;
                        case "LOGOUT":
                            await WriteAsync(output, $"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n").ConfigureAwait(false);
                            return;
                        default:
                            await WriteAsync(output, $"{tag} BAD {command} is not known here\r\n").ConfigureAwait(false);
                            break;
                    }
                }
            }
            catch (IOException)
            {
            }
            finally
            {
                Volatile.Write(ref _lastConnectionCommands, commands);
            }
        }
    }

    private static async Task UidAsync(Stream output, string tag, string rest, Entry[] selected)
    {
        string[] words = rest.Split(' ', 3);
        string verb = words[0].ToUpperInvariant();
        if (verb == "SEARCH")
        {
            await WriteAsync(output, "* SEARCH " + string.Join(' ', selected.Select(e => e.Uid.ToString(CultureInfo.InvariantCulture)))
                                     + $"\r\n{tag} OK SEARCH completed\r\n").ConfigureAwait(false);
            return;
        }

        if (verb != "FETCH" || words.Length < 3)
        {
            await WriteAsync(output, $"{tag} BAD UID {verb} is not known here\r\n").ConfigureAwait(false);
            return;
        }

        HashSet<uint> uids = ParseSet(words[1], selected.Length == 0 ? 0 : selected[^1].Uid);
        string items = words[2].ToUpperInvariant();
        int sequence = 0;
        foreach (Entry entry in selected)
        {
            sequence++;
            if (!uids.Contains(entry.Uid))
            {
                continue;
            }

            var text = new StringBuilder();
            text.Append("* ").Append(sequence).Append(" FETCH (UID ").Append(entry.Uid);
            if (items.Contains("FLAGS", StringComparison.Ordinal))
            {
                text.Append(" FLAGS ()");
            }

            if (items.Contains("INTERNALDATE", StringComparison.Ordinal))
            {
                text.Append(" INTERNALDATE \"").Append(entry.InternalDate.ToString("dd-MMM-yyyy HH:mm:ss ", CultureInfo.InvariantCulture))
                    .Append(entry.InternalDate.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", string.Empty, StringComparison.Ordinal)).Append('"');
            }

            if (items.Contains("RFC822.SIZE", StringComparison.Ordinal))
            {
                text.Append(" RFC822.SIZE ").Append(entry.Mime.Length);
            }

            if (items.Contains("ENVELOPE", StringComparison.Ordinal))
            {
                text.Append(" ENVELOPE ").Append(entry.Envelope);
            }

            if (items.Contains("BODYSTRUCTURE", StringComparison.Ordinal))
            {
                text.Append(" BODYSTRUCTURE ").Append(entry.BodyStructure);
            }

            int body = items.IndexOf("BODY.PEEK[]", StringComparison.Ordinal);
            if (body >= 0)
            {
                int offset = 0;
                int count = entry.Mime.Length;
                string partial = items[(body + "BODY.PEEK[]".Length)..];
                if (partial.StartsWith('<'))
                {
                    string[] range = partial[1..partial.IndexOf('>')].Split('.');
                    offset = Math.Min(entry.Mime.Length, int.Parse(range[0], CultureInfo.InvariantCulture));
                    count = Math.Min(entry.Mime.Length - offset, int.Parse(range[1], CultureInfo.InvariantCulture));
                    text.Append(" BODY[]<").Append(offset).Append("> {").Append(count).Append("}\r\n");
                }
                else
                {
                    text.Append(" BODY[] {").Append(count).Append("}\r\n");
                }

                await WriteAsync(output, text.ToString(), flush: false).ConfigureAwait(false);
                await output.WriteAsync(entry.Mime.AsMemory(offset, count)).ConfigureAwait(false);
                text.Clear();
            }

            text.Append(")\r\n");
            await WriteAsync(output, text.ToString(), flush: false).ConfigureAwait(false);
        }

        await WriteAsync(output, $"{tag} OK FETCH completed\r\n").ConfigureAwait(false);
    }

    private static HashSet<uint> ParseSet(string set, uint last)
    {
        var result = new HashSet<uint>();
        foreach (string range in set.Split(','))
        {
            string[] ends = range.Split(':');
            uint a = ends[0] == "*" ? last : uint.Parse(ends[0], CultureInfo.InvariantCulture);
            uint b = ends.Length > 1 ? (ends[1] == "*" ? last : uint.Parse(ends[1], CultureInfo.InvariantCulture)) : a;
            for (uint uid = Math.Min(a, b); uid <= Math.Max(a, b) && uid <= last; uid++)
            {
                result.Add(uid);
            }
        }

        return result;
    }

    /// <summary>One command line, with any {n} literals (RFC 3501 4.3) read after a "+" continuation and inlined quoted.</summary>
    private static async Task<string?> ReadCommandAsync(Stream input, Stream output)
    {
        var line = new StringBuilder();
        while (true)
        {
            string? part = await ReadLineAsync(input).ConfigureAwait(false);
            if (part == null)
            {
                return null;
            }

            if (part.EndsWith('}') && part.LastIndexOf('{') is int open and >= 0)
            {
                int length = int.Parse(part[(open + 1)..^1].TrimEnd('+'), CultureInfo.InvariantCulture);
                if (!part[(open + 1)..^1].EndsWith('+'))
                {
                    await WriteAsync(output, "+ go ahead\r\n").ConfigureAwait(false);
                }

                var literal = new byte[length];
                await input.ReadExactlyAsync(literal).ConfigureAwait(false);
                line.Append(part[..open]).Append('"').Append(Encoding.UTF8.GetString(literal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
                continue;
            }

            return line.Append(part).ToString();
        }
    }

    private static async Task<string?> ReadLineAsync(Stream input)
    {
        var bytes = new List<byte>(128);
        var one = new byte[1];
        while (true)
        {
            if (await input.ReadAsync(one).ConfigureAwait(false) == 0)
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

    private static async Task WriteAsync(Stream output, string text, bool flush = true)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        await output.WriteAsync(bytes).ConfigureAwait(false);
        if (flush)
        {
            await output.FlushAsync().ConfigureAwait(false);
        }
    }

    // ---- ENVELOPE and BODYSTRUCTURE (RFC 3501 7.4.2) ---------------------------------------------------------------

    private static string Envelope(MimeMessage m) =>
        "(" + string.Join(' ', NString(m.Headers[HeaderId.Date]), NString(m.Subject), Addresses(m.From), Addresses(m.Sender != null ? new InternetAddressList { m.Sender } : m.From),
            Addresses(m.ReplyTo.Count > 0 ? m.ReplyTo : m.From), Addresses(m.To), Addresses(m.Cc), Addresses(m.Bcc), NString(m.InReplyTo == null ? null : "<" + m.InReplyTo + ">"),
            NString(m.MessageId == null ? null : "<" + m.MessageId + ">")) + ")";

    private static string Addresses(InternetAddressList list)
    {
        var boxes = list.Mailboxes.ToList();
        if (boxes.Count == 0)
        {
            return "NIL";
        }

        return "(" + string.Concat(boxes.Select(b => "(" + NString(b.Name) + " NIL " + NString(b.LocalPart) + " " + NString(b.Domain) + ")")) + ")";
    }

    private static string Structure(MimeEntity entity)
    {
        if (entity is Multipart multipart)
        {
            return "(" + string.Concat(multipart.Select(Structure)) + " " + Quote(multipart.ContentType.MediaSubtype.ToLowerInvariant()) + ")";
        }

        var part = (MimePart)entity;
        using var encoded = new MemoryStream();
        part.Content?.WriteTo(encoded);
        string parameters = part.ContentType.Parameters.Count == 0
            ? "NIL"
            : "(" + string.Join(' ', part.ContentType.Parameters.Select(p => Quote(p.Name) + " " + Quote(p.Value))) + ")";
        string basic = string.Join(' ', Quote(part.ContentType.MediaType.ToLowerInvariant()), Quote(part.ContentType.MediaSubtype.ToLowerInvariant()), parameters,
            NString(part.ContentId), NString(part.ContentDescription), Quote(part.ContentTransferEncoding.ToString().ToUpperInvariant() switch
            {
                "SEVENBIT" => "7BIT", "EIGHTBIT" => "8BIT", "QUOTEDPRINTABLE" => "QUOTED-PRINTABLE", "DEFAULT" => "7BIT", var e => e,
            }), encoded.Length.ToString(CultureInfo.InvariantCulture));
        if (part is TextPart)
        {
            basic += " " + Encoding.ASCII.GetString(encoded.ToArray()).Count(c => c == '\n');
        }

        string disposition = part.ContentDisposition == null
            ? "NIL"
            : "(" + Quote(part.ContentDisposition.Disposition) + " " + (part.ContentDisposition.Parameters.Count == 0 ? "NIL"
                : "(" + string.Join(' ', part.ContentDisposition.Parameters.Select(p => Quote(p.Name) + " " + Quote(p.Value))) + ")") + ")";
        return "(" + basic + " NIL " + disposition + " NIL NIL)";
    }

    private static string NString(string? value) => value == null ? "NIL" : Quote(value);

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
