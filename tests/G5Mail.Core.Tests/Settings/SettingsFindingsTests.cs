using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Settings
{
    public class SettingsFindingsTests
    {
        private static readonly DateTime Now = new DateTime(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);

        /// <summary>Effective settings as Merge makes them: User values over System values over defaults.</summary>
        private static IReadOnlyList<Finding> Evaluate(Action<SettingValues> user, Action<SettingValues>? system = null, bool isWindows = true)
        {
            var u = new SettingValues();
            var s = new SettingValues();
            user(u);
            system?.Invoke(s);
            var (effective, sources) = SettingsService.Merge(s, u);
            return SettingsFindings.Evaluate(effective, sources, isWindows, Now);
        }

        private static Finding Single(IReadOnlyList<Finding> findings, string code) => Assert.Single(findings, f => f.Code == code);

        private static void None(IReadOnlyList<Finding> findings, string code) => Assert.DoesNotContain(findings, f => f.Code == code);

        private static void CompleteSmtp(SettingValues s)
        {
            s.Method = MailMethod.Smtp;
            s.Server = "mail.example.com";
            s.From = "sales@example.com";
        }

        private static void CompleteExchangeOnline(SettingValues s)
        {
            s.Method = MailMethod.ExchangeOnline;
            s.ClientId = Guid.NewGuid();
            s.TenantId = "contoso.onmicrosoft.com";
            s.ClientSecret = Secrets.Secure("secret");
            s.From = "sales@contoso.com";
        }

        [Fact]
        public void Complete_smtp_has_no_findings() => Assert.Empty(Evaluate(CompleteSmtp));

        [Fact]
        public void Complete_exchange_online_has_no_findings() => Assert.Empty(Evaluate(CompleteExchangeOnline));

        [Fact]
        public void Nothing_set_reports_method_missing_as_error()
        {
            var findings = Evaluate(_ => { });
            var f = Single(findings, FindingCodes.MethodMissing);
            Assert.Equal(FindingSeverity.Error, f.Severity);
            Assert.Equal("Method", f.Setting);
            Assert.False(SettingsFindings.IsComplete(findings));
        }

        [Theory]
        [InlineData(MailMethod.Smtp)]
        [InlineData(MailMethod.Exchange)]
        public void Server_methods_need_a_server(MailMethod method)
        {
            var f = Single(Evaluate(s => { CompleteSmtp(s); s.Method = method; s.Server = null; }), FindingCodes.ServerMissing);
            Assert.Equal(FindingSeverity.Error, f.Severity);
            Assert.Contains("-Server", f.Message);
        }

        [Theory]
        [InlineData(MailMethod.Outlook)]
        [InlineData(MailMethod.ExchangeOnline)]
        public void Outlook_and_exchange_online_need_no_server(MailMethod method) =>
            None(Evaluate(s => { CompleteExchangeOnline(s); s.Method = method; }), FindingCodes.ServerMissing);

        [Fact]
        public void Exchange_online_over_smtp_needs_no_server() =>
            None(Evaluate(s => { CompleteExchangeOnline(s); s.ExchangeOnlineProtocol = ExchangeOnlineProtocol.Smtp; }), FindingCodes.ServerMissing);

        [Fact]
        public void Server_url_is_only_for_exchange()
        {
            Single(Evaluate(s => { CompleteSmtp(s); s.Server = "https://mail.example.com/EWS/Exchange.asmx"; }), FindingCodes.ServerUrlNotExchange);
            None(Evaluate(s => { CompleteSmtp(s); s.Method = MailMethod.Exchange; s.Server = "https://mail.example.com/EWS/Exchange.asmx"; }), FindingCodes.ServerUrlNotExchange);
        }

        [Fact]
        public void Exchange_online_needs_client_id_tenant_and_secret()
        {
            var findings = Evaluate(s => { CompleteExchangeOnline(s); s.ClientId = null; s.TenantId = null; s.ClientSecret = null; });
            Assert.Equal(FindingSeverity.Error, Single(findings, FindingCodes.ClientIdMissing).Severity);
            Assert.Equal(FindingSeverity.Error, Single(findings, FindingCodes.TenantIdMissing).Severity);
            Assert.Equal(FindingSeverity.Error, Single(findings, FindingCodes.ClientSecretMissing).Severity);
        }

        [Fact]
        public void Username_password_flow_needs_a_user_scope_credential_and_warns_about_mfa()
        {
            void Ropc(SettingValues s)
            {
                CompleteExchangeOnline(s);
                s.ClientSecret = null;
                s.AuthenticationFlow = AuthenticationFlow.UsernamePassword;
            }

            var missing = Evaluate(Ropc);
            Assert.Equal(FindingSeverity.Error, Single(missing, FindingCodes.CredentialMissing).Severity);
            None(missing, FindingCodes.ClientSecretMissing);
            var warning = Single(missing, FindingCodes.UsernamePasswordFlow);
            Assert.Equal(FindingSeverity.Warning, warning.Severity);
            Assert.Contains("multi-factor", warning.Message);
            Assert.Contains("Conditional Access", warning.Message);

            // The System credential is the SMTP account: it does not sign the user in.
            var systemOnly = Evaluate(Ropc, s => s.Credential = new NetworkCredential("relay", "x"));
            Single(systemOnly, FindingCodes.CredentialMissing);

            var ok = Evaluate(u => { Ropc(u); u.Credential = new NetworkCredential("user@contoso.com", "x"); });
            None(ok, FindingCodes.CredentialMissing);
            Assert.True(SettingsFindings.IsComplete(ok));
        }

        [Fact]
        public void From_missing_is_an_error_for_smtp_and_exchange_online_a_warning_for_exchange_and_nothing_for_outlook()
        {
            Assert.Equal(FindingSeverity.Error, Single(Evaluate(s => { CompleteSmtp(s); s.From = null; }), FindingCodes.FromMissing).Severity);
            Assert.Equal(FindingSeverity.Error, Single(Evaluate(s => { CompleteExchangeOnline(s); s.From = null; }), FindingCodes.FromMissing).Severity);
            Assert.Equal(FindingSeverity.Warning, Single(Evaluate(s => { CompleteSmtp(s); s.Method = MailMethod.Exchange; s.From = null; }), FindingCodes.FromMissing).Severity);
            None(Evaluate(s => { s.Method = MailMethod.Outlook; }), FindingCodes.FromMissing);
        }

        [Fact]
        public void Port_25_with_ssl_asks_about_587()
        {
            var f = Single(Evaluate(s => { CompleteSmtp(s); s.Port = 25; s.UseSsl = true; }), FindingCodes.Port25WithSsl);
            Assert.Equal(FindingSeverity.Warning, f.Severity);
            Assert.Contains("did you mean 587?", f.Message);
            None(Evaluate(s => { CompleteSmtp(s); s.Port = 25; }), FindingCodes.Port25WithSsl);
        }

        [Fact]
        public void Port_587_without_ssl_and_465_without_ssl_get_hints()
        {
            Single(Evaluate(s => { CompleteSmtp(s); s.Port = 587; }), FindingCodes.Port587WithoutSsl);
            None(Evaluate(s => { CompleteSmtp(s); s.Port = 587; s.UseSsl = true; }), FindingCodes.Port587WithoutSsl);
            Single(Evaluate(s => { CompleteSmtp(s); s.Port = 465; }), FindingCodes.Port465WithoutSsl);
            None(Evaluate(s => { CompleteSmtp(s); s.Port = 465; s.UseSsl = true; }), FindingCodes.Port465WithoutSsl);
        }

        [Fact]
        public void Port_hints_do_not_apply_to_graph_or_ews()
        {
            None(Evaluate(s => { CompleteExchangeOnline(s); s.Port = 587; }), FindingCodes.Port587WithoutSsl);
            Single(Evaluate(s => { CompleteExchangeOnline(s); s.ExchangeOnlineProtocol = ExchangeOnlineProtocol.Smtp; s.Port = 587; }), FindingCodes.Port587WithoutSsl);
        }

        [Fact]
        public void Outlook_is_a_warning_off_windows_that_points_to_drafts()
        {
            // Not an error: the settings are complete; sending reports MethodNotSupported and -DraftDirectory works.
            var f = Single(Evaluate(s => s.Method = MailMethod.Outlook, isWindows: false), FindingCodes.OutlookNotAvailable);
            Assert.Equal(FindingSeverity.Warning, f.Severity);
            Assert.Contains("-DraftDirectory", f.Message);
            Assert.Empty(Evaluate(s => s.Method = MailMethod.Outlook, isWindows: true));
        }

        [Fact]
        public void Copy_to_self_with_outlook_is_information()
        {
            var f = Single(Evaluate(s => { s.Method = MailMethod.Outlook; s.SendCopyToSelf = CopyToSelf.Bcc; }), FindingCodes.CopyToSelfIgnored);
            Assert.Equal(FindingSeverity.Information, f.Severity);
        }

        [Fact]
        public void Combine_document_types_without_combining_is_information()
        {
            var f = Single(Evaluate(s => { CompleteSmtp(s); s.CombineDocumentTypes = new[] { DocumentType.PurchaseOrder }; }), FindingCodes.CombineDocumentTypesIgnored);
            Assert.Equal(FindingSeverity.Information, f.Severity);
            Assert.Equal("CombineDocumentTypes", f.Setting);
            None(Evaluate(s => { CompleteSmtp(s); s.CombineDocuments = true; s.CombineDocumentTypes = new[] { DocumentType.Invoice }; }), FindingCodes.CombineDocumentTypesIgnored);
            None(Evaluate(s => CompleteSmtp(s)), FindingCodes.CombineDocumentTypesIgnored);
        }

        [Fact]
        public void Skip_certificate_check_warns()
        {
            Assert.Equal(FindingSeverity.Warning, Single(Evaluate(s => { CompleteSmtp(s); s.SkipCertificateCheck = true; }), FindingCodes.SkipCertificateCheck).Severity);
            None(Evaluate(s => { CompleteSmtp(s); s.SkipCertificateCheck = false; }), FindingCodes.SkipCertificateCheck);
        }

        [Theory]
        [InlineData(31, null)]
        [InlineData(30, FindingCodes.ClientSecretExpiringSoon)]
        [InlineData(1, FindingCodes.ClientSecretExpiringSoon)]
        [InlineData(-1, FindingCodes.ClientSecretExpired)]
        public void Client_secret_expiry(int daysFromNow, string? code)
        {
            var findings = Evaluate(s => { CompleteExchangeOnline(s); s.ClientSecretExpiresOn = Now.AddDays(daysFromNow); });
            var expiry = findings.Where(f => f.Setting == "ClientSecretExpiresOn").ToList();
            if (code is null)
            {
                Assert.Empty(expiry);
                return;
            }

            var f = Assert.Single(expiry);
            Assert.Equal(code, f.Code);
            Assert.Equal(code == FindingCodes.ClientSecretExpired ? FindingSeverity.Error : FindingSeverity.Warning, f.Severity);
        }

        [Fact]
        public void Expired_secret_that_is_not_used_only_warns()
        {
            var f = Single(Evaluate(s => { CompleteSmtp(s); s.ClientSecretExpiresOn = Now.AddDays(-3); }), FindingCodes.ClientSecretExpired);
            Assert.Equal(FindingSeverity.Warning, f.Severity);
        }

        [Fact]
        public void EnsureComplete_throws_settings_incomplete_with_every_error()
        {
            var findings = Evaluate(s => { s.Method = MailMethod.Smtp; });
            var ex = Assert.Throws<G5MailErrorException>(() => SettingsFindings.EnsureComplete(findings));
            Assert.Equal(ErrorIds.SettingsIncomplete, ex.ErrorId);
            Assert.Contains("needs a server", ex.Message);
            Assert.Contains("From is not set", ex.Message);

            SettingsFindings.EnsureComplete(Evaluate(s => { CompleteSmtp(s); s.SkipCertificateCheck = true; }));
        }
    }
}
