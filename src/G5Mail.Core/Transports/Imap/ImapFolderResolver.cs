using System;
using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Mailbox;

namespace G5Mail.Core.Transports.Imap
{
    /// <summary>One folder of the server's LIST answer: its full name, hierarchy separator and special-use role.</summary>
    public sealed class ImapFolderEntry
    {
        public ImapFolderEntry(string fullName, char separator, WellKnownFolder role = WellKnownFolder.None)
        {
            FullName = fullName;
            Separator = separator;
            Role = role;
        }

        /// <summary>The name as the server lists it, separators included ("INBOX", "INBOX.Fakturor", "Sent Items").</summary>
        public string FullName { get; }

        /// <summary>The hierarchy delimiter of the LIST answer ('/', '.'); '\0' for a flat server (NIL).</summary>
        public char Separator { get; }

        /// <summary>The RFC 6154 special-use attribute (\Sent, \Drafts, \Trash, \Junk, \Archive) as a role; None when the server gave none.</summary>
        public WellKnownFolder Role { get; }

        public override string ToString() => FullName;
    }

    /// <summary>
    /// Finds the IMAP folder a <see cref="FolderPath"/> names, from one LIST of every folder: Inbox is INBOX (RFC 3501 5.1: the
    /// name is case-insensitive); the other well-known roots are the folder with the RFC 6154 SPECIAL-USE attribute
    /// (\Sent, \Drafts, \Trash, \Junk, \Archive), or when the server marks none, a top-level folder called as the user wrote it or
    /// by one of the role's usual names; the remaining segments are sub-folders by name (exact case first, then any case)
    /// below it with the server's separator. Pure: the reader lists, this decides.
    /// </summary>
    public static class ImapFolderResolver
    {
        /// <summary>RFC 3501 5.1: INBOX in any case is the inbox.</summary>
        public const string Inbox = "INBOX";

        /// <summary>The names a server without SPECIAL-USE commonly gives each role (English and Swedish), after the one written.</summary>
        private static readonly Dictionary<WellKnownFolder, string[]> UsualNames = new Dictionary<WellKnownFolder, string[]>
        {
            [WellKnownFolder.SentItems] = new[] { "Sent", "Sent Items", "Sent Messages", "Skickat", "Skickade objekt" },
            [WellKnownFolder.Drafts] = new[] { "Drafts", "Utkast" },
            [WellKnownFolder.DeletedItems] = new[] { "Trash", "Deleted Items", "Deleted Messages", "Papperskorgen", "Borttagna objekt" },
            [WellKnownFolder.JunkEmail] = new[] { "Junk", "Spam", "Junk Email", "Junk E-mail", "Skräppost" },
            [WellKnownFolder.Archive] = new[] { "Archive", "Arkiv" },
        };

        /// <summary>The folder <paramref name="path"/> names, or null when it does not exist.</summary>
        public static ImapFolderEntry? Resolve(FolderPath path, IReadOnlyList<ImapFolderEntry> folders, string namespacePrefix = "")
        {
            (ImapFolderEntry? found, int depth) = Deepest(path, folders, namespacePrefix);
            return depth == path.Segments.Count ? found : null;
        }

        /// <summary>
        /// How far <paramref name="path"/> exists: the deepest existing folder and how many of the path's segments it covers
        /// (0: not even the root). EnsureFolder creates the segments after it.
        /// </summary>
        public static (ImapFolderEntry? Folder, int Depth) Deepest(FolderPath path, IReadOnlyList<ImapFolderEntry> folders, string namespacePrefix = "")
        {
            ImapFolderEntry? current = Root(path, folders, namespacePrefix ?? string.Empty);
            if (current == null)
            {
                return (null, 0);
            }

            int depth = 1;
            foreach (string segment in path.Segments.Skip(1))
            {
                ImapFolderEntry? child = current.Separator == '\0' ? null : Child(current.FullName + current.Separator, segment, folders);
                if (child == null)
                {
                    break;
                }

                current = child;
                depth++;
            }

            return (current, depth);
        }

        /// <summary>The full name a new sub-folder called <paramref name="name"/> gets below <paramref name="parent"/> (or at the top).</summary>
        public static string ChildName(ImapFolderEntry? parent, string name, char separator, string namespacePrefix = "") =>
            parent == null ? (namespacePrefix ?? string.Empty) + name : parent.FullName + (parent.Separator == '\0' ? separator : parent.Separator) + name;

        /// <summary>The path as the user sees it: the full name relative to the namespace, separators turned into '/' ("Inbox" for INBOX).</summary>
        public static string DisplayPath(ImapFolderEntry folder, string namespacePrefix = "")
        {
            string name = folder.FullName;
            if (namespacePrefix.Length > 0 && name.StartsWith(namespacePrefix, StringComparison.OrdinalIgnoreCase) && name.Length > namespacePrefix.Length)
            {
                name = name.Substring(namespacePrefix.Length);
            }

            string[] parts = folder.Separator == '\0' ? new[] { name } : name.Split(folder.Separator);
            if (parts.Length > 0 && string.Equals(parts[0], Inbox, StringComparison.OrdinalIgnoreCase))
            {
                parts[0] = "Inbox";
            }

            return string.Join("/", parts);
        }

        private static ImapFolderEntry? Root(FolderPath path, IReadOnlyList<ImapFolderEntry> folders, string prefix)
        {
            string first = path.Segments[0];
            switch (path.Root)
            {
                case WellKnownFolder.Inbox:
                    return folders.FirstOrDefault(f => string.Equals(f.FullName, Inbox, StringComparison.OrdinalIgnoreCase));
                case WellKnownFolder.None:
                    return TopLevel(first, folders, prefix);
                default:
                    // The server's word for the role wins over any name: a Swedish "Skickat" is the \Sent folder.
                    ImapFolderEntry? byRole = folders.FirstOrDefault(f => f.Role == path.Root);
                    if (byRole != null)
                    {
                        return byRole;
                    }

                    return new[] { first }.Concat(UsualNames[path.Root]).Select(n => TopLevel(n, folders, prefix)).FirstOrDefault(f => f != null);
            }
        }

        /// <summary>A folder at the top of the personal namespace (or, on servers that keep everything below INBOX, right below it).</summary>
        private static ImapFolderEntry? TopLevel(string name, IReadOnlyList<ImapFolderEntry> folders, string prefix)
        {
            ImapFolderEntry? top = Named(folders.Where(f => IsTopLevel(f, prefix)), f => Last(f, prefix), name);
            if (top != null || string.Equals(name, Inbox, StringComparison.OrdinalIgnoreCase))
            {
                return top;
            }

            ImapFolderEntry? inbox = folders.FirstOrDefault(f => string.Equals(f.FullName, Inbox, StringComparison.OrdinalIgnoreCase));
            return inbox != null && inbox.Separator != '\0' ? Child(inbox.FullName + inbox.Separator, name, folders) : null;
        }

        private static bool IsTopLevel(ImapFolderEntry folder, string prefix)
        {
            if (prefix.Length > 0 && !folder.FullName.StartsWith(prefix, StringComparison.Ordinal))
            {
                return false;
            }

            string rest = folder.FullName.Substring(prefix.Length);
            return rest.Length > 0 && (folder.Separator == '\0' || rest.IndexOf(folder.Separator) < 0);
        }

        private static string Last(ImapFolderEntry folder, string prefix) => folder.FullName.Substring(prefix.Length);

        private static ImapFolderEntry? Child(string parentWithSeparator, string name, IReadOnlyList<ImapFolderEntry> folders)
        {
            var children = folders.Where(f => f.FullName.Length > parentWithSeparator.Length
                                              && f.FullName.StartsWith(parentWithSeparator, StringComparison.OrdinalIgnoreCase)
                                              && f.FullName.IndexOf(f.Separator, parentWithSeparator.Length) < 0);
            return Named(children, f => f.FullName.Substring(parentWithSeparator.Length), name);
        }

        /// <summary>Exact case first, then any case (folder names on most servers are case-sensitive; users type any case).</summary>
        private static ImapFolderEntry? Named(IEnumerable<ImapFolderEntry> candidates, Func<ImapFolderEntry, string> nameOf, string name)
        {
            var list = candidates.ToList();
            return list.FirstOrDefault(f => string.Equals(nameOf(f), name, StringComparison.Ordinal))
                   ?? list.FirstOrDefault(f => string.Equals(nameOf(f), name, StringComparison.OrdinalIgnoreCase));
        }
    }
}
