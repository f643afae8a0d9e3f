using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace G5Mail.Bench.Sink;

/// <summary>
/// A TCP forwarder on 127.0.0.1 that delays every byte by a fixed time in each direction, like a relay a few
/// hundred kilometres away (5 ms each way = 10 ms round trip). Each chunk read is released at its arrival time plus
/// the delay, in order; reading goes on meanwhile, so the delay adds latency without limiting throughput (a 137 KB
/// message is not held back 5 ms per read). TCP_NODELAY on both sides, so the proxy adds no Nagle stalls of its own.
/// At most <see cref="MaxChunksInFlight"/> chunks of <see cref="ChunkSize"/> bytes wait per direction (back-pressure).
/// </summary>
public sealed class LatencyProxy : IDisposable
{
    private const int ChunkSize = 64 * 1024;
    private const int MaxChunksInFlight = 256;
    private const int MaxSegmentsPerSend = 64;

    private static readonly long HalfMillisecond = Stopwatch.Frequency / 2000;

    private static long _lateTicks;
    private static long _releases;

    /// <summary>Mean lateness of releases so far (ms): how far the proxy is from its nominal delay.</summary>
    public static double MeanLatenessMs => _releases == 0 ? 0 : _lateTicks * 1000.0 / Stopwatch.Frequency / _releases;

    private readonly IPEndPoint _target;
    private readonly long _delayTicks;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private Task? _acceptLoop;

    public LatencyProxy(IPEndPoint target, TimeSpan oneWayDelay)
    {
        _target = target;
        OneWayDelay = oneWayDelay;
        _delayTicks = (long)(oneWayDelay.TotalSeconds * Stopwatch.Frequency);
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public TimeSpan OneWayDelay { get; }

    public void Start() => _acceptLoop = AcceptLoopAsync(_stop.Token);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _acceptLoop?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // Ends with the listener.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException || ex is ObjectDisposedException || ex is SocketException)
            {
                return;
            }

            _ = Task.Run(() => ForwardAsync(client, cancellationToken), CancellationToken.None);
        }
    }

    private async Task ForwardAsync(Socket client, CancellationToken cancellationToken)
    {
        using (client)
        using (var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            client.NoDelay = true;
            server.NoDelay = true;
            try
            {
                await server.ConnectAsync(_target, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException || ex is OperationCanceledException)
            {
                return;
            }

            await Task.WhenAll(PumpAsync(client, server, cancellationToken), PumpAsync(server, client, cancellationToken)).ConfigureAwait(false);
        }
    }

    private readonly record struct Chunk(byte[] Buffer, int Length, long Due);

    private async Task PumpAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(MaxChunksInFlight) { SingleReader = true, SingleWriter = true });
        Task writer = ReleaseAsync(queue.Reader, to, cancellationToken);
        try
        {
            while (true)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                int read;
                try
                {
                    read = await from.ReceiveAsync(buffer.AsMemory(0, ChunkSize), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }

                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                await queue.Writer.WriteAsync(new Chunk(buffer, read, Stopwatch.GetTimestamp() + _delayTicks), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException || ex is OperationCanceledException || ex is ObjectDisposedException || ex is ChannelClosedException)
        {
            // Connection reset or shutting down: end this direction.
        }
        finally
        {
            queue.Writer.TryComplete();
        }

        await writer.ConfigureAwait(false);
    }

    /// <summary>
    /// Sends each chunk when it is due, in order; chunks due together go in one send. A dedicated thread that sleeps
    /// in whole milliseconds: thread-pool timers wake late on a busy machine. The harness measures and prints the
    /// round trip it really adds.
    /// </summary>
    private static Task ReleaseAsync(ChannelReader<Chunk> queue, Socket to, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Release(queue, to, cancellationToken);
            }
            finally
            {
                done.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "latency-proxy",
        };
        thread.Start();
        return done.Task;
    }

    private static void Release(ChannelReader<Chunk> queue, Socket to, CancellationToken cancellationToken)
    {
        var segments = new List<ArraySegment<byte>>(MaxSegmentsPerSend);
        bool broken = false;
        try
        {
            while (queue.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
            {
                while (queue.TryPeek(out Chunk head))
                {
                    // Sleep in 1 ms steps and send once less than half a millisecond is left, so early and late
                    // errors balance out (one long Thread.Sleep overshoots by about a millisecond here).
                    if (head.Due - Stopwatch.GetTimestamp() > HalfMillisecond)
                    {
                        Thread.Sleep(1);
                        continue;
                    }

                    long now = Stopwatch.GetTimestamp();
                    Interlocked.Add(ref _lateTicks, now - head.Due);
                    Interlocked.Increment(ref _releases);
                    while (segments.Count < MaxSegmentsPerSend && queue.TryPeek(out Chunk next) && next.Due <= now + HalfMillisecond)
                    {
                        queue.TryRead(out next);
                        segments.Add(new ArraySegment<byte>(next.Buffer, 0, next.Length));
                    }

                    try
                    {
                        if (!broken)
                        {
                            to.Send(segments, SocketFlags.None);
                        }
                    }
                    catch (Exception ex) when (ex is SocketException || ex is ObjectDisposedException)
                    {
                        broken = true; // keep draining so the reader is never stuck on a full queue
                    }
                    finally
                    {
                        foreach (ArraySegment<byte> segment in segments)
                        {
                            ArrayPool<byte>.Shared.Return(segment.Array!);
                        }

                        segments.Clear();
                    }
                }
            }

            if (!broken)
            {
                to.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception ex) when (ex is SocketException || ex is OperationCanceledException || ex is ObjectDisposedException)
        {
            // Shutting down.
        }
    }
}
