using System;
using System.Collections.Generic;
using System.Text;
using MimeKit;

namespace G5Mail.Core.Documents
{
    /// <summary>Parsing of the mail addresses users type, shared by recipients and the sender.</summary>
    internal static class MailAddresses
    {
        /// <summary>Strict RFC 5322 parsing: lenient parsing would accept what a server later rejects.</summary>
        private static readonly ParserOptions Strict = CreateStrictOptions();

        private static ParserOptions CreateStrictOptions()
        {
            var options = ParserOptions.Default.Clone();
            options.AddressParserComplianceMode = RfcComplianceMode.Strict;
            options.AllowAddressesWithoutDomain = false;
            return options;
        }

        /// <summary>
        /// Splits one entry into addresses at ',' and ';' outside quotes and angle brackets. Monitor G5 and
        /// spreadsheets often separate several addresses with ';', which RFC 5322 (and MimeKit) does not.
        /// </summary>
        public static IEnumerable<string> Split(string? entry)
        {
            if (string.IsNullOrWhiteSpace(entry))
            {
                yield break;
            }

            var current = new StringBuilder();
            var inQuotes = false;
            var inAngle = false;
            for (var i = 0; i < entry!.Length; i++)
            {
                var c = entry[i];
                if (inQuotes && c == '\\' && i + 1 < entry.Length)
                {
                    current.Append(c).Append(entry[++i]);
                    continue;
                }

                if (c == '"' && !inAngle)
                {
                    inQuotes = !inQuotes;
                }
                else if (!inQuotes && c == '<')
                {
                    inAngle = true;
                }
                else if (!inQuotes && c == '>')
                {
                    inAngle = false;
                }
                else if (!inQuotes && !inAngle && (c == ',' || c == ';'))
                {
                    var piece = current.ToString().Trim();
                    if (piece.Length > 0)
                    {
                        yield return piece;
                    }

                    current.Clear();
                    continue;
                }

                current.Append(c);
            }

            var last = current.ToString().Trim();
            if (last.Length > 0)
            {
                yield return last;
            }
        }

        /// <summary>One mailbox, "a@b.se" or "Name &lt;a@b.se&gt;", with a non-empty local part and domain.</summary>
        public static bool TryParseMailbox(string text, out MailboxAddress mailbox)
        {
            mailbox = null!;
            if (string.IsNullOrWhiteSpace(text))
            {
                return false;
            }

            if (!MailboxAddress.TryParse(Strict, text.Trim(), out var parsed) || parsed == null)
            {
                return false;
            }

            var address = parsed.Address ?? string.Empty;
            var at = address.LastIndexOf('@');
            if (at <= 0 || at == address.Length - 1 || (parsed.Route != null && parsed.Route.Count > 0))
            {
                return false;
            }

            mailbox = parsed;
            return true;
        }

        /// <summary>The form used for comparing and keying: the bare address, lower-cased.</summary>
        public static string KeyOf(MailboxAddress mailbox) => mailbox.Address.ToLowerInvariant();

        /// <summary>The domain of an address, for Message-Id.</summary>
        public static string DomainOf(MailboxAddress mailbox)
        {
            var address = mailbox.Address;
            return address.Substring(address.LastIndexOf('@') + 1);
        }

        public static MailboxAddress ParseNormalized(string text)
        {
            if (!TryParseMailbox(text, out var mailbox))
            {
                throw new FormatException("Not a valid mail address: '" + text + "'.");
            }

            return mailbox;
        }
    }
}
