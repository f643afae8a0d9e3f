using System;
using System.Net;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using G5Mail.Bench.Sink;
using G5Mail.TestSmtp;

namespace G5Mail.Bench;

/// <summary>
/// The sink and the proxy on their own, for profiling a client by hand. Prints the ports and the certificate
/// thumbprint, then reports every 100 messages until standard input closes or --minutes pass. The AUTH password
/// is taken from G5BENCH_PASSWORD (never printed).
/// </summary>
public static class Serve
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        string password = Environment.GetEnvironmentVariable(Harness.PasswordVariable)
                          ?? throw new InvalidOperationException($"Set {Harness.PasswordVariable} to the AUTH password the sink should accept.");
        string user = arguments.Optional("user") ?? "bench-user";
        using var certificates = BenchCertificates.Create();
        using var sink = TestSmtpServer.StartSink(certificates.Server, new NetworkCredential(user, password));
        using var proxy = new LatencyProxy(sink.EndPoint, TimeSpan.FromMilliseconds(arguments.Int("delay-ms", 5)));
        proxy.Start();
        Console.WriteLine($"sink 127.0.0.1:{sink.EndPoint.Port}  proxy 127.0.0.1:{proxy.EndPoint.Port}  user {user}  thumbprint {certificates.ServerThumbprint}");

        Task<string?> end = Task.Run(Console.In.ReadLine); // Console.In.ReadLineAsync blocks the caller
        Task timeout = Task.Delay(TimeSpan.FromMinutes(arguments.Int("minutes", 30)));
        int reported = 0;
        while (!end.IsCompleted && !timeout.IsCompleted)
        {
            await Task.WhenAny(end, timeout, Task.Delay(1000)).ConfigureAwait(false);
            SinkSnapshot snapshot = sink.Snapshot();
            // A run is over when nothing arrived for a second: print its per-message intervals and start afresh.
            if (snapshot.Messages.Count > 0 && snapshot.Messages.Count == reported)
            {
                var times = snapshot.Messages.Select(m => m.Timestamp).OrderBy(t => t).ToArray();
                double[] intervals = times.Zip(times.Skip(1), (a, b) => (b - a) * 1000.0 / Stopwatch.Frequency).ToArray();
                Console.WriteLine($"{times.Length} messages on {snapshot.Connections} connections: median {Statistics.Median(intervals):0.00} ms, " +
                                  $"mean {(intervals.Length > 0 ? intervals.Average() : 0):0.00} ms, p90 {Statistics.Percentile(intervals, 0.9):0.00} ms; " +
                                  "median by quarter " + string.Join(" / ", Enumerable.Range(0, 4).Select(q =>
                                      Statistics.Median(intervals.Skip(q * intervals.Length / 4).Take(intervals.Length / 4)).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture))));
                sink.Reset();
                reported = 0;
            }
            else
            {
                reported = snapshot.Messages.Count;
            }
        }

        Console.WriteLine($"proxy: mean release lateness {LatencyProxy.MeanLatenessMs:0.000} ms");
        return 0;
    }
}
