using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace G5Mail.Core.Messages
{
    /// <summary>
    /// {Name} in subjects and bodies. The fixed names are G5Mail's own; any other name is a property of the document's
    /// input object (a CSV column such as {CustomerName}). Names ignore case. Braces that do not enclose a name (CSS in an
    /// HTML body, "{ }") are left as they are.
    /// </summary>
    public static class Placeholders
    {
        public static readonly IReadOnlyList<string> Fixed = new[] { "DocumentIds", "DocumentType", "Part", "PartCount", "From", "Attachments" };

        private static readonly Regex Pattern = new Regex(@"\{([\p{L}_][\p{L}\p{N}_]*)\}", RegexOptions.CultureInvariant);

        public static bool IsFixed(string name) => Fixed.Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

        /// <summary>The names used in <paramref name="text"/>, each once, in order of appearance.</summary>
        public static IEnumerable<string> NamesIn(string? text) =>
            text == null ? Enumerable.Empty<string>() : Pattern.Matches(text).Cast<Match>().Select(m => m.Groups[1].Value).Distinct(StringComparer.OrdinalIgnoreCase);

        public static bool Mentions(string? text, string name) => NamesIn(text).Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

        /// <summary>Replaces every placeholder with <paramref name="valueOf"/>'s value (never null; it throws for a missing one).</summary>
        public static string Fill(string text, Func<string, string> valueOf) => Pattern.Replace(text, m => valueOf(m.Groups[1].Value));
    }
}
