using System;
using System.Linq;
using System.Net;
using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Settings
{
    public class SettingsValidatorTests
    {
        private static G5MailErrorException Refused(string name, object? value)
        {
            var ex = Assert.Throws<G5MailErrorException>(() => SettingsValidator.Normalize(name, value));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
            Assert.Equal(name, ex.Target);
            Assert.Contains(name, ex.Message);
            return ex;
        }

        [Theory]
        [InlineData(0)]
        [InlineData(25)]
        [InlineData(587)]
        [InlineData(65535)]
        public void Port_in_range_is_accepted(int port) => Assert.Equal(port, SettingsValidator.Normalize("Port", port));

        [Theory]
        [InlineData(-1)]
        [InlineData(65536)]
        [InlineData(70000)]
        public void Port_out_of_range_is_refused_naming_value_and_range(int port)
        {
            var ex = Refused("Port", port);
            Assert.Contains(port.ToString(), ex.Message);
            Assert.Contains("0 to 65535", ex.Message);
        }

        [Fact]
        public void Port_as_text_or_fraction()
        {
            Assert.Equal(587, SettingsValidator.Normalize("Port", "587"));
            Refused("Port", "abc");
            Refused("Port", 25.5);
        }

        [Theory]
        [InlineData("6f0c5b8e-2a4d-4f7e-9a31-5c1d7e8b9f20")]
        [InlineData("{6F0C5B8E-2A4D-4F7E-9A31-5C1D7E8B9F20}")]
        [InlineData("6f0c5b8e2a4d4f7e9a315c1d7e8b9f20")]
        public void ClientId_guid_is_accepted(string id) =>
            Assert.Equal(Guid.Parse("6f0c5b8e-2a4d-4f7e-9a31-5c1d7e8b9f20"), SettingsValidator.Normalize("ClientId", id));

        [Theory]
        [InlineData("abc")]
        [InlineData("")]
        [InlineData("00000000-0000-0000-0000-000000000000")]
        [InlineData("6f0c5b8e-2a4d-4f7e-9a31-5c1d7e8b9f2")]
        public void ClientId_not_a_guid_is_refused(string id)
        {
            var ex = Refused("ClientId", id);
            Assert.Contains("GUID", ex.Message);
        }

        [Theory]
        [InlineData("6F0C5B8E-2A4D-4F7E-9A31-5C1D7E8B9F20", "6f0c5b8e-2a4d-4f7e-9a31-5c1d7e8b9f20")]
        [InlineData("Contoso.onmicrosoft.com", "contoso.onmicrosoft.com")]
        [InlineData(" example.com ", "example.com")]
        public void TenantId_guid_or_domain_is_accepted(string input, string expected) =>
            Assert.Equal(expected, SettingsValidator.Normalize("TenantId", input));

        [Theory]
        [InlineData("contoso")]
        [InlineData("common")]
        [InlineData("not a domain.com")]
        [InlineData("exa_mple..com")]
        [InlineData("")]
        public void TenantId_other_text_is_refused(string input) => Refused("TenantId", input);

        [Theory]
        [InlineData("sales@example.com")]
        [InlineData("Example Sales <sales@example.com>")]
        [InlineData("\"Sales, North\" <sales@example.com>")]
        [InlineData("first.last+tag@sub.example.co.uk")]
        public void From_mail_address_is_accepted(string from) => Assert.Equal(from, SettingsValidator.Normalize("From", from));

        [Theory]
        [InlineData("not-an-address")]
        [InlineData("@example.com")]
        [InlineData("sales@")]
        [InlineData("sales@exa mple.com")]
        [InlineData("a@example.com, b@example.com")]
        [InlineData("")]
        public void From_not_a_single_address_is_refused(string from)
        {
            var ex = Refused("From", from);
            Assert.Contains("mail address", ex.Message);
        }

        [Theory]
        [InlineData(10.0)]
        [InlineData(0.5)]
        [InlineData(1e-3)]
        public void MaxAttachmentSizeMB_positive_is_accepted(double size) => Assert.Equal(size, SettingsValidator.Normalize("MaxAttachmentSizeMB", size));

        [Theory]
        [InlineData(0.0)]
        [InlineData(-1.0)]
        [InlineData(double.NaN)]
        [InlineData(double.PositiveInfinity)]
        [InlineData(1e-7)]
        public void MaxAttachmentSizeMB_zero_negative_tiny_or_not_finite_is_refused(double size)
        {
            var ex = Refused("MaxAttachmentSizeMB", size);
            Assert.Contains("from 0.001 to 1,000,000", ex.Message);
        }

        [Fact]
        public void MaxAttachmentSizeMB_integer_is_widened() => Assert.Equal(25.0, SettingsValidator.Normalize("MaxAttachmentSizeMB", 25));

        [Theory]
        [InlineData("AuthorityHost", "https://login.microsoftonline.us", "https://login.microsoftonline.us/")]
        [InlineData("AuthorityHost", "https://login.microsoftonline.com/", "https://login.microsoftonline.com/")]
        [InlineData("GraphEndpoint", "https://graph.microsoft.us", "https://graph.microsoft.us/")]
        [InlineData("GraphEndpoint", "https://localhost:8443", "https://localhost:8443/")]
        public void Https_host_is_accepted(string name, string input, string expected) =>
            Assert.Equal(new Uri(expected), SettingsValidator.Normalize(name, input));

        [Theory]
        [InlineData("AuthorityHost", "http://login.microsoftonline.com")]
        [InlineData("AuthorityHost", "login.microsoftonline.com")]
        [InlineData("AuthorityHost", "https://login.microsoftonline.com/tenant")]
        [InlineData("GraphEndpoint", "https://graph.microsoft.com/v1.0")]
        [InlineData("GraphEndpoint", "https://user@graph.microsoft.com")]
        [InlineData("GraphEndpoint", "ftp://graph.microsoft.com")]
        public void Non_https_or_not_a_host_is_refused(string name, string input)
        {
            var ex = Refused(name, input);
            Assert.Contains("https", ex.Message);
            Assert.Contains(input, ex.Message);
        }

        [Fact]
        public void Uri_object_is_accepted() =>
            Assert.Equal(new Uri("https://graph.microsoft.de/"), SettingsValidator.Normalize("GraphEndpoint", new Uri("https://graph.microsoft.de")));

        [Theory]
        [InlineData("a9 09 50 2d d8 2a e4 14 33 e6 f8 38 86 b0 0d 42 77 a3 2a 7b", "A909502DD82AE41433E6F83886B00D4277A32A7B")]
        [InlineData("A9:09:50:2D:D8:2A:E4:14:33:E6:F8:38:86:B0:0D:42:77:A3:2A:7B", "A909502DD82AE41433E6F83886B00D4277A32A7B")]
        [InlineData("\u200Ea909502dd82ae41433e6f83886b00d4277a32a7b", "A909502DD82AE41433E6F83886B00D4277A32A7B")]
        [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF")]
        public void Thumbprint_sha1_or_sha256_is_normalised(string input, string expected) =>
            Assert.Equal(expected, SettingsValidator.Normalize("CertificateThumbprint", input));

        [Theory]
        [InlineData("A909502DD82AE41433E6F83886B00D4277A32A7")]
        [InlineData("G909502DD82AE41433E6F83886B00D4277A32A7B")]
        [InlineData("A909502DD82AE41433E6F83886B00D4277A32A7B00")]
        [InlineData("")]
        public void Thumbprint_wrong_length_or_not_hex_is_refused(string input)
        {
            var ex = Refused("CertificateThumbprint", input);
            Assert.Contains("40 hex", ex.Message);
        }

        [Theory]
        [InlineData("mail.example.com", "mail.example.com")]
        [InlineData("localhost", "localhost")]
        [InlineData("192.0.2.10", "192.0.2.10")]
        [InlineData("2001:db8::1", "2001:db8::1")]
        [InlineData("[2001:db8::1]", "2001:db8::1")]
        [InlineData(" smtp.office365.com ", "smtp.office365.com")]
        [InlineData("https://mail.example.com/EWS/Exchange.asmx", "https://mail.example.com/EWS/Exchange.asmx")]
        [InlineData("http://mail.example.com/EWS/Exchange.asmx", "http://mail.example.com/EWS/Exchange.asmx")]
        public void Server_host_ip_or_EWS_url_is_accepted(string input, string expected) =>
            Assert.Equal(expected, SettingsValidator.Normalize("Server", input));

        [Theory]
        [InlineData("")]
        [InlineData("   ")]
        [InlineData("mail example.com")]
        [InlineData("mail.example.com:25")]
        [InlineData("ftp://mail.example.com/EWS/Exchange.asmx")]
        [InlineData("http://user:pw@mail.example.com/EWS/Exchange.asmx")]
        [InlineData("192.0.2")]
        [InlineData("-bad-.example.com")]
        public void Server_with_spaces_port_or_another_scheme_is_refused(string input) => Refused("Server", input);

        [Theory]
        [InlineData("Method", "smtp", MailMethod.Smtp)]
        [InlineData("Method", "EXCHANGEONLINE", MailMethod.ExchangeOnline)]
        [InlineData("Method", MailMethod.Outlook, MailMethod.Outlook)]
        [InlineData("AuthenticationFlow", "usernamepassword", AuthenticationFlow.UsernamePassword)]
        [InlineData("SendCopyToSelf", "bcc", CopyToSelf.Bcc)]
        [InlineData("ExchangeOnlineProtocol", "Smtp", ExchangeOnlineProtocol.Smtp)]
        public void Enum_by_name_in_any_case_is_accepted(string name, object input, object expected) =>
            Assert.Equal(expected, SettingsValidator.Normalize(name, input));

        [Theory]
        [InlineData("Method", "Pigeon")]
        [InlineData("Method", "2")]
        [InlineData("AuthenticationFlow", "DeviceCode")]
        [InlineData("SendCopyToSelf", "To")]
        [InlineData("ExchangeOnlineProtocol", "Ews")]
        public void Enum_unknown_name_or_number_is_refused_listing_names(string name, string input)
        {
            var ex = Refused(name, input);
            Assert.Contains("use one of", ex.Message);
        }

        [Fact]
        public void Enum_undefined_number_value_is_refused() => Refused("Method", (MailMethod)42);

        [Theory]
        [InlineData("UseSsl")]
        [InlineData("CombineDocuments")]
        [InlineData("SkipCertificateCheck")]
        public void Booleans(string name)
        {
            Assert.Equal(true, SettingsValidator.Normalize(name, true));
            Assert.Equal(false, SettingsValidator.Normalize(name, "False"));
            Refused(name, "yes");
            Refused(name, 1);
        }

        [Fact]
        public void ClientSecretExpiresOn_dates()
        {
            var date = new DateTime(2027, 3, 31, 0, 0, 0, DateTimeKind.Utc);
            Assert.Equal(date, SettingsValidator.Normalize("ClientSecretExpiresOn", date));
            Assert.Equal(date, SettingsValidator.Normalize("ClientSecretExpiresOn", "2027-03-31T00:00:00Z"));
            Assert.Equal(date, SettingsValidator.Normalize("ClientSecretExpiresOn", new DateTimeOffset(date)));
            Refused("ClientSecretExpiresOn", "next year");
        }

        [Fact]
        public void Credential_needs_a_user_name_and_never_shows_the_password()
        {
            var ok = (NetworkCredential)SettingsValidator.Normalize("Credential", new NetworkCredential("relay@example.com", Secrets.Secure("pw-9f8e7d")));
            Assert.Equal("relay@example.com", ok.UserName);
            Assert.Equal("pw-9f8e7d", ok.Password);

            var ex = Refused("Credential", new NetworkCredential(" ", Secrets.Secure("pw-9f8e7d")));
            Assert.DoesNotContain("pw-9f8e7d", ex.Message);
            Refused("Credential", "relay@example.com");
        }

        [Fact]
        public void ClientSecret_must_be_a_non_empty_SecureString_and_plain_text_is_never_echoed()
        {
            Assert.NotNull(SettingsValidator.Normalize("ClientSecret", Secrets.Secure("abc~123")));
            Refused("ClientSecret", Secrets.Secure(string.Empty));
            var ex = Refused("ClientSecret", "Plain~Secret~Value");
            Assert.DoesNotContain("Plain~Secret~Value", ex.Message);
        }

        [Fact]
        public void Null_is_refused_with_a_hint_to_clear() => Assert.Contains("-Clear Server", Refused("Server", null).Message);

        [Fact]
        public void Unknown_setting_name_is_refused_listing_names()
        {
            var ex = Assert.Throws<G5MailErrorException>(() => SettingsValidator.Normalize("Colour", "blue"));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Contains("MaxAttachmentSizeMB", ex.Message);
        }

        [Fact]
        public void Long_bad_values_are_shortened_in_messages()
        {
            string longValue = new string('x', 500);
            Assert.True(Refused("Server", longValue + " y").Message.Length < 400);
        }

        [Fact]
        public void Definitions_cover_the_contract_names_in_order() =>
            Assert.Equal(SettingValues.Names, SettingDefinitions.All.Select(d => d.Name));

        [Fact]
        public void Every_setting_has_a_validation_rule()
        {
            foreach (SettingDefinition d in SettingDefinitions.All)
            {
                // null reaches the rule table and must give InvalidSetting, never "no validation rule".
                var ex = Assert.Throws<G5MailErrorException>(() => SettingsValidator.Normalize(d, null));
                Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            }
        }
    }
}
