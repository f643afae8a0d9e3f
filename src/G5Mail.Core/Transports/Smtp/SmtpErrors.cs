using System;
using System.IO;
using System.Net.Sockets;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Security;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>Turns MailKit and socket failures into the contract's error ids with a message that says what to change.</summary>
    internal static class SmtpErrors
    {
        /// <summary>
        /// Maps a failure before the end of the message data went out (or a reply the server gave at any stage), with
        /// its <see cref="FailureClass"/>: transient failures are retried on a new connection.
        /// </summary>
        public static G5MailErrorException Map(Exception ex, SmtpEndpoint endpoint, CertificatePolicy certificates, string? userName)
        {
            if (ex is G5MailErrorException known)
            {
                return known;
            }

            G5MailErrorException mapped = Describe(ex, endpoint, certificates, userName);
            if (mapped.Cause == null)
            {
                (mapped.Failure, mapped.Cause) = Classify(ex);
            }

            return mapped;
        }

        /// <summary>
        /// The connection failed after the whole message (up to the final dot) had been written and before the server's
        /// reply: the server may have accepted it, so it is reported as Uncertain and never sent again automatically.
        /// </summary>
        public static G5MailErrorException Uncertain(Exception ex, SmtpEndpoint endpoint, string messageId, string about)
        {
            string cause = Classify(ex).Cause;
            // No reply within TimeoutSeconds after the final dot: the server stopped answering (the run's breaker stops on it).
            ErrorKind kind = IsTimeout(ex) ? ErrorKind.OperationTimeout : ErrorKind.ConnectionError;
            var uncertain = new G5MailErrorException(ErrorIds.DeliveryUncertain, kind,
                $"The connection to {endpoint} failed ({cause}) after the whole message {messageId} " +
                $"({about}) had been sent, before the server confirmed it. The server may or may not have " +
                "accepted it, so G5Mail did not send it again. Check the recipient's inbox or the server's log for that Message-Id before sending it " +
                "again; rerun with -JournalPath to be safe: the journal keeps such messages from being sent twice.", messageId, ex)
            {
                Failure = FailureClass.Uncertain,
                Cause = cause,
            };
            return uncertain;
        }

        private static bool IsTimeout(Exception? ex)
        {
            for (; ex != null; ex = ex.InnerException)
            {
                if (ex is TimeoutException || ex is OperationCanceledException || (ex is SocketException socket && socket.SocketErrorCode == SocketError.TimedOut))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Whether a failure other than a reply is worth another attempt, and what it was in a few words.</summary>
        private static (FailureClass Failure, string Cause) Classify(Exception ex)
        {
            switch (ex)
            {
                case SmtpCommandException command:
                    return (FailureClassification.SmtpReply((int)command.StatusCode), Reply(command));
                case MailKit.Security.AuthenticationException auth when auth.InnerException is SmtpCommandException inner:
                    // 454 is a temporary authentication failure (RFC 4954 6); 535 and the like are final.
                    return (FailureClassification.SmtpReply((int)inner.StatusCode), "authentication: " + Reply(inner));
                case MailKit.Security.AuthenticationException _:
                case SslHandshakeException _:
                case NotSupportedException _:
                    return (FailureClass.Permanent, ex.GetType().Name);
                case SmtpProtocolException _:
                    return (FailureClassification.ConnectionLost(false), "the server broke off the conversation: " + ex.Message);
                case SocketException socket:
                    return Socket(socket);
                case IOException io when io.InnerException is SocketException inner:
                    return Socket(inner);
                case IOException _:
                    return (FailureClassification.ConnectionLost(false), "connection lost: " + ex.Message);
                case TimeoutException _:
                case OperationCanceledException _:
                    return (FailureClassification.ConnectionLost(false), "no answer in time");
                default:
                    return (FailureClass.Permanent, ex.GetType().Name + ": " + ex.Message);
            }
        }

        private static (FailureClass, string) Socket(SocketException ex)
        {
            switch (ex.SocketErrorCode)
            {
                // A name that does not resolve is a setting to fix, not a moment to wait out.
                case SocketError.HostNotFound:
                case SocketError.NoData:
                    return (FailureClass.Permanent, "host not found");
                default:
                    return (FailureClassification.ConnectionLost(false), "connection " + ex.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "refused",
                        SocketError.ConnectionReset => "reset",
                        SocketError.ConnectionAborted => "aborted",
                        SocketError.TimedOut => "timed out",
                        _ => "failed (" + ex.SocketErrorCode + ")",
                    });
            }
        }

        private static string Reply(SmtpCommandException ex) => $"{(int)ex.StatusCode} {ex.Message}".Trim();

        private static G5MailErrorException Describe(Exception ex, SmtpEndpoint endpoint, CertificatePolicy certificates, string? userName)
        {
            string server = endpoint.ToString();
            switch (ex)
            {
                case SslHandshakeException _ when Certificate(ex, endpoint.Host, server, certificates) is G5MailErrorException certificate:
                    return certificate;
                case SslHandshakeException _:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                        $"The TLS handshake with {server} failed. " + (endpoint.Port == 465
                            ? "The server may not speak TLS on connect on this port: try port 587 with STARTTLS (Set-G5MailSetting -Port 0 -UseSsl)."
                            : "The server may expect TLS on connect: try port 465."), server, ex);
                case MailKit.Security.AuthenticationException _:
                    return new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError,
                        $"{server} rejected the login for '{userName}'. Check the user name and password " +
                        "(Set-G5MailSetting -Scope System -Credential (Get-Credential)).", server, ex);
                case SmtpCommandException command:
                    return MapCommand(command, server);
                case SmtpProtocolException _:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                        $"{server} broke the SMTP conversation: {ex.Message}", server, ex);
                case NotSupportedException _ when endpoint.Security == SecureSocketOptions.StartTls:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.SecurityError,
                        $"{server} does not offer STARTTLS, but UseSsl requires an encrypted connection. " +
                        "Use port 465 if the server speaks TLS on connect, or ask for STARTTLS on the server.", server, ex);
                case SocketException socket:
                    return MapSocket(socket, endpoint);
                case TimeoutException _:
                case OperationCanceledException _:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout,
                        $"{server} did not answer in time. Check the server name, port and firewall.", server, ex);
                case IOException io when io.InnerException is SocketException inner:
                    return MapSocket(inner, endpoint);
                case IOException _:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                        $"The connection to {server} was lost: {ex.Message}", server, ex);
                default:
                    return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.NotSpecified,
                        $"Sending through {server} failed: {ex.Message}", server, ex);
            }
        }

        private static G5MailErrorException MapCommand(SmtpCommandException ex, string server)
        {
            int code = (int)ex.StatusCode;
            string reply = Reply(ex);
            if (FailureClassification.SmtpReply(code) == FailureClass.Transient)
            {
                // 4yz: not a bad address or message, only "not now" (greylisting, a full queue, a busy server).
                string what = ex.ErrorCode == SmtpErrorCode.RecipientNotAccepted ? $"the recipient '{ex.Mailbox}'"
                    : ex.ErrorCode == SmtpErrorCode.SenderNotAccepted ? $"the sender '{ex.Mailbox}'" : "the message";
                return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.ResourceUnavailable,
                    $"{server} temporarily refused {what}: {reply}. This usually passes (a busy or greylisting server); send again later.", server, ex);
            }

            if (ex.ErrorCode == SmtpErrorCode.RecipientNotAccepted)
            {
                return new G5MailErrorException(ErrorIds.InvalidAddress, ErrorKind.InvalidArgument,
                    $"{server} refused the recipient '{ex.Mailbox}': {reply}", ex.Mailbox?.Address, ex);
            }

            if (ex.StatusCode == SmtpStatusCode.ExceededStorageAllocation || ex.Message.IndexOf("size", StringComparison.OrdinalIgnoreCase) >= 0
                || ex.Message.IndexOf("too large", StringComparison.OrdinalIgnoreCase) >= 0 || ex.Message.IndexOf("too big", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return new G5MailErrorException(ErrorIds.MessageTooLarge, ErrorKind.LimitsExceeded,
                    $"{server} refused the message as too large: {reply}. Lower MaxAttachmentSizeMB so Combine splits into smaller messages.", server, ex);
            }

            if (ex.ErrorCode == SmtpErrorCode.SenderNotAccepted)
            {
                return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.PermissionDenied,
                    $"{server} refused the sender '{ex.Mailbox}': {reply}. Check From and that the account may send as it.", ex.Mailbox?.Address, ex);
            }

            return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidOperation, $"{server} refused the message: {reply}", server, ex);
        }

        private static G5MailErrorException MapSocket(SocketException ex, SmtpEndpoint endpoint) =>
            Socket(ex, endpoint.Host, endpoint.Port, endpoint.ToString(), "Server", "Port (0 = 25, or 587 with UseSsl)");

        /// <summary>
        /// A handshake that failed because of the server's certificate (not the pinned one, or rejected by validation), as
        /// CertificateInvalid; null when the handshake failed for another reason. Shared by the SMTP and IMAP transports.
        /// </summary>
        internal static G5MailErrorException? Certificate(Exception ex, string host, string server, CertificatePolicy certificates)
        {
            if (certificates.LastSeen != null && !certificates.MatchesPin(certificates.LastSeen))
            {
                return new G5MailErrorException(ErrorIds.CertificateInvalid, ErrorKind.SecurityError,
                    $"The certificate of '{host}' (thumbprint {certificates.LastSeen.Thumbprint}) is not the pinned one " +
                    $"({certificates.PinnedThumbprint}). If the server's certificate was renewed, update CertificateThumbprint.", server, ex);
            }

            if (certificates.LastSeen != null && certificates.LastSeen.PolicyErrors != System.Net.Security.SslPolicyErrors.None && !certificates.SkipCheck)
            {
                return new G5MailErrorException(ErrorIds.CertificateInvalid, ErrorKind.SecurityError, certificates.LastSeen.Describe(host), server, ex);
            }

            return null;
        }

        /// <summary>
        /// A connection that failed at the socket, as ConnectionFailed with the settings to check (<paramref name="serverSetting"/>,
        /// <paramref name="portAdvice"/>: "Port (0 = 25, or 587 with UseSsl)"). Shared by the SMTP and IMAP transports.
        /// </summary>
        internal static G5MailErrorException Socket(SocketException ex, string host, int port, string server, string serverSetting, string portAdvice)
        {
            switch (ex.SocketErrorCode)
            {
                case SocketError.HostNotFound:
                case SocketError.NoData:
                case SocketError.TryAgain:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                        $"The server name '{host}' could not be resolved. Check {serverSetting} (Set-G5MailSetting -{serverSetting} <name>).", server, ex);
                case SocketError.ConnectionRefused:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                        $"{server} refused the connection: nothing listens on port {port}. Check {portAdvice}.", server, ex);
                case SocketError.TimedOut:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout,
                        $"{server} did not answer. Check the server name, port and firewall.", server, ex);
                default:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                        $"The connection to {server} failed: {ex.Message}", server, ex);
            }
        }
    }
}
