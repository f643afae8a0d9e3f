using System;

namespace G5Mail.Core.Settings
{
    /// <summary>
    /// MaxAttachmentSizeMB: its bounds and its one conversion to bytes (1 MB = 1,048,576 bytes, as the contract defines).
    /// The settings validator and the cmdlets' -MaxAttachmentSizeMB use the same bounds, so every value that gets past
    /// them is a limit of at least one kilobyte.
    /// </summary>
    public static class AttachmentSizeLimit
    {
        /// <summary>The smallest limit: 0.001 MB (1,048 bytes). Anything smaller would leave no room for any file.</summary>
        public const double MinMegabytes = 0.001;

        /// <summary>The largest limit: 1,000,000 MB (about 1 TB); no mail system takes more.</summary>
        public const double MaxMegabytes = 1_000_000;

        public static bool IsValid(double megabytes) => !double.IsNaN(megabytes) && megabytes >= MinMegabytes && megabytes <= MaxMegabytes;

        /// <summary>The limit in bytes, rounded down: a message may hold exactly the limit, never a byte more.</summary>
        public static long ToBytes(double megabytes)
        {
            if (!IsValid(megabytes))
            {
                throw new ArgumentOutOfRangeException(nameof(megabytes), megabytes,
                    $"MaxAttachmentSizeMB must be between {MinMegabytes} and {MaxMegabytes}; the settings validator rejects anything else.");
            }

            return (long)Math.Floor(megabytes * Defaults.BytesPerMB);
        }
    }
}
