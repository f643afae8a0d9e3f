using System;
using G5Mail.Core.Errors;
using G5Mail.Core.Transports;

namespace G5Mail
{
    /// <summary>An error a sysadmin can act on: a stable id, a category and a message that says what to change.</summary>
    public class G5MailErrorException : Exception
    {
        public G5MailErrorException(string errorId, ErrorKind kind, string message, object? target = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
            Target = target;
        }

        public string ErrorId { get; }
        public ErrorKind Kind { get; }
        public object? Target { get; }

        /// <summary>Whether a delivery may be tried again; Permanent unless a transport says otherwise.</summary>
        public FailureClass Failure { get; set; } = FailureClass.Permanent;

        /// <summary>How long the server asked the client to wait (Retry-After, BackOffMilliseconds), when it said.</summary>
        public TimeSpan? RetryAfter { get; set; }

        private FailureScope? _scope;

        /// <summary>
        /// Whether the failure is the message's, the account's or the server's: derived from the error id and kind by the
        /// one classification table, unless the code that raised it knows better and sets it.
        /// </summary>
        public FailureScope Scope
        {
            get => _scope ?? FailureClassification.ScopeOf(ErrorId, Kind);
            set => _scope = value;
        }

        /// <summary>The failure in a few words for the retry log ("451 4.3.0 try later", "connection reset"); never a secret.</summary>
        public string? Cause { get; set; }
    }
}
