using System;
using System.Collections.Generic;

namespace G5Mail.Core.Runs
{
    /// <summary>
    /// The connections of one run: a send rents a transport no other send uses meanwhile and hands it back after; a new
    /// one is made only when all made so far are busy, so a run opens at most as many connections as it sends at once.
    /// A transport that cannot even be created (e.g. the method is not supported here) fails every rent the same way.
    /// Thread-safe; shared by the document run and the calendar run.
    /// </summary>
    public sealed class TransportPool<TTransport> : IDisposable
        where TTransport : class, IDisposable
    {
        private readonly Func<TTransport> _create;
        private readonly Action<TTransport, int> _opened;
        private readonly object _gate = new object();
        private readonly List<TTransport> _all = new List<TTransport>();
        private readonly Stack<TTransport> _idle = new Stack<TTransport>();
        private G5MailErrorException? _createError;
        private bool _disposed;

        /// <param name="create">Makes a transport; it connects on its first use, so creating one under the lock is cheap.</param>
        /// <param name="opened">Told of every transport made after the first (for the verbose log), with its number.</param>
        public TransportPool(Func<TTransport> create, Action<TTransport, int>? opened = null)
        {
            _create = create ?? throw new ArgumentNullException(nameof(create));
            _opened = opened ?? ((_, __) => { });
        }

        /// <summary>The first transport made, once there is one (its Server names where the run's messages go).</summary>
        public TTransport? First
        {
            get
            {
                lock (_gate)
                {
                    return _all.Count > 0 ? _all[0] : null;
                }
            }
        }

        /// <summary>Transports (connections) made so far.</summary>
        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _all.Count;
                }
            }
        }

        public TTransport Rent()
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    throw new ObjectDisposedException(nameof(TransportPool<TTransport>));
                }

                if (_createError != null)
                {
                    throw _createError;
                }

                if (_idle.Count > 0)
                {
                    return _idle.Pop();
                }

                TTransport transport;
                try
                {
                    transport = _create();
                }
                catch (G5MailErrorException ex)
                {
                    _createError = ex;
                    throw;
                }

                _all.Add(transport);
                if (_all.Count > 1)
                {
                    _opened(transport, _all.Count);
                }

                return transport;
            }
        }

        /// <summary>Hands a transport back; after <see cref="Dispose"/> it is closed instead.</summary>
        public void Return(TTransport transport)
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _idle.Push(transport);
                    return;
                }
            }

            transport.Dispose();
        }

        /// <summary>
        /// Closes every idle connection. Call after every send has ended (the run's window waits for them); a transport
        /// still in use is closed when its send hands it back, never under its sender.
        /// </summary>
        public void Dispose()
        {
            TTransport[] idle;
            lock (_gate)
            {
                _disposed = true;
                idle = _idle.ToArray();
                _idle.Clear();
            }

            foreach (TTransport transport in idle)
            {
                transport.Dispose();
            }
        }
    }
}
