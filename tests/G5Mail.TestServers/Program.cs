using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.TestServers;

/// <summary>
/// dotnet G5Mail.TestServers.dll --config &lt;path&gt; | --config - [--parent-pid &lt;pid&gt;]
/// Reads the JSON configuration (from a file, or from standard input with "-" so secrets never touch the disk),
/// starts the servers, prints one line "G5MAIL-TESTSERVER-READY https://127.0.0.1:PORT" and runs until
/// POST /_test/shutdown, Ctrl+C/SIGTERM, or the exit of the parent process named by --parent-pid.
/// Exit codes: 0 normal stop, 2 bad arguments or configuration, 3 start failure.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "imap-tls-front")
        {
            return await ImapTlsFront.RunAsync(args);
        }

        string? configArg = null;
        int? parentPid = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" when i + 1 < args.Length:
                    configArg = args[++i];
                    break;
                case "--parent-pid" when i + 1 < args.Length && int.TryParse(args[i + 1], out int pid):
                    parentPid = pid;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"Unknown or incomplete argument '{args[i]}'. Usage: G5Mail.TestServers --config <path>|- [--parent-pid <pid>]");
                    return 2;
            }
        }

        if (configArg is null)
        {
            Console.Error.WriteLine("Missing --config <path>|-. Usage: G5Mail.TestServers --config <path>|- [--parent-pid <pid>]");
            return 2;
        }

        TestServerConfig config;
        try
        {
            string json = configArg == "-" ? await Console.In.ReadToEndAsync() : await File.ReadAllTextAsync(configArg);
            config = TestServerConfig.Parse(json);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

        TestServerHost host;
        try
        {
            host = await TestServerHost.StartAsync(config);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"The test server could not start: {ex.GetType().Name}: {ex.Message}");
            return 3;
        }

        await using (host)
        {
            Console.Out.WriteLine($"{TestServerHost.ReadyPrefix} {host.BaseUri.GetLeftPart(UriPartial.Authority)}");
            Console.Out.Flush();

            using var stop = new CancellationTokenSource();
            if (parentPid is { } ppid) _ = WatchParentAsync(ppid, stop);
            await host.WaitForShutdownAsync(stop.Token);
        }

        return 0;
    }

    /// <summary>Stops the server when the test process that started it is gone, so aborted runs leave no orphans.</summary>
    private static async Task WatchParentAsync(int pid, CancellationTokenSource stop)
    {
        try
        {
            using Process parent = Process.GetProcessById(pid);
            await parent.WaitForExitAsync();
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
        }

        stop.Cancel();
    }
}
