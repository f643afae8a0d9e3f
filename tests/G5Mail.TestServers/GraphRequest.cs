using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace G5Mail.TestServers;

/// <summary>
/// What every Graph mailbox route of the stand-in does the same way (calendar events, mail folders, messages): whose
/// mailbox and with which permission, $select, the JSON body, and Graph's common errors.
/// </summary>
internal static class GraphRequest
{
    /// <summary>
    /// The mailbox of /users/{id|upn} or /me and the permission: the token must carry one of <paramref name="accepted"/>.
    /// App tokens may use any mailbox of the tenant; delegated tokens their own only (shared mailboxes and folders are not
    /// modelled). 403 ErrorAccessDenied otherwise, naming <paramref name="named"/> (".Shared" for another user's mailbox)
    /// in the stand-in's diagnostic field; 400 for /me with an app token; 404 ErrorInvalidUser for an unknown user.
    /// </summary>
    public static UserConfig? Mailbox(HttpContext ctx, ServerState state, string? userSegment, string[] accepted, string named, out IResult? error)
    {
        error = null;
        GraphEndpoints.GraphCaller? caller = GraphEndpoints.Authenticate(ctx, state, out error);
        if (caller is null) return null;
        if (userSegment is null && caller.IsApp)
        {
            error = GraphEndpoints.GraphError(ctx, 400, "BadRequest", "/me request is only valid with delegated authentication flow.");
            return null;
        }

        UserConfig? user = state.Directory.FindUser(caller.Tenant, userSegment ?? caller.UserId!.Value.ToString());
        if (user is null)
        {
            error = GraphEndpoints.GraphError(ctx, 404, "ErrorInvalidUser", $"The requested user '{userSegment ?? "me"}' is invalid.");
            return null;
        }

        bool allowed = caller.Has(accepted);
        if (!allowed || (!caller.IsApp && IdentityDirectory.UserId(user) != caller.UserId))
        {
            error = GraphEndpoints.GraphError(ctx, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.",
                requiredPermission: allowed ? named + ".Shared" : named);
            return null;
        }

        return user;
    }

    public static string[]? Select(HttpContext ctx)
    {
        string raw = ctx.Request.Query["$select"].ToString();
        return raw.Length == 0 ? null : raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>$select: the named properties, and as Graph always does @odata.etag and id.</summary>
    public static JsonObject Selected(JsonObject all, string[]? select)
    {
        if (select is null) return all;
        var selected = new JsonObject();
        if (all.ContainsKey("@odata.etag")) selected["@odata.etag"] = all["@odata.etag"]?.DeepClone();
        selected["id"] = all["id"]?.DeepClone();
        foreach (string p in select)
        {
            KeyValuePair<string, JsonNode?> match = all.FirstOrDefault(kv => kv.Key.Equals(p, StringComparison.OrdinalIgnoreCase));
            if (match.Key is not null && !selected.ContainsKey(match.Key)) selected[match.Key] = match.Value?.DeepClone();
        }

        return selected;
    }

    public static async Task<JsonObject?> ReadJsonAsync(HttpContext ctx, bool allowEmpty = false)
    {
        using var reader = new StreamReader(ctx.Request.Body);
        string text = await reader.ReadToEndAsync(ctx.RequestAborted);
        if (allowEmpty && text.Trim().Length == 0) return new JsonObject();
        try
        {
            return JsonNode.Parse(text, new JsonNodeOptions { PropertyNameCaseInsensitive = true }) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static IResult BadJson(HttpContext ctx) =>
        GraphEndpoints.GraphError(ctx, 400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.");

    public static IResult ItemNotFound(HttpContext ctx) =>
        GraphEndpoints.GraphError(ctx, 404, "ErrorItemNotFound", "The specified object was not found in the store.");

    public static string Host(HttpContext ctx) => "https://" + ctx.Request.Host.Value;
}
