using System;
using System.IO;
using G5Mail.Core.Messages;
using MimeKit;
using Xunit;

namespace G5Mail.Core.Tests.Messages
{
    public sealed class Base64FileStreamTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        /// <summary>The part as MimeKit writes it when it encodes the file itself (what G5Mail sent before).</summary>
        private static byte[] MimeKitEncoded(string path)
        {
            using (var file = File.OpenRead(path))
            {
                return Written(new MimePart("application", "pdf") { Content = new MimeContent(file), ContentTransferEncoding = ContentEncoding.Base64 });
            }
        }

        private static byte[] Written(MimePart part)
        {
            using (var output = new MemoryStream())
            {
                part.WriteTo(OutgoingMessage.CreateFormatOptions(), output);
                return output.ToArray();
            }
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(56)]
        [InlineData(57)]
        [InlineData(58)]
        [InlineData(114)]
        [InlineData(14_591)]
        [InlineData(14_592)]
        [InlineData(14_593)]
        [InlineData(100_000)]
        [InlineData(1_000_003)]
        public void A_part_is_written_byte_for_byte_as_MimeKit_encodes_it_and_Base64Size_is_its_length(int size)
        {
            string path = _folder.RandomFile($"f{size}.pdf", size, size);
            using (var stream = new Base64FileStream(path))
            {
                byte[] ours = Written(new MimePart("application", "pdf") { Content = new MimeContent(stream, ContentEncoding.Base64), ContentTransferEncoding = ContentEncoding.Base64 });
                Assert.Equal(MimeKitEncoded(path), ours);
                Assert.Equal(OutgoingMessage.Base64Size(size), stream.Length);

                // Written again (a retry): the same bytes; and it decodes to the file.
                stream.Position = 0;
                using (var text = new MemoryStream())
                {
                    stream.CopyTo(text);
                    Assert.Equal(OutgoingMessage.Base64Size(size), text.Length);
                    text.Position = 0;
                    using (var decoded = new MemoryStream())
                    {
                        new MimeContent(text, ContentEncoding.Base64).DecodeTo(decoded);
                        Assert.Equal(File.ReadAllBytes(path), decoded.ToArray());
                    }
                }
            }
        }
    }
}
