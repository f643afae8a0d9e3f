using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Runs;
using Xunit;

namespace G5Mail.Core.Tests.Runs
{
    public sealed class RetryPolicyTests
    {
        [Fact]
        public void Defaults_are_three_retries_from_two_seconds_capped_at_a_minute()
        {
            RetryPolicy policy = RetryPolicy.Default;

            Assert.Equal(3, policy.RetryCount);
            Assert.Equal(TimeSpan.FromSeconds(2), policy.BaseDelay);
            Assert.Equal(TimeSpan.FromSeconds(60), policy.MaxDelay);
            Assert.Equal(TimeSpan.FromMinutes(5), policy.MaxServerDelay);
        }

        [Theory]
        [InlineData(1, 2)]
        [InlineData(2, 4)]
        [InlineData(3, 8)]
        [InlineData(4, 16)]
        [InlineData(5, 32)]
        [InlineData(6, 60)]
        [InlineData(10, 60)]
        public void The_backoff_ceiling_doubles_from_the_base_and_stops_at_the_cap(int retry, int seconds)
        {
            var policy = new RetryPolicy(10);

            Assert.Equal(TimeSpan.FromSeconds(seconds), policy.Ceiling(retry));
        }

        [Theory]
        [InlineData(0.0, 0)]
        [InlineData(0.5, 2000)]
        [InlineData(0.25, 1000)]
        [InlineData(0.999, 3996)]
        public void Full_jitter_scales_the_ceiling_by_the_random_fraction(double fraction, int expectedMs)
        {
            var policy = new RetryPolicy(3, random: () => fraction);

            // Retry 2: ceiling 4 s.
            Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), policy.DelayBefore(2));
        }

        [Fact]
        public void Jittered_waits_spread_over_the_whole_range_below_the_ceiling()
        {
            var policy = new RetryPolicy(5);
            for (int retry = 1; retry <= 5; retry++)
            {
                TimeSpan ceiling = policy.Ceiling(retry);
                List<TimeSpan> waits = Enumerable.Range(0, 2000).Select(_ => policy.DelayBefore(retry)!.Value).ToList();

                Assert.All(waits, w => Assert.InRange(w, TimeSpan.Zero, ceiling));
                Assert.True(waits.Min() < TimeSpan.FromTicks(ceiling.Ticks / 10), $"retry {retry}: min {waits.Min()} not near 0");
                Assert.True(waits.Max() > TimeSpan.FromTicks(ceiling.Ticks * 9 / 10), $"retry {retry}: max {waits.Max()} not near {ceiling}");
                double mean = waits.Average(w => w.TotalMilliseconds);
                Assert.InRange(mean, ceiling.TotalMilliseconds * 0.4, ceiling.TotalMilliseconds * 0.6);
            }
        }

        [Fact]
        public void There_is_no_wait_past_the_retry_count()
        {
            var policy = new RetryPolicy(2);

            Assert.NotNull(policy.DelayBefore(1));
            Assert.NotNull(policy.DelayBefore(2));
            Assert.Null(policy.DelayBefore(3));
            Assert.Null(policy.DelayBefore(3, TimeSpan.FromSeconds(1)));
            Assert.Null(RetryPolicy.None.DelayBefore(1));
        }

        [Fact]
        public void A_wait_the_server_asked_for_is_used_as_given_even_above_the_backoff_cap()
        {
            var policy = new RetryPolicy(3, random: () => 0.0);

            Assert.Equal(TimeSpan.FromSeconds(7), policy.DelayBefore(1, TimeSpan.FromSeconds(7)));
            Assert.Equal(TimeSpan.FromSeconds(90), policy.DelayBefore(3, TimeSpan.FromSeconds(90)));
            Assert.Equal(TimeSpan.Zero, policy.DelayBefore(1, TimeSpan.FromSeconds(-3)));
        }

        [Fact]
        public void A_server_wait_above_the_bound_is_capped()
        {
            var policy = new RetryPolicy(3, maxServerDelay: TimeSpan.FromSeconds(30));

            Assert.Equal(TimeSpan.FromSeconds(30), policy.DelayBefore(1, TimeSpan.FromHours(2)));
            Assert.Equal(TimeSpan.FromMinutes(5), RetryPolicy.Default.DelayBefore(1, TimeSpan.FromHours(2)));
        }

        [Fact]
        public void A_zero_base_never_waits_and_a_base_above_the_cap_raises_the_cap()
        {
            Assert.Equal(TimeSpan.Zero, new RetryPolicy(3, TimeSpan.Zero).DelayBefore(3));

            var slow = new RetryPolicy(3, TimeSpan.FromSeconds(120));
            Assert.Equal(TimeSpan.FromSeconds(120), slow.MaxDelay);
            Assert.Equal(TimeSpan.FromSeconds(120), slow.Ceiling(3));
        }

        [Theory]
        [InlineData(-1)]
        [InlineData(11)]
        public void The_retry_count_is_bounded(int count)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(count));
        }

        [Fact]
        public void A_negative_delay_is_refused()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(3, TimeSpan.FromSeconds(-1)));
        }

        [Fact]
        public async Task A_wait_ends_at_once_when_cancelled()
        {
            var policy = new RetryPolicy();
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            var watch = Stopwatch.StartNew();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => policy.WaitAsync(TimeSpan.FromSeconds(30), cancel.Token));

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        }
    }
}
