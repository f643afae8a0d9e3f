using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using G5Mail.Core.Documents;
using G5Mail.Core.Messages;

namespace G5Mail.Bench;

/// <summary>
/// Line 4: MessagePlanner.Plan with Combine on 10,000 documents for 500 recipients (20 each, in shuffled input
/// order, sizes log-uniform 50 KB..4 MB, half with an XML file), limit 10 MB. Times the plan (warm, median) and
/// checks the message count of every recipient against the minimum, proven independently of the planner: the
/// volume bound ceil(sum / limit), else the Martello-Toth bound L2, else an exact dynamic programme over the 20
/// documents (2^20 subsets).
/// </summary>
public static class PlanningBench
{
    public const int Documents = 10_000;
    public const int Recipients = 500;
    public const long Limit = 10L * 1024 * 1024;

    public sealed record Result(
        double MedianMs,
        double[] RunsMs,
        int Messages,
        int VolumeBound,
        int ProvenMinimum,
        int GroupsAtVolumeBound,
        int GroupsProvenByL2,
        int GroupsProvenExactly,
        int GroupsAboveMinimum,
        string? InvalidPlan);

    public static Result Run(int runs = 9)
    {
        IReadOnlyList<Document> documents = CreateDocuments();

        // Warm up (JIT, tiered compilation) before timing.
        for (int i = 0; i < 3; i++)
        {
            MessagePlanner.Plan(documents, combine: true, Limit);
        }

        var times = new List<double>();
        IReadOnlyList<PlannedMessage> plan = Array.Empty<PlannedMessage>();
        for (int i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            plan = MessagePlanner.Plan(documents, combine: true, Limit);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        string? invalid = Validate(documents, plan);
        int volumeBound = 0, minimum = 0, atVolume = 0, byL2 = 0, exact = 0, above = 0;
        var dp = new long[1 << 20];
        foreach (IGrouping<string, PlannedMessage> group in plan.GroupBy(p => p.Recipients.Key))
        {
            long[] sizes = group.SelectMany(p => p.Documents).Select(d => d.TotalBytes).ToArray();
            int count = group.Count();
            int l1 = (int)((sizes.Sum() + Limit - 1) / Limit);
            volumeBound += l1;
            int best;
            if (count == l1)
            {
                best = l1;
                atVolume++;
            }
            else if (count == L2(sizes, Limit))
            {
                best = count;
                byL2++;
            }
            else
            {
                best = ExactMinimum(sizes, Limit, dp);
                exact++;
            }

            minimum += best;
            if (count > best)
            {
                above++;
            }
        }

        return new Result(Statistics.Median(times), times.ToArray(), plan.Count, volumeBound, minimum, atVolume, byL2, exact, above, invalid);
    }

    private static IReadOnlyList<Document> CreateDocuments()
    {
        var random = new Random(20_250_101);
        int perRecipient = Documents / Recipients;
        int[] owner = Enumerable.Range(0, Documents).Select(i => i / perRecipient).ToArray();
        random.Shuffle(owner);
        var recipients = Enumerable.Range(0, Recipients).Select(r => RecipientSet.Parse(new[] { $"customer{r:D3}@bench.test" })).ToArray();
        var documents = new List<Document>(Documents);
        for (int i = 0; i < Documents; i++)
        {
            string id = (100_000 + i).ToString(CultureInfo.InvariantCulture);
            long pdf = (long)Math.Exp(Math.Log(50_000) + (random.NextDouble() * (Math.Log(4_000_000) - Math.Log(50_000))));
            var files = new List<DocumentFile> { new($"/g5/out/{id}.pdf", pdf, "application/pdf") };
            if (random.Next(2) == 0)
            {
                files.Add(new DocumentFile($"/g5/out/{id}.xml", random.Next(5_000, 40_000), "application/xml"));
            }

            documents.Add(new Document(id, files, recipients[owner[i]], i));
        }

        return documents;
    }

    /// <summary>Every document exactly once, with its own recipients, and no message of two or more over the limit.</summary>
    private static string? Validate(IReadOnlyList<Document> documents, IReadOnlyList<PlannedMessage> plan)
    {
        var seen = new HashSet<Document>();
        foreach (PlannedMessage message in plan)
        {
            if (message.Documents.Count > 1 && message.AttachmentBytes > Limit)
            {
                return $"a message of {message.Documents.Count} documents holds {message.AttachmentBytes} bytes, over the limit";
            }

            foreach (Document document in message.Documents)
            {
                if (!seen.Add(document))
                {
                    return $"document {document.DocumentId} is planned twice";
                }

                if (!document.Recipients.Equals(message.Recipients))
                {
                    return $"document {document.DocumentId} is planned to the wrong recipients";
                }
            }
        }

        return seen.Count == documents.Count ? null : $"{documents.Count - seen.Count} documents are missing from the plan";
    }

    /// <summary>Martello and Toth's lower bound L2 for bin packing.</summary>
    internal static int L2(long[] sizes, long capacity)
    {
        int best = (int)((sizes.Sum() + capacity - 1) / capacity);
        IEnumerable<long> ks = sizes.Where(s => s <= capacity / 2).Append(0).Distinct();
        foreach (long k in ks)
        {
            long j1 = sizes.Count(s => s > capacity - k);
            long[] j2 = sizes.Where(s => s <= capacity - k && s > capacity / 2).ToArray();
            long j3 = sizes.Where(s => s <= capacity / 2 && s >= k).Sum();
            long free = (j2.Length * capacity) - j2.Sum();
            long extra = Math.Max(0, (j3 - free + capacity - 1) / capacity);
            best = Math.Max(best, (int)(j1 + j2.Length + extra));
        }

        return best;
    }

    /// <summary>
    /// The exact minimum number of bins for up to 20 items: over all subsets, the fewest bins and then the least
    /// load in the last bin (a classic DP; 2^n * n steps).
    /// </summary>
    internal static int ExactMinimum(long[] sizes, long capacity, long[] table)
    {
        int n = sizes.Length;
        if (n > 20)
        {
            throw new ArgumentException("At most 20 items.");
        }

        // State = bins * (capacity + 1) + load of the open bin: smaller is better (fewer bins, then emptier last bin).
        long scale = capacity + 1;
        int full = 1 << n;
        table[0] = scale; // one open, empty bin
        for (int mask = 1; mask < full; mask++)
        {
            long best = long.MaxValue;
            for (int i = 0; i < n; i++)
            {
                if ((mask & (1 << i)) == 0)
                {
                    continue;
                }

                long previous = table[mask ^ (1 << i)];
                long bins = previous / scale;
                long load = previous % scale;
                long candidate = load + sizes[i] <= capacity ? (bins * scale) + load + sizes[i] : ((bins + 1) * scale) + sizes[i];
                if (candidate < best)
                {
                    best = candidate;
                }
            }

            table[mask] = best;
        }

        return (int)(table[full - 1] / scale);
    }
}
