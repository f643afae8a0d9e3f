using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace G5Mail.TestServers;

/// <summary>Everything the endpoints share: configuration, signing key, directory, mail store, counters, faults.</summary>
public sealed class ServerState : IDisposable
{
    private readonly List<string> _ownHosts = new();

    public ServerState(TestServerConfig config, string dataDirectory, Action<string> log)
    {
        Config = config;
        Directory = new IdentityDirectory(config);
        Mail = new MailStore(dataDirectory);
        Relay = new MailRelay(config.Smtp, log);
        Log = log;
        foreach (FaultRule rule in config.Faults) Faults.Add(rule);
    }

    public TestServerConfig Config { get; }
    public TokenSigner Signer { get; } = new();
    public IdentityDirectory Directory { get; }

    /// <summary>host:port forms under which this server is reached (127.0.0.1:PORT, localhost:PORT): valid issuer hosts.</summary>
    public IReadOnlyList<string> OwnHosts => _ownHosts;

    /// <summary>Called once after Kestrel has bound: the host names tokens are issued under and Graph accepts as audience.</summary>
    public void SetOwnPort(int port)
    {
        _ownHosts.Add($"127.0.0.1:{port}");
        _ownHosts.Add($"localhost:{port}");
        Directory.AddGraphAudiences(_ownHosts.Select(h => "https://" + h));
    }

    public ServerStats Stats { get; } = new();
    public FaultInjector Faults { get; } = new();
    public MailStore Mail { get; }
    public CalendarStore Calendar { get; } = new();
    public MailboxStore Mailboxes { get; } = new();
    public MailRelay Relay { get; }
    public Action<string> Log { get; }
    public ConcurrentDictionary<string, EntraEndpoints.RefreshGrant> RefreshTokens { get; } = new(StringComparer.Ordinal);

    public void Dispose()
    {
        Signer.Dispose();
        Mail.Dispose();
    }
}

/// <summary>A JSON body with a status code and extra headers; minimal APIs' Results.Json cannot add headers.</summary>
public sealed class JsonResult : IResult
{
    private readonly JsonNode? _body;
    private readonly int _status;
    private readonly IReadOnlyDictionary<string, string>? _headers;

    public JsonResult(JsonNode? body, int status, IReadOnlyDictionary<string, string>? headers = null)
    {
        _body = body;
        _status = status;
        _headers = headers;
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = _status;
        if (_headers is not null)
        {
            foreach (KeyValuePair<string, string> h in _headers) httpContext.Response.Headers[h.Key] = h.Value;
        }

        if (_body is null) return;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await httpContext.Response.WriteAsync(_body.ToJsonString(new JsonSerializerOptions { WriteIndented = false }), httpContext.RequestAborted);
    }
}
