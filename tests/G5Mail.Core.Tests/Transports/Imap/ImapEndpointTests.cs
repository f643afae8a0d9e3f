using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Imap;
using MailKit.Security;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Imap
{
    public sealed class ImapEndpointTests
    {
        [Theory]
        // Port 0: 993 with TLS on connect when UseSsl, else 143 with STARTTLS, required unless the server is this computer.
        [InlineData("imap.example.com", 0, true, 993, SecureSocketOptions.SslOnConnect, "imap.example.com:993 (TLS)")]
        [InlineData("imap.example.com", 0, false, 143, SecureSocketOptions.StartTls, "imap.example.com:143 (STARTTLS)")]
        [InlineData("127.0.0.1", 0, false, 143, SecureSocketOptions.StartTlsWhenAvailable, "127.0.0.1:143 (STARTTLS if offered)")]
        [InlineData("localhost", 0, false, 143, SecureSocketOptions.StartTlsWhenAvailable, "localhost:143 (STARTTLS if offered)")]
        [InlineData("::1", 0, false, 143, SecureSocketOptions.StartTlsWhenAvailable, "[::1]:143 (STARTTLS if offered)")]
        [InlineData("127.0.0.1", 0, true, 993, SecureSocketOptions.SslOnConnect, "127.0.0.1:993 (TLS)")]
        // 993 is TLS on connect and 143 STARTTLS by their numbers (RFC 8314 7, RFC 3501 6.2.1), whatever UseSsl says.
        [InlineData("imap.example.com", 993, false, 993, SecureSocketOptions.SslOnConnect, "imap.example.com:993 (TLS)")]
        [InlineData("imap.example.com", 143, true, 143, SecureSocketOptions.StartTls, "imap.example.com:143 (STARTTLS)")]
        // Any other port follows UseSsl.
        [InlineData("imap.example.com", 1993, true, 1993, SecureSocketOptions.SslOnConnect, "imap.example.com:1993 (TLS)")]
        [InlineData("imap.example.com", 1143, false, 1143, SecureSocketOptions.StartTls, "imap.example.com:1143 (STARTTLS)")]
        [InlineData("127.0.0.1", 1143, false, 1143, SecureSocketOptions.StartTlsWhenAvailable, "127.0.0.1:1143 (STARTTLS if offered)")]
        public void ImapPort_0_means_993_with_TLS_or_143_with_STARTTLS_required_off_loopback(string host, int port, bool useSsl, int expectedPort,
            SecureSocketOptions expectedSecurity, string expectedDescription)
        {
            ImapEndpoint endpoint = ImapEndpoint.Resolve(host, null, port, useSsl);
            Assert.Equal(expectedPort, endpoint.Port);
            Assert.Equal(expectedSecurity, endpoint.Security);
            Assert.Equal(expectedDescription, endpoint.Description);
        }

        [Fact]
        public void ImapServer_not_set_is_Server()
        {
            var settings = new SettingValues { Method = MailMethod.Smtp, Server = "mail.example.com", UseSsl = true };
            Assert.Equal("mail.example.com:993 (TLS)", ImapEndpoint.Resolve(settings).Description);

            settings.ImapServer = "imap.example.com";
            settings.ImapPort = 143;
            Assert.Equal("imap.example.com:143 (STARTTLS)", ImapEndpoint.Resolve(settings).Description);
        }

        [Fact]
        public void No_server_at_all_is_SettingsIncomplete_naming_ImapServer()
        {
            var ex = Assert.Throws<G5MailErrorException>(() => ImapEndpoint.Resolve(new SettingValues { Method = MailMethod.Smtp }));
            Assert.Equal(ErrorIds.SettingsIncomplete, ex.ErrorId);
            Assert.Equal("ImapServer", ex.Target);
            Assert.Null(ImapEndpoint.Describe(new SettingValues { Method = MailMethod.Smtp }));
        }

        [Fact]
        public void An_EWS_URL_in_Server_has_no_IMAP_endpoint_to_show()
        {
            Assert.Null(ImapEndpoint.Describe(new SettingValues { Server = "https://mail.example.com/EWS/Exchange.asmx" }));
        }

        [Theory]
        [InlineData(-1)]
        [InlineData(65536)]
        public void ImapPort_outside_0_to_65535_is_InvalidSetting(long port)
        {
            var ex = Assert.Throws<G5MailErrorException>(() => SettingsValidator.Normalize("ImapPort", port));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Contains("ImapPort", ex.Message);
        }

        [Theory]
        [InlineData("imap.example.com", "imap.example.com")]
        [InlineData(" 192.0.2.10 ", "192.0.2.10")]
        public void ImapServer_takes_a_host_name_or_address(string given, string expected)
        {
            Assert.Equal(expected, SettingsValidator.Normalize("ImapServer", given));
        }

        [Theory]
        [InlineData("https://mail.example.com/EWS/Exchange.asmx")]
        [InlineData("imaps://imap.example.com")]
        [InlineData("imap example.com")]
        public void ImapServer_refuses_URLs_and_spaces(string given)
        {
            var ex = Assert.Throws<G5MailErrorException>(() => SettingsValidator.Normalize("ImapServer", given));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Contains("ImapServer", ex.Message);
        }
    }
}
