using System;
using System.Collections.Generic;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using Xunit;

namespace G5Mail.Core.Tests.Runs
{
    public sealed class TransportPoolTests
    {
        private sealed class Connection : IDisposable
        {
            public bool Disposed { get; private set; }

            public void Dispose() => Disposed = true;
        }

        [Fact]
        public void A_returned_transport_is_rented_again_and_a_new_one_is_made_only_when_all_are_busy()
        {
            var made = new List<int>();
            using var pool = new TransportPool<Connection>(() => new Connection(), (_, number) => made.Add(number));
            Connection first = pool.Rent();
            pool.Return(first);
            Assert.Same(first, pool.Rent());
            Connection second = pool.Rent();
            Assert.NotSame(first, second);
            Assert.Equal(2, pool.Count);
            Assert.Equal(new[] { 2 }, made); // told of every connection after the first
            Assert.Same(first, pool.First);
        }

        [Fact]
        public void A_transport_that_cannot_be_made_fails_every_rent_the_same_way_without_trying_again()
        {
            int calls = 0;
            var error = new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.NotImplemented, "Outlook needs Windows.");
            using var pool = new TransportPool<Connection>(() =>
            {
                calls++;
                throw error;
            });
            Assert.Same(error, Assert.Throws<G5MailErrorException>(() => pool.Rent()));
            Assert.Same(error, Assert.Throws<G5MailErrorException>(() => pool.Rent()));
            Assert.Equal(1, calls);
        }

        [Fact]
        public void Dispose_closes_idle_transports_and_one_still_in_use_when_it_comes_back()
        {
            var pool = new TransportPool<Connection>(() => new Connection());
            Connection idle = pool.Rent();
            Connection busy = pool.Rent();
            pool.Return(idle);
            pool.Dispose();
            Assert.True(idle.Disposed);
            Assert.False(busy.Disposed);
            pool.Return(busy);
            Assert.True(busy.Disposed);
            Assert.Throws<ObjectDisposedException>(() => pool.Rent());
        }
    }
}
