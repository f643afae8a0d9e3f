using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Runs;
using G5Mail.Core.Transports;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// Sends through Microsoft Graph as the From mailbox (app-only: /users/{From}; ROPC: /me), saving a copy in Sent Items.
    /// A message whose attachments fit in one request (each under 3 MB, all under 4 MB) is one sendMail call; otherwise
    /// G5Mail creates a draft, attaches the files that did not fit (small ones with POST .../attachments, large ones through
    /// an upload session, read from disk one range at a time) and sends the draft. See <see cref="GraphSendPlan"/>.
    /// Graph returns no message id, so the composed Message-Id is sent as internetMessageId and reported.
    /// </summary>
    public sealed class GraphTransport : IMessageTransport
    {
        private readonly ExchangeOnlineOptions _options;
        private readonly GraphClient _graph;
        private readonly IRunLog _log;
        private readonly GraphLimits _limits;
        private byte[]? _chunkBuffer;

        public GraphTransport(ExchangeOnlineOptions options, IAccessTokenSource tokens, IRunLog log, GraphLimits? limits = null, GraphClient? client = null)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? NullRunLog.Instance;
            _limits = limits ?? GraphLimits.Default;
            _graph = client ?? new GraphClient(options, tokens, _log);
        }

        public string Server => _options.GraphEndpoint.Authority;

        private string Mailbox => _options.MailboxPath;

        /// <summary>Set only when a signed-in user sends as another address (then Exchange's Send As rules apply).</summary>
        private string? FromOverride =>
            !_options.IsAppOnly && _options.From != null && !string.Equals(_options.From, _options.UserName, StringComparison.OrdinalIgnoreCase)
                ? _options.From
                : null;

        public async Task<TransportReceipt> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
        {
            try
            {
                return await SendCoreAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // A file deleted, locked or unreadable since it was collected: this message fails, the others go on.
                throw new G5MailErrorException(ErrorIds.FileNotFound, ErrorKind.ReadError,
                    $"An attachment of {message.MessageId} could not be read while sending: {ex.Message}", string.Join(", ", message.DocumentIds), ex);
            }
        }

        private async Task<TransportReceipt> SendCoreAsync(OutgoingMessage message, CancellationToken cancellationToken)
        {
            string? from = FromOverride;
            long fixedBytes = GraphMessageWriter.MeasureWithoutAttachments(message, from, draft: false);
            GraphSendPlan plan = GraphSendPlan.Create(message.Attachments, fixedBytes, GraphMessageWriter.AttachmentOverhead, _limits);
            if (!plan.UseDraft)
            {
                byte[] body = GraphMessageWriter.SendMail(message, plan.Inline, from);
                if (body.LongLength > _limits.MaxRequestBytes)
                {
                    // Only when a file grew after it was collected: the plan used the sizes seen then.
                    throw new G5MailErrorException(ErrorIds.MessageTooLarge, ErrorKind.LimitsExceeded,
                        $"The message became larger ({body.LongLength} bytes) than one Microsoft Graph request may be (4 MB) because a file changed " +
                        "while sending. Send the documents again.", string.Join(", ", message.DocumentIds));
                }

                _log.Verbose($"Graph {Server}: sending {message.MessageId} with sendMail ({message.Attachments.Count} attachment(s) inline, {body.LongLength} bytes).");
                await _graph.SendAsync(HttpMethod.Post, Mailbox + "/sendMail", () => GraphClient.JsonContent(body),
                    new GraphOperation("send the message (sendMail)", GraphPermissions.MailSend, sendsMessage: true), cancellationToken).ConfigureAwait(false);
                return new TransportReceipt(message.MessageId, "202 Accepted (sendMail)");
            }

            return await SendThroughDraftAsync(message, plan, from, cancellationToken).ConfigureAwait(false);
        }

        private async Task<TransportReceipt> SendThroughDraftAsync(OutgoingMessage message, GraphSendPlan plan, string? from, CancellationToken cancellationToken)
        {
            byte[] draftBody = GraphMessageWriter.Draft(message, plan.Inline, from);
            _log.Verbose($"Graph {Server}: {message.MessageId} is too large for one request; creating a draft and attaching " +
                         $"{plan.Attachments.Count(a => a.Route != AttachmentRoute.Inline)} file(s) separately.");
            GraphResponse created = await _graph.SendAsync(HttpMethod.Post, Mailbox + "/messages", () => GraphClient.JsonContent(draftBody),
                new GraphOperation("create a draft for a message with large attachments", GraphPermissions.MailReadWrite), cancellationToken).ConfigureAwait(false);
            string draftId = GraphClient.ReadString(created.Body, "id") ?? throw new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidData,
                "Microsoft Graph created the draft but returned no id.", message.MessageId);
            string draftPath = Mailbox + "/messages/" + Uri.EscapeDataString(draftId);

            try
            {
                foreach ((DocumentFile file, AttachmentRoute route) in plan.Attachments)
                {
                    if (route == AttachmentRoute.Post)
                    {
                        byte[] body = GraphMessageWriter.Attachment(file);
                        await _graph.SendAsync(HttpMethod.Post, draftPath + "/attachments", () => GraphClient.JsonContent(body),
                            new GraphOperation($"attach '{file.FileName}' to the draft", GraphPermissions.MailReadWrite), cancellationToken).ConfigureAwait(false);
                    }
                    else if (route == AttachmentRoute.Upload)
                    {
                        await UploadAsync(draftPath, file, cancellationToken).ConfigureAwait(false);
                    }
                }

                await _graph.SendAsync(HttpMethod.Post, draftPath + "/send", () => null,
                    new GraphOperation("send the draft (message: send)", GraphPermissions.MailSend, sendsMessage: true), cancellationToken).ConfigureAwait(false);
            }
            catch (G5MailErrorException ex) when (ex.Failure == FailureClass.Uncertain)
            {
                // The send may have happened: then the draft is the sent message; leave it alone.
                throw;
            }
            catch (Exception ex) when (ex is G5MailErrorException || ex is IOException || ex is UnauthorizedAccessException)
            {
                await DeleteDraftAsync(draftPath, cancellationToken).ConfigureAwait(false);
                throw;
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: still remove the half-built draft, but wait for that only a few seconds.
                using (var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
                {
                    await DeleteDraftAsync(draftPath, cleanup.Token).ConfigureAwait(false);
                }

                throw;
            }

            return new TransportReceipt(message.MessageId, "202 Accepted (draft sent)");
        }

        private async Task UploadAsync(string draftPath, DocumentFile file, CancellationToken cancellationToken)
        {
            long size = new FileInfo(file.FullPath).Length;
            byte[] sessionBody = GraphMessageWriter.UploadSession(file, size);
            var operation = new GraphOperation($"upload '{file.FileName}' to the draft (createUploadSession)", GraphPermissions.MailReadWrite);
            GraphResponse session = await _graph.SendAsync(HttpMethod.Post, draftPath + "/attachments/createUploadSession", () => GraphClient.JsonContent(sessionBody),
                operation, cancellationToken).ConfigureAwait(false);
            string url = GraphClient.ReadString(session.Body, "uploadUrl") ?? throw new G5MailErrorException(ErrorIds.SendFailed, ErrorKind.InvalidData,
                "Microsoft Graph created the upload session but returned no uploadUrl.", file.FileName);

            IReadOnlyList<UploadChunk> chunks = GraphSendPlan.Chunks(size, _limits);
            _log.Verbose($"Graph {Server}: uploading '{file.FileName}' ({size.ToString("N0", CultureInfo.InvariantCulture)} bytes) in {chunks.Count} range(s).");
            byte[] buffer = _chunkBuffer ??= new byte[_limits.ChunkBytes];
            using (var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan))
            {
                foreach (UploadChunk chunk in chunks)
                {
                    int length = (int)chunk.Length;
                    await ReadExactlyAsync(stream, buffer, length, file, cancellationToken).ConfigureAwait(false);
                    UploadChunk range = chunk;
                    await _graph.UploadAsync(new Uri(url), () =>
                    {
                        var content = new ByteArrayContent(buffer, 0, length);
                        content.Headers.ContentRange = new ContentRangeHeaderValue(range.Offset, range.Offset + range.Length - 1, range.Total);
                        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                        return content;
                    }, operation, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        private static async Task ReadExactlyAsync(Stream stream, byte[] buffer, int count, DocumentFile file, CancellationToken cancellationToken)
        {
            int read = 0;
            while (read < count)
            {
                int n = await stream.ReadAsync(buffer, read, count - read, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new G5MailErrorException(ErrorIds.FileNotFound, ErrorKind.ReadError,
                        $"'{file.FullPath}' became shorter while it was being uploaded. Send the document again.", file.FullPath);
                }

                read += n;
            }
        }

        /// <summary>A failed send should not leave a half-built draft in the sender's Drafts folder ("Delete message": DELETE .../messages/{id}).</summary>
        private async Task DeleteDraftAsync(string draftPath, CancellationToken cancellationToken)
        {
            try
            {
                await _graph.SendAsync(HttpMethod.Delete, draftPath, () => null,
                    new GraphOperation("delete the unsent draft", GraphPermissions.MailReadWrite), cancellationToken).ConfigureAwait(false);
            }
            catch (G5MailErrorException ex)
            {
                _log.Warning($"The unsent draft could not be deleted from the Drafts folder of '{_options.From ?? _options.UserName}': {ex.Message}");
            }
            catch (OperationCanceledException)
            {
                _log.Warning($"The unsent draft was left in the Drafts folder of '{_options.From ?? _options.UserName}': deleting it took too long.");
            }
        }

        public void Dispose() => _graph.Dispose();
    }
}
