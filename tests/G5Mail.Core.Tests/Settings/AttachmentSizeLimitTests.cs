using System;
using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Settings
{
    public class AttachmentSizeLimitTests
    {
        [Theory]
        [InlineData(10, 10_485_760)]
        [InlineData(0.5, 524_288)]
        [InlineData(2.0000001, 2_097_152)]
        [InlineData(AttachmentSizeLimit.MinMegabytes, 1_048)]
        public void Megabytes_are_binary_and_round_down(double megabytes, long bytes)
        {
            Assert.Equal(bytes, AttachmentSizeLimit.ToBytes(megabytes));
        }

        [Theory]
        [InlineData(0)]
        [InlineData(-1)]
        [InlineData(1e-7)]
        [InlineData(double.NaN)]
        [InlineData(double.PositiveInfinity)]
        [InlineData(1_000_001)]
        public void A_value_outside_the_bounds_is_an_InvalidSetting_before_it_could_become_a_limit(double megabytes)
        {
            var ex = Assert.Throws<G5MailErrorException>(() => SettingsValidator.ValidateMaxAttachmentSizeMB(megabytes));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Contains("0.001", ex.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => AttachmentSizeLimit.ToBytes(megabytes));
        }

        [Fact]
        public void The_smallest_valid_value_passes_validation_and_plans()
        {
            Assert.Equal(AttachmentSizeLimit.MinMegabytes, SettingsValidator.ValidateMaxAttachmentSizeMB(AttachmentSizeLimit.MinMegabytes));
            Assert.True(AttachmentSizeLimit.ToBytes(AttachmentSizeLimit.MinMegabytes) > 0);
        }
    }
}
