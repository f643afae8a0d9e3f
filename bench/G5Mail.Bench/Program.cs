using System;
using System.Linq;
using System.Threading.Tasks;

namespace G5Mail.Bench;

/// <summary>
/// G5Mail.Bench run   --root REPO --pwsh EXE [--pwsh-arg PWSH.DLL] [--module PSD1] [--messages 500] [--delay-ms 5]
///                    [--lines 0,1,2,3,4,5,6,7,8] [--rounds 3] [--throttle 2,4] [--json FILE]
/// G5Mail.Bench serve [--delay-ms 5] [--minutes 30]   (sink + proxy for profiling by hand; password in G5BENCH_PASSWORD)
/// G5Mail.Bench floor --port P --thumbprint T --user U --pdf FILE --count N [--connections N]   (password in G5BENCH_PASSWORD)
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "help";
        var arguments = new Arguments(args.Skip(1));
        switch (mode)
        {
            case "run":
                return await new Harness(arguments).RunAsync().ConfigureAwait(false);
            case "floor":
                return MailKitFloor.Run(arguments);
            case "engine":
                return EngineLoop.Run(arguments);
            case "serve":
                return await Serve.RunAsync(arguments).ConfigureAwait(false);
            default:
                Console.Error.WriteLine("Usage: G5Mail.Bench run --root <repo> --pwsh <pwsh> [--pwsh-arg <pwsh.dll>] [--lines 0,1,2,3,4,5,6,7,8] | floor ...");
                return 2;
        }
    }
}
