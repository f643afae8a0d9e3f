using System;
using System.IO;
using System.Linq;
using G5Mail.Core.Documents;
using G5Mail.Core.Messages;
using G5Mail.Core.Transports.Exchange;
using Xunit;
using Xunit.Abstractions;

namespace G5Mail.Core.Tests.Messages
{
    public sealed class AttachmentStreamingTests : IDisposable
    {
        private const long FileSize = 64L * 1024 * 1024;

        private readonly TempFolder _folder = new TempFolder();
        private readonly ITestOutputHelper _output;

        public AttachmentStreamingTests(ITestOutputHelper output)
        {
            _output = output;
        }

        public void Dispose() => _folder.Dispose();

        [Fact]
        public void Writing_a_64_MB_attachment_allocates_far_less_than_the_file()
        {
            // A sparse file: 64 MB long, next to nothing on disk, reads as zeros.
            var path = Path.Combine(_folder.Path, "Stor ritning Åhus.pdf");
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            {
                file.SetLength(FileSize);
            }

            var documents = DocumentCollector.Collect(new[] { new DocumentRequest { Paths = new[] { path }, To = new[] { "kund@example.se" } } }, out _);
            var plan = MessagePlanner.Plan(documents, false, 10 * 1_048_576).Single();
            var message = MessageComposer.Compose(plan, new ComposeOptions { From = "order@example.se" });

            // Warm up MimeKit's code paths and pools with a small message, so only the size-dependent part counts.
            var small = _folder.RandomFile("small.pdf", 100_000, 3);
            var warm = MessageComposer.Compose(
                MessagePlanner.Plan(DocumentCollector.Collect(new[] { new DocumentRequest { Paths = new[] { small }, To = new[] { "k@example.se" } } }, out _), false, 1).Single(),
                new ComposeOptions { From = "order@example.se" });
            warm.WriteTo(Stream.Null);

            var counter = new CountingStream();
            var before = GC.GetAllocatedBytesForCurrentThread();
            message.WriteTo(counter);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            _output.WriteLine($"wrote {counter.Length:N0} bytes, allocated {allocated:N0} bytes");
            Assert.Equal(message.EstimateEncodedSize(), counter.Length);
            Assert.True(counter.Length > FileSize * 4 / 3, "the attachment was not written in full");
            // Reading the file whole would allocate 64 MB at least; streaming needs a few buffers.
            Assert.True(allocated < 4 * 1024 * 1024, $"allocated {allocated:N0} bytes to write a {FileSize:N0} byte file");
        }

        /// <summary>Counts what is written and keeps nothing.</summary>
        private sealed class CountingStream : Stream
        {
            private long _length;

            public override bool CanRead => false;

            public override bool CanSeek => false;

            public override bool CanWrite => true;

            public override long Length => _length;

            public override long Position
            {
                get => _length;
                set => throw new NotSupportedException();
            }

            public override void Flush()
            {
            }

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => _length += count;
        }
    }
}
