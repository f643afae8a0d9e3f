using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Sending;

namespace G5Mail.Core.Delivery
{
    /// <summary>
    /// Sends a run's planned messages up to <see cref="SendRunOptions.ConnectionLimit"/> at a time (-ThrottleLimit) and
    /// hands the outcomes back strictly in the order the messages were given, each as soon as it and every one before it
    /// are done. The caller (the cmdlet, on the pipeline thread) starts messages while <see cref="CanStart"/>, takes what
    /// is ready with <see cref="TryTake"/> and writes it, and otherwise waits with <see cref="Wait"/>: all output,
    /// prompts and progress stay on its thread; only <see cref="SendRun.SendAsync"/> runs elsewhere.
    /// With a limit of 1 a message is sent on the caller's thread inside <see cref="Start"/>, exactly as without a window.
    /// </summary>
    /// <remarks>
    /// Cancellation: the token given to <see cref="Start"/> reaches every send in progress (each stops as a single send
    /// does on Ctrl+C); <see cref="Dispose"/> then waits for them, so no connection is closed under a sender and every
    /// send in progress has its journal record written before the run's transports and journal are closed. A run
    /// ended without cancellation (a downstream Select-Object -First) lets the sends in progress finish, so none is
    /// cut mid-message and left Uncertain.
    /// </remarks>
    public sealed class SendWindow : IDisposable
    {
        private readonly SendRun _run;
        private readonly int _limit;
        private readonly Queue<Entry> _queue = new Queue<Entry>();
        private readonly SemaphoreSlim _ended = new SemaphoreSlim(0);
        private int _running;

        // 1 once a message went through (the connection and the login work); until then one message at a time, so that
        // a rejected password or a dead server costs one attempt, not one per connection.
        private int _opened;

        public SendWindow(SendRun run)
        {
            _run = run ?? throw new ArgumentNullException(nameof(run));
            _limit = run.Options.ConnectionLimit;
        }

        /// <summary>How many messages may be in the air at once.</summary>
        public int Limit => _limit;

        /// <summary>
        /// Whether another message may be started now: fewer than <see cref="Limit"/> are being sent, and, until the first
        /// message has gone through, none at all (the first login is tried on one connection, never on N at once).
        /// </summary>
        public bool CanStart => Volatile.Read(ref _running) < (Volatile.Read(ref _opened) == 1 ? _limit : 1);

        /// <summary>True when every message given has been taken back.</summary>
        public bool IsEmpty => _queue.Count == 0;

        /// <summary>
        /// Sends the whole plan and hands every outcome to <paramref name="emit"/> in plan order. All callbacks run on the
        /// caller's thread: <paramref name="prepare"/> once per message, just before it would be sent, returns null to
        /// send it or the outcome it has instead (WhatIf, declined); <paramref name="idle"/> runs before each message
        /// and at least every <paramref name="tick"/> while the caller waits for sends (progress, queued log lines).
        /// Throws OperationCanceledException when the token is cancelled; dispose the window afterwards either way.
        /// </summary>
        public void Run(IReadOnlyList<PlannedMessage> plan, Func<PlannedMessage, MessageOutcome?> prepare, Action<PlannedMessage, MessageOutcome> emit,
            Action idle, TimeSpan tick, CancellationToken cancellationToken)
        {
            int next = 0;
            while (next < plan.Count || !IsEmpty)
            {
                cancellationToken.ThrowIfCancellationRequested();
                idle();
                if (next < plan.Count && CanStart)
                {
                    PlannedMessage planned = plan[next++];
                    MessageOutcome? instead = prepare(planned);
                    if (instead != null)
                    {
                        Add(planned, instead);
                    }
                    else
                    {
                        Start(planned, cancellationToken);
                    }
                }
                else
                {
                    // Every connection busy, or nothing left to start: until a send ends, or it is time for idle again.
                    Wait(tick, cancellationToken);
                }

                while (TryTake(out PlannedMessage? finished, out MessageOutcome? outcome))
                {
                    emit(finished!, outcome!);
                }
            }
        }

        /// <summary>Sends <paramref name="planned"/> (on the caller's thread when the limit is 1, otherwise on the thread pool).</summary>
        public void Start(PlannedMessage planned, CancellationToken cancellationToken)
        {
            if (!CanStart)
            {
                throw new InvalidOperationException("No connection is free: wait for a send to end first.");
            }

            if (_limit == 1)
            {
                _queue.Enqueue(new Entry(planned, Task.FromResult(_run.Send(planned, cancellationToken))));
                return;
            }

            Interlocked.Increment(ref _running);
            Task<MessageOutcome> send;
            try
            {
                send = Task.Run(async () =>
                {
                    try
                    {
                        MessageOutcome outcome = await _run.SendAsync(planned, cancellationToken).ConfigureAwait(false);
                        if (outcome.Status == DeliveryStatus.Sent || outcome.Status == DeliveryStatus.Uncertain)
                        {
                            // The server took (or may have taken) the data: connecting and logging in work.
                            Volatile.Write(ref _opened, 1);
                        }

                        return outcome;
                    }
                    finally
                    {
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

            _queue.Enqueue(new Entry(planned, send));
        }

        /// <summary>An outcome decided without sending (WhatIf, declined at -Confirm, cannot be sent): it keeps its place in the order.</summary>
        public void Add(PlannedMessage planned, MessageOutcome outcome) => _queue.Enqueue(new Entry(planned, Task.FromResult(outcome)));

        /// <summary>
        /// The next outcome in order, if it is done. Rethrows the cancellation (OperationCanceledException) of a send
        /// that Ctrl+C stopped.
        /// </summary>
        public bool TryTake(out PlannedMessage? planned, out MessageOutcome? outcome)
        {
            if (_queue.Count == 0 || !_queue.Peek().Send.IsCompleted)
            {
                planned = null;
                outcome = null;
                return false;
            }

            Entry next = _queue.Dequeue();
            planned = next.Planned;
            outcome = next.Send.GetAwaiter().GetResult();
            return true;
        }

        /// <summary>
        /// Waits until a send ends or <paramref name="timeout"/> passes (so the caller can write queued verbose messages
        /// and progress meanwhile). Throws OperationCanceledException when the token is cancelled.
        /// </summary>
        public void Wait(TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (_limit == 1 || _queue.Count == 0 || _queue.Peek().Send.IsCompleted)
            {
                return;
            }

            _ended.Wait(timeout, cancellationToken);
        }

        /// <summary>Waits for every send still in progress (see the remarks); the outcomes not taken are dropped.</summary>
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

        private readonly struct Entry
        {
            public Entry(PlannedMessage planned, Task<MessageOutcome> send)
            {
                Planned = planned;
                Send = send;
            }

            public PlannedMessage Planned { get; }
            public Task<MessageOutcome> Send { get; }
        }
    }
}
