using System;
using System.IO;
using System.Text;

namespace G5Mail.Core.Tests
{
    /// <summary>A fresh folder under the temp path, deleted on dispose.</summary>
    internal sealed class TempFolder : IDisposable
    {
        public TempFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "g5mail-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name, byte[] content)
        {
            var path = System.IO.Path.Combine(Path, name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllBytes(path, content);
            return path;
        }

        public string File(string name, string content) => File(name, Encoding.UTF8.GetBytes(content));

        /// <summary>Random bytes (every byte value occurs), seeded so failures repeat.</summary>
        public string RandomFile(string name, int length, int seed)
        {
            var bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return File(name, bytes);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a file still open on some platform must not fail the test.
            }
        }
    }
}
