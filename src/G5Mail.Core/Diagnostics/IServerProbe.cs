using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Settings;

namespace G5Mail.Core.Diagnostics
{
    /// <summary>
    /// Checks the server of one mail method against the effective settings without sending mail.
    /// One implementation per method (Smtp now; ExchangeOnline, Exchange and Outlook plug in the same way):
    /// register it in <see cref="ServerTest"/>.
    /// </summary>
    public interface IServerProbe
    {
        MailMethod Method { get; }

        /// <summary>
        /// Runs the checks in order and stops at the first one that fails. Never throws for what the server or
        /// the network does (that becomes a finding); only cancellation through <paramref name="cancellationToken"/>
        /// ends it with an OperationCanceledException.
        /// </summary>
        Task<ServerTestResult> ProbeAsync(ServerProbeRequest request, CancellationToken cancellationToken);
    }

    public sealed class ServerProbeRequest
    {
        public ServerProbeRequest(SettingValues settings, TimeSpan timeout, bool skipAuthentication)
        {
            if (timeout <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
            }

            Settings = settings ?? throw new ArgumentNullException(nameof(settings));
            Timeout = timeout;
            SkipAuthentication = skipAuthentication;
        }

        /// <summary>The effective settings, with the caller's one-call overrides already applied.</summary>
        public SettingValues Settings { get; }

        /// <summary>The bound of each network step (name resolution, connect, session set-up, authentication).</summary>
        public TimeSpan Timeout { get; }

        public bool SkipAuthentication { get; }
    }
}
