using System;
using System.Collections.Generic;
using System.Linq;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// The permissions each Exchange Online path needs, and how to say which one is missing. Graph does not name the
    /// missing permission in its 401/403 answers, so G5Mail names it from the call it made. Sources:
    /// "user: sendMail" and "message: send" (Mail.Send), "Create message", "Add attachment" and
    /// "attachment: createUploadSession" (Mail.ReadWrite), "Get application" (Application.Read.All), "Create event"
    /// (user-post-events), "Update event", "Delete event", "event: cancel" and "Get singleValueLegacyExtendedProperty"
    /// (Calendars.ReadWrite; the look-up alone needs only Calendars.Read, which Calendars.ReadWrite includes), all on
    /// learn.microsoft.com/graph/api, and "Authenticate an IMAP, POP or SMTP connection using OAuth" (SMTP.SendAsApp,
    /// SMTP.Send) on learn.microsoft.com/exchange/client-developer/legacy-protocols.
    /// </summary>
    public static class GraphPermissions
    {
        public const string MailSend = "Mail.Send";
        public const string MailReadWrite = "Mail.ReadWrite";

        /// <summary>
        /// Receive-G5Mail and Get-G5DeliveryReport: list messages, their MIME content and mail folders ("List messages",
        /// "Get message", "List childFolders": Mail.Read, or Mail.ReadWrite, which includes it). Marking read, moving and
        /// creating a folder need Mail.ReadWrite ("Update message", "message: move", "Create MailFolder").
        /// </summary>
        public const string MailRead = "Mail.Read";
        public const string ApplicationReadAll = "Application.Read.All";
        public const string SmtpSendAsApp = "SMTP.SendAsApp";
        public const string SmtpSend = "SMTP.Send";

        /// <summary>Sync-G5Activity's events: create, look up by the activity id, update, delete and cancel.</summary>
        public const string CalendarsReadWrite = "Calendars.ReadWrite";

        /// <summary>Higher permissions that include the named one (least privileged first in each Graph API page).</summary>
        private static readonly Dictionary<string, string[]> Includes = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
        {
            [MailSend] = new[] { MailSend },
            [MailReadWrite] = new[] { MailReadWrite },
            [MailRead] = new[] { MailRead, MailReadWrite },
            [ApplicationReadAll] = new[] { ApplicationReadAll, "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All" },
            [SmtpSendAsApp] = new[] { SmtpSendAsApp },
            [SmtpSend] = new[] { SmtpSend },
            [CalendarsReadWrite] = new[] { CalendarsReadWrite },
        };

        /// <summary>True when the token's roles (app-only) or scopes (delegated) include the permission or one that implies it.</summary>
        public static bool IsGranted(string permission, IEnumerable<string> granted)
        {
            string[] accepted = Includes.TryGetValue(permission, out string[]? names) ? names : new[] { permission };
            return granted.Any(g => accepted.Contains(g, StringComparer.OrdinalIgnoreCase));
        }

        /// <summary>"the Microsoft Graph application permission Mail.Send" / "the delegated Microsoft Graph permission Mail.Send".</summary>
        public static string Describe(string permission, bool appOnly)
        {
            string api = permission.StartsWith("SMTP.", StringComparison.OrdinalIgnoreCase) ? "Office 365 Exchange Online" : "Microsoft Graph";
            return appOnly ? $"the {api} application permission {permission}" : $"the delegated {api} permission {permission}";
        }

        /// <summary>What an administrator does to grant it, in the words of the Entra admin center.</summary>
        public static string HowToGrant(string permission, bool appOnly)
        {
            string api = permission.StartsWith("SMTP.", StringComparison.OrdinalIgnoreCase)
                ? "APIs my organization uses > Office 365 Exchange Online"
                : "Microsoft Graph";
            string kind = appOnly ? "Application permissions" : "Delegated permissions";
            return $"In the Entra admin center open the app registration > API permissions > Add a permission > {api} > {kind} > " +
                   $"{permission}, then 'Grant admin consent'. (See the README, 'Exchange Online: register the Entra ID app'.)";
        }
    }
}
