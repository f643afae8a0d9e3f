using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using G5Mail.Core.Errors;
using G5Mail.Core.Files;
using G5Mail.Core.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Settings
{
    public class SettingsStoreTests : IDisposable
    {
        private const string SecretValue = "Q~8xY.u7-S3cr3tValue_ForTest~zz";
        private const string PasswordValue = "P@ssw0rd-For-The-Relay!";
        private readonly TempConfig _config = new TempConfig();

        public void Dispose() => _config.Dispose();

        /// <summary>A value for every setting (different from the default).</summary>
        private static (string, object?)[] EverySetting(string suffix) => new (string, object?)[]
        {
            ("Method", MailMethod.Exchange),
            ("Server", "mail" + suffix + ".example.com"),
            ("Port", 2525),
            ("UseSsl", true),
            ("Credential", new NetworkCredential("user" + suffix + "@example.com", Secrets.Secure(PasswordValue + suffix))),
            ("From", "Sales " + suffix + " <sales" + suffix + "@example.com>"),
            ("ClientId", Guid.Parse("6f0c5b8e-2a4d-4f7e-9a31-5c1d7e8b9f2" + suffix.Substring(0, 1))),
            ("TenantId", "contoso" + suffix + ".onmicrosoft.com"),
            ("AuthenticationFlow", AuthenticationFlow.UsernamePassword),
            ("ClientSecret", Secrets.Secure(SecretValue + suffix)),
            ("ClientSecretExpiresOn", new DateTime(2027, 3, 31, 10, 30, 0, DateTimeKind.Utc)),
            ("MaxAttachmentSizeMB", 2.5),
            ("CombineDocuments", true),
            ("SendCopyToSelf", CopyToSelf.Bcc),
            ("ExchangeOnlineProtocol", ExchangeOnlineProtocol.Smtp),
            ("AuthorityHost", "https://login.microsoftonline.us"),
            ("GraphEndpoint", "https://graph.microsoft.us"),
            ("CertificateThumbprint", "a909502dd82ae41433e6f83886b00d4277a32a7b"),
            ("SkipCertificateCheck", true),
        };

        [Theory]
        [InlineData(SettingsScope.System, "1")]
        [InlineData(SettingsScope.User, "2")]
        public void Every_setting_round_trips_through_the_file(SettingsScope scope, string suffix)
        {
            _config.Set(scope, EverySetting(suffix));

            ScopeSettings loaded = _config.Store.Load(scope);
            Assert.Empty(loaded.Problems);
            Assert.True(loaded.Exists);
            SettingValues s = loaded.Settings;
            Assert.Equal(MailMethod.Exchange, s.Method);
            Assert.Equal("mail" + suffix + ".example.com", s.Server);
            Assert.Equal(2525, s.Port);
            Assert.True(s.UseSsl);
            Assert.Equal("user" + suffix + "@example.com", s.Credential!.UserName);
            Assert.Equal(PasswordValue + suffix, s.Credential.Password);
            Assert.Equal("Sales " + suffix + " <sales" + suffix + "@example.com>", s.From);
            Assert.Equal(Guid.Parse("6f0c5b8e-2a4d-4f7e-9a31-5c1d7e8b9f2" + suffix), s.ClientId);
            Assert.Equal("contoso" + suffix + ".onmicrosoft.com", s.TenantId);
            Assert.Equal(AuthenticationFlow.UsernamePassword, s.AuthenticationFlow);
            Assert.Equal(SecretValue + suffix, Secrets.Plain(s.ClientSecret!));
            Assert.Equal(new DateTime(2027, 3, 31, 10, 30, 0, DateTimeKind.Utc), s.ClientSecretExpiresOn);
            Assert.Equal(DateTimeKind.Utc, s.ClientSecretExpiresOn!.Value.Kind);
            Assert.Equal(2.5, s.MaxAttachmentSizeMB);
            Assert.True(s.CombineDocuments);
            Assert.Equal(CopyToSelf.Bcc, s.SendCopyToSelf);
            Assert.Equal(ExchangeOnlineProtocol.Smtp, s.ExchangeOnlineProtocol);
            Assert.Equal(new Uri("https://login.microsoftonline.us/"), s.AuthorityHost);
            Assert.Equal(new Uri("https://graph.microsoft.us/"), s.GraphEndpoint);
            Assert.Equal("A909502DD82AE41433E6F83886B00D4277A32A7B", s.CertificateThumbprint);
            Assert.True(s.SkipCertificateCheck);

            // The other scope is untouched.
            SettingsScope other = scope == SettingsScope.System ? SettingsScope.User : SettingsScope.System;
            Assert.False(_config.Store.Load(other).Exists);
        }

        [Fact]
        public void File_uses_the_contract_names_and_plain_json_for_plain_values()
        {
            _config.Set(SettingsScope.System, ("Method", "smtp"), ("Port", 587), ("UseSsl", true), ("Server", "mail.example.com"));
            using var doc = JsonDocument.Parse(File.ReadAllText(_config.SystemFile));
            Assert.Equal("Smtp", doc.RootElement.GetProperty("Method").GetString());
            Assert.Equal(587, doc.RootElement.GetProperty("Port").GetInt32());
            Assert.True(doc.RootElement.GetProperty("UseSsl").GetBoolean());
            Assert.Equal("mail.example.com", doc.RootElement.GetProperty("Server").GetString());
        }

        [Fact]
        public void Settings_file_never_holds_a_secret_its_bytes_or_its_base64()
        {
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure(SecretValue)),
                ("Credential", new NetworkCredential("me@example.com", Secrets.Secure(PasswordValue))));

            byte[] fileBytes = File.ReadAllBytes(_config.UserFile);
            string text = Encoding.UTF8.GetString(fileBytes);
            foreach (string secret in new[] { SecretValue, PasswordValue })
            {
                byte[] utf8 = Encoding.UTF8.GetBytes(secret);
                byte[] utf16 = Encoding.Unicode.GetBytes(secret);
                Assert.DoesNotContain(secret, text);
                Assert.DoesNotContain(Convert.ToBase64String(utf8), text);
                Assert.DoesNotContain(Convert.ToBase64String(utf16), text);
                Assert.DoesNotContain(Convert.ToHexString(utf8), text, StringComparison.OrdinalIgnoreCase);
                Assert.False(Contains(fileBytes, utf16), "UTF-16 bytes of the secret are in the file");
                // Base64 of the secret at any alignment within a longer base64 run.
                for (int shift = 0; shift < 3; shift++)
                {
                    string aligned = Convert.ToBase64String(new byte[shift].Concat(utf8).ToArray());
                    string core = aligned.Substring((shift * 4 / 3) + 2, 16);
                    Assert.DoesNotContain(core, text);
                }
            }

            Assert.Contains("\"protected\"", text);
            Assert.Contains("me@example.com", text); // the user name is not a secret
        }

        [Fact]
        public void Each_write_encrypts_afresh()
        {
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure(SecretValue)));
            string first = File.ReadAllText(_config.UserFile);
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure(SecretValue)));
            Assert.NotEqual(first, File.ReadAllText(_config.UserFile));
        }

        [Fact]
        public void Tampered_secret_is_SecretUnreadable_naming_the_setting_and_other_values_still_load()
        {
            _config.Set(SettingsScope.System, ("Method", MailMethod.ExchangeOnline), ("ClientSecret", Secrets.Secure(SecretValue)),
                ("From", "sales@example.com"));
            string json = File.ReadAllText(_config.SystemFile);
            string data = JsonDocument.Parse(json).RootElement.GetProperty("ClientSecret").GetProperty("protected").GetString()!;
            byte[] raw = Convert.FromBase64String(data);
            raw[raw.Length / 2] ^= 0x01; // one bit in the ciphertext
            File.WriteAllText(_config.SystemFile, json.Replace(data, Convert.ToBase64String(raw)));

            ScopeSettings loaded = _config.Store.Load(SettingsScope.System);
            SettingsProblem problem = Assert.Single(loaded.Problems);
            Assert.Equal(ErrorIds.SecretUnreadable, problem.ErrorId);
            Assert.Equal(FindingSeverity.Error, problem.Severity);
            Assert.Equal("ClientSecret", problem.Setting);
            Assert.Contains("ClientSecret", problem.Message);
            Assert.Contains(_config.SystemFile, problem.Message);
            Assert.Null(loaded.Settings.ClientSecret);
            Assert.Equal(MailMethod.ExchangeOnline, loaded.Settings.Method);
            Assert.Equal("sales@example.com", loaded.Settings.From);
        }

        [Fact]
        public void Secret_moved_to_another_setting_does_not_decrypt()
        {
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure(SecretValue)),
                ("Credential", new NetworkCredential("me@example.com", Secrets.Secure(PasswordValue))));
            using var doc = JsonDocument.Parse(File.ReadAllText(_config.UserFile));
            string secret = doc.RootElement.GetProperty("ClientSecret").GetRawText();
            string password = doc.RootElement.GetProperty("Credential").GetProperty("Password").GetRawText();
            string swapped = "{ \"ClientSecret\": " + password + ", \"Credential\": { \"UserName\": \"me@example.com\", \"Password\": " + secret + " }, \"Port\": 25 }";
            File.WriteAllText(_config.UserFile, swapped);

            ScopeSettings loaded = _config.Store.Load(SettingsScope.User);
            Assert.Equal(new[] { "ClientSecret", "Credential" }, loaded.Problems.Select(p => p.Setting).OrderBy(n => n));
            Assert.All(loaded.Problems, p => Assert.Equal(ErrorIds.SecretUnreadable, p.ErrorId));
            Assert.Null(loaded.Settings.ClientSecret);
            Assert.Null(loaded.Settings.Credential);
            Assert.Equal(25, loaded.Settings.Port);
        }

        [Fact]
        public void Secret_copied_from_the_other_scope_does_not_decrypt()
        {
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure(SecretValue)));
            _config.Set(SettingsScope.System, ("Port", 25));
            string userSecret = JsonDocument.Parse(File.ReadAllText(_config.UserFile)).RootElement.GetProperty("ClientSecret").GetRawText();
            File.WriteAllText(_config.SystemFile, "{ \"ClientSecret\": " + userSecret + " }");
            Assert.Equal(ErrorIds.SecretUnreadable, Assert.Single(_config.Store.Load(SettingsScope.System).Problems).ErrorId);
        }

        [UnixFact]
        public void Secret_with_another_key_file_or_none_is_SecretUnreadable()
        {
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure(SecretValue)));
            string keyFile = Path.Combine(Path.GetDirectoryName(_config.UserFile)!, SecretProtector.KeyFileName);
            byte[] otherKey = new byte[64];
            new Random(7).NextBytes(otherKey);
            File.WriteAllBytes(keyFile, otherKey);
            var wrongKey = Assert.Single(_config.Store.Load(SettingsScope.User).Problems);
            Assert.Equal(ErrorIds.SecretUnreadable, wrongKey.ErrorId);
            Assert.Contains("integrity", wrongKey.Message);

            File.Delete(keyFile);
            var noKey = Assert.Single(_config.Store.Load(SettingsScope.User).Problems);
            Assert.Equal(ErrorIds.SecretUnreadable, noKey.ErrorId);
            Assert.Contains("missing", noKey.Message);
        }

        [UnixFact]
        public void Secret_protected_with_dpapi_elsewhere_is_SecretUnreadable_naming_the_reason()
        {
            File.WriteAllText(_config.UserFile.EnsureFolder(), "{ \"ClientSecret\": { \"protected\": \"AQAAANCMnd8BFdERjHoAwE/Cl+s=\", \"scheme\": \"dpapi-user\" }, \"Port\": 587 }");
            var loaded = _config.Store.Load(SettingsScope.User);
            var problem = Assert.Single(loaded.Problems);
            Assert.Equal(ErrorIds.SecretUnreadable, problem.ErrorId);
            Assert.Contains("dpapi-user", problem.Message);
            Assert.Equal(587, loaded.Settings.Port);
        }

        [Fact]
        public void Plain_text_secret_put_in_the_file_by_hand_is_refused_without_echoing_it()
        {
            File.WriteAllText(_config.UserFile.EnsureFolder(), "{ \"ClientSecret\": \"" + SecretValue + "\" }");
            var problem = Assert.Single(_config.Store.Load(SettingsScope.User).Problems);
            Assert.Equal(ErrorIds.SecretUnreadable, problem.ErrorId);
            Assert.DoesNotContain(SecretValue, problem.Message);
        }

        [Fact]
        public void Unrelated_set_keeps_an_unreadable_secret_as_stored()
        {
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure(SecretValue)));
            string json = File.ReadAllText(_config.UserFile);
            string data = JsonDocument.Parse(json).RootElement.GetProperty("ClientSecret").GetProperty("protected").GetString()!;
            string damaged = data.Substring(0, 8) + (data[8] == 'A' ? 'B' : 'A') + data.Substring(9);
            File.WriteAllText(_config.UserFile, json.Replace(data, damaged));

            _config.Set(SettingsScope.User, ("Port", 587));
            string after = File.ReadAllText(_config.UserFile);
            Assert.Contains(damaged, after);
            Assert.Equal(587, _config.Store.Load(SettingsScope.User).Settings.Port);
        }

        [Fact]
        public void Interrupted_write_leaves_the_old_file_intact_and_no_temp_file()
        {
            _config.Set(SettingsScope.System, ("Method", MailMethod.Smtp), ("Server", "old.example.com"));
            byte[] before = File.ReadAllBytes(_config.SystemFile);

            _config.Store.WriteStreamWrapper = inner => new FailingStream(inner, failAfterBytes: 20);
            var plan = _config.Service.Plan(SettingsScope.System,
                new[] { new KeyValuePair<string, object?>("Server", "new.example.com"), new KeyValuePair<string, object?>("Port", 587) },
                Array.Empty<string>());
            var ex = Assert.Throws<G5MailErrorException>(() => _config.Service.Apply(plan));
            Assert.Equal(ErrorIds.SettingsWriteFailed, ex.ErrorId);
            Assert.Contains(_config.SystemFile, ex.Message);

            Assert.Equal(before, File.ReadAllBytes(_config.SystemFile));
            Assert.Equal(new[] { "settings.json", "settings.json.lock" }, Directory.GetFiles(Path.GetDirectoryName(_config.SystemFile)!).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));

            _config.Store.WriteStreamWrapper = null;
            _config.Service.Apply(plan);
            Assert.Equal("new.example.com", _config.Store.Load(SettingsScope.System).Settings.Server);
        }

        [Fact]
        public void Interrupted_first_write_leaves_no_file()
        {
            _config.Store.WriteStreamWrapper = inner => new FailingStream(inner, failAfterBytes: 5);
            Assert.Throws<G5MailErrorException>(() => _config.Set(SettingsScope.User, ("Port", 25)));
            Assert.False(File.Exists(_config.UserFile));
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_config.UserFile)!, "*.tmp"));
        }

        [UnixFact]
        [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
        public void User_files_are_owner_only_0600_and_the_System_settings_file_is_readable_by_all()
        {
            // Even with a permissive umask the files are created with their mode before the first byte (open with 0600).
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure(SecretValue)), ("Port", 25));
            _config.Set(SettingsScope.System, ("Credential", new NetworkCredential("relay", Secrets.Secure(PasswordValue))));
            const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            string userKey = Path.Combine(Path.GetDirectoryName(_config.UserFile)!, SecretProtector.KeyFileName);
            Assert.Equal(ownerOnly, File.GetUnixFileMode(_config.UserFile));
            Assert.Equal(ownerOnly, File.GetUnixFileMode(userKey));
            Assert.Equal(64, new FileInfo(userKey).Length);

            // The System scope is everyone's: its settings file holds no plain secret and is readable by all; its key
            // file is for the group g5mail when that group exists, else owner-only.
            string systemKey = Path.Combine(Path.GetDirectoryName(_config.SystemFile)!, SecretProtector.KeyFileName);
            Assert.Equal(ownerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(_config.SystemFile));
            Assert.Equal(FilePermissions.TryGroupId(FileProtection.SystemGroup, out _) ? ownerOnly | UnixFileMode.GroupRead : ownerOnly,
                File.GetUnixFileMode(systemKey));
            Assert.Equal(64, new FileInfo(systemKey).Length);

            // A rewrite of a file someone opened up is owner-only again.
            File.SetUnixFileMode(_config.UserFile, (UnixFileMode)0x1B6); // 0666
            _config.Set(SettingsScope.User, ("Port", 587));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_config.UserFile));
        }

        [UnixFact]
        public void Key_file_is_reused_not_replaced()
        {
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure(SecretValue)));
            string keyFile = Path.Combine(Path.GetDirectoryName(_config.UserFile)!, SecretProtector.KeyFileName);
            byte[] key = File.ReadAllBytes(keyFile);
            _config.Set(SettingsScope.User, ("Credential", new NetworkCredential("me", Secrets.Secure(PasswordValue))));
            Assert.Equal(key, File.ReadAllBytes(keyFile));
            var loaded = _config.Store.Load(SettingsScope.User);
            Assert.Empty(loaded.Problems);
            Assert.Equal(SecretValue, Secrets.Plain(loaded.Settings.ClientSecret!));
        }

        [Fact]
        public void Corrupt_json_names_file_and_position_and_is_never_overwritten()
        {
            string corrupt = "{\n  \"Method\": \"Smtp\",\n  \"Port\": 25,,\n}\n";
            File.WriteAllText(_config.SystemFile.EnsureFolder(), corrupt);

            var load = Assert.Throws<G5MailErrorException>(() => _config.Store.Load(SettingsScope.System));
            Assert.Equal(ErrorIds.InvalidSetting, load.ErrorId);
            Assert.Equal(ErrorKind.InvalidData, load.Kind);
            Assert.Contains(_config.SystemFile, load.Message);
            Assert.Contains("line 3, column 14", load.Message);

            var set = Assert.Throws<G5MailErrorException>(() => _config.Set(SettingsScope.System, ("Port", 587)));
            Assert.Equal(ErrorIds.InvalidSetting, set.ErrorId);
            var setUser = Assert.Throws<G5MailErrorException>(() => _config.Set(SettingsScope.User, ("Port", 587)));
            Assert.Contains(_config.SystemFile, setUser.Message);
            Assert.Equal(corrupt, File.ReadAllText(_config.SystemFile));
            Assert.False(File.Exists(_config.UserFile));
        }

        [Fact]
        public void Json_that_is_not_an_object_is_refused()
        {
            File.WriteAllText(_config.UserFile.EnsureFolder(), "[1, 2]");
            var ex = Assert.Throws<G5MailErrorException>(() => _config.Store.Load(SettingsScope.User));
            Assert.Contains("one JSON object", ex.Message);
        }

        [Fact]
        public void Hand_edited_file_with_comments_any_case_and_a_bad_value_loads_the_rest()
        {
            File.WriteAllText(_config.UserFile.EnsureFolder(),
                "\uFEFF{\n // edited by hand\n \"method\": \"smtp\",\n \"PORT\": 70000,\n \"server\": \"mail.example.com\",\n \"Colour\": \"blue\",\n}\n");
            var loaded = _config.Store.Load(SettingsScope.User);
            Assert.Equal(MailMethod.Smtp, loaded.Settings.Method);
            Assert.Equal("mail.example.com", loaded.Settings.Server);
            Assert.Null(loaded.Settings.Port);

            var port = Assert.Single(loaded.Problems, p => p.Setting == "Port");
            Assert.Equal(ErrorIds.InvalidSetting, port.ErrorId);
            Assert.Equal(FindingSeverity.Error, port.Severity);
            Assert.Contains("70000", port.Message);
            Assert.Contains(_config.UserFile, port.Message);

            var unknown = Assert.Single(loaded.Problems, p => p.Setting == "Colour");
            Assert.Equal(FindingSeverity.Warning, unknown.Severity);
        }

        [Fact]
        public void Unknown_names_survive_a_write()
        {
            File.WriteAllText(_config.UserFile.EnsureFolder(), "{ \"FutureSetting\": { \"a\": 1 }, \"Port\": 25 }");
            _config.Set(SettingsScope.User, ("Port", 587));
            using var doc = JsonDocument.Parse(File.ReadAllText(_config.UserFile));
            Assert.Equal(1, doc.RootElement.GetProperty("FutureSetting").GetProperty("a").GetInt32());
            Assert.Equal(587, doc.RootElement.GetProperty("Port").GetInt32());
        }

        [Fact]
        public void Empty_file_is_an_empty_scope()
        {
            File.WriteAllText(_config.UserFile.EnsureFolder(), "  \n");
            var loaded = _config.Store.Load(SettingsScope.User);
            Assert.Empty(loaded.Problems);
            Assert.Null(loaded.Settings.Method);
        }

        [Fact]
        public void Missing_file_is_an_empty_scope()
        {
            var loaded = _config.Store.Load(SettingsScope.System);
            Assert.False(loaded.Exists);
            Assert.Empty(loaded.Problems);
            Assert.All(SettingDefinitions.All, d => Assert.Null(d.GetValue(loaded.Settings)));
        }

        private static bool Contains(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i + needle.Length <= haystack.Length; i++)
            {
                if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Passes writes through until a byte budget is spent, then fails as a full disk or a crash would.</summary>
        private sealed class FailingStream : Stream
        {
            private readonly Stream _inner;
            private int _left;

            public FailingStream(Stream inner, int failAfterBytes)
            {
                _inner = inner;
                _left = failAfterBytes;
            }

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => _inner.Length;
            public override long Position { get => _inner.Position; set => throw new NotSupportedException(); }

            public override void Write(byte[] buffer, int offset, int count)
            {
                int now = Math.Min(count, _left);
                _inner.Write(buffer, offset, now);
                _inner.Flush();
                _left -= now;
                if (now < count)
                {
                    throw new IOException("Simulated failure after part of the data (disk full).");
                }
            }

            public override void Flush() => _inner.Flush();
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }

    internal static class PathExtensions
    {
        public static string EnsureFolder(this string file)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            return file;
        }
    }
}
