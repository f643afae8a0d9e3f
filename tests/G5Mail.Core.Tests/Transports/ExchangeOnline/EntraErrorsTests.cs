using System;
using System.Linq;
using System.Net.Http;
using Microsoft.Identity.Client;
using G5Mail.Core.Errors;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.Core.Tests.Transports.ExchangeOnline
{
    public sealed class EntraErrorsTests
    {
        private static string EntraText(int code, string text) =>
            $"AADSTS{code}: {text} Trace ID: 0b1c2d3e-0000-0000-0000-000000000000 Correlation ID: 11111111-2222-3333-4444-555555555555 Timestamp: 2025-03-14 09:30:00Z";

        [Theory]
        [InlineData("AADSTS7000215: Invalid client secret provided.", 7000215)]
        [InlineData("prefix AADSTS50076: Due to a configuration change", 50076)]
        [InlineData("no code here", null)]
        [InlineData(null, null)]
        public void Finds_the_AADSTS_code_in_the_message(string? message, int? expected)
        {
            Assert.Equal(expected, EntraErrors.FindCode(message, null));
        }

        [Fact]
        public void Falls_back_to_the_error_codes_list_when_the_text_has_none()
        {
            Assert.Equal(50126, EntraErrors.FindCode("invalid_grant", new[] { "x", "50126" }));
        }

        [Theory]
        [InlineData(7000215, "ClientSecret", "not its Secret ID")]
        [InlineData(7000222, "ClientSecret", "expired")]
        [InlineData(700016, "ClientId", "no app with ClientId")]
        [InlineData(90002, "TenantId", "was not found")]
        [InlineData(50126, "Credential", "user name or password")]
        [InlineData(50076, "AuthenticationFlow", "multi-factor")]
        [InlineData(50079, "AuthenticationFlow", "multi-factor")]
        [InlineData(53003, "AuthenticationFlow", "Conditional Access")]
        [InlineData(65001, "ClientId", "admin consent")]
        [InlineData(7000218, "AuthenticationFlow", "Allow public client flows")]
        [InlineData(500011, "GraphEndpoint", "GraphEndpoint")]
        public void Each_known_code_names_the_setting_to_change_and_explains(int code, string setting, string explanation)
        {
            ExchangeOnlineOptions options = ExoTestData.Options(code == 50126 || code == 50076 || code == 50079 || code == 53003
                ? AuthenticationFlow.UsernamePassword : AuthenticationFlow.ClientSecret);

            G5MailErrorException error = EntraErrors.FromService("invalid_client", EntraText(code, "Whatever Entra says."), null, 400, options, null);

            Assert.Equal(ErrorIds.TokenAcquisitionFailed, error.ErrorId);
            Assert.Equal(setting, error.Target);
            Assert.Contains("AADSTS" + code, error.Message);
            Assert.Contains(explanation, error.Message);
            Assert.Equal(code, Assert.IsType<TokenAcquisitionException>(error).EntraCode);
        }

        [Fact]
        public void No_message_of_any_known_code_contains_the_secret_or_the_password()
        {
            foreach (AuthenticationFlow flow in new[] { AuthenticationFlow.ClientSecret, AuthenticationFlow.UsernamePassword })
            {
                ExchangeOnlineOptions options = ExoTestData.Options(flow);
                foreach (int code in EntraErrors.KnownCodes)
                {
                    string message = EntraErrors.FromService("e", EntraText(code, "text"), null, 400, options, null).Message;
                    Assert.DoesNotContain(ExoTestData.Secret, message);
                    Assert.DoesNotContain(ExoTestData.Password, message);
                }
            }
        }

        [Fact]
        public void An_unknown_code_keeps_Entras_text_without_trace_and_correlation_ids()
        {
            G5MailErrorException error = EntraErrors.FromService("invalid_request", EntraText(9999999, "Something   new\r\nhappened."), null, 400,
                ExoTestData.Options(), null);

            Assert.Contains("AADSTS9999999", error.Message);
            Assert.Contains("Something new happened.", error.Message);
            Assert.DoesNotContain("Trace ID", error.Message);
            Assert.DoesNotContain("Correlation ID", error.Message);
        }

        [Fact]
        public void Maps_MSAL_service_exceptions_by_their_code()
        {
            var msal = new MsalServiceException("invalid_client", EntraText(7000222, "The provided client secret keys for app are expired."), 401);

            G5MailErrorException error = EntraErrors.Map(msal, ExoTestData.Options());

            Assert.Equal(7000222, Assert.IsType<TokenAcquisitionException>(error).EntraCode);
            Assert.Same(msal, error.InnerException);
        }

        [Fact]
        public void MFA_required_arrives_from_MSAL_as_ui_required_and_still_says_what_to_do()
        {
            var msal = new MsalUiRequiredException("invalid_grant", EntraText(50076, "you must use multi-factor authentication."));

            G5MailErrorException error = EntraErrors.Map(msal, ExoTestData.Options(AuthenticationFlow.UsernamePassword));

            Assert.Contains("AADSTS50076", error.Message);
            Assert.Contains("anna@contoso.com", error.Message);
            Assert.Contains("-AuthenticationFlow ClientSecret", error.Message);
        }

        [Fact]
        public void A_network_failure_reaching_Entra_is_ConnectionFailed_naming_the_host()
        {
            var msal = new MsalClientException("service_not_available", "could not reach", new HttpRequestException("Connection refused"));

            G5MailErrorException error = EntraErrors.Map(msal, ExoTestData.Options());

            Assert.Equal(ErrorIds.ConnectionFailed, error.ErrorId);
            Assert.Contains("login.microsoftonline.com", error.Message);
            Assert.Contains("Connection refused", error.Message);
        }

        [Fact]
        public void A_rejected_authority_is_an_invalid_AuthorityHost()
        {
            var msal = new MsalClientException(MsalError.InvalidInstance, "instance not known");

            G5MailErrorException error = EntraErrors.Map(msal, ExoTestData.Options());

            Assert.Equal(ErrorIds.InvalidSetting, error.ErrorId);
            Assert.Equal("AuthorityHost", error.Target);
        }

        [Fact]
        public void The_ropc_warning_names_the_user_and_the_alternative()
        {
            string warning = EntraErrors.RopcWarning("anna@contoso.com");
            Assert.Contains("anna@contoso.com", warning);
            Assert.Contains("multi-factor", warning);
            Assert.Contains("ClientSecret", warning);
        }
    }
}
