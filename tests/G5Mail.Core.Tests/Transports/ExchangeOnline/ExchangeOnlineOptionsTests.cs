using System;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.Core.Tests.Transports.ExchangeOnline
{
    public sealed class ExchangeOnlineOptionsTests
    {
        [Fact]
        public void Defaults_are_the_public_cloud_with_instance_discovery()
        {
            ExchangeOnlineOptions options = ExoTestData.Options();

            Assert.Equal("https://login.microsoftonline.com/contoso.onmicrosoft.com", options.Authority.ToString());
            Assert.True(options.UseInstanceDiscovery);
            Assert.Equal(new[] { "https://graph.microsoft.com/.default" }, options.ScopesFor(TokenAudience.Graph));
            Assert.Equal(new[] { "https://outlook.office365.com/.default" }, options.ScopesFor(TokenAudience.ExchangeSmtp));
            Assert.Equal("users/order%40contoso.com", options.MailboxPath);
            Assert.Equal("order@contoso.com", options.From);
        }

        [Fact]
        public void The_user_flow_asks_for_the_delegated_permissions_and_uses_me()
        {
            ExchangeOnlineOptions options = ExoTestData.Options(AuthenticationFlow.UsernamePassword);

            Assert.False(options.IsAppOnly);
            Assert.Equal("anna@contoso.com", options.UserName);
            Assert.Equal(new[] { "https://graph.microsoft.com/Mail.Send" }, options.ScopesFor(TokenAudience.Graph));
            Assert.Equal(new[] { "https://outlook.office.com/SMTP.Send" }, options.ScopesFor(TokenAudience.ExchangeSmtp));
            Assert.Equal("me", options.MailboxPath);
        }

        [Fact]
        public void Reading_the_mailbox_asks_a_signed_in_user_for_every_consented_Graph_permission()
        {
            ExchangeOnlineOptions reading = ExchangeOnlineOptions.FromSettings(ExoTestData.Settings(AuthenticationFlow.UsernamePassword), readsMailbox: true);
            Assert.Equal(new[] { "https://graph.microsoft.com/.default" }, reading.ScopesFor(TokenAudience.Graph));
            ExchangeOnlineOptions app = ExchangeOnlineOptions.FromSettings(ExoTestData.Settings(), readsMailbox: true);
            Assert.Equal(new[] { "https://graph.microsoft.com/.default" }, app.ScopesFor(TokenAudience.Graph));
            Assert.False(ExoTestData.Options(AuthenticationFlow.UsernamePassword).ReadsMailbox);
        }

        [Theory]
        [InlineData("CONTOSO", "anna", "CONTOSO\\anna")]
        [InlineData("", "CONTOSO\\anna", "CONTOSO\\anna")]
        [InlineData("", "anna@contoso.com", "anna@contoso.com")]
        public void The_ROPC_user_name_is_sent_as_configured_with_its_domain(string domain, string user, string expected)
        {
            // PSCredential.GetNetworkCredential() splits DOMAIN\user into Domain and UserName; ROPC must get it whole.
            SettingValues settings = ExoTestData.Settings(AuthenticationFlow.UsernamePassword);
            settings.Credential = new System.Net.NetworkCredential(user, "pw", domain);

            Assert.Equal(expected, ExchangeOnlineOptions.FromSettings(settings).UserName);
        }

        [Theory]
        [InlineData(null, 30)]
        [InlineData(2, 2)]
        public void TimeoutSeconds_bounds_each_request_to_Entra_ID_and_Graph(int? seconds, int expected)
        {
            SettingValues settings = ExoTestData.Settings();
            settings.TimeoutSeconds = seconds;

            Assert.Equal(TimeSpan.FromSeconds(expected), ExchangeOnlineOptions.FromSettings(settings).Timeout);
        }

        [Theory]
        [InlineData("https://login.microsoftonline.us", true)]
        [InlineData("https://login.chinacloudapi.cn", true)]
        [InlineData("https://login.microsoftonline.com/", true)]
        [InlineData("https://127.0.0.1:44321", false)]
        [InlineData("https://login.example.com", false)]
        public void Instance_discovery_only_for_Microsoft_clouds_MSAL_knows(string host, bool expected)
        {
            ExchangeOnlineOptions options = ExchangeOnlineOptions.FromSettings(ExoTestData.Settings(authorityHost: host));
            Assert.Equal(expected, options.UseInstanceDiscovery);
            Assert.StartsWith(host.TrimEnd('/') + "/", options.Authority.ToString());
        }

        [Fact]
        public void A_national_cloud_graph_endpoint_names_the_scopes()
        {
            ExchangeOnlineOptions options = ExchangeOnlineOptions.FromSettings(ExoTestData.Settings(graph: "https://graph.microsoft.us/"));
            Assert.Equal(new[] { "https://graph.microsoft.us/.default" }, options.ScopesFor(TokenAudience.Graph));
        }

        [Theory]
        [InlineData("ClientId")]
        [InlineData("TenantId")]
        [InlineData("ClientSecret")]
        [InlineData("From")]
        public void A_missing_setting_is_SettingsIncomplete_naming_it(string setting)
        {
            SettingValues settings = ExoTestData.Settings();
            switch (setting)
            {
                case "ClientId": settings.ClientId = null; break;
                case "TenantId": settings.TenantId = " "; break;
                case "ClientSecret": settings.ClientSecret = null; break;
                case "From": settings.From = null; break;
            }

            var error = Assert.Throws<G5MailErrorException>(() => ExchangeOnlineOptions.FromSettings(settings));
            Assert.Equal(ErrorIds.SettingsIncomplete, error.ErrorId);
            Assert.Equal(setting, error.Target);
        }

        [Fact]
        public void The_user_flow_needs_the_credential()
        {
            SettingValues settings = ExoTestData.Settings(AuthenticationFlow.UsernamePassword);
            settings.Credential = null;
            Assert.Equal("Credential", Assert.Throws<G5MailErrorException>(() => ExchangeOnlineOptions.FromSettings(settings)).Target);
        }

        [Fact]
        public void The_flow_can_be_forced_to_the_app_for_reading_secrets()
        {
            SettingValues settings = ExoTestData.Settings(AuthenticationFlow.UsernamePassword);
            settings.ClientSecret = ExoTestData.Secure(ExoTestData.Secret);
            settings.From = null;

            ExchangeOnlineOptions options = ExchangeOnlineOptions.FromSettings(settings, requireFrom: false, flow: AuthenticationFlow.ClientSecret);

            Assert.True(options.IsAppOnly);
        }

        [Fact]
        public void The_probe_requires_Mail_Send_and_warns_without_Mail_ReadWrite()
        {
            var result = new ServerTestResult(MailMethod.ExchangeOnline);
            Assert.False(ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.AppClaims("Mail.ReadWrite", "Calendars.ReadWrite"), ExoTestData.Options(), smtp: false, result));
            Finding missing = Assert.Single(result.Findings);
            Assert.Equal(FindingSeverity.Error, missing.Severity);
            Assert.Equal(ServerFindingCodes.PermissionMissing, missing.Code);
            Assert.Contains("application permission Mail.Send", missing.Message);

            result = new ServerTestResult(MailMethod.ExchangeOnline);
            Assert.True(ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.AppClaims("Mail.Send", "Calendars.ReadWrite"), ExoTestData.Options(), smtp: false, result));
            Finding noDrafts = Assert.Single(result.Findings, f => f.Code == ServerFindingCodes.PermissionMissing);
            Assert.Equal(FindingSeverity.Warning, noDrafts.Severity);
            Assert.Contains("Mail.ReadWrite", noDrafts.Message);

            result = new ServerTestResult(MailMethod.ExchangeOnline);
            Assert.True(ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.AppClaims("Mail.Send", "Mail.ReadWrite", "Calendars.ReadWrite"), ExoTestData.Options(), smtp: false, result));
            Assert.Equal(ServerFindingCodes.PermissionsPresent, Assert.Single(result.Findings).Code);
        }

        [Fact]
        public void The_probe_warns_without_Calendars_ReadWrite_which_mail_does_not_need()
        {
            var result = new ServerTestResult(MailMethod.ExchangeOnline);
            Assert.True(ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.AppClaims("Mail.Send", "Mail.ReadWrite"), ExoTestData.Options(), smtp: false, result));
            Finding calendar = Assert.Single(result.Findings, f => f.Code == ServerFindingCodes.CalendarPermissionMissing);
            Assert.Equal(FindingSeverity.Warning, calendar.Severity);
            Assert.Contains("application permission Calendars.ReadWrite", calendar.Message);
            Assert.Contains("Sync-G5Activity", calendar.Message);
            Assert.Contains(result.Findings, f => f.Code == ServerFindingCodes.PermissionsPresent);

            // Delegated: the scope, named as delegated.
            result = new ServerTestResult(MailMethod.ExchangeOnline);
            Assert.True(ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.UserClaims("Mail.Send"), ExoTestData.Options(AuthenticationFlow.UsernamePassword), smtp: false, result));
            Assert.Contains("delegated Microsoft Graph permission Calendars.ReadWrite",
                Assert.Single(result.Findings, f => f.Code == ServerFindingCodes.CalendarPermissionMissing).Message);

            // SMTP tokens are for Exchange, not Graph: nothing to say about a Graph permission.
            result = new ServerTestResult(MailMethod.ExchangeOnline);
            ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.AppClaims("SMTP.SendAsApp"), ExoTestData.Options(), smtp: true, result);
            Assert.DoesNotContain(result.Findings, f => f.Code == ServerFindingCodes.CalendarPermissionMissing);
        }

        [Fact]
        public void The_probe_warns_without_Mail_Read_which_reading_the_mailbox_needs()
        {
            var result = new ServerTestResult(MailMethod.ExchangeOnline);
            Assert.True(ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.AppClaims("Mail.Send", "Calendars.ReadWrite"), ExoTestData.Options(), smtp: false, result));
            Finding read = Assert.Single(result.Findings, f => f.Code == ServerFindingCodes.MailReadPermissionMissing);
            Assert.Equal(FindingSeverity.Warning, read.Severity);
            Assert.Contains("application permission Mail.Read", read.Message);
            Assert.Contains("Receive-G5Mail", read.Message);

            // Mail.Read alone, or Mail.ReadWrite (which includes it), is enough.
            foreach (string granted in new[] { "Mail.Read", "Mail.ReadWrite" })
            {
                result = new ServerTestResult(MailMethod.ExchangeOnline);
                ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.AppClaims("Mail.Send", granted, "Calendars.ReadWrite"), ExoTestData.Options(), smtp: false, result);
                Assert.DoesNotContain(result.Findings, f => f.Code == ServerFindingCodes.MailReadPermissionMissing);
            }

            result = new ServerTestResult(MailMethod.ExchangeOnline);
            ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.UserClaims("Mail.Send"), ExoTestData.Options(AuthenticationFlow.UsernamePassword), smtp: false, result);
            Assert.Contains("delegated Microsoft Graph permission Mail.Read", Assert.Single(result.Findings, f => f.Code == ServerFindingCodes.MailReadPermissionMissing).Message);

            result = new ServerTestResult(MailMethod.ExchangeOnline);
            ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.AppClaims("SMTP.SendAsApp"), ExoTestData.Options(), smtp: true, result);
            Assert.DoesNotContain(result.Findings, f => f.Code == ServerFindingCodes.MailReadPermissionMissing);
        }

        [Fact]
        public void The_probe_requires_the_SMTP_permission_of_the_flow()
        {
            var result = new ServerTestResult(MailMethod.ExchangeOnline);
            Assert.False(ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.AppClaims("Mail.Send"), ExoTestData.Options(), smtp: true, result));
            Assert.Contains("SMTP.SendAsApp", result.Findings[0].Message);

            result = new ServerTestResult(MailMethod.ExchangeOnline);
            Assert.True(ExchangeOnlineServerProbe.CheckPermissions(ExoTestData.UserClaims("SMTP.Send"), ExoTestData.Options(AuthenticationFlow.UsernamePassword), smtp: true, result));
        }
    }
}
