using System;
using System.Globalization;
using System.Text;

namespace G5Mail.Core.Calendar
{
    /// <summary>
    /// Writes RFC 5545 content lines: "NAME;PARAM=value:value", TEXT escaped (3.3.11), parameter values quoted when they
    /// hold ':', ';' or ',' (3.2), lines folded at 75 octets without splitting a UTF-8 character (3.1), CRLF line ends.
    /// </summary>
    /// <remarks>
    /// Written by hand because Ical.Net 5.2.4, the library the issue names, needs Portable.System.DateTimeOnly on
    /// netstandard2.0 (the engine's target, for Windows PowerShell 5.1), and no version of that package is served to this
    /// project. The tests read every calendar G5Mail writes back through Ical.Net's parser (on .NET 10, where it needs
    /// only NodaTime), so an independent RFC 5545 implementation checks this one.
    /// </remarks>
    internal sealed class ContentLines
    {
        private const int MaxOctets = 75;
        private readonly StringBuilder _text = new StringBuilder(2048);

        public ContentLines Line(string name, string value, params (string Name, string Value)[] parameters)
        {
            var line = new StringBuilder(name.Length + value.Length + 16);
            line.Append(name);
            foreach ((string parameterName, string parameterValue) in parameters)
            {
                line.Append(';').Append(parameterName).Append('=').Append(ParameterValue(parameterValue));
            }

            line.Append(':').Append(value);
            Fold(line.ToString());
            return this;
        }

        /// <summary>A line already in its written form (folded as needed), without its CRLF.</summary>
        public ContentLines Raw(string line)
        {
            _text.Append(line).Append("\r\n");
            return this;
        }

        /// <summary>A TEXT property (SUMMARY, LOCATION, DESCRIPTION...), escaped.</summary>
        public ContentLines Text(string name, string value, params (string Name, string Value)[] parameters) => Line(name, Escape(value), parameters);

        public override string ToString() => _text.ToString();

        /// <summary>RFC 5545 3.3.11: backslash, semicolon and comma escaped, a line break as \n.</summary>
        public static string Escape(string text)
        {
            var escaped = new StringBuilder(text.Length + 8);
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                switch (c)
                {
                    case '\\': escaped.Append("\\\\"); break;
                    case ';': escaped.Append("\\;"); break;
                    case ',': escaped.Append("\\,"); break;
                    case '\r':
                        if (i + 1 < text.Length && text[i + 1] == '\n')
                        {
                            i++;
                        }

                        escaped.Append("\\n");
                        break;
                    case '\n': escaped.Append("\\n"); break;
                    default:
                        // Other control characters are not allowed in TEXT (3.3.11: TSAFE-CHAR excludes CONTROL).
                        escaped.Append(char.IsControl(c) ? ' ' : c);
                        break;
                }
            }

            return escaped.ToString();
        }

        /// <summary>RFC 5545 3.2: quoted when it holds ':', ';' or ','; a DQUOTE cannot appear in a parameter value at all.</summary>
        internal static string ParameterValue(string value)
        {
            var clean = new StringBuilder(value.Length);
            foreach (char c in value)
            {
                clean.Append(c == '"' ? '\'' : char.IsControl(c) ? ' ' : c);
            }

            string text = clean.ToString();
            return text.IndexOfAny(new[] { ':', ';', ',' }) >= 0 ? "\"" + text + "\"" : text;
        }

        public static string Utc(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

        public static string Local(DateTime wall) => wall.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);

        public static string Date(DateTime date) => date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

        /// <summary>RFC 5545 3.3.14 UTC-OFFSET: +hhmm (or +hhmmss); "-0000" is not allowed.</summary>
        public static string Offset(TimeSpan offset)
        {
            string sign = offset < TimeSpan.Zero ? "-" : "+";
            TimeSpan a = offset.Duration();
            string text = sign + a.Hours.ToString("00", CultureInfo.InvariantCulture) + a.Minutes.ToString("00", CultureInfo.InvariantCulture);
            return a.Seconds != 0 ? text + a.Seconds.ToString("00", CultureInfo.InvariantCulture) : text;
        }

        /// <summary>RFC 5545 3.1: at most 75 octets per line; a continuation starts with one space.</summary>
        private void Fold(string line)
        {
            int octets = 0;
            int limit = MaxOctets;
            for (int i = 0; i < line.Length; i++)
            {
                char c = line[i];
                bool pair = char.IsHighSurrogate(c) && i + 1 < line.Length && char.IsLowSurrogate(line[i + 1]);
                int size = pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
                if (octets + size > limit)
                {
                    _text.Append("\r\n ");
                    octets = 0;
                    limit = MaxOctets - 1; // the leading space counts
                }

                _text.Append(c);
                if (pair)
                {
                    _text.Append(line[++i]);
                }

                octets += size;
            }

            _text.Append("\r\n");
        }
    }
}
