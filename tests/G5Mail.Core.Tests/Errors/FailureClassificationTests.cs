using System;
using System.IO;
using System.Net.Sockets;
using G5Mail.Core.Errors;
using G5Mail.Core.Security;
using G5Mail.Core.Transports.Smtp;
using MailKit.Net.Smtp;
using MailKit.Security;
using Xunit;

namespace G5Mail.Core.Tests.Errors
{
    /// <summary>The one table of what is retried, for every transport.</summary>
    public sealed class FailureClassificationTests
    {
        [Theory]
        [InlineData(421, FailureClass.Transient)]
        [InlineData(450, FailureClass.Transient)]
        [InlineData(451, FailureClass.Transient)]
        [InlineData(452, FailureClass.Transient)]
        [InlineData(454, FailureClass.Transient)]
        [InlineData(500, FailureClass.Permanent)]
        [InlineData(535, FailureClass.Permanent)]
        [InlineData(550, FailureClass.Permanent)]
        [InlineData(552, FailureClass.Permanent)]
        [InlineData(553, FailureClass.Permanent)]
        [InlineData(554, FailureClass.Permanent)]
        public void Smtp_replies(int code, FailureClass expected) => Assert.Equal(expected, FailureClassification.SmtpReply(code));

        [Theory]
        [InlineData(429, FailureClass.Transient)]
        [InlineData(503, FailureClass.Transient)]
        [InlineData(504, FailureClass.Transient)]
        [InlineData(400, FailureClass.Permanent)]
        [InlineData(401, FailureClass.Permanent)]
        [InlineData(403, FailureClass.Permanent)]
        [InlineData(404, FailureClass.Permanent)]
        [InlineData(408, FailureClass.Permanent)]
        [InlineData(413, FailureClass.Permanent)]
        [InlineData(500, FailureClass.Permanent)]
        [InlineData(502, FailureClass.Permanent)]
        public void Http_statuses(int status, FailureClass expected) => Assert.Equal(expected, FailureClassification.HttpStatus(status));

        [Theory]
        [InlineData("ErrorServerBusy", FailureClass.Transient)]
        [InlineData("ErrorAccessDenied", FailureClass.Permanent)]
        [InlineData("ErrorSendAsDenied", FailureClass.Permanent)]
        [InlineData("ErrorMessageSizeExceeded", FailureClass.Permanent)]
        [InlineData("errorserverbusy", FailureClass.Permanent)]
        [InlineData(null, FailureClass.Permanent)]
        public void Ews_response_codes(string? code, FailureClass expected) => Assert.Equal(expected, FailureClassification.EwsResponseCode(code));

        [Fact]
        public void A_lost_connection_is_transient_before_the_whole_message_went_out_and_uncertain_after()
        {
            Assert.Equal(FailureClass.Transient, FailureClassification.ConnectionLost(false));
            Assert.Equal(FailureClass.Uncertain, FailureClassification.ConnectionLost(true));
        }

        public static TheoryData<Exception, string, FailureClass> SmtpFailures() => new TheoryData<Exception, string, FailureClass>
        {
            { new SocketException((int)SocketError.ConnectionRefused), ErrorIds.ConnectionFailed, FailureClass.Transient },
            { new SocketException((int)SocketError.ConnectionReset), ErrorIds.ConnectionFailed, FailureClass.Transient },
            { new SocketException((int)SocketError.TimedOut), ErrorIds.ConnectionFailed, FailureClass.Transient },
            { new SocketException((int)SocketError.HostNotFound), ErrorIds.ConnectionFailed, FailureClass.Permanent },
            { new IOException("reset", new SocketException((int)SocketError.ConnectionReset)), ErrorIds.ConnectionFailed, FailureClass.Transient },
            { new IOException("broken pipe"), ErrorIds.ConnectionFailed, FailureClass.Transient },
            { new TimeoutException(), ErrorIds.ConnectionFailed, FailureClass.Transient },
            { new SmtpProtocolException("The SMTP server has unexpectedly disconnected."), ErrorIds.ConnectionFailed, FailureClass.Transient },
            { new SmtpCommandException(SmtpErrorCode.UnexpectedStatusCode, (SmtpStatusCode)421, "4.3.2 Service not available"), ErrorIds.SendFailed, FailureClass.Transient },
            { new SmtpCommandException(SmtpErrorCode.RecipientNotAccepted, (SmtpStatusCode)452, new MimeKit.MailboxAddress(null, "a@example.se"), "4.3.1 Insufficient storage"), ErrorIds.SendFailed, FailureClass.Transient },
            { new SmtpCommandException(SmtpErrorCode.RecipientNotAccepted, (SmtpStatusCode)550, new MimeKit.MailboxAddress(null, "a@example.se"), "5.1.1 No such user"), ErrorIds.InvalidAddress, FailureClass.Permanent },
            { new SmtpCommandException(SmtpErrorCode.MessageNotAccepted, (SmtpStatusCode)552, "5.3.4 Message too big"), ErrorIds.MessageTooLarge, FailureClass.Permanent },
            { new SmtpCommandException(SmtpErrorCode.MessageNotAccepted, (SmtpStatusCode)554, "5.7.1 Rejected"), ErrorIds.SendFailed, FailureClass.Permanent },
            { new AuthenticationException("535: 5.7.8 bad credentials"), ErrorIds.AuthenticationFailed, FailureClass.Permanent },
            { new SslHandshakeException("handshake"), ErrorIds.ConnectionFailed, FailureClass.Permanent },
        };

        [Theory]
        [MemberData(nameof(SmtpFailures))]
        public void Smtp_failures_map_to_an_error_id_and_a_class(Exception failure, string errorId, FailureClass expected)
        {
            var endpoint = new SmtpEndpoint("mail.example.se", 25, SecureSocketOptions.None);

            G5MailErrorException mapped = SmtpErrors.Map(failure, endpoint, new CertificatePolicy(null, false), "g5user");

            Assert.Equal(errorId, mapped.ErrorId);
            Assert.Equal(expected, mapped.Failure);
            Assert.False(string.IsNullOrWhiteSpace(mapped.Cause));
        }

        [Fact]
        public void A_temporary_refusal_says_it_is_temporary_and_keeps_the_reply()
        {
            var endpoint = new SmtpEndpoint("mail.example.se", 25, SecureSocketOptions.None);
            var reply = new SmtpCommandException(SmtpErrorCode.RecipientNotAccepted, (SmtpStatusCode)450, new MimeKit.MailboxAddress(null, "a@example.se"),
                "4.2.1 Greylisted, try again later");

            G5MailErrorException mapped = SmtpErrors.Map(reply, endpoint, new CertificatePolicy(null, false), null);

            Assert.Contains("temporarily refused the recipient 'a@example.se'", mapped.Message);
            Assert.Equal("450 4.2.1 Greylisted, try again later", mapped.Cause);
        }
    }
}
