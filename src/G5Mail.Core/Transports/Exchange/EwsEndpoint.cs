using System;
using System.Globalization;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Smtp;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>
    /// Where the EWS requests go: https://{Server}:{Port or 443}/EWS/Exchange.asmx, or Server itself when it is a full
    /// URL. EWS is an https service (Exchange requires SSL on its EWS virtual directory by default), so a host name
    /// means https whatever UseSsl says; plain http only with an explicit http:// URL, which <see cref="Warning"/>
    /// explains, and credentials then only ever go to this computer itself (<see cref="MaySendCredentials"/>).
    /// </summary>
    public sealed class EwsEndpoint
    {
        /// <summary>The path of EWS on every Exchange server since 2007 (the "EWS" IIS virtual directory).</summary>
        public const string DefaultPath = "/EWS/Exchange.asmx";

        private EwsEndpoint(Uri url, bool fromUrlSetting)
        {
            Url = url;
            FromUrlSetting = fromUrlSetting;
        }

        public Uri Url { get; }

        public string Host => Url.Host;

        /// <summary>The host as TcpReachability takes it (IPv6 addresses without brackets).</summary>
        public string DnsHost => Url.DnsSafeHost;

        public int Port => Url.Port;

        public bool IsHttps => Url.Scheme == Uri.UriSchemeHttps;

        /// <summary>True when Server was a whole URL (then Port and UseSsl do not apply).</summary>
        public bool FromUrlSetting { get; }

        public bool IsLoopback => SmtpEndpoint.IsLoopbackHost(Url.Host);

        /// <summary>A password (or a Windows sign-in) goes only over TLS, or over http to this computer itself.</summary>
        public bool MaySendCredentials => IsHttps || IsLoopback;

        /// <summary>What to tell the user about an unencrypted endpoint; null for https.</summary>
        public string? Warning => IsHttps
            ? null
            : $"Server is an http:// URL, so G5Mail talks to Exchange over plain http ({Url.GetLeftPart(UriPartial.Authority)}): messages and " +
              "attachments travel unencrypted" + (IsLoopback ? "." : ", and G5Mail will not sign in over it.") +
              $" Exchange Web Services normally require https: Set-G5MailSetting -Scope System -Server {Url.Host}";

        public override string ToString() => Url.AbsoluteUri;

        public static EwsEndpoint Resolve(SettingValues effective)
        {
            return Resolve(effective.Server, effective.Port ?? Defaults.Port);
        }

        public static EwsEndpoint Resolve(string? server, int port)
        {
            string value = server?.Trim() ?? string.Empty;
            if (value.Length == 0)
            {
                throw new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation,
                    "No Exchange server is set. Set one with: Set-G5MailSetting -Scope System -Server mail.example.com " +
                    "(or the whole EWS URL, https://mail.example.com/EWS/Exchange.asmx).", "Server");
            }

            if (value.IndexOf("://", StringComparison.Ordinal) >= 0)
            {
                if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp) ||
                    url.Host.Length == 0 || url.UserInfo.Length > 0)
                {
                    throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                        $"Server '{value}' is not an EWS URL. Use https://mail.example.com/EWS/Exchange.asmx, or just the host name.", "Server");
                }

                // A bare "https://mail.example.com" means the server: EWS lives at its standard path there.
                if (url.AbsolutePath == "/" && url.Query.Length == 0)
                {
                    url = new UriBuilder(url) { Path = DefaultPath }.Uri;
                }

                return new EwsEndpoint(url, fromUrlSetting: true);
            }

            string host = value.StartsWith("[", StringComparison.Ordinal) || value.IndexOf(':') < 0 ? value : "[" + value + "]";
            int effectivePort = port != 0 ? port : 443;
            if (!Uri.TryCreate($"https://{host}:{effectivePort.ToString(CultureInfo.InvariantCulture)}{DefaultPath}", UriKind.Absolute, out Uri? built))
            {
                throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                    $"Server '{value}' is not a host name or IP address.", "Server");
            }

            return new EwsEndpoint(built, fromUrlSetting: false);
        }
    }
}
