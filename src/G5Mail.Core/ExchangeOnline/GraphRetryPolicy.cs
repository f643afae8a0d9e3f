using System;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.ExchangeOnline
{
    /// <summary>
    /// When to try a Graph call again: only on 429 (throttled), 503 (unavailable) and 504 (gateway timeout), waiting as long
    /// as Retry-After says ("Microsoft Graph throttling guidance", learn.microsoft.com/graph/throttling: "wait the number of
    /// seconds specified in the Retry-After header"), else a short backoff; at most <see cref="MaxAttempts"/> tries and
    /// <see cref="MaxTotalWait"/> of waiting, so a throttled tenant fails a message with a clear error instead of hanging.
    /// The one place where Graph retries are decided (a later reliability issue generalises it).
    /// </summary>
    public sealed class GraphRetryPolicy
    {
        public static readonly GraphRetryPolicy Default = new GraphRetryPolicy();

        public int MaxAttempts { get; set; } = 3;

        public TimeSpan MaxTotalWait { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>Waits without Retry-After: 1 s, then 2 s, 4 s...</summary>
        public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>How to wait; tests replace it to run without real delays.</summary>
        public Func<TimeSpan, CancellationToken, Task> Delay { get; set; } = (wait, ct) => Task.Delay(wait, ct);

        public static bool IsTransient(int status) => status == 429 || status == 503 || status == 504;

        /// <summary>
        /// The wait before try number <paramref name="attempt"/> + 1, or null to give up. <paramref name="attempt"/> counts from 1;
        /// <paramref name="waitedSoFar"/> is the time already spent waiting for this call.
        /// </summary>
        public TimeSpan? NextWait(int attempt, int status, TimeSpan? retryAfter, TimeSpan waitedSoFar)
        {
            if (!IsTransient(status) || attempt >= MaxAttempts)
            {
                return null;
            }

            TimeSpan wait = retryAfter ?? TimeSpan.FromTicks(FirstBackoff.Ticks * (1L << Math.Min(attempt - 1, 10)));
            if (wait < TimeSpan.Zero)
            {
                wait = TimeSpan.Zero;
            }

            return waitedSoFar + wait > MaxTotalWait ? (TimeSpan?)null : wait;
        }

        /// <summary>Retry-After as seconds or as an HTTP date (RFC 9110 10.2.3), relative to <paramref name="now"/>.</summary>
        public static TimeSpan? ParseRetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
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
