using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Settings
{
    /// <summary>
    /// The System scope's folder on Windows (%ProgramData%\G5Mail). %ProgramData% lets every user create folders, and a
    /// folder a user created is theirs: they could later swap the settings everyone sends with. So G5Mail creates the
    /// folder itself with an explicit, protected (non-inherited) ACL, SYSTEM and Administrators full control and Users
    /// read, given in CreateDirectory's security attributes so it holds from the folder's first moment, and refuses a
    /// folder that is owned by anyone but SYSTEM or Administrators.
    /// </summary>
    /// <remarks>
    /// Windows APIs (advapi32, kernel32) through P/Invoke, so Windows PowerShell 5.1 and PowerShell 7 need no extra
    /// assembly. Not run by the tests here, which run on Linux: <see cref="IsTrustedOwner"/> and <see cref="Sddl"/> are
    /// unit-tested; the calls themselves are verified only on Windows.
    /// </remarks>
    internal static class WindowsSystemFolder
    {
        /// <summary>
        /// Owner Administrators (BA), protected DACL (P: no inherited entries), SYSTEM (SY) and Administrators full
        /// control (FA), built-in Users (BU) read and execute (0x1200a9), all inherited by files and subfolders (OICI).
        /// Security Descriptor Definition Language: learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format.
        /// </summary>
        internal const string Sddl = "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)";

        private const string SystemSid = "S-1-5-18";
        private const string AdministratorsSid = "S-1-5-32-544";

        /// <summary>Only SYSTEM and the Administrators group may own the System settings folder.</summary>
        internal static bool IsTrustedOwner(string? ownerSid) =>
            string.Equals(ownerSid, SystemSid, StringComparison.OrdinalIgnoreCase) || string.Equals(ownerSid, AdministratorsSid, StringComparison.OrdinalIgnoreCase);

        /// <summary>Creates the folder with <see cref="Sddl"/> when it does not exist yet, then checks its owner.</summary>
        public static void Ensure(string folder)
        {
            if (!Directory.Exists(folder))
            {
                string? parent = Path.GetDirectoryName(Path.GetFullPath(folder));
                if (parent != null)
                {
                    Directory.CreateDirectory(parent);
                }

                Create(folder);
            }

            CheckOwner(folder);
        }

        /// <summary>Throws SettingsReadFailed when an existing folder is owned by someone other than SYSTEM or Administrators.</summary>
        public static void CheckOwner(string folder)
        {
            if (!Directory.Exists(folder))
            {
                return;
            }

            string owner = OwnerSid(folder);
            if (!IsTrustedOwner(owner))
            {
                throw new G5MailErrorException(ErrorIds.SettingsReadFailed, ErrorKind.SecurityError,
                    $"The System settings folder '{folder}' is owned by {owner}, not by SYSTEM or Administrators, so anyone with that account " +
                    "could change the settings every user sends with; G5Mail does not use it. An administrator should remove the folder (after " +
                    "noting its settings) and set the System settings again from an elevated session, which creates it with the right owner and ACL.",
                    folder);
            }
        }

        private static void Create(string folder)
        {
            if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(Sddl, 1, out IntPtr descriptor, IntPtr.Zero))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }

            try
            {
                var attributes = new SecurityAttributes
                {
                    Length = Marshal.SizeOf<SecurityAttributes>(),
                    SecurityDescriptor = descriptor,
                    InheritHandle = false,
                };
                if (!CreateDirectoryW(folder, ref attributes))
                {
                    int error = Marshal.GetLastWin32Error();
                    if (error == 183 && Directory.Exists(folder))
                    {
                        return; // ERROR_ALREADY_EXISTS: another process was first; its owner is checked next
                    }

                    if (error == 5)
                    {
                        throw new UnauthorizedAccessException($"Access to the path '{folder}' is denied.");
                    }

                    throw new IOException($"Cannot create the folder '{folder}' ({new Win32Exception(error).Message}).", error);
                }
            }
            finally
            {
                LocalFree(descriptor);
            }
        }

        private static string OwnerSid(string folder)
        {
            const int SeFileObject = 1;
            const int OwnerSecurityInformation = 1;
            int result = GetNamedSecurityInfoW(folder, SeFileObject, OwnerSecurityInformation, out IntPtr owner, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero,
                out IntPtr descriptor);
            if (result != 0)
            {
                throw new IOException($"Cannot read the owner of '{folder}' ({new Win32Exception(result).Message}).", result);
            }

            try
            {
                if (!ConvertSidToStringSidW(owner, out IntPtr text))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }

                try
                {
                    return Marshal.PtrToStringUni(text) ?? string.Empty;
                }
                finally
                {
                    LocalFree(text);
                }
            }
            finally
            {
                LocalFree(descriptor);
            }
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct SecurityAttributes
        {
            public int Length;
            public IntPtr SecurityDescriptor;
            [MarshalAs(UnmanagedType.Bool)]
            public bool InheritHandle;
        }

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool ConvertStringSecurityDescriptorToSecurityDescriptorW(string sddl, int revision, out IntPtr descriptor, IntPtr size);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool ConvertSidToStringSidW(IntPtr sid, out IntPtr text);

        [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
        private static extern int GetNamedSecurityInfoW(string name, int type, int info, out IntPtr owner, IntPtr group, IntPtr dacl, IntPtr sacl,
            out IntPtr descriptor);

        [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool CreateDirectoryW(string path, ref SecurityAttributes attributes);

        [DllImport("kernel32.dll")]
        private static extern IntPtr LocalFree(IntPtr memory);
    }
}
