using System;
using System.Collections.Generic;
using System.Net;
using System.Security;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Security;
using G5Mail.Core.Settings;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>Which API a token is for.</summary>
    public enum TokenAudience
    {
        /// <summary>Microsoft Graph (sendMail, draft messages, applications).</summary>
        Graph,

        /// <summary>Exchange Online SMTP AUTH (XOAUTH2).</summary>
        ExchangeSmtp,
    }

    /// <summary>
    /// The Exchange Online part of the effective settings, checked and resolved once: who signs in (app or user), where
    /// (authority = AuthorityHost + TenantId), and which scopes each API needs. Built from <see cref="SettingValues"/>.
    /// </summary>
    public sealed class ExchangeOnlineOptions
    {
        /// <summary>
        /// The Exchange Online resource for app-only SMTP: "use the scope https://outlook.office365.com/.default" in
        /// "Authenticate an IMAP, POP or SMTP connection using OAuth" (learn.microsoft.com/exchange/client-developer/
        /// legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth), client credentials section.
        /// </summary>
        public const string SmtpAppScope = "https://outlook.office365.com/.default";

        /// <summary>The delegated SMTP permission, same document, "Get an access token" (SMTP AUTH: https://outlook.office.com/SMTP.Send).</summary>
        public const string SmtpDelegatedScope = "https://outlook.office.com/SMTP.Send";

        /// <summary>
        /// Authority hosts of the Microsoft clouds that MSAL knows without asking the network (its known instance metadata):
        /// public (login.microsoftonline.com and aliases), US Government, China (21Vianet) and the retired Germany cloud.
        /// For these MSAL validates the authority itself; any other host (e.g. a test stand-in) is used as given.
        /// </summary>
        private static readonly HashSet<string> MicrosoftCloudHosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net",
            "login.microsoftonline.us", "login.usgovcloudapi.net", "login-us.microsoftonline.com",
            "login.chinacloudapi.cn", "login.partner.microsoftonline.cn",
            "login.microsoftonline.de",
        };

        private ExchangeOnlineOptions(Guid clientId, string tenantId, AuthenticationFlow flow, ExchangeOnlineProtocol protocol,
            Uri authorityHost, Uri graphEndpoint, SecureString? clientSecret, NetworkCredential? user, string? from, TimeSpan timeout)
        {
            Timeout = timeout;
            ClientId = clientId;
            TenantId = tenantId;
            Flow = flow;
            Protocol = protocol;
            AuthorityHost = authorityHost;
            GraphEndpoint = graphEndpoint;
            ClientSecret = clientSecret;
            User = user;
            From = from;
        }

        public Guid ClientId { get; }
        public string TenantId { get; }
        public AuthenticationFlow Flow { get; }
        public ExchangeOnlineProtocol Protocol { get; }

        /// <summary>e.g. https://login.microsoftonline.com (no path).</summary>
        public Uri AuthorityHost { get; }

        /// <summary>e.g. https://graph.microsoft.com (no path).</summary>
        public Uri GraphEndpoint { get; }

        /// <summary>The app's secret (ClientSecret flow); never shown anywhere.</summary>
        internal SecureString? ClientSecret { get; }

        /// <summary>The user who signs in (UsernamePassword flow): the User-scope Credential.</summary>
        internal NetworkCredential? User { get; }

        /// <summary>The mailbox to send as.</summary>
        public string? From { get; }

        public bool IsAppOnly => Flow == AuthenticationFlow.ClientSecret;

        /// <summary>
        /// TimeoutSeconds: the bound on each request to Entra ID and Graph (connect, TLS handshake, the wait for the answer),
        /// so a silent endpoint costs seconds, not HttpClient's default 100 s per request.
        /// </summary>
        public TimeSpan Timeout { get; }

        /// <summary>The user name of the ROPC credential (null for the ClientSecret flow).</summary>
        public string? UserName => User?.UserName;

        /// <summary>https://{AuthorityHost}/{TenantId}: tenant-specific, as the client credentials flow and ROPC require.</summary>
        public Uri Authority => new Uri(AuthorityHost.GetLeftPart(UriPartial.Authority) + "/" + Uri.EscapeDataString(TenantId));

        /// <summary>
        /// Instance discovery (authority validation) stays on for the Microsoft clouds MSAL knows, so a mistyped
        /// authority is caught there without a network call. For any other host MSAL would ask login.microsoftonline.com
        /// about it, which fails for private hosts and offline networks, so discovery is off and the authority is used
        /// exactly as configured (the AuthorityHost setting must be https, see SettingsValidator).
        /// </summary>
        public bool UseInstanceDiscovery => IsMicrosoftCloudHost(AuthorityHost.Host);

        public static bool IsMicrosoftCloudHost(string host) => MicrosoftCloudHosts.Contains(host);

        /// <summary>The Graph base, e.g. https://graph.microsoft.com (the App ID URI that names Graph in scopes).</summary>
        public string GraphResource => GraphEndpoint.GetLeftPart(UriPartial.Authority);

        /// <summary>
        /// Scopes for a token. App-only: the resource's "/.default" (the client credentials flow takes nothing else; the token
        /// carries every application permission granted). Delegated: the one permission sending needs; Entra puts every
        /// consented permission of that resource into the token anyway, so Mail.ReadWrite (upload path) comes along when
        /// consented, and asking only for Mail.Send does not fail for tenants that never consented Mail.ReadWrite.
        /// </summary>
        public IReadOnlyList<string> ScopesFor(TokenAudience audience)
        {
            if (audience == TokenAudience.Graph)
            {
                return new[] { IsAppOnly || ReadsMailbox ? GraphResource + "/.default" : GraphResource + "/" + GraphPermissions.MailSend };
            }

            return new[] { IsAppOnly ? SmtpAppScope : SmtpDelegatedScope };
        }

        /// <summary>
        /// For reading the mailbox (Receive-G5Mail, Get-G5DeliveryReport): a delegated token is asked for "/.default", every
        /// Graph permission consented for the app ("Scopes and permissions in the Microsoft identity platform", the .default
        /// scope, learn.microsoft.com/entra/identity-platform/scopes-oidc). Asking for Mail.Send would fail for an app that
        /// may only read, and asking for Mail.Read for one consented Mail.ReadWrite; Graph then decides per call.
        /// </summary>
        public bool ReadsMailbox { get; private set; }

        /// <summary>The Graph mailbox path: /users/{From} for app-only tokens, /me for a signed-in user.</summary>
        public string MailboxPath => IsAppOnly ? "users/" + Uri.EscapeDataString(From ?? string.Empty) : "me";

        /// <summary>
        /// Reads and checks the Exchange Online settings. Throws SettingsIncomplete naming the first missing setting
        /// (SettingsFindings reports all of them before this is reached in the cmdlets).
        /// </summary>
        /// <param name="requireFrom">False for calls that need no mailbox (reading the app's secrets).</param>
        /// <param name="flow">Sign in this way whatever AuthenticationFlow says (Get-G5SecretExpiry always signs in as the app).</param>
        /// <param name="readsMailbox">For reading the mailbox: see <see cref="ReadsMailbox"/>.</param>
        public static ExchangeOnlineOptions FromSettings(SettingValues settings, bool requireFrom = true, AuthenticationFlow? flow = null, bool readsMailbox = false)
        {
            if (settings == null)
            {
                throw new ArgumentNullException(nameof(settings));
            }

            Guid clientId = settings.ClientId ?? throw Missing("ClientId",
                "Exchange Online needs the app's Application (client) ID: Set-G5MailSetting -Scope System -ClientId <guid>.");
            string tenant = string.IsNullOrWhiteSpace(settings.TenantId) ? throw Missing("TenantId",
                "Exchange Online needs the Directory (tenant) ID or a verified domain: Set-G5MailSetting -Scope System -TenantId <guid or domain>.") : settings.TenantId!.Trim();
            AuthenticationFlow effectiveFlow = flow ?? settings.AuthenticationFlow ?? Defaults.Flow;
            SecureString? secret = null;
            NetworkCredential? user = null;
            if (effectiveFlow == AuthenticationFlow.ClientSecret)
            {
                secret = settings.ClientSecret != null && settings.ClientSecret.Length > 0 ? settings.ClientSecret : throw Missing("ClientSecret",
                    "The ClientSecret flow needs the client secret's value: Set-G5MailSetting -Scope System -ClientSecret (Read-Host -AsSecureString).");
            }
            else
            {
                user = settings.Credential != null && !string.IsNullOrEmpty(settings.Credential.UserName) ? AsTyped(settings.Credential) : throw Missing("Credential",
                    "The UsernamePassword flow signs in as the user: Set-G5MailSetting -Scope User -Credential (Get-Credential).");
            }

            if (requireFrom && string.IsNullOrWhiteSpace(settings.From))
            {
                throw Missing("From", "Exchange Online needs the mailbox to send as: Set-G5MailSetting -From sender@example.com.");
            }

            string? from = null;
            if (!string.IsNullOrWhiteSpace(settings.From))
            {
                from = MailAddresses.TryParseMailbox(settings.From!, out MimeKit.MailboxAddress mailbox) ? mailbox.Address : settings.From!.Trim();
            }

            return new ExchangeOnlineOptions(clientId, tenant, effectiveFlow, settings.ExchangeOnlineProtocol ?? Defaults.Protocol,
                HostOnly(settings.AuthorityHost ?? Defaults.AuthorityHost), HostOnly(settings.GraphEndpoint ?? Defaults.GraphEndpoint),
                secret, user, from, TimeSpan.FromSeconds(settings.TimeoutSeconds ?? Defaults.TimeoutSeconds))
            {
                ReadsMailbox = readsMailbox,
            };
        }

        /// <summary>
        /// The user name exactly as configured: ROPC sends it to Entra ID as is, so a DOMAIN\user that PSCredential's
        /// GetNetworkCredential split into Domain and UserName is joined again rather than losing its domain.
        /// </summary>
        private static NetworkCredential AsTyped(NetworkCredential credential) =>
            string.IsNullOrEmpty(credential.Domain) ? credential : new NetworkCredential(Security.AccountNames.UserNameOf(credential), credential.SecurePassword);

        private static Uri HostOnly(Uri uri) => new Uri(uri.GetLeftPart(UriPartial.Authority));

        private static G5MailErrorException Missing(string setting, string message) =>
            new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation, message, setting);
    }
}
