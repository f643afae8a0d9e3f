using System;
using System.Collections.Generic;
using System.Linq;

namespace G5Mail.Core.Documents
{
    /// <summary>
    /// One document to send (an order, an invoice, ...): its files travel together in one message and are never
    /// separated. Built by <see cref="DocumentCollector"/> from one or more requests with the same DocumentId and
    /// recipients.
    /// </summary>
    public sealed class Document
    {
        public Document(
            string documentId,
            IReadOnlyList<DocumentFile> files,
            RecipientSet recipients,
            int inputIndex,
            IReadOnlyList<DocumentRequest>? requests = null)
        {
            DocumentId = documentId ?? throw new ArgumentNullException(nameof(documentId));
            Files = files ?? throw new ArgumentNullException(nameof(files));
            Recipients = recipients ?? throw new ArgumentNullException(nameof(recipients));
            InputIndex = inputIndex;
            Requests = requests ?? Array.Empty<DocumentRequest>();
            TotalBytes = files.Sum(f => f.Length);
            DocumentType type = DocumentType.Other;
            if (Requests.Count > 0)
            {
                // The first request speaks for the document; the others add files.
                DocumentRequest first = Requests[0];
                DocumentTypes.TryParse(first.DocumentType, out type);
                Language = string.IsNullOrWhiteSpace(first.Language) ? null : first.Language!.Trim();
                Subject = string.IsNullOrEmpty(first.Subject) ? null : first.Subject;
                Body = string.IsNullOrEmpty(first.Body) ? null : first.Body;
                BodyAsHtml = first.BodyAsHtml;
                Properties = first.Properties;
            }

            DocumentType = type;
        }

        /// <summary>Other unless the input named a type.</summary>
        public DocumentType DocumentType { get; }

        /// <summary>The recipient's language as given; null for the MessageLanguage setting.</summary>
        public string? Language { get; }

        /// <summary>This document's own subject, null when it has none.</summary>
        public string? Subject { get; }

        /// <summary>This document's own message text, null when it has none.</summary>
        public string? Body { get; }

        public bool? BodyAsHtml { get; }

        /// <summary>The input object's properties, for placeholders such as {CustomerName}.</summary>
        public IReadOnlyDictionary<string, string?> Properties { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

        public string DocumentId { get; }

        public IReadOnlyList<DocumentFile> Files { get; }

        public RecipientSet Recipients { get; }

        /// <summary>The input position of the first request that formed this document.</summary>
        public int InputIndex { get; }

        /// <summary>The requests merged into this document, in input order (their Source finds the input objects).</summary>
        public IReadOnlyList<DocumentRequest> Requests { get; }

        /// <summary>Sum of the file sizes on disk: what the attachment size limit is compared with.</summary>
        public long TotalBytes { get; }

        public override string ToString() => DocumentId + " (" + string.Join(", ", Files.Select(f => f.FileName)) + ")";
    }
}
