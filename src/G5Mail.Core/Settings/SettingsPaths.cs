using System;
using System.IO;
using System.Runtime.InteropServices;

namespace G5Mail.Core.Settings
{
    /// <summary>Where each scope's settings file lives (INTERFACE.md, "Where settings live").</summary>
    public sealed class SettingsPaths
    {
        public const string FileName = "settings.json";
        public const string ConfigDirVariable = "G5MAIL_CONFIG_DIR";

        public SettingsPaths(string systemFile, string userFile, bool windowsProgramData = false)
        {
            SystemFile = systemFile;
            UserFile = userFile;
            WindowsProgramData = windowsProgramData;
        }

        /// <summary>
        /// True when the System file is Windows' own %ProgramData%\G5Mail (not a G5MAIL_CONFIG_DIR of a portable install):
        /// that folder gets its ACL and owner check (<see cref="WindowsSystemFolder"/>).
        /// </summary>
        public bool WindowsProgramData { get; }

        public string SystemFile { get; }
        public string UserFile { get; }

        public string For(SettingsScope scope) => scope switch
        {
            SettingsScope.System => SystemFile,
            SettingsScope.User => UserFile,
            _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "Only System and User have a file."),
        };

        /// <summary>The paths for this process: G5MAIL_CONFIG_DIR when set, else the operating system's places.</summary>
        public static SettingsPaths FromEnvironment() =>
            Resolve(Environment.GetEnvironmentVariable, RuntimeInformation.IsOSPlatform(OSPlatform.Windows), Environment.GetFolderPath);

        internal static SettingsPaths Resolve(Func<string, string?> env, bool isWindows, Func<Environment.SpecialFolder, string> folder)
        {
            string? configDir = env(ConfigDirVariable);
            if (!string.IsNullOrWhiteSpace(configDir))
            {
                string root = Path.GetFullPath(configDir!.Trim());
                return new SettingsPaths(Path.Combine(root, "system", FileName), Path.Combine(root, "user", FileName));
            }

            if (isWindows)
            {
                return new SettingsPaths(
                    Path.Combine(folder(Environment.SpecialFolder.CommonApplicationData), "G5Mail", FileName),
                    Path.Combine(folder(Environment.SpecialFolder.ApplicationData), "G5Mail", FileName),
                    windowsProgramData: true);
            }

            // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
            string? xdg = env("XDG_CONFIG_HOME");
            string userRoot = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
                ? xdg!
                : Path.Combine(env("HOME") is string home && home.Length > 0 ? home : folder(Environment.SpecialFolder.UserProfile), ".config");
            return new SettingsPaths("/etc/g5mail/" + FileName, Path.Combine(userRoot, "g5mail", FileName));
        }
    }
}
