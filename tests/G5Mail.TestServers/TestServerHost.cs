using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace G5Mail.TestServers;

/// <summary>
/// Builds and runs the stand-in servers on Kestrel: HTTPS only, 127.0.0.1 only. Used by Program (separate process)
/// and directly by in-process tests. Each service maps its own endpoints (EntraEndpoints, GraphEndpoints; an
/// EwsEndpoints can join the same way).
/// </summary>
public sealed class TestServerHost : IAsyncDisposable
{
    /// <summary>The line printed on standard output once the server accepts connections.</summary>
    public const string ReadyPrefix = "G5MAIL-TESTSERVER-READY";

    private readonly WebApplication _app;
    private readonly FileLog? _fileLog;

    private TestServerHost(WebApplication app, ServerState state, Uri baseUri, FileLog? fileLog)
    {
        _app = app;
        State = state;
        BaseUri = baseUri;
        _fileLog = fileLog;
    }

    /// <summary>https://127.0.0.1:PORT (no trailing slash in ToString of the authority part).</summary>
    public Uri BaseUri { get; }

    public int Port => BaseUri.Port;

    public ServerState State { get; }

    public static async Task<TestServerHost> StartAsync(TestServerConfig config, CancellationToken cancellationToken = default)
    {
        config.Validate();
        X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12FromFile(config.Certificate!.Path, config.Certificate.Password, X509KeyStorageFlags.EphemeralKeySet);
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidDataException($"The certificate '{config.Certificate.Path}' has no private key; export the PFX with its key.");
        }

        FileLog? fileLog = config.LogFile is null ? null : new FileLog(config.LogFile);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(TestServerHost).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        // With a log file: the server's own request lines (Information) go there, framework noise only from Warning up.
        builder.Logging.SetMinimumLevel(fileLog is null ? LogLevel.Warning : LogLevel.Information);
        if (fileLog is not null) builder.Logging.AddProvider(fileLog);
        else builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout carries only the ready line

        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Graph's limits are enforced by the endpoints with Graph's own error bodies; Kestrel only caps absurd sizes.
            k.Limits.MaxRequestBodySize = 200L * 1024 * 1024;
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, config.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            });
        });

        string dataRoot = config.DataDirectory ?? Path.GetTempPath();
        // Always a fresh sub-folder of our own, so deleting it at shutdown can never remove someone else's files.
        string dataDirectory = Path.Combine(dataRoot, "g5mail-testserver-" + Guid.NewGuid().ToString("N"));
        ILogger? logger = null;
        void Log(string message)
        {
            if (logger is not null) logger.LogInformation("{Message}", message);
        }

        var state = new ServerState(config, dataDirectory, Log);
        builder.Services.AddSingleton(state);
        builder.Services.AddRouting();

        WebApplication app = builder.Build();
        logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("G5Mail.TestServers");

        app.UseRouting();
        app.Use((ctx, next) => ApplyFaultsAndCountAsync(ctx, next, state, logger));
        EntraEndpoints.Map(app, state);
        GraphEndpoints.Map(app, state);
        GraphCalendarEndpoints.Map(app, state);
        GraphMailboxEndpoints.Map(app, state);
        EwsEndpoints.Map(app, state);
        TestControlEndpoints.Map(app, state, ServiceOfRoute(app));

        await app.StartAsync(cancellationToken);
        // With port 0 Kestrel picks the port; the issuer and Graph audience hosts are known only now, before any client
        // can have learnt the port.
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        int port = new Uri(address).Port;
        state.SetOwnPort(port);
        var baseUri = new Uri($"https://127.0.0.1:{port}");
        return new TestServerHost(app, state, baseUri, fileLog);
    }

    /// <summary>Maps a route tag name to its service ("entra"/"graph") for the statistics.</summary>
    private static Func<string, string> ServiceOfRoute(WebApplication app)
    {
        Dictionary<string, string>? map = null;
        return route =>
        {
            map ??= ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints)
                .Select(e => e.Metadata.GetMetadata<RouteTag>()).Where(t => t is not null)
                .GroupBy(t => t!.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First()!.Service, StringComparer.OrdinalIgnoreCase);
            return map.TryGetValue(route, out string? service) ? service : "other";
        };
    }

    private static async Task ApplyFaultsAndCountAsync(HttpContext ctx, RequestDelegate next, ServerState state, ILogger logger)
    {
        RouteTag? tag = ctx.GetEndpoint()?.Metadata.GetMetadata<RouteTag>();
        string path = ctx.Request.Path.Value ?? "";
        if (tag is not null) state.Stats.CountRoute(tag.Name);

        FaultRule? fault = path.StartsWith("/_test/", StringComparison.Ordinal) ? null : state.Faults.Take(tag?.Name, ctx.Request.Method, path);
        if (fault is not null)
        {
            state.Stats.CountFault();
            if (fault.DelayMilliseconds > 0) await Task.Delay(fault.DelayMilliseconds, ctx.RequestAborted);
            if (fault.Answer == "stall")
            {
                // Read the whole request (the client sees it go out), then say nothing until the client hangs up.
                logger.LogInformation("fault stall injected for {Method} {Path}", ctx.Request.Method, path);
                await ctx.Request.Body.CopyToAsync(Stream.Null, ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                try { await Task.Delay(Timeout.Infinite, ctx.RequestAborted); } catch (OperationCanceledException) { }
                return;
            }

            if (fault.Answer == "brokenBody")
            {
                // The route's own handler runs (the service acted: EWS sent the message, Graph accepted it or created the
                // event), then its answer (any 2xx) is replaced by a 200 whose body is cut off in the middle of a SOAP envelope.
                Stream original = ctx.Response.Body;
                using var answer = new MemoryStream();
                ctx.Response.Body = answer;
                try { await next(ctx); } finally { ctx.Response.Body = original; }
                if (ctx.Response.StatusCode is < 200 or > 299)
                {
                    // Not a success (e.g. the 401 challenge before Windows or Basic sign-in): passed on unchanged, and the fault
                    // waits for the request that succeeds.
                    state.Faults.PutBack(fault);
                    state.Stats.UncountFault();
                    answer.Position = 0;
                    await answer.CopyToAsync(original, ctx.RequestAborted);
                    return;
                }

                logger.LogInformation("fault brokenBody injected for {Method} {Path}", ctx.Request.Method, path);
                ctx.Response.Clear();
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "text/xml; charset=utf-8";
                await ctx.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><m:CreateItemRes");
                return;
            }

            logger.LogInformation("fault {Status} injected for {Method} {Path}", fault.Status, ctx.Request.Method, path);
            await FaultResult(ctx, fault, tag).ExecuteAsync(ctx);
            return;
        }

        await next(ctx);
        // Path only: upload URLs carry their authtoken in the query string, which must not reach a log.
        logger.LogInformation("{Method} {Path} -> {Status}", ctx.Request.Method, path, ctx.Response.StatusCode);
    }

    /// <summary>The body of an injected fault, in the shape of the service that "failed".</summary>
    private static IResult FaultResult(HttpContext ctx, FaultRule fault, RouteTag? tag)
    {
        var headers = new Dictionary<string, string>();
        if (fault.RetryAfterSeconds is { } seconds) headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
        if (tag?.Service == "entra")
        {
            IResult aad = EntraEndpoints.AadError(ctx, fault.Status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.");
            return new HeaderWrapper(aad, headers);
        }

        // Codes from "Microsoft Graph error responses": TooManyRequests (429), serviceNotAvailable (503), gatewayTimeout (504).
        string code = fault.Status switch
        {
            429 => "TooManyRequests",
            503 => "serviceNotAvailable",
            504 => "gatewayTimeout",
            _ => "generalException",
        };
        string message = fault.Status == 429 ? "Too many requests. Please retry again later." : "The service is temporarily unavailable. Please retry later.";
        if (fault.Status == 401)
        {
            // Graph's answer to a token it no longer accepts: 401 InvalidAuthenticationToken ("Microsoft Graph error responses"),
            // with a Bearer challenge; under Continuous Access Evaluation it carries error="insufficient_claims" and the claims
            // the next token must satisfy, base64-encoded ("How to use Continuous Access Evaluation enabled APIs in your
            // applications", learn.microsoft.com/entra/identity-platform/app-resilience-continuous-access-evaluation).
            code = "InvalidAuthenticationToken";
            message = "Lifetime validation failed, the token is expired.";
            string challenge = "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"";
            if (fault.Claims is not null)
            {
                challenge += ", error=\"insufficient_claims\", claims=\"" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(fault.Claims)) + "\"";
                message = "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp";
            }

            headers["WWW-Authenticate"] = challenge;
        }

        return GraphEndpoints.GraphError(ctx, fault.Status, fault.Code ?? code, fault.Message ?? message, headers);
    }

    private sealed class HeaderWrapper : IResult
    {
        private readonly IResult _inner;
        private readonly Dictionary<string, string> _headers;

        public HeaderWrapper(IResult inner, Dictionary<string, string> headers)
        {
            _inner = inner;
            _headers = headers;
        }

        public Task ExecuteAsync(HttpContext httpContext)
        {
            foreach (KeyValuePair<string, string> h in _headers) httpContext.Response.Headers[h.Key] = h.Value;
            return _inner.ExecuteAsync(httpContext);
        }
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        State.Dispose();
        _fileLog?.Dispose();
    }
}

/// <summary>A minimal file logger: one line per entry, Information and above from the server itself.</summary>
internal sealed class FileLog : ILoggerProvider
{
    private readonly StreamWriter _writer;
    private readonly object _gate = new();

    public FileLog(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public LogLevel MinimumLevel { get; set; } = LogLevel.Information;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }

    private sealed class Logger : ILogger
    {
        private readonly FileLog _owner;
        private readonly string _category;

        public Logger(FileLog owner, string category)
        {
            _owner = owner;
            _category = category;
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= (_category.StartsWith("G5Mail", StringComparison.Ordinal) ? _owner.MinimumLevel : LogLevel.Warning);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {_category}: {formatter(state, exception)}";
            if (exception is not null) line += " | " + exception.GetType().Name + ": " + exception.Message;
            lock (_owner._gate) _owner._writer.WriteLine(line);
        }
    }
}
