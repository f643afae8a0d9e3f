using System;
using System.IO;
using System.Security;
using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Settings
{
    public class SecretProtectorTests : IDisposable
    {
        private readonly TempConfig _config = new TempConfig();

        public void Dispose() => _config.Dispose();

        private string SettingsFile => _config.UserFile.EnsureFolder();

        [Fact]
        public void Round_trip_keeps_every_character()
        {
            var protector = SecretProtector.For(SettingsScope.User, SettingsFile);
            const string secret = "ÄÖü~€ 𝄞 \"quoted\" \\ back";
            ProtectedSecret stored = protector.Protect("ClientSecret", Secrets.Secure(secret));
            Assert.Equal(protector.Scheme, stored.Scheme);
            SecureString back = protector.Unprotect("ClientSecret", stored);
            Assert.True(back.IsReadOnly());
            Assert.Equal(secret, Secrets.Plain(back));
        }

        [Fact]
        public void Bound_to_setting_name_and_scope()
        {
            var user = SecretProtector.For(SettingsScope.User, SettingsFile);
            ProtectedSecret stored = user.Protect("ClientSecret", Secrets.Secure("x-secret"));

            var wrongName = Assert.Throws<G5MailErrorException>(() => user.Unprotect("Credential", stored));
            Assert.Equal(ErrorIds.SecretUnreadable, wrongName.ErrorId);
            Assert.Equal("Credential", wrongName.Target);
            Assert.Contains("Credential", wrongName.Message);

            // Same folder and key, other scope: still refused.
            var system = SecretProtector.For(SettingsScope.System, SettingsFile);
            Assert.Equal(ErrorIds.SecretUnreadable, Assert.Throws<G5MailErrorException>(() => system.Unprotect("ClientSecret", stored)).ErrorId);
        }

        [Fact]
        public void Every_flipped_byte_is_detected()
        {
            var protector = SecretProtector.For(SettingsScope.User, SettingsFile);
            ProtectedSecret stored = protector.Protect("ClientSecret", Secrets.Secure("tamper-me"));
            byte[] raw = Convert.FromBase64String(stored.Data);
            for (int i = 0; i < raw.Length; i++)
            {
                byte[] copy = (byte[])raw.Clone();
                copy[i] ^= 0x80;
                var damaged = new ProtectedSecret(stored.Scheme, Convert.ToBase64String(copy));
                var ex = Assert.Throws<G5MailErrorException>(() => protector.Unprotect("ClientSecret", damaged));
                Assert.Equal(ErrorIds.SecretUnreadable, ex.ErrorId);
            }

            var truncated = new ProtectedSecret(stored.Scheme, Convert.ToBase64String(raw, 0, raw.Length - 1));
            Assert.Throws<G5MailErrorException>(() => protector.Unprotect("ClientSecret", truncated));
            Assert.Throws<G5MailErrorException>(() => protector.Unprotect("ClientSecret", new ProtectedSecret(stored.Scheme, "not base64!")));
        }

        [Fact]
        public void Foreign_scheme_is_refused_with_the_reason()
        {
            var protector = SecretProtector.For(SettingsScope.User, SettingsFile);
            var ex = Assert.Throws<G5MailErrorException>(() => protector.Unprotect("ClientSecret", new ProtectedSecret("rot13", "AAAA")));
            Assert.Contains("rot13", ex.Message);
            Assert.Contains("Set-G5MailSetting -Scope User -ClientSecret", ex.Message);
        }

        [UnixFact]
        public void Unix_uses_the_key_file_beside_the_settings()
        {
            var protector = SecretProtector.For(SettingsScope.User, SettingsFile);
            Assert.Equal("aes256cbc-hmacsha256", protector.Scheme);
            string keyFile = Path.Combine(Path.GetDirectoryName(SettingsFile)!, "settings.key");
            Assert.False(File.Exists(keyFile));
            protector.Protect("ClientSecret", Secrets.Secure("x"));
            Assert.True(File.Exists(keyFile));
            // Stored bytes: version | IV | at least one AES block | HMAC-SHA256 tag.
            byte[] raw = Convert.FromBase64String(protector.Protect("ClientSecret", Secrets.Secure("x")).Data);
            Assert.Equal(1, raw[0]);
            Assert.Equal(1 + 16 + 16 + 32, raw.Length);
        }

        [UnixFact]
        public void Damaged_key_file_is_reported()
        {
            var protector = SecretProtector.For(SettingsScope.User, SettingsFile);
            ProtectedSecret stored = protector.Protect("ClientSecret", Secrets.Secure("x"));
            File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(SettingsFile)!, "settings.key"), new byte[10]);
            var ex = Assert.Throws<G5MailErrorException>(() => protector.Unprotect("ClientSecret", stored));
            Assert.Contains("damaged", ex.Message);
        }

        [WindowsFact]
        public void Windows_uses_dpapi_user_and_machine_scope()
        {
            var user = SecretProtector.For(SettingsScope.User, SettingsFile);
            var system = SecretProtector.For(SettingsScope.System, SettingsFile);
            Assert.Equal("dpapi-user", user.Scheme);
            Assert.Equal("dpapi-machine", system.Scheme);
            Assert.Equal("w-secret", Secrets.Plain(user.Unprotect("ClientSecret", user.Protect("ClientSecret", Secrets.Secure("w-secret")))));
            Assert.Equal("m-secret", Secrets.Plain(system.Unprotect("ClientSecret", system.Protect("ClientSecret", Secrets.Secure("m-secret")))));
            Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(SettingsFile)!, "settings.key")));
            var stored = user.Protect("ClientSecret", Secrets.Secure("w-secret"));
            Assert.Throws<G5MailErrorException>(() => user.Unprotect("Credential", stored));
        }
    }
}
