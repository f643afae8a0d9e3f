using System;
using System.Globalization;

namespace G5Mail.Core.Errors
{
    /// <summary>Pieces of the texts that error messages, warnings and progress share, so they read the same everywhere.</summary>
    public static class ErrorText
    {
        /// <summary>The exception at the bottom of a chain: the socket or TLS error a wrapper's message hides.</summary>
        public static Exception Innermost(Exception ex)
        {
            while (ex.InnerException != null)
            {
                ex = ex.InnerException;
            }

            return ex;
        }

        /// <summary>Bytes as megabytes of 1,048,576 bytes with one decimal ("12.5"), the unit of MaxAttachmentSizeMB.</summary>
        public static string Megabytes(double bytes) => (bytes / 1_048_576d).ToString("0.0", CultureInfo.InvariantCulture);
    }
}
