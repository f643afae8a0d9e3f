using System;
using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Documents;

namespace G5Mail.Core.Messages
{
    /// <summary>One message of the plan: which documents travel together, to whom, and which part of a split it is.</summary>
    public sealed class PlannedMessage
    {
        public PlannedMessage(IReadOnlyList<Document> documents, RecipientSet recipients, int part, int partCount)
        {
            Documents = documents ?? throw new ArgumentNullException(nameof(documents));
            Recipients = recipients ?? throw new ArgumentNullException(nameof(recipients));
            if (documents.Count == 0)
            {
                throw new ArgumentException("A message needs at least one document.", nameof(documents));
            }

            if (partCount < 1 || part < 1 || part > partCount)
            {
                throw new ArgumentOutOfRangeException(nameof(part), "Part must be between 1 and PartCount.");
            }

            Part = part;
            PartCount = partCount;
            AttachmentBytes = documents.Sum(d => d.TotalBytes);
        }

        /// <summary>In input order.</summary>
        public IReadOnlyList<Document> Documents { get; }

        public RecipientSet Recipients { get; }

        /// <summary>1-based; 1 of 1 unless the recipient set's documents were split over several messages.</summary>
        public int Part { get; }

        public int PartCount { get; }

        /// <summary>Sum of the attachment file sizes on disk.</summary>
        public long AttachmentBytes { get; }

        public IReadOnlyList<string> DocumentIds => Documents.Select(d => d.DocumentId).ToArray();

        public IReadOnlyList<DocumentFile> Files => Documents.SelectMany(d => d.Files).ToArray();

        public override string ToString() =>
            string.Join(", ", DocumentIds) + " to " + Recipients + (PartCount > 1 ? " (part " + Part + " of " + PartCount + ")" : string.Empty);
    }
}
