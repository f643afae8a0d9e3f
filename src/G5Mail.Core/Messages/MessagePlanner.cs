using System;
using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Documents;

namespace G5Mail.Core.Messages
{
    /// <summary>
    /// Decides which documents travel in which message (INTERFACE.md, "Splitting"). A pure, deterministic
    /// function of its input: no I/O, no clock.
    /// </summary>
    public static class MessagePlanner
    {
        /// <summary>
        /// Without <paramref name="combine"/>: one message per document. With it: one message per distinct
        /// recipient set, split only when it holds two or more documents whose attachments together exceed
        /// <paramref name="limitBytes"/>; then into as few messages as possible, each within the limit, a document
        /// never separated, and a document over the limit on its own alone in its part. Documents keep input order
        /// inside a message, parts are numbered in the input order of their first document, and groups follow
        /// each other in the input order of their first document.
        /// Only documents of the same type, language and own subject, body and BodyAsHtml share a message (one message has
        /// one subject and one text); documents whose type is not in <paramref name="combinableTypes"/> (null: every type)
        /// always travel alone.
        /// </summary>
        public static IReadOnlyList<PlannedMessage> Plan(IReadOnlyList<Document> documents, bool combine, long limitBytes,
            IReadOnlyCollection<DocumentType>? combinableTypes = null)
        {
            if (documents == null)
            {
                throw new ArgumentNullException(nameof(documents));
            }

            if (limitBytes <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(limitBytes), limitBytes, "The attachment size limit must be positive.");
            }

            if (documents.Any(d => d == null))
            {
                throw new ArgumentException("The documents must not contain null.", nameof(documents));
            }

            // Stable sort: equal input positions keep the order given.
            var ordered = documents.Select((d, i) => (Document: d, Position: i))
                .OrderBy(x => x.Document.InputIndex)
                .ThenBy(x => x.Position)
                .Select(x => x.Document)
                .ToList();

            var messages = new List<PlannedMessage>();
            if (!combine)
            {
                foreach (var document in ordered)
                {
                    messages.Add(new PlannedMessage(new[] { document }, document.Recipients, 1, 1));
                }

                return messages;
            }

            var groups = new List<List<Document>>();
            var byKey = new Dictionary<string, List<Document>>(StringComparer.Ordinal);
            foreach (var document in ordered)
            {
                if (combinableTypes != null && !combinableTypes.Contains(document.DocumentType))
                {
                    groups.Add(new List<Document> { document });
                    continue;
                }

                var key = GroupKey(document);
                if (!byKey.TryGetValue(key, out var group))
                {
                    group = new List<Document>();
                    byKey.Add(key, group);
                    groups.Add(group);
                }

                group.Add(document);
            }

            var packer = new BinPacker();
            foreach (var group in groups)
            {
                var recipients = group[0].Recipients;
                var parts = Split(group, limitBytes, packer);
                for (var p = 0; p < parts.Count; p++)
                {
                    messages.Add(new PlannedMessage(parts[p], recipients, p + 1, parts.Count));
                }
            }

            return messages;
        }

        /// <summary>What documents must share to travel in one message: recipients, and everything that makes its subject and text.</summary>
        internal static string GroupKey(Document document) =>
            string.Join("\u0000",
                document.Recipients.Key,
                document.DocumentType.ToString(),
                (document.Language ?? string.Empty).Trim().Replace('_', '-').ToLowerInvariant(),
                document.Subject ?? string.Empty,
                document.Body ?? string.Empty,
                document.BodyAsHtml?.ToString() ?? string.Empty);

        /// <summary>The parts of one recipient set's message; documents are in input order within the group.</summary>
        private static List<IReadOnlyList<Document>> Split(List<Document> group, long limitBytes, BinPacker packer)
        {
            var total = group.Sum(d => d.TotalBytes);
            if (group.Count < 2 || total <= limitBytes)
            {
                return new List<IReadOnlyList<Document>> { group };
            }

            // Documents over the limit cannot share a message with anything, so they are parts of their own.
            var parts = new List<List<int>>();
            var packable = new List<int>();
            for (var i = 0; i < group.Count; i++)
            {
                if (group[i].TotalBytes > limitBytes)
                {
                    parts.Add(new List<int> { i });
                }
                else
                {
                    packable.Add(i);
                }
            }

            var packing = packer.Pack(packable.Select(i => group[i].TotalBytes).ToArray(), limitBytes);
            foreach (var bin in packing.Bins)
            {
                parts.Add(bin.Select(k => packable[k]).ToList());
            }

            // Group positions are input order: sort inside each part, then parts by their first document.
            return parts
                .Select(part => part.OrderBy(i => i).ToList())
                .OrderBy(part => part[0])
                .Select(part => (IReadOnlyList<Document>)part.Select(i => group[i]).ToArray())
                .ToList();
        }
    }
}
