using System;
using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Documents;

namespace G5Mail.Core.Tests.Messages
{
    /// <summary>Documents with made-up sizes: planning only reads sizes, so no file is needed.</summary>
    internal static class PlanningData
    {
        public const long MiB = 1_048_576;

        public static RecipientSet Recipients(params string[] to) => RecipientSet.Parse(to);

        public static Document Doc(string id, long bytes, RecipientSet recipients, int inputIndex) =>
            new Document(id, new[] { new DocumentFile("/data/" + id + ".pdf", bytes, "application/pdf") }, recipients, inputIndex);

        /// <summary>A document of two files (PDF + XML) whose sizes add up to bytes.</summary>
        public static Document TwoFileDoc(string id, long bytes, RecipientSet recipients, int inputIndex)
        {
            var xml = bytes / 5;
            return new Document(
                id,
                new[]
                {
                    new DocumentFile("/data/" + id + ".pdf", bytes - xml, "application/pdf"),
                    new DocumentFile("/data/" + id + ".xml", xml, "application/xml"),
                },
                recipients,
                inputIndex);
        }

        /// <summary>
        /// Random documents over a few recipient sets, sizes drawn relative to the limit so that splits, exact
        /// fits, oversized and empty documents all occur.
        /// </summary>
        public static List<Document> RandomDocuments(Random random, int count, int recipientSets, long limit)
        {
            var sets = Enumerable.Range(0, recipientSets)
                .Select(r => random.Next(2) == 0
                    ? Recipients("kund" + r + "@example.se")
                    : Recipients("KUND" + r + "@Example.se"))  // same set spelled differently
                .ToArray();
            var documents = new List<Document>();
            for (var i = 0; i < count; i++)
            {
                documents.Add(Doc("D" + i, RandomSize(random, limit), sets[random.Next(sets.Length)], i));
            }

            return documents;
        }

        public static long RandomSize(Random random, long limit)
        {
            var roll = random.Next(100);
            if (roll < 4)
            {
                return 0;
            }

            if (roll < 10)
            {
                return limit + 1 + random.Next((int)Math.Min(int.MaxValue, limit)); // oversized
            }

            if (roll < 16)
            {
                return limit / (1 + random.Next(4)); // exact fractions: ties and exact fits
            }

            if (roll < 22)
            {
                return limit; // exactly the limit: fits alone
            }

            return 1 + (long)(random.NextDouble() * limit * 0.7);
        }

        /// <summary>
        /// Fewest messages for one recipient set, by trying every partition of the documents into blocks (no
        /// bounds, no sorting: independent of the planner). A block is allowed when within the limit or when it is
        /// a single document.
        /// </summary>
        public static int BruteForceMinimum(IReadOnlyList<long> sizes, long limit)
        {
            if (sizes.Count <= 1 || sizes.Sum() <= limit)
            {
                return Math.Min(1, sizes.Count);
            }

            var best = int.MaxValue;
            var blocks = new List<List<long>>();

            void Assign(int i)
            {
                if (blocks.Count >= best)
                {
                    return;
                }

                if (i == sizes.Count)
                {
                    best = blocks.Count;
                    return;
                }

                for (var b = 0; b < blocks.Count; b++)
                {
                    var block = blocks[b];
                    if (Allowed(block, sizes[i]))
                    {
                        block.Add(sizes[i]);
                        Assign(i + 1);
                        block.RemoveAt(block.Count - 1);
                    }
                }

                blocks.Add(new List<long> { sizes[i] });
                Assign(i + 1);
                blocks.RemoveAt(blocks.Count - 1);
            }

            bool Allowed(List<long> block, long size) => block.Sum() + size <= limit;

            Assign(0);
            return best;
        }
    }
}
