using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using G5Mail.Core.Security;
using MailKit.Security;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>
    /// Which SASL mechanism a password login uses, chosen once per login. MailKit's Authenticate(ICredentials) tries every
    /// mechanism the server offers, one after another, with the same password: a wrong password then costs two or more
    /// failed logins per connection (PLAIN, then LOGIN), and a directory that locks accounts after five counts them all.
    /// G5Mail picks one mechanism, the first of <see cref="Preference"/> the server offers, and tries it once.
    /// </summary>
    internal static class SmtpAuthentication
    {
        /// <summary>
        /// Strongest first. SCRAM (RFC 5802, 7677) never sends the password; PLAIN (RFC 4616) and LOGIN send it inside TLS
        /// (G5Mail sends no password over an unencrypted connection except to this computer), PLAIN being the standard one
        /// of the two. NTLM follows for Exchange receive connectors that offer nothing else; CRAM-MD5 (RFC 2195, obsolete)
        /// comes last for old relays that offer only it. XOAUTH2/OAUTHBEARER carry tokens, never passwords, so they are not
        /// in this list.
        /// </summary>
        public static readonly IReadOnlyList<string> Preference = new[]
        {
            "SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN", "NTLM", "CRAM-MD5",
        };

        /// <summary>The mechanism to use among those the server offers (EHLO AUTH), or null when none is supported.</summary>
        public static string? Choose(IEnumerable<string> offered)
        {
            var set = new HashSet<string>(offered ?? Enumerable.Empty<string>(), StringComparer.OrdinalIgnoreCase);
            return Preference.FirstOrDefault(set.Contains);
        }

        /// <summary>The SASL user name: "DOMAIN\user" when the credential has a domain (see <see cref="AccountNames"/>).</summary>
        public static string UserNameOf(NetworkCredential credential) => AccountNames.UserNameOf(credential);

        /// <summary>The MailKit mechanism for <paramref name="name"/> (one of <see cref="Preference"/>).</summary>
        public static SaslMechanism Create(string name, NetworkCredential credential)
        {
            string user = UserNameOf(credential);
            string password = credential.Password;
            switch (name.ToUpperInvariant())
            {
                case "SCRAM-SHA-512": return new SaslMechanismScramSha512(user, password);
                case "SCRAM-SHA-256": return new SaslMechanismScramSha256(user, password);
                case "SCRAM-SHA-1": return new SaslMechanismScramSha1(user, password);
                case "PLAIN": return new SaslMechanismPlain(user, password);
                case "LOGIN": return new SaslMechanismLogin(user, password);
                // NTLM carries the domain in its own field.
                case "NTLM": return new SaslMechanismNtlm(credential);
                case "CRAM-MD5": return new SaslMechanismCramMd5(user, password);
                default: throw new ArgumentOutOfRangeException(nameof(name), name, "Not a mechanism G5Mail uses for a password.");
            }
        }

        /// <summary>Why no mechanism fits, in words a sysadmin can act on.</summary>
        public static string NoneSupported(string server, IEnumerable<string> offered) =>
            $"{server} offers AUTH {string.Join(" ", offered)}, but none of the mechanisms G5Mail signs in with a password " +
            $"({string.Join(", ", Preference)}). Ask the mail administrator to enable PLAIN or LOGIN over TLS on this port.";
    }
}
