using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace G5Mail.Bench;

/// <summary>"--name value" command-line pairs.</summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public Arguments(IEnumerable<string> args)
    {
        string? name = null;
        foreach (string arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (name != null)
                {
                    _values[name] = "true";
                }

                name = arg[2..];
            }
            else if (name != null)
            {
                _values[name] = arg;
                name = null;
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{arg}'.");
            }
        }

        if (name != null)
        {
            _values[name] = "true";
        }
    }

    public string? Optional(string name) => _values.TryGetValue(name, out string? value) ? value : null;

    public string Required(string name) => Optional(name) ?? throw new ArgumentException($"--{name} is required.");

    public int Int(string name, int? fallback = null)
    {
        string? value = Optional(name);
        if (value == null)
        {
            return fallback ?? throw new ArgumentException($"--{name} is required.");
        }

        return int.Parse(value, CultureInfo.InvariantCulture);
    }

    public bool Flag(string name) => Optional(name) is { } value && !value.Equals("false", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A finished child process.</summary>
public sealed record ChildResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed, bool TimedOut)
{
    /// <summary>The last line of standard output that is a JSON object: how the child scripts report.</summary>
    public string? JsonLine => StandardOutput.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{'));

    public string Describe() =>
        TimedOut ? $"timed out after {Elapsed.TotalSeconds:0} s" : $"exit code {ExitCode}: {Tail(StandardError.Length > 0 ? StandardError : StandardOutput)}";

    private static string Tail(string text)
    {
        text = text.Trim();
        return text.Length <= 1500 ? text : "..." + text[^1500..];
    }
}

public static class ChildProcess
{
    /// <summary>Runs a process to completion (killed after <paramref name="timeout"/>), capturing its output.</summary>
    public static async Task<ChildResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment != null)
        {
            foreach (KeyValuePair<string, string> pair in environment)
            {
                info.Environment[pair.Key] = pair.Value;
            }
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        bool timedOut = false;
        try
        {
            await process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        watch.Stop();
        return new ChildResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), watch.Elapsed, timedOut);
    }
}

public static class Statistics
{
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public static double Percentile(IEnumerable<double> values, double fraction)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        int index = (int)Math.Ceiling(fraction * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}

/// <summary>Files the benchmark sends: a 100 KB PDF and large random attachments, in a temp folder deleted afterwards.</summary>
public sealed class WorkFolder : IDisposable
{
    public WorkFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "g5mail-bench-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// A well-formed one-page PDF of exactly <paramref name="size"/> bytes: the padding is an unreferenced stream of
    /// random bytes, so it does not compress (like a scanned or image-heavy invoice).
    /// </summary>
    public string CreatePdf(string name, int size)
    {
        string path = File(name);
        var objects = new[]
        {
            "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
            "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
            "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n",
        };
        const string header = "%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n";
        Encoding latin1 = Encoding.Latin1;
        int fixedPart = latin1.GetByteCount(header) + objects.Sum(o => latin1.GetByteCount(o));
        // Stream object: "4 0 obj\n<< /Length N >>\nstream\n" + N bytes + "\nendstream\nendobj\n", then xref and trailer.
        for (int length = size; length > 0; length--)
        {
            string open = $"4 0 obj\n<< /Length {length} >>\nstream\n";
            const string close = "\nendstream\nendobj\n";
            int xrefAt = fixedPart + open.Length + length + close.Length;
            string trailer = BuildTrailer(header, objects, open, length, close, xrefAt, latin1);
            if (xrefAt + trailer.Length != size)
            {
                continue;
            }

            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
            stream.Write(latin1.GetBytes(header));
            foreach (string o in objects)
            {
                stream.Write(latin1.GetBytes(o));
            }

            stream.Write(latin1.GetBytes(open));
            stream.Write(RandomNumberGenerator.GetBytes(length));
            stream.Write(latin1.GetBytes(close));
            stream.Write(latin1.GetBytes(trailer));
            return path;
        }

        throw new InvalidOperationException($"Cannot build a PDF of {size} bytes.");
    }

    private static string BuildTrailer(string header, string[] objects, string open, int length, string close, int xrefAt, Encoding latin1)
    {
        var offsets = new List<int>();
        int offset = latin1.GetByteCount(header);
        foreach (string o in objects)
        {
            offsets.Add(offset);
            offset += latin1.GetByteCount(o);
        }

        offsets.Add(offset);
        var builder = new StringBuilder();
        builder.Append("xref\n0 5\n0000000000 65535 f \n");
        foreach (int o in offsets)
        {
            builder.Append(o.ToString("D10", CultureInfo.InvariantCulture)).Append(" 00000 n \n");
        }

        builder.Append("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n").Append(xrefAt.ToString(CultureInfo.InvariantCulture)).Append("\n%%EOF\n");
        return builder.ToString();
    }

    /// <summary>A file of random bytes, written in 1 MiB blocks.</summary>
    public string CreateRandomFile(string name, long size)
    {
        string path = File(name);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        byte[] block = new byte[1 << 20];
        for (long written = 0; written < size; written += block.Length)
        {
            RandomNumberGenerator.Fill(block);
            stream.Write(block, 0, (int)Math.Min(block.Length, size - written));
        }

        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort; the folder is in the temp path.
        }
    }
}
