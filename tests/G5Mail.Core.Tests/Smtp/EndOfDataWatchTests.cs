using System;
using System.Text;
using G5Mail.Core.Smtp;
using Xunit;

namespace G5Mail.Core.Tests.Smtp
{
    public sealed class EndOfDataWatchTests
    {
        private static void Write(EndOfDataWatch watch, string text)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(text);
            watch.LogClient(bytes, 0, bytes.Length);
        }

        [Fact]
        public void The_end_of_data_is_the_final_dot_line_even_when_it_is_split_over_writes()
        {
            var watch = new EndOfDataWatch();
            watch.LogConnect(new Uri("smtp://127.0.0.1:25"));
            Write(watch, "EHLO me\r\nMAIL FROM:<a@example.se>\r\nRCPT TO:<b@example.se>\r\nDATA\r\n");
            Write(watch, "Subject: x\r\n\r\nline one\r\n..stuffed line\r\n.");
            Assert.False(watch.EndOfDataSent);
            Write(watch, "\r");
            Assert.False(watch.EndOfDataSent);
            Write(watch, "\n");
            Assert.True(watch.EndOfDataSent);
        }

        [Fact]
        public void Stuffed_dots_and_dots_inside_lines_are_not_the_end()
        {
            var watch = new EndOfDataWatch();
            Write(watch, "DATA\r\nSubject: x\r\n\r\n..\r\n...\r\na.b\r\n. \r\n");
            Assert.False(watch.EndOfDataSent);
        }

        [Fact]
        public void Arm_forgets_the_previous_message()
        {
            var watch = new EndOfDataWatch();
            Write(watch, "DATA\r\nx\r\n.\r\n");
            Assert.True(watch.EndOfDataSent);
            watch.Arm();
            Assert.False(watch.EndOfDataSent);
            Write(watch, "MAIL FROM:<a@example.se>\r\nRCPT TO:<b@example.se>\r\nDATA\r\nbody\r\n");
            Assert.False(watch.EndOfDataSent);
        }

        [Fact]
        public void A_BDAT_LAST_chunk_ends_with_its_last_byte_whatever_it_holds()
        {
            var watch = new EndOfDataWatch();
            // 13 bytes that contain a dot line: inside a chunk it means nothing.
            Write(watch, "BDAT 13 LAST\r\nab\r\n.\r\ncdefg");
            Assert.False(watch.EndOfDataSent);
            Write(watch, "h");
            Assert.True(watch.EndOfDataSent);
        }

        [Fact]
        public void A_BDAT_chunk_that_is_not_the_last_does_not_end_the_message()
        {
            var watch = new EndOfDataWatch();
            Write(watch, "BDAT 3\r\nabc");
            Assert.False(watch.EndOfDataSent);
            Write(watch, "BDAT 2 LAST\r\nde");
            Assert.True(watch.EndOfDataSent);
        }
    }
}
