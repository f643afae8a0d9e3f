using System;
using System.IO;
using System.Reflection;
using Xunit;
using G5Mail.Loader;

namespace G5Mail.Loader.Tests
{
    /// <summary>
    /// Which file of the module's lib/ folder serves which assembly name: the logic of the Windows PowerShell 5.1
    /// AssemblyResolve handler (which cannot run here) and of the PowerShell 7 load context.
    /// </summary>
    public sealed class DependencyFolderTests : IDisposable
    {
        private readonly string _module = Path.Combine(Path.GetTempPath(), "g5mail-deps-" + Guid.NewGuid().ToString("N"));

        public DependencyFolderTests()
        {
            Directory.CreateDirectory(Path.Combine(_module, "lib"));
            foreach (string name in new[] { "G5Mail.Core", "MimeKit", "MailKit", "Microsoft.Identity.Client", "System.Memory" })
            {
                File.WriteAllBytes(Path.Combine(_module, "lib", name + ".dll"), Array.Empty<byte>());
            }

            File.WriteAllBytes(Path.Combine(_module, "lib", "G5Mail.Core.pdb"), Array.Empty<byte>());
            File.WriteAllBytes(Path.Combine(_module, "G5Mail.dll"), Array.Empty<byte>());
        }

        public void Dispose() => Directory.Delete(_module, recursive: true);

        private DependencyFolder Folder => DependencyFolder.Beside(Path.Combine(_module, "G5Mail.dll"));

        private string Lib(string name) => Path.Combine(_module, "lib", name + ".dll");

        [Theory]
        [InlineData("Microsoft.Identity.Client, Version=4.92.0.0, Culture=neutral, PublicKeyToken=0a613f4dd989e8ae")]
        [InlineData("Microsoft.Identity.Client, Version=4.61.3.0, Culture=neutral, PublicKeyToken=0a613f4dd989e8ae")]
        [InlineData("Microsoft.Identity.Client, Version=5.0.0.0")]
        [InlineData("Microsoft.Identity.Client")]
        [InlineData("microsoft.identity.client, Version=4.92.0.0")]
        public void Serves_a_name_present_in_lib_whatever_version_is_asked_for(string displayName)
        {
            Assert.Equal(Lib("Microsoft.Identity.Client"), Folder.PathFor(displayName));
        }

        [Fact]
        public void Serves_the_engine_from_lib()
        {
            Assert.Equal(Lib("G5Mail.Core"), Folder.PathFor(new AssemblyName("G5Mail.Core, Version=0.1.0.0, Culture=neutral, PublicKeyToken=null")));
            Assert.True(Folder.Contains("G5Mail.Core"));
            Assert.False(Folder.Contains("G5Mail.Core.pdb"));
        }

        [Theory]
        [InlineData("Newtonsoft.Json, Version=13.0.0.0, Culture=neutral, PublicKeyToken=30ad4fe6b2a6aeed")]
        [InlineData("G5Mail, Version=0.1.0.0")] // the cmdlet assembly lies beside lib/, not in it
        [InlineData("System.Management.Automation, Version=3.0.0.0")]
        [InlineData("MimeKit.resources, Version=4.18.0.0, Culture=sv-SE")]
        [InlineData("MimeKit, Version=4.18.0.0, Culture=sv-SE")] // satellite assemblies: lib/ holds neutral ones only
        [InlineData("")]
        [InlineData(null)]
        [InlineData("not, a = valid, name, Version=x")]
        public void Leaves_every_other_name_alone(string? displayName)
        {
            Assert.Null(Folder.PathFor(displayName));
        }

        [Fact]
        public void A_missing_folder_serves_nothing()
        {
            Directory.Delete(Path.Combine(_module, "lib"), recursive: true);
            Assert.Null(Folder.PathFor("MimeKit, Version=4.18.0.0"));
            Assert.Empty(Folder.Names);
        }

        [Theory]
        [InlineData("10.0.0.0", "4.0.1.2", true)]   // System.Memory: .NET's own is newer than the netstandard package's
        [InlineData("8.0.0.0", "8.0.0.0", true)]
        [InlineData("8.0.0.0", "9.0.0.0", false)]   // the platform's is older than G5Mail needs: lib/ serves it
        [InlineData("8.0.0.0", null, true)]
        [InlineData(null, "8.0.0.0", false)]        // not part of the platform
        public void Prefers_the_platform_only_in_the_same_or_a_newer_version(string? platform, string? requested, bool expected)
        {
            Assert.Equal(expected, DependencyFolder.PreferPlatform(platform == null ? null : Version.Parse(platform), requested == null ? null : Version.Parse(requested)));
        }
    }
}
