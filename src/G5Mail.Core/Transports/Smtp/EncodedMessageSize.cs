using System;
using G5Mail.Core.Settings;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>
    /// How big a message gets on the wire when its attachments are base64 encoded (RFC 2045 section 6.8):
    /// every 3 bytes become 4 characters, in lines of at most 76 characters ended by CRLF, plus an allowance for
    /// the headers, the text body and the MIME boundaries. Servers compare their SIZE limit with this number.
    /// </summary>
    public sealed class EncodedMessageSize
    {
        /// <summary>Room for headers, a text body and the part headers of several attachments.</summary>
        public const long HeaderAllowance = 64 * 1024;

        private const int LineLength = 76;

        private EncodedMessageSize(long attachmentBytes)
        {
            AttachmentBytes = attachmentBytes;
            Base64Bytes = (attachmentBytes + 2) / 3 * 4;
            LineBreakBytes = (Base64Bytes + LineLength - 1) / LineLength * 2;
        }

        public long AttachmentBytes { get; }
        public long Base64Bytes { get; }
        public long LineBreakBytes { get; }
        public long Total => Base64Bytes + LineBreakBytes + HeaderAllowance;

        public static EncodedMessageSize ForAttachments(long attachmentBytes)
        {
            if (attachmentBytes < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(attachmentBytes));
            }

            return new EncodedMessageSize(attachmentBytes);
        }

        public static EncodedMessageSize ForMaxAttachmentSizeMB(double megabytes)
        {
            return ForAttachments(Settings.AttachmentSizeLimit.ToBytes(megabytes));
        }

        /// <summary>
        /// The largest MaxAttachmentSizeMB (rounded down to 0.1 MB) whose encoded message fits in
        /// <paramref name="serverLimit"/> bytes; 0 when not even a tenth of a megabyte fits.
        /// </summary>
        public static double LargestFittingMB(long serverLimit)
        {
            // Each 57 file bytes become one full line of 76 characters + CRLF = 78 bytes.
            long payload = serverLimit - HeaderAllowance;
            if (payload <= 0)
            {
                return 0;
            }

            long bytes = payload / 78 * 57;
            double tenths = Math.Floor(bytes * 10.0 / Settings.Defaults.BytesPerMB);
            while (tenths > 0 && ForMaxAttachmentSizeMB(tenths / 10).Total > serverLimit)
            {
                tenths--;
            }

            return tenths / 10;
        }
    }
}
