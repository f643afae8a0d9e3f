using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace G5Mail.TestServers;

/// <summary>
/// The whole configuration of one test server process, read from JSON (camelCase property names).
/// Secrets (client secret values, user passwords) arrive here because the stand-in must check them; the
/// PowerShell helper passes this JSON on standard input so that it never lands in a file.
/// </summary>
public sealed class TestServerConfig
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one (printed in the ready line).</summary>
    public int Port { get; set; }

    /// <summary>The server certificate (PFX with private key) for HTTPS.</summary>
    public CertificateConfig? Certificate { get; set; }

    /// <summary>Lifetime of issued access tokens; Entra's default is 60-90 minutes, 3600 s here.</summary>
    public int TokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>Clock skew Graph allows when checking nbf/exp. 0 keeps expiry tests short and exact.</summary>
    public int ClockSkewSeconds { get; set; }

    /// <summary>Optional log file (requests, deliveries; never secrets or tokens). Null: warnings to stderr only.</summary>
    public string? LogFile { get; set; }

    /// <summary>Folder for upload-session temp files; default a fresh folder under the system temp path.</summary>
    public string? DataDirectory { get; set; }

    public List<TenantConfig> Tenants { get; set; } = new();
    public List<AppConfig> Apps { get; set; } = new();
    public List<UserConfig> Users { get; set; } = new();

    /// <summary>Where messages that Graph "sends" are delivered (smtp4dev or another SMTP sink).</summary>
    public SmtpRelayConfig? Smtp { get; set; }

    public GraphConfig Graph { get; set; } = new();

    /// <summary>The Exchange Web Services stand-in (EwsEndpoints): mailbox users, limits, faults.</summary>
    public EwsConfig Ews { get; set; } = new();

    /// <summary>Faults active from the start (same shape as POST /_test/faults).</summary>
    public List<FaultRule> Faults { get; set; } = new();

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static TestServerConfig Parse(string json)
    {
        TestServerConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<TestServerConfig>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            // JsonException text names the path and line, never the value, so it is safe to show.
            throw new InvalidDataException($"The test server configuration is not valid JSON: {ex.Message}", ex);
        }

        if (config is null)
        {
            throw new InvalidDataException("The test server configuration is empty.");
        }

        config.Validate();
        return config;
    }

    /// <summary>Checks cross references so that a broken fixture fails at start with a clear message, not mid-test.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (Port is < 0 or > 65535) problems.Add($"port {Port} is outside 0-65535");
        if (Certificate is null || string.IsNullOrWhiteSpace(Certificate.Path)) problems.Add("certificate.path (a PFX file) is required: the servers speak HTTPS only");
        else if (!File.Exists(Certificate.Path)) problems.Add($"certificate.path '{Certificate.Path}' does not exist");
        if (TokenLifetimeSeconds <= 0) problems.Add("tokenLifetimeSeconds must be > 0");
        if (ClockSkewSeconds < 0) problems.Add("clockSkewSeconds must be >= 0");

        foreach (var tenant in Tenants)
        {
            if (tenant.Id == Guid.Empty) problems.Add("every tenant needs an id (GUID)");
        }

        foreach (var app in Apps)
        {
            if (app.ClientId == Guid.Empty) problems.Add("every app needs a clientId (GUID)");
            if (FindTenant(app.Tenant) is null) problems.Add($"app {app.ClientId}: tenant '{app.Tenant}' is not in tenants");
            foreach (var secret in app.Secrets)
            {
                if (string.IsNullOrEmpty(secret.Value)) problems.Add($"app {app.ClientId}: secret {secret.KeyId} has no value");
                if (secret.KeyId == Guid.Empty) problems.Add($"app {app.ClientId}: every secret needs a keyId (GUID)");
            }
        }

        foreach (var user in Users)
        {
            if (string.IsNullOrWhiteSpace(user.UserPrincipalName)) problems.Add("every user needs a userPrincipalName");
            if (FindTenant(user.Tenant) is null) problems.Add($"user {user.UserPrincipalName}: tenant '{user.Tenant}' is not in tenants");
        }

        if (Smtp is not null && (string.IsNullOrWhiteSpace(Smtp.Host) || Smtp.Port is <= 0 or > 65535))
        {
            problems.Add("smtp needs host and a port 1-65535");
        }

        problems.AddRange(Ews.Check());

        foreach (var fault in Faults)
        {
            string? problem = fault.Check();
            if (problem is not null) problems.Add(problem);
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException("The test server configuration is incomplete: " + string.Join("; ", problems) + ".");
        }
    }

    /// <summary>Finds a tenant by GUID or by one of its verified domains, as Entra resolves the {tenant} path segment.</summary>
    public TenantConfig? FindTenant(string? idOrDomain)
    {
        if (string.IsNullOrWhiteSpace(idOrDomain)) return null;
        if (Guid.TryParse(idOrDomain, out Guid id))
        {
            return Tenants.FirstOrDefault(t => t.Id == id);
        }

        return Tenants.FirstOrDefault(t => t.Domains.Any(d => string.Equals(d, idOrDomain, StringComparison.OrdinalIgnoreCase)));
    }
}

public sealed class CertificateConfig
{
    public string Path { get; set; } = "";
    public string? Password { get; set; }
}

public sealed class TenantConfig
{
    public Guid Id { get; set; }

    /// <summary>Verified domain names; the first is the tenant's default domain.</summary>
    public List<string> Domains { get; set; } = new();
}

public sealed class AppConfig
{
    public Guid ClientId { get; set; }

    /// <summary>The home tenant (GUID or verified domain) of the app registration.</summary>
    public string Tenant { get; set; } = "";

    public string DisplayName { get; set; } = "G5Mail test app";

    /// <summary>The application object id (what GET /applications/{id} uses); derived from clientId when absent.</summary>
    public Guid? ObjectId { get; set; }

    /// <summary>The service principal object id (the oid/sub of app-only tokens); derived when absent.</summary>
    public Guid? ServicePrincipalId { get; set; }

    /// <summary>"Allow public client flows" in the app registration; ROPC without a secret needs it (Entra default: No).</summary>
    public bool AllowPublicClient { get; set; }

    public List<SecretConfig> Secrets { get; set; } = new();

    /// <summary>
    /// Application permissions with admin consent. A bare name ("Mail.Send") is a Microsoft Graph permission;
    /// another resource is written as its App ID URI plus the name ("https://outlook.office365.com/SMTP.SendAsApp").
    /// </summary>
    public List<string> Roles { get; set; } = new();

    /// <summary>Delegated permissions consented for the app, written as for <see cref="Roles"/>.</summary>
    public List<string> Scopes { get; set; } = new();

    /// <summary>
    /// Opt-in concession to smtp4dev, off by default: adds preferred_username = this mailbox to the app-only tokens this app
    /// gets for Exchange Online. smtp4dev (--oauth2authority) accepts an XOAUTH2 login only when the SASL user equals a user
    /// claim of the token (email, preferred_username, upn), which app-only tokens do not have. Real Exchange Online instead
    /// checks that the app's service principal has permission on the mailbox named in the SASL user (New-ServicePrincipal and
    /// Add-MailboxPermission, "Authenticate an IMAP, POP or SMTP connection using OAuth", learn.microsoft.com/exchange/
    /// client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth). With this set, the
    /// token carries the one mailbox the test grants, which is what smtp4dev can compare. Graph tokens are never changed.
    /// </summary>
    public string? Smtp4devMailboxClaim { get; set; }
}

public sealed class SecretConfig
{
    public Guid KeyId { get; set; }
    public string? DisplayName { get; set; }
    public string Value { get; set; } = "";
    public DateTimeOffset? StartDateTime { get; set; }
    public DateTimeOffset? EndDateTime { get; set; }

    /// <summary>Base64 as Graph returns it; usually null for secrets made in the portal.</summary>
    public string? CustomKeyIdentifier { get; set; }
}

public sealed class UserConfig
{
    public string UserPrincipalName { get; set; } = "";
    public string Password { get; set; } = "";
    public bool MfaRequired { get; set; }
    public string Tenant { get; set; } = "";

    /// <summary>The user's object id (oid); derived from the UPN when absent.</summary>
    public Guid? Id { get; set; }

    public string? DisplayName { get; set; }

    /// <summary>The primary SMTP address; the UPN when absent.</summary>
    public string? Mail { get; set; }
}

public sealed class SmtpRelayConfig
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; }
}

/// <summary>Graph limits. Defaults are the documented ones; a test may lower them to stay fast.</summary>
public sealed class GraphConfig
{
    /// <summary>
    /// Extra App ID URIs that name Microsoft Graph (e.g. a sovereign cloud host). https://graph.microsoft.com, the
    /// Graph application id and the server's own https://127.0.0.1:PORT and https://localhost:PORT are always accepted.
    /// </summary>
    public List<string> Resources { get; set; } = new();

    /// <summary>Whole request body limit: Graph rejects requests over 4 MB.</summary>
    public long MaxRequestBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>
    /// The 3 MB line: a file attached inline (in the request) must be smaller; createUploadSession takes only files of
    /// this size or more (ErrorAttachmentSizeShouldNotBeLessThanMinimumSize), up to <see cref="MaxUploadSessionBytes"/>.
    /// </summary>
    public long LargeAttachmentBytes { get; set; } = 3L * 1024 * 1024;

    public long MaxUploadSessionBytes { get; set; } = 150L * 1024 * 1024;

    /// <summary>Each PUT to an upload URL: at most 4 MB ("keep each byte range less than 4 MB").</summary>
    public long MaxChunkBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Every chunk but the last must be a multiple of this (320 KiB, the upload-session rule); 0 turns it off.</summary>
    public long ChunkMultipleBytes { get; set; } = 320 * 1024;

    /// <summary>Lifetime of an upload session's pre-authenticated URL.</summary>
    public int UploadSessionLifetimeSeconds { get; set; } = 3600;
}
