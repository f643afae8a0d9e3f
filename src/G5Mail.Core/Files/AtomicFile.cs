using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace G5Mail.Core.Files
{
    /// <summary>
    /// Writes a whole file or nothing: the data goes to a temporary file in the same folder (created on Unix with its
    /// final mode and group before the first byte, see <see cref="FilePermissions"/>), is flushed to disk, and only then
    /// renamed over the target, which so takes that mode. A crash or an exception at any point leaves the old file as it was.
    /// </summary>
    internal static class AtomicFile
    {
        /// <param name="wrapStream">Test seam: wraps the temp file's stream (e.g. to fail after some bytes).</param>
        /// <returns>False when <paramref name="overwrite"/> is false and the target already existed (nothing written).</returns>
        /// <param name="protection">Who may read the file (and its folder, if it is created here); owner-only by default.</param>
        public static bool Write(string path, byte[] data, bool overwrite, Func<Stream, Stream>? wrapStream = null, FileProtection? protection = null)
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            string temp = WriteTemp(folder, TempPrefix(path), s => s.Write(data, 0, data.Length), protection ?? FileProtection.OwnerOnly, wrapStream);
            try
            {
                if (!overwrite)
                {
                    return PublishNew(temp, path);
                }

                if (File.Exists(path))
                {
                    // rename(2) on Unix, ReplaceFile on Windows: atomic, and the target is never missing.
                    Replace(temp, path);
                }
                else
                {
                    File.Move(temp, path);
                }

                return true;
            }
            finally
            {
                TryDelete(temp);
            }
        }

        /// <summary>
        /// Writes <paramref name="content"/> once and puts it in <paramref name="folder"/> under the first of
        /// <paramref name="names"/> that does not exist yet, never replacing a file (see <see cref="PublishNew"/>).
        /// Returns the full path written, or null when every name was taken.
        /// </summary>
        public static string? WriteNew(string folder, IEnumerable<string> names, Action<Stream> content, FileProtection protection) =>
            WriteNewOrSame(folder, names, content, protection, null);

        /// <summary>
        /// As <see cref="WriteNew"/>, but a name whose existing file <paramref name="isSame"/> finds equal to what was
        /// written (checked after <paramref name="content"/> ran) is returned as it is and the new copy dropped: a rerun
        /// that writes the same content again finds its earlier file instead of adding "name (2)".
        /// </summary>
        public static string? WriteNewOrSame(string folder, IEnumerable<string> names, Action<Stream> content, FileProtection protection,
            Func<string, bool>? isSame)
        {
            folder = Path.GetFullPath(folder);
            string temp = WriteTemp(folder, ".new.", content, protection, null);
            try
            {
                foreach (string name in names)
                {
                    string candidate = Path.Combine(folder, name);
                    if (File.Exists(candidate))
                    {
                        if (isSame != null && isSame(candidate))
                        {
                            return candidate;
                        }

                        continue;
                    }

                    if (!Directory.Exists(candidate) && PublishNew(temp, candidate))
                    {
                        return candidate;
                    }

                    if (isSame != null && File.Exists(candidate) && isSame(candidate))
                    {
                        return candidate; // another process was first with the same content
                    }
                }

                return null;
            }
            finally
            {
                TryDelete(temp);
            }
        }

        /// <summary>The content in a new temp file of <paramref name="folder"/>, with its final mode, flushed to disk.</summary>
        private static string WriteTemp(string folder, string prefix, Action<Stream> content, FileProtection mode, Func<Stream, Stream>? wrapStream)
        {
            FilePermissions.CreateFolder(folder, mode);
            string temp = Path.Combine(folder, prefix + Guid.NewGuid().ToString("N").Substring(0, 12) + TempSuffix);
            try
            {
                using (FileStream file = FilePermissions.CreateNew(temp, mode))
                {
                    Stream target = wrapStream?.Invoke(file) ?? file;
                    content(target);
                    target.Flush();
                    file.Flush(flushToDisk: true);
                }

                return temp;
            }
            catch
            {
                TryDelete(temp);
                throw;
            }
        }

        /// <summary>
        /// Puts the finished temp file in place only if <paramref name="path"/> does not exist yet, in one atomic step;
        /// false when another process was first (its file stays). On Unix that is link(2), which fails with EEXIST when
        /// the name exists: .NET's File.Move checks for the target and then renames, and two processes can both pass the
        /// check, the second silently replacing the first's file. On Windows File.Move is MoveFileEx without
        /// MOVEFILE_REPLACE_EXISTING, which is atomic and fails when the target exists.
        /// </summary>
        private static bool PublishNew(string temp, string path)
        {
            if (FilePermissions.IsUnix)
            {
                int result;
                try
                {
                    result = link(temp, path);
                }
                catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException)
                {
                    result = -2;
                }

                if (result == 0)
                {
                    return true; // the temp name is removed by the caller
                }

                if (result == -1 && Marshal.GetLastWin32Error() == EEXIST)
                {
                    return false;
                }

                // Any other failure, e.g. a file system without hard links (some network and FAT mounts): File.Move is
                // the best left, and it reports a real error (permission, disk) as the usual .NET exception.
            }

            try
            {
                File.Move(temp, path);
                return true;
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
        }

        private const int EEXIST = 17; // the same on Linux and macOS

        [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300, IDE1006 // the libc name
        private static extern int link(string oldpath, string newpath);
#pragma warning restore SA1300, IDE1006

        /// <summary>
        /// Deletes temp files of <paramref name="path"/> left by a writer that was killed mid-write. Only those older than
        /// <see cref="LeftoverAge"/>: a live writer finishes its temp file in milliseconds, so an old one has no owner.
        /// </summary>
        public static void DeleteLeftovers(string path)
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            string[] leftovers;
            try
            {
                leftovers = Directory.GetFiles(folder, TempPrefix(path) + "*" + TempSuffix);
            }
            catch (IOException)
            {
                return;
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }

            DateTime cutoff = DateTime.UtcNow - LeftoverAge;
            foreach (string leftover in leftovers)
            {
                try
                {
                    if (File.GetLastWriteTimeUtc(leftover) < cutoff)
                    {
                        TryDelete(leftover);
                    }
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }

        internal static readonly TimeSpan LeftoverAge = TimeSpan.FromMinutes(2);

        private const string TempSuffix = ".tmp";

        private static string TempPrefix(string path) => "." + Path.GetFileName(path) + ".";

        private static void Replace(string temp, string path)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                File.Replace(temp, path, null);
                return;
            }

            // On Windows ReplaceFile fails while another program (an editor, a virus scanner, an older reader) has the
            // target open without FILE_SHARE_DELETE; such opens are brief, so retry for up to about a second.
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    File.Replace(temp, path, null);
                    return;
                }
                catch (IOException) when (attempt < 20)
                {
                    Thread.Sleep(50);
                }
                catch (UnauthorizedAccessException) when (attempt < 20)
                {
                    Thread.Sleep(50);
                }
            }
        }

        private static void TryDelete(string path)
        {
            try
            {
                if (File.Exists(path))
                {
                    File.Delete(path);
                }
            }
            catch (IOException)
            {
                // A leftover temp file is harmless: it is never read.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
