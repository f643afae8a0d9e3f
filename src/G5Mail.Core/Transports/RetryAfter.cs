using System;
using System.Net.Http.Headers;

namespace G5Mail.Core.Transports
{
    /// <summary>The HTTP Retry-After header as a wait.</summary>
    public static class RetryAfter
    {
        /// <summary>Retry-After as seconds or as an HTTP date (RFC 9110 10.2.3), relative to <paramref name="now"/>; null when absent.</summary>
        public static TimeSpan? Parse(RetryConditionHeaderValue? header, DateTimeOffset now)
        {
            if (header == null)
            {
                return null;
            }

            if (header.Delta.HasValue)
            {
                return header.Delta.Value;
            }

            if (header.Date.HasValue)
            {
                TimeSpan wait = header.Date.Value - now;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }

            return null;
        }
    }
}
