using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using G5Mail.Core.Documents;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;

namespace G5Mail.Bench;

/// <summary>
/// G5Mail's engine without PowerShell (SendRun + the SMTP transport, as Send-G5Document drives them), for telling
/// engine cost from cmdlet cost when profiling. Not part of the table.
/// </summary>
public static class EngineLoop
{
    public static int Run(Arguments arguments)
    {
        string password = Environment.GetEnvironmentVariable(Harness.PasswordVariable)
                          ?? throw new InvalidOperationException($"{Harness.PasswordVariable} is not set.");
        int count = arguments.Int("count");
        var settings = new SettingValues
        {
            Method = MailMethod.Smtp,
            Server = "127.0.0.1",
            Port = arguments.Int("port"),
            UseSsl = true,
            CertificateThumbprint = arguments.Required("thumbprint"),
            Credential = new NetworkCredential(arguments.Required("user"), password),
            From = "engine@bench.test",
        };
        using var run = new SendRun(new SendRunOptions(settings), () => TransportFactory.Create(settings, NullRunLog.Instance), NullRunLog.Instance);
        string pdf = arguments.Required("pdf");
        for (int i = 1; i <= count; i++)
        {
            run.Collect(new DocumentRequest { Paths = new[] { pdf }, To = new[] { $"r{i}@bench.test" }, DocumentId = $"INV{i}", InputIndex = i });
        }

        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        int sent = run.Plan().Messages.Select(p => run.SendAsync(p, CancellationToken.None).GetAwaiter().GetResult()).Count(o => o.Status == SendStatus.Sent);
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"elapsedMs\":{watch.Elapsed.TotalMilliseconds:0.0},\"cpuMs\":{cpuMs:0.0},\"sent\":{sent}}}"));
        return sent == count ? 0 : 1;
    }
}
