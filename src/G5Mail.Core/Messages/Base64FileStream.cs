using System;
using System.Buffers;
using System.Buffers.Text;
using System.IO;
using System.Runtime.CompilerServices;

namespace G5Mail.Core.Messages
{
    /// <summary>
    /// A file as the base64 text of a MIME attachment: lines of 76 characters, each ended by CRLF, exactly the bytes
    /// MimeKit's own encoder writes (so <see cref="OutgoingMessage.Base64Size"/> stays exact). The attachment's
    /// MimeContent declares this encoding, so MimeKit copies the text instead of encoding the file itself.
    /// </summary>
    /// <remarks>
    /// Why: under PowerShell 7 the module runs MimeKit's netstandard2.0 build, whose base64 encoder is a scalar loop, and
    /// in a pwsh process that loop runs unoptimised (tier-0 JIT) for the first several hundred messages while the JIT
    /// works through PowerShell's own backlog; the benchmark's throughput line (build.ps1 -Task Bench) showed it as the
    /// largest cost of sending 500 small messages. <see cref="Base64.EncodeToUtf8(ReadOnlySpan{byte}, Span{byte}, out int, out int, bool)"/> is the
    /// runtime's own, precompiled and vectorised encoder on .NET (the System.Memory package's portable one on .NET
    /// Framework). The file is opened at the first read and closed on dispose (<see cref="LazyFileStream"/>).
    /// </remarks>
    internal sealed class Base64FileStream : Stream
    {
        private const int LineBytes = 57; // 57 bytes -> 76 characters
        private const int LineChars = 76;
        private const int LinesPerBlock = 256; // 14,592 file bytes -> 19,968 bytes of text per refill

        private readonly LazyFileStream _file;
        private byte[]? _input;
        private byte[]? _encoded;
        private byte[]? _output;
        private int _outputStart;
        private int _outputEnd;
        private long _position;
        private bool _endOfFile;

        public Base64FileStream(string path)
        {
            _file = new LazyFileStream(path);
        }

        /// <summary>The file underneath (for tests: opened only when read, closed on dispose).</summary>
        internal LazyFileStream File => _file;

        public override bool CanRead => _file.CanRead;

        /// <summary>Seekable back to the start only (a message written again, e.g. by a retry).</summary>
        public override bool CanSeek => _file.CanSeek;

        public override bool CanWrite => false;

        public override long Length => OutgoingMessage.Base64Size(_file.Length);

        public override long Position
        {
            get => _position;
            set => Seek(value, SeekOrigin.Begin);
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            long target = origin == SeekOrigin.Begin ? offset : origin == SeekOrigin.Current ? _position + offset : Length + offset;
            if (target == _position)
            {
                return _position;
            }

            if (target != 0)
            {
                throw new NotSupportedException("The base64 view of an attachment can only go back to its start.");
            }

            _file.Seek(0, SeekOrigin.Begin);
            _outputStart = _outputEnd = 0;
            _position = 0;
            _endOfFile = false;
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException(nameof(buffer));
            }

            if (offset < 0 || count < 0 || offset + count > buffer.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            int copied = 0;
            while (copied < count)
            {
                if (_outputStart == _outputEnd && !Refill())
                {
                    break;
                }

                int n = Math.Min(count - copied, _outputEnd - _outputStart);
                Buffer.BlockCopy(_output!, _outputStart, buffer, offset + copied, n);
                _outputStart += n;
                copied += n;
            }

            _position += copied;
            return copied;
        }

        /// <summary>Reads the next block of the file and encodes it into lines; false at the end of the file.</summary>
        [MethodImpl((MethodImplOptions)512)] // AggressiveOptimization: skip tier-0 JIT for this loop (ignored where unknown)
        private bool Refill()
        {
            if (_endOfFile)
            {
                return false;
            }

            _input ??= new byte[LineBytes * LinesPerBlock];
            _encoded ??= new byte[LineChars * LinesPerBlock];
            _output ??= new byte[(LineChars + 2) * LinesPerBlock];

            // Whole lines only, except at the end of the file: fill the block unless the file ends first.
            int read = 0;
            while (read < _input.Length)
            {
                int n = _file.Read(_input, read, _input.Length - read);
                if (n == 0)
                {
                    _endOfFile = true;
                    break;
                }

                read += n;
            }

            if (read == 0)
            {
                return false;
            }

            OperationStatus status = Base64.EncodeToUtf8(new ReadOnlySpan<byte>(_input, 0, read), _encoded, out _, out int characters, isFinalBlock: true);
            if (status != OperationStatus.Done)
            {
                throw new InvalidOperationException("Base64 encoding failed: " + status);
            }

            int written = 0;
            for (int at = 0; at < characters; at += LineChars)
            {
                int length = Math.Min(LineChars, characters - at);
                Buffer.BlockCopy(_encoded, at, _output, written, length);
                written += length;
                _output[written++] = (byte)'\r';
                _output[written++] = (byte)'\n';
            }

            _outputStart = 0;
            _outputEnd = written;
            return true;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _file.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
