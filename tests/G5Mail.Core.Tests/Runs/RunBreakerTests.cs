using System.Collections.Generic;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using Xunit;

namespace G5Mail.Core.Tests.Runs
{
    public sealed class RunBreakerTests
    {
        private sealed class Log : IRunLog
        {
            public List<string> Warnings { get; } = new List<string>();

            public void Verbose(string message)
            {
            }

            public void Warning(string message) => Warnings.Add(message);
        }

        [Fact]
        public void A_failure_of_one_message_leaves_the_breaker_closed()
        {
            var log = new Log();
            var breaker = new RunBreaker(log);
            breaker.Observe(new G5MailErrorException(ErrorIds.InvalidAddress, ErrorKind.InvalidArgument, "Bad address."), "mail.example.se:587");
            Assert.Null(breaker.OpenedBy);
            Assert.Empty(log.Warnings);
        }

        [Fact]
        public void The_first_account_failure_opens_it_once_and_names_it_in_every_item_not_attempted()
        {
            var log = new Log();
            var breaker = new RunBreaker(log);
            var first = new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError, "535 5.7.8 Authentication credentials invalid. Check the password.");
            breaker.Observe(first, "mail.example.se:587");
            breaker.Observe(new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, "Refused."), "mail.example.se:587");

            Assert.Same(first, breaker.OpenedBy);
            Assert.Contains("lockout", Assert.Single(log.Warnings));
            Assert.Equal(SendReasons.NotAttempted, breaker.ReasonNotAttempted);
            G5MailErrorException notAttempted = breaker.NotAttempted("1001");
            Assert.Equal(ErrorIds.AuthenticationFailed, notAttempted.ErrorId);
            Assert.Equal(FailureScope.Account, notAttempted.Scope);
            Assert.Contains("Not attempted (1001)", notAttempted.Message);
            Assert.Contains("535 5.7.8 Authentication credentials invalid.", notAttempted.Message);
        }

        [Fact]
        public void A_certificate_the_computer_does_not_accept_is_called_that_not_an_unreachable_server()
        {
            var log = new Log();
            var breaker = new RunBreaker(log);
            breaker.Observe(new G5MailErrorException(ErrorIds.CertificateInvalid, ErrorKind.SecurityError, "The certificate is not trusted."), "mail.example.se:587");

            string warning = Assert.Single(log.Warnings);
            Assert.Contains("mail.example.se:587 presented a certificate this computer does not accept", warning);
            Assert.DoesNotContain("cannot be reached", warning);
            Assert.Equal(SendReasons.ServerUnavailable, breaker.ReasonNotAttempted);
            Assert.Contains("certificate not accepted", breaker.NotAttempted("1002").Message);
        }

        [Fact]
        public void A_dead_server_is_called_unreachable()
        {
            var log = new Log();
            var breaker = new RunBreaker(log);
            breaker.Observe(new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, "Connection refused."), "mail.example.se:25");

            Assert.Contains("mail.example.se:25 cannot be reached or stopped answering", Assert.Single(log.Warnings));
            Assert.Contains("unreachable or silent", breaker.NotAttempted("1003").Message);
        }
    }
}
