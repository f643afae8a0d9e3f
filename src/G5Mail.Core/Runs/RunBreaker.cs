using System;
using System.Threading;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Runs
{
    /// <summary>
    /// The run's circuit breaker. The first failure of the account or the server (FailureClassification.ScopeOf says
    /// which failures those are) opens it, and from then on nothing is attempted: no connection, no login, no token
    /// request. A rejected password then costs one failed login per run, not one per message (each would count towards
    /// the account's lockout), and a dead or silent server one message's timeouts, not every message's.
    /// </summary>
    public sealed class RunBreaker
    {
        private readonly IRunLog _log;
        private G5MailErrorException? _openedBy;

        public RunBreaker(IRunLog log)
        {
            _log = log;
        }

        /// <summary>The failure that opened the breaker; null while the run may still try.</summary>
        public G5MailErrorException? OpenedBy => Volatile.Read(ref _openedBy);

        /// <summary>Opens the breaker when <paramref name="failure"/> is the account's or the server's (the first one wins).</summary>
        public void Observe(G5MailErrorException failure, string? server)
        {
            if (failure.Scope == FailureScope.Message || Interlocked.CompareExchange(ref _openedBy, failure, null) != null)
            {
                return;
            }

            _log.Warning(failure.Scope == FailureScope.Account
                ? $"{failure.ErrorId}: the credentials were rejected, so G5Mail attempts nothing further in this run (each attempt would count "
                  + "towards the account's lockout). The rest fails with Reason NotAttempted; fix the credentials and run again."
                : failure.ErrorId == ErrorIds.CertificateInvalid
                    ? $"{failure.ErrorId}: {server ?? "The server"} presented a certificate this computer does not accept, so G5Mail attempts "
                      + "nothing further in this run. The rest fails with Reason ServerUnavailable; see the first error for what to change."
                    : $"{failure.ErrorId}: {server ?? "The server"} cannot be reached or stopped answering, so G5Mail attempts nothing further in "
                      + "this run. The rest fails with Reason ServerUnavailable; run again when the server answers.");
        }

        /// <summary>The Reason of an item not attempted: NotAttempted for the account, ServerUnavailable for the server.</summary>
        public string ReasonNotAttempted => OpenedBy?.Scope == FailureScope.Account ? SendReasons.NotAttempted : SendReasons.ServerUnavailable;

        /// <summary>The error of an item (<paramref name="what"/>, e.g. its document ids) not attempted: the same id, and what happened first.</summary>
        /// <param name="rerun">What a rerun does, for the command at hand (default: Send-G5Document's journal).</param>
        public G5MailErrorException NotAttempted(string what, string rerun = "A rerun (with -JournalPath: the same command) sends it.")
        {
            G5MailErrorException cause = OpenedBy ?? throw new InvalidOperationException("The breaker is closed.");
            string first = cause.Message;
            int cut = first.IndexOf(". ", StringComparison.Ordinal);
            string brief = cut > 0 && cut < 300 ? first.Substring(0, cut + 1) : (first.Length > 300 ? first.Substring(0, 300) + "..." : first);
            string why = cause.Scope == FailureScope.Account
                ? "an earlier message of this run found the credentials rejected, and every further login would count towards the account's lockout"
                : cause.ErrorId == ErrorIds.CertificateInvalid
                    ? "an earlier message of this run found the server's certificate not accepted"
                    : "an earlier message of this run found the server unreachable or silent";
            return new G5MailErrorException(cause.ErrorId, cause.Kind,
                $"Not attempted ({what}): {why}. The first failure: {brief} {rerun}",
                cause.Target)
            {
                Failure = FailureClass.Permanent,
                Scope = cause.Scope,
                Cause = cause.Cause,
            };
        }
    }
}
