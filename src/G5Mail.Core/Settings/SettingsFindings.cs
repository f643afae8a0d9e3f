using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Settings
{
    /// <summary>Stable codes of the cross-field findings (scripts may match on them).</summary>
    public static class FindingCodes
    {
        public const string MethodMissing = "MethodMissing";
        public const string ServerMissing = "ServerMissing";
        public const string ServerUrlNotExchange = "ServerUrlNotExchange";
        public const string ClientIdMissing = "ClientIdMissing";
        public const string TenantIdMissing = "TenantIdMissing";
        public const string ClientSecretMissing = "ClientSecretMissing";
        public const string CredentialMissing = "CredentialMissing";
        public const string FromMissing = "FromMissing";
        public const string Port25WithSsl = "Port25WithSsl";
        public const string Port587WithoutSsl = "Port587WithoutSsl";
        public const string Port465WithoutSsl = "Port465WithoutSsl";
        public const string UsernamePasswordFlow = "UsernamePasswordFlow";
        public const string OutlookNotAvailable = "OutlookNotAvailable";
        public const string SkipCertificateCheck = "SkipCertificateCheck";
        public const string ClientSecretExpiringSoon = "ClientSecretExpiringSoon";
        public const string ClientSecretExpired = "ClientSecretExpired";
        public const string CopyToSelfIgnored = "CopyToSelfIgnored";
        public const string SmtpBasicAuthRetiring = "SmtpBasicAuthRetiring";
        public const string EwsRetiring = "EwsRetiring";
        public const string CombineDocumentTypesIgnored = "CombineDocumentTypesIgnored";
    }

    /// <summary>
    /// Cross-field checks of the effective settings. Set-G5MailSetting reports them as warnings; Send-G5Document and
    /// Test-G5MailServer refuse to run while an Error-severity finding remains (<see cref="EnsureComplete"/>).
    /// </summary>
    public static class SettingsFindings
    {
        /// <summary>A client secret expiring within this many days gives a warning.</summary>
        public const int SecretExpiryWarningDays = 30;

        public static IReadOnlyList<Finding> Evaluate(SettingValues effective, IReadOnlyDictionary<string, SettingSource> sources) =>
            Evaluate(effective, sources, RuntimeInformation.IsOSPlatform(OSPlatform.Windows), DateTime.UtcNow);

        internal static IReadOnlyList<Finding> Evaluate(SettingValues s, IReadOnlyDictionary<string, SettingSource> sources,
            bool isWindows, DateTime utcNow)
        {
            var findings = new List<Finding>();
            void Add(FindingSeverity severity, string code, string? setting, string message) =>
                findings.Add(new Finding(severity, code, setting, message));

            MailMethod? method = s.Method;
            int port = s.Port ?? Defaults.Port;
            bool useSsl = s.UseSsl ?? Defaults.UseSsl;
            AuthenticationFlow flow = s.AuthenticationFlow ?? Defaults.Flow;
            ExchangeOnlineProtocol protocol = s.ExchangeOnlineProtocol ?? Defaults.Protocol;
            bool serverIsUrl = s.Server != null && s.Server.IndexOf("://", StringComparison.Ordinal) >= 0;

            if (method is null)
            {
                Add(FindingSeverity.Error, FindingCodes.MethodMissing, "Method",
                    "No sending method is set: Set-G5MailSetting -Scope System -Method Smtp|ExchangeOnline|Exchange|Outlook.");
            }

            // Smtp and Exchange name their server; ExchangeOnline knows its endpoints and Outlook uses its profile.
            if ((method == MailMethod.Smtp || method == MailMethod.Exchange) && string.IsNullOrEmpty(s.Server))
            {
                string example = method == MailMethod.Smtp ? "mail.example.com" : "mail.example.com (or the EWS URL: Set-G5MailSetting -Server https://mail.example.com/EWS/Exchange.asmx)";
                Add(FindingSeverity.Error, FindingCodes.ServerMissing, "Server",
                    $"Method {method} needs a server: Set-G5MailSetting -Server {example}.");
            }

            if (serverIsUrl && method != null && method != MailMethod.Exchange)
            {
                Add(FindingSeverity.Error, FindingCodes.ServerUrlNotExchange, "Server",
                    $"Server '{s.Server}' is a URL, which only Method Exchange (EWS) accepts; for {method} give a host name or IP address.");
            }

            if (method == MailMethod.ExchangeOnline)
            {
                if (s.ClientId is null)
                {
                    Add(FindingSeverity.Error, FindingCodes.ClientIdMissing, "ClientId",
                        "Exchange Online needs the app's Application (client) ID: Set-G5MailSetting -Scope System -ClientId <guid>.");
                }

                if (string.IsNullOrEmpty(s.TenantId))
                {
                    Add(FindingSeverity.Error, FindingCodes.TenantIdMissing, "TenantId",
                        "Exchange Online needs the Directory (tenant) ID or a verified domain: Set-G5MailSetting -Scope System -TenantId <guid or domain>.");
                }

                if (flow == AuthenticationFlow.ClientSecret && (s.ClientSecret is null || s.ClientSecret.Length == 0))
                {
                    Add(FindingSeverity.Error, FindingCodes.ClientSecretMissing, "ClientSecret",
                        "The ClientSecret flow needs the client secret's value: Set-G5MailSetting -Scope System -ClientSecret (Read-Host -AsSecureString).");
                }

                if (flow == AuthenticationFlow.UsernamePassword)
                {
                    // ROPC signs in as the user: the System credential is the SMTP account and is not used here.
                    if (s.Credential is null || Source(sources, "Credential") != SettingSource.User)
                    {
                        Add(FindingSeverity.Error, FindingCodes.CredentialMissing, "Credential",
                            "The UsernamePassword flow signs in as the user: Set-G5MailSetting -Scope User -Credential (Get-Credential).");
                    }

                    Add(FindingSeverity.Warning, FindingCodes.UsernamePasswordFlow, "AuthenticationFlow",
                        "The UsernamePassword flow (ROPC) fails for accounts with multi-factor authentication or Conditional Access "
                        + "and Microsoft advises against it; prefer -AuthenticationFlow ClientSecret.");
                }
            }

            if (string.IsNullOrEmpty(s.From) && method != null && method != MailMethod.Outlook)
            {
                // EWS sends as the signed-in mailbox when no sender is given; the other methods need one.
                var severity = method == MailMethod.Exchange ? FindingSeverity.Warning : FindingSeverity.Error;
                string consequence = method == MailMethod.Exchange
                    ? "messages are sent as the Credential's mailbox"
                    : $"Method {method} needs a sender";
                Add(severity, FindingCodes.FromMissing, "From",
                    $"From is not set ({consequence}): Set-G5MailSetting -From sender@example.com.");
            }

            bool smtpTransport = method == MailMethod.Smtp
                || (method == MailMethod.ExchangeOnline && protocol == ExchangeOnlineProtocol.Smtp);
            if (smtpTransport || method is null)
            {
                if (port == 25 && useSsl)
                {
                    Add(FindingSeverity.Warning, FindingCodes.Port25WithSsl, "Port",
                        "Port 25 with UseSsl: did you mean 587? Port 25 is server-to-server relay; encrypted submission uses 587 (STARTTLS).");
                }

                if (port == 587 && !useSsl)
                {
                    Add(FindingSeverity.Warning, FindingCodes.Port587WithoutSsl, "UseSsl",
                        "Port 587 without UseSsl: submission servers expect STARTTLS there; set -UseSsl.");
                }

                if (port == 465 && !useSsl)
                {
                    Add(FindingSeverity.Warning, FindingCodes.Port465WithoutSsl, "UseSsl",
                        "Port 465 without UseSsl: 465 is TLS from the first byte; set -UseSsl or use port 587.");
                }
            }

            if (method == MailMethod.Outlook && !isWindows)
            {
                // A warning, not an error: the settings are complete, the platform is what cannot send. Send-G5Document
                // then reports MethodNotSupported per message, and -DraftDirectory still works here.
                Add(FindingSeverity.Warning, FindingCodes.OutlookNotAvailable, "Method",
                    "Method Outlook needs classic Outlook on Windows; on this platform use Smtp, Exchange or ExchangeOnline, "
                    + "or write Outlook-ready drafts with Send-G5Document -DraftDirectory <folder>.");
            }

            if (method == MailMethod.Outlook && (s.SendCopyToSelf ?? Defaults.SendCopyToSelf) != CopyToSelf.None)
            {
                Add(FindingSeverity.Information, FindingCodes.CopyToSelfIgnored, "SendCopyToSelf",
                    "SendCopyToSelf applies to server-based methods only; Outlook keeps its copy in Sent Items.");
            }

            if (s.CombineDocumentTypes != null && s.CombineDocuments != true)
            {
                // Information only: Send-G5Document -Combine turns combining on for one call, and then the list applies.
                Add(FindingSeverity.Information, FindingCodes.CombineDocumentTypesIgnored, "CombineDocumentTypes",
                    "CombineDocumentTypes says which document types may share a message, but only when documents are combined: "
                    + "Set-G5MailSetting -CombineDocuments (or Send-G5Document -Combine).");
            }

            if (s.SkipCertificateCheck == true)
            {
                Add(FindingSeverity.Warning, FindingCodes.SkipCertificateCheck, "SkipCertificateCheck",
                    "SkipCertificateCheck accepts any server certificate, so a man in the middle can read mail and passwords; "
                    + "prefer -CertificateThumbprint to trust exactly the server's certificate.");
            }

            if (method == MailMethod.Smtp && s.Credential != null && MicrosoftRetirements.IsExchangeOnlineSmtpHost(s.Server))
            {
                // A warning on both sides of the date: it is off by default, but a tenant's administrator may still turn it
                // back on until Microsoft removes it for good, so sending is not refused here; the server will say.
                bool off = utcNow >= MicrosoftRetirements.SmtpBasicAuthOff;
                Add(FindingSeverity.Warning, FindingCodes.SmtpBasicAuthRetiring, "Method",
                    $"{s.Server} is Exchange Online, where SMTP AUTH with a password (Basic authentication) is "
                    + (off ? "switched off by default since the end of December 2026 (unless the tenant's administrator turned it back on, "
                             + "the login fails with AuthenticationFailed)"
                           : "switched off by default at the end of December 2026")
                    + " (Microsoft, 2026-01-27); send with OAuth instead: "
                    + "Set-G5MailSetting -Scope System -Method ExchangeOnline -ClientId <guid> -TenantId <guid or domain> -ClientSecret (Read-Host -AsSecureString).");
            }

            if (method == MailMethod.Exchange && MicrosoftRetirements.IsExchangeOnlineEwsHost(s.Server))
            {
                bool off = utcNow >= MicrosoftRetirements.EwsShutOff;
                Add(off ? FindingSeverity.Error : FindingSeverity.Warning, FindingCodes.EwsRetiring, "Method",
                    $"{s.Server} is EWS in Exchange Online, which Microsoft blocks per tenant from 2026-10-01 and "
                    + (off ? "shut off on 2027-04-01" : "shuts off on 2027-04-01")
                    + "; send through Microsoft Graph instead: "
                    + "Set-G5MailSetting -Scope System -Method ExchangeOnline -ClientId <guid> -TenantId <guid or domain> -ClientSecret (Read-Host -AsSecureString).");
            }

            if (s.ClientSecretExpiresOn is DateTime expires)
            {
                DateTime expiresUtc = expires.Kind == DateTimeKind.Utc ? expires : expires.ToUniversalTime();
                double daysLeft = (expiresUtc - utcNow).TotalDays;
                bool inUse = method == MailMethod.ExchangeOnline && flow == AuthenticationFlow.ClientSecret;
                string when = expiresUtc.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
                if (daysLeft < 0)
                {
                    // Blocks sending only when the secret is what signs in.
                    Add(inUse ? FindingSeverity.Error : FindingSeverity.Warning, FindingCodes.ClientSecretExpired, "ClientSecretExpiresOn",
                        $"The client secret expired on {when}: create a new secret for the app and run Set-G5MailSetting -Scope System -ClientSecret … -ClientSecretExpiresOn ….");
                }
                else if (daysLeft <= SecretExpiryWarningDays)
                {
                    Add(FindingSeverity.Warning, FindingCodes.ClientSecretExpiringSoon, "ClientSecretExpiresOn",
                        $"The client secret expires on {when} ({(int)Math.Floor(daysLeft)} days left): create a new secret and set it before then.");
                }
            }

            return findings;
        }

        /// <summary>True when no finding has Error severity.</summary>
        public static bool IsComplete(IEnumerable<Finding> findings) => findings.All(f => f.Severity != FindingSeverity.Error);

        /// <summary>
        /// For Send-G5Document and Test-G5MailServer: throws SettingsIncomplete listing every Error-severity finding
        /// (and the settings problems, such as a secret that could not be decrypted, that may explain them).
        /// </summary>
        public static void EnsureComplete(IEnumerable<Finding> findings, IEnumerable<SettingsProblem>? problems = null)
        {
            var errors = findings.Where(f => f.Severity == FindingSeverity.Error).ToList();
            if (errors.Count == 0)
            {
                return;
            }

            string message = "The mail settings are incomplete: " + string.Join(" ", errors.Select(f => f.Message));
            var related = (problems ?? Enumerable.Empty<SettingsProblem>()).Where(p => p.Severity == FindingSeverity.Error).ToList();
            if (related.Count > 0)
            {
                message += " Also: " + string.Join(" ", related.Select(p => p.Message));
            }

            throw new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation, message, errors[0].Setting);
        }

        private static SettingSource Source(IReadOnlyDictionary<string, SettingSource> sources, string name) =>
            sources.TryGetValue(name, out SettingSource source) ? source : SettingSource.Default;
    }
}
