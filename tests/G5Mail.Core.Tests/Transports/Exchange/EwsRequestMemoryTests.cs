using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Messages;
using G5Mail.Core.Transports.Exchange;
using Xunit;
using Xunit.Abstractions;

namespace G5Mail.Core.Tests.Transports.Exchange
{
    /// <summary>Alone, after the parallel tests: it measures the allocations of the whole process.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class AllocationMeasurements
    {
        public const string Name = "allocation measurements";
    }

    [Collection(AllocationMeasurements.Name)]
    public sealed class EwsRequestMemoryTests : IDisposable
    {
        private const long FileSize = 30L * 1024 * 1024;

        private readonly TempFolder _folder = new TempFolder();
        private readonly ITestOutputHelper _output;

        public EwsRequestMemoryTests(ITestOutputHelper output)
        {
            _output = output;
        }

        public void Dispose() => _folder.Dispose();

        [Fact]
        public async Task Streaming_the_request_for_a_30_MiB_attachment_allocates_a_small_constant_not_the_file()
        {
            // A sparse file: 30 MiB long, next to nothing on disk, reads as zeros.
            string path = Path.Combine(_folder.Path, "Stor ritning Åhus.pdf");
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            {
                file.SetLength(FileSize);
            }

            OutgoingMessage message = EwsRequestWriterTests.Message(new[] { path });
            OutgoingMessage warmUp = EwsRequestWriterTests.Message(new[] { _folder.RandomFile("small.pdf", 200_000, 1) });
            await Stream(EwsRequestWriter.CreateItem(warmUp));

            // The way HttpClient sends it: the request's HttpContent serialized into the connection's stream, here one
            // that counts and keeps nothing. Async file reads continue on pool threads, so the whole process is measured.
            EwsRequest request = EwsRequestWriter.CreateItem(message);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            long written = await Stream(request);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

            _output.WriteLine($"streamed {written:N0} bytes for a {FileSize:N0} byte file, allocated {allocated:N0} bytes");
            Assert.Equal(request.Length, written);
            Assert.True(written > FileSize * 4 / 3, "the attachment was not written in full");
            // Buffering the file (30 MiB) or its base64 (40 MiB, 80 MiB as UTF-16) would show here; streaming needs a few buffers.
            Assert.True(allocated < 2 * 1024 * 1024, $"allocated {allocated:N0} bytes to send a {FileSize:N0} byte file");
        }

        private static async Task<long> Stream(EwsRequest request)
        {
            var counter = new CountingStream();
            using (HttpContent content = request.CreateContent(CancellationToken.None))
            {
                await content.CopyToAsync(counter);
            }

            return counter.Length;
        }
    }
}
