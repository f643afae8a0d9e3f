using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace G5Mail.Core.Files
{
    /// <summary>
    /// Who may read a file G5Mail creates beside the settings, as Unix modes (Windows relies on the folders' ACLs and on
    /// DPAPI for the secrets). The User scope is one person's: everything owner-only. The System scope is "the general
    /// setting for everyone", shared the way Unix services share a secret: the settings file readable by all (it holds
    /// no plain secret), the key file by its owner (root) and one group whose members may send with it.
    /// </summary>
    public sealed class FileProtection
    {
        /// <summary>The group whose members may read the System scope's key file (created by the administrator).</summary>
        public const string SystemGroup = "g5mail";

        private FileProtection(int fileMode, int folderMode, string? group)
        {
            FileMode = fileMode;
            FolderMode = folderMode;
            Group = group;
        }

        /// <summary>0600 files in a 0700 folder: the User scope, and every lock or temporary file.</summary>
        public static FileProtection OwnerOnly { get; } = new FileProtection(0x180, 0x1C0, null);

        /// <summary>0644 files in a 0755 folder: the System scope's settings.json.</summary>
        public static FileProtection ReadableByAll { get; } = new FileProtection(0x1A4, 0x1ED, null);

        /// <summary>0640 with group <see cref="SystemGroup"/> in a 0755 folder: the System scope's settings.key.</summary>
        public static FileProtection ReadableByGroup { get; } = new FileProtection(0x1A0, 0x1ED, SystemGroup);

        /// <summary>The mode of the file (octal 0600, 0644 or 0640).</summary>
        public int FileMode { get; }

        /// <summary>The mode of the folder, when G5Mail creates it (octal 0700 or 0755).</summary>
        public int FolderMode { get; }

        /// <summary>The group that may read the file; null for the owner's own.</summary>
        public string? Group { get; }

        /// <summary>A key file readable by another group than <see cref="SystemGroup"/> (tests use a group that exists).</summary>
        internal static FileProtection ReadableByGroupNamed(string group) => new FileProtection(0x1A0, 0x1ED, group);

        /// <summary>What a scope's settings file (<paramref name="secret"/> false) or key file (true) gets.</summary>
        public static FileProtection For(SettingsScope scope, bool secret) =>
            scope == SettingsScope.System ? (secret ? ReadableByGroup : ReadableByAll) : OwnerOnly;
    }

    /// <summary>
    /// Creates files and folders with their final Unix mode from the first byte: open(2) with O_CREAT|O_EXCL and mode
    /// 0600, so no other account can open the file in the moment before its mode is set; then, still before a byte is
    /// written, the group (fchown) and a wider mode (fchmod) where the protection asks for one. Widening never opens a
    /// window (umask can only narrow a mode, so a restrictive umask would otherwise keep a shared file unreadable).
    /// netstandard2.0 has no UnixCreateMode, hence libc.
    /// </summary>
    internal static class FilePermissions
    {
        internal const int OwnerReadWrite = 0x180; // octal 0600
        private const int OwnerFolder = 0x1C0;     // octal 0700

        public static bool IsUnix => !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        /// <summary>A new file for writing, with <paramref name="protection"/>'s mode and group; IOException when it exists.</summary>
        public static FileStream CreateNew(string path, FileProtection protection)
        {
            if (!IsUnix)
            {
                return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            }

            bool mac = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);
            int flags = mac ? 0x1 | 0x200 | 0x800 | 0x1000000 : 0x1 | 0x40 | 0x80 | 0x80000; // O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC
            int fd = open(path, flags, OwnerReadWrite);
            if (fd < 0)
            {
                int errno = Marshal.GetLastWin32Error();
                string reason = new Win32Exception(errno).Message;
                if (errno == 13 || errno == 1)
                {
                    throw new UnauthorizedAccessException($"Access to the path '{path}' is denied ({reason}).");
                }

                throw new IOException($"Cannot create '{path}' ({reason}).", errno);
            }

            var handle = new SafeFileHandle(new IntPtr(fd), ownsHandle: true);
            try
            {
                int mode = protection.FileMode;
                if (protection.Group != null && (!TryGroupId(protection.Group, out uint gid) || fchown(fd, uint.MaxValue, gid) != 0))
                {
                    // Without the group (not created yet, or this account may not give files to it) the file stays
                    // owner-only: the writer's own primary group must not be able to read a key meant for one group.
                    mode = OwnerReadWrite;
                }

                if (mode != OwnerReadWrite && fchmod(fd, mode) != 0)
                {
                    int errno = Marshal.GetLastWin32Error();
                    throw new IOException($"Cannot set the mode of '{path}' ({new Win32Exception(errno).Message}).");
                }

                return new FileStream(handle, FileAccess.Write);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Creates <paramref name="folder"/> (and its missing parents, with the runtime's defaults) with the protection's
        /// folder mode: 0700 from the start, widened to 0755 where the files in it are shared. An existing folder is left
        /// as its administrator made it.
        /// </summary>
        public static void CreateFolder(string folder, FileProtection protection)
        {
            if (Directory.Exists(folder))
            {
                return;
            }

            if (!IsUnix)
            {
                Directory.CreateDirectory(folder);
                return;
            }

            string? parent = Path.GetDirectoryName(Path.GetFullPath(folder));
            if (parent != null)
            {
                Directory.CreateDirectory(parent);
            }

            if (mkdir(folder, OwnerFolder) != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                if (errno == 17 && Directory.Exists(folder))
                {
                    return; // another process was first: its folder stands
                }

                if (errno == 13 || errno == 1)
                {
                    throw new UnauthorizedAccessException($"Access to the path '{folder}' is denied ({new Win32Exception(errno).Message}).");
                }

                throw new IOException($"Cannot create the folder '{folder}' ({new Win32Exception(errno).Message}).", errno);
            }

            if (protection.FolderMode != OwnerFolder && chmod(folder, protection.FolderMode) != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                throw new IOException($"Cannot set the mode of the folder '{folder}' ({new Win32Exception(errno).Message}).");
            }
        }

        /// <summary>Whether the group exists on this computer, and its id.</summary>
        public static bool TryGroupId(string name, out uint gid)
        {
            gid = 0;
            if (!IsUnix)
            {
                return false;
            }

            IntPtr entry = getgrnam(name);
            if (entry == IntPtr.Zero)
            {
                return false;
            }

            // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; } on Linux and macOS.
            gid = unchecked((uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size));
            return true;
        }

#pragma warning disable SA1300, IDE1006 // the libc names
        [DllImport("libc", SetLastError = true)]
        private static extern int chmod(string path, int mode);

        [DllImport("libc", SetLastError = true)]
        private static extern int open(string path, int flags, int mode);

        [DllImport("libc", SetLastError = true)]
        private static extern int fchmod(int fd, int mode);

        [DllImport("libc", SetLastError = true)]
        private static extern int fchown(int fd, uint owner, uint group);

        [DllImport("libc", SetLastError = true)]
        private static extern int mkdir(string path, int mode);

        [DllImport("libc", SetLastError = true)]
        private static extern IntPtr getgrnam(string name);
#pragma warning restore SA1300, IDE1006
    }
}
