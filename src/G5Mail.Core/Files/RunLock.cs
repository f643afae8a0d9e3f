using System;
using System.IO;
using G5Mail.Core.Settings;

namespace G5Mail.Core.Files
{
    /// <summary>
    /// The lock a run holds on its file (the send journal, the sync state) from reading it until the run ends:
    /// "&lt;file&gt;.lock" opened with FileShare.None (a share-mode lock on Windows, flock(LOCK_EX) on Unix). The operating
    /// system releases it when the process ends, however it ends; the lock file is never deleted (deleting it would let
    /// two runs lock two different files).
    /// </summary>
    internal static class RunLock
    {
        public const string Suffix = ".lock";

        /// <param name="whenHeld">The error when another process holds the lock (the caller names its command and what to do).</param>
        public static FileStream Take(string file, Func<string, IOException, G5MailErrorException> whenHeld)
        {
            string lockFile = file + Suffix;
            try
            {
                // OpenOrCreate, never truncate: the file holds nothing, only its lock matters.
                return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException ex) when (SettingsLock.IsHeldByAnother(ex))
            {
                throw whenHeld(lockFile, ex);
            }
        }
    }
}
