using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.Diagnostics
{
    /// <summary>
    /// Passes everything through and keeps the first bytes the server sent, so a failed TLS handshake can tell
    /// "the server spoke plain SMTP" from other failures, and a silent server can be told from a slow one.
    /// </summary>
    internal sealed class SniffingStream : Stream
    {
        private const int Keep = 128;
        private readonly Stream _inner;
        private readonly byte[] _first = new byte[Keep];
        private readonly TaskCompletionSource<bool> _firstRead = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _kept;

        public SniffingStream(Stream inner)
        {
            _inner = inner;
        }

        /// <summary>Completes with true when the server sent its first bytes, false when it closed without any.</summary>
        public Task<bool> FirstRead => _firstRead.Task;

        public long BytesRead { get; private set; }

        public byte[] FirstBytes
        {
            get
            {
                var copy = new byte[_kept];
                Array.Copy(_first, copy, _kept);
                return copy;
            }
        }

        public override bool CanRead => _inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => _inner.CanWrite;
        public override bool CanTimeout => _inner.CanTimeout;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int ReadTimeout
        {
            get => _inner.ReadTimeout;
            set => _inner.ReadTimeout = value;
        }

        public override int WriteTimeout
        {
            get => _inner.WriteTimeout;
            set => _inner.WriteTimeout = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => Record(buffer, offset, _inner.Read(buffer, offset, count));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            return Record(buffer, offset, await _inner.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false));
        }

        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => _inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
                _firstRead.TrySetResult(false);
            }

            base.Dispose(disposing);
        }

        private int Record(byte[] buffer, int offset, int read)
        {
            if (read > 0)
            {
                int take = Math.Min(read, Keep - _kept);
                if (take > 0)
                {
                    Array.Copy(buffer, offset, _first, _kept, take);
                    _kept += take;
                }

                BytesRead += read;
                _firstRead.TrySetResult(true);
            }
            else
            {
                _firstRead.TrySetResult(false);
            }

            return read;
        }

        /// <summary>TLS records start with content type 21 (alert) or 22 (handshake), RFC 8446 section 5.1.</summary>
        public bool LooksLikeTls => _kept > 0 && (_first[0] == 21 || _first[0] == 22);

        /// <summary>An SMTP reply starts with a three-digit code (RFC 5321 section 4.2).</summary>
        public bool LooksLikeSmtp => _kept >= 3 && IsDigit(_first[0]) && IsDigit(_first[1]) && IsDigit(_first[2]);

        /// <summary>The first line the server sent, printable characters only, for messages.</summary>
        public string FirstLine
        {
            get
            {
                var text = new System.Text.StringBuilder();
                for (int i = 0; i < _kept && _first[i] != '\r' && _first[i] != '\n' && text.Length < 80; i++)
                {
                    byte b = _first[i];
                    text.Append(b >= 32 && b < 127 ? (char)b : '.');
                }

                return text.ToString();
            }
        }

        private static bool IsDigit(byte b) => b >= '0' && b <= '9';
    }
}
