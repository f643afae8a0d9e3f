using System;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Core.Diagnostics
{
    /// <summary>
    /// Asks a silent port whether it expects TLS from the first byte: a TLS server never speaks first, so a plain
    /// client waiting for a greeting and a TLS server waiting for a ClientHello wait for each other forever.
    /// </summary>
    internal static class TlsSniffer
    {
        /// <summary>True when the port answers a TLS ClientHello with a TLS record; false otherwise and when cancelled. Never throws.</summary>
        public static async Task<bool> AnswersTlsAsync(IPAddress address, int port, string host, CancellationToken cancellationToken)
        {
            using (var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
            {
                try
                {
                    await TcpReachability.WithCancellation(socket.ConnectAsync(address, port), socket, cancellationToken).ConfigureAwait(false);
                    using (var sniff = new SniffingStream(new NetworkStream(socket, ownsSocket: false)))
                    // Only the protocol is in question here: the certificate is looked at by the real connection.
                    using (var tls = new SslStream(sniff, false, (sender, certificate, chain, errors) => true))
                    {
                        try
                        {
                            await TcpReachability.WithCancellation(tls.AuthenticateAsClientAsync(host), socket, cancellationToken).ConfigureAwait(false);
                            return true;
                        }
                        catch (Exception)
                        {
                            // An alert (e.g. no common protocol version) still proves the port speaks TLS.
                            return sniff.LooksLikeTls;
                        }
                    }
                }
                catch (Exception)
                {
                    return false;
                }
            }
        }
    }
}
