using System;
using System.IO;
using System.Net;
using System.Runtime.InteropServices;
using G5Mail.Core.Files;
using G5Mail.Core.Settings;
using G5Mail.Core.Tests.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Files
{
    /// <summary>
    /// The modes of what G5Mail writes beside the settings, read back with stat(2): owner-only for the User scope; for the
    /// System scope a settings file readable by all and a key file readable by one group. The modes are set before the
    /// first byte (open with 0600, then fchown and fchmod on the open file), so they do not depend on the umask.
    /// </summary>
    public sealed class FileProtectionTests : IDisposable
    {
        private readonly TempConfig _config = new TempConfig();

        public void Dispose() => _config.Dispose();

        [UnixFact]
        public void The_User_scope_writes_owner_only_files_in_an_owner_only_folder()
        {
            _config.Set(SettingsScope.User, ("Server", "mail.example.com"), ("Credential", new NetworkCredential("anna", "pw-1")));

            string folder = Path.GetDirectoryName(_config.UserFile)!;
            Assert.Equal("700", Mode(folder));
            Assert.Equal("600", Mode(_config.UserFile));
            Assert.Equal("600", Mode(Path.Combine(folder, SecretProtector.KeyFileName)));
            Assert.Equal("600", Mode(SettingsLock.PathFor(_config.UserFile)));
            Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
        }

        [UnixFact]
        public void The_System_scope_shares_its_settings_file_and_keeps_its_key_owner_only_without_the_group()
        {
            Assert.False(FilePermissions.TryGroupId("g5mail-test-no-such-group", out _));
            _config.Set(SettingsScope.System, ("Server", "mail.example.com"), ("Credential", new NetworkCredential("relay", "pw-2")));

            string folder = Path.GetDirectoryName(_config.SystemFile)!;
            Assert.Equal("755", Mode(folder));
            Assert.Equal("644", Mode(_config.SystemFile));
            Assert.Equal("600", Mode(SettingsLock.PathFor(_config.SystemFile)));
            string key = Path.Combine(folder, SecretProtector.KeyFileName);
            // Readable by the group g5mail when it exists; otherwise owner-only, never the writer's own primary group.
            Assert.Equal(FilePermissions.TryGroupId(FileProtection.SystemGroup, out _) ? "640" : "600", Mode(key));
            Assert.DoesNotContain("pw-2", File.ReadAllText(_config.SystemFile));
        }

        [UnixFact]
        public void A_key_file_for_a_group_that_exists_gets_that_group_and_0640_before_its_first_byte()
        {
            // A group other than the writer's own: 'daemon' exists on every Debian and macOS system.
            Assert.True(FilePermissions.TryGroupId("daemon", out uint daemon), "the group 'daemon' does not exist here");

            string file = Path.Combine(_config.Root, "group.key");
            using (FileStream stream = FilePermissions.CreateNew(file, FileProtection.ReadableByGroupNamed("daemon")))
            {
                // Nothing written yet: the mode and group are already final.
                Assert.Equal(0, stream.Length);
                Assert.Equal("640", Mode(file));
                Assert.Equal(daemon.ToString(), Stat("%g", file));
                stream.WriteByte(1);
            }

            Assert.Throws<IOException>(() => FilePermissions.CreateNew(file, FileProtection.OwnerOnly).Dispose());
        }

        [UnixFact]
        public void A_group_that_does_not_exist_leaves_the_key_owner_only()
        {
            string file = Path.Combine(_config.Root, "nogroup.key");
            FilePermissions.CreateNew(file, FileProtection.ReadableByGroupNamed("g5mail-test-no-such-group")).Dispose();
            Assert.Equal("600", Mode(file));
        }

        [UnixFact]
        public void A_System_key_file_this_account_cannot_read_is_explained_with_the_group_and_how_to_join_it()
        {
            var system = (KeyFileSecretProtector)SecretProtector.For(SettingsScope.System, _config.SystemFile.EnsureFolder());
            Assert.Contains("group 'g5mail'", system.DeniedReason);
            Assert.Contains("usermod -aG g5mail", system.DeniedReason);
            var user = (KeyFileSecretProtector)SecretProtector.For(SettingsScope.User, _config.UserFile.EnsureFolder());
            Assert.Contains("readable by its owner only", user.DeniedReason);
        }

        private static string Mode(string path) => Stat("%a", path);

        private static string Stat(string format, string path)
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", $"-c {format} \"{path}\"")
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            string output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return output;
        }
    }
}

namespace G5Mail.Core.Tests.Files
{
    /// <summary>
    /// The System folder on Windows: the parts that can be checked on any platform (the ACL as SDDL, who may own the
    /// folder, which paths get the check). The Windows API calls themselves run only on Windows, not in these tests.
    /// </summary>
    public sealed class WindowsSystemFolderTests
    {
        [Fact]
        public void The_ACL_is_protected_and_grants_SYSTEM_and_Administrators_full_control_and_Users_read()
        {
            string sddl = WindowsSystemFolder.Sddl;
            Assert.StartsWith("O:BAD:P", sddl); // owner Administrators; P = no inherited entries
            Assert.Contains("(A;OICI;FA;;;SY)", sddl);
            Assert.Contains("(A;OICI;FA;;;BA)", sddl);
            Assert.Contains("(A;OICI;0x1200a9;;;BU)", sddl); // read and execute: no write for Users
            Assert.Equal(3, sddl.Split('(').Length - 1);
        }

        [Theory]
        [InlineData("S-1-5-18", true)]
        [InlineData("S-1-5-32-544", true)]
        [InlineData("S-1-5-32-545", false)]                        // Users
        [InlineData("S-1-5-21-1004336348-1177238915-682003330-1001", false)] // an ordinary account
        [InlineData(null, false)]
        public void Only_SYSTEM_or_Administrators_may_own_the_folder(string? owner, bool trusted) =>
            Assert.Equal(trusted, WindowsSystemFolder.IsTrustedOwner(owner));

        [Fact]
        public void Only_ProgramData_gets_the_check_not_a_portable_G5MAIL_CONFIG_DIR()
        {
            SettingsPaths windows = SettingsPaths.Resolve(_ => null, isWindows: true, f => f == System.Environment.SpecialFolder.CommonApplicationData ? @"C:\ProgramData" : @"C:\Users\anna\AppData\Roaming");
            Assert.True(windows.WindowsProgramData);
            SettingsPaths portable = SettingsPaths.Resolve(n => n == SettingsPaths.ConfigDirVariable ? "/tmp/g5" : null, isWindows: true, f => "unused");
            Assert.False(portable.WindowsProgramData);
            SettingsPaths unix = SettingsPaths.Resolve(_ => null, isWindows: false, f => "/home/anna");
            Assert.False(unix.WindowsProgramData);
        }
    }
}
