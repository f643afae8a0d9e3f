using System;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.Runs
{
    /// <summary>
    /// How often and how long to wait before sending a message again after a transient failure: bounded exponential
    /// backoff with full jitter (a uniformly random wait between 0 and min(cap, base * 2^(n-1)) before retry n, so many
    /// senders throttled at once do not return in step), or the wait the server asked for (Retry-After,
    /// BackOffMilliseconds) up to <see cref="MaxServerDelay"/>. One policy serves every transport.
    /// </summary>
    public sealed class RetryPolicy
    {
        public const int DefaultRetryCount = 3;
        public const int MaxRetryCount = 10;
        public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromSeconds(2);
        public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(60);

        /// <summary>A server may ask for long waits; a nightly batch still has to end, so no single wait is longer than this.</summary>
        public static readonly TimeSpan DefaultMaxServerDelay = TimeSpan.FromMinutes(5);

        private static readonly Random SharedRandom = new Random();
        private readonly Func<double> _random;

        /// <param name="retryCount">Retries after the first attempt, 0 to <see cref="MaxRetryCount"/>.</param>
        /// <param name="baseDelay">The backoff before the first retry (its ceiling: the wait is random below it).</param>
        /// <param name="maxDelay">The ceiling of any backoff; never below <paramref name="baseDelay"/>.</param>
        /// <param name="maxServerDelay">The longest server-requested wait honoured; longer requests wait this long.</param>
        /// <param name="random">A source of numbers in [0, 1) (tests fix it); default a shared <see cref="Random"/>.</param>
        public RetryPolicy(int retryCount = DefaultRetryCount, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null, TimeSpan? maxServerDelay = null,
            Func<double>? random = null)
        {
            if (retryCount < 0 || retryCount > MaxRetryCount)
            {
                throw new ArgumentOutOfRangeException(nameof(retryCount), retryCount, $"The retry count must be between 0 and {MaxRetryCount}.");
            }

            TimeSpan first = baseDelay ?? DefaultBaseDelay;
            if (first < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(baseDelay), first, "The retry delay cannot be negative.");
            }

            RetryCount = retryCount;
            BaseDelay = first;
            TimeSpan cap = maxDelay ?? DefaultMaxDelay;
            MaxDelay = cap < first ? first : cap;
            MaxServerDelay = maxServerDelay ?? DefaultMaxServerDelay;
            _random = random ?? NextShared;
        }

        public static RetryPolicy Default { get; } = new RetryPolicy();

        /// <summary>No retries: every failure is final at once.</summary>
        public static RetryPolicy None { get; } = new RetryPolicy(0);

        public int RetryCount { get; }
        public TimeSpan BaseDelay { get; }
        public TimeSpan MaxDelay { get; }
        public TimeSpan MaxServerDelay { get; }

        /// <summary>How a wait is carried out; tests replace it to record waits instead of sleeping.</summary>
        internal Func<TimeSpan, CancellationToken, Task> Sleep { get; set; } = (delay, token) => Task.Delay(delay, token);

        /// <summary>The most a backoff before retry <paramref name="retry"/> (1-based) can be: min(MaxDelay, BaseDelay * 2^(retry-1)).</summary>
        public TimeSpan Ceiling(int retry)
        {
            if (retry < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(retry), retry, "Retries are counted from 1.");
            }

            // Doubling past 2^20 cannot stay under any sensible cap; stop before the ticks overflow.
            double ticks = BaseDelay.Ticks * Math.Pow(2, Math.Min(retry - 1, 20));
            return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
        }

        /// <summary>
        /// The wait before retry <paramref name="retry"/> (1-based), or null when no retry is left. A wait the server
        /// asked for is used as given (its guidance, e.g. Microsoft Graph's throttling page: "wait the number of seconds
        /// specified in the Retry-After header"), capped at <see cref="MaxServerDelay"/>; otherwise full jitter below
        /// <see cref="Ceiling"/>.
        /// </summary>
        public TimeSpan? DelayBefore(int retry, TimeSpan? serverDelay = null)
        {
            if (retry < 1 || retry > RetryCount)
            {
                return null;
            }

            if (serverDelay.HasValue)
            {
                TimeSpan asked = serverDelay.Value < TimeSpan.Zero ? TimeSpan.Zero : serverDelay.Value;
                return asked > MaxServerDelay ? MaxServerDelay : asked;
            }

            double fraction = _random();
            if (fraction < 0 || fraction >= 1)
            {
                throw new InvalidOperationException("The random source must return a number in [0, 1).");
            }

            return TimeSpan.FromTicks((long)(Ceiling(retry).Ticks * fraction));
        }

        /// <summary>Waits <paramref name="delay"/>; cancelling the token ends the wait at once with OperationCanceledException.</summary>
        public Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return delay <= TimeSpan.Zero ? Task.CompletedTask : Sleep(delay, cancellationToken);
        }

        private static double NextShared()
        {
            lock (SharedRandom)
            {
                return SharedRandom.NextDouble();
            }
        }
    }
}
