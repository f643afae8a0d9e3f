using System;
using System.Net;
using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using MailKit.Security;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>Where and how an SMTP connection goes, after the port and TLS rules of INTERFACE.md are applied.</summary>
    public sealed class SmtpEndpoint
    {
        public const string ExchangeOnlineHost = "smtp.office365.com";

        public SmtpEndpoint(string host, int port, SecureSocketOptions security)
        {
            Host = host;
            Port = port;
            Security = security;
        }

        public string Host { get; }
        public int Port { get; }
        public SecureSocketOptions Security { get; }

        /// <summary>True when the settings demand encryption (STARTTLS required or TLS on connect).</summary>
        public bool TlsRequired => Security == SecureSocketOptions.StartTls || Security == SecureSocketOptions.SslOnConnect;

        public bool IsLoopback => IsLoopbackHost(Host);

        public override string ToString() => $"{Host}:{Port}";

        /// <summary>
        /// Port 0 means the standard port: 25 without SSL, 587 with STARTTLS required when UseSsl.
        /// An explicit 465 means TLS from the first byte. Without UseSsl, STARTTLS is still used when the server offers it.
        /// Exchange Online over SMTP defaults to smtp.office365.com:587 with STARTTLS.
        /// </summary>
        public static SmtpEndpoint Resolve(string? server, int port, bool useSsl, bool exchangeOnline = false)
        {
            string host = string.IsNullOrWhiteSpace(server) ? (exchangeOnline ? ExchangeOnlineHost : string.Empty) : server!.Trim();
            if (host.Length == 0)
            {
                throw new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation,
                    "No SMTP server is set. Set one with: Set-G5MailSetting -Scope System -Server smtp.example.com", "Server");
            }

            if (exchangeOnline)
            {
                useSsl = true; // Exchange Online only accepts SMTP AUTH over TLS.
            }

            int effectivePort = port != 0 ? port : (useSsl ? 587 : 25);
            SecureSocketOptions security;
            if (effectivePort == 465)
            {
                security = SecureSocketOptions.SslOnConnect;
            }
            else if (useSsl)
            {
                security = SecureSocketOptions.StartTls;
            }
            else
            {
                security = SecureSocketOptions.StartTlsWhenAvailable;
            }

            return new SmtpEndpoint(host, effectivePort, security);
        }

        public static SmtpEndpoint Resolve(SettingValues effective)
        {
            bool exchangeOnline = effective.Method == MailMethod.ExchangeOnline;
            return Resolve(effective.Server, effective.Port ?? 0, effective.UseSsl ?? false, exchangeOnline);
        }

        public static bool IsLoopbackHost(string host)
        {
            if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            return IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address) && IPAddress.IsLoopback(address);
        }
    }
}
