using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using MailKit;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>
    /// Keeps what the server said during the session set-up (greeting and each EHLO reply, before and after
    /// STARTTLS), which MailKit does not expose. Client bytes are never stored: they are only checked for the
    /// command verb, and recording stops before authentication so no credential can end up here.
    /// </summary>
    internal sealed class SmtpTranscript : IProtocolLogger
    {
        private readonly List<string> _greeting = new List<string>();
        private readonly List<EhloReply> _ehloReplies = new List<EhloReply>();
        private readonly StringBuilder _pending = new StringBuilder();
        private List<string>? _sink;
        private bool _anyClientCommand;
        private bool _afterStartTls;

        /// <summary>False once the session set-up is over; nothing is recorded from then on.</summary>
        public bool Recording { get; set; } = true;

        public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

        /// <summary>The last command verb the client sent (EHLO, HELO, STARTTLS), for messages about stalls.</summary>
        public string? LastCommand { get; private set; }

        public bool StartTlsSent => _afterStartTls;

        public IReadOnlyList<string> Greeting => _greeting;

        /// <summary>The EHLO reply lines (without the status code) before STARTTLS, or null when there was none.</summary>
        public IReadOnlyList<string>? EhloBeforeTls => _ehloReplies.LastOrDefault(r => !r.AfterStartTls)?.Lines;

        /// <summary>The EHLO reply that is in force at the end of the set-up (after STARTTLS when it happened).</summary>
        public IReadOnlyList<string>? FinalEhlo => _ehloReplies.LastOrDefault()?.Lines;

        public void LogConnect(Uri uri)
        {
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
            if (!Recording)
            {
                return;
            }

            _anyClientCommand = true;
            FlushPending();
            if (StartsWith(buffer, offset, count, "EHLO") || StartsWith(buffer, offset, count, "HELO"))
            {
                LastCommand = StartsWith(buffer, offset, count, "EHLO") ? "EHLO" : "HELO";
                var reply = new EhloReply(_afterStartTls);
                _ehloReplies.Add(reply);
                _sink = reply.Lines;
            }
            else if (StartsWith(buffer, offset, count, "STARTTLS"))
            {
                LastCommand = "STARTTLS";
                _afterStartTls = true;
                _sink = null;
            }
            else
            {
                // Anything else (e.g. QUIT) is not needed; the verb is not kept either.
                LastCommand = null;
                _sink = null;
            }
        }

        public void LogServer(byte[] buffer, int offset, int count)
        {
            if (!Recording)
            {
                return;
            }

            // Latin-1 maps every byte to one char, so a broken server cannot make decoding throw.
            _pending.Append(Encoding.GetEncoding(28591).GetString(buffer, offset, count));
            string text = _pending.ToString();
            int newline;
            while ((newline = text.IndexOf('\n')) >= 0)
            {
                AddLine(text.Substring(0, newline).TrimEnd('\r'));
                text = text.Substring(newline + 1);
            }

            _pending.Clear().Append(text);
        }

        public void Dispose()
        {
        }

        private void FlushPending()
        {
            if (_pending.Length > 0)
            {
                AddLine(_pending.ToString().TrimEnd('\r'));
                _pending.Clear();
            }
        }

        private void AddLine(string line)
        {
            if (!_anyClientCommand)
            {
                _greeting.Add(line);
            }
            else if (_sink != null && line.Length >= 3 && line.StartsWith("250", StringComparison.Ordinal))
            {
                // "250-KEYWORD params" / "250 KEYWORD": keep the text after the code and separator.
                _sink.Add(line.Length > 4 ? line.Substring(4).Trim() : string.Empty);
            }
        }

        private static bool StartsWith(byte[] buffer, int offset, int count, string verb)
        {
            if (count < verb.Length)
            {
                return false;
            }

            for (int i = 0; i < verb.Length; i++)
            {
                if (char.ToUpperInvariant((char)buffer[offset + i]) != verb[i])
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The extension keywords of an EHLO reply: every line after the first (which names the server).</summary>
        public static IReadOnlyList<string> Keywords(IReadOnlyList<string>? ehlo)
        {
            return ehlo == null ? Array.Empty<string>() : ehlo.Skip(1).Where(l => l.Length > 0).ToArray();
        }

        /// <summary>AUTH mechanisms in the order the server lists them; "AUTH=" lines (old Outlook syntax) count too.</summary>
        public static IReadOnlyList<string> AuthMechanisms(IReadOnlyList<string>? ehlo)
        {
            var mechanisms = new List<string>();
            foreach (string keyword in Keywords(ehlo))
            {
                if (keyword.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase) &&
                    (keyword.Length == 4 || keyword[4] == ' ' || keyword[4] == '='))
                {
                    foreach (string mechanism in keyword.Substring(Math.Min(5, keyword.Length)).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!mechanisms.Contains(mechanism.ToUpperInvariant()))
                        {
                            mechanisms.Add(mechanism.ToUpperInvariant());
                        }
                    }
                }
            }

            return mechanisms;
        }

        /// <summary>
        /// The SIZE limit (RFC 1870: "SIZE 10240000"; some servers write "SIZE=..."); null when none is announced,
        /// or when the server announces SIZE without a number or with 0 (no fixed limit).
        /// </summary>
        public static long? SizeLimit(IReadOnlyList<string>? ehlo)
        {
            foreach (string keyword in Keywords(ehlo))
            {
                if (keyword.StartsWith("SIZE", StringComparison.OrdinalIgnoreCase))
                {
                    string value = keyword.Substring(4).TrimStart(' ', '=').Trim();
                    if (long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long limit) && limit > 0)
                    {
                        return limit;
                    }
                }
            }

            return null;
        }

        private sealed class EhloReply
        {
            public EhloReply(bool afterStartTls)
            {
                AfterStartTls = afterStartTls;
            }

            public bool AfterStartTls { get; }
            public List<string> Lines { get; } = new List<string>();
        }
    }
}
