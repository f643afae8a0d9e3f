using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Smtp;
using MailKit.Security;

namespace G5Mail.Core.Transports.Imap
{
    /// <summary>
    /// Where and how Receive-G5Mail reads the mailbox with Method Smtp (IMAP), after the rules of INTERFACE.md: ImapServer
    /// (not set = Server), ImapPort 0 = 993 with TLS from the first byte when UseSsl is set, else 143 with STARTTLS, which is
    /// required unless the server is this computer. An explicit 993 is always TLS on connect (RFC 8314 7) and an explicit
    /// 143 always STARTTLS, whatever UseSsl says; any other port follows UseSsl.
    /// </summary>
    public sealed class ImapEndpoint
    {
        public const int TlsPort = 993;
        public const int PlainPort = 143;

        public ImapEndpoint(string host, int port, SecureSocketOptions security)
        {
            Host = host;
            Port = port;
            Security = security;
        }

        public string Host { get; }
        public int Port { get; }

        /// <summary>SslOnConnect, StartTls (required), or StartTlsWhenAvailable (loopback only).</summary>
        public SecureSocketOptions Security { get; }

        public bool IsLoopback => SmtpEndpoint.IsLoopbackHost(Host);

        /// <summary>"imap.example.com:993 (TLS)", "imap.example.com:143 (STARTTLS)", "127.0.0.1:143 (STARTTLS if offered)".</summary>
        public string Description => $"{this} ({SecurityWords})";

        public string SecurityWords => Security == SecureSocketOptions.SslOnConnect ? "TLS"
            : Security == SecureSocketOptions.StartTls ? "STARTTLS" : "STARTTLS if offered";

        public override string ToString() => Host.IndexOf(':') >= 0 ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

        public static ImapEndpoint Resolve(string? imapServer, string? server, int port, bool useSsl)
        {
            string host = !string.IsNullOrWhiteSpace(imapServer) ? imapServer!.Trim() : (server ?? string.Empty).Trim();
            if (host.Length == 0)
            {
                throw new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation,
                    "No IMAP server is set. Set one with: Set-G5MailSetting -Scope System -ImapServer imap.example.com (or -Server, which it defaults to)",
                    "ImapServer");
            }

            int effectivePort = port != 0 ? port : (useSsl ? TlsPort : PlainPort);
            bool tlsOnConnect = effectivePort == TlsPort || (effectivePort != PlainPort && useSsl);
            SecureSocketOptions security = tlsOnConnect ? SecureSocketOptions.SslOnConnect
                : SmtpEndpoint.IsLoopbackHost(host) ? SecureSocketOptions.StartTlsWhenAvailable
                : SecureSocketOptions.StartTls;
            return new ImapEndpoint(host, effectivePort, security);
        }

        public static ImapEndpoint Resolve(SettingValues effective) =>
            Resolve(effective.ImapServer, effective.Server, effective.ImapPort ?? Defaults.ImapPort, effective.UseSsl ?? Defaults.UseSsl);

        /// <summary>The endpoint's description for Get-G5MailSetting, or null when no server is set (or Server is a URL).</summary>
        public static string? Describe(SettingValues effective)
        {
            string? host = !string.IsNullOrWhiteSpace(effective.ImapServer) ? effective.ImapServer : effective.Server;
            if (string.IsNullOrWhiteSpace(host) || host!.IndexOf("://", System.StringComparison.Ordinal) >= 0)
            {
                return null;
            }

            return Resolve(effective).Description;
        }
    }
}
