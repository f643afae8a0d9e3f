using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace G5Mail.TestServers;

/// <summary>
/// Endpoint metadata naming a route ("token", "sendMail", ...): the key for statistics and for fault rules,
/// so that a test can say "fail sendMail once" without spelling out a URL.
/// </summary>
public sealed record RouteTag(string Name, string Service);

/// <summary>
/// One injected fault: the next <see cref="Count"/> requests whose route name equals <see cref="Path"/> (or whose URL
/// path contains it) are answered with <see cref="Status"/> and a Retry-After header, as Graph and Entra do when they
/// throttle ("Microsoft Graph throttling guidance": 429 with Retry-After; 503/504 may carry it too).
/// </summary>
public sealed class FaultRule
{
    public string Path { get; set; } = "";
    public int Status { get; set; } = 429;
    public int? RetryAfterSeconds { get; set; }

    /// <summary>How many requests to fail; -1 until cleared. 0 is read as 1.</summary>
    public int Count { get; set; } = 1;

    /// <summary>Let this many matching requests through before the fault starts (e.g. "the second sendMail fails").</summary>
    public int Skip { get; set; }

    /// <summary>Optional HTTP method filter (GET, POST, PUT...).</summary>
    public string? Method { get; set; }

    /// <summary>Optional delay before answering (to exercise client timeouts).</summary>
    public int DelayMilliseconds { get; set; }

    /// <summary>
    /// How the request is answered: null (an error with <see cref="Status"/>), "stall" (the request is read and never
    /// answered, until the client gives up: a server or firewall that goes silent), or "brokenBody" (HTTP 200 with a cut-off,
    /// non-parsable body: a proxy that mangles the answer after the service acted).
    /// </summary>
    public string? Answer { get; set; }

    /// <summary>The Graph error code and message of the answer (default per status: TooManyRequests, serviceNotAvailable, ...).</summary>
    public string? Code { get; set; }

    public string? Message { get; set; }

    /// <summary>
    /// With status 401: a Continuous Access Evaluation claims challenge, sent as Graph does in WWW-Authenticate:
    /// Bearer ..., error="insufficient_claims", claims="base64(this JSON)" ("How to use Continuous Access Evaluation enabled
    /// APIs in your applications", learn.microsoft.com/entra/identity-platform/app-resilience-continuous-access-evaluation).
    /// </summary>
    public string? Claims { get; set; }

    internal int Remaining;
    internal int Skipped;

    public string? Check()
    {
        if (string.IsNullOrWhiteSpace(Path)) return "a fault needs a path (route name such as sendMail, or part of the URL path)";
        if (Answer is not null and not ("stall" or "brokenBody")) return $"fault answer '{Answer}' is not stall or brokenBody";
        if (Answer is null && Status is < 400 or > 599) return $"fault status {Status} is not an HTTP error status";
        if (RetryAfterSeconds is < 0) return "fault retryAfterSeconds must be >= 0";
        if (Count < -1) return "fault count must be -1 (until cleared) or >= 0";
        if (Skip < 0) return "fault skip must be >= 0";
        return null;
    }

    internal bool Matches(string? routeName, string method, string path)
    {
        if (Method is not null && !string.Equals(Method, method, StringComparison.OrdinalIgnoreCase)) return false;
        if (routeName is not null && string.Equals(routeName, Path, StringComparison.OrdinalIgnoreCase)) return true;
        return path.Contains(Path, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Active faults; thread-safe because Kestrel serves requests in parallel.</summary>
public sealed class FaultInjector
{
    private readonly object _gate = new();
    private readonly List<FaultRule> _rules = new();

    public void Add(FaultRule rule)
    {
        string? problem = rule.Check();
        if (problem is not null) throw new ArgumentException(problem);
        rule.Remaining = rule.Count == 0 ? 1 : rule.Count;
        lock (_gate) _rules.Add(rule);
    }

    public void Clear()
    {
        lock (_gate) _rules.Clear();
    }

    /// <summary>Gives back the count a request took without being faulted (see the brokenBody answer).</summary>
    public void PutBack(FaultRule rule)
    {
        lock (_gate)
        {
            if (rule.Remaining < 0) return;
            rule.Remaining++;
            if (!_rules.Contains(rule)) _rules.Insert(0, rule);
        }
    }

    public IReadOnlyList<FaultRule> Snapshot()
    {
        lock (_gate) return _rules.ToList();
    }

    /// <summary>Returns the rule that takes this request, consuming one of its counts.</summary>
    public FaultRule? Take(string? routeName, string method, string path)
    {
        lock (_gate)
        {
            foreach (FaultRule rule in _rules)
            {
                if (rule.Remaining == 0 || !rule.Matches(routeName, method, path)) continue;
                if (rule.Skipped < rule.Skip)
                {
                    rule.Skipped++;
                    continue;
                }

                if (rule.Remaining > 0) rule.Remaining--;
                if (rule.Remaining == 0) _rules.Remove(rule);
                return rule;
            }
        }

        return null;
    }
}

/// <summary>Counters a test reads at GET /_test/stats, e.g. to assert "one token request for 50 documents".</summary>
public sealed class ServerStats
{
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _byRoute = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _tokenByGrant = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _tokenByClient = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _tokenByGrantAndClient = new(StringComparer.OrdinalIgnoreCase);
    private int _tokenIssued;
    private int _tokenFailed;
    private int _faultsInjected;
    private int _messagesDelivered;
    private readonly List<string> _tokenClaims = new();
    private readonly List<string> _ropcUserNames = new();

    public void CountRoute(string route)
    {
        lock (_gate) Increment(_byRoute, route);
    }

    public void CountToken(string grantType, string clientId, bool issued)
    {
        lock (_gate)
        {
            Increment(_tokenByGrant, grantType);
            Increment(_tokenByClient, clientId);
            Increment(_tokenByGrantAndClient, grantType + ":" + clientId);
            if (issued) _tokenIssued++; else _tokenFailed++;
        }
    }

    /// <summary>Records a token request's claims parameter, and a user name sent for ROPC (to the user realm or token endpoint).</summary>
    public void NoteTokenRequest(string claims, string? ropcUserName)
    {
        lock (_gate)
        {
            if (claims.Length > 0) _tokenClaims.Add(claims);
            if (ropcUserName is not null) _ropcUserNames.Add(ropcUserName);
        }
    }

    public void CountFault()
    {
        Interlocked.Increment(ref _faultsInjected);
    }

    /// <summary>Takes back a count for a fault that was put back without being applied.</summary>
    public void UncountFault()
    {
        Interlocked.Decrement(ref _faultsInjected);
    }

    public void CountDelivery()
    {
        Interlocked.Increment(ref _messagesDelivered);
    }

    public void Reset()
    {
        lock (_gate)
        {
            _byRoute.Clear();
            _tokenByGrant.Clear();
            _tokenByClient.Clear();
            _tokenByGrantAndClient.Clear();
            _tokenIssued = 0;
            _tokenFailed = 0;
            _tokenClaims.Clear();
            _ropcUserNames.Clear();
            Interlocked.Exchange(ref _faultsInjected, 0);
            Interlocked.Exchange(ref _messagesDelivered, 0);
        }
    }

    /// <summary>The JSON shape of GET /_test/stats.</summary>
    public object Snapshot(Func<string, string> serviceOfRoute)
    {
        lock (_gate)
        {
            int Sum(string service) => _byRoute.Where(kv => serviceOfRoute(kv.Key) == service).Sum(kv => kv.Value);
            return new
            {
                tokenRequests = new
                {
                    total = _tokenIssued + _tokenFailed,
                    issued = _tokenIssued,
                    failed = _tokenFailed,
                    byGrantType = new SortedDictionary<string, int>(_tokenByGrant),
                    byClientId = new SortedDictionary<string, int>(_tokenByClient),
                    byGrantTypeAndClientId = new SortedDictionary<string, int>(_tokenByGrantAndClient),
                    claims = _tokenClaims.ToArray(),
                    ropcUserNames = _ropcUserNames.ToArray(),
                },
                entraRequests = Sum("entra"),
                graphRequests = new
                {
                    total = Sum("graph"),
                    byRoute = new SortedDictionary<string, int>(_byRoute.Where(kv => serviceOfRoute(kv.Key) == "graph").ToDictionary(kv => kv.Key, kv => kv.Value)),
                },
                byRoute = new SortedDictionary<string, int>(_byRoute),
                faultsInjected = Volatile.Read(ref _faultsInjected),
                messagesDelivered = Volatile.Read(ref _messagesDelivered),
            };
        }
    }

    private static void Increment(Dictionary<string, int> map, string key)
    {
        map[key] = map.TryGetValue(key, out int n) ? n + 1 : 1;
    }
}
