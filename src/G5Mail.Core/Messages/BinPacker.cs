using System;
using System.Collections.Generic;
using System.Linq;

namespace G5Mail.Core.Messages
{
    /// <summary>How a packing was found.</summary>
    internal enum PackingMethod
    {
        /// <summary>Everything fits in one bin, or there is nothing to pack.</summary>
        Trivial,
        FirstFitDecreasing,
        LocalSearch,
        BinCompletion,
        DynamicProgramming,
    }

    /// <summary>The bins of a packing, as indices into the sizes given, plus how good it is known to be.</summary>
    internal sealed class PackingResult
    {
        public PackingResult(IReadOnlyList<IReadOnlyList<int>> bins, bool isOptimal, PackingMethod method, int lowerBound, int firstFitDecreasingBins)
        {
            Bins = bins;
            IsOptimal = isOptimal;
            Method = method;
            LowerBound = lowerBound;
            FirstFitDecreasingBins = firstFitDecreasingBins;
        }

        public IReadOnlyList<IReadOnlyList<int>> Bins { get; }

        /// <summary>True when no packing with fewer bins exists (lower bound reached or exhaustive search).</summary>
        public bool IsOptimal { get; }

        public PackingMethod Method { get; }

        public int LowerBound { get; }

        public int FirstFitDecreasingBins { get; }
    }

    /// <summary>
    /// One-dimensional bin packing: the fewest bins of a capacity holding items of known sizes, each at most the
    /// capacity. Deterministic: ties are broken by item index, and every search is bounded by a work count, not a
    /// clock.
    ///
    /// Strategy: items sorted by size descending. First-fit-decreasing (FFD) gives a packing, the Martello-Toth
    /// bound L2 a lower bound; when they meet (the common case) FFD is optimal. Groups over
    /// <see cref="ExactItemLimit"/> items first get a local search (Levine-Ducatelle style). Then Korf's bin
    /// completion, a branch and bound with dominance, looks for fewer bins within a node budget, and proves
    /// optimality when it finishes. Up to <see cref="ExactItemLimit"/> items a search that ran out of budget ends
    /// in an exact dynamic programme over subsets (2^n n steps, bounded), so small groups are always minimal.
    /// Every stage starts from the best packing so far and only replaces it by one with fewer bins, so the
    /// result is never worse than FFD.
    /// </summary>
    internal sealed class BinPacker
    {
        /// <summary>Groups up to this size are always packed minimally.</summary>
        public const int ExactItemLimit = 20;

        /// <summary>Beyond this many items the bin completion search (recursive, one level per bin) is not tried.</summary>
        private const int BranchAndBoundItemLimit = 200;

        private readonly long _nodeBudget;
        private readonly long _localSearchBudget;
        private readonly bool _exactFallback;

        // The dynamic programme's tables, kept for the next group of the same plan.
        private long[]? _dpBest;
        private sbyte[]? _dpLast;

        /// <param name="nodeBudget">Search nodes per group (fewer for groups over ExactItemLimit items).</param>
        /// <param name="localSearchBudget">Work units (item comparisons) of the local search per group.</param>
        /// <param name="exactFallback">Tests turn the dynamic programme off to check the search alone.</param>
        public BinPacker(long nodeBudget = 100_000, long localSearchBudget = 2_000_000, bool exactFallback = true)
        {
            _nodeBudget = nodeBudget;
            _localSearchBudget = localSearchBudget;
            _exactFallback = exactFallback;
        }

        public PackingResult Pack(IReadOnlyList<long> sizes, long capacity)
        {
            if (sizes == null)
            {
                throw new ArgumentNullException(nameof(sizes));
            }

            if (capacity <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(capacity), "The capacity must be positive.");
            }

            var n = sizes.Count;
            for (var i = 0; i < n; i++)
            {
                if (sizes[i] < 0 || sizes[i] > capacity)
                {
                    throw new ArgumentOutOfRangeException(nameof(sizes), "Item " + i + " (" + sizes[i] + ") is negative or larger than the capacity " + capacity + ".");
                }
            }

            if (n == 0)
            {
                return new PackingResult(Array.Empty<IReadOnlyList<int>>(), true, PackingMethod.Trivial, 0, 0);
            }

            // Sorted positions: descending size, then ascending index, so equal inputs give equal plans.
            var order = Enumerable.Range(0, n).OrderByDescending(i => sizes[i]).ThenBy(i => i).ToArray();
            var s = new long[n];
            for (var k = 0; k < n; k++)
            {
                s[k] = sizes[order[k]];
            }

            var total = s.Sum();
            if (total <= capacity)
            {
                return new PackingResult(new IReadOnlyList<int>[] { Enumerable.Range(0, n).ToArray() }, true, PackingMethod.Trivial, 1, 1);
            }

            var lowerBound = LowerBound(s, capacity);
            var bins = FirstFitDecreasing(s, capacity);

            var ffdCount = bins.Count;
            var method = PackingMethod.FirstFitDecreasing;
            var optimal = bins.Count <= lowerBound;

            if (!optimal && n > ExactItemLimit)
            {
                if (LocalSearch.Improve(s, capacity, bins, lowerBound, _localSearchBudget))
                {
                    method = PackingMethod.LocalSearch;
                }

                optimal = bins.Count <= lowerBound;
            }

            if (!optimal && n <= BranchAndBoundItemLimit)
            {
                // A node costs O(n) (the bound of the remaining items), so larger groups get fewer nodes.
                var budget = n <= ExactItemLimit ? _nodeBudget : _nodeBudget * ExactItemLimit / n;
                var search = new BinCompletion(s, capacity, budget);
                var better = search.Improve(s, bins.Count, lowerBound, out var proven);
                if (better != null)
                {
                    bins = better;
                    method = PackingMethod.BinCompletion;
                }

                optimal = proven;
            }

            if (!optimal && _exactFallback && n <= ExactItemLimit)
            {
                var exact = ExactPacking(s, capacity);
                if (exact != null)
                {
                    if (exact.Count < bins.Count)
                    {
                        bins = exact;
                        method = PackingMethod.DynamicProgramming;
                    }

                    optimal = true;
                }
            }

            var result = bins
                .Select(bin => (IReadOnlyList<int>)bin.Select(k => order[k]).OrderBy(i => i).ToArray())
                .ToArray();
            return new PackingResult(result, optimal, method, lowerBound, ffdCount);
        }

        /// <summary>First-fit-decreasing on items already sorted descending; bins hold sorted positions.</summary>
        internal static List<List<int>> FirstFitDecreasing(long[] sortedDescending, long capacity)
        {
            // A max tree over the room left in n potential bins finds the first bin with room in O(log n), so
            // large groups (thousands of documents to one recipient) stay fast. Unused bins are empty and lie
            // to the right of the used ones, so "first with room" is first fit.
            var n = sortedDescending.Length;
            var leaves = 1;
            while (leaves < n)
            {
                leaves <<= 1;
            }

            var room = new long[2 * leaves];
            for (var leaf = 0; leaf < leaves; leaf++)
            {
                room[leaves + leaf] = leaf < n ? capacity : -1;
            }

            for (var node = leaves - 1; node >= 1; node--)
            {
                room[node] = Math.Max(room[2 * node], room[(2 * node) + 1]);
            }

            var bins = new List<List<int>>();
            for (var k = 0; k < n; k++)
            {
                var size = sortedDescending[k];
                var node = 1;
                while (node < leaves)
                {
                    node = room[2 * node] >= size ? 2 * node : (2 * node) + 1;
                }

                var b = node - leaves;
                if (b == bins.Count)
                {
                    bins.Add(new List<int>());
                }

                bins[b].Add(k);
                room[node] -= size;
                for (node >>= 1; node >= 1; node >>= 1)
                {
                    room[node] = Math.Max(room[2 * node], room[(2 * node) + 1]);
                }
            }

            return bins;
        }

        /// <summary>
        /// max(ceil(sum / C), L2) where L2 is the Martello-Toth bound: for a threshold a, items above C - a
        /// each need a bin, items above C/2 need a bin each, and items in [a, C/2] must fill what those leave.
        /// </summary>
        internal static int LowerBound(long[] s, long capacity)
        {
            var n = s.Length;
            var prefix = new long[n + 1];
            for (var k = 0; k < n; k++)
            {
                prefix[k + 1] = prefix[k] + s[k];
            }

            var best = (int)CeilDiv(prefix[n], capacity);
            var half = capacity / 2; // "s > C/2" is "s > floor(C/2)" for integers
            var aboveHalf = CountGreater(s, half);

            int Bound(long alpha)
            {
                var n1 = CountGreater(s, capacity - alpha);
                var n2 = aboveHalf - n1;
                var sum2 = prefix[aboveHalf] - prefix[n1];
                var atLeastAlpha = CountGreater(s, alpha - 1);
                var sum3 = prefix[atLeastAlpha] - prefix[aboveHalf];
                var room = (n2 * capacity) - sum2;
                return n1 + n2 + (int)CeilDiv(sum3 - room, capacity);
            }

            best = Math.Max(best, Bound(0));
            for (var k = n - 1; k >= aboveHalf; k--)
            {
                if (k == n - 1 || s[k] != s[k + 1])
                {
                    best = Math.Max(best, Bound(s[k]));
                }
            }

            return best;
        }

        /// <summary>Number of items strictly greater than value in a descending array.</summary>
        private static int CountGreater(long[] s, long value)
        {
            int lo = 0, hi = s.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >> 1;
                if (s[mid] > value)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }

        private static long CeilDiv(long a, long b) => a <= 0 ? 0 : ((a - 1) / b) + 1;

        /// <summary>
        /// Exact minimum by dynamic programming over subsets: for each subset the fewest bins and, among those,
        /// the smallest fill of the last bin, when its items are added one at a time (O(2^n n), about 10^7 steps
        /// for 20 items). The pair is kept as one number, bins * (C + 1) + fill, so comparing is one instruction.
        /// </summary>
        private List<List<int>>? ExactPacking(long[] s, long capacity)
        {
            var n = s.Length;
            if (capacity > long.MaxValue / 64)
            {
                return null; // bins * (C + 1) could overflow; no real attachment limit is this large
            }

            var states = 1 << n;
            if (_dpBest == null || _dpBest.Length < states)
            {
                _dpBest = new long[states];
                _dpLast = new sbyte[states];
            }

            var best = _dpBest;
            var last = _dpLast!;
            var scale = capacity + 1;
            var full = states - 1;
            for (var m = 1; m < states; m++)
            {
                best[m] = long.MaxValue;
            }

            best[0] = scale; // one empty bin
            last[0] = -1;
            for (var mask = 0; mask < full; mask++)
            {
                var value = best[mask];
                var bins = value / scale;
                var fill = value - (bins * scale);
                var free = ~mask & full;
                while (free != 0)
                {
                    var low = free & -free;
                    free ^= low;
                    var i = BitIndex[(int)((uint)(low * 0x077CB531) >> 27)];
                    var size = s[i];
                    var next = fill + size <= capacity ? value + size : ((bins + 1) * scale) + size;
                    var target = mask | low;
                    if (next < best[target])
                    {
                        best[target] = next;
                        last[target] = (sbyte)i;
                    }
                }
            }

            // Walk back the order in which items were added, then replay it: a new bin opens exactly where the
            // programme opened one.
            var sequence = new List<int>(n);
            for (var mask = full; mask != 0; mask &= ~(1 << last[mask]))
            {
                sequence.Add(last[mask]);
            }

            sequence.Reverse();
            var result = new List<List<int>> { new List<int>() };
            var load = 0L;
            foreach (var i in sequence)
            {
                if (load + s[i] > capacity)
                {
                    result.Add(new List<int>());
                    load = 0;
                }

                result[result.Count - 1].Add(i);
                load += s[i];
            }

            return result;
        }

        /// <summary>De Bruijn table: the index of a single set bit of a 32-bit word.</summary>
        private static readonly int[] BitIndex =
        {
            0, 1, 28, 2, 29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4, 8,
            31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6, 11, 5, 10, 9,
        };

        /// <summary>
        /// Korf's bin completion, a branch and bound that fills one bin at a time: the largest remaining item
        /// opens the bin, and the branches are the maximal sets of remaining items that fit beside it (a
        /// non-maximal bin can always take one more item without costing a bin, so only maximal ones are tried),
        /// fullest first. Items of equal size are interchangeable, so sets are chosen as counts per size. A node
        /// is cut when its bins plus the L2 bound of the remaining items cannot beat the best packing so far.
        /// </summary>
        private sealed class BinCompletion
        {
            private readonly long _capacity;
            private readonly long _budget;
            private readonly long[] _sizes;      // distinct sizes, descending
            private readonly int[] _available;   // remaining count per size
            private readonly List<int[]> _path = new List<int[]>();
            private long _nodes;
            private int _best;
            private int _target;
            private List<int[]>? _bestPath;

            public BinCompletion(long[] sortedDescending, long capacity, long budget)
            {
                _capacity = capacity;
                _budget = budget;
                var sizes = new List<long>();
                var counts = new List<int>();
                foreach (var size in sortedDescending)
                {
                    if (sizes.Count > 0 && sizes[sizes.Count - 1] == size)
                    {
                        counts[counts.Count - 1]++;
                    }
                    else
                    {
                        sizes.Add(size);
                        counts.Add(1);
                    }
                }

                _sizes = sizes.ToArray();
                _available = counts.ToArray();
            }

            /// <summary>
            /// Looks for a packing with fewer than <paramref name="incumbent"/> bins. Returns it (or null), and
            /// whether the answer is proven: the search finished, or reached the lower bound.
            /// </summary>
            public List<List<int>>? Improve(long[] sortedDescending, int incumbent, int lowerBound, out bool proven)
            {
                _best = incumbent;
                _target = lowerBound;
                _bestPath = null;
                try
                {
                    Search(0);
                    proven = true;
                }
                catch (BudgetExhausted)
                {
                    proven = _best <= _target;
                }

                if (_bestPath == null)
                {
                    return null;
                }

                // Counts per size back to item positions: the positions of one size are consecutive.
                var firstOfSize = new int[_sizes.Length];
                for (int g = 0, k = 0; g < _sizes.Length; g++)
                {
                    firstOfSize[g] = k;
                    while (k < sortedDescending.Length && sortedDescending[k] == _sizes[g])
                    {
                        k++;
                    }
                }

                var next = (int[])firstOfSize.Clone();
                var bins = new List<List<int>>();
                foreach (var counts in _bestPath)
                {
                    var bin = new List<int>();
                    for (var g = 0; g < counts.Length; g++)
                    {
                        for (var c = 0; c < counts[g]; c++)
                        {
                            bin.Add(next[g]++);
                        }
                    }

                    bins.Add(bin);
                }

                return bins;
            }

            private void Search(int binsUsed)
            {
                if (++_nodes > _budget)
                {
                    throw new BudgetExhausted();
                }

                var first = 0;
                while (first < _sizes.Length && _available[first] == 0)
                {
                    first++;
                }

                if (first == _sizes.Length)
                {
                    if (binsUsed < _best)
                    {
                        _best = binsUsed;
                        _bestPath = _path.Select(c => (int[])c.Clone()).ToList();
                        if (_best <= _target)
                        {
                            throw new BudgetExhausted(); // proven optimal: stop at once
                        }
                    }

                    return;
                }

                var bound = RemainingBound();
                if (binsUsed + bound >= _best)
                {
                    return;
                }

                // The largest remaining item opens the bin; the branches are the maximal sets beside it.
                _available[first]--;
                var completions = new List<(long Load, int[] Counts)>();
                Complete(first, _capacity - _sizes[first], new int[_sizes.Length], completions);
                _available[first]++;

                foreach (var completion in completions.OrderByDescending(c => c.Load).ToList())
                {
                    var counts = completion.Counts;
                    for (var g = 0; g < _sizes.Length; g++)
                    {
                        _available[g] -= counts[g];
                    }

                    _path.Add(counts);
                    try
                    {
                        Search(binsUsed + 1);
                    }
                    finally
                    {
                        _path.RemoveAt(_path.Count - 1);
                        for (var g = 0; g < _sizes.Length; g++)
                        {
                            _available[g] += counts[g];
                        }
                    }

                    if (binsUsed + bound >= _best)
                    {
                        return; // a better packing found below leaves nothing for the other branches
                    }
                }
            }

            /// <summary>
            /// Chooses how many items of each size, from group g on, go beside the opening item (of group
            /// <paramref name="opening"/>, already taken out of the available counts); keeps only maximal sets.
            /// </summary>
            private void Complete(int g, long room, int[] chosen, List<(long Load, int[] Counts)> completions, int opening = -1)
            {
                if (opening < 0)
                {
                    opening = g;
                }

                if (++_nodes > _budget)
                {
                    throw new BudgetExhausted();
                }

                if (g == _sizes.Length)
                {
                    for (var h = opening; h < _sizes.Length; h++)
                    {
                        if (_available[h] > chosen[h] && _sizes[h] <= room)
                        {
                            return; // one more item would fit: not maximal
                        }
                    }

                    if (Dominated(chosen, room, opening))
                    {
                        return;
                    }

                    var counts = (int[])chosen.Clone();
                    counts[opening]++;
                    long load = 0;
                    for (var h = opening; h < counts.Length; h++)
                    {
                        load += counts[h] * _sizes[h];
                    }

                    completions.Add((load, counts));
                    return;
                }

                var size = _sizes[g];
                var most = size == 0 ? _available[g] : (int)Math.Min(_available[g], room / size);
                for (var take = most; take >= 0; take--)
                {
                    chosen[g] = take;
                    Complete(g + 1, room - (take * size), chosen, completions, opening);
                }

                chosen[g] = 0;
            }

            /// <summary>
            /// Korf's dominance: a set is not worth trying when some of its items could be swapped for one item
            /// left out that is at least as large as they are together and still fits. The packing with that
            /// item in the bin is never worse (the swapped-out items fit wherever the item would have gone).
            /// </summary>
            private bool Dominated(int[] chosen, long room, int opening)
            {
                // Sub-multisets of the chosen items, counted per size: an odometer over 0..chosen[h].
                var take = new int[_sizes.Length];
                while (true)
                {
                    var h = opening;
                    while (h < _sizes.Length && take[h] == chosen[h])
                    {
                        take[h] = 0;
                        h++;
                    }

                    if (h == _sizes.Length)
                    {
                        return false;
                    }

                    take[h]++;
                    if (++_nodes > _budget)
                    {
                        throw new BudgetExhausted();
                    }

                    long sum = 0;
                    var items = 0;
                    var only = -1;
                    for (var g = opening; g < _sizes.Length; g++)
                    {
                        if (take[g] > 0)
                        {
                            sum += take[g] * _sizes[g];
                            items += take[g];
                            only = g;
                        }
                    }

                    for (var g = opening; g < _sizes.Length && _sizes[g] >= sum; g++)
                    {
                        var leftOut = _available[g] - chosen[g];
                        var replacesItself = items == 1 && g == only;
                        if (leftOut > 0 && !replacesItself && _sizes[g] <= sum + room)
                        {
                            return true;
                        }
                    }
                }
            }

            /// <summary>L2 of the items not yet packed.</summary>
            private int RemainingBound()
            {
                var count = 0;
                for (var g = 0; g < _sizes.Length; g++)
                {
                    count += _available[g];
                }

                var items = new long[count];
                for (int g = 0, k = 0; g < _sizes.Length; g++)
                {
                    for (var c = 0; c < _available[g]; c++)
                    {
                        items[k++] = _sizes[g];
                    }
                }

                return LowerBound(items, _capacity);
            }
        }

        private sealed class BudgetExhausted : Exception
        {
        }

        /// <summary>
        /// Improvement for groups too big for an exact search, after the local search of Levine and Ducatelle
        /// (2004): empty the lightest bins into a pool of free items; let every other bin exchange up to two of its
        /// items for up to two pool items whenever that fills it more (so the pool keeps the small items, which fit
        /// gaps more easily); then put the pool back first-fit decreasing. Repeated while it saves bins. Every
        /// state is a valid packing and the best one seen is kept, so the result is never worse than FFD.
        /// </summary>
        private static class LocalSearch
        {
            private const int MaxStaleRounds = 4;

            /// <summary>Improves bins in place; true when the packing has fewer bins afterwards.</summary>
            public static bool Improve(long[] s, long capacity, List<List<int>> bins, int lowerBound, long budget)
            {
                long work = 0;
                var best = Copy(bins);
                var current = Copy(bins);
                var stale = 0;
                while (best.Count > lowerBound && work < budget && stale < MaxStaleRounds)
                {
                    // Free more bins when freeing fewer did not help.
                    Round(s, capacity, current, Math.Min(current.Count, 1 + stale), budget, ref work);
                    if (current.Count < best.Count)
                    {
                        best = Copy(current);
                        stale = 0;
                    }
                    else
                    {
                        stale++;
                    }
                }

                if (best.Count >= bins.Count)
                {
                    return false;
                }

                bins.Clear();
                bins.AddRange(best);
                return true;
            }

            private static List<List<int>> Copy(List<List<int>> bins) => bins.Select(b => new List<int>(b)).ToList();

            private static void Round(long[] s, long capacity, List<List<int>> bins, int freed, long budget, ref long work)
            {
                work += s.Length;
                var loads = bins.Select(b => b.Sum(k => s[k])).ToList();
                var lightest = Enumerable.Range(0, bins.Count).OrderBy(b => loads[b]).ThenBy(b => b).Take(freed).OrderByDescending(b => b).ToArray();
                var pool = new List<int>();
                foreach (var b in lightest)
                {
                    pool.AddRange(bins[b]);
                    bins.RemoveAt(b);
                    loads.RemoveAt(b);
                }

                var changed = true;
                while (changed && pool.Count > 0 && work < budget)
                {
                    changed = false;
                    for (var b = 0; b < bins.Count && pool.Count > 0 && work < budget; b++)
                    {
                        if (Fill(s, capacity, bins[b], pool, loads, b, ref work))
                        {
                            changed = true;
                        }
                    }
                }

                // Back in first-fit decreasing (also when out of budget: the packing must stay whole).
                // Positions ascending are sizes descending.
                pool.Sort();
                foreach (var item in pool)
                {
                    var placed = false;
                    for (var b = 0; b < bins.Count; b++)
                    {
                        if (loads[b] + s[item] <= capacity)
                        {
                            bins[b].Add(item);
                            loads[b] += s[item];
                            placed = true;
                            break;
                        }
                    }

                    if (!placed)
                    {
                        bins.Add(new List<int> { item });
                        loads.Add(s[item]);
                    }

                    work += bins.Count;
                }
            }

            /// <summary>
            /// The exchange of at most two bin items for one or two pool items that leaves the bin fullest
            /// (within capacity, fuller than now). Returns false when no exchange fills it more.
            /// </summary>
            private static bool Fill(long[] s, long capacity, List<int> bin, List<int> pool, List<long> loads, int b, ref long work)
            {
                var load = loads[b];
                var bestLoad = load;
                int out1 = -1, out2 = -1, in1 = -1, in2 = -1;
                var m = bin.Count;
                var f = pool.Count;

                // What leaves the bin: nothing (o1 = -1), one item (o2 = -1) or two items (o1 < o2).
                for (var o1 = -1; o1 < m; o1++)
                {
                    for (var o2 = -1; o2 < m; o2 = o2 < 0 ? Math.Max(o1 + 1, 0) : o2 + 1)
                    {
                        if (o1 < 0 && o2 >= 0)
                        {
                            break;
                        }

                        var removed = (o1 >= 0 ? s[bin[o1]] : 0) + (o2 >= 0 ? s[bin[o2]] : 0);
                        var room = capacity - load + removed;
                        for (var i1 = 0; i1 < f; i1++)
                        {
                            var single = s[pool[i1]];
                            if (single <= room && load - removed + single > bestLoad)
                            {
                                bestLoad = load - removed + single;
                                (out1, out2, in1, in2) = (o1, o2, i1, -1);
                            }

                            for (var i2 = i1 + 1; i2 < f; i2++)
                            {
                                var pair = single + s[pool[i2]];
                                if (pair <= room && load - removed + pair > bestLoad)
                                {
                                    bestLoad = load - removed + pair;
                                    (out1, out2, in1, in2) = (o1, o2, i1, i2);
                                }
                            }
                        }

                        work += 1 + (f * (f + 1) / 2);
                    }
                }

                if (in1 < 0)
                {
                    return false;
                }

                var incoming = in2 >= 0 ? new[] { pool[in1], pool[in2] } : new[] { pool[in1] };
                var outgoing = new List<int>();
                if (out1 >= 0)
                {
                    outgoing.Add(bin[out1]);
                }

                if (out2 >= 0)
                {
                    outgoing.Add(bin[out2]);
                }

                foreach (var item in incoming)
                {
                    pool.Remove(item);
                    bin.Add(item);
                }

                foreach (var item in outgoing)
                {
                    bin.Remove(item);
                    pool.Add(item);
                }

                loads[b] = bestLoad;
                return true;
            }
        }
    }
}
