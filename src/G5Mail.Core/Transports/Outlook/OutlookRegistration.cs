using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>
    /// What the registry says about classic Outlook's COM class, read without starting Outlook:
    /// HKCR\Outlook.Application\CLSID (registered at all), HKCR\Outlook.Application\CurVer (e.g. Outlook.Application.16)
    /// and HKCR\CLSID\{clsid}\LocalServer32 (the OUTLOOK.EXE that COM starts, whose file version is the exact build).
    /// </summary>
    internal sealed class OutlookRegistration
    {
        public static readonly OutlookRegistration NotRegistered = new OutlookRegistration(null, null, null, null);

        public OutlookRegistration(string? classId, string? currentVersion, string? executablePath, string? fileVersion)
        {
            ClassId = classId;
            CurrentVersion = currentVersion;
            ExecutablePath = executablePath;
            FileVersion = fileVersion;
        }

        public bool IsRegistered => !string.IsNullOrEmpty(ClassId);

        public string? ClassId { get; }

        /// <summary>The CurVer ProgID, e.g. "Outlook.Application.16".</summary>
        public string? CurrentVersion { get; }

        public string? ExecutablePath { get; }

        /// <summary>OUTLOOK.EXE's file version, e.g. "16.0.17928.20114".</summary>
        public string? FileVersion { get; }

        /// <summary>16 from "Outlook.Application.16"; null when CurVer is missing or odd.</summary>
        public int? MajorVersion
        {
            get
            {
                string? text = CurrentVersion;
                int dot = text?.LastIndexOf('.') ?? -1;
                return dot >= 0 && int.TryParse(text!.Substring(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int major) ? major : (int?)null;
            }
        }

        /// <summary>"16.0.17928.20114", else "16", else "unknown".</summary>
        public string VersionText => FileVersion ?? MajorVersion?.ToString(CultureInfo.InvariantCulture) ?? "unknown";

        /// <summary>The product names behind a major version, for people who know "Outlook 2016" rather than 16.</summary>
        public string ProductName
        {
            get
            {
                switch (MajorVersion)
                {
                    case 16: return "Outlook 2016 or later (2019, 2021, 2024, Microsoft 365)";
                    case 15: return "Outlook 2013";
                    case 14: return "Outlook 2010";
                    case 12: return "Outlook 2007";
                    case null: return "Outlook (version unknown)";
                    default: return "Outlook " + MajorVersion.Value.ToString(CultureInfo.InvariantCulture);
                }
            }
        }

        /// <param name="readDefaultValue">Reads the default value of a key under HKEY_CLASSES_ROOT; null when absent.</param>
        /// <param name="fileVersionOf">The file version of an executable; null when it cannot be read.</param>
        public static OutlookRegistration Read(Func<string, string?> readDefaultValue, Func<string, string?> fileVersionOf)
        {
            string? classId = readDefaultValue(@"Outlook.Application\CLSID")?.Trim();
            if (string.IsNullOrEmpty(classId))
            {
                return NotRegistered;
            }

            string? currentVersion = readDefaultValue(@"Outlook.Application\CurVer")?.Trim();
            // 32-bit Office on 64-bit Windows registers its CLSID in the 32-bit view.
            string? server = readDefaultValue($@"CLSID\{classId}\LocalServer32") ?? readDefaultValue($@"WOW6432Node\CLSID\{classId}\LocalServer32");
            string? executable = ExecutableOf(server);
            string? fileVersion = executable == null ? null : fileVersionOf(executable);
            return new OutlookRegistration(classId, string.IsNullOrEmpty(currentVersion) ? null : currentVersion, executable, fileVersion);
        }

        /// <summary>The program of a LocalServer32 command line: quoted, or up to ".exe", or up to the first switch.</summary>
        internal static string? ExecutableOf(string? commandLine)
        {
            string text = (commandLine ?? string.Empty).Trim();
            if (text.Length == 0)
            {
                return null;
            }

            if (text[0] == '"')
            {
                int close = text.IndexOf('"', 1);
                return close > 1 ? text.Substring(1, close - 1) : null;
            }

            int exe = text.IndexOf(".exe", StringComparison.OrdinalIgnoreCase);
            if (exe > 0)
            {
                return text.Substring(0, exe + 4);
            }

            int option = text.IndexOf(" /", StringComparison.Ordinal);
            return option > 0 ? text.Substring(0, option) : text;
        }

        /// <summary>The Windows registry (HKEY_CLASSES_ROOT), read through advapi32 so no extra package ships.</summary>
        internal static string? ReadClassesRoot(string subKey)
        {
            // HKEY_CLASSES_ROOT is ((HKEY)(ULONG_PTR)((LONG)0x80000000)): sign-extended on 64-bit.
            var root = new IntPtr(unchecked((int)0x80000000));
            const int RRF_RT_REG_SZ = 0x00000002;
            const int RRF_RT_REG_EXPAND_SZ = 0x00000004;
            const int ErrorSuccess = 0;
            const int ErrorMoreData = 234;

            int size = 0;
            int status = RegGetValueW(root, subKey, null, RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ, IntPtr.Zero, null, ref size);
            if (status != ErrorSuccess && status != ErrorMoreData)
            {
                return null;
            }

            for (int attempt = 0; attempt < 3; attempt++)
            {
                var buffer = new byte[size + 2];
                size = buffer.Length;
                status = RegGetValueW(root, subKey, null, RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ, IntPtr.Zero, buffer, ref size);
                if (status == ErrorSuccess)
                {
                    return Encoding.Unicode.GetString(buffer, 0, Math.Max(0, size)).TrimEnd('\0');
                }

                if (status != ErrorMoreData)
                {
                    return null;
                }
            }

            return null;
        }

        [DllImport("advapi32.dll", CharSet = CharSet.Unicode, ExactSpelling = true)]
        private static extern int RegGetValueW(IntPtr hkey, string lpSubKey, string? lpValue, int dwFlags, IntPtr pdwType, byte[]? pvData, ref int pcbData);
    }
}
