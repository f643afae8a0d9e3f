using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using G5Mail.Core.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Settings
{
    public class MicrosoftRetirementsTests
    {
        private static readonly DateTime BeforeSmtpCutOff = new DateTime(2026, 12, 5, 12, 0, 0, DateTimeKind.Utc);
        private static readonly DateTime AfterSmtpCutOff = new DateTime(2027, 1, 2, 0, 0, 0, DateTimeKind.Utc);
        private static readonly DateTime AfterEwsShutOff = new DateTime(2027, 4, 1, 0, 0, 1, DateTimeKind.Utc);

        private static IReadOnlyList<Finding> Evaluate(SettingValues s, DateTime now)
        {
            var (effective, sources) = SettingsService.Merge(s, new SettingValues());
            return SettingsFindings.Evaluate(effective, sources, isWindows: true, now);
        }

        private static SettingValues Smtp(string server, bool credential = true) => new SettingValues
        {
            Method = MailMethod.Smtp,
            Server = server,
            Port = 587,
            UseSsl = true,
            From = "sales@contoso.com",
            Credential = credential ? new NetworkCredential("sales@contoso.com", "pw") : null,
        };

        private static SettingValues Ews(string server) => new SettingValues
        {
            Method = MailMethod.Exchange,
            Server = server,
            From = "sales@contoso.com",
            Credential = new NetworkCredential("sales@contoso.com", "pw"),
        };

        [Theory]
        [InlineData("smtp.office365.com")]
        [InlineData("SMTP.Office365.COM")]
        [InlineData("smtp.office365.com.")]
        [InlineData("smtp-mail.outlook.com")]
        [InlineData("contoso-com.mail.protection.outlook.com")]
        [InlineData("outlook.com")]
        [InlineData("office365.com")]
        public void Exchange_online_smtp_hosts_match(string host) => Assert.True(MicrosoftRetirements.IsExchangeOnlineSmtpHost(host));

        [Theory]
        [InlineData("smtp.office365.com.evil.example")]
        [InlineData("notoffice365.com")]
        [InlineData("smtp.office365.co")]
        [InlineData("outlook.com.example.net")]
        [InlineData("mail.example.com")]
        [InlineData("")]
        [InlineData(null)]
        public void Other_smtp_hosts_do_not_match(string? host) => Assert.False(MicrosoftRetirements.IsExchangeOnlineSmtpHost(host));

        [Theory]
        [InlineData("outlook.office365.com")]
        [InlineData("Outlook.Office365.com")]
        [InlineData("https://outlook.office365.com/EWS/Exchange.asmx")]
        [InlineData("HTTPS://OUTLOOK.OFFICE365.COM/ews/exchange.asmx")]
        [InlineData("outlook.office.com")]
        public void Exchange_online_ews_hosts_match(string server) => Assert.True(MicrosoftRetirements.IsExchangeOnlineEwsHost(server));

        [Theory]
        [InlineData("outlook.office365.com.evil.example")]
        [InlineData("https://outlook.office365.com.evil.example/EWS/Exchange.asmx")]
        [InlineData("https://mail.contoso.com/EWS/Exchange.asmx")]
        [InlineData("mail.contoso.com")]
        [InlineData("smtp.office365.com")]
        public void Other_ews_hosts_do_not_match(string server) => Assert.False(MicrosoftRetirements.IsExchangeOnlineEwsHost(server));

        [Fact]
        public void Smtp_basic_auth_to_exchange_online_warns_before_the_end_of_december_2026()
        {
            var f = Assert.Single(Evaluate(Smtp("smtp.office365.com"), BeforeSmtpCutOff), x => x.Code == FindingCodes.SmtpBasicAuthRetiring);
            Assert.Equal(FindingSeverity.Warning, f.Severity);
            Assert.Equal("Method", f.Setting);
            Assert.Contains("end of December 2026", f.Message);
            Assert.Contains("-Method ExchangeOnline", f.Message);
        }

        [Fact]
        public void Smtp_basic_auth_to_exchange_online_after_the_end_of_december_2026_says_it_is_off_but_does_not_block_sending()
        {
            // Off by default, yet an administrator may turn it back on for the tenant: the server decides, not G5Mail.
            var findings = Evaluate(Smtp("SMTP-MAIL.OUTLOOK.COM"), AfterSmtpCutOff);
            var f = Assert.Single(findings, x => x.Code == FindingCodes.SmtpBasicAuthRetiring);
            Assert.Equal(FindingSeverity.Warning, f.Severity);
            Assert.Contains("since the end of December 2026", f.Message);
            Assert.Contains("AuthenticationFailed", f.Message);
            Assert.True(SettingsFindings.IsComplete(findings));
        }

        [Fact]
        public void The_cut_off_is_the_first_instant_of_2027_utc()
        {
            var last = Evaluate(Smtp("smtp.office365.com"), new DateTime(2026, 12, 31, 23, 59, 59, DateTimeKind.Utc));
            var first = Evaluate(Smtp("smtp.office365.com"), new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            Assert.DoesNotContain("since the end", last.Single(x => x.Code == FindingCodes.SmtpBasicAuthRetiring).Message);
            Assert.Contains("since the end of December 2026", first.Single(x => x.Code == FindingCodes.SmtpBasicAuthRetiring).Message);
        }

        [Fact]
        public void Smtp_without_a_password_or_to_another_host_gets_no_retirement_finding()
        {
            Assert.DoesNotContain(Evaluate(Smtp("smtp.office365.com", credential: false), BeforeSmtpCutOff), x => x.Code == FindingCodes.SmtpBasicAuthRetiring);
            Assert.DoesNotContain(Evaluate(Smtp("smtp.office365.com.evil.example"), AfterSmtpCutOff), x => x.Code == FindingCodes.SmtpBasicAuthRetiring);
            Assert.DoesNotContain(Evaluate(Smtp("mail.contoso.com"), AfterSmtpCutOff), x => x.Code == FindingCodes.SmtpBasicAuthRetiring);
        }

        [Fact]
        public void Exchange_online_over_smtp_with_oauth_gets_no_retirement_finding()
        {
            var s = new SettingValues
            {
                Method = MailMethod.ExchangeOnline, ExchangeOnlineProtocol = ExchangeOnlineProtocol.Smtp, Server = "smtp.office365.com",
                ClientId = Guid.NewGuid(), TenantId = "contoso.onmicrosoft.com", ClientSecret = Secrets.Secure("s"), From = "sales@contoso.com",
                Credential = new NetworkCredential("relay", "pw"),
            };
            Assert.DoesNotContain(Evaluate(s, AfterSmtpCutOff), x => x.Code == FindingCodes.SmtpBasicAuthRetiring);
        }

        [Fact]
        public void Ews_in_exchange_online_warns_with_both_dates_before_the_shut_off()
        {
            var f = Assert.Single(Evaluate(Ews("https://outlook.office365.com/EWS/Exchange.asmx"), BeforeSmtpCutOff), x => x.Code == FindingCodes.EwsRetiring);
            Assert.Equal(FindingSeverity.Warning, f.Severity);
            Assert.Contains("2026-10-01", f.Message);
            Assert.Contains("shuts off on 2027-04-01", f.Message);
            Assert.Contains("-Method ExchangeOnline", f.Message);
        }

        [Fact]
        public void Ews_in_exchange_online_is_an_error_after_the_shut_off()
        {
            var f = Assert.Single(Evaluate(Ews("OUTLOOK.OFFICE365.COM"), AfterEwsShutOff), x => x.Code == FindingCodes.EwsRetiring);
            Assert.Equal(FindingSeverity.Error, f.Severity);
            Assert.Contains("shut off on 2027-04-01", f.Message);
        }

        [Fact]
        public void Ews_on_premises_gets_no_retirement_finding()
        {
            Assert.DoesNotContain(Evaluate(Ews("https://mail.contoso.com/EWS/Exchange.asmx"), AfterEwsShutOff), x => x.Code == FindingCodes.EwsRetiring);
            Assert.DoesNotContain(Evaluate(Ews("https://outlook.office365.com.evil.example/EWS/Exchange.asmx"), AfterEwsShutOff), x => x.Code == FindingCodes.EwsRetiring);
        }
    }
}
