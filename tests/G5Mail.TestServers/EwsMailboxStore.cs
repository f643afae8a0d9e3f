using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MimeKit;

namespace G5Mail.TestServers;

/// <summary>A mail folder of a mailbox: the default ones (by their DistinguishedFolderId) and those made by CreateFolder or seeding.</summary>
public sealed class EwsMailFolder
{
    public string Id { get; set; } = "";
    public string ChangeKey { get; set; } = "";
    public string Mailbox { get; set; } = "";
    public string? ParentId { get; set; }
    public string DisplayName { get; set; } = "";

    /// <summary>The DistinguishedFolderId that names it (inbox, sentitems...), null for the user's own folders.</summary>
    public string? Distinguished { get; set; }
}

/// <summary>A message in a mailbox folder (seeded as raw MIME through the test control), shown by GET /_test/ews/mailbox.</summary>
public sealed class EwsMailItem
{
    public string Id { get; set; } = "";
    public string ChangeKey { get; set; } = "";
    public List<string> ChangeKeys { get; set; } = new();
    public string Mailbox { get; set; } = "";
    public string FolderId { get; set; } = "";

    /// <summary>The folder path as the test control names it (inbox/Sub), kept current by MoveItem.</summary>
    public string FolderPath { get; set; } = "";

    public string ItemClass { get; set; } = "IPM.Note";
    public string? Subject { get; set; }
    public EwsMailboxRef? From { get; set; }
    public List<EwsMailboxRef> To { get; set; } = new();
    public List<EwsMailboxRef> Cc { get; set; } = new();
    public string? InternetMessageId { get; set; }
    public DateTimeOffset DateTimeReceived { get; set; }
    public bool IsRead { get; set; }
    public bool HasAttachments { get; set; }
    public long Size { get; set; }

    /// <summary>How many GetItem answers carried the MIME content (the test asks whether a message was read).</summary>
    public int MimeReads { get; set; }

    [System.Text.Json.Serialization.JsonIgnore]
    public byte[] Mime { get; set; } = Array.Empty<byte>();
}

/// <summary>
/// The mail folders and messages of every mailbox (EwsMailboxEndpoints). Each mailbox of a configured user gets the default
/// folders on first use under its root: Top of Information Store (msgfolderroot) with Inbox, Sent Items, Drafts, Deleted
/// Items, Junk Email and Outbox. Thread-safe through <see cref="Gate"/> (Kestrel serves requests in parallel).
/// </summary>
public sealed class EwsMailboxStore
{
    private static readonly (string Id, string Name)[] Defaults =
    {
        ("inbox", "Inbox"), ("sentitems", "Sent Items"), ("drafts", "Drafts"), ("deleteditems", "Deleted Items"), ("junkemail", "Junk Email"),
        ("outbox", "Outbox"),
    };

    private readonly object _gate = new();

    public object Gate => _gate;

    public List<EwsMailFolder> Folders { get; } = new();
    public List<EwsMailItem> Items { get; } = new();

    public void Clear()
    {
        lock (_gate)
        {
            Folders.Clear();
            Items.Clear();
        }
    }

    /// <summary>
    /// The id of a distinguished folder: stable, base64 as Exchange's ids are ("FolderId": opaque to clients), and the same
    /// GetFolder of Sent Items has always returned.
    /// </summary>
    public static string DistinguishedId(string mailbox, string distinguished) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(mailbox.ToLowerInvariant() + "/" + distinguished));

    /// <summary>Creates the default folders of <paramref name="mailbox"/> when they are not there yet. Callers hold <see cref="Gate"/>.</summary>
    public void EnsureMailbox(string mailbox)
    {
        mailbox = mailbox.ToLowerInvariant();
        if (Folders.Any(f => f.Mailbox == mailbox))
        {
            return;
        }

        Folders.Add(new EwsMailFolder { Id = DistinguishedId(mailbox, "root"), ChangeKey = EwsCalendarStore.NewChangeKey(), Mailbox = mailbox, DisplayName = "Root", Distinguished = "root" });
        Folders.Add(new EwsMailFolder
        {
            Id = DistinguishedId(mailbox, "msgfolderroot"), ChangeKey = EwsCalendarStore.NewChangeKey(), Mailbox = mailbox, ParentId = DistinguishedId(mailbox, "root"),
            DisplayName = "Top of Information Store", Distinguished = "msgfolderroot",
        });
        foreach ((string id, string name) in Defaults)
        {
            Folders.Add(new EwsMailFolder
            {
                Id = DistinguishedId(mailbox, id), ChangeKey = EwsCalendarStore.NewChangeKey(), Mailbox = mailbox, ParentId = DistinguishedId(mailbox, "msgfolderroot"),
                DisplayName = name, Distinguished = id,
            });
        }
    }

    public EwsMailFolder? Distinguished(string mailbox, string distinguished) =>
        Folders.FirstOrDefault(f => f.Mailbox == mailbox.ToLowerInvariant() && f.Distinguished == distinguished);

    public EwsMailFolder? Folder(string id) => Folders.FirstOrDefault(f => f.Id == id);

    public EwsMailFolder? Child(string parentId, string name) =>
        Folders.FirstOrDefault(f => f.ParentId == parentId && string.Equals(f.DisplayName, name, StringComparison.OrdinalIgnoreCase));

    public EwsMailFolder AddFolder(EwsMailFolder parent, string name)
    {
        var folder = new EwsMailFolder
        {
            Id = EwsCalendarStore.NewId(), ChangeKey = EwsCalendarStore.NewChangeKey(), Mailbox = parent.Mailbox, ParentId = parent.Id, DisplayName = name,
        };
        Folders.Add(folder);
        return folder;
    }

    /// <summary>"inbox/Sub" style path of a folder: the distinguished id of its first known ancestor, then display names.</summary>
    public string PathOf(EwsMailFolder folder)
    {
        var names = new List<string>();
        for (EwsMailFolder? f = folder; f is not null; f = f.ParentId is null ? null : Folder(f.ParentId))
        {
            if (f.Distinguished is not null)
            {
                names.Insert(0, f.Distinguished);
                break;
            }

            names.Insert(0, f.DisplayName);
        }

        return string.Join("/", names);
    }

    /// <summary>
    /// The folder a test-control path names ("inbox", "inbox/Leverantörsfakturor", "msgfolderroot/Studsade"; a first segment
    /// that is no distinguished id is under msgfolderroot), creating missing subfolders. Callers hold <see cref="Gate"/>.
    /// </summary>
    public EwsMailFolder FolderByPath(string mailbox, string path)
    {
        EnsureMailbox(mailbox);
        string[] segments = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (segments.Length == 0)
        {
            segments = new[] { "inbox" };
        }

        EwsMailFolder current = Distinguished(mailbox, segments[0]) ?? Distinguished(mailbox, "msgfolderroot")!;
        foreach (string segment in Distinguished(mailbox, segments[0]) is null ? segments : segments.Skip(1))
        {
            current = Child(current.Id, segment) ?? AddFolder(current, segment);
        }

        return current;
    }

    /// <summary>A message from raw MIME: the listing properties as Exchange derives them from the headers.</summary>
    public EwsMailItem AddMessage(string mailbox, string folderPath, byte[] mime, string? itemClass, DateTimeOffset? received, bool isRead)
    {
        lock (_gate)
        {
            EwsMailFolder folder = FolderByPath(mailbox, folderPath);
            MimeMessage parsed;
            using (var stream = new MemoryStream(mime, writable: false))
            {
                parsed = MimeMessage.Load(stream);
            }

            static EwsMailboxRef Ref(MailboxAddress a) => new(string.IsNullOrEmpty(a.Name) ? null : a.Name, a.Address);
            var item = new EwsMailItem
            {
                Id = EwsCalendarStore.NewId(),
                ChangeKey = EwsCalendarStore.NewChangeKey(),
                Mailbox = folder.Mailbox,
                FolderId = folder.Id,
                FolderPath = PathOf(folder),
                ItemClass = itemClass ?? "IPM.Note",
                Subject = parsed.Subject,
                From = parsed.From.Mailboxes.Select(Ref).FirstOrDefault(),
                To = parsed.To.Mailboxes.Select(Ref).ToList(),
                Cc = parsed.Cc.Mailboxes.Select(Ref).ToList(),
                InternetMessageId = parsed.MessageId is null ? null : "<" + parsed.MessageId + ">",
                // The time Exchange received it: the test's, else now (never the Date header, which the sender writes).
                DateTimeReceived = (received ?? DateTimeOffset.UtcNow).ToUniversalTime(),
                IsRead = isRead,
                HasAttachments = parsed.Attachments.Any(),
                Size = mime.Length,
                Mime = mime,
            };
            item.ChangeKeys.Add(item.ChangeKey);
            Items.Add(item);
            return item;
        }
    }
}
