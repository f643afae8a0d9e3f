using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>The server as the Pester tests start it: a separate process, config on stdin, one ready line, clean stop.</summary>
[Collection(ServerCollection.Name)]
public sealed class ProcessTests
{
    private readonly ServerFixture _f;

    public ProcessTests(ServerFixture fixture) => _f = fixture;

    private static string ServerDll()
    {
        // The project reference copies the server (with its runtimeconfig) next to the tests.
        string path = Path.Combine(AppContext.BaseDirectory, "G5Mail.TestServers.dll");
        Assert.True(File.Exists(path), $"{path} is missing: build the solution first.");
        return path;
    }

    private static Process Start(string arguments)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{ServerDll()}\" {arguments}")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(psi)!;
    }

    [Fact]
    public async Task Process_ReadsConfigFromStdin_PrintsReadyLine_StopsOnShutdown_LogsNoSecrets()
    {
        string log = Path.Combine(_f.Pki.Directory, "server.log");
        TestServerConfig config = _f.BuildConfig(c => c.LogFile = log);
        using Process process = Start($"--config - --parent-pid {Environment.ProcessId}");
        try
        {
            await process.StandardInput.WriteAsync(JsonSerializer.Serialize(config, TestServerConfig.JsonOptions));
            process.StandardInput.Close();
            Task<string?> line = process.StandardOutput.ReadLineAsync();
            if (await Task.WhenAny(line, Task.Delay(20000)) != line)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("no ready line within 20 s: " + await process.StandardError.ReadToEndAsync());
            }

            string ready = (await line)!;
            Assert.Matches(@"^G5MAIL-TESTSERVER-READY https://127\.0\.0\.1:\d+$", ready);
            string baseUrl = ready.Split(' ')[1];

            var form = new FormUrlEncodedContent(new[]
            {
                new System.Collections.Generic.KeyValuePair<string, string>("grant_type", "client_credentials"),
                new("client_id", ServerFixture.SenderAppId.ToString()),
                new("client_secret", ServerFixture.SenderSecret),
                new("scope", "https://graph.microsoft.com/.default"),
            });
            (int status, JsonNode? body, _) = await _f.SendAsync(HttpMethod.Post, $"{baseUrl}/{ServerFixture.TenantId}/oauth2/v2.0/token", null, form);
            Assert.Equal(200, status);
            string token = (string)body!["access_token"]!;
            var wrong = new FormUrlEncodedContent(new[]
            {
                new System.Collections.Generic.KeyValuePair<string, string>("grant_type", "password"),
                new("client_id", ServerFixture.PublicAppId.ToString()),
                new("username", ServerFixture.Alice),
                new("password", "Wrong-Password-99"),
                new("scope", "https://graph.microsoft.com/Mail.Send"),
            });
            (status, _, _) = await _f.SendAsync(HttpMethod.Post, $"{baseUrl}/{ServerFixture.TenantId}/oauth2/v2.0/token", null, wrong);
            Assert.Equal(400, status);

            (status, _, _) = await _f.SendAsync(HttpMethod.Post, $"{baseUrl}/_test/shutdown", null);
            Assert.Equal(202, status);
            Assert.True(process.WaitForExit(10000), "the server did not stop after /_test/shutdown");
            Assert.Equal(0, process.ExitCode);

            string text = File.ReadAllText(log);
            Assert.Contains("/oauth2/v2.0/token -> 200", text);
            foreach (string secret in new[] { ServerFixture.SenderSecret, "Wrong-Password-99", ServerFixture.AlicePassword, token, token.Split('.')[2] })
            {
                Assert.DoesNotContain(secret, text);
            }
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Process_BadConfig_ExitsWithClearMessage()
    {
        using Process process = Start("--config -");
        await process.StandardInput.WriteAsync("{ \"port\": 0, \"apps\": [ { \"clientId\": \"" + Guid.NewGuid() + "\", \"tenant\": \"nowhere.test\" } ] }");
        process.StandardInput.Close();
        string error = await process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(20000));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("certificate.path", error);
        Assert.Contains("tenant 'nowhere.test' is not in tenants", error);
        Assert.Equal("", (await process.StandardOutput.ReadToEndAsync()).Trim());
    }
}
