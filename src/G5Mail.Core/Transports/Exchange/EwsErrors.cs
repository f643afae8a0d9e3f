using System;
using System.Globalization;
using System.Net;
using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>Turns EWS response codes and HTTP statuses into the contract's error ids, with advice on what to change.</summary>
    public static class EwsErrors
    {
        public const string ServerBusy = "ErrorServerBusy";

        /// <summary>An error response (response message with ResponseClass Error, or a SOAP fault).</summary>
        public static G5MailErrorException FromResponse(EwsResponse response, EwsEndpoint endpoint, string? user, string? from, string target)
        {
            string code = response.ErrorCode ?? "ErrorInternalServerError";
            string text = OneLine(response.Fault?.Text ?? FirstErrorText(response) ?? code);
            string said = $"Exchange ({endpoint.Host}) answered {code}: {text}";
            switch (code)
            {
                case "ErrorInvalidRecipients":
                case "ErrorInvalidSmtpAddress":
                case "ErrorMailRecipientNotFound":
                    return new G5MailErrorException(ErrorIds.InvalidAddress, ErrorKind.InvalidArgument,
                        $"{said}. Exchange does not accept a recipient of this message: check the addresses in To, Cc and Bcc.", target);
                case "ErrorMessageSizeExceeded":
                    return new G5MailErrorException(ErrorIds.MessageTooLarge, ErrorKind.LimitsExceeded,
                        $"{said}. Exchange's send size limit (MaxSendSize of the mailbox or organization) counts the encoded message, about 4/3 " +
                        "of the files. Lower MaxAttachmentSizeMB so that Combine splits the documents over smaller messages " +
                        "(Set-G5MailSetting -Scope System -MaxAttachmentSizeMB …), or ask the Exchange administrator to raise the limit.", target);
                case "ErrorSendAsDenied":
                    return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                        $"{said}. '{user ?? "The signed-in user"}' may not send as {from ?? "the From address"}: grant Send As on that mailbox " +
                        "(Add-ADPermission … -ExtendedRights 'Send As'), or set From to the user's own address.", target);
                case "ErrorAccessDenied":
                    return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                        $"{said}. The account '{user ?? "(current Windows user)"}' may not do this through EWS: check that it has a mailbox and " +
                        "that EWS is allowed for it (Get-CASMailbox <user> | Format-List Ews*).", target);
                case ServerBusy:
                    // Throttled requests are not executed ("EWS throttling in Exchange"): transient, after the back-off asked for.
                    return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.ResourceUnavailable,
                        $"{said}. Exchange is throttling this account{Hint(response.BackOff)}. Try the rest again later (a rerun sends only what did not go through), or ask the " +
                        "Exchange administrator about the account's throttling policy.", target)
                    {
                        Failure = FailureClassification.EwsResponseCode(code),
                        RetryAfter = response.BackOff,
                        Cause = ServerBusy + (response.BackOff == null ? string.Empty
                            : $" (BackOffMilliseconds {response.BackOff.Value.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)})"),
                    };
                case "ErrorInvalidServerVersion":
                    return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.NotImplemented,
                        $"{said}. G5Mail speaks EWS as of Exchange 2013; older Exchange servers (2010 and earlier) are not supported.", target);
                case "ErrorSchemaValidation":
                case "ErrorInvalidRequest":
                    return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidData,
                        $"{said}{Where(response.Fault)}. Exchange rejected the form of G5Mail's request; please report this with the " +
                        "Exchange version (Test-G5MailServer shows it).", target);
                case "ErrorQuotaExceeded":
                    return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.LimitsExceeded,
                        $"{said}. The mailbox is full, so the copy for Sent Items cannot be saved: make room or ask for a bigger quota.", target);
                default:
                    return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.NotSpecified, said + ".", target);
            }
        }

        /// <summary>
        /// HTTP 200 to CreateItem (SendAndSaveCopy) with a body that is not a readable EWS answer: broken XML, not SOAP, no
        /// response message, or cut off. Exchange answers 200 once it has processed the request, so the message may well
        /// have been sent; sending it again could deliver it twice. Uncertain, never resent.
        /// </summary>
        public static G5MailErrorException UnreadableSendAnswer(EwsEndpoint endpoint, string target) =>
            new G5MailErrorException(ErrorIds.DeliveryUncertain, ErrorKind.InvalidData,
                $"Exchange ({endpoint.Host}) answered CreateItem with HTTP 200 but a body that is not a readable EWS response (not SOAP, " +
                "broken or cut off; a proxy in between may have changed it). Exchange may or may not have sent the message, so G5Mail did " +
                "not send it again. Look in the sender's Sent Items before sending it again; rerun with -JournalPath to be safe: the journal " +
                "keeps such messages from being sent twice.", target)
            {
                Failure = FailureClass.Uncertain,
                Cause = "HTTP 200 with an unreadable CreateItem response",
            };

        /// <summary>An HTTP status without an EWS answer in the body.</summary>
        public static G5MailErrorException FromStatus(HttpStatusCode status, string? location, EwsEndpoint endpoint, string? user, long requestLength, string target)
        {
            int code = (int)status;
            string where = endpoint.Url.AbsoluteUri;
            switch (code)
            {
                case 401:
                    return new G5MailErrorException(ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError, user != null
                        ? $"Exchange ({endpoint.Host}) rejected the sign-in of '{user}' (HTTP 401). Check the user name (DOMAIN\\user or " +
                          "user@domain) and password: Set-G5MailSetting -Scope User -Credential (Get-Credential)."
                        : $"Exchange ({endpoint.Host}) did not accept the current Windows sign-in (HTTP 401). Set the user's Exchange account: " +
                          "Set-G5MailSetting -Scope User -Credential (Get-Credential).", target);
                case 403:
                    return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                        $"Exchange refused access to {where} (HTTP 403): EWS may be disabled for '{user ?? "this user"}', or require https " +
                        $"(give Server as a host name or an https:// URL: Set-G5MailSetting -Scope System -Server {endpoint.Host}).", target);
                case 404:
                    return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ObjectNotFound,
                        $"There is no EWS at {where} (HTTP 404). Check Server: the EWS URL is https://<server>/EWS/Exchange.asmx.", target);
                case 413:
                    return new G5MailErrorException(ErrorIds.MessageTooLarge, ErrorKind.LimitsExceeded,
                        $"Exchange ({endpoint.Host}) refused the request of {ErrorText.Megabytes(requestLength)} MB as too large (HTTP 413). EWS accepts " +
                        $"{ErrorText.Megabytes(EwsLimits.DefaultMaxRequestBytes)} MB per request by default, and attachments grow by a third as base64: " +
                        "lower MaxAttachmentSizeMB so Combine splits messages smaller, or ask the Exchange administrator to raise the EWS " +
                        "request limit (maxAllowedContentLength / maxReceivedMessageSize in the EWS web.config).", target);
                case 503:
                    // IIS queues or refuses EWS requests under load with 503 ("EWS throttling in Exchange"): not executed.
                    return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.ResourceUnavailable,
                        $"Exchange ({endpoint.Host}) is not available (HTTP 503). Try again later.", target)
                    {
                        Failure = FailureClassification.HttpStatus(code),
                        Cause = "HTTP 503 Service Unavailable",
                    };
                default:
                    if (code >= 300 && code < 400)
                    {
                        return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError,
                            $"{where} redirects (HTTP {code}) to {location ?? "another address"}, which is not EWS (a login page or another " +
                            "server). Set Server to the EWS URL itself: Set-G5MailSetting -Scope System -Server https://<server>/EWS/Exchange.asmx.", target);
                    }

                    return new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.NotSpecified,
                        $"Exchange ({endpoint.Host}) answered HTTP {code} {status} without an EWS response.", target);
            }
        }


        private static string? FirstErrorText(EwsResponse response)
        {
            foreach (EwsResponseMessage message in response.Messages)
            {
                if (message.IsError)
                {
                    return message.MessageText;
                }
            }

            return null;
        }

        private static string Hint(TimeSpan? backOff) =>
            backOff == null ? string.Empty : $" and asks to wait {backOff.Value.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";

        private static string Where(EwsFault? fault) =>
            fault?.Line != null ? $" (request line {fault.Line}, position {fault.Position})" : string.Empty;

        private static string OneLine(string text) => string.Join(" ", text.Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries)).Trim();
    }

    /// <summary>EWS's default limits on Exchange 2013 and later (the EWS virtual directory's web.config).</summary>
    public static class EwsLimits
    {
        /// <summary>maxAllowedContentLength 67108864 / maxRequestLength 65536 KB: 64 MB per request by default.</summary>
        public const long DefaultMaxRequestBytes = 64L * 1024 * 1024;

        /// <summary>Room for the SOAP envelope, subject, body and recipients around the attachments' base64.</summary>
        public const long EnvelopeAllowance = 64 * 1024;

        /// <summary>The request size of a message whose attachments total <paramref name="attachmentBytes"/>.</summary>
        public static long RequestBytes(long attachmentBytes) => EwsRequestWriter.Base64Length(attachmentBytes) + EnvelopeAllowance;

        /// <summary>The largest MaxAttachmentSizeMB (to 0.1 MB) whose full request fits in <paramref name="limit"/> bytes.</summary>
        public static double LargestFittingMB(long limit)
        {
            long payload = limit - EnvelopeAllowance;
            if (payload <= 0)
            {
                return 0;
            }

            double tenths = Math.Floor(payload / 4.0 * 3 * 10 / Settings.Defaults.BytesPerMB);
            while (tenths > 0 && RequestBytes((long)Math.Round(tenths / 10 * Settings.Defaults.BytesPerMB)) > limit)
            {
                tenths--;
            }

            return tenths / 10;
        }
    }
}
