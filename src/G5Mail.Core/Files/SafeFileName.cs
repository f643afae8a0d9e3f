using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace G5Mail.Core.Files
{
    /// <summary>
    /// File names G5Mail makes from text it does not control (document ids, attachment names from received mail): valid on
    /// Windows, macOS and Linux, never a path, never a device name, never hidden, and short enough for every file system.
    /// </summary>
    internal static class SafeFileName
    {
        /// <summary>Characters Windows forbids in names (the strictest of the three), plus the runtime's own list.</summary>
        private static readonly HashSet<char> Invalid = new HashSet<char>(
            Path.GetInvalidFileNameChars().Concat(new[] { '<', '>', ':', '"', '/', '\\', '|', '?', '*' }));

        /// <summary>Windows device names, reserved with any extension (CON.pdf opens the console).</summary>
        private static readonly HashSet<string> DeviceNames = new HashSet<string>(
            new[] { "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$" }
                .Concat(Enumerable.Range(0, 10).Select(i => "COM" + i))
                .Concat(Enumerable.Range(0, 10).Select(i => "LPT" + i))
                .Concat(new[] { "COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³" }),
            StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// One name as file-name text: invalid, control and invisible formatting characters (e.g. U+202E, which shows
        /// "fdp.exe" as "exe.pdf") become "_"; no leading or trailing dots or spaces (Windows drops a trailing one, a leading
        /// dot hides the file on Unix, and ".." would be the parent folder). May return an empty string.
        /// </summary>
        public static string Clean(string? text)
        {
            var result = new StringBuilder(text?.Length ?? 0);
            foreach (char c in text ?? string.Empty)
            {
                UnicodeCategory category = CharUnicodeInfo.GetUnicodeCategory(c);
                bool hidden = category == UnicodeCategory.Format || category == UnicodeCategory.LineSeparator || category == UnicodeCategory.ParagraphSeparator;
                result.Append(c < 32 || c == 127 || hidden || Invalid.Contains(c) ? '_' : c);
            }

            return result.ToString().Trim(' ', '.');
        }

        /// <summary>"_" before a Windows device name (the part before the first dot, as Windows compares it).</summary>
        public static string AvoidDeviceName(string name)
        {
            int dot = name.IndexOf('.');
            string stem = (dot < 0 ? name : name.Substring(0, dot)).TrimEnd(' ');
            return DeviceNames.Contains(stem) ? "_" + name : name;
        }

        public static int Utf8(string text) => Encoding.UTF8.GetByteCount(text);

        /// <summary>The longest prefix of <paramref name="text"/> within <paramref name="maxBytes"/> UTF-8 bytes, never splitting a surrogate pair.</summary>
        public static string Truncate(string text, int maxBytes)
        {
            if (Utf8(text) <= maxBytes)
            {
                return text;
            }

            int length = 0;
            int bytes = 0;
            while (length < text.Length)
            {
                int width = char.IsHighSurrogate(text[length]) && length + 1 < text.Length ? 2 : 1;
                int size = Encoding.UTF8.GetByteCount(text.Substring(length, width));
                if (bytes + size > maxBytes)
                {
                    break;
                }

                bytes += size;
                length += width;
            }

            return text.Substring(0, length);
        }
    }
}
