using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.Diagnostics
{
    /// <summary>A connected socket and what it took to get it.</summary>
    public sealed class TcpConnection : IDisposable
    {
        internal TcpConnection(Socket socket, IPAddress address, double latencyMs)
        {
            Socket = socket;
            RemoteAddress = address;
            LatencyMs = latencyMs;
        }

        public Socket Socket { get; }
        public IPAddress RemoteAddress { get; }
        public double LatencyMs { get; }

        public void Dispose() => Socket.Dispose();
    }

    /// <summary>
    /// The first two steps of every server test: resolve the name, open a TCP connection, each within a bound.
    /// Failures become findings that tell "no such host" from "refused" from "no answer".
    /// </summary>
    public static class TcpReachability
    {
        /// <summary>Returns the connection, or null after adding the finding that says why there is none.</summary>
        public static async Task<TcpConnection?> ConnectAsync(string host, int port, TimeSpan timeout, ServerTestResult result,
            CancellationToken cancellationToken)
        {
            IPAddress[]? addresses = await ResolveAsync(host, timeout, result, cancellationToken).ConfigureAwait(false);
            if (addresses == null)
            {
                return null;
            }

            SocketError lastError = SocketError.Success;
            bool timedOut = false;
            var started = Stopwatch.StartNew();
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(timeout);
                // Like TcpClient: try each address in turn ("localhost" is often ::1 first while the server listens on 127.0.0.1).
                foreach (IPAddress address in addresses)
                {
                    var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    var attempt = Stopwatch.StartNew();
                    try
                    {
                        await WithCancellation(socket.ConnectAsync(address, port), socket, deadline.Token).ConfigureAwait(false);
                        double latency = Math.Round(attempt.Elapsed.TotalMilliseconds, 1);
                        result.Information(ServerFindingCodes.Connected, null,
                            $"Connected to {address}:{port} in {latency.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} ms.");
                        return new TcpConnection(socket, address, latency);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        socket.Dispose();
                        timedOut = true;
                        break;
                    }
                    catch (SocketException ex)
                    {
                        socket.Dispose();
                        lastError = ex.SocketErrorCode;
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                }
            }

            string where = $"{host}:{port}";
            int seconds = (int)Math.Ceiling(timeout.TotalSeconds);
            if (timedOut || lastError == SocketError.TimedOut)
            {
                result.Error(ServerFindingCodes.ConnectionTimeout, "Port",
                    $"No answer from {where} within {seconds} s ({started.Elapsed.TotalSeconds:0.#} s waited): a firewall drops the " +
                    "connection, the server is down, or the port is wrong. Check Server and Port, and that this computer may " +
                    "reach the server; raise -TimeoutSeconds for a slow link.");
            }
            else if (lastError == SocketError.ConnectionRefused)
            {
                result.Error(ServerFindingCodes.ConnectionRefused, "Port",
                    $"{where} refused the connection: the host is up but nothing listens on port {port}. Check Port " +
                    "(SMTP: 25, 587 for STARTTLS, 465 for TLS on connect) and that the mail service is running.");
            }
            else
            {
                result.Error(ServerFindingCodes.ConnectionFailed, "Server",
                    $"Could not connect to {where} ({Describe(lastError)}). Check Server, Port and the network route to the server.");
            }

            return null;
        }

        private static async Task<IPAddress[]?> ResolveAsync(string host, TimeSpan timeout, ServerTestResult result,
            CancellationToken cancellationToken)
        {
            if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? literal))
            {
                return new[] { literal };
            }

            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(timeout);
                try
                {
                    // Dns has no cancellable overload on netstandard2.0: stop waiting at the bound and let it finish alone.
                    IPAddress[] addresses = await WithCancellation(Dns.GetHostAddressesAsync(host), null, deadline.Token).ConfigureAwait(false);
                    if (addresses.Length == 0)
                    {
                        throw new SocketException((int)SocketError.HostNotFound);
                    }

                    result.Information(ServerFindingCodes.HostResolved, "Server",
                        $"'{host}' resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}.");
                    return addresses;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    result.Error(ServerFindingCodes.HostNotFound, "Server",
                        $"The name '{host}' could not be resolved within {timeout.TotalSeconds:0.#} s: the DNS server does not " +
                        "answer. Check this computer's DNS settings, or set Server to the IP address.");
                }
                catch (SocketException ex)
                {
                    result.Error(ServerFindingCodes.HostNotFound, "Server",
                        $"The name '{host}' was not found ({Describe(ex.SocketErrorCode)}). Check the spelling of Server " +
                        "(Set-G5MailSetting -Server <name>), or use the server's IP address.");
                }

                return null;
            }
        }

        private static string Describe(SocketError error)
        {
            switch (error)
            {
                case SocketError.HostNotFound: return "no such host";
                case SocketError.TryAgain: return "the DNS server did not answer";
                case SocketError.NoData: return "the name has no address";
                case SocketError.HostUnreachable: return "no route to the host";
                case SocketError.NetworkUnreachable: return "the network is unreachable";
                case SocketError.AccessDenied: return "access denied, perhaps by a local firewall";
                default: return error.ToString();
            }
        }

        /// <summary>
        /// Awaits a task that takes no token; on cancellation the socket (when given) is closed so the operation
        /// really stops, also on .NET Framework where pending socket calls ignore tokens.
        /// </summary>
        internal static async Task<T> WithCancellation<T>(Task<T> task, Socket? socket, CancellationToken cancellationToken)
        {
            await WithCancellation((Task)task, socket, cancellationToken).ConfigureAwait(false);
            return await task.ConfigureAwait(false);
        }

        internal static async Task WithCancellation(Task task, Socket? socket, CancellationToken cancellationToken)
        {
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
            {
                if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task)
                {
                    socket?.Dispose();
                    // Observe the abandoned task's fault so it never surfaces as an unobserved exception.
                    _ = task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            await task.ConfigureAwait(false);
        }
    }
}
