using System;
using System.Linq;
using System.Text;
using G5Mail.Core.Calendar;
using Xunit;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>RFC 5545 3.1 (folding), 3.2 (parameter values) and 3.3.11 (TEXT escaping) as the writer does them.</summary>
    public sealed class ContentLinesTests
    {
        private static string[] PhysicalLines(string text)
        {
            Assert.EndsWith("\r\n", text);
            return text.Substring(0, text.Length - 2).Split(new[] { "\r\n" }, StringSplitOptions.None);
        }

        private static string Unfold(string text) => text.Replace("\r\n ", string.Empty);

        [Theory]
        [InlineData("a\\b", "a\\\\b")]
        [InlineData("a;b", "a\\;b")]
        [InlineData("a,b", "a\\,b")]
        [InlineData("rad 1\nrad 2", "rad 1\\nrad 2")]
        [InlineData("rad 1\r\nrad 2", "rad 1\\nrad 2")]
        [InlineData("rad 1\rrad 2", "rad 1\\nrad 2")]
        [InlineData("tab\there", "tab here")]
        [InlineData("kolon: ok", "kolon: ok")]
        [InlineData("\\;,\n", "\\\\\\;\\,\\n")]
        public void Escape_follows_RFC_5545_TEXT(string text, string escaped)
        {
            Assert.Equal(escaped, ContentLines.Escape(text));
        }

        [Fact]
        public void A_short_line_is_one_line_with_CRLF()
        {
            string text = new ContentLines().Line("SUMMARY", "Kort").ToString();
            Assert.Equal("SUMMARY:Kort\r\n", text);
        }

        [Fact]
        public void A_line_of_exactly_75_octets_is_not_folded_and_76_is()
        {
            string exact = new ContentLines().Line("X", new string('a', 73)).ToString();
            Assert.Single(PhysicalLines(exact));
            Assert.Equal(75, Encoding.UTF8.GetByteCount(PhysicalLines(exact)[0]));

            string longer = new ContentLines().Line("X", new string('a', 74)).ToString();
            string[] lines = PhysicalLines(longer);
            Assert.Equal(2, lines.Length);
            Assert.Equal(75, Encoding.UTF8.GetByteCount(lines[0]));
            Assert.Equal(" a", lines[1]);
        }

        [Theory]
        [InlineData("a")]
        [InlineData("å")]
        [InlineData("ÅÄÖ åäö")]
        [InlineData("€")]
        [InlineData("😀")]
        [InlineData("a😀å€")]
        [InlineData("Kund: Åhléns, Göteborg; \"hall\" 2\nRing 😀 före besöket")]
        public void Folded_lines_are_at_most_75_octets_split_no_character_and_unfold_to_the_original(string unit)
        {
            for (int repeat = 1; repeat < 120; repeat += 7)
            {
                for (int shift = 0; shift < 4; shift++)
                {
                    string value = new string('x', shift) + string.Concat(Enumerable.Repeat(unit, repeat));
                    string text = new ContentLines().Text("DESCRIPTION", value).ToString();
                    byte[] bytes = Encoding.UTF8.GetBytes(text);

                    foreach (string line in PhysicalLines(text))
                    {
                        Assert.True(Encoding.UTF8.GetByteCount(line) <= 75, $"{Encoding.UTF8.GetByteCount(line)} octets: {line}");
                        Assert.False(line.Length > 0 && char.IsLowSurrogate(line[0]), "a surrogate pair was split");
                        Assert.False(line.Length > 0 && char.IsHighSurrogate(line[line.Length - 1]), "a surrogate pair was split");
                    }

                    // Every physical line is valid UTF-8 on its own: no multi-octet sequence straddles a fold.
                    var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
                    int start = 0;
                    for (int i = 0; i + 1 < bytes.Length; i++)
                    {
                        if (bytes[i] == '\r' && bytes[i + 1] == '\n')
                        {
                            strict.GetString(bytes, start, i - start);
                            start = i + 2;
                        }
                    }

                    Assert.Equal("DESCRIPTION:" + ContentLines.Escape(value) + "\r\n", Unfold(text));
                }
            }
        }

        [Fact]
        public void Continuation_lines_start_with_exactly_one_space()
        {
            string text = new ContentLines().Line("X", new string('b', 300)).ToString();
            string[] lines = PhysicalLines(text);
            Assert.True(lines.Length >= 4);
            Assert.All(lines.Skip(1), l => Assert.True(l.StartsWith(" ", StringComparison.Ordinal) && !l.StartsWith("  ", StringComparison.Ordinal)));
            Assert.Equal(new string('b', 300), Unfold(text).Substring(2).TrimEnd('\r', '\n'));
        }

        [Theory]
        [InlineData("mailto:a@example.com", "\"mailto:a@example.com\"")]
        [InlineData("Svensson, Anna", "\"Svensson, Anna\"")]
        [InlineData("a;b", "\"a;b\"")]
        [InlineData("Anna Svensson", "Anna Svensson")]
        [InlineData("Europe/Stockholm", "Europe/Stockholm")]
        [InlineData("Sägs \"Kalle\"", "Sägs 'Kalle'")]
        public void Parameter_values_are_quoted_when_they_hold_colon_semicolon_or_comma(string value, string written)
        {
            Assert.Equal(written, ContentLines.ParameterValue(value));
            string line = new ContentLines().Line("ATTENDEE", "mailto:x@example.com", ("CN", value)).ToString();
            Assert.Equal("ATTENDEE;CN=" + written + ":mailto:x@example.com\r\n", Unfold(line));
        }

        [Fact]
        public void Several_parameters_are_written_in_order()
        {
            string line = new ContentLines().Line("ATTENDEE", "mailto:x@example.com", ("ROLE", "CHAIR"), ("RSVP", "FALSE")).ToString();
            Assert.Equal("ATTENDEE;ROLE=CHAIR;RSVP=FALSE:mailto:x@example.com\r\n", line);
        }

        [Theory]
        [InlineData(0, 0, "+0000")]
        [InlineData(1, 0, "+0100")]
        [InlineData(-5, 0, "-0500")]
        [InlineData(5, 30, "+0530")]
        [InlineData(-3, -30, "-0330")]
        public void Offsets_are_written_as_RFC_5545_UTC_OFFSET(int hours, int minutes, string written)
        {
            Assert.Equal(written, ContentLines.Offset(new TimeSpan(hours, minutes, 0)));
        }

        [Fact]
        public void Times_are_written_as_UTC_local_or_date()
        {
            var instant = new DateTimeOffset(2027, 3, 28, 14, 30, 5, TimeSpan.FromHours(2));
            Assert.Equal("20270328T123005Z", ContentLines.Utc(instant));
            Assert.Equal("20270328T143005", ContentLines.Local(new DateTime(2027, 3, 28, 14, 30, 5)));
            Assert.Equal("20270328", ContentLines.Date(new DateTime(2027, 3, 28)));
        }
    }
}
