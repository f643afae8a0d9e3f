using System;

namespace G5Mail.Core.Settings
{
    /// <summary>
    /// Microsoft 365 services G5Mail's methods depend on that Microsoft is retiring, with the dates it announced, so
    /// Get-G5MailSetting and Test-G5MailServer can warn before a nightly run stops working.
    /// </summary>
    internal static class MicrosoftRetirements
    {
        /// <summary>
        /// SMTP AUTH with Basic authentication is disabled by default for existing Exchange Online tenants at the end
        /// of December 2026 (an administrator may still enable it; the final removal date is to be announced in the
        /// second half of 2027). Source: Exchange Team, "Updated Exchange Online SMTP AUTH Basic Authentication
        /// Deprecation Timeline", 2026-01-27,
        /// https://techcommunity.microsoft.com/blog/exchange/updated-exchange-online-smtp-auth-basic-authentication-deprecation-timeline/4489835
        /// (Message Center MC786329).
        /// </summary>
        public static readonly DateTime SmtpBasicAuthOff = new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        /// <summary>
        /// EWS in Exchange Online: blocked from 2026-10-01 for tenants that have not set EWSEnabled with an app allow
        /// list, permanently shut off on 2027-04-01 with no exceptions. Exchange Server on-premises is not affected.
        /// Source: Microsoft 365 Message Center MC1227454 "Deprecation of Exchange Web Services in Exchange Online"
        /// (2026-02), and the Exchange Team blog on EWSAllowedAppIDs (2026-06).
        /// </summary>
        public static readonly DateTime EwsBlocked = new DateTime(2026, 10, 1, 0, 0, 0, DateTimeKind.Utc);

        /// <summary>See <see cref="EwsBlocked"/>.</summary>
        public static readonly DateTime EwsShutOff = new DateTime(2027, 4, 1, 0, 0, 0, DateTimeKind.Utc);

        /// <summary>
        /// Exchange Online's SMTP submission host (smtp.office365.com) or any host in outlook.com / office365.com,
        /// the domains Microsoft serves it under (e.g. smtp-mail.outlook.com). Whole labels only, so
        /// smtp.office365.com.example.net or notoffice365.com do not match.
        /// </summary>
        public static bool IsExchangeOnlineSmtpHost(string? server)
        {
            string? host = HostOf(server);
            return host != null && (InDomain(host, "office365.com") || InDomain(host, "outlook.com"));
        }

        /// <summary>Exchange Online's EWS host (outlook.office365.com, also served as outlook.office.com).</summary>
        public static bool IsExchangeOnlineEwsHost(string? server)
        {
            string? host = HostOf(server);
            return host != null && (host == "outlook.office365.com" || host == "outlook.office.com");
        }

        /// <summary>The host name of a Server value (a host name, or an EWS URL), lower case without a final dot.</summary>
        private static string? HostOf(string? server)
        {
            if (string.IsNullOrWhiteSpace(server))
            {
                return null;
            }

            string host = server!.Trim();
            if (host.IndexOf("://", StringComparison.Ordinal) >= 0)
            {
                if (!Uri.TryCreate(host, UriKind.Absolute, out Uri? uri))
                {
                    return null;
                }

                host = uri.Host;
            }

            return host.TrimEnd('.').ToLowerInvariant();
        }

        private static bool InDomain(string host, string domain) =>
            host == domain || host.EndsWith("." + domain, StringComparison.Ordinal);
    }
}
