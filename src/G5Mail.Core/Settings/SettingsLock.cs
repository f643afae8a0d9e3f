using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using G5Mail.Core.Errors;
using G5Mail.Core.Files;

namespace G5Mail.Core.Settings
{
    /// <summary>
    /// The exclusive lock every writer of one settings file holds from reading the current values until the new file
    /// is in place, so two processes running Set-G5MailSetting at once never lose each other's change: the second
    /// waits and then applies its change on top of the first's.
    /// </summary>
    /// <remarks>
    /// The lock is <c>settings.json.lock</c> beside the settings file, opened with FileShare.None. On Windows that is a
    /// mandatory share-mode lock; on Unix .NET turns FileShare.None into an advisory flock(LOCK_EX), which every .NET
    /// process honours (unless DOTNET_SYSTEM_IO_DISABLEFILELOCKING is set). Either way the operating system releases it
    /// when the handle closes or the process dies, so a lock file left behind never blocks anyone. The file is
    /// deliberately never deleted: on Unix, deleting it would let a waiter lock the unlinked file while a newcomer
    /// creates and locks a new one, and both would think they hold the lock.
    /// Readers take no lock: the settings file is replaced by an atomic rename, so they see the old or the new file.
    /// </remarks>
    internal sealed class SettingsLock : IDisposable
    {
        public const string Suffix = ".lock";

        /// <summary>How long a writer waits for another one before giving up (Set-G5MailSetting takes milliseconds).</summary>
        public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

        private static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        private FileStream? _handle;

        private SettingsLock(string path, FileStream handle)
        {
            Path = path;
            _handle = handle;
        }

        /// <summary>The lock file.</summary>
        public string Path { get; }

        public static string PathFor(string settingsFile) => System.IO.Path.GetFullPath(settingsFile) + Suffix;

        /// <summary>
        /// Takes the lock of <paramref name="settingsFile"/>, waiting up to <paramref name="timeout"/> for another holder.
        /// Throws SettingsLocked (naming both files) after the wait; UnauthorizedAccessException and other
        /// IOExceptions from creating the lock file pass through for the caller to word.
        /// </summary>
        /// <param name="folderProtection">How the settings folder is created if it does not exist yet.</param>
        public static SettingsLock Acquire(string settingsFile, TimeSpan timeout, CancellationToken cancellationToken = default,
            FileProtection? folderProtection = null)
        {
            string lockFile = PathFor(settingsFile);
            FilePermissions.CreateFolder(System.IO.Path.GetDirectoryName(lockFile)!, folderProtection ?? FileProtection.OwnerOnly);
            if (!File.Exists(lockFile))
            {
                try
                {
                    // Owner-only from its first byte; it holds nothing, only its lock matters.
                    FilePermissions.CreateNew(lockFile, FileProtection.OwnerOnly).Dispose();
                }
                catch (IOException) when (File.Exists(lockFile))
                {
                    // Another process created it first: it is the same empty file.
                }
            }

            var waited = Stopwatch.StartNew();
            var random = new Random();
            int delay = 5;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    // OpenOrCreate, never Create/Truncate: the file holds nothing; only its lock matters.
                    var handle = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                    return new SettingsLock(lockFile, handle);
                }
                catch (IOException ex) when (IsHeldByAnother(ex))
                {
                    if (waited.Elapsed >= timeout)
                    {
                        throw new G5MailErrorException(ErrorIds.SettingsLocked, ErrorKind.ResourceUnavailable,
                            $"The settings file '{settingsFile}' is being changed by another process, which has held its lock file '{lockFile}' "
                            + $"for more than {timeout.TotalSeconds:0.#} s. Try again when that process (another Set-G5MailSetting, or a script "
                            + "running one) has finished. The lock ends with that process, so the lock file itself need not be deleted.",
                            settingsFile, ex);
                    }
                }

                // Polling with growing, jittered sleeps (5 ms up to 100 ms): .NET has no blocking lock call, and the
                // jitter keeps two waiters from retrying in step.
                int sleep = Math.Min(delay, (int)Math.Max(1, (timeout - waited.Elapsed).TotalMilliseconds));
                if (cancellationToken.WaitHandle.WaitOne(random.Next(sleep / 2, sleep + 1)))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                delay = Math.Min(delay * 2, 100);
            }
        }

        /// <summary>
        /// True when opening failed only because another handle holds the lock: a sharing or lock violation on
        /// Windows (ERROR_SHARING_VIOLATION 32, ERROR_LOCK_VIOLATION 33); on Unix .NET reports the flock EWOULDBLOCK
        /// errno as the HResult (11 on Linux, 35 on macOS and the BSDs).
        /// </summary>
        internal static bool IsHeldByAnother(IOException ex)
        {
            if (ex is FileNotFoundException || ex is DirectoryNotFoundException || ex is PathTooLongException)
            {
                return false;
            }

            int code = ex.HResult;
            if (IsWindows)
            {
                int win32 = code & 0xFFFF;
                return (code & unchecked((int)0xFFFF0000)) == unchecked((int)0x80070000) && (win32 == 32 || win32 == 33);
            }

            return code == 11 || code == 35;
        }

        public void Dispose()
        {
            // Closing the handle is what releases the lock (the file stays, see the remarks).
            Interlocked.Exchange(ref _handle, null)?.Dispose();
        }
    }
}
