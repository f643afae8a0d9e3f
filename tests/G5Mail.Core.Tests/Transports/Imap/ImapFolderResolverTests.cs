using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Transports.Imap;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Imap
{
    /// <summary>Folder paths against the LIST answers of typical servers (Dovecot with SPECIAL-USE, Courier's INBOX. namespace, a bare one).</summary>
    public sealed class ImapFolderResolverTests
    {
        /// <summary>Dovecot-like: '/' separator, RFC 6154 attributes, Swedish folder names.</summary>
        private static readonly IReadOnlyList<ImapFolderEntry> Dovecot = new[]
        {
            new ImapFolderEntry("INBOX", '/'),
            new ImapFolderEntry("INBOX/Leverantörsfakturor", '/'),
            new ImapFolderEntry("INBOX/Leverantörsfakturor/2026", '/'),
            new ImapFolderEntry("Skickat", '/', WellKnownFolder.SentItems),
            new ImapFolderEntry("Papperskorgen", '/', WellKnownFolder.DeletedItems),
            new ImapFolderEntry("Skräppost", '/', WellKnownFolder.JunkEmail),
            new ImapFolderEntry("Studsade", '/'),
            new ImapFolderEntry("studsade-gamla", '/'),
        };

        /// <summary>Courier-like: everything below "INBOX." (personal namespace prefix), '.' separator, no SPECIAL-USE.</summary>
        private static readonly IReadOnlyList<ImapFolderEntry> Courier = new[]
        {
            new ImapFolderEntry("INBOX", '.'),
            new ImapFolderEntry("INBOX.Sent", '.'),
            new ImapFolderEntry("INBOX.Trash", '.'),
            new ImapFolderEntry("INBOX.Fakturor", '.'),
        };

        private static string? Resolve(string path, IReadOnlyList<ImapFolderEntry> folders, string prefix = "") =>
            ImapFolderResolver.Resolve(FolderPath.Parse(path, "Folder"), folders, prefix)?.FullName;

        [Theory]
        [InlineData("Inbox", "INBOX")]
        [InlineData("inbox", "INBOX")]
        [InlineData("Inkorg", "INBOX")]
        [InlineData("Inbox/Leverantörsfakturor", "INBOX/Leverantörsfakturor")]
        [InlineData("Inkorg\\leverantörsfakturor\\2026", "INBOX/Leverantörsfakturor/2026")]
        [InlineData("Sent Items", "Skickat")]
        [InlineData("Sent", "Skickat")]
        [InlineData("Deleted Items", "Papperskorgen")]
        [InlineData("Junk Email", "Skräppost")]
        [InlineData("Studsade", "Studsade")]
        [InlineData("STUDSADE", "Studsade")]
        public void Dovecot_paths_resolve_by_INBOX_special_use_and_name_in_any_case(string path, string expected)
        {
            Assert.Equal(expected, Resolve(path, Dovecot));
        }

        [Theory]
        [InlineData("Drafts")]
        [InlineData("Archive")]
        [InlineData("Inbox/Saknas")]
        [InlineData("Studsade/Under")]
        [InlineData("Leverantörsfakturor")]
        public void A_folder_that_is_not_there_is_null(string path)
        {
            Assert.Null(Resolve(path, Dovecot));
        }

        [Theory]
        [InlineData("Inbox", "INBOX")]
        [InlineData("Sent Items", "INBOX.Sent")]
        [InlineData("Deleted Items", "INBOX.Trash")]
        [InlineData("Fakturor", "INBOX.Fakturor")]
        [InlineData("Inbox/Fakturor", "INBOX.Fakturor")]
        public void Courier_paths_resolve_inside_the_INBOX_namespace_and_by_usual_names(string path, string expected)
        {
            Assert.Equal(expected, Resolve(path, Courier, "INBOX."));
        }

        [Fact]
        public void Exact_case_wins_over_another_case()
        {
            var folders = new[] { new ImapFolderEntry("INBOX", '/'), new ImapFolderEntry("fakturor", '/'), new ImapFolderEntry("Fakturor", '/') };
            Assert.Equal("Fakturor", Resolve("Fakturor", folders));
            Assert.Equal("fakturor", Resolve("fakturor", folders));
            Assert.Equal("fakturor", Resolve("FAKTUROR", folders));
        }

        [Fact]
        public void Deepest_tells_which_segments_EnsureFolder_must_create()
        {
            (ImapFolderEntry? folder, int depth) = ImapFolderResolver.Deepest(FolderPath.Parse("Inbox/Leverantörsfakturor/2027/Q1", "MoveTo"), Dovecot);
            Assert.Equal("INBOX/Leverantörsfakturor", folder!.FullName);
            Assert.Equal(2, depth);
            Assert.Equal("INBOX/Leverantörsfakturor/2027", ImapFolderResolver.ChildName(folder, "2027", '/'));

            (folder, depth) = ImapFolderResolver.Deepest(FolderPath.Parse("Arkiv/2026", "MoveTo"), Dovecot);
            Assert.Null(folder);
            Assert.Equal(0, depth);
        }

        [Fact]
        public void Display_paths_use_slash_and_Inbox()
        {
            Assert.Equal("Inbox/Fakturor", ImapFolderResolver.DisplayPath(new ImapFolderEntry("INBOX.Fakturor", '.')));
            Assert.Equal("Fakturor", ImapFolderResolver.DisplayPath(new ImapFolderEntry("INBOX.Fakturor", '.'), "INBOX."));
            Assert.Equal("Inbox/Leverantörsfakturor/2026", ImapFolderResolver.DisplayPath(Dovecot[2]));
            Assert.Equal("Skickat", ImapFolderResolver.DisplayPath(Dovecot[3]));
        }

        [Fact]
        public void A_flat_server_has_no_sub_folders()
        {
            var flat = new[] { new ImapFolderEntry("INBOX", '\0'), new ImapFolderEntry("Studsade", '\0') };
            Assert.Equal("Studsade", Resolve("Studsade", flat));
            Assert.Null(Resolve("Inbox/Studsade", flat));
        }
    }
}
