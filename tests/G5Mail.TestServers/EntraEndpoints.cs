using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace G5Mail.TestServers;

/// <summary>
/// Stand-in for the Microsoft identity platform (Entra ID) v2.0 endpoint. Behaviour and shapes follow:
/// - "Microsoft identity platform and the OAuth 2.0 client credentials flow"
///   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
///   (scope must be {resource}/.default; success token_type/expires_in/ext_expires_in/access_token; error shape)
/// - "Microsoft identity platform and OAuth 2.0 Resource Owner Password Credentials"
///   https://learn.microsoft.com/entra/identity-platform/v2-oauth-ropc (grant_type=password, username, password, scope;
///   fails under MFA; tenant-specific or organizations endpoint only)
/// - "OpenID Connect on the Microsoft identity platform" (discovery document)
///   https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc
/// - "Microsoft identity platform access tokens" https://learn.microsoft.com/entra/identity-platform/access-tokens
///   (claims aud, iss, iat, nbf, exp, tid, oid, sub, azp/appid, roles, scp, idtyp, ver)
/// - "Microsoft Entra authentication and authorization error codes"
///   https://learn.microsoft.com/entra/identity-platform/reference-error-codes (AADSTS codes and their error values)
/// - MSAL.NET's instance discovery and user realm calls (the "aka.ms/aad-instance-discovery" response shape).
/// </summary>
public static class EntraEndpoints
{
    /// <summary>Scopes the OpenID Connect layer handles; they never name a resource.</summary>
    private static readonly string[] OidcScopes = { "openid", "profile", "offline_access", "email" };

    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        app.MapMethods("/{tenant}/oauth2/v2.0/token", new[] { "GET", "POST" }, (HttpContext ctx, string tenant) => TokenAsync(ctx, tenant, state))
            .WithMetadata(new RouteTag("token", "entra"));

        app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (HttpContext ctx, string tenant) => OpenIdConfiguration(ctx, tenant, state))
            .WithMetadata(new RouteTag("openidConfiguration", "entra"));

        app.MapGet("/{tenant}/discovery/v2.0/keys", (HttpContext ctx, string tenant) => Keys(ctx, tenant, state))
            .WithMetadata(new RouteTag("keys", "entra"));

        app.MapGet("/common/discovery/instance", (HttpContext ctx) => InstanceDiscovery(ctx, state))
            .WithMetadata(new RouteTag("instanceDiscovery", "entra"));

        app.MapGet("/common/userrealm/{username}", (HttpContext ctx, string username) => UserRealm(ctx, username, state))
            .WithMetadata(new RouteTag("userRealm", "entra"));
        // A DOMAIN\user name: System.Uri turns the backslash into a path separator, so MSAL asks for /userrealm/DOMAIN/user.
        // No such resource exists (404); the name is recorded so a test can see the domain arrived.
        app.MapGet("/common/userrealm/{**path}", (string path) =>
            {
                state.Stats.NoteTokenRequest("", path.Replace('/', '\\'));
                return Results.NotFound();
            })
            .WithMetadata(new RouteTag("userRealm", "entra"));
    }

    private static string Host(HttpContext ctx) => "https://" + ctx.Request.Host.Value;

    public static string Issuer(string host, Guid tenantId) => $"{host}/{tenantId}/v2.0";

    private static bool IsAlias(string tenant) =>
        tenant.Equals("common", StringComparison.OrdinalIgnoreCase) || tenant.Equals("organizations", StringComparison.OrdinalIgnoreCase);

    // ---- token endpoint --------------------------------------------------------------------------------------------

    private static async Task<IResult> TokenAsync(HttpContext ctx, string tenantSegment, ServerState state)
    {
        if (!HttpMethods.IsPost(ctx.Request.Method))
        {
            return AadError(ctx, 400, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a GET request.");
        }

        // Form-encoded only: a JSON body is not read at all, so Entra reports the first missing parameter.
        IFormCollection form = ctx.Request.HasFormContentType ? await ctx.Request.ReadFormAsync(ctx.RequestAborted) : FormCollection.Empty;
        string grantType = form["grant_type"].ToString();
        string clientId = form["client_id"].ToString();
        var request = new TokenRequest(ctx, state, form, grantType, clientId);
        IResult result = await request.HandleAsync(tenantSegment);
        state.Stats.CountToken(grantType.Length == 0 ? "(none)" : grantType, clientId.Length == 0 ? "(none)" : clientId, request.Issued);
        // The claims parameter ("claims challenge" of Continuous Access Evaluation) and the ROPC user name exactly as sent, so a
        // test can check what the client passed on; never the password or secret.
        state.Stats.NoteTokenRequest(form["claims"].ToString(), grantType == "password" ? form["username"].ToString() : null);
        return result;
    }

    private sealed class TokenRequest
    {
        private readonly HttpContext _ctx;
        private readonly ServerState _state;
        private readonly IFormCollection _form;
        private readonly string _grantType;
        private readonly string _clientId;

        public TokenRequest(HttpContext ctx, ServerState state, IFormCollection form, string grantType, string clientId)
        {
            _ctx = ctx;
            _state = state;
            _form = form;
            _grantType = grantType;
            _clientId = clientId;
        }

        public bool Issued { get; private set; }

        private IdentityDirectory Dir => _state.Directory;

        public Task<IResult> HandleAsync(string tenantSegment)
        {
            bool alias = IsAlias(tenantSegment);
            TenantConfig? tenant = alias ? null : Dir.FindTenant(tenantSegment);
            if (!alias && tenant is null)
            {
                return Done(AadError(_ctx, 400, "invalid_request", 90002,
                    $"Tenant '{tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing in to the correct cloud. " +
                    "Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."));
            }

            if (_grantType.Length == 0) return Done(MissingParameter("grant_type"));
            if (_clientId.Length == 0) return Done(MissingParameter("client_id"));

            return _grantType switch
            {
                "client_credentials" => Done(ClientCredentials(tenantSegment, tenant)),
                "password" => Done(Password(tenantSegment, tenant)),
                "refresh_token" => Done(RefreshToken(tenantSegment, tenant)),
                _ => Done(AadError(_ctx, 400, "unsupported_grant_type", 70003, $"The app requested an unsupported grant type '{_grantType}'.")),
            };
        }

        private static Task<IResult> Done(IResult r) => Task.FromResult(r);

        private IResult MissingParameter(string name) =>
            AadError(_ctx, 400, "invalid_request", 900144, $"The request body must contain the following parameter: '{name}'.");

        private IResult UnknownApp(string tenantShown) =>
            AadError(_ctx, 400, "unauthorized_client", 700016,
                $"Application with identifier '{_clientId}' was not found in the directory '{tenantShown}'. This can happen if the application has not been " +
                "installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.");

        /// <summary>Client authentication with a secret: AADSTS7000215 wrong value, AADSTS7000222 expired.</summary>
        private IResult? CheckClientSecret(AppConfig app, string secret)
        {
            switch (IdentityDirectory.CheckSecret(app, secret, DateTimeOffset.UtcNow))
            {
                case IdentityDirectory.SecretCheck.Valid:
                    return null;
                case IdentityDirectory.SecretCheck.Expired:
                    return AadError(_ctx, 401, "invalid_client", 7000222,
                        $"The provided client secret keys for app '{app.ClientId}' are expired. Visit the Azure portal to create new keys for your app: " +
                        "https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.");
                default:
                    return AadError(_ctx, 401, "invalid_client", 7000215,
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, " +
                        $"for a secret added to app '{app.ClientId}'.");
            }
        }

        private IResult ClientCredentials(string tenantSegment, TenantConfig? tenant)
        {
            if (tenant is null)
            {
                // The client credentials flow has no user to pick the tenant from: /common and /organizations cannot work.
                return AadError(_ctx, 400, "invalid_request", 50059,
                    "No tenant-identifying information found in either the request or implied by any provided credentials.");
            }

            AppConfig? app = Dir.FindApp(tenant, _clientId);
            if (app is null) return UnknownApp(tenantSegment);

            string secret = _form["client_secret"].ToString();
            if (secret.Length == 0 && _form.ContainsKey("client_assertion"))
            {
                return AadError(_ctx, 401, "invalid_client", 700027, "Client assertion failed signature validation (this test server accepts client secrets only).");
            }

            if (secret.Length == 0)
            {
                return AadError(_ctx, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
            }

            IResult? secretError = CheckClientSecret(app, secret);
            if (secretError is not null) return secretError;

            string scope = _form["scope"].ToString();
            if (scope.Length == 0) return MissingParameter("scope");

            List<string> scopes = StableIds.SplitScopes(scope).Where(s => !OidcScopes.Contains(s, StringComparer.OrdinalIgnoreCase)).ToList();
            if (scopes.Count == 0 || scopes.Any(s => !s.EndsWith("/.default", StringComparison.OrdinalIgnoreCase)))
            {
                return AadError(_ctx, 400, "invalid_scope", 1002012,
                    $"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).");
            }

            if (scopes.Count > 1)
            {
                return AadError(_ctx, 400, "invalid_scope", 70011,
                    $"The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid. Only one /.default scope may be requested.");
            }

            string resourceUri = scopes[0][..^"/.default".Length];
            RequestedResource? resource = Dir.ResolveResource(resourceUri);
            if (resource is null) return UnknownResource(resourceUri, tenantSegment);

            IReadOnlyList<string> roles = Dir.PermissionsFor(app.Roles, resource.Kind);
            Guid spId = IdentityDirectory.ServicePrincipalId(app);
            long now = TokenSigner.UnixNow();
            var claims = new JsonObject
            {
                ["aud"] = resource.Audience,
                ["iss"] = Issuer(Host(_ctx), tenant.Id),
                ["iat"] = now,
                ["nbf"] = now,
                ["exp"] = now + _state.Config.TokenLifetimeSeconds,
                ["app_displayname"] = app.DisplayName,
                ["appid"] = app.ClientId.ToString(),
                ["appidacr"] = "1",
                ["azp"] = app.ClientId.ToString(),
                ["azpacr"] = "1",
                ["idp"] = Issuer(Host(_ctx), tenant.Id),
                ["idtyp"] = "app",
                ["oid"] = spId.ToString(),
                ["sub"] = spId.ToString(),
                ["tid"] = tenant.Id.ToString(),
                ["uti"] = StableIds.Opaque(16),
                ["ver"] = "2.0",
            };
            // Entra leaves "roles" out entirely when the app has no application permission on that resource.
            if (roles.Count > 0) claims["roles"] = new JsonArray(roles.Select(r => (JsonNode)r).ToArray());
            // Test-only, opt-in (see AppConfig.Smtp4devMailboxClaim): lets smtp4dev match the XOAUTH2 user of an app-only login.
            if (resource.Kind == ResourceKind.ExchangeOnline && !string.IsNullOrWhiteSpace(app.Smtp4devMailboxClaim))
            {
                claims["preferred_username"] = app.Smtp4devMailboxClaim;
            }

            Issued = true;
            return TokenResponse(new JsonObject
            {
                ["token_type"] = "Bearer",
                ["expires_in"] = _state.Config.TokenLifetimeSeconds,
                ["ext_expires_in"] = _state.Config.TokenLifetimeSeconds,
                ["access_token"] = _state.Signer.Sign(claims),
            });
        }

        private IResult UnknownResource(string resourceUri, string tenantSegment) =>
            AadError(_ctx, 400, "invalid_resource", 500011,
                $"The resource principal named {resourceUri} was not found in the tenant named {tenantSegment}. This can happen if the application has not been " +
                "installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.");

        private IResult Password(string tenantSegment, TenantConfig? tenant)
        {
            string username = _form["username"].ToString();
            string password = _form["password"].ToString();
            if (username.Length == 0) return MissingParameter("username");
            if (password.Length == 0) return MissingParameter("password");

            // organizations/common: the user's domain picks the tenant (home realm discovery).
            tenant ??= Dir.TenantOfDomain(username);
            if (tenant is null)
            {
                return AadError(_ctx, 400, "invalid_grant", 50034,
                    $"The user account {{EUII Hidden}} does not exist in the {tenantSegment} directory. To sign into this application, the account must be added to the directory.");
            }

            AppConfig? app = Dir.FindApp(tenant, _clientId);
            if (app is null) return UnknownApp(tenantSegment);

            IResult? clientError = AuthenticatePublicOrConfidential(app);
            if (clientError is not null) return clientError;

            UserConfig? user = Dir.FindUser(tenant, username);
            if (user is null)
            {
                // Entra hides the user name in this message ({EUII Hidden}); so does the stand-in.
                return AadError(_ctx, 400, "invalid_grant", 50034,
                    $"The user account {{EUII Hidden}} does not exist in the {tenant.Id} directory. To sign into this application, the account must be added to the directory.");
            }

            if (!IdentityDirectory.PasswordMatches(user, password))
            {
                return AadError(_ctx, 400, "invalid_grant", 50126, "Error validating credentials due to invalid username or password.");
            }

            if (!TryResolveDelegated(app, tenantSegment, out RequestedResource? resource, out List<string>? granted, out IResult? scopeError)) return scopeError!;

            if (user.MfaRequired)
            {
                // ROPC cannot do the second factor: Entra answers interaction-required (MSAL: MsalUiRequiredException).
                return AadError(_ctx, 400, "invalid_grant", 50076,
                    "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication " +
                    $"to access '{(resource!.Kind == ResourceKind.Graph ? IdentityDirectory.GraphAppId : IdentityDirectory.ExchangeAppId)}'.",
                    suberror: "basic_action");
            }

            return IssueDelegated(tenant, app, user, resource!, granted!);
        }

        private IResult? AuthenticatePublicOrConfidential(AppConfig app)
        {
            string secret = _form["client_secret"].ToString();
            if (secret.Length > 0) return CheckClientSecret(app, secret);
            if (!app.AllowPublicClient)
            {
                return AadError(_ctx, 401, "invalid_client", 7000218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
            }

            return null;
        }

        /// <summary>
        /// Delegated scopes: one resource per request; each scope must be consented (or ".default" = all consented ones).
        /// The token's scp holds every consented scope of that resource, as Entra issues it.
        /// </summary>
        private bool TryResolveDelegated(AppConfig app, string tenantSegment, out RequestedResource? resource, out List<string>? granted, out IResult? error)
        {
            resource = null;
            granted = null;
            error = null;
            string scope = _form["scope"].ToString();
            if (scope.Length == 0)
            {
                error = MissingParameter("scope");
                return false;
            }

            var wanted = new List<(RequestedResource Resource, string Name)>();
            foreach (string s in StableIds.SplitScopes(scope))
            {
                if (OidcScopes.Contains(s, StringComparer.OrdinalIgnoreCase)) continue;
                int slash = s.LastIndexOf('/');
                string resourceUri = slash < 0 ? "https://graph.microsoft.com" : s[..slash];
                string name = slash < 0 ? s : s[(slash + 1)..];
                RequestedResource? r = Dir.ResolveResource(resourceUri);
                if (r is null)
                {
                    error = UnknownResource(resourceUri, tenantSegment);
                    return false;
                }

                wanted.Add((r, name));
            }

            if (wanted.Count == 0) wanted.Add((new RequestedResource(ResourceKind.Graph, "https://graph.microsoft.com"), ".default"));

            if (wanted.Select(w => w.Resource.Kind).Distinct().Count() > 1)
            {
                error = AadError(_ctx, 400, "invalid_scope", 28000,
                    $"Provided value for the input parameter scope is not valid because it contains more than one resource. Scope {scope} is not valid.");
                return false;
            }

            resource = wanted[0].Resource;
            List<string> consented = Dir.PermissionsFor(app.Scopes, resource.Kind).ToList();
            List<string> notConsented = wanted.Where(w => w.Name != ".default" && !consented.Contains(w.Name, StringComparer.OrdinalIgnoreCase)).Select(w => w.Name).ToList();
            if (notConsented.Count > 0 || consented.Count == 0)
            {
                error = AadError(_ctx, 400, "invalid_grant", 65001,
                    $"The user or administrator has not consented to use the application with ID '{app.ClientId}' named '{app.DisplayName}'. " +
                    "Send an interactive authorization request for this user and resource.",
                    suberror: "consent_required");
                return false;
            }

            granted = consented;
            return true;
        }

        private IResult IssueDelegated(TenantConfig tenant, AppConfig app, UserConfig user, RequestedResource resource, List<string> granted)
        {
            string host = Host(_ctx);
            Guid oid = IdentityDirectory.UserId(user);
            // sub is pairwise (per user and app) in Entra; oid is the same for every app.
            string sub = TokenSigner.Base64Url(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(oid + ":" + app.ClientId)))[..43];
            long now = TokenSigner.UnixNow();
            string name = user.DisplayName ?? user.UserPrincipalName;
            bool publicClient = _form["client_secret"].ToString().Length == 0;
            var claims = new JsonObject
            {
                ["aud"] = resource.Audience,
                ["iss"] = Issuer(host, tenant.Id),
                ["iat"] = now,
                ["nbf"] = now,
                ["exp"] = now + _state.Config.TokenLifetimeSeconds,
                ["amr"] = new JsonArray("pwd"),
                ["app_displayname"] = app.DisplayName,
                ["appid"] = app.ClientId.ToString(),
                ["appidacr"] = publicClient ? "0" : "1",
                ["azp"] = app.ClientId.ToString(),
                ["azpacr"] = publicClient ? "0" : "1",
                ["idtyp"] = "user",
                ["name"] = name,
                ["oid"] = oid.ToString(),
                ["preferred_username"] = user.UserPrincipalName,
                ["scp"] = string.Join(' ', granted),
                ["sub"] = sub,
                ["tid"] = tenant.Id.ToString(),
                ["unique_name"] = user.UserPrincipalName,
                ["upn"] = user.UserPrincipalName,
                ["uti"] = StableIds.Opaque(16),
                ["ver"] = "2.0",
            };

            var requested = StableIds.SplitScopes(_form["scope"].ToString()).ToList();
            string resourcePrefix = resource.Audience;
            var responseScopes = granted.Select(g => resourcePrefix + "/" + g).ToList();
            var body = new JsonObject
            {
                ["token_type"] = "Bearer",
                ["scope"] = string.Join(' ', responseScopes.Concat(requested.Where(r => OidcScopes.Contains(r, StringComparer.OrdinalIgnoreCase)))),
                ["expires_in"] = _state.Config.TokenLifetimeSeconds,
                ["ext_expires_in"] = _state.Config.TokenLifetimeSeconds,
                ["access_token"] = _state.Signer.Sign(claims),
            };

            if (requested.Contains("offline_access", StringComparer.OrdinalIgnoreCase))
            {
                string refresh = StableIds.Opaque(48);
                _state.RefreshTokens[refresh] = new RefreshGrant(tenant.Id, app.ClientId, user.UserPrincipalName);
                body["refresh_token"] = refresh;
            }

            if (requested.Contains("openid", StringComparer.OrdinalIgnoreCase))
            {
                // ID token (v2.0): audience is the client; MSAL reads it for the account, it does not validate it.
                var id = new JsonObject
                {
                    ["aud"] = app.ClientId.ToString(),
                    ["iss"] = Issuer(host, tenant.Id),
                    ["iat"] = now,
                    ["nbf"] = now,
                    ["exp"] = now + 3600,
                    ["name"] = name,
                    ["oid"] = oid.ToString(),
                    ["preferred_username"] = user.UserPrincipalName,
                    ["sub"] = sub,
                    ["tid"] = tenant.Id.ToString(),
                    ["ver"] = "2.0",
                };
                body["id_token"] = _state.Signer.Sign(id);
            }

            if (_form["client_info"].ToString() == "1")
            {
                // client_info = base64url({"uid": oid, "utid": tid}); MSAL builds the home account id from it.
                string clientInfo = new JsonObject { ["uid"] = oid.ToString(), ["utid"] = tenant.Id.ToString() }.ToJsonString();
                body["client_info"] = TokenSigner.Base64Url(Encoding.UTF8.GetBytes(clientInfo));
            }

            Issued = true;
            return TokenResponse(body);
        }

        private IResult RefreshToken(string tenantSegment, TenantConfig? tenant)
        {
            string refresh = _form["refresh_token"].ToString();
            if (refresh.Length == 0) return MissingParameter("refresh_token");
            if (!_state.RefreshTokens.TryGetValue(refresh, out RefreshGrant? grant) || (tenant is not null && tenant.Id != grant.TenantId))
            {
                return AadError(_ctx, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
            }

            if (!string.Equals(grant.ClientId.ToString(), _clientId, StringComparison.OrdinalIgnoreCase))
            {
                return AadError(_ctx, 400, "invalid_grant", 70000, "The refresh token was issued to a different client.");
            }

            TenantConfig home = Dir.FindTenant(grant.TenantId.ToString())!;
            AppConfig? app = Dir.FindApp(home, _clientId);
            UserConfig? user = Dir.FindUser(home, grant.UserPrincipalName);
            if (app is null || user is null) return AadError(_ctx, 400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");

            IResult? clientError = AuthenticatePublicOrConfidential(app);
            if (clientError is not null) return clientError;

            if (!TryResolveDelegated(app, tenantSegment, out RequestedResource? resource, out List<string>? granted, out IResult? scopeError)) return scopeError!;
            return IssueDelegated(home, app, user, resource!, granted!);
        }
    }

    /// <summary>What a refresh token stands for; kept in memory for the life of the process.</summary>
    public sealed record RefreshGrant(Guid TenantId, Guid ClientId, string UserPrincipalName);

    private static IResult TokenResponse(JsonObject body)
    {
        // Token responses must not be cached (RFC 6749 5.1); Entra sends these headers too.
        return new JsonResult(body, 200, new Dictionary<string, string> { ["Cache-Control"] = "no-store, no-cache", ["Pragma"] = "no-cache" });
    }

    /// <summary>
    /// The documented error shape: error, error_description ("AADSTSnnnn: text" plus trace/correlation/timestamp lines),
    /// error_codes, timestamp, trace_id, correlation_id, error_uri; invalid_client answers 401, the rest 400.
    /// </summary>
    public static IResult AadError(HttpContext ctx, int status, string error, int code, string description, string? suberror = null)
    {
        string traceId = Guid.NewGuid().ToString();
        // Entra echoes the client's client-request-id (MSAL sends one) as the correlation id.
        string correlationId = ctx.Request.Headers.TryGetValue("client-request-id", out StringValues cid) && Guid.TryParse(cid.ToString(), out Guid parsed)
            ? parsed.ToString()
            : Guid.NewGuid().ToString();
        string timestamp = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var body = new JsonObject
        {
            ["error"] = error,
            ["error_description"] = $"AADSTS{code}: {description} Trace ID: {traceId} Correlation ID: {correlationId} Timestamp: {timestamp}",
            ["error_codes"] = new JsonArray(code),
            ["timestamp"] = timestamp,
            ["trace_id"] = traceId,
            ["correlation_id"] = correlationId,
            ["error_uri"] = $"{Host(ctx)}/error?code={code}",
        };
        if (suberror is not null) body["suberror"] = suberror;
        return new JsonResult(body, status, new Dictionary<string, string> { ["Cache-Control"] = "no-store, no-cache" });
    }

    // ---- discovery ---------------------------------------------------------------------------------------------

    private static IResult OpenIdConfiguration(HttpContext ctx, string tenantSegment, ServerState state)
    {
        string host = Host(ctx);
        string issuer;
        string pathTenant;
        if (IsAlias(tenantSegment))
        {
            // Multi-tenant documents carry the literal placeholder, exactly as Entra's do.
            issuer = host + "/{tenantid}/v2.0";
            pathTenant = tenantSegment.ToLowerInvariant();
        }
        else
        {
            TenantConfig? tenant = state.Directory.FindTenant(tenantSegment);
            if (tenant is null) return AadError(ctx, 400, "invalid_tenant", 90002, $"Tenant '{tenantSegment}' not found.");
            issuer = Issuer(host, tenant.Id);
            pathTenant = tenant.Id.ToString();
        }

        string b = $"{host}/{pathTenant}";
        var doc = new JsonObject
        {
            ["token_endpoint"] = $"{b}/oauth2/v2.0/token",
            ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "private_key_jwt", "client_secret_basic"),
            ["jwks_uri"] = $"{b}/discovery/v2.0/keys",
            ["response_modes_supported"] = new JsonArray("query", "fragment", "form_post"),
            ["subject_types_supported"] = new JsonArray("pairwise"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["response_types_supported"] = new JsonArray("code", "id_token", "code id_token", "id_token token"),
            ["scopes_supported"] = new JsonArray("openid", "profile", "email", "offline_access"),
            ["issuer"] = issuer,
            ["request_uri_parameter_supported"] = false,
            ["userinfo_endpoint"] = $"{host}/oidc/userinfo",
            ["authorization_endpoint"] = $"{b}/oauth2/v2.0/authorize",
            ["device_authorization_endpoint"] = $"{b}/oauth2/v2.0/devicecode",
            ["http_logout_supported"] = true,
            ["frontchannel_logout_supported"] = true,
            ["end_session_endpoint"] = $"{b}/oauth2/v2.0/logout",
            ["claims_supported"] = new JsonArray("sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud",
                "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"),
            ["kerberos_endpoint"] = $"{b}/kerberos",
            ["tenant_region_scope"] = "EU",
            ["cloud_instance_name"] = "microsoftonline.com",
            ["cloud_graph_host_name"] = "graph.windows.net",
            ["msgraph_host"] = ctx.Request.Host.Value,
            ["rbac_url"] = "https://pas.windows.net",
        };
        return new JsonResult(doc, 200);
    }

    private static IResult Keys(HttpContext ctx, string tenantSegment, ServerState state)
    {
        string? issuer = null;
        if (!IsAlias(tenantSegment))
        {
            TenantConfig? tenant = state.Directory.FindTenant(tenantSegment);
            if (tenant is null) return AadError(ctx, 400, "invalid_tenant", 90002, $"Tenant '{tenantSegment}' not found.");
            issuer = Issuer(Host(ctx), tenant.Id);
        }

        return new JsonResult(new JsonObject { ["keys"] = new JsonArray(state.Signer.Jwk(issuer)) }, 200);
    }

    /// <summary>
    /// Instance discovery as MSAL calls it (GET /common/discovery/instance?api-version=1.1&amp;authorization_endpoint=...).
    /// The metadata names this host as preferred_network and preferred_cache, so MSAL keeps talking to it.
    /// MSAL only calls this host when told to (WithInstanceDiscoveryMetadata(new Uri(".../common/discovery/instance")));
    /// otherwise it asks login.microsoftonline.com about unknown hosts, which is why clients here disable discovery.
    /// </summary>
    private static IResult InstanceDiscovery(HttpContext ctx, ServerState state)
    {
        string endpoint = ctx.Request.Query["authorization_endpoint"].ToString();
        if (endpoint.Length == 0 || !Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri))
        {
            return AadError(ctx, 400, "invalid_request", 90107, "The request must contain the parameter 'authorization_endpoint' with an absolute URI.");
        }

        string host = ctx.Request.Host.Host;
        if (!string.Equals(uri.Host, host, StringComparison.OrdinalIgnoreCase) || uri.Port != ctx.Request.Host.Port)
        {
            return AadError(ctx, 400, "invalid_instance", 50049, "Unknown or invalid instance.");
        }

        string tenant = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "common";
        var body = new JsonObject
        {
            ["tenant_discovery_endpoint"] = $"{Host(ctx)}/{tenant}/v2.0/.well-known/openid-configuration",
            ["api-version"] = "1.1",
            ["metadata"] = new JsonArray(new JsonObject
            {
                ["preferred_network"] = host,
                ["preferred_cache"] = host,
                ["aliases"] = new JsonArray(host),
            }),
        };
        return new JsonResult(body, 200);
    }

    /// <summary>User realm discovery (MSAL calls it before ROPC to tell managed from federated users).</summary>
    private static IResult UserRealm(HttpContext ctx, string username, ServerState state)
    {
        // MSAL asks here before every ROPC sign-in (home realm discovery), with the user name as given.
        state.Stats.NoteTokenRequest("", username);
        TenantConfig? tenant = state.Directory.TenantOfDomain(username);
        var body = new JsonObject { ["ver"] = "1.0", ["cloud_instance_name"] = "microsoftonline.com" };
        if (tenant is null)
        {
            body["account_type"] = "Unknown";
        }
        else
        {
            body["account_type"] = "Managed";
            body["domain_name"] = username[(username.LastIndexOf('@') + 1)..];
            body["cloud_audience_urn"] = "urn:federation:MicrosoftOnline";
        }

        return new JsonResult(body, 200);
    }
}
