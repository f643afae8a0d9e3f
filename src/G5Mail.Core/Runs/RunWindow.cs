using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.Runs
{
    /// <summary>
    /// Sends a run's work items (planned messages, activities) up to a limit at a time (-ThrottleLimit) and hands the
    /// results back strictly in the order of the items, each as soon as it and every one before it are done. Every
    /// callback runs on the caller's thread (the pipeline thread): output, prompts and progress stay there; only the
    /// send itself runs elsewhere. With a limit of 1 an item is sent on the caller's thread, one after another.
    /// Until the first item has gone through, one item at a time: a rejected password or a dead server costs one
    /// attempt, not one per connection.
    /// </summary>
    /// <remarks>
    /// Cancellation: the token reaches every send in progress (each stops as a single send does on Ctrl+C);
    /// <see cref="Dispose"/> then waits for them, so no connection is closed under a sender and every send has its
    /// journal record written before the run's transports and journal are closed. A run ended without cancellation
    /// (a downstream Select-Object -First) lets the sends in progress finish, so none is cut mid-message.
    /// </remarks>
    public sealed class RunWindow<TWork, TResult> : IDisposable
        where TResult : class
    {
        private readonly int _limit;
        private readonly Func<TWork, CancellationToken, Task<TResult>> _send;
        private readonly Func<TResult, bool> _wentThrough;
        private readonly Queue<Entry> _queue = new Queue<Entry>();
        private readonly SemaphoreSlim _ended = new SemaphoreSlim(0);
        private int _running;
        private int _opened;

        /// <param name="limit">How many items may be in the air at once.</param>
        /// <param name="send">Sends one item; returns its result and throws only for cancellation.</param>
        /// <param name="wentThrough">True for a result that shows connecting and signing in work (then the window opens to <paramref name="limit"/>).</param>
        public RunWindow(int limit, Func<TWork, CancellationToken, Task<TResult>> send, Func<TResult, bool> wentThrough)
        {
            if (limit < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(limit), limit, "The limit must be at least 1.");
            }

            _limit = limit;
            _send = send ?? throw new ArgumentNullException(nameof(send));
            _wentThrough = wentThrough ?? throw new ArgumentNullException(nameof(wentThrough));
        }

        private bool CanStart => Volatile.Read(ref _running) < (Volatile.Read(ref _opened) == 1 ? _limit : 1);

        /// <summary>
        /// Sends every item and hands each result to <paramref name="emit"/> in item order. <paramref name="instead"/>
        /// runs once per item, just before it would be sent, and returns null to send it or the result it has instead
        /// (WhatIf, declined at -Confirm); <paramref name="idle"/> runs before each item and at least every
        /// <paramref name="tick"/> while sends are awaited (progress, queued log lines). Throws OperationCanceledException
        /// when the token is cancelled; dispose the window afterwards either way.
        /// </summary>
        public void Run(IReadOnlyList<TWork> items, Func<TWork, TResult?> instead, Action<TWork, TResult> emit, Action idle, TimeSpan tick,
            CancellationToken cancellationToken)
        {
            int next = 0;
            while (next < items.Count || _queue.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                idle();
                if (next < items.Count && CanStart)
                {
                    TWork item = items[next++];
                    TResult? decided = instead(item);
                    var entry = new Entry(item);
                    entry.Send = decided != null ? Task.FromResult(decided) : Start(entry, cancellationToken);
                    _queue.Enqueue(entry);
                }
                else if (_limit > 1 && _queue.Count > 0 && !_queue.Peek().IsDone)
                {
                    // Every connection busy, or nothing left to start: until a send ends, or it is time for idle again.
                    _ended.Wait(tick, cancellationToken);
                }

                while (_queue.Count > 0 && _queue.Peek().IsDone)
                {
                    Entry done = _queue.Dequeue();
                    emit(done.Item, done.Send.GetAwaiter().GetResult()); // rethrows the cancellation of a send Ctrl+C stopped
                }
            }
        }

        private Task<TResult> Start(Entry entry, CancellationToken cancellationToken)
        {
            TWork item = entry.Item;
            if (_limit == 1)
            {
                TResult result = _send(item, cancellationToken).GetAwaiter().GetResult();
                return Task.FromResult(result);
            }

            Interlocked.Increment(ref _running);
            try
            {
                return Task.Run(async () =>
                {
                    try
                    {
                        TResult result = await _send(item, cancellationToken).ConfigureAwait(false);
                        if (_wentThrough(result))
                        {
                            Volatile.Write(ref _opened, 1);
                        }

                        return result;
                    }
                    finally
                    {
                        // Marked done before the wake-up: the task itself completes only after this block, and the
                        // caller woken by the release must already see the entry as ready to take.
                        entry.IsDone = true;
                        Interlocked.Decrement(ref _running);
                        _ended.Release();
                    }
                });
            }
            catch
            {
                Interlocked.Decrement(ref _running);
                throw;
            }
        }

        /// <summary>Waits for every send still in progress (see the remarks); the results not taken are dropped.</summary>
        public void Dispose()
        {
            foreach (Entry entry in _queue)
            {
                try
                {
                    entry.Send.Wait();
                }
                catch (AggregateException)
                {
                    // Cancelled, or a bug already reported through the entry taken before: only the wait matters here.
                }
            }

            _queue.Clear();
            _ended.Dispose();
        }

        private sealed class Entry
        {
            private volatile bool _done;

            public Entry(TWork item)
            {
                Item = item;
            }

            public TWork Item { get; }

            public Task<TResult> Send { get; set; } = null!;

            /// <summary>The send has ended (its result may be taken, waiting at most for the task to complete).</summary>
            public bool IsDone
            {
                get => _done || Send.IsCompleted;
                set => _done = value;
            }
        }
    }
}
