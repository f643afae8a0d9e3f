using System;
using System.ComponentModel;
using System.IO;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace G5Mail.Core.Settings
{
    /// <summary>
    /// Owner-only file modes on Unix. netstandard2.0 has no File.SetUnixFileMode, but every runtime that runs
    /// PowerShell 7.4+ (.NET 8+) has it, so it is called through reflection; chmod from libc is the fallback.
    /// Windows relies on the profile folders' ACLs and on DPAPI for the secrets, so this does nothing there.
    /// </summary>
    internal static class FilePermissions
    {
        internal const int OwnerReadWrite = 0x180; // octal 0600

        private static readonly MethodInfo? SetUnixFileMode = FindSetUnixFileMode();

        public static bool IsUnix => !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        /// <summary>Makes <paramref name="path"/> readable and writable by its owner only (0600).</summary>
        public static void RestrictToOwner(string path)
        {
            if (!IsUnix)
            {
                return;
            }

            if (SetUnixFileMode != null)
            {
                Type modeType = SetUnixFileMode.GetParameters()[1].ParameterType;
                try
                {
                    SetUnixFileMode.Invoke(null, new[] { path, Enum.ToObject(modeType, OwnerReadWrite) });
                }
                catch (TargetInvocationException ex) when (ex.InnerException != null)
                {
                    ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                }

                return;
            }

            RestrictToOwnerWithLibc(path);
        }

        /// <summary>The fallback for runtimes before .NET 7 (internal so a test can run it on every runtime).</summary>
        internal static void RestrictToOwnerWithLibc(string path)
        {
            if (chmod(path, OwnerReadWrite) != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                throw new IOException($"Cannot restrict '{path}' to its owner (chmod 0600 failed: {new Win32Exception(errno).Message}).");
            }
        }

        private static MethodInfo? FindSetUnixFileMode()
        {
            Type? modeType = typeof(File).Assembly.GetType("System.IO.UnixFileMode");
            return modeType is null ? null : typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), modeType });
        }

        [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300, IDE1006 // the libc name
        private static extern int chmod(string path, int mode);
#pragma warning restore SA1300, IDE1006
    }
}
