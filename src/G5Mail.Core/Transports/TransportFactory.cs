using System;
using System.Runtime.InteropServices;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Security;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Exchange;
using G5Mail.Core.Transports.ExchangeOnline;
using G5Mail.Core.Transports.Outlook;
using G5Mail.Core.Transports.Smtp;

namespace G5Mail.Core.Transports
{
    /// <summary>Chooses the transport for the effective settings' Method.</summary>
    public static class TransportFactory
    {
        public static CertificatePolicy CreateCertificatePolicy(SettingValues settings)
        {
            return new CertificatePolicy(settings.CertificateThumbprint, settings.SkipCertificateCheck ?? Defaults.SkipCertificateCheck);
        }

        /// <param name="outlookAction">What Outlook does with each message (-Display, -SaveAsDraft); other methods only Send.</param>
        public static IMessageTransport Create(SettingValues settings, IRunLog log, Outlook.OutlookAction outlookAction = Outlook.OutlookAction.Send)
        {
            WarnIgnoredOverrides(settings, log);
            return Create(settings, log, outlookAction, null, new SmtpServerMemory());
        }

        /// <summary>Once per run: certificate overrides that Exchange Online does not honour.</summary>
        private static void WarnIgnoredOverrides(SettingValues settings, IRunLog log)
        {
            if (settings.Method == MailMethod.ExchangeOnline && (settings.SkipCertificateCheck == true || settings.CertificateThumbprint != null))
            {
                log.Warning("CertificateThumbprint and SkipCertificateCheck are ignored for Exchange Online: the connection carries an access token, "
                            + "so the server's certificate is always validated against the system's trusted roots.");
            }
        }

        /// <summary>
        /// Creates transports for one pipeline, one per call (a pipeline with -ThrottleLimit N calls it up to N times, one
        /// per connection). Exchange Online transports made by one factory share one token provider, so the pipeline
        /// still asks Entra ID for one token however many connections it opens.
        /// </summary>
        public static Func<IMessageTransport> CreateFactory(SettingValues settings, IRunLog log, Outlook.OutlookAction outlookAction = Outlook.OutlookAction.Send)
        {
            var gate = new object();
            EntraTokenProvider? shared = null;
            EntraTokenProvider Tokens(ExchangeOnlineOptions options)
            {
                lock (gate)
                {
                    return shared ??= new EntraTokenProvider(options, log);
                }
            }

            WarnIgnoredOverrides(settings, log);
            var memory = new SmtpServerMemory(); // what one connection learns about the SMTP server, the next one knows
            return () => Create(settings, log, outlookAction, Tokens, memory);
        }

        private static IMessageTransport Create(SettingValues settings, IRunLog log, Outlook.OutlookAction outlookAction,
            Func<ExchangeOnlineOptions, EntraTokenProvider>? tokens, SmtpServerMemory memory)
        {
            MailMethod method = settings.Method ?? throw new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation,
                "No mail method is set. Choose one with: Set-G5MailSetting -Scope System -Method Smtp|ExchangeOnline|Exchange|Outlook", "Method");
            switch (method)
            {
                case MailMethod.Smtp:
                    return CreateSmtp(settings, log, memory);
                case MailMethod.Exchange:
                    return CreateExchange(settings, log);
                case MailMethod.ExchangeOnline:
                    return CreateExchangeOnline(settings, log, tokens, memory);
                case MailMethod.Outlook:
                    return Outlook.OutlookTransport.Create(outlookAction, log);
                default:
                    throw new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.NotImplemented,
                        $"The {method} method is not available in this version of G5Mail. Use -Method Smtp.", "Method");
            }
        }

        /// <summary>
        /// Exchange Online: one token provider (one MSAL application, one token) for the whole pipeline, then Graph sendMail
        /// or SMTP AUTH with XOAUTH2 (smtp.office365.com:587 STARTTLS unless Server/Port say otherwise) per ExchangeOnlineProtocol.
        /// </summary>
        private static IMessageTransport CreateExchangeOnline(SettingValues settings, IRunLog log, Func<ExchangeOnlineOptions, EntraTokenProvider>? shared,
            SmtpServerMemory memory)
        {
            ExchangeOnlineOptions options = ExchangeOnlineOptions.FromSettings(settings);
            EntraTokenProvider tokens = shared != null ? shared(options) : new EntraTokenProvider(options, log);
            if (options.Protocol == ExchangeOnlineProtocol.Graph)
            {
                return new GraphTransport(options, tokens, log);
            }

            // A bearer token must never reach a server whose certificate was not verified: CertificateThumbprint and
            // SkipCertificateCheck are for self-signed on-premises relays, not for Exchange Online (see WarnIgnoredOverrides).
            var smtp = new SmtpTransportOptions(SmtpEndpoint.Resolve(settings), new CertificatePolicy(null, false))
            {
                TokenSource = new ExchangeSmtpTokenSource(tokens, options),
                Timeout = TimeoutOf(settings),
                Memory = memory,
            };
            return new SmtpTransport(smtp, log);
        }

        /// <summary>
        /// Creates calendar transports for one Sync-G5Activity pipeline, one per call (one per connection): .ics files for
        /// -IcsDirectory; for Method Smtp iMIP invitations through the SMTP transport; for ExchangeOnline events through
        /// Microsoft Graph (whatever ExchangeOnlineProtocol says: SMTP cannot write a calendar), the pipeline's transports
        /// sharing one token provider; for Exchange calendar items through EWS; for Outlook appointments in the profile's
        /// default calendar.
        /// </summary>
        public static Func<ICalendarTransport> CreateCalendarFactory(SettingValues settings, IRunLog log, string? icsDirectory, bool inviteAttendees = false)
        {
            if (icsDirectory != null)
            {
                return () => new Drafts.IcsFileWriter(icsDirectory, settings.From);
            }

            MailMethod method = settings.Method ?? throw new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation,
                "No mail method is set. Choose one with: Set-G5MailSetting -Scope System -Method Smtp|ExchangeOnline|Exchange|Outlook", "Method");
            switch (method)
            {
                case MailMethod.Smtp:
                    var memory = new SmtpServerMemory();
                    return () => new SmtpInvitationTransport((SmtpTransport)CreateSmtp(settings, log, memory), settings.From);
                case MailMethod.ExchangeOnline:
                    WarnIgnoredOverrides(settings, log);
                    ExchangeOnlineOptions online = ExchangeOnlineOptions.FromSettings(settings);
                    var gate = new object();
                    EntraTokenProvider? shared = null;
                    return () =>
                    {
                        lock (gate)
                        {
                            shared ??= new EntraTokenProvider(online, log);
                        }

                        return new GraphCalendarTransport(online, shared, log, inviteAttendees);
                    };
                case MailMethod.Exchange:
                    return () => new EwsCalendarTransport(EwsOptions(settings), log, inviteAttendees);
                case MailMethod.Outlook:
                    OutlookCalendarTransport.CheckPlatform(); // once, before any activity: not per activity
                    return () => OutlookCalendarTransport.Create(log, inviteAttendees);
                default:
                    throw new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.NotImplemented,
                        $"Sync-G5Activity cannot write calendars with the {method} method. Use -IcsDirectory to write .ics files.", "Method");
            }
        }

        /// <summary>The TimeoutSeconds setting: the bound of each network step of every method.</summary>
        public static TimeSpan TimeoutOf(SettingValues settings) => TimeSpan.FromSeconds(settings.TimeoutSeconds ?? Defaults.TimeoutSeconds);

        private static IMessageTransport CreateExchange(SettingValues settings, IRunLog log) => new EwsTransport(EwsOptions(settings), log);

        /// <param name="mailbox">Whose mailbox: the From setting unless the caller names another (Receive-G5Mail -Mailbox).</param>
        internal static EwsTransportOptions EwsOptions(SettingValues settings, string? mailbox = null) =>
            new EwsTransportOptions(EwsEndpoint.Resolve(settings), CreateCertificatePolicy(settings))
            {
                Credential = settings.Credential,
                Timeout = TimeoutOf(settings),
                Mailbox = mailbox ?? settings.From,
            };

        private static IMessageTransport CreateSmtp(SettingValues settings, IRunLog log, SmtpServerMemory memory)
        {
            var options = new SmtpTransportOptions(SmtpEndpoint.Resolve(settings), CreateCertificatePolicy(settings))
            {
                Credential = settings.Credential,
                Timeout = TimeoutOf(settings),
                Memory = memory,
            };
            return new SmtpTransport(options, log);
        }
    }
}
