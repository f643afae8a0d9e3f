using System;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.Diagnostics
{
    /// <summary>What every server probe does with Ctrl+C.</summary>
    internal static class ProbeCancellation
    {
        /// <summary>
        /// Awaits a probe's steps. Ctrl+C closes sockets under pending calls; whatever they throw then (an IOException, a
        /// MailKit or HTTP error) is just the cancellation, and is reported as such rather than as a finding or an error.
        /// </summary>
        public static async Task Run(Task probe, CancellationToken cancellationToken)
        {
            try
            {
                await probe.ConfigureAwait(false);
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && !(ex is OperationCanceledException))
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
    }
}
