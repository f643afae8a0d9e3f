using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using MimeKit.Utils;

namespace G5Mail.TestServers;

/// <summary>
/// Turns what Graph "sends" into a real MIME message (MimeKit) and delivers it over SMTP (MailKit) to the configured
/// relay, typically smtp4dev, so the tests inspect Graph-sent mail exactly like SMTP-sent mail. Attachments are
/// streamed from memory or temp files byte for byte; From is the mailbox, as Exchange sets it.
/// </summary>
public sealed class MailRelay
{
    private readonly SmtpRelayConfig? _config;
    private readonly Action<string> _log;

    public MailRelay(SmtpRelayConfig? config, Action<string> log)
    {
        _config = config;
        _log = log;
    }

    public bool Configured => _config is not null;

    public static MimeMessage Compose(StoredMessage message, MailboxAddress from, List<IDisposable> open)
    {
        var mime = new MimeMessage();
        mime.From.Add(from);
        mime.To.AddRange(message.To.Select(ToAddress));
        mime.Cc.AddRange(message.Cc.Select(ToAddress));
        mime.Bcc.AddRange(message.Bcc.Select(ToAddress));
        mime.ReplyTo.AddRange(message.ReplyTo.Select(ToAddress));
        mime.Subject = message.Subject ?? "";
        mime.Date = DateTimeOffset.Now;
        mime.MessageId = string.IsNullOrWhiteSpace(message.InternetMessageId)
            ? MimeUtils.GenerateMessageId(from.Domain.Length > 0 ? from.Domain : "testserver.invalid")
            : message.InternetMessageId!.Trim().Trim('<', '>');
        foreach (KeyValuePair<string, string> h in message.Headers) mime.Headers.Add(h.Key, h.Value);
        if (message.Importance is { } importance && !importance.Equals("normal", StringComparison.OrdinalIgnoreCase))
        {
            mime.Importance = importance.Equals("high", StringComparison.OrdinalIgnoreCase) ? MessageImportance.High : MessageImportance.Low;
        }

        var body = new TextPart(message.BodyContentType.Equals("html", StringComparison.OrdinalIgnoreCase) ? "html" : "plain") { Text = message.BodyContent };
        if (message.Attachments.Count == 0)
        {
            mime.Body = body;
            return mime;
        }

        var mixed = new Multipart("mixed") { body };
        foreach (StoredAttachment a in message.Attachments)
        {
            Stream content = a.OpenRead();
            open.Add(content);
            var part = new MimePart(ContentType.TryParse(a.ContentType, out ContentType? ct) ? ct : new ContentType("application", "octet-stream"))
            {
                Content = new MimeContent(content),
                ContentDisposition = new ContentDisposition(a.IsInline ? ContentDisposition.Inline : ContentDisposition.Attachment) { Size = a.Size },
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = a.Name,
            };
            if (a.IsInline && !string.IsNullOrEmpty(a.ContentId)) part.ContentId = a.ContentId;
            mixed.Add(part);
        }

        mime.Body = mixed;
        return mime;
    }

    /// <summary>Delivers synchronously so a 202 means the message is already in the sink when the test looks.</summary>
    public async Task DeliverAsync(StoredMessage message, MailboxAddress from, CancellationToken cancellationToken)
    {
        if (_config is null)
        {
            throw new InvalidOperationException("No smtp relay is configured, so the test server cannot deliver what Graph sends. Add \"smtp\": { \"host\", \"port\" } to the config.");
        }

        var open = new List<IDisposable>();
        try
        {
            MimeMessage mime = Compose(message, from, open);
            var recipients = message.To.Concat(message.Cc).Concat(message.Bcc)
                .Select(r => r.Address).Distinct(StringComparer.OrdinalIgnoreCase).Select(a => new MailboxAddress("", a)).ToList();
            using var client = new SmtpClient();
            await client.ConnectAsync(_config.Host, _config.Port, SecureSocketOptions.None, cancellationToken);
            // Envelope sender is the mailbox; MailKit leaves the Bcc header out of the transmitted message.
            await client.SendAsync(mime, new MailboxAddress("", from.Address), recipients, cancellationToken);
            await client.DisconnectAsync(true, cancellationToken);
            _log($"delivered message {mime.MessageId} from {from.Address} to {recipients.Count} recipient(s) with {message.Attachments.Count} attachment(s)");
        }
        finally
        {
            foreach (IDisposable d in open) d.Dispose();
        }
    }

    private static MailboxAddress ToAddress(Recipient r) => new(r.Name ?? "", r.Address);
}
