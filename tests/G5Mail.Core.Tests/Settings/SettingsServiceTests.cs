using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Settings
{
    public class SettingsServiceTests : IDisposable
    {
        private readonly TempConfig _config = new TempConfig();

        public void Dispose() => _config.Dispose();

        private static KeyValuePair<string, object?> V(string name, object? value) => new KeyValuePair<string, object?>(name, value);

        [Fact]
        public void Defaults_apply_when_nothing_is_set()
        {
            SettingsView view = _config.Service.LoadEffective();
            SettingValues s = view.Settings;
            Assert.Null(s.Method);
            Assert.Null(s.Server);
            Assert.Equal(0, s.Port);
            Assert.False(s.UseSsl);
            Assert.Null(s.Credential);
            Assert.Null(s.From);
            Assert.Null(s.ClientId);
            Assert.Null(s.TenantId);
            Assert.Equal(AuthenticationFlow.ClientSecret, s.AuthenticationFlow);
            Assert.Null(s.ClientSecret);
            Assert.Null(s.ClientSecretExpiresOn);
            Assert.Equal(10.0, s.MaxAttachmentSizeMB);
            Assert.False(s.CombineDocuments);
            Assert.Equal(CopyToSelf.None, s.SendCopyToSelf);
            Assert.Equal(ExchangeOnlineProtocol.Graph, s.ExchangeOnlineProtocol);
            Assert.Equal(new Uri("https://login.microsoftonline.com"), s.AuthorityHost);
            Assert.Equal(new Uri("https://graph.microsoft.com"), s.GraphEndpoint);
            Assert.Null(s.CertificateThumbprint);
            Assert.False(s.SkipCertificateCheck);

            Assert.Equal(SettingDefinitions.All.Count, view.Sources.Count);
            Assert.All(view.Sources.Values, source => Assert.Equal(SettingSource.Default, source));
            Assert.Contains(view.Findings, f => f.Code == FindingCodes.MethodMissing);
            Assert.False(view.IsComplete);
            Assert.Equal(ErrorIds.SettingsIncomplete, Assert.Throws<G5MailErrorException>(view.EnsureComplete).ErrorId);
        }

        [Fact]
        public void User_overrides_system_field_by_field_with_the_source_of_each()
        {
            _config.Set(SettingsScope.System, ("Method", "Smtp"), ("Server", "relay.example.com"), ("Port", 25), ("From", "erp@example.com"),
                ("Credential", new NetworkCredential("relay", Secrets.Secure("relay-pw"))));
            _config.Set(SettingsScope.User, ("Port", 587), ("UseSsl", true), ("From", "anna@example.com"));

            SettingsView view = _config.Service.LoadEffective();
            Assert.Equal(SettingsScope.Effective, view.Scope);
            Assert.Equal(MailMethod.Smtp, view.Settings.Method);
            Assert.Equal("relay.example.com", view.Settings.Server);
            Assert.Equal(587, view.Settings.Port);
            Assert.True(view.Settings.UseSsl);
            Assert.Equal("anna@example.com", view.Settings.From);
            Assert.Equal("relay", view.Settings.Credential!.UserName);
            Assert.Equal("relay-pw", view.Settings.Credential.Password);
            Assert.Equal(10.0, view.Settings.MaxAttachmentSizeMB);

            Assert.Equal(SettingSource.System, view.Sources["Method"]);
            Assert.Equal(SettingSource.System, view.Sources["Server"]);
            Assert.Equal(SettingSource.User, view.Sources["Port"]);
            Assert.Equal(SettingSource.User, view.Sources["UseSsl"]);
            Assert.Equal(SettingSource.User, view.Sources["From"]);
            Assert.Equal(SettingSource.System, view.Sources["Credential"]);
            Assert.Equal(SettingSource.Default, view.Sources["MaxAttachmentSizeMB"]);
            Assert.True(view.IsComplete);
            Assert.Equal(_config.UserFile, view.Path);
            Assert.Equal(_config.SystemFile, view.SystemPath);
        }

        [Fact]
        public void Clear_removes_the_value_from_that_scope_only_and_falls_back()
        {
            _config.Set(SettingsScope.System, ("Port", 25), ("Server", "relay.example.com"));
            _config.Set(SettingsScope.User, ("Port", 587), ("Server", "user.example.com"));

            _config.Clear(SettingsScope.User, "port");
            SettingsView view = _config.Service.LoadEffective();
            Assert.Equal(25, view.Settings.Port);
            Assert.Equal(SettingSource.System, view.Sources["Port"]);
            Assert.Equal("user.example.com", view.Settings.Server);
            Assert.Equal(25, _config.Store.Load(SettingsScope.System).Settings.Port);

            _config.Clear(SettingsScope.System, "Port");
            view = _config.Service.LoadEffective();
            Assert.Equal(0, view.Settings.Port);
            Assert.Equal(SettingSource.Default, view.Sources["Port"]);
        }

        [Fact]
        public void Clear_of_a_secret_removes_it_from_the_file()
        {
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure("s3cr3t")), ("Port", 25));
            _config.Clear(SettingsScope.User, "ClientSecret");
            Assert.DoesNotContain("ClientSecret", File.ReadAllText(_config.UserFile));
            Assert.Null(_config.Store.Load(SettingsScope.User).Settings.ClientSecret);
        }

        [Fact]
        public void Scope_views_show_only_their_own_values()
        {
            _config.Set(SettingsScope.System, ("Method", "Smtp"));
            _config.Set(SettingsScope.User, ("Port", 587));

            SettingsView system = _config.Service.Get(SettingsScope.System);
            Assert.Equal(MailMethod.Smtp, system.Settings.Method);
            Assert.Null(system.Settings.Port);
            Assert.Equal(_config.SystemFile, system.Path);
            Assert.Equal(new[] { "Method" }, system.Sources.Keys);
            Assert.Equal(SettingSource.System, system.Sources["Method"]);

            SettingsView user = _config.Service.Get(SettingsScope.User);
            Assert.Null(user.Settings.Method);
            Assert.Equal(587, user.Settings.Port);
            Assert.Equal(_config.UserFile, user.Path);
            Assert.Equal(SettingSource.User, user.Sources["Port"]);

            // Findings describe the effective settings in every view (they are what a send uses).
            Assert.Contains(user.Findings, f => f.Code == FindingCodes.ServerMissing);
        }

        [Fact]
        public void Every_value_is_validated_before_anything_is_written()
        {
            _config.Set(SettingsScope.User, ("Port", 25));
            byte[] before = File.ReadAllBytes(_config.UserFile);

            var ex = Assert.Throws<G5MailErrorException>(() => _config.Service.Plan(SettingsScope.User,
                new[] { V("Server", "good.example.com"), V("Port", 587), V("ClientId", "abc") }, Array.Empty<string>()));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Equal("ClientId", ex.Target);
            Assert.Equal(before, File.ReadAllBytes(_config.UserFile));
            Assert.False(File.Exists(_config.SystemFile));
        }

        [Fact]
        public void A_name_both_set_and_cleared_is_refused()
        {
            var ex = Assert.Throws<G5MailErrorException>(() => _config.Service.Plan(SettingsScope.User, new[] { V("Port", 25) }, new[] { "Port" }));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
        }

        [Fact]
        public void Clear_of_an_unknown_name_is_refused()
        {
            var ex = Assert.Throws<G5MailErrorException>(() => _config.Service.Plan(SettingsScope.User, Array.Empty<KeyValuePair<string, object?>>(), new[] { "Colour" }));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
        }

        [Fact]
        public void Effective_scope_cannot_be_written()
        {
            var ex = Assert.Throws<G5MailErrorException>(() => _config.Service.Plan(SettingsScope.Effective, new[] { V("Port", 25) }, Array.Empty<string>()));
            Assert.Contains("-Scope System or -Scope User", ex.Message);
        }

        [Fact]
        public void Plan_describes_by_name_gives_findings_after_the_change_and_writes_nothing_until_applied()
        {
            _config.Set(SettingsScope.System, ("Method", "Smtp"), ("Server", "relay.example.com"), ("From", "erp@example.com"));
            var plan = _config.Service.Plan(SettingsScope.User,
                new[] { V("Port", 25), V("UseSsl", true), V("ClientSecret", Secrets.Secure("dont-show-me")) }, new[] { "From" });

            Assert.Equal("set Port, UseSsl, ClientSecret; clear From", plan.Description);
            Assert.DoesNotContain("dont-show-me", plan.Description);
            Assert.Equal(_config.UserFile, plan.Path);
            Assert.Contains(plan.FindingsAfter, f => f.Code == FindingCodes.Port25WithSsl);
            Assert.DoesNotContain(plan.FindingsAfter, f => f.Code == FindingCodes.FromMissing); // System still has From
            Assert.False(File.Exists(_config.UserFile));

            _config.Service.Apply(plan);
            Assert.Equal(25, _config.Store.Load(SettingsScope.User).Settings.Port);
        }

        [Fact]
        public void Findings_after_clearing_the_last_server()
        {
            _config.Set(SettingsScope.System, ("Method", "Smtp"), ("Server", "relay.example.com"), ("From", "erp@example.com"));
            var plan = _config.Service.Plan(SettingsScope.System, Array.Empty<KeyValuePair<string, object?>>(), new[] { "Server" });
            Assert.Contains(plan.FindingsAfter, f => f.Code == FindingCodes.ServerMissing && f.Severity == FindingSeverity.Error);
        }

        [Fact]
        public void Unreadable_secret_is_a_problem_of_the_effective_view_and_the_system_value_does_not_hide_it()
        {
            _config.Set(SettingsScope.User, ("ClientSecret", Secrets.Secure("user-secret")), ("Method", "ExchangeOnline"));
            File.WriteAllText(_config.UserFile, File.ReadAllText(_config.UserFile).Replace("\"protected\": \"", "\"protected\": \"AAAA"));
            SettingsView view = _config.Service.LoadEffective();
            var problem = Assert.Single(view.Problems);
            Assert.Equal(ErrorIds.SecretUnreadable, problem.ErrorId);
            Assert.Equal(MailMethod.ExchangeOnline, view.Settings.Method);
            var ex = Assert.Throws<G5MailErrorException>(view.EnsureComplete);
            Assert.Equal(ErrorIds.SettingsIncomplete, ex.ErrorId);
            Assert.Contains("cannot be decrypted", ex.Message);
        }

        [Fact]
        public void Merge_is_a_pure_overlay()
        {
            var system = new SettingValues { Port = 25, Server = "a" };
            var user = new SettingValues { Port = 587 };
            var (effective, sources) = SettingsService.Merge(system, user);
            Assert.Equal(587, effective.Port);
            Assert.Equal("a", effective.Server);
            Assert.Equal(25, system.Port);
            Assert.Equal(SettingSource.User, sources["port"]);
        }
    }

    public class SettingsPathsTests
    {
        private static string Folder(Environment.SpecialFolder f) => f switch
        {
            Environment.SpecialFolder.CommonApplicationData => @"C:\ProgramData",
            Environment.SpecialFolder.ApplicationData => @"C:\Users\anna\AppData\Roaming",
            Environment.SpecialFolder.UserProfile => "/home/fallback",
            _ => throw new ArgumentException(f.ToString()),
        };

        private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
            name => vars.FirstOrDefault(v => v.Name == name).Value;

        [Fact]
        public void Windows_uses_programdata_and_appdata()
        {
            var p = SettingsPaths.Resolve(Env(), isWindows: true, Folder);
            Assert.Equal(Path.Combine(@"C:\ProgramData", "G5Mail", "settings.json"), p.SystemFile);
            Assert.Equal(Path.Combine(@"C:\Users\anna\AppData\Roaming", "G5Mail", "settings.json"), p.UserFile);
        }

        [Fact]
        public void Unix_uses_etc_and_xdg_config_home()
        {
            var p = SettingsPaths.Resolve(Env(("XDG_CONFIG_HOME", "/home/anna/.cfg"), ("HOME", "/home/anna")), isWindows: false, Folder);
            Assert.Equal("/etc/g5mail/settings.json", p.SystemFile);
            Assert.Equal("/home/anna/.cfg/g5mail/settings.json", p.UserFile);
        }

        [Fact]
        public void Unix_without_xdg_uses_dot_config_under_home()
        {
            Assert.Equal("/home/anna/.config/g5mail/settings.json", SettingsPaths.Resolve(Env(("HOME", "/home/anna")), false, Folder).UserFile);
            Assert.Equal("/home/anna/.config/g5mail/settings.json",
                SettingsPaths.Resolve(Env(("HOME", "/home/anna"), ("XDG_CONFIG_HOME", "relative/cfg")), false, Folder).UserFile);
            Assert.Equal("/home/fallback/.config/g5mail/settings.json", SettingsPaths.Resolve(Env(), false, Folder).UserFile);
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void Config_dir_replaces_both_roots(bool isWindows)
        {
            string root = Path.Combine(Path.GetTempPath(), "g5cfg");
            var p = SettingsPaths.Resolve(Env(("G5MAIL_CONFIG_DIR", root), ("XDG_CONFIG_HOME", "/x")), isWindows, Folder);
            Assert.Equal(Path.Combine(root, "system", "settings.json"), p.SystemFile);
            Assert.Equal(Path.Combine(root, "user", "settings.json"), p.UserFile);
            Assert.Equal(p.SystemFile, p.For(SettingsScope.System));
            Assert.Equal(p.UserFile, p.For(SettingsScope.User));
            Assert.Throws<ArgumentOutOfRangeException>(() => p.For(SettingsScope.Effective));
        }
    }
}
