using System;
using System.Globalization;
using System.Text;
using System.Threading;
using MailKit;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>
    /// Knows whether the end of the current message's data has gone to the server, from the bytes MailKit writes. It is
    /// the client's protocol logger: MailKit's SmtpStream calls <see cref="LogClient"/> with the plain (pre-TLS) bytes
    /// of every write after that write succeeded (MailKit 4.18, SmtpStream.WriteAsync/FlushAsync), so it sees exactly
    /// what reached the connection. The data of a DATA transaction ends with CRLF "." CRLF (RFC 5321 4.1.1.4), a sequence
    /// dot-stuffing keeps out of the data itself (4.5.2), and the server may act only on the complete terminator; BDAT
    /// ("BDAT n LAST", RFC 3030) ends after its n bytes. Until then a lost connection cannot have delivered the message
    /// (transient); afterwards, until the server's reply, it may have (uncertain). It never records the bytes, so no
    /// password or message content stays in it.
    /// </summary>
    /// <remarks>
    /// MailKit calls <see cref="LogClient"/> for every byte of every message, so this is on the hot path of sending: it
    /// scans each write with vectorised searches for line ends, keeps only the first bytes of each line (enough to
    /// recognise "BDAT n LAST") and allocates nothing unless a line starts with BDAT. (A byte-at-a-time version with a
    /// string per line cost about as much CPU as MailKit's own encoding of a 100 KB attachment, in the throughput benchmark.)
    /// </remarks>
    internal sealed class EndOfDataWatch : IProtocolLogger
    {
        // A BDAT command is "BDAT" SP chunk-size [SP "LAST"] (RFC 3030): 64 bytes hold any real one.
        private const int MaxCommandLine = 64;
        private readonly object _gate = new object();
        private readonly byte[] _line = new byte[MaxCommandLine];
        private int _lineLength; // bytes seen on the current line (may exceed what _line keeps)
        private int _tail; // the last four client bytes, oldest in the high byte
        private long _chunkLeft; // bytes of a BDAT chunk still to come
        private bool _chunkIsLast;
        private int _ended;

        /// <summary>True once the end of the message data was written (until <see cref="Arm"/>).</summary>
        public bool EndOfDataSent => Volatile.Read(ref _ended) != 0;

        public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

        /// <summary>Call before each message: forgets the previous message's end.</summary>
        public void Arm()
        {
            lock (_gate)
            {
                Volatile.Write(ref _ended, 0);
            }
        }

        public void LogConnect(Uri uri)
        {
            lock (_gate)
            {
                _lineLength = 0;
                _tail = 0;
                _chunkLeft = 0;
            }
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
            lock (_gate)
            {
                Take(new ReadOnlySpan<byte>(buffer, offset, count));
            }
        }

        public void LogServer(byte[] buffer, int offset, int count)
        {
        }

        public void Dispose()
        {
        }

        private void Take(ReadOnlySpan<byte> bytes)
        {
            while (bytes.Length > 0)
            {
                if (_chunkLeft > 0)
                {
                    // Inside a BDAT chunk: raw bytes, no lines, no terminator.
                    int skip = (int)Math.Min(_chunkLeft, bytes.Length);
                    _chunkLeft -= skip;
                    bytes = bytes.Slice(skip);
                    if (_chunkLeft == 0 && _chunkIsLast)
                    {
                        Volatile.Write(ref _ended, 1);
                    }

                    continue;
                }

                int lf = bytes.IndexOf((byte)'\n');
                ReadOnlySpan<byte> text = lf < 0 ? bytes : bytes.Slice(0, lf);
                Append(text);
                if (lf < 0)
                {
                    return;
                }

                // CR LF "." CR LF: this LF after CR LF "." CR.
                if (_tail == 0x0D0A2E0D)
                {
                    Volatile.Write(ref _ended, 1);
                }

                _tail = (_tail << 8) | '\n';
                EndOfLine();
                bytes = bytes.Slice(lf + 1);
            }
        }

        /// <summary>Bytes of the current line (no LF among them): the tail, and the line's first bytes.</summary>
        private void Append(ReadOnlySpan<byte> text)
        {
            if (text.Length >= 4)
            {
                _tail = (text[text.Length - 4] << 24) | (text[text.Length - 3] << 16) | (text[text.Length - 2] << 8) | text[text.Length - 1];
            }
            else
            {
                foreach (byte b in text)
                {
                    _tail = (_tail << 8) | b;
                }
            }

            if (_lineLength < MaxCommandLine)
            {
                int keep = Math.Min(text.Length, MaxCommandLine - _lineLength);
                text.Slice(0, keep).CopyTo(_line.AsSpan(_lineLength));
            }

            _lineLength = (int)Math.Min((long)_lineLength + text.Length, int.MaxValue);
        }

        private void EndOfLine()
        {
            int length = _lineLength;
            _lineLength = 0;
            // Only a short line that starts with BDAT can be one; everything else (headers, base64) is passed by.
            if (length > MaxCommandLine || length < 6 || (_line[0] | 0x20) != 'b' || (_line[1] | 0x20) != 'd' || (_line[2] | 0x20) != 'a' ||
                (_line[3] | 0x20) != 't' || _line[4] != ' ')
            {
                return;
            }

            OnLine(Encoding.ASCII.GetString(_line, 0, length).Replace("\r", string.Empty));
        }

        private void OnLine(string line)
        {
            // "BDAT <size> LAST": the message ends with the last of those bytes (MailKit sends one chunk, always LAST).
            string[] words = line.Split(' ');
            if (words.Length >= 2 && string.Equals(words[0], "BDAT", StringComparison.OrdinalIgnoreCase) &&
                long.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out long size))
            {
                _chunkIsLast = words.Length >= 3 && string.Equals(words[2], "LAST", StringComparison.OrdinalIgnoreCase);
                _chunkLeft = size;
                if (size == 0 && _chunkIsLast)
                {
                    Volatile.Write(ref _ended, 1);
                }
            }
        }
    }
}
