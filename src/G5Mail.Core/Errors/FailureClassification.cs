using System;
using G5Mail.Core.Runs;

namespace G5Mail.Core.Errors
{
    /// <summary>
    /// The one table of which delivery failures are worth another attempt, shared by every transport so that all of
    /// them retry alike. Transient: the server certainly did not take the message and the cause may pass. Permanent:
    /// another attempt would fail the same way. Uncertain: the message may have been taken, so it is never resent.
    /// </summary>
    public static class FailureClassification
    {
        /// <summary>
        /// An SMTP reply code (RFC 5321 4.2.1): 4yz is a transient negative completion ("the command was not accepted
        /// ... the error condition is temporary"), at any stage: greeting (421), MAIL/RCPT (450, 451, 452), DATA and the
        /// reply to the final dot (451, 452). 5yz and anything else are permanent. A negative reply after the final dot
        /// means the server did not take the message, so a 4yz there is safe to retry too.
        /// </summary>
        public static FailureClass SmtpReply(int code) => code >= 400 && code < 500 ? FailureClass.Transient : FailureClass.Permanent;

        /// <summary>
        /// An HTTP status of a request that was answered: 429 Too Many Requests (RFC 6585 4), 503 Service Unavailable
        /// and 504 Gateway Timeout (RFC 9110 15.6.4, 15.6.5) are what Microsoft Graph's throttling and error guidance
        /// says to retry; every other 4xx is the request's fault and every other 5xx cannot be known not to have acted.
        /// </summary>
        public static FailureClass HttpStatus(int status) =>
            status == 429 || status == 503 || status == 504 ? FailureClass.Transient : FailureClass.Permanent;

        /// <summary>
        /// An EWS ResponseCode: only ErrorServerBusy ("the server is busy", EWS throttling, with BackOffMilliseconds)
        /// is transient; the others describe the request, the mailbox or the account.
        /// </summary>
        public static FailureClass EwsResponseCode(string? responseCode) =>
            string.Equals(responseCode, "ErrorServerBusy", StringComparison.Ordinal) ? FailureClass.Transient : FailureClass.Permanent;

        /// <summary>
        /// A connection refused, reset, closed or timed out without an answer. Before the whole message (SMTP: the
        /// final dot; HTTP: the request body) was written the server cannot have accepted it (RFC 5321 4.1.1.4: mail
        /// data ends only with the final dot), so it is transient; after that it may have been accepted: uncertain.
        /// </summary>
        public static FailureClass ConnectionLost(bool wholeMessageSent) => wholeMessageSent ? FailureClass.Uncertain : FailureClass.Transient;

        /// <summary>
        /// What a failure belongs to, which decides whether the rest of a run is attempted (see SendRun):
        /// <list type="bullet">
        /// <item>Account: AuthenticationFailed. SMTP 535 "authentication credentials invalid", 534 "authentication mechanism is
        /// too weak" and 454 "temporary authentication failure" (RFC 4954 6), EWS's 401 after every scheme it offered (RFC 9110
        /// 15.5.2), Graph's 401 after a freshly acquired token. TokenAcquisitionFailed too (invalid_client, unauthorized_client,
        /// an invalid or expired secret, invalid_grant for a password: RFC 6749 5.2 and the AADSTS codes of "Microsoft Entra
        /// authentication and authorization error codes"), except when Entra ID only asked to wait (throttling, a temporary
        /// problem: kind ResourceUnavailable). Directory services lock an account after a few failed sign-ins (Active Directory's
        /// lockout threshold, Entra ID smart lockout), so a rejected password is never tried again in the same run.</item>
        /// <item>Server: ConnectionFailed (refused, no answer or no greeting in time, host not found, TLS handshake failed, the
        /// conversation broken off) and CertificateInvalid: what every later message of the run would meet too. Also
        /// DeliveryUncertain when the server took the whole message and then did not answer within TimeoutSeconds (kind
        /// OperationTimeout): that message stays Uncertain and is never resent, and the rest are not handed to a server that
        /// stopped answering.</item>
        /// <item>Message: everything else (a refused recipient or sender, a message too large, a missing file, a permission the
        /// app lacks for one call, an uncertain delivery).</item>
        /// </list>
        /// </summary>
        public static FailureScope ScopeOf(string errorId, ErrorKind kind)
        {
            switch (errorId)
            {
                case ErrorIds.AuthenticationFailed:
                    return FailureScope.Account;
                case ErrorIds.TokenAcquisitionFailed:
                    return kind == ErrorKind.ResourceUnavailable ? FailureScope.Message : FailureScope.Account;
                case ErrorIds.ConnectionFailed:
                case ErrorIds.CertificateInvalid:
                    return FailureScope.Server;
                case ErrorIds.DeliveryUncertain:
                    return kind == ErrorKind.OperationTimeout ? FailureScope.Server : FailureScope.Message;
                default:
                    return FailureScope.Message;
            }
        }
    }
}
