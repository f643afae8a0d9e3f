using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace G5Mail.TestServers;

/// <summary>The APIs a token can be issued for. Each has several App ID URIs (aliases) that name it.</summary>
public enum ResourceKind
{
    Graph,
    ExchangeOnline,
}

/// <summary>A resource as requested in a scope: which API, and the exact App ID URI used (it becomes the aud claim).</summary>
public sealed record RequestedResource(ResourceKind Kind, string Audience);

/// <summary>
/// The stand-in directory: tenants, app registrations with their secrets and consented permissions, users, and the
/// resource (API) names Entra knows. Read-only once the server has started, so it needs no locking.
/// </summary>
public sealed class IdentityDirectory
{
    /// <summary>Microsoft Graph's application id; Entra accepts it in place of the App ID URI.</summary>
    public const string GraphAppId = "00000003-0000-0000-c000-000000000000";

    /// <summary>Office 365 Exchange Online's application id.</summary>
    public const string ExchangeAppId = "00000002-0000-0ff1-ce00-000000000000";

    private readonly TestServerConfig _config;
    private readonly List<string> _graphUris;
    private readonly List<string> _exchangeUris = new() { "https://outlook.office365.com", "https://outlook.office.com", ExchangeAppId };

    public IdentityDirectory(TestServerConfig config)
    {
        _config = config;
        _graphUris = new List<string> { "https://graph.microsoft.com", GraphAppId };
        _graphUris.AddRange(config.Graph.Resources.Select(Normalize));
    }

    /// <summary>A client whose GraphEndpoint setting points at this server asks for "https://127.0.0.1:PORT/.default".</summary>
    internal void AddGraphAudiences(IEnumerable<string> baseUris) => _graphUris.AddRange(baseUris.Select(Normalize));

    public TestServerConfig Config => _config;

    public IReadOnlyList<string> GraphAudiences => _graphUris;

    public TenantConfig? FindTenant(string idOrDomain) => _config.FindTenant(idOrDomain);

    public AppConfig? FindApp(TenantConfig tenant, string clientId)
    {
        if (!Guid.TryParse(clientId, out Guid id)) return null;
        return _config.Apps.FirstOrDefault(a => a.ClientId == id && _config.FindTenant(a.Tenant)?.Id == tenant.Id);
    }

    public AppConfig? FindAppAnyTenant(Guid clientId) => _config.Apps.FirstOrDefault(a => a.ClientId == clientId);

    public IEnumerable<AppConfig> AppsInTenant(Guid tenantId) => _config.Apps.Where(a => _config.FindTenant(a.Tenant)?.Id == tenantId);

    public UserConfig? FindUser(TenantConfig tenant, string upnOrId)
    {
        return _config.Users.FirstOrDefault(u => _config.FindTenant(u.Tenant)?.Id == tenant.Id &&
            (string.Equals(u.UserPrincipalName, upnOrId, StringComparison.OrdinalIgnoreCase) ||
             string.Equals(MailOf(u), upnOrId, StringComparison.OrdinalIgnoreCase) ||
             (Guid.TryParse(upnOrId, out Guid id) && UserId(u) == id)));
    }

    /// <summary>The tenant whose verified domain matches the UPN's domain (home realm discovery by domain).</summary>
    public TenantConfig? TenantOfDomain(string upn)
    {
        int at = upn.LastIndexOf('@');
        if (at < 0) return null;
        string domain = upn[(at + 1)..];
        return _config.Tenants.FirstOrDefault(t => t.Domains.Any(d => string.Equals(d, domain, StringComparison.OrdinalIgnoreCase)));
    }

    public static Guid UserId(UserConfig user) => user.Id ?? StableIds.From("user:" + user.UserPrincipalName.ToLowerInvariant());

    public static string MailOf(UserConfig user) => string.IsNullOrWhiteSpace(user.Mail) ? user.UserPrincipalName : user.Mail!;

    public static Guid ServicePrincipalId(AppConfig app) => app.ServicePrincipalId ?? StableIds.From("sp:" + app.ClientId);

    public static Guid ApplicationObjectId(AppConfig app) => app.ObjectId ?? StableIds.From("app:" + app.ClientId);

    /// <summary>Resolves an App ID URI (or application id) to a resource, or null when Entra would say AADSTS500011.</summary>
    public RequestedResource? ResolveResource(string resource)
    {
        string n = Normalize(resource);
        if (_graphUris.Any(u => string.Equals(u, n, StringComparison.OrdinalIgnoreCase))) return new RequestedResource(ResourceKind.Graph, n);
        if (_exchangeUris.Any(u => string.Equals(u, n, StringComparison.OrdinalIgnoreCase))) return new RequestedResource(ResourceKind.ExchangeOnline, n);
        return null;
    }

    /// <summary>The permissions of a config list (roles or scopes) that belong to the given API.</summary>
    public IReadOnlyList<string> PermissionsFor(IEnumerable<string> configured, ResourceKind kind)
    {
        var result = new List<string>();
        foreach (string entry in configured)
        {
            int slash = entry.LastIndexOf('/');
            ResourceKind entryKind;
            string name;
            if (slash < 0)
            {
                entryKind = ResourceKind.Graph; // a bare permission name is a Microsoft Graph permission
                name = entry;
            }
            else
            {
                RequestedResource? r = ResolveResource(entry[..slash]);
                if (r is null) continue;
                entryKind = r.Kind;
                name = entry[(slash + 1)..];
            }

            if (entryKind == kind && !result.Contains(name, StringComparer.OrdinalIgnoreCase)) result.Add(name);
        }

        return result;
    }

    /// <summary>Secret check result, in the order Entra reports problems.</summary>
    public enum SecretCheck
    {
        Valid,
        Invalid,
        Expired,
    }

    public static SecretCheck CheckSecret(AppConfig app, string presented, DateTimeOffset now)
    {
        byte[] given = Encoding.UTF8.GetBytes(presented);
        foreach (SecretConfig secret in app.Secrets)
        {
            // Constant-time compare: the stand-in should not be the weak spot a timing test could find.
            if (!CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(secret.Value))) continue;
            if (secret.EndDateTime is { } end && end <= now) return SecretCheck.Expired;
            if (secret.StartDateTime is { } start && start > now) return SecretCheck.Invalid;
            return SecretCheck.Valid;
        }

        return SecretCheck.Invalid;
    }

    public static bool PasswordMatches(UserConfig user, string presented) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(user.Password));

    public static string Normalize(string uri) => uri.Trim().TrimEnd('/');
}
