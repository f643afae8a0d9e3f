using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.Core.Tests.Transports.ExchangeOnline
{
    public sealed class SecretExpiryTests
    {
        private static readonly DateTimeOffset Now = new DateTimeOffset(2025, 3, 14, 12, 0, 0, TimeSpan.Zero);

        private static SecretExpiry Secret(string hint, int daysLeft, int startedDaysAgo = 100) => new SecretExpiry
        {
            Hint = hint,
            StartsOn = Now.AddDays(-startedDaysAgo).LocalDateTime,
            ExpiresOn = Now.AddDays(daysLeft).LocalDateTime,
            Source = SecretSource.Graph,
        };

        [Theory]
        [InlineData("Ab7", "Ab7~Q.rest", true)]
        [InlineData("ab7", "Ab7~Q.rest", false)] // exact: the hint keeps the case
        [InlineData("Ab8", "Ab7~Q.rest", false)]
        [InlineData("Ab", "Ab", true)]
        [InlineData("Abc", "Ab", false)]
        [InlineData(null, "Ab7", false)]
        [InlineData("", "Ab7", false)]
        public void The_hint_matches_the_first_characters_exactly(string? hint, string secret, bool expected)
        {
            Assert.Equal(expected, SecretExpiryRules.HintMatches(hint, secret));
        }

        [Fact]
        public void Marks_the_one_secret_whose_hint_matches()
        {
            var secrets = new List<SecretExpiry> { Secret("Xy1", 300), Secret("Ab7", 10), Secret("Qq0", -5) };

            SecretExpiryRules.MarkConfigured(secrets, ExoTestData.Secret, Now, out bool ambiguous);

            Assert.False(ambiguous);
            Assert.Equal(new[] { false, true, false }, secrets.Select(s => s.IsConfiguredSecret));
        }

        [Fact]
        public void Of_two_secrets_with_the_same_hint_the_expired_one_cannot_be_the_configured_one()
        {
            var secrets = new List<SecretExpiry> { Secret("Ab7", -5), Secret("Ab7", 200) };

            SecretExpiryRules.MarkConfigured(secrets, ExoTestData.Secret, Now, out bool ambiguous);

            Assert.False(ambiguous);
            Assert.Equal(new[] { false, true }, secrets.Select(s => s.IsConfiguredSecret));
        }

        [Fact]
        public void Two_usable_secrets_with_the_same_hint_are_both_marked_and_reported_ambiguous()
        {
            var secrets = new List<SecretExpiry> { Secret("Ab7", 5), Secret("Ab7", 200) };

            SecretExpiryRules.MarkConfigured(secrets, ExoTestData.Secret, Now, out bool ambiguous);

            Assert.True(ambiguous);
            Assert.All(secrets, s => Assert.True(s.IsConfiguredSecret));
        }

        [Fact]
        public void No_match_marks_nothing()
        {
            var secrets = new List<SecretExpiry> { Secret("Xy1", 300) };
            SecretExpiryRules.MarkConfigured(secrets, ExoTestData.Secret, Now, out bool ambiguous);
            Assert.False(ambiguous);
            Assert.False(secrets[0].IsConfiguredSecret);
        }

        [Theory]
        [InlineData(-1.0, 30, SecretStatus.Expired)]
        [InlineData(0.0, 30, SecretStatus.Expired)]
        [InlineData(0.001, 30, SecretStatus.ExpiringSoon)]
        [InlineData(10.0, 30, SecretStatus.ExpiringSoon)]
        [InlineData(30.0, 30, SecretStatus.ExpiringSoon)]
        [InlineData(30.01, 30, SecretStatus.Valid)]
        [InlineData(10.0, 5, SecretStatus.Valid)]
        [InlineData(10.0, 0, SecretStatus.Valid)]
        public void Status_by_time_left(double daysLeft, int warningDays, SecretStatus expected)
        {
            Assert.Equal(expected, SecretExpiryRules.StatusOf(Now.AddDays(daysLeft), Now, warningDays));
        }

        [Fact]
        public void A_secret_without_end_is_valid_and_has_no_days_remaining()
        {
            Assert.Equal(SecretStatus.Valid, SecretExpiryRules.StatusOf(null, Now, 30));
            Assert.Null(SecretExpiryRules.DaysRemaining(null, Now));
        }

        [Theory]
        [InlineData(10, 10)]
        [InlineData(-5, -5)]
        [InlineData(0, 0)]
        public void Days_remaining_are_calendar_days(int days, int expected)
        {
            Assert.Equal(expected, SecretExpiryRules.DaysRemaining(Now.AddDays(days), Now));
        }

        [Fact]
        public void Only_the_configured_secret_gets_a_warning_and_only_when_it_is_not_valid()
        {
            var expiring = Secret("Ab7", 10);
            expiring.Status = SecretStatus.ExpiringSoon;
            expiring.DaysRemaining = 10;
            expiring.DisplayName = "G5Mail 2025";
            Assert.Null(SecretExpiryRules.WarningFor(expiring));

            expiring.IsConfiguredSecret = true;
            string warning = SecretExpiryRules.WarningFor(expiring)!;
            Assert.Contains("in 10 day(s)", warning);
            Assert.Contains("G5Mail 2025", warning);
            Assert.Contains("Set-G5MailSetting -Scope System -ClientSecret", warning);

            expiring.Status = SecretStatus.Expired;
            Assert.Contains("expired on", SecretExpiryRules.WarningFor(expiring));

            expiring.Status = SecretStatus.Valid;
            Assert.Null(SecretExpiryRules.WarningFor(expiring));
        }

        [Fact]
        public void Parses_Graphs_passwordCredentials()
        {
            string json = "{\"@odata.context\":\"x\",\"passwordCredentials\":[" +
                          "{\"customKeyIdentifier\":null,\"displayName\":\"valid\",\"endDateTime\":\"2026-03-14T12:00:00Z\",\"hint\":\"Ab7\"," +
                          "\"keyId\":\"0c9e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b\",\"secretText\":null,\"startDateTime\":\"2025-03-01T00:00:00.1234567Z\"}," +
                          "{\"displayName\":null,\"endDateTime\":\"2025-03-09T12:00:00Z\",\"hint\":\"Qq0\",\"keyId\":\"not-a-guid\"}]}";

            List<SecretExpiry> secrets = SecretExpiryChecker.Parse(Encoding.UTF8.GetBytes(json), ExoTestData.ClientId, Now, 30);

            Assert.Equal(2, secrets.Count);
            Assert.Equal("valid", secrets[0].DisplayName);
            Assert.Equal("Ab7", secrets[0].Hint);
            Assert.Equal(new Guid("0c9e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"), secrets[0].KeyId);
            Assert.Equal(new DateTimeOffset(2026, 3, 14, 12, 0, 0, TimeSpan.Zero).LocalDateTime, secrets[0].ExpiresOn);
            Assert.Equal(SecretStatus.Valid, secrets[0].Status);
            Assert.Equal(ExoTestData.ClientId, secrets[0].ClientId);
            Assert.Equal(SecretSource.Graph, secrets[0].Source);
            Assert.Null(secrets[1].KeyId);
            Assert.Equal(SecretStatus.Expired, secrets[1].Status);
            Assert.Equal(-5, secrets[1].DaysRemaining);
        }
    }
}
