using System;
using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Errors;
using MimeKit;

namespace G5Mail.Core.Documents
{
    /// <summary>
    /// The To, Cc and Bcc of a document, validated and normalised: one mailbox per entry, an address listed once
    /// (To before Cc before Bcc). <see cref="Key"/> identifies the set for grouping: the contract compares
    /// recipient sets on To+Cc+Bcc combined, case-insensitively.
    /// </summary>
    public sealed class RecipientSet : IEquatable<RecipientSet>
    {
        private RecipientSet(IReadOnlyList<string> to, IReadOnlyList<string> cc, IReadOnlyList<string> bcc, IReadOnlyList<string> addresses)
        {
            To = to;
            Cc = cc;
            Bcc = bcc;
            Addresses = addresses;
            Key = string.Join(";", addresses);
        }

        /// <summary>Mailboxes as "a@b.se" or "Name &lt;a@b.se&gt;" (MimeKit's unencoded form; parses back to the same).</summary>
        public IReadOnlyList<string> To { get; }

        public IReadOnlyList<string> Cc { get; }

        public IReadOnlyList<string> Bcc { get; }

        /// <summary>The bare addresses of To+Cc+Bcc, lower-cased, distinct, sorted ordinally.</summary>
        public IReadOnlyList<string> Addresses { get; }

        /// <summary>The addresses joined with ';': equal keys mean the same recipients.</summary>
        public string Key { get; }

        /// <summary>
        /// Parses the recipients of one request. Blank entries are ignored; an entry may hold several addresses.
        /// Returns false with the entries that are not valid mailboxes; an empty set parses (the caller decides
        /// whether that is an error).
        /// </summary>
        public static bool TryParse(
            IEnumerable<string>? to,
            IEnumerable<string>? cc,
            IEnumerable<string>? bcc,
            out RecipientSet recipients,
            out IReadOnlyList<string> invalid)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var bad = new List<string>();
            var toList = Normalize(to, seen, bad);
            var ccList = Normalize(cc, seen, bad);
            var bccList = Normalize(bcc, seen, bad);
            invalid = bad;
            var addresses = seen.OrderBy(a => a, StringComparer.Ordinal).ToArray();
            recipients = new RecipientSet(toList, ccList, bccList, addresses);
            return bad.Count == 0;
        }

        /// <summary>Parses, throwing <see cref="G5MailErrorException"/> InvalidAddress naming the bad entries.</summary>
        public static RecipientSet Parse(IEnumerable<string>? to, IEnumerable<string>? cc = null, IEnumerable<string>? bcc = null)
        {
            if (!TryParse(to, cc, bcc, out var recipients, out var invalid))
            {
                throw InvalidAddressError(invalid, null);
            }

            return recipients;
        }

        /// <summary>True when there is no recipient at all.</summary>
        public bool IsEmpty => Addresses.Count == 0;

        internal static G5MailErrorException InvalidAddressError(IReadOnlyList<string> invalid, string? documentId)
        {
            var list = string.Join(", ", invalid.Select(a => "'" + a + "'"));
            var subject = documentId == null ? string.Empty : "Document '" + documentId + "': ";
            var message = invalid.Count == 1
                ? subject + list + " is not a valid mail address. Give it as name@example.com (or \"Name <name@example.com>\")."
                : subject + list + " are not valid mail addresses. Give each as name@example.com (or \"Name <name@example.com>\").";
            return new G5MailErrorException(ErrorIds.InvalidAddress, ErrorKind.InvalidArgument, message, invalid[0]);
        }

        private static IReadOnlyList<string> Normalize(IEnumerable<string>? entries, HashSet<string> seen, List<string> bad)
        {
            var result = new List<string>();
            if (entries == null)
            {
                return result;
            }

            foreach (var entry in entries)
            {
                foreach (var piece in MailAddresses.Split(entry))
                {
                    if (!MailAddresses.TryParseMailbox(piece, out var mailbox))
                    {
                        bad.Add(piece);
                        continue;
                    }

                    if (seen.Add(MailAddresses.KeyOf(mailbox)))
                    {
                        result.Add(mailbox.ToString());
                    }
                }
            }

            return result;
        }

        public bool Equals(RecipientSet? other) => other != null && string.Equals(Key, other.Key, StringComparison.Ordinal);

        public override bool Equals(object? obj) => Equals(obj as RecipientSet);

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);

        public override string ToString()
        {
            var parts = new List<string>();
            if (To.Count > 0)
            {
                parts.Add("To: " + string.Join(", ", To));
            }

            if (Cc.Count > 0)
            {
                parts.Add("Cc: " + string.Join(", ", Cc));
            }

            if (Bcc.Count > 0)
            {
                parts.Add("Bcc: " + string.Join(", ", Bcc));
            }

            return string.Join("; ", parts);
        }

        internal static IEnumerable<MailboxAddress> ToMailboxes(IEnumerable<string> normalized) =>
            normalized.Select(MailAddresses.ParseNormalized);
    }
}
