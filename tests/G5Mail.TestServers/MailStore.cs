using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;

namespace G5Mail.TestServers;

/// <summary>A recipient as Graph writes it: { "emailAddress": { "name": ..., "address": ... } }.</summary>
public sealed record Recipient(string? Name, string Address);

/// <summary>One file attachment; small ones in memory, upload-session ones in a temp file (150 MB must not sit in RAM).</summary>
public sealed class StoredAttachment
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public string ContentType { get; init; } = "application/octet-stream";
    public bool IsInline { get; init; }
    public string? ContentId { get; init; }
    public long Size { get; init; }
    public byte[]? Bytes { get; init; }
    public string? FilePath { get; init; }

    public Stream OpenRead() => Bytes is not null
        ? new MemoryStream(Bytes, writable: false)
        : new FileStream(FilePath!, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
}

/// <summary>A message in a mailbox: a draft (POST /messages) or the message of a sendMail call.</summary>
public sealed class StoredMessage
{
    public string Id { get; init; } = "";
    public string Mailbox { get; init; } = "";
    public string? Subject { get; set; }
    public string BodyContentType { get; set; } = "text";
    public string BodyContent { get; set; } = "";
    public List<Recipient> To { get; } = new();
    public List<Recipient> Cc { get; } = new();
    public List<Recipient> Bcc { get; } = new();
    public List<Recipient> ReplyTo { get; } = new();
    public string? InternetMessageId { get; set; }
    public string? Importance { get; set; }
    public List<KeyValuePair<string, string>> Headers { get; } = new();
    public List<StoredAttachment> Attachments { get; } = new();
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>An attachment upload session ("attachment: createUploadSession"): bytes arrive in order into a temp file.</summary>
public sealed class UploadSession
{
    public string Id { get; init; } = "";
    public string AuthToken { get; init; } = "";
    public string Mailbox { get; init; } = "";
    public string MailboxUserId { get; init; } = "";
    public Guid TenantId { get; init; }
    public string MessageId { get; init; } = "";
    public string Name { get; init; } = "";
    public string ContentType { get; init; } = "application/octet-stream";
    public bool IsInline { get; init; }
    public string? ContentId { get; init; }
    public long Size { get; init; }
    public DateTimeOffset Expires { get; init; }
    public string FilePath { get; init; } = "";
    public long Received { get; set; }

    /// <summary>One PUT at a time per session; the upload must be sequential anyway.</summary>
    public System.Threading.SemaphoreSlim Gate { get; } = new(1, 1);
}

public sealed class MailStore : IDisposable
{
    private readonly ConcurrentDictionary<string, StoredMessage> _messages = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);

    public MailStore(string dataDirectory)
    {
        DataDirectory = dataDirectory;
        System.IO.Directory.CreateDirectory(dataDirectory);
    }

    public string DataDirectory { get; }

    /// <summary>Exchange-like opaque ids ("AAMkA..."); base64url keeps them path-safe, the trailing '=' keeps clients honest about escaping.</summary>
    public static string NewItemId() => "AAMkAG" + TokenSigner.Base64Url(RandomNumberGenerator.GetBytes(24)) + "=";

    public void Add(StoredMessage message) => _messages[message.Id] = message;

    public StoredMessage? Find(string mailbox, string id) =>
        _messages.TryGetValue(id, out StoredMessage? m) && string.Equals(m.Mailbox, mailbox, StringComparison.OrdinalIgnoreCase) ? m : null;

    /// <summary>Removes a sent draft ("moved to Sent Items") and deletes its temp files.</summary>
    public void Remove(StoredMessage message)
    {
        _messages.TryRemove(message.Id, out _);
        DeleteFiles(message);
    }

    public UploadSession NewSession(UploadSession template) => _sessions[template.Id] = template;

    public UploadSession? FindSession(string id) => _sessions.TryGetValue(id, out UploadSession? s) ? s : null;

    public void RemoveSession(UploadSession session, bool deleteFile)
    {
        _sessions.TryRemove(session.Id, out _);
        if (deleteFile) TryDelete(session.FilePath);
    }

    public string NewTempFile() => Path.Combine(DataDirectory, Guid.NewGuid().ToString("N") + ".bin");

    public void Clear()
    {
        foreach (StoredMessage m in _messages.Values) DeleteFiles(m);
        foreach (UploadSession s in _sessions.Values) TryDelete(s.FilePath);
        _messages.Clear();
        _sessions.Clear();
    }

    private static void DeleteFiles(StoredMessage message)
    {
        foreach (StoredAttachment a in message.Attachments.Where(a => a.FilePath is not null)) TryDelete(a.FilePath!);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A file still open by a failed delivery is left for the directory cleanup at shutdown.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public void Dispose()
    {
        Clear();
        try
        {
            System.IO.Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
