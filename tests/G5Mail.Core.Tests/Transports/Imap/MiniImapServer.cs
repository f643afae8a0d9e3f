using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.Tests.Transports.Imap
{
    /// <summary>
    /// A strict, minimal IMAP server for the reader's tests, for what smtp4dev's IMAP cannot show (it has no CREATE, MOVE,
    /// UIDPLUS or SPECIAL-USE). It speaks the subset of RFC 3501 (IMAP4rev1) the reader uses, plus RFC 6851 UID MOVE,
    /// RFC 4315 UID EXPUNGE and COPYUID, and RFC 6154 special-use attributes, each only when its capability is offered;
    /// anything else is "BAD", as a real server would answer an unknown or unoffered command. Messages carry their
    /// ENVELOPE and BODYSTRUCTURE text as a test writes them (RFC 3501 7.4.2 syntax). Every command is recorded (LOGIN's
    /// arguments left out) so tests can count round trips and logins.
    /// </summary>
    public sealed class MiniImapServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly object _gate = new object();
        private readonly List<string> _transcript = new List<string>();
        private uint _nextValidity = 7001;

        public MiniImapServer(params string[] capabilities)
        {
            Capabilities = new List<string> { "IMAP4rev1" };
            Capabilities.AddRange(capabilities);
            AddFolder("INBOX");
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _ = AcceptLoopAsync();
        }

        public List<string> Capabilities { get; }
        public string User { get; set; } = "alice";
        public string Password { get; set; } = "secret";
        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Logins { get; private set; }
        public Dictionary<string, MiniFolder> Folders { get; } = new Dictionary<string, MiniFolder>(StringComparer.Ordinal);

        public IReadOnlyList<string> Transcript
        {
            get
            {
                lock (_gate)
                {
                    return _transcript.ToList();
                }
            }
        }

        public MiniFolder AddFolder(string name, string? specialUse = null)
        {
            var folder = new MiniFolder(name, _nextValidity++, specialUse);
            Folders[name] = folder;
            return folder;
        }

        public MiniFolder Inbox => Folders["INBOX"];

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync().ConfigureAwait(false);
                }
                catch (Exception)
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
                NetworkStream stream = client.GetStream();
                var session = new Session(stream);
                try
                {
                    await session.WriteAsync("* OK MiniImap ready").ConfigureAwait(false);
                    string? line;
                    while ((line = await session.ReadLineAsync().ConfigureAwait(false)) != null)
                    {
                        if (!await HandleAsync(session, line).ConfigureAwait(false))
                        {
                            return;
                        }
                    }
                }
                catch (IOException)
                {
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }

        private sealed class Session
        {
            private readonly NetworkStream _stream;

            public Session(NetworkStream stream) => _stream = stream;

            public bool Authenticated { get; set; }
            public MiniFolder? Selected { get; set; }
            public bool ReadOnly { get; set; }

            public async Task<string?> ReadLineAsync()
            {
                var bytes = new List<byte>();
                var one = new byte[1];
                while (await _stream.ReadAsync(one, 0, 1).ConfigureAwait(false) == 1)
                {
                    if (one[0] == '\n')
                    {
                        return Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r');
                    }

                    bytes.Add(one[0]);
                }

                return null;
            }

            public Task WriteAsync(string line) => WriteAsync(Encoding.Latin1.GetBytes(line + "\r\n")); // bytes as they are: literals carry raw data

            public Task WriteAsync(byte[] data) => _stream.WriteAsync(data, 0, data.Length);
        }

        private void Record(string entry)
        {
            lock (_gate)
            {
                _transcript.Add(entry);
            }
        }

        private async Task<bool> HandleAsync(Session s, string line)
        {
            List<string> words = Tokenize(line);
            if (words.Count < 2)
            {
                await s.WriteAsync("* BAD missing command").ConfigureAwait(false);
                return true;
            }

            string tag = words[0];
            string command = words[1].ToUpperInvariant();
            bool uid = command == "UID" && words.Count > 2;
            if (uid)
            {
                command = "UID " + words[2].ToUpperInvariant();
            }

            List<string> args = words.Skip(uid ? 3 : 2).ToList();
            Record(command == "LOGIN" ? "LOGIN" : command + (args.Count > 0 ? " " + string.Join(" ", args) : string.Empty));
            string caps = string.Join(" ", Capabilities);

            switch (command)
            {
                case "CAPABILITY":
                    await s.WriteAsync("* CAPABILITY " + caps).ConfigureAwait(false);
                    return await Ok(s, tag, "CAPABILITY completed");
                case "NOOP":
                    return await Ok(s, tag, "NOOP completed");
                case "LOGOUT":
                    await s.WriteAsync("* BYE logging out").ConfigureAwait(false);
                    await Ok(s, tag, "LOGOUT completed");
                    return false;
                case "LOGIN" when args.Count == 2:
                    Logins++;
                    if (args[0] == User && args[1] == Password)
                    {
                        s.Authenticated = true;
                        return await Ok(s, tag, "[CAPABILITY " + caps + "] LOGIN completed");
                    }

                    // RFC 5530 AUTHENTICATIONFAILED.
                    await s.WriteAsync(tag + " NO [AUTHENTICATIONFAILED] Invalid credentials").ConfigureAwait(false);
                    return true;
            }

            if (!s.Authenticated)
            {
                await s.WriteAsync(tag + " BAD not authenticated").ConfigureAwait(false);
                return true;
            }

            switch (command)
            {
                case "NAMESPACE" when Capabilities.Contains("NAMESPACE"):
                    await s.WriteAsync("* NAMESPACE ((\"\" \"/\")) NIL NIL").ConfigureAwait(false);
                    return await Ok(s, tag, "NAMESPACE completed");
                case "LIST" when args.Count == 2:
                    foreach (string listLine in List(args[0], args[1]))
                    {
                        await s.WriteAsync(listLine).ConfigureAwait(false);
                    }

                    return await Ok(s, tag, "LIST completed");
                case "SELECT":
                case "EXAMINE":
                {
                    MiniFolder? folder = Find(args.FirstOrDefault());
                    if (folder == null || folder.NoSelect)
                    {
                        await s.WriteAsync(tag + " NO [NONEXISTENT] no such mailbox").ConfigureAwait(false);
                        return true;
                    }

                    s.Selected = folder;
                    s.ReadOnly = command == "EXAMINE";
                    await s.WriteAsync("* FLAGS (\\Seen \\Deleted \\Answered \\Flagged \\Draft)").ConfigureAwait(false);
                    await s.WriteAsync($"* {folder.Messages.Count} EXISTS").ConfigureAwait(false);
                    await s.WriteAsync("* 0 RECENT").ConfigureAwait(false);
                    await s.WriteAsync($"* OK [UIDVALIDITY {folder.UidValidity}] UIDs valid").ConfigureAwait(false);
                    await s.WriteAsync($"* OK [UIDNEXT {folder.NextUid}] next").ConfigureAwait(false);
                    await s.WriteAsync("* OK [PERMANENTFLAGS (\\Seen \\Deleted)] limited").ConfigureAwait(false);
                    return await Ok(s, tag, (s.ReadOnly ? "[READ-ONLY] " : "[READ-WRITE] ") + command + " completed");
                }

                case "CREATE":
                {
                    string name = Unquote(args.FirstOrDefault() ?? string.Empty);
                    string parent = name.Contains('/') ? name.Substring(0, name.LastIndexOf('/')) : string.Empty;
                    if (name.Length == 0 || Find(name) != null || (parent.Length > 0 && Find(parent) == null))
                    {
                        // Strict: the tests expect the reader to create each missing parent itself.
                        await s.WriteAsync(tag + " NO [ALREADYEXISTS] cannot create " + name).ConfigureAwait(false);
                        return true;
                    }

                    AddFolder(name);
                    return await Ok(s, tag, "CREATE completed");
                }
            }

            MiniFolder? selected = s.Selected;
            if (selected == null)
            {
                await s.WriteAsync(tag + " BAD no mailbox selected").ConfigureAwait(false);
                return true;
            }

            switch (command)
            {
                case "SEARCH":
                case "UID SEARCH":
                {
                    IEnumerable<MiniMessage> found = selected.Messages;
                    for (int i = 0; i < args.Count; i++)
                    {
                        string key = args[i].ToUpperInvariant();
                        if (key == "ALL")
                        {
                            continue;
                        }

                        if (key == "UID" && i + 1 < args.Count)
                        {
                            var inSet = Set(selected, args[++i]);
                            found = found.Where(inSet.Contains);
                        }
                        else if (key == "UNSEEN")
                        {
                            found = found.Where(m => !m.Flags.Contains("\\Seen"));
                        }
                        else if (key == "SINCE" && i + 1 < args.Count)
                        {
                            DateTime day = DateTime.ParseExact(Unquote(args[++i]), "d-MMM-yyyy", CultureInfo.InvariantCulture);
                            found = found.Where(m => m.InternalDate.UtcDateTime.Date >= day);
                        }
                        else
                        {
                            await s.WriteAsync(tag + " BAD search key not supported: " + key).ConfigureAwait(false);
                            return true;
                        }
                    }

                    // SEARCH answers sequence numbers, UID SEARCH UIDs (RFC 3501 6.4.4, 6.4.8).
                    await s.WriteAsync("* SEARCH " + string.Join(" ", found.Select(m => command == "SEARCH" ? (uint)Seq(selected, m) : m.Uid))).ConfigureAwait(false);
                    return await Ok(s, tag, "SEARCH completed");
                }

                case "UID FETCH" when args.Count >= 2:
                {
                    string items = string.Join(" ", args.Skip(1));
                    foreach (MiniMessage m in Set(selected, args[0]))
                    {
                        await s.WriteAsync(Fetch(selected, m, items)).ConfigureAwait(false);
                    }

                    return await Ok(s, tag, "FETCH completed");
                }

                case "STORE" when args.Count >= 3 && !s.ReadOnly:
                case "UID STORE" when args.Count >= 3 && !s.ReadOnly:
                {
                    string action = args[1].ToUpperInvariant();
                    string[] flags = args.Skip(2).SelectMany(a => a.Trim('(', ')').Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
                    foreach (MiniMessage m in Set(selected, args[0], byUid: command.StartsWith("UID", StringComparison.Ordinal)))
                    {
                        if (action.StartsWith("+FLAGS", StringComparison.Ordinal))
                        {
                            m.Flags.UnionWith(flags);
                        }
                        else if (action.StartsWith("-FLAGS", StringComparison.Ordinal))
                        {
                            m.Flags.ExceptWith(flags);
                        }

                        if (!action.EndsWith(".SILENT", StringComparison.Ordinal))
                        {
                            await s.WriteAsync($"* {Seq(selected, m)} FETCH (UID {m.Uid} FLAGS ({string.Join(" ", m.Flags)}))").ConfigureAwait(false);
                        }
                    }

                    return await Ok(s, tag, "STORE completed");
                }

                case "COPY" when args.Count == 2:
                case "UID COPY" when args.Count == 2:
                case "UID MOVE" when args.Count == 2 && Capabilities.Contains("MOVE"):
                {
                    MiniFolder? destination = Find(args[1]);
                    if (destination == null)
                    {
                        await s.WriteAsync(tag + " NO [TRYCREATE] no such mailbox").ConfigureAwait(false);
                        return true;
                    }

                    var moved = Set(selected, args[0], byUid: command.StartsWith("UID", StringComparison.Ordinal)).ToList();
                    var newUids = new List<uint>();
                    foreach (MiniMessage m in moved)
                    {
                        MiniMessage copy = m.CopyWithUid(destination.NextUid++);
                        copy.Flags.Remove("\\Deleted");
                        destination.Messages.Add(copy);
                        newUids.Add(copy.Uid);
                    }

                    string copyUid = Capabilities.Contains("UIDPLUS")
                        ? $"[COPYUID {destination.UidValidity} {string.Join(",", moved.Select(m => m.Uid))} {string.Join(",", newUids)}] " : string.Empty;
                    if (command == "UID MOVE")
                    {
                        // RFC 6851 4.3: COPYUID comes in an untagged OK before the EXPUNGEs.
                        if (copyUid.Length > 0)
                        {
                            await s.WriteAsync("* OK " + copyUid + "moved").ConfigureAwait(false);
                        }

                        foreach (MiniMessage m in moved)
                        {
                            await s.WriteAsync($"* {Seq(selected, m)} EXPUNGE").ConfigureAwait(false);
                            selected.Messages.Remove(m);
                        }

                        return await Ok(s, tag, "MOVE completed");
                    }

                    return await Ok(s, tag, copyUid + "COPY completed");
                }

                case "UID EXPUNGE" when args.Count == 1 && Capabilities.Contains("UIDPLUS"):
                    foreach (MiniMessage m in Set(selected, args[0]).Where(m => m.Flags.Contains("\\Deleted")).ToList())
                    {
                        await s.WriteAsync($"* {Seq(selected, m)} EXPUNGE").ConfigureAwait(false);
                        selected.Messages.Remove(m);
                    }

                    return await Ok(s, tag, "EXPUNGE completed");
                case "EXPUNGE":
                    foreach (MiniMessage m in selected.Messages.Where(m => m.Flags.Contains("\\Deleted")).ToList())
                    {
                        await s.WriteAsync($"* {Seq(selected, m)} EXPUNGE").ConfigureAwait(false);
                        selected.Messages.Remove(m);
                    }

                    return await Ok(s, tag, "EXPUNGE completed");
                case "CLOSE":
                    s.Selected = null;
                    return await Ok(s, tag, "CLOSE completed");
                default:
                    await s.WriteAsync(tag + " BAD command unknown or not offered: " + command).ConfigureAwait(false);
                    return true;
            }
        }

        private static async Task<bool> Ok(Session s, string tag, string text)
        {
            await s.WriteAsync(tag + " OK " + text).ConfigureAwait(false);
            return true;
        }

        private static int Seq(MiniFolder folder, MiniMessage m) => folder.Messages.IndexOf(m) + 1;

        private MiniFolder? Find(string? name)
        {
            if (name == null)
            {
                return null;
            }

            name = Unquote(name);
            return string.Equals(name, "INBOX", StringComparison.OrdinalIgnoreCase) ? Inbox : Folders.TryGetValue(name, out MiniFolder? f) ? f : null;
        }

        private IEnumerable<string> List(string reference, string pattern)
        {
            pattern = Unquote(reference) + Unquote(pattern);
            if (pattern.Length == 0)
            {
                yield return "* LIST (\\Noselect) \"/\" \"\"";
                yield break;
            }

            var regex = new Regex("^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("%", "[^/]*") + "$",
                string.Equals(pattern, "INBOX", StringComparison.OrdinalIgnoreCase) ? RegexOptions.IgnoreCase : RegexOptions.None);
            foreach (MiniFolder folder in Folders.Values.Where(f => regex.IsMatch(f.Name)))
            {
                bool children = Folders.Keys.Any(k => k.StartsWith(folder.Name + "/", StringComparison.Ordinal));
                string attributes = children ? "\\HasChildren" : "\\HasNoChildren";
                if (folder.NoSelect)
                {
                    attributes += " \\Noselect";
                }

                if (folder.SpecialUse != null && Capabilities.Contains("SPECIAL-USE"))
                {
                    attributes += " " + folder.SpecialUse;
                }

                yield return $"* LIST ({attributes}) \"/\" \"{folder.Name}\"";
            }
        }

        /// <summary>The messages of a UID set (or, with byUid false, a sequence set), RFC 3501 9 sequence-set.</summary>
        private static List<MiniMessage> Set(MiniFolder folder, string set, bool byUid = true)
        {
            var uids = new HashSet<uint>();
            uint max = folder.Messages.Count == 0 ? 0 : byUid ? folder.Messages.Max(m => m.Uid) : (uint)folder.Messages.Count;
            foreach (string range in set.Split(','))
            {
                string[] ends = range.Split(':');
                uint a = ends[0] == "*" ? max : uint.Parse(ends[0], CultureInfo.InvariantCulture);
                uint b = ends.Length > 1 ? (ends[1] == "*" ? max : uint.Parse(ends[1], CultureInfo.InvariantCulture)) : a;
                for (uint u = Math.Min(a, b); u <= Math.Max(a, b) && u != 0; u++)
                {
                    uids.Add(u);
                    if (u == uint.MaxValue)
                    {
                        break;
                    }
                }
            }

            return folder.Messages.Where(m => uids.Contains(byUid ? m.Uid : (uint)Seq(folder, m))).ToList();
        }

        private string Fetch(MiniFolder folder, MiniMessage m, string items)
        {
            string upper = items.ToUpperInvariant();
            var parts = new List<string> { "UID " + m.Uid };
            if (upper.Contains("FLAGS"))
            {
                parts.Add($"FLAGS ({string.Join(" ", m.Flags)})");
            }

            if (upper.Contains("INTERNALDATE"))
            {
                parts.Add($"INTERNALDATE \"{m.InternalDate.ToString("dd-MMM-yyyy HH:mm:ss", CultureInfo.InvariantCulture)} +0000\"");
            }

            if (upper.Contains("RFC822.SIZE"))
            {
                parts.Add("RFC822.SIZE " + m.Raw.Length);
            }

            if (upper.Contains("ENVELOPE"))
            {
                parts.Add("ENVELOPE " + m.Envelope);
            }

            if (upper.Contains("BODYSTRUCTURE"))
            {
                parts.Add("BODYSTRUCTURE " + m.BodyStructure);
            }

            Match partial = Regex.Match(items, @"BODY\.PEEK\[\]<(\d+)\.(\d+)>", RegexOptions.IgnoreCase);
            if (partial.Success)
            {
                int offset = int.Parse(partial.Groups[1].Value, CultureInfo.InvariantCulture);
                int count = int.Parse(partial.Groups[2].Value, CultureInfo.InvariantCulture);
                int length = Math.Max(0, Math.Min(count, m.Raw.Length - offset));
                string data = Encoding.Latin1.GetString(m.Raw, Math.Min(offset, m.Raw.Length), length);
                parts.Add($"BODY[]<{offset}> {{{length}}}\r\n{data}");
            }
            else if (Regex.IsMatch(items, @"BODY(\.PEEK)?\[\]", RegexOptions.IgnoreCase))
            {
                parts.Add($"BODY[] {{{m.Raw.Length}}}\r\n{Encoding.Latin1.GetString(m.Raw)}");
                if (!upper.Contains("BODY.PEEK"))
                {
                    m.Flags.Add("\\Seen"); // RFC 3501 6.4.5: BODY[] sets \Seen, BODY.PEEK[] does not.
                }
            }

            return $"* {Seq(folder, m)} FETCH ({string.Join(" ", parts)})";
        }

        /// <summary>Words of a command line; quoted strings and parenthesised lists stay one word (quotes kept).</summary>
        private static List<string> Tokenize(string line)
        {
            var words = new List<string>();
            int i = 0;
            while (i < line.Length)
            {
                if (line[i] == ' ')
                {
                    i++;
                    continue;
                }

                int start = i;
                if (line[i] == '"')
                {
                    i++;
                    while (i < line.Length && line[i] != '"')
                    {
                        i += line[i] == '\\' ? 2 : 1;
                    }

                    i++;
                }
                else
                {
                    int depth = 0;
                    while (i < line.Length && (depth > 0 || line[i] != ' '))
                    {
                        if (line[i] == '(' || line[i] == '[')
                        {
                            depth++;
                        }
                        else if (line[i] == ')' || line[i] == ']')
                        {
                            depth--;
                        }

                        i++;
                    }
                }

                words.Add(line.Substring(start, Math.Min(i, line.Length) - start));
            }

            return words;
        }

        private static string Unquote(string word) =>
            word.Length >= 2 && word[0] == '"' && word[word.Length - 1] == '"' ? word.Substring(1, word.Length - 2).Replace("\\\"", "\"").Replace("\\\\", "\\") : word;
    }

    public sealed class MiniFolder
    {
        public MiniFolder(string name, uint uidValidity, string? specialUse)
        {
            Name = name;
            UidValidity = uidValidity;
            SpecialUse = specialUse;
        }

        public string Name { get; }
        public uint UidValidity { get; }
        public string? SpecialUse { get; }

        /// <summary>A container only (RFC 3501 7.2.2 \Noselect): SELECT and EXAMINE fail.</summary>
        public bool NoSelect { get; set; }

        public uint NextUid { get; set; } = 1;
        public List<MiniMessage> Messages { get; } = new List<MiniMessage>();

        /// <summary>A message with the next UID; the BODYSTRUCTURE defaults to one text/plain part of the raw size.</summary>
        public MiniMessage Add(string subject, DateTimeOffset internalDate, byte[]? raw = null, string? bodyStructure = null, params string[] flags)
        {
            raw ??= Encoding.ASCII.GetBytes($"From: a@example.com\r\nTo: b@example.com\r\nSubject: {subject}\r\nMessage-ID: <m{NextUid}@example.com>\r\n\r\nbody\r\n");
            var message = new MiniMessage(NextUid++, internalDate, raw,
                $"(NIL \"{subject}\" ((\"Sender\" NIL \"a\" \"example.com\")) NIL NIL ((NIL NIL \"b\" \"example.com\")) NIL NIL NIL \"<m{NextUid - 1}@example.com>\")",
                bodyStructure ?? $"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" {raw.Length} 1)");
            message.Flags.UnionWith(flags);
            Messages.Add(message);
            return message;
        }
    }

    public sealed class MiniMessage
    {
        public MiniMessage(uint uid, DateTimeOffset internalDate, byte[] raw, string envelope, string bodyStructure)
        {
            Uid = uid;
            InternalDate = internalDate;
            Raw = raw;
            Envelope = envelope;
            BodyStructure = bodyStructure;
        }

        public uint Uid { get; }
        public DateTimeOffset InternalDate { get; }
        public byte[] Raw { get; }
        public string Envelope { get; }
        public string BodyStructure { get; }
        public HashSet<string> Flags { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        public MiniMessage CopyWithUid(uint uid)
        {
            var copy = new MiniMessage(uid, InternalDate, Raw, Envelope, BodyStructure);
            copy.Flags.UnionWith(Flags);
            return copy;
        }
    }
}
