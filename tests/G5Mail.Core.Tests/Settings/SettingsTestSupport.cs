using System;
using System.IO;
using System.Net;
using System.Runtime.InteropServices;
using System.Security;
using G5Mail.Core.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Settings
{
    /// <summary>A fresh config folder laid out as G5MAIL_CONFIG_DIR would (system/ and user/), deleted afterwards.</summary>
    public sealed class TempConfig : IDisposable
    {
        public TempConfig()
        {
            Root = Path.Combine(Path.GetTempPath(), "g5mail-test-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Root);
            Paths = SettingsPaths.Resolve(name => name == SettingsPaths.ConfigDirVariable ? Root : null, RuntimeInformation.IsOSPlatform(OSPlatform.Windows), f => "/unused");
            Store = new SettingsStore(Paths);
            Service = new SettingsService(Store);
        }

        public string Root { get; }
        public SettingsPaths Paths { get; }
        public SettingsStore Store { get; }
        public SettingsService Service { get; }

        public string SystemFile => Paths.SystemFile;
        public string UserFile => Paths.UserFile;

        public void Set(SettingsScope scope, params (string Name, object? Value)[] values)
        {
            var plan = Service.Plan(scope, Array.ConvertAll(values, v => new System.Collections.Generic.KeyValuePair<string, object?>(v.Name, v.Value)), Array.Empty<string>());
            Service.Apply(plan);
        }

        public void Clear(SettingsScope scope, params string[] names)
        {
            Service.Apply(Service.Plan(scope, Array.Empty<System.Collections.Generic.KeyValuePair<string, object?>>(), names));
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    internal static class Secrets
    {
        public static SecureString Secure(string text)
        {
            var s = new SecureString();
            foreach (char c in text)
            {
                s.AppendChar(c);
            }

            s.MakeReadOnly();
            return s;
        }

        /// <summary>Reads a SecureString back for assertions only (tests compare the decrypted value).</summary>
        public static string Plain(SecureString secure) => new NetworkCredential(string.Empty, secure).Password;
    }

    public sealed class UnixFactAttribute : FactAttribute
    {
        public UnixFactAttribute()
        {
            if (OperatingSystem.IsWindows())
            {
                Skip = "Unix file modes and the key file apply only outside Windows.";
            }
        }
    }

    public sealed class WindowsFactAttribute : FactAttribute
    {
        public WindowsFactAttribute()
        {
            if (!OperatingSystem.IsWindows())
            {
                Skip = "DPAPI exists only on Windows.";
            }
        }
    }
}
