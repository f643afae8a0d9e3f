using System.Net;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using G5Mail.Core.Transports.Exchange;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Exchange
{
    public sealed class EwsEndpointTests
    {
        [Theory]
        [InlineData("mail.example.com", 0, "https://mail.example.com/EWS/Exchange.asmx")]
        [InlineData("mail.example.com", 8443, "https://mail.example.com:8443/EWS/Exchange.asmx")]
        [InlineData("192.0.2.10", 0, "https://192.0.2.10/EWS/Exchange.asmx")]
        [InlineData("2001:db8::5", 0, "https://[2001:db8::5]/EWS/Exchange.asmx")]
        [InlineData("mail.example.com", 80, "https://mail.example.com:80/EWS/Exchange.asmx")]
        [InlineData("https://mail.example.com/EWS/Exchange.asmx", 25, "https://mail.example.com/EWS/Exchange.asmx")]
        [InlineData("https://mail.example.com", 0, "https://mail.example.com/EWS/Exchange.asmx")]
        [InlineData("https://mail.example.com:444/ews/exchange.asmx", 0, "https://mail.example.com:444/ews/exchange.asmx")]
        [InlineData("http://mail.example.com/EWS/Exchange.asmx", 0, "http://mail.example.com/EWS/Exchange.asmx")]
        public void The_EWS_URL_is_https_on_Server_and_Port_or_is_Server_itself(string server, int port, string expected)
        {
            Assert.Equal(expected, EwsEndpoint.Resolve(server, port).Url.AbsoluteUri);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        [InlineData(null)]
        public void Exchange_with_Port_0_uses_https_on_443_whatever_UseSsl_says(bool? useSsl)
        {
            var settings = new SettingValues { Method = MailMethod.Exchange, Server = "mail.example.com", UseSsl = useSsl };
            EwsEndpoint endpoint = EwsEndpoint.Resolve(settings);
            Assert.True(endpoint.IsHttps);
            Assert.Equal(443, endpoint.Port);
            Assert.Null(endpoint.Warning);
        }

        [Fact]
        public void Plain_http_comes_with_a_warning_and_allows_credentials_only_to_this_computer()
        {
            EwsEndpoint remote = EwsEndpoint.Resolve("http://mail.example.com/EWS/Exchange.asmx", 0);
            Assert.False(remote.IsHttps);
            Assert.False(remote.MaySendCredentials);
            Assert.Contains("http:// URL", remote.Warning);
            Assert.Contains("will not sign in", remote.Warning);

            EwsEndpoint local = EwsEndpoint.Resolve("http://127.0.0.1:8080/EWS/Exchange.asmx", 0);
            Assert.True(local.MaySendCredentials);
            Assert.Null(EwsEndpoint.Resolve("mail.example.com", 0).Warning);
        }

        [Theory]
        [InlineData(null, ErrorIds.SettingsIncomplete)]
        [InlineData("  ", ErrorIds.SettingsIncomplete)]
        [InlineData("ftp://mail.example.com/EWS/Exchange.asmx", ErrorIds.InvalidSetting)]
        [InlineData("https://user:pw@mail.example.com/EWS/Exchange.asmx", ErrorIds.InvalidSetting)]
        public void A_missing_or_unusable_Server_is_a_clear_error(string? server, string errorId)
        {
            var error = Assert.Throws<G5MailErrorException>(() => EwsEndpoint.Resolve(server, 0));
            Assert.Equal(errorId, error.ErrorId);
            Assert.Equal("Server", error.Target);
        }

        [Fact]
        public void The_transport_refuses_to_send_a_password_or_a_Windows_sign_in_over_http_to_another_computer()
        {
            var settings = new SettingValues
            {
                Method = MailMethod.Exchange,
                Server = "http://mail.example.com/EWS/Exchange.asmx",
                Credential = new NetworkCredential(@"G5TEST\anna", "Secret-Pw-123"),
            };
            var error = Assert.Throws<G5MailErrorException>(() => TransportFactory.Create(settings, NullRunLog.Instance));
            Assert.Equal(ErrorIds.AuthenticationFailed, error.ErrorId);
            Assert.Equal(ErrorKind.SecurityError, error.Kind);
            Assert.Contains("Use https", error.Message);
            Assert.DoesNotContain("Secret-Pw-123", error.Message);

            settings.Credential = null;
            error = Assert.Throws<G5MailErrorException>(() => TransportFactory.Create(settings, NullRunLog.Instance));
            Assert.Contains("Windows sign-in", error.Message);

            settings.Server = "mail.example.com"; // a host name means https
            using (IMessageTransport transport = TransportFactory.Create(settings, NullRunLog.Instance))
            {
                Assert.IsType<EwsTransport>(transport);
                Assert.Equal("https://mail.example.com/EWS/Exchange.asmx", transport.Server);
            }
        }

        [Fact]
        public void A_DOMAIN_backslash_user_is_split_for_Windows_authentication()
        {
            NetworkCredential split = EwsConnection.ForWindows(new NetworkCredential(@"G5TEST\anna", "pw"))!;
            Assert.Equal("anna", split.UserName);
            Assert.Equal("G5TEST", split.Domain);
            Assert.Equal("pw", split.Password);
            Assert.Equal("anna@example.com", EwsConnection.ForWindows(new NetworkCredential("anna@example.com", "pw"))!.UserName);
            Assert.Null(EwsConnection.ForWindows(null));
        }

        [Theory]
        [InlineData(10, 14_046_552)]
        [InlineData(0, 65_536)]
        public void A_full_request_is_the_attachments_as_base64_plus_the_envelope(double megabytes, long expected)
        {
            Assert.Equal(expected, EwsLimits.RequestBytes((long)(megabytes * 1_048_576)));
        }

        [Fact]
        public void The_largest_fitting_MaxAttachmentSizeMB_fits_and_a_tenth_more_does_not()
        {
            double fits = EwsLimits.LargestFittingMB(EwsLimits.DefaultMaxRequestBytes);
            Assert.Equal(47.9, fits);
            Assert.True(EwsLimits.RequestBytes((long)(fits * 1_048_576)) <= EwsLimits.DefaultMaxRequestBytes);
            Assert.True(EwsLimits.RequestBytes((long)((fits + 0.1) * 1_048_576)) > EwsLimits.DefaultMaxRequestBytes);
        }
    }
}
