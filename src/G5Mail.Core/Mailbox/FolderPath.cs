using System;
using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Mailbox
{
    /// <summary>The folders every mail system knows by role, whatever its language calls them.</summary>
    public enum WellKnownFolder
    {
        None,
        Inbox,
        SentItems,
        Drafts,
        DeletedItems,
        JunkEmail,
        Archive,
    }

    /// <summary>
    /// A folder path as the user writes it: "Inbox", "Inbox/Leverantörsfakturor", "Inkorg\Fakturor", "Studsade". The first
    /// segment may name a well-known folder (in English or Swedish, any case: Inbox/Inkorg, Sent Items/Skickat...), which
    /// each reader resolves by role (IMAP INBOX and SPECIAL-USE, Graph's well-known names, EWS DistinguishedFolderId,
    /// Outlook's default folders), so a script works whatever language the mailbox was created in. Other segments are
    /// folder names, matched without case.
    /// </summary>
    public sealed class FolderPath
    {
        private static readonly Dictionary<string, WellKnownFolder> Names = new Dictionary<string, WellKnownFolder>(StringComparer.OrdinalIgnoreCase)
        {
            ["Inbox"] = WellKnownFolder.Inbox, ["Inkorg"] = WellKnownFolder.Inbox, ["Inkorgen"] = WellKnownFolder.Inbox,
            ["Sent Items"] = WellKnownFolder.SentItems, ["SentItems"] = WellKnownFolder.SentItems, ["Sent"] = WellKnownFolder.SentItems,
            ["Skickat"] = WellKnownFolder.SentItems, ["Skickade objekt"] = WellKnownFolder.SentItems,
            ["Drafts"] = WellKnownFolder.Drafts, ["Utkast"] = WellKnownFolder.Drafts,
            ["Deleted Items"] = WellKnownFolder.DeletedItems, ["DeletedItems"] = WellKnownFolder.DeletedItems, ["Trash"] = WellKnownFolder.DeletedItems,
            ["Borttaget"] = WellKnownFolder.DeletedItems, ["Borttagna objekt"] = WellKnownFolder.DeletedItems, ["Papperskorgen"] = WellKnownFolder.DeletedItems,
            ["Junk Email"] = WellKnownFolder.JunkEmail, ["JunkEmail"] = WellKnownFolder.JunkEmail, ["Junk"] = WellKnownFolder.JunkEmail,
            ["Spam"] = WellKnownFolder.JunkEmail, ["Skräppost"] = WellKnownFolder.JunkEmail,
            ["Archive"] = WellKnownFolder.Archive, ["Arkiv"] = WellKnownFolder.Archive,
        };

        private FolderPath(string text, WellKnownFolder root, IReadOnlyList<string> segments)
        {
            Text = text;
            Root = root;
            Segments = segments;
        }

        /// <summary>The path as given, with '\' turned into '/'.</summary>
        public string Text { get; }

        /// <summary>The role of the first segment, or None when it is an ordinary name.</summary>
        public WellKnownFolder Root { get; }

        /// <summary>Every segment as written, the first one included (also when it is well known).</summary>
        public IReadOnlyList<string> Segments { get; }

        /// <summary>The segments after a well-known first one (all of them when the first is an ordinary name).</summary>
        public IReadOnlyList<string> Below => Root == WellKnownFolder.None ? Segments : Segments.Skip(1).ToList();

        public static FolderPath Inbox { get; } = Parse("Inbox", "Folder");

        /// <summary>Reads a path; empty segments ("Inbox//x", a trailing '/') are ignored; an empty path is InvalidSetting.</summary>
        public static FolderPath Parse(string? text, string parameterName)
        {
            string[] segments = (text ?? string.Empty).Replace('\\', '/').Split('/')
                .Select(s => s.Trim()).Where(s => s.Length > 0).ToArray();
            if (segments.Length == 0)
            {
                throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                    $"-{parameterName} needs a folder name or path, such as Inbox or Inbox/Leverantörsfakturor.", parameterName);
            }

            foreach (string segment in segments)
            {
                if (segment.Any(char.IsControl))
                {
                    throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                        $"-{parameterName}: the folder name '{segment.Replace("\r", " ").Replace("\n", " ")}' contains a control character.", parameterName);
                }
            }

            WellKnownFolder root = Names.TryGetValue(segments[0], out WellKnownFolder known) ? known : WellKnownFolder.None;
            return new FolderPath(string.Join("/", segments), root, segments);
        }

        /// <summary>The error for a folder that does not exist (one error for the call).</summary>
        public G5MailErrorException NotFound(string mailbox, string? detail = null) =>
            new G5MailErrorException(ErrorIds.FolderNotFound, ErrorKind.ObjectNotFound,
                $"The folder '{Text}' does not exist in {mailbox}." + (detail != null ? " " + detail : string.Empty)
                + " Folder paths are written Inbox/Subfolder; Inbox, Sent Items, Drafts, Deleted Items, Junk Email and Archive work in any mailbox language.",
                Text);

        public override string ToString() => Text;
    }
}
