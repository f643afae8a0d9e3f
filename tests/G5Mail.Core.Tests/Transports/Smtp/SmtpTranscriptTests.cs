using System.Text;
using G5Mail.Core.Transports.Smtp;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Smtp
{
    public class SmtpTranscriptTests
    {
        private static void Server(SmtpTranscript t, string text) { byte[] b = Encoding.ASCII.GetBytes(text); t.LogServer(b, 0, b.Length); }

        private static void Client(SmtpTranscript t, string text) { byte[] b = Encoding.ASCII.GetBytes(text); t.LogClient(b, 0, b.Length); }

        [Fact]
        public void KeepsGreetingAndEhloRepliesBeforeAndAfterStartTls()
        {
            var t = new SmtpTranscript();
            Server(t, "220 mail.example.com ESMTP\r\n");
            Client(t, "EHLO [127.0.0.1]\r\n");
            // A reply split across reads, as TCP may deliver it.
            Server(t, "250-mail.example.com\r\n250-STARTTLS\r\n250-AUTH=LOGIN\r\n250-AUTH LOG");
            Server(t, "IN PLAIN\r\n250 SIZE=2000\r\n");
            Client(t, "STARTTLS\r\n");
            Server(t, "220 go ahead\r\n");
            Client(t, "EHLO [127.0.0.1]\r\n");
            Server(t, "250-mail.example.com\r\n250-SIZE 36700160\r\n250 8BITMIME\r\n");

            Assert.Equal(new[] { "220 mail.example.com ESMTP" }, t.Greeting);
            Assert.True(t.StartTlsSent);
            Assert.Equal(new[] { "LOGIN", "PLAIN" }, SmtpTranscript.AuthMechanisms(t.EhloBeforeTls));
            Assert.Equal(2000, SmtpTranscript.SizeLimit(t.EhloBeforeTls));
            Assert.Empty(SmtpTranscript.AuthMechanisms(t.FinalEhlo));
            Assert.Equal(36700160, SmtpTranscript.SizeLimit(t.FinalEhlo));
            Assert.Equal(new[] { "SIZE 36700160", "8BITMIME" }, SmtpTranscript.Keywords(t.FinalEhlo));
        }

        [Fact]
        public void RecordsNothingOnceStopped()
        {
            var t = new SmtpTranscript();
            Server(t, "220 hi\r\n");
            Client(t, "EHLO x\r\n");
            Server(t, "250-hi\r\n250 AUTH PLAIN\r\n");
            t.Recording = false;
            Client(t, "AUTH PLAIN AGc1dXNlcgBTM2NyZXQ=\r\n");
            Server(t, "235 ok\r\n");

            Assert.Equal("EHLO", t.LastCommand);
            Assert.Equal(new[] { "AUTH PLAIN" }, SmtpTranscript.Keywords(t.FinalEhlo));
        }

        [Theory]
        [InlineData("SIZE", null)]
        [InlineData("SIZE 0", null)]
        [InlineData("SIZE 1048576", 1048576L)]
        [InlineData("SIZE=1048576", 1048576L)]
        public void SizeLimit_ReadsRfc1870AndTheEqualsVariant(string keyword, long? expected)
        {
            Assert.Equal(expected, SmtpTranscript.SizeLimit(new[] { "host", keyword }));
        }
    }
}
