using System.Threading;
using MailKit;

namespace G5Mail.Core.Smtp
{
    /// <summary>
    /// Tells whether MailKit may already have written the end of the message data, from the transfer progress it
    /// reports while sending. MailKit (4.18, SmtpClient.MessageDataAsync/BdatAsync) writes the message through a
    /// ProgressStream that reports each chunk after it was written, and only after the last chunk writes the final
    /// "CRLF.CRLF" (DATA) or stops (BDAT ... LAST, where the size was announced). So while fewer bytes than the message's
    /// size were reported, the end of data was certainly not written and the server cannot have accepted the message
    /// (RFC 5321 4.1.1.4; RFC 3030 for BDAT). Once all were reported, a lost connection leaves the outcome unknown.
    /// The counted bytes include dot-stuffing, so the size can be reached a little early: that errs towards Uncertain,
    /// never towards sending twice.
    /// </summary>
    internal sealed class EndOfDataWatch : ITransferProgress
    {
        private long _written;
        private long _size = -1;
        private int _sizeUnknown;

        /// <summary>Any reporting at all means the message data started (MAIL, RCPT and DATA were accepted).</summary>
        public bool DataStarted => Interlocked.Read(ref _written) > 0;

        /// <summary>True once the whole message may have been written, i.e. the server may have it.</summary>
        public bool MayHaveSentEndOfData
        {
            get
            {
                long written = Interlocked.Read(ref _written);
                // Without a size MailKit cannot say when the data ends: any data written counts as possibly complete.
                return Volatile.Read(ref _sizeUnknown) != 0 ? written > 0 : written > 0 && written >= Interlocked.Read(ref _size);
            }
        }

        public void Report(long bytesTransferred, long totalSize)
        {
            Interlocked.Exchange(ref _size, totalSize);
            Interlocked.Exchange(ref _written, bytesTransferred);
        }

        public void Report(long bytesTransferred)
        {
            Volatile.Write(ref _sizeUnknown, 1);
            Interlocked.Exchange(ref _written, bytesTransferred);
        }
    }
}
