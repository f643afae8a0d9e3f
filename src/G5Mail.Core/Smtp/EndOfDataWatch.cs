using System;
using System.Globalization;
using System.Text;
using System.Threading;
using MailKit;

namespace G5Mail.Core.Smtp
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
    internal sealed class EndOfDataWatch : IProtocolLogger
    {
        private const int MaxCommandLine = 512;
        private readonly StringBuilder _line = new StringBuilder();
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
            lock (_line)
            {
                Volatile.Write(ref _ended, 0);
            }
        }

        public void LogConnect(Uri uri)
        {
            lock (_line)
            {
                _line.Clear();
                _tail = 0;
                _chunkLeft = 0;
            }
        }

        public void LogClient(byte[] buffer, int offset, int count)
        {
            lock (_line)
            {
                for (int i = offset; i < offset + count; i++)
                {
                    Take(buffer[i]);
                }
            }
        }

        public void LogServer(byte[] buffer, int offset, int count)
        {
        }

        public void Dispose()
        {
        }

        private void Take(byte b)
        {
            if (_chunkLeft > 0)
            {
                // Inside a BDAT chunk: raw bytes, no lines, no terminator.
                if (--_chunkLeft == 0 && _chunkIsLast)
                {
                    Volatile.Write(ref _ended, 1);
                }

                return;
            }

            // CR LF "." CR LF: this LF after CR LF "." CR.
            if (b == (byte)'\n' && _tail == 0x0D0A2E0D)
            {
                Volatile.Write(ref _ended, 1);
            }

            _tail = (_tail << 8) | b;
            if (b == (byte)'\n')
            {
                OnLine(_line.ToString());
                _line.Clear();
            }
            else if (_line.Length < MaxCommandLine && b != (byte)'\r')
            {
                _line.Append((char)b);
            }
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
