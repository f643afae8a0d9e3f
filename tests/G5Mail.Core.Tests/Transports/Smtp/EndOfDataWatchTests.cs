using System;
using System.Text;
using G5Mail.Core.Transports.Smtp;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Smtp
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

        [Fact]
        public void The_end_is_found_exactly_at_the_last_byte_whatever_the_write_boundaries()
        {
            // A message as MailKit writes it (long base64 lines, a stuffed dot, then the terminator), cut into writes of
            // every size from 1 to 9 bytes and in large blocks: the end is seen at the final LF and not one byte before.
            var text = new StringBuilder("MAIL FROM:<a@example.se>\r\nRCPT TO:<b@example.se>\r\nDATA\r\nSubject: x\r\n\r\n");
            for (int i = 0; i < 200; i++)
            {
                text.Append(Convert.ToBase64String(BitConverter.GetBytes(i * 7919L)).PadRight(76, 'Q')).Append("\r\n");
            }

            text.Append("..\r\n.x\r\n.\r\n");
            byte[] bytes = Encoding.ASCII.GetBytes(text.ToString());
            foreach (int size in new[] { 1, 2, 3, 4, 5, 7, 9, 4096, bytes.Length })
            {
                var watch = new EndOfDataWatch();
                watch.LogConnect(new Uri("smtp://127.0.0.1:25"));
                for (int at = 0; at < bytes.Length; at += size)
                {
                    Assert.False(watch.EndOfDataSent, $"ended early, writes of {size}, at byte {at}");
                    watch.LogClient(bytes, at, Math.Min(size, bytes.Length - at));
                }

                Assert.True(watch.EndOfDataSent, $"writes of {size}");
            }
        }
    }
}
