using System;
using System.Net.Http.Headers;
using G5Mail.Core.ExchangeOnline;
using Xunit;

namespace G5Mail.Core.Tests.ExchangeOnline
{
    public sealed class GraphRetryPolicyTests
    {
        private readonly GraphRetryPolicy _policy = new GraphRetryPolicy();

        [Theory]
        [InlineData(400)]
        [InlineData(401)]
        [InlineData(403)]
        [InlineData(500)]
        [InlineData(502)]
        public void Only_429_503_and_504_are_retried(int status)
        {
            Assert.Null(_policy.NextWait(1, status, TimeSpan.FromSeconds(1), TimeSpan.Zero));
        }

        [Theory]
        [InlineData(429)]
        [InlineData(503)]
        [InlineData(504)]
        public void Retry_After_is_honoured(int status)
        {
            Assert.Equal(TimeSpan.FromSeconds(7), _policy.NextWait(1, status, TimeSpan.FromSeconds(7), TimeSpan.Zero));
        }

        [Fact]
        public void Without_Retry_After_the_wait_doubles()
        {
            Assert.Equal(TimeSpan.FromSeconds(1), _policy.NextWait(1, 503, null, TimeSpan.Zero));
            Assert.Equal(TimeSpan.FromSeconds(2), _policy.NextWait(2, 503, null, TimeSpan.FromSeconds(1)));
        }

        [Fact]
        public void At_most_three_tries()
        {
            Assert.NotNull(_policy.NextWait(2, 429, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
            Assert.Null(_policy.NextWait(3, 429, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));
        }

        [Fact]
        public void Never_more_than_60_seconds_of_waiting_in_all()
        {
            Assert.Null(_policy.NextWait(1, 429, TimeSpan.FromSeconds(61), TimeSpan.Zero));
            Assert.Equal(TimeSpan.FromSeconds(60), _policy.NextWait(1, 429, TimeSpan.FromSeconds(60), TimeSpan.Zero));
            Assert.Null(_policy.NextWait(2, 429, TimeSpan.FromSeconds(31), TimeSpan.FromSeconds(30)));
        }

        [Fact]
        public void Retry_After_may_be_seconds_or_a_date()
        {
            var now = new DateTimeOffset(2025, 3, 14, 12, 0, 0, TimeSpan.Zero);
            Assert.Equal(TimeSpan.FromSeconds(5), GraphRetryPolicy.ParseRetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(5)), now));
            Assert.Equal(TimeSpan.FromSeconds(30), GraphRetryPolicy.ParseRetryAfter(new RetryConditionHeaderValue(now.AddSeconds(30)), now));
            Assert.Equal(TimeSpan.Zero, GraphRetryPolicy.ParseRetryAfter(new RetryConditionHeaderValue(now.AddSeconds(-30)), now));
            Assert.Null(GraphRetryPolicy.ParseRetryAfter(null, now));
        }
    }
}
