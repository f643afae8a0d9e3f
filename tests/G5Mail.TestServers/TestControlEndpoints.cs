using System;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace G5Mail.TestServers;

/// <summary>
/// Test-only control endpoints under /_test/ (no Microsoft counterpart): counters, fault injection, reset, shutdown.
/// The server listens on 127.0.0.1 only, so these need no authentication.
/// </summary>
public static class TestControlEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ServerState state, Func<string, string> serviceOfRoute)
    {
        app.MapGet("/_test/stats", () => Results.Json(state.Stats.Snapshot(serviceOfRoute), TestServerConfig.JsonOptions));

        // Reset clears counters, faults, drafts, upload sessions and events: a clean slate between tests sharing one server.
        app.MapPost("/_test/reset", () =>
        {
            state.Stats.Reset();
            state.Faults.Clear();
            state.Mail.Clear();
            state.Calendar.Clear();
            state.Mailboxes.Clear();
            return Results.NoContent();
        });

        app.MapGet("/_test/faults", () => Results.Json(state.Faults.Snapshot().Select(Describe), TestServerConfig.JsonOptions));

        // Body: one fault object or an array of them, e.g. {"path":"sendMail","status":429,"retryAfterSeconds":1,"count":1}.
        app.MapPost("/_test/faults", async (HttpContext ctx) =>
        {
            JsonNode? node;
            try
            {
                node = await JsonNode.ParseAsync(ctx.Request.Body, new JsonNodeOptions { PropertyNameCaseInsensitive = true }, cancellationToken: ctx.RequestAborted);
            }
            catch (JsonException ex)
            {
                return Results.BadRequest(new { error = "The fault is not valid JSON: " + ex.Message });
            }

            var items = node is JsonArray array ? array.ToList() : new System.Collections.Generic.List<JsonNode?> { node };
            foreach (JsonNode? item in items)
            {
                FaultRule? rule = item?.Deserialize<FaultRule>(TestServerConfig.JsonOptions);
                string? problem = rule is null ? "empty fault" : rule.Check();
                if (problem is not null) return Results.BadRequest(new { error = problem });
                state.Faults.Add(rule!);
            }

            return Results.Json(state.Faults.Snapshot().Select(Describe), TestServerConfig.JsonOptions, statusCode: 201);
        });

        app.MapDelete("/_test/faults", () =>
        {
            state.Faults.Clear();
            return Results.NoContent();
        });

        app.MapPost("/_test/shutdown", (IHostApplicationLifetime lifetime) =>
        {
            // Answer first, then stop: the caller waits for the process to exit.
            _ = Task.Run(async () =>
            {
                await Task.Delay(50);
                lifetime.StopApplication();
            });
            return Results.Accepted();
        });
    }

    private static object Describe(FaultRule r) =>
        new { path = r.Path, status = r.Status, retryAfterSeconds = r.RetryAfterSeconds, remaining = r.Remaining, method = r.Method, delayMilliseconds = r.DelayMilliseconds,
            answer = r.Answer, code = r.Code };
}
