using G5Mail.Core.Transports.Smtp;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Smtp
{
    public class EncodedMessageSizeTests
    {
        [Theory]
        [InlineData(0, 0, 0)]
        [InlineData(1, 4, 2)]
        [InlineData(57, 76, 2)]
        [InlineData(58, 80, 4)]
        [InlineData(3, 4, 2)]
        public void Base64AndLineBreaks_FollowRfc2045(long bytes, long base64, long lineBreaks)
        {
            EncodedMessageSize size = EncodedMessageSize.ForAttachments(bytes);
            Assert.Equal(base64, size.Base64Bytes);
            Assert.Equal(lineBreaks, size.LineBreakBytes);
            Assert.Equal(base64 + lineBreaks + EncodedMessageSize.HeaderAllowance, size.Total);
        }

        [Fact]
        public void TenMegabytes_GrowByAboutThirtySevenPercent()
        {
            EncodedMessageSize size = EncodedMessageSize.ForMaxAttachmentSizeMB(10);
            Assert.Equal(10_485_760, size.AttachmentBytes);
            Assert.Equal(13_981_016, size.Base64Bytes);
            Assert.Equal(367_922, size.LineBreakBytes);
            Assert.InRange(size.Total / (double)size.AttachmentBytes, 1.37, 1.38);
        }

        [Theory]
        [InlineData(10_485_760)]
        [InlineData(1_000_000)]
        [InlineData(36_700_160)]
        [InlineData(157_286_400)]
        public void LargestFittingMB_FitsAndTheNextTenthDoesNot(long limit)
        {
            double fits = EncodedMessageSize.LargestFittingMB(limit);
            Assert.True(fits > 0);
            Assert.True(EncodedMessageSize.ForMaxAttachmentSizeMB(fits).Total <= limit);
            Assert.True(EncodedMessageSize.ForMaxAttachmentSizeMB(fits + 0.1).Total > limit);
        }

        [Fact]
        public void LimitBelowTheHeaderAllowance_FitsNothing()
        {
            Assert.Equal(0, EncodedMessageSize.LargestFittingMB(50_000));
        }
    }
}
