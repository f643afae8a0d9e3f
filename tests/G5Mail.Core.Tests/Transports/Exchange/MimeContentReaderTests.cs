using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Transports.Exchange;
using Xunit;
using Xunit.Abstractions;

namespace G5Mail.Core.Tests.Transports.Exchange
{
    /// <summary>The GetItem answer with MimeContent is decoded as it arrives (EwsMailboxReader.DownloadAsync).</summary>
    public sealed class MimeContentReaderTests
    {
        internal const string Prefix = "<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>" +
                                       "<h:ServerVersionInfo MajorVersion=\"15\" MinorVersion=\"2\" MajorBuildNumber=\"1118\" MinorBuildNumber=\"7\" " +
                                       "xmlns:h=\"http://schemas.microsoft.com/exchange/services/2006/types\"/></s:Header><s:Body>" +
                                       "<m:GetItemResponse xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\" " +
                                       "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\"><m:ResponseMessages>" +
                                       "<m:GetItemResponseMessage ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:Message>" +
                                       "<t:MimeContent CharacterSet=\"UTF-8\">";

        internal const string Suffix = "</t:MimeContent><t:ItemId Id=\"AAMkAGI2\" ChangeKey=\"CQAAABYA\"/></t:Message></m:Items></m:GetItemResponseMessage>" +
                                       "</m:ResponseMessages></m:GetItemResponse></s:Body></s:Envelope>";

        [Fact]
        public async Task Decodes_the_MimeContent_into_the_destination()
        {
            byte[] mime = Encoding.UTF8.GetBytes("Subject: Räksmörgås\r\nMessage-ID: <a@b>\r\n\r\nHej\r\n");
            var destination = new MemoryStream();
            (EwsResponse? response, bool found) = await MimeContentReader.CopyAsync(
                new MemoryStream(Encoding.UTF8.GetBytes(Prefix + Convert.ToBase64String(mime) + Suffix)), destination, "id", CancellationToken.None);
            Assert.True(found);
            Assert.Equal("NoError", Assert.Single(response!.Messages).ResponseCode);
            Assert.Equal(mime, destination.ToArray());
        }

        [Fact]
        public async Task An_error_response_message_comes_back_parsed_and_nothing_is_written()
        {
            string xml = Prefix.Substring(0, Prefix.IndexOf("<m:GetItemResponseMessage", StringComparison.Ordinal)) +
                         "<m:GetItemResponseMessage ResponseClass=\"Error\"><m:MessageText>The specified object was not found in the store.</m:MessageText>" +
                         "<m:ResponseCode>ErrorItemNotFound</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/></m:GetItemResponseMessage>" +
                         "</m:ResponseMessages></m:GetItemResponse></s:Body></s:Envelope>";
            var destination = new MemoryStream();
            (EwsResponse? response, bool found) = await MimeContentReader.CopyAsync(new MemoryStream(Encoding.UTF8.GetBytes(xml)), destination, "id", CancellationToken.None);
            Assert.False(found);
            Assert.Equal("ErrorItemNotFound", response!.ErrorCode);
            Assert.Equal(0, destination.Length);
        }

        [Fact]
        public async Task Broken_base64_is_MessageUnreadable_for_that_message()
        {
            var ex = await Assert.ThrowsAsync<G5MailErrorException>(() => MimeContentReader.CopyAsync(
                new MemoryStream(Encoding.UTF8.GetBytes(Prefix + "SGVq!!!not base64" + Suffix)), new MemoryStream(), "the-id", CancellationToken.None));
            Assert.Equal(G5Mail.Core.Errors.ErrorIds.MessageUnreadable, ex.ErrorId);
            Assert.Equal(G5Mail.Core.Errors.FailureScope.Message, ex.Scope);
            Assert.Equal("the-id", ex.Target);
        }
    }

    [Collection(AllocationMeasurements.Name)]
    public sealed class MimeContentReaderMemoryTests
    {
        private const long MessageSize = 40L * 1024 * 1024;
        private readonly ITestOutputHelper _output;

        public MimeContentReaderMemoryTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public async Task Decoding_a_40_MiB_message_allocates_a_small_constant_not_the_message()
        {
            await Decode(1024 * 1024); // warm-up: the XmlReader's and the buffers' types
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var sink = new HashSink(sha);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            (EwsResponse? response, bool found) = await MimeContentReader.CopyAsync(new GeneratedAnswer(MessageSize), sink, "id", CancellationToken.None);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            _output.WriteLine($"decoded {sink.Length:N0} bytes, allocated {allocated:N0} bytes");
            Assert.True(found);
            Assert.Equal(MessageSize, sink.Length);
            Assert.Equal(GeneratedAnswer.ExpectedHash(MessageSize), sha.GetHashAndReset());
            // Buffering the answer (53 MiB of base64, twice that as UTF-16) or the message (40 MiB) would show here.
            Assert.True(allocated < 4 * 1024 * 1024, $"allocated {allocated:N0} bytes to decode a {MessageSize:N0} byte message");
        }

        private static async Task Decode(long size)
        {
            await MimeContentReader.CopyAsync(new GeneratedAnswer(size), Stream.Null, "id", CancellationToken.None);
        }

        /// <summary>A GetItem answer whose MimeContent is the base64 of <c>size</c> generated bytes, produced as it is read.</summary>
        private sealed class GeneratedAnswer : Stream
        {
            private const int Block = 3 * 16 * 1024;
            private readonly byte[] _prefix = Encoding.UTF8.GetBytes(MimeContentReaderTests.Prefix);
            private readonly byte[] _suffix = Encoding.UTF8.GetBytes(MimeContentReaderTests.Suffix);
            private readonly long _size;
            private readonly byte[] _raw = new byte[Block];
            private readonly byte[] _encoded = new byte[Block / 3 * 4];
            private long _produced;
            private int _stage;
            private byte[] _current;
            private int _currentLength;
            private int _position;

            public GeneratedAnswer(long size)
            {
                _size = size;
                _current = _prefix;
                _currentLength = _prefix.Length;
            }

            public static byte[] ExpectedHash(long size)
            {
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var block = new byte[Block];
                for (long done = 0; done < size; done += Block)
                {
                    int n = (int)Math.Min(Block, size - done);
                    Fill(block, done, n);
                    sha.AppendData(block, 0, n);
                }

                return sha.GetHashAndReset();
            }

            private static void Fill(byte[] block, long start, int n)
            {
                for (int i = 0; i < n; i++)
                {
                    block[i] = (byte)((start + i) * 31 % 251);
                }
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                while (_position == _currentLength)
                {
                    if (_stage == 0 && _produced < _size)
                    {
                        int n = (int)Math.Min(Block, _size - _produced);
                        Fill(_raw, _produced, n);
                        _produced += n;
                        System.Buffers.Text.Base64.EncodeToUtf8(_raw.AsSpan(0, n), _encoded, out _, out _currentLength);
                        _current = _encoded;
                        _position = 0;
                    }
                    else if (_stage == 0)
                    {
                        _stage = 1;
                        _current = _suffix;
                        _currentLength = _suffix.Length;
                        _position = 0;
                    }
                    else
                    {
                        return 0;
                    }
                }

                int copy = Math.Min(count, _currentLength - _position);
                Buffer.BlockCopy(_current, _position, buffer, offset, copy);
                _position += copy;
                return copy;
            }

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                Task.FromResult(Read(buffer, offset, count));

            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();

            public override long Position
            {
                get => throw new NotSupportedException();
                set => throw new NotSupportedException();
            }

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }

        private sealed class HashSink : Stream
        {
            private readonly IncrementalHash _hash;
            private long _length;

            public HashSink(IncrementalHash hash) => _hash = hash;

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => _length;

            public override long Position
            {
                get => _length;
                set => throw new NotSupportedException();
            }

            public override void Write(byte[] buffer, int offset, int count)
            {
                _hash.AppendData(buffer, offset, count);
                _length += count;
            }

            public override void Flush()
            {
            }

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }
}
