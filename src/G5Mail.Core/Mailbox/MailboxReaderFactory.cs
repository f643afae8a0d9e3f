using System;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using G5Mail.Core.Transports.Exchange;

namespace G5Mail.Core.Mailbox
{
    /// <summary>Chooses the mailbox reader for the effective settings' Method (Receive-G5Mail, Get-G5DeliveryReport).</summary>
    public static class MailboxReaderFactory
    {
        /// <param name="mailbox">-Mailbox: whose mailbox (Graph, EWS); null = the settings' From.</param>
        public static IMailboxReader Create(SettingValues settings, IRunLog log, string? mailbox)
        {
            MailMethod method = settings.Method ?? throw new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation,
                "No mail method is set. Choose one with: Set-G5MailSetting -Scope System -Method Smtp|ExchangeOnline|Exchange|Outlook", "Method");
            string? owner = string.IsNullOrWhiteSpace(mailbox) ? settings.From : mailbox!.Trim();
            switch (method)
            {
                case MailMethod.Smtp:
                    return new Transports.Imap.ImapMailboxReader(new Transports.Imap.ImapReaderOptions(
                        Transports.Imap.ImapEndpoint.Resolve(settings), Transports.TransportFactory.CreateCertificatePolicy(settings))
                    {
                        Credential = settings.Credential,
                        Timeout = Transports.TransportFactory.TimeoutOf(settings),
                    }, log);
                case MailMethod.ExchangeOnline:
                    return Transports.ExchangeOnline.GraphMailboxReader.Create(settings, log, owner);
                case MailMethod.Exchange:
                    return new EwsMailboxReader(TransportFactory.EwsOptions(settings, owner), log, owner);
                case MailMethod.Outlook:
                    return Transports.Outlook.OutlookMailboxReader.Create(log, string.IsNullOrWhiteSpace(mailbox) ? null : mailbox!.Trim());
                default:
                    throw NotYet(method);
            }
        }

        private static G5MailErrorException NotYet(MailMethod method) =>
            new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.NotImplemented,
                $"Reading a mailbox with the {method} method is not available in this version of G5Mail.", "Method");
    }
}
