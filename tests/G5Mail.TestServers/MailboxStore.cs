using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MimeKit;

namespace G5Mail.TestServers;

/// <summary>A mail folder of a mailbox, as Graph's mailFolder resource describes it.</summary>
public sealed class MailboxFolder
{
    public string Id { get; init; } = "";
    public string Mailbox { get; init; } = "";
    public string? ParentId { get; init; }
    public string DisplayName { get; init; } = "";

    /// <summary>Graph's well-known name (inbox, sentitems, ..., msgfolderroot) for the default folders; null for others.</summary>
    public string? WellKnownName { get; init; }
}

/// <summary>A received message: its raw MIME (what $value returns) and the properties Graph lists.</summary>
public sealed class MailboxMessage
{
    public string Id { get; set; } = "";
    public string Mailbox { get; init; } = "";
    public string FolderId { get; set; } = "";
    public byte[] Mime { get; init; } = Array.Empty<byte>();

    /// <summary>PidTagMessageClass: IPM.Note, or REPORT.IPM.Note.NDR / REPORT.IPM.Note.DR for delivery reports.</summary>
    public string MessageClass { get; init; } = "IPM.Note";

    public DateTimeOffset Received { get; init; }
    public bool IsRead { get; set; }
    public string? InternetMessageId { get; init; }
    public string? Subject { get; init; }
    public Recipient? From { get; init; }
    public List<Recipient> To { get; init; } = new();
    public List<Recipient> Cc { get; init; } = new();
    public bool HasAttachments { get; init; }
    public int Version { get; set; } = 1;

    /// <summary>
    /// The listed properties from the MIME, as Exchange fills them on delivery. A message MimeKit cannot parse is still
    /// stored (Exchange keeps what it received): its properties stay empty, and $value returns the bytes as they came.
    /// </summary>
    public static MailboxMessage FromMime(string mailbox, string folderId, byte[] mime, string messageClass, DateTimeOffset received, bool isRead)
    {
        string? messageId = null, subject = null;
        Recipient? from = null;
        var to = new List<Recipient>();
        var cc = new List<Recipient>();
        bool attachments = false;
        try
        {
            using var stream = new MemoryStream(mime, writable: false);
            MimeMessage parsed = MimeMessage.Load(stream);
            messageId = parsed.MessageId is { Length: > 0 } id ? "<" + id + ">" : null;
            subject = parsed.Subject;
            from = parsed.From.Mailboxes.Select(m => new Recipient(m.Name, m.Address)).FirstOrDefault();
            to.AddRange(parsed.To.Mailboxes.Select(m => new Recipient(m.Name, m.Address)));
            cc.AddRange(parsed.Cc.Mailboxes.Select(m => new Recipient(m.Name, m.Address)));
            attachments = parsed.Attachments.Any();
        }
        catch (FormatException)
        {
        }

        return new MailboxMessage
        {
            Id = MailStore.NewItemId(), Mailbox = mailbox, FolderId = folderId, Mime = mime, MessageClass = messageClass, Received = received, IsRead = isRead,
            InternetMessageId = messageId, Subject = subject, From = from, To = to, Cc = cc, HasAttachments = attachments,
        };
    }
}

/// <summary>Every mailbox's folders and received messages, for the Graph mailbox stand-in; cleared by POST /_test/reset.</summary>
public sealed class MailboxStore
{
    /// <summary>The default folders every Exchange mailbox has, with their English display names and well-known names.</summary>
    private static readonly (string WellKnown, string Name)[] Defaults =
    {
        ("inbox", "Inbox"), ("sentitems", "Sent Items"), ("drafts", "Drafts"), ("deleteditems", "Deleted Items"),
        ("junkemail", "Junk Email"), ("archive", "Archive"), ("outbox", "Outbox"),
    };

    private readonly object _gate = new();
    private readonly List<MailboxFolder> _folders = new();
    private readonly List<MailboxMessage> _messages = new();

    /// <summary>Runs <paramref name="action"/> under the store's lock.</summary>
    public T Locked<T>(Func<T> action)
    {
        lock (_gate) return action();
    }

    /// <summary>The mailbox's root (msgfolderroot), creating the default folders on first use.</summary>
    public MailboxFolder Root(string mailbox)
    {
        lock (_gate)
        {
            MailboxFolder? root = _folders.FirstOrDefault(f => Same(f.Mailbox, mailbox) && f.WellKnownName == "msgfolderroot");
            if (root is not null) return root;
            root = new MailboxFolder { Id = MailStore.NewItemId(), Mailbox = mailbox, DisplayName = "Top of Information Store", WellKnownName = "msgfolderroot" };
            _folders.Add(root);
            foreach ((string wellKnown, string name) in Defaults)
            {
                _folders.Add(new MailboxFolder { Id = MailStore.NewItemId(), Mailbox = mailbox, ParentId = root.Id, DisplayName = name, WellKnownName = wellKnown });
            }

            return root;
        }
    }

    /// <summary>A folder by id or well-known name (case-insensitive, as Graph takes them).</summary>
    public MailboxFolder? Folder(string mailbox, string idOrWellKnown)
    {
        Root(mailbox);
        lock (_gate)
        {
            return _folders.FirstOrDefault(f => Same(f.Mailbox, mailbox) &&
                                                (f.Id == idOrWellKnown || string.Equals(f.WellKnownName, idOrWellKnown, StringComparison.OrdinalIgnoreCase)));
        }
    }

    public List<MailboxFolder> Children(string mailbox, string parentId)
    {
        lock (_gate) return _folders.Where(f => Same(f.Mailbox, mailbox) && f.ParentId == parentId).ToList();
    }

    /// <summary>A new child folder, or null when the parent already has one of that name (names compare without case).</summary>
    public MailboxFolder? AddChild(string mailbox, string parentId, string displayName)
    {
        lock (_gate)
        {
            if (_folders.Any(f => Same(f.Mailbox, mailbox) && f.ParentId == parentId && string.Equals(f.DisplayName, displayName, StringComparison.OrdinalIgnoreCase)))
            {
                return null;
            }

            var folder = new MailboxFolder { Id = MailStore.NewItemId(), Mailbox = mailbox, ParentId = parentId, DisplayName = displayName };
            _folders.Add(folder);
            return folder;
        }
    }

    /// <summary>The folder at a path of display names from the root ("Inbox/Leverantörsfakturor"), created when missing (seeding).</summary>
    public MailboxFolder EnsurePath(string mailbox, string path)
    {
        MailboxFolder folder = Root(mailbox);
        foreach (string segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            lock (_gate)
            {
                folder = _folders.FirstOrDefault(f => Same(f.Mailbox, mailbox) && f.ParentId == folder.Id && string.Equals(f.DisplayName, segment, StringComparison.OrdinalIgnoreCase))
                         ?? AddChild(mailbox, folder.Id, segment)!;
            }
        }

        return folder;
    }

    /// <summary>The folder's path of display names below the root.</summary>
    public string PathOf(MailboxFolder folder)
    {
        lock (_gate)
        {
            var names = new List<string>();
            for (MailboxFolder? f = folder; f is not null && f.WellKnownName != "msgfolderroot"; f = _folders.FirstOrDefault(p => p.Id == f.ParentId))
            {
                names.Insert(0, f.DisplayName);
            }

            return string.Join("/", names);
        }
    }

    public void Add(MailboxMessage message)
    {
        lock (_gate) _messages.Add(message);
    }

    public MailboxMessage? Message(string mailbox, string id)
    {
        lock (_gate) return _messages.FirstOrDefault(m => m.Id == id && Same(m.Mailbox, mailbox));
    }

    public List<MailboxMessage> InFolder(string mailbox, string folderId)
    {
        lock (_gate) return _messages.Where(m => Same(m.Mailbox, mailbox) && m.FolderId == folderId).ToList();
    }

    public List<MailboxMessage> AllMessages(string mailbox)
    {
        lock (_gate) return _messages.Where(m => Same(m.Mailbox, mailbox)).ToList();
    }

    public List<MailboxFolder> AllFolders(string mailbox)
    {
        Root(mailbox);
        lock (_gate) return _folders.Where(f => Same(f.Mailbox, mailbox)).ToList();
    }

    public void Clear()
    {
        lock (_gate)
        {
            _folders.Clear();
            _messages.Clear();
        }
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
