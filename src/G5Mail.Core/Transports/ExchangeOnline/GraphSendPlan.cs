using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>
    /// Graph's size rules, from "Attach large files to Outlook messages or events" (learn.microsoft.com/graph/outlook-large-attachments):
    /// a file under 3 MB goes in the request ("do a single POST on the attachments navigation property"); 3 MB to 150 MB
    /// through an upload session, in byte ranges of less than 4 MB; and "Upload large files using an upload session"
    /// (learn.microsoft.com/graph/api/driveitem-createuploadsession): each range a multiple of 320 KiB. No Graph request may
    /// exceed 4 MB. MB is read as MiB (1,048,576 bytes), as Exchange counts. Settable so tests can shrink them.
    /// </summary>
    public sealed class GraphLimits
    {
        public const long MiB = 1_048_576;

        public static readonly GraphLimits Default = new GraphLimits();

        /// <summary>The whole request body.</summary>
        public long MaxRequestBytes { get; set; } = 4 * MiB;

        /// <summary>A file this size or larger must go through an upload session (and a smaller one may not).</summary>
        public long LargeAttachmentBytes { get; set; } = 3 * MiB;

        public long MaxUploadBytes { get; set; } = 150 * MiB;

        /// <summary>Every range but the last is a multiple of this.</summary>
        public long ChunkMultipleBytes { get; set; } = 320 * 1024;

        /// <summary>A range must be smaller than this.</summary>
        public long MaxChunkBytes { get; set; } = 4 * MiB;

        /// <summary>The largest multiple of 320 KiB below 4 MiB: 12 x 320 KiB = 3,932,160 bytes (3.75 MiB).</summary>
        public long ChunkBytes
        {
            get
            {
                long multiple = ChunkMultipleBytes > 0 ? ChunkMultipleBytes : 1;
                long chunk = ((MaxChunkBytes - 1) / multiple) * multiple;
                return chunk > 0 ? chunk : multiple;
            }
        }
    }

    /// <summary>How one attachment travels.</summary>
    public enum AttachmentRoute
    {
        /// <summary>Inside the sendMail or create-draft request.</summary>
        Inline,

        /// <summary>POST .../messages/{id}/attachments (one request of its own).</summary>
        Post,

        /// <summary>createUploadSession and chunked PUTs.</summary>
        Upload,
    }

    /// <summary>One byte range of an upload session.</summary>
    public struct UploadChunk : IEquatable<UploadChunk>
    {
        public UploadChunk(long offset, long length, long total)
        {
            Offset = offset;
            Length = length;
            Total = total;
        }

        public long Offset { get; }
        public long Length { get; }
        public long Total { get; }

        /// <summary>The Content-Range header value: "bytes first-last/total".</summary>
        public string ContentRange => string.Format(CultureInfo.InvariantCulture, "bytes {0}-{1}/{2}", Offset, Offset + Length - 1, Total);

        public bool Equals(UploadChunk other) => Offset == other.Offset && Length == other.Length && Total == other.Total;

        public override bool Equals(object? obj) => obj is UploadChunk other && Equals(other);

        public override int GetHashCode() => (Offset, Length, Total).GetHashCode();

        public override string ToString() => ContentRange;
    }

    /// <summary>
    /// The Graph requests for one message: sendMail with everything inline when it fits in one request, otherwise a draft
    /// (with the leading small files that fit inline), then each following file in order, posted on its own when small,
    /// uploaded in chunks when large, then send. Pure: sizes in, plan out, so it is tested without a server.
    /// </summary>
    public sealed class GraphSendPlan
    {
        private GraphSendPlan(bool useDraft, IReadOnlyList<(DocumentFile File, AttachmentRoute Route)> attachments)
        {
            UseDraft = useDraft;
            Attachments = attachments;
        }

        /// <summary>False: one sendMail request. True: create draft, attach, send.</summary>
        public bool UseDraft { get; }

        public IReadOnlyList<(DocumentFile File, AttachmentRoute Route)> Attachments { get; }

        public IEnumerable<DocumentFile> Inline => Attachments.Where(a => a.Route == AttachmentRoute.Inline).Select(a => a.File);

        /// <param name="files">The message's files in order.</param>
        /// <param name="messageBytes">The request body without any attachment (but with an empty attachments array).</param>
        /// <param name="attachmentOverhead">Bytes of one file's JSON element without its content (name, type, property names).</param>
        public static GraphSendPlan Create(IReadOnlyList<DocumentFile> files, long messageBytes, Func<DocumentFile, long> attachmentOverhead, GraphLimits limits)
        {
            var routes = new List<(DocumentFile, AttachmentRoute)>();
            long inlineBytes = messageBytes;
            bool draft = false;
            // Exchange lists attachments in the order they were added: once one file is attached separately, every file
            // after it is too, so the message keeps the order the documents were given in.
            bool separate = false;
            foreach (DocumentFile file in files)
            {
                long element = attachmentOverhead(file) + Base64Length(file.Length) + 1; // + the separating comma
                if (file.Length > limits.MaxUploadBytes)
                {
                    throw new G5MailErrorException(ErrorIds.MessageTooLarge, ErrorKind.LimitsExceeded,
                        $"'{file.FileName}' is {Mb(file.Length)} MB; Exchange Online takes attachments of at most {Mb(limits.MaxUploadBytes)} MB " +
                        "each (Microsoft Graph upload session limit). Send it another way or make it smaller.", file.FileName);
                }

                if (file.Length >= limits.LargeAttachmentBytes)
                {
                    routes.Add((file, AttachmentRoute.Upload));
                    draft = true;
                    separate = true;
                    continue;
                }

                // A small file must fit in a request of its own (POST .../attachments) in case it cannot go inline.
                long alone = attachmentOverhead(file) + Base64Length(file.Length);
                if (alone > limits.MaxRequestBytes)
                {
                    throw new G5MailErrorException(ErrorIds.MessageTooLarge, ErrorKind.LimitsExceeded,
                        $"'{file.FileName}' ({file.Length} bytes) is a few bytes too large for one Microsoft Graph request (4 MB with base64) and " +
                        $"too small for an upload session (from {Mb(limits.LargeAttachmentBytes)} MB). Send this document with " +
                        "ExchangeOnlineProtocol Smtp, or change the file's size slightly.", file.FileName);
                }

                if (!separate && inlineBytes + element <= limits.MaxRequestBytes)
                {
                    inlineBytes += element;
                    routes.Add((file, AttachmentRoute.Inline));
                }
                else
                {
                    routes.Add((file, AttachmentRoute.Post));
                    draft = true;
                    separate = true;
                }
            }

            return new GraphSendPlan(draft, routes);
        }

        /// <summary>The byte ranges of an upload: <see cref="GraphLimits.ChunkBytes"/> each, the last one the rest.</summary>
        public static IReadOnlyList<UploadChunk> Chunks(long size, GraphLimits limits)
        {
            if (size <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(size), "An upload needs at least one byte.");
            }

            long chunk = limits.ChunkBytes;
            var chunks = new List<UploadChunk>((int)((size + chunk - 1) / chunk));
            for (long offset = 0; offset < size; offset += chunk)
            {
                chunks.Add(new UploadChunk(offset, Math.Min(chunk, size - offset), size));
            }

            return chunks;
        }

        /// <summary>Base64 without line breaks, as JSON carries it: 4 characters per 3 bytes, padded.</summary>
        public static long Base64Length(long bytes) => bytes <= 0 ? 0 : ((bytes + 2) / 3) * 4;

        private static string Mb(long bytes) => (bytes / (double)GraphLimits.MiB).ToString("0.##", CultureInfo.InvariantCulture);
    }
}
