using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// HTTP content that knows whether all of it was handed to the connection. Before that the server cannot have the
    /// whole request (Content-Length tells it how much to wait for), so a lost connection is transient; after it the server
    /// may have acted, so a lost connection on a request that sends mail is uncertain.
    /// </summary>
    public sealed class WrittenContent : HttpContent
    {
        private readonly HttpContent _inner;
        private volatile bool _written;

        public WrittenContent(HttpContent inner)
        {
            _inner = inner;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        public bool Written => _written;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await _inner.CopyToAsync(stream).ConfigureAwait(false);
            _written = true;
        }

        protected override bool TryComputeLength(out long length)
        {
            long? known = _inner.Headers.ContentLength;
            length = known ?? 0;
            return known.HasValue;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
