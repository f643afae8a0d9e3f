using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>
    /// Opens the TCP connection MailKit then speaks SMTP over, with TCP_NODELAY. MailKit leaves Nagle's algorithm on;
    /// then the last small write of each message (the end of the body and the final dot) waits until the server
    /// acknowledges the previous segments, and a server delays that ACK (up to 40 ms on Linux, 200 ms on Windows)
    /// because it has nothing to say before the dot. The benchmark (build/build.ps1 -Task Bench) measured a MailKit
    /// loop at 29 ms per 100 KB message on loopback with Nagle and 10 ms without.
    /// </summary>
    internal static class SmtpSocket
    {
        public static async Task<Socket> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal)
                ? new[] { literal }
                : await Dns.GetHostAddressesAsync(host).ConfigureAwait(false);
            if (addresses.Length == 0)
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }

            // As MailKit does: every address in the order the resolver gives, the first that answers wins.
            Exception? last = null;
            foreach (IPAddress address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await ConnectOneAsync(socket, new IPEndPoint(address, port), timeout, cancellationToken).ConfigureAwait(false);
                    return socket;
                }
                catch (Exception ex) when (ex is SocketException || ex is TimeoutException)
                {
                    socket.Dispose();
                    last = ex;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }

            throw last!;
        }

        private static async Task ConnectOneAsync(Socket socket, IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken)
        {
            // netstandard2.0 has no cancellable ConnectAsync: closing the socket ends a pending connect.
            Task connect = socket.ConnectAsync(endPoint);
            using (var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timer.CancelAfter(timeout);
                var abandoned = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                using (timer.Token.Register(() => abandoned.TrySetResult(true)))
                {
                    if (await Task.WhenAny(connect, abandoned.Task).ConfigureAwait(false) != connect)
                    {
                        socket.Dispose();
                        _ = connect.ContinueWith(t => t.Exception, TaskScheduler.Default); // observe the aborted connect
                        cancellationToken.ThrowIfCancellationRequested();
                        throw new TimeoutException($"No answer from {endPoint} within {timeout.TotalSeconds:0} s.");
                    }
                }
            }

            await connect.ConfigureAwait(false);
        }
    }
}
