using System;
using System.IO;

namespace G5Mail.Core.Settings
{
    /// <summary>
    /// Writes a whole file or nothing: the data goes to a temporary file in the same folder (owner-only on Unix
    /// before the first byte), is flushed to disk, and only then renamed over the target. A crash or an exception
    /// at any point leaves the old file as it was.
    /// </summary>
    internal static class AtomicFile
    {
        /// <param name="wrapStream">Test seam: wraps the temp file's stream (e.g. to fail after some bytes).</param>
        /// <returns>False when <paramref name="overwrite"/> is false and the target already existed (nothing written).</returns>
        public static bool Write(string path, byte[] data, bool overwrite, Func<Stream, Stream>? wrapStream = null)
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(folder);
            string temp = Path.Combine(folder, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + ".tmp");
            try
            {
                using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    FilePermissions.RestrictToOwner(temp);
                    Stream target = wrapStream?.Invoke(file) ?? file;
                    target.Write(data, 0, data.Length);
                    target.Flush();
                    file.Flush(flushToDisk: true);
                }

                if (!overwrite)
                {
                    try
                    {
                        // Fails if another process created the file meanwhile; theirs wins.
                        File.Move(temp, path);
                        return true;
                    }
                    catch (IOException) when (File.Exists(path))
                    {
                        return false;
                    }
                }

                if (File.Exists(path))
                {
                    // rename(2) on Unix, ReplaceFile on Windows: atomic, and the target is never missing.
                    File.Replace(temp, path, null);
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
