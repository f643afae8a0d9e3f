using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Messages
{
    /// <summary>
    /// A read-only view of a file that opens it at the first read and closes it on dispose. A composed message
    /// therefore holds no file handle until it is written, and writing streams the file in small buffers
    /// (never the whole file in memory). MimeKit's MimeContent needs a readable, seekable stream: this is one.
    /// </summary>
    internal sealed class LazyFileStream : Stream
    {
        private const int BufferSize = 81920;

        private readonly string _path;
        private FileStream? _inner;
        private bool _disposed;

        public LazyFileStream(string path)
        {
            _path = path ?? throw new ArgumentNullException(nameof(path));
        }

        public string Path => _path;

        /// <summary>True while the file is open (for tests: composing must not open files).</summary>
        internal bool IsOpen => _inner != null;

        /// <summary>True once disposed (for tests: disposing the message must close every file).</summary>
        internal bool IsDisposed => _disposed;

        public override bool CanRead => !_disposed;

        public override bool CanSeek => !_disposed;

        public override bool CanWrite => false;

        public override long Length => Inner.Length;

        public override long Position
        {
            get => Inner.Position;
            set => Inner.Position = value;
        }

        private FileStream Inner
        {
            get
            {
                if (_disposed)
                {
                    throw new ObjectDisposedException(nameof(LazyFileStream));
                }

                if (_inner == null)
                {
                    try
                    {
                        _inner = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
                    }
                    catch (Exception ex) when (ex is FileNotFoundException || ex is DirectoryNotFoundException)
                    {
                        throw new G5MailErrorException(
                            ErrorIds.FileNotFound,
                            ErrorKind.ObjectNotFound,
                            "The attachment '" + _path + "' was removed before it could be sent.",
                            _path,
                            ex);
                    }
                }

                return _inner;
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Inner.Read(buffer, offset, count);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => Inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                _inner?.Dispose();
                _inner = null;
            }

            base.Dispose(disposing);
        }
    }
}
