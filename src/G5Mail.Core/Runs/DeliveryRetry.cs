using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Transports;

namespace G5Mail.Core.Runs
{
    /// <summary>
    /// Sends one message through a transport and tries again, per the <see cref="RetryPolicy"/>, only when the transport
    /// says the failure was transient (the server certainly did not take the message). Permanent and uncertain failures
    /// end at once, so a message the server may have accepted is never sent twice. The transport reconnects on the next
    /// attempt. Every retry is written to the run log (-Verbose).
    /// </summary>
    public sealed class DeliveryRetry
    {
        private readonly RetryPolicy _policy;
        private readonly IRunLog _log;

        public DeliveryRetry(RetryPolicy policy, IRunLog log)
        {
            _policy = policy;
            _log = log;
        }

        /// <summary>Attempts made by the last <see cref="SendAsync"/> (1 when the first succeeded or failed for good).</summary>
        public int LastAttempts { get; private set; }

        public Task<TransportReceipt> SendAsync(IMessageTransport transport, OutgoingMessage message, CancellationToken cancellationToken) =>
            RunAsync($"Message {message.MessageId} ({string.Join(", ", message.DocumentIds)})", token => transport.SendAsync(message, token), cancellationToken);

        /// <summary>
        /// Runs <paramref name="attempt"/> until it succeeds, fails for good, or the policy's retries are used up.
        /// <paramref name="subject"/> names what is tried in the log ("Message &lt;id&gt; (1001)").
        /// </summary>
        public async Task<T> RunAsync<T>(string subject, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            for (int number = 1; ; number++)
            {
                LastAttempts = number;
                try
                {
                    return await attempt(cancellationToken).ConfigureAwait(false);
                }
                // A rejected login is never tried again, not even one the server called temporary (454): each try counts
                // towards the account's lockout.
                catch (G5MailErrorException ex) when (ex.Failure == FailureClass.Transient && ex.Scope != FailureScope.Account)
                {
                    TimeSpan? delay = _policy.DelayBefore(number, ex.RetryAfter);
                    if (delay == null)
                    {
                        throw GaveUp(ex, number, watch.Elapsed);
                    }

                    string asked = ex.RetryAfter.HasValue ? " (the server asked for " + Seconds(ex.RetryAfter.Value) + " s)" : string.Empty;
                    _log.Verbose($"{subject}: retry {number} of {_policy.RetryCount} in {Seconds(delay.Value)} s{asked} after {ex.Cause ?? ex.ErrorId}.");
                    await _policy.WaitAsync(delay.Value, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        private static G5MailErrorException GaveUp(G5MailErrorException last, int attempts, TimeSpan elapsed)
        {
            if (attempts == 1)
            {
                return last; // -RetryCount 0: the failure as the transport said it.
            }

            return new G5MailErrorException(last.ErrorId, last.Kind,
                $"{last.Message} G5Mail tried {attempts} times over {Seconds(elapsed)} s and the cause did not pass; the message was not sent. " +
                "Send it again later (a -JournalPath run resends only what failed), or allow more with -RetryCount and -RetryDelaySeconds.",
                last.Target, last)
            {
                Failure = last.Failure,
                RetryAfter = last.RetryAfter,
                Cause = last.Cause,
            };
        }

        private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
    }
}
