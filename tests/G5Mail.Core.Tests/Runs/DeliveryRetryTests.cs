using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Runs;
using G5Mail.Core.Tests.Transports.Smtp;
using G5Mail.Core.Transports;
using Xunit;

namespace G5Mail.Core.Tests.Runs
{
    /// <summary>
    /// The retry loop on its own, with a transport that fails as scripted: what is retried, how long it waits, what the
    /// log says. The loop with the real SMTP transport against injected faults is in SmtpFaultScenarioTests.
    /// </summary>
    public sealed class DeliveryRetryTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        private OutgoingMessage Message()
        {
            string pdf = _folder.File("1001.pdf", "%PDF-1.4 test");
            var documents = DocumentCollector.Collect(new[] { new DocumentRequest { Paths = new[] { pdf }, To = new[] { "kund@example.se" } } }, out _);
            return MessageComposer.Compose(MessagePlanner.Plan(documents, false, 10 * 1_048_576).Single(), new ComposeOptions { From = "order@example.se" });
        }

        private static G5MailErrorException Failure(FailureClass failure, string cause, TimeSpan? retryAfter = null) =>
            new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.ResourceUnavailable, "Refused: " + cause)
            {
                Failure = failure,
                Cause = cause,
                RetryAfter = retryAfter,
            };

        private static (RetryPolicy Policy, List<TimeSpan> Waits) Policy(int retries, double fraction = 0.5)
        {
            var waits = new List<TimeSpan>();
            var policy = new RetryPolicy(retries, random: () => fraction)
            {
                Sleep = (delay, _) =>
                {
                    waits.Add(delay);
                    return Task.CompletedTask;
                },
            };
            return (policy, waits);
        }

        [Fact]
        public async Task Transient_failures_are_retried_with_backoff_and_logged_until_it_is_sent()
        {
            var (policy, waits) = Policy(3);
            var log = new RecordingLog();
            var transport = new ScriptedTransport(Failure(FailureClass.Transient, "451 4.3.0 Try again later"),
                Failure(FailureClass.Transient, "connection reset"));
            var retry = new DeliveryRetry(policy, log);

            TransportReceipt receipt = await retry.SendAsync(transport, Message(), CancellationToken.None);

            Assert.NotNull(receipt);
            Assert.Equal(3, transport.Attempts);
            Assert.Equal(3, retry.LastAttempts);
            Assert.Equal(new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2) }, waits);
            Assert.Collection(log.Verbose,
                line => Assert.Matches(@"^Message \S+ \(1001\): retry 1 of 3 in 1\.0 s after 451 4\.3\.0 Try again later\.$", line),
                line => Assert.Matches(@"retry 2 of 3 in 2\.0 s after connection reset\.$", line));
        }

        [Fact]
        public async Task The_wait_the_server_asked_for_is_used_and_named()
        {
            var (policy, waits) = Policy(3);
            var log = new RecordingLog();
            var transport = new ScriptedTransport(Failure(FailureClass.Transient, "HTTP 429", TimeSpan.FromSeconds(7)));

            await new DeliveryRetry(policy, log).SendAsync(transport, Message(), CancellationToken.None);

            Assert.Equal(new[] { TimeSpan.FromSeconds(7) }, waits);
            Assert.Contains("in 7.0 s (the server asked for 7.0 s) after HTTP 429", log.Verbose.Single());
        }

        [Theory]
        [InlineData(FailureClass.Permanent)]
        [InlineData(FailureClass.Uncertain)]
        public async Task Permanent_and_uncertain_failures_end_at_once(FailureClass failure)
        {
            var (policy, waits) = Policy(3);
            G5MailErrorException thrown = Failure(failure, "x");
            var transport = new ScriptedTransport(thrown);

            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => new DeliveryRetry(policy, NullRunLog.Instance).SendAsync(transport, Message(), CancellationToken.None));

            Assert.Same(thrown, error);
            Assert.Equal(1, transport.Attempts);
            Assert.Empty(waits);
        }

        [Fact]
        public async Task When_retries_run_out_the_error_keeps_its_id_and_says_how_often_it_was_tried()
        {
            var (policy, waits) = Policy(2);
            var transport = new ScriptedTransport(Enumerable.Range(0, 5).Select(_ => Failure(FailureClass.Transient, "421 busy")).ToArray());

            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => new DeliveryRetry(policy, NullRunLog.Instance).SendAsync(transport, Message(), CancellationToken.None));

            Assert.Equal(3, transport.Attempts);
            Assert.Equal(2, waits.Count);
            Assert.Equal(ErrorIds.SendFailed, error.ErrorId);
            Assert.StartsWith("Refused: 421 busy G5Mail tried 3 times", error.Message);
            Assert.Contains("-RetryCount", error.Message);
        }

        [Fact]
        public async Task With_no_retries_the_transport_error_is_returned_unchanged()
        {
            G5MailErrorException thrown = Failure(FailureClass.Transient, "421 busy");
            var transport = new ScriptedTransport(thrown);

            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => new DeliveryRetry(RetryPolicy.None, NullRunLog.Instance).SendAsync(transport, Message(), CancellationToken.None));

            Assert.Same(thrown, error);
            Assert.Equal(1, transport.Attempts);
        }

        [Fact]
        public async Task Cancelling_during_a_wait_stops_without_another_attempt()
        {
            var policy = new RetryPolicy(3, TimeSpan.FromSeconds(30), random: () => 0.99);
            var transport = new ScriptedTransport(Failure(FailureClass.Transient, "421 busy"));
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new DeliveryRetry(policy, NullRunLog.Instance).SendAsync(transport, Message(), cancel.Token));

            Assert.Equal(1, transport.Attempts);
        }

        private sealed class ScriptedTransport : IMessageTransport
        {
            private readonly Queue<G5MailErrorException> _failures;

            public ScriptedTransport(params G5MailErrorException[] failures)
            {
                _failures = new Queue<G5MailErrorException>(failures);
            }

            public int Attempts { get; private set; }

            public string Server => "scripted";

            public Task<TransportReceipt> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
            {
                Attempts++;
                if (_failures.Count > 0)
                {
                    throw _failures.Dequeue();
                }

                return Task.FromResult(new TransportReceipt(message.MessageId, "250 OK"));
            }

            public void Dispose()
            {
            }
        }
    }

    internal sealed class RecordingLog : IRunLog
    {
        private readonly ConcurrentQueue<string> _verbose = new ConcurrentQueue<string>();
        private readonly ConcurrentQueue<string> _warnings = new ConcurrentQueue<string>();

        public IReadOnlyList<string> Verbose => _verbose.ToArray();
        public IReadOnlyList<string> Warnings => _warnings.ToArray();

        void IRunLog.Verbose(string message) => _verbose.Enqueue(message);

        public void Warning(string message) => _warnings.Enqueue(message);
    }
}
