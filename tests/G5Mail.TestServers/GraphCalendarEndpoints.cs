using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Mail;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace G5Mail.TestServers;

/// <summary>
/// Stand-in for the Microsoft Graph v1.0 calendar events of a user's mailbox, /users/{id|upn}/events and /me/events.
/// Behaviour after:
/// - "Create event" https://learn.microsoft.com/graph/api/user-post-events (201 + the event; Calendars.ReadWrite;
///   transactionId: "avoids redundant POST operations in case of client retries": a second POST with the same
///   transactionId gets the event the first one made)
/// - "event resource type" https://learn.microsoft.com/graph/api/resources/event (properties; isAllDay: "start and end time
///   must be set to midnight and be in the same time zone"; transactionId "can't be changed in a subsequent update";
///   showAs values of freeBusyStatus; attendee type required/optional/resource)
/// - "dateTimeTimeZone resource type" https://learn.microsoft.com/graph/api/resources/datetimetimezone (timeZone: any Windows
///   time zone, plus the listed "additional time zones"; others refused)
/// - "List events" https://learn.microsoft.com/graph/api/user-list-events (Calendars.ReadBasic/Read/ReadWrite; $select)
/// - "Get singleValueLegacyExtendedProperty" https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get
///   ($filter=singleValueExtendedProperties/Any(ep: ep/id eq '...' and ep/value eq '...'); the Name in the id compares
///   case-sensitively, the value case-insensitively)
/// - "Create single-value extended property" https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-post-singlevalueextendedproperties
///   (id formats "{type} {guid} Name {name}", "{type} {guid} Id {hex}", "{type} {proptag}")
/// - "Update event" https://learn.microsoft.com/graph/api/event-update (PATCH; 200 + the event)
/// - "Delete event" https://learn.microsoft.com/graph/api/event-delete (204; the event goes to Deleted Items)
/// - "event: cancel" https://learn.microsoft.com/graph/api/event-cancel (202; organizer only, else 400 "You need to be an
///   organizer to cancel a meeting"; the event goes to Deleted Items)
/// - "Microsoft Graph error responses" https://learn.microsoft.com/graph/errors (ErrorItemNotFound for an id that is gone)
/// Error codes the pages do not name (end before start, a malformed dateTime) are the stand-in's own, marked as such.
/// </summary>
public static class GraphCalendarEndpoints
{
    public const string CalendarsReadWrite = "Calendars.ReadWrite";
    private static readonly string[] CalendarsRead = { "Calendars.Read", "Calendars.ReadWrite" };

    /// <summary>The "Additional time zones" of the dateTimeTimeZone page, besides Windows's own names.</summary>
    private static readonly HashSet<string> AdditionalTimeZones = new(StringComparer.OrdinalIgnoreCase)
    {
        "Etc/GMT+12", "Etc/GMT+11", "Pacific/Honolulu", "America/Anchorage", "America/Santa_Isabel", "America/Los_Angeles", "America/Phoenix",
        "America/Chihuahua", "America/Denver", "America/Guatemala", "America/Chicago", "America/Mexico_City", "America/Regina", "America/Bogota",
        "America/New_York", "America/Indiana/Indianapolis", "America/Caracas", "America/Asuncion", "America/Halifax", "America/Cuiaba",
        "America/La_Paz", "America/Santiago", "America/St_Johns", "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Cayenne",
        "America/Godthab", "America/Montevideo", "America/Bahia", "Etc/GMT+2", "Atlantic/Azores", "Atlantic/Cape_Verde", "Africa/Casablanca",
        "Etc/GMT", "Europe/London", "Atlantic/Reykjavik", "Europe/Berlin", "Europe/Budapest", "Europe/Paris", "Europe/Warsaw", "Africa/Lagos",
        "Africa/Windhoek", "Europe/Bucharest", "Asia/Beirut", "Africa/Cairo", "Asia/Damascus", "Africa/Johannesburg", "Europe/Kyiv", "Europe/Kiev",
        "Europe/Istanbul", "Asia/Jerusalem", "Asia/Amman", "Asia/Baghdad", "Europe/Kaliningrad", "Asia/Riyadh", "Africa/Nairobi", "Asia/Tehran",
        "Asia/Dubai", "Asia/Baku", "Europe/Moscow", "Indian/Mauritius", "Asia/Tbilisi", "Asia/Yerevan", "Asia/Kabul", "Asia/Karachi",
        "Asia/Tashkent", "Asia/Kolkata", "Asia/Colombo", "Asia/Kathmandu", "Asia/Almaty", "Asia/Dhaka", "Asia/Yekaterinburg", "Asia/Yangon",
        "Asia/Rangoon", "Asia/Bangkok", "Asia/Novosibirsk", "Asia/Shanghai", "Asia/Krasnoyarsk", "Asia/Singapore", "Australia/Perth", "Asia/Taipei",
        "Asia/Ulaanbaatar", "Asia/Irkutsk", "Asia/Tokyo", "Asia/Seoul", "Australia/Adelaide", "Australia/Darwin", "Australia/Brisbane",
        "Australia/Sydney", "Pacific/Port_Moresby", "Australia/Hobart", "Asia/Yakutsk", "Pacific/Guadalcanal", "Asia/Vladivostok",
        "Pacific/Auckland", "Etc/GMT-12", "Pacific/Fiji", "Asia/Magadan", "Pacific/Tongatapu", "Pacific/Apia", "Pacific/Kiritimati",
    };

    /// <summary>Single-value MAPI property types (the "Create single-value extended property" page's type names, arrays excluded).</summary>
    private static readonly Regex ExtendedPropertyId = new(
        @"^(Binary|Boolean|CLSID|Currency|Double|Float|Integer|Long|Object|Short|String|SystemTime|Null|Error)\s+" +
        @"(\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}\s+(Name\s+\S.*|Id\s+0x[0-9A-Fa-f]{1,4})|0x[0-9A-Fa-f]{1,4})$",
        RegexOptions.CultureInvariant);

    /// <summary>The one $filter shape the stand-in knows: an extended property by id and string value.</summary>
    private static readonly Regex ExtendedPropertyFilter = new(
        @"^\s*singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id\s+eq\s+'((?:[^']|'')*)'\s+and\s+\1/value\s+eq\s+'((?:[^']|'')*)'\s*\)\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly string[] ShowAsValues = { "free", "tentative", "busy", "oof", "workingElsewhere", "unknown" };
    private static readonly string[] AttendeeTypes = { "required", "optional", "resource" };

    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        void MapCalendar(string suffix, string route, string method, Func<HttpContext, string?, Task<IResult>> handler)
        {
            app.MapMethods("/v1.0/users/{user}" + suffix, new[] { method }, (HttpContext ctx, string user) => handler(ctx, user)).WithMetadata(new RouteTag(route, "graph"));
            Func<HttpContext, Task<IResult>> me = ctx => handler(ctx, null); // a Func, not a RequestDelegate: the IResult is written
            app.MapMethods("/v1.0/me" + suffix, new[] { method }, me).WithMetadata(new RouteTag(route, "graph"));
        }

        static string EventId(HttpContext ctx) => (string)ctx.GetRouteValue("eventId")!;
        MapCalendar("/events", "createEvent", "POST", (ctx, user) => CreateAsync(ctx, user, state));
        MapCalendar("/events", "listEvents", "GET", (ctx, user) => Task.FromResult(List(ctx, user, state)));
        MapCalendar("/events/{eventId}", "getEvent", "GET", (ctx, user) => Task.FromResult(Get(ctx, user, EventId(ctx), state)));
        MapCalendar("/events/{eventId}", "updateEvent", "PATCH", (ctx, user) => UpdateAsync(ctx, user, EventId(ctx), state));
        MapCalendar("/events/{eventId}", "deleteEvent", "DELETE", (ctx, user) => Task.FromResult(Delete(ctx, user, EventId(ctx), state)));
        MapCalendar("/events/{eventId}/cancel", "cancelEvent", "POST", (ctx, user) => CancelAsync(ctx, user, EventId(ctx), state));

        // Test-only: every event the stand-in holds, deleted ones included, with every extended property (no Graph counterpart).
        app.MapGet("/_test/events", () => new JsonResult(new JsonArray(state.Calendar.All().Select(e => (JsonNode)Json(e, "https://test", everything: true)).ToArray()), 200));
    }

    // ---- handlers --------------------------------------------------------------------------------------------------

    private static async Task<IResult> CreateAsync(HttpContext ctx, string? userSegment, ServerState state)
    {
        UserConfig? mailbox = Authorize(ctx, state, userSegment, write: true, out IResult? error);
        if (mailbox is null) return error!;
        JsonObject? json = await ReadJsonAsync(ctx);
        if (json is null) return BadJson(ctx);

        string owner = IdentityDirectory.MailOf(mailbox);
        var created = new StoredEvent { Id = MailStore.NewItemId(), Mailbox = owner, Created = DateTimeOffset.UtcNow, LastModified = DateTimeOffset.UtcNow };
        if (!Fill(created, json, ctx, creating: true, out error)) return error!;

        // transactionId: the check and the create are one step, so two concurrent retries cannot both create.
        StoredEvent result = state.Calendar.Locked(() =>
        {
            if (created.TransactionId is { Length: > 0 } tx && state.Calendar.FindByTransaction(owner, tx) is { } existing)
            {
                return existing;
            }

            created.Notifications.AddRange(created.Attendees.Select(a => "invite " + a.Address));
            state.Calendar.Add(created);
            return created;
        });
        return new JsonResult(Json(result, Host(ctx), everything: false), 201);
    }

    private static IResult List(HttpContext ctx, string? userSegment, ServerState state)
    {
        UserConfig? mailbox = Authorize(ctx, state, userSegment, write: false, out IResult? error);
        if (mailbox is null) return error!;

        IEnumerable<StoredEvent> events = state.Calendar.InMailbox(IdentityDirectory.MailOf(mailbox));
        string filter = ctx.Request.Query["$filter"].ToString();
        if (filter.Length > 0)
        {
            Match m = ExtendedPropertyFilter.Match(filter);
            if (!m.Success)
            {
                return GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidUrlQueryFilter",
                    "The query filter contains one or more invalid nodes. (The test server supports only singleValueExtendedProperties/Any(ep: ep/id eq '...' and ep/value eq '...').)");
            }

            string id = m.Groups[2].Value.Replace("''", "'");
            string value = m.Groups[3].Value.Replace("''", "'");
            if (!ExtendedPropertyId.IsMatch(id))
            {
                return InvalidPropertyId(ctx, id);
            }

            // The Name part of the id is case-sensitive; the value compares case-insensitively (singlevaluelegacyextendedproperty-get).
            events = events.Where(e => e.ExtendedProperties.TryGetValue(id, out string? v) && string.Equals(v, value, StringComparison.OrdinalIgnoreCase));
        }

        string[]? select = Select(ctx);
        string host = Host(ctx);
        var body = new JsonObject
        {
            ["@odata.context"] = $"{host}/v1.0/$metadata#users('{IdentityDirectory.MailOf(mailbox)}')/events",
            ["value"] = new JsonArray(events.Select(e => (JsonNode)Selected(Json(e, host, everything: false), select)).ToArray()),
        };
        return new JsonResult(body, 200);
    }

    private static IResult Get(HttpContext ctx, string? userSegment, string eventId, ServerState state)
    {
        UserConfig? mailbox = Authorize(ctx, state, userSegment, write: false, out IResult? error);
        if (mailbox is null) return error!;
        StoredEvent? found = state.Calendar.Find(IdentityDirectory.MailOf(mailbox), eventId);
        return found is null ? ItemNotFound(ctx) : new JsonResult(Selected(Json(found, Host(ctx), everything: false), Select(ctx)), 200);
    }

    private static async Task<IResult> UpdateAsync(HttpContext ctx, string? userSegment, string eventId, ServerState state)
    {
        UserConfig? mailbox = Authorize(ctx, state, userSegment, write: true, out IResult? error);
        if (mailbox is null) return error!;
        JsonObject? json = await ReadJsonAsync(ctx);
        if (json is null) return BadJson(ctx);
        StoredEvent? found = state.Calendar.Find(IdentityDirectory.MailOf(mailbox), eventId);
        if (found is null) return ItemNotFound(ctx);

        lock (found)
        {
            // Validate on a copy: a refused PATCH changes nothing.
            StoredEvent copy = Copy(found);
            if (!Fill(copy, json, ctx, creating: false, out error)) return error!;
            CopyInto(copy, found);
            found.LastModified = DateTimeOffset.UtcNow;
            found.Version++;
            found.Notifications.AddRange(found.Attendees.Select(a => "update " + a.Address));
        }

        return new JsonResult(Json(found, Host(ctx), everything: false), 200);
    }

    private static IResult Delete(HttpContext ctx, string? userSegment, string eventId, ServerState state)
    {
        UserConfig? mailbox = Authorize(ctx, state, userSegment, write: true, out IResult? error);
        if (mailbox is null) return error!;
        StoredEvent? found = state.Calendar.Find(IdentityDirectory.MailOf(mailbox), eventId);
        if (found is null) return ItemNotFound(ctx);
        found.Deleted = true; // moved to Deleted Items: no longer addressable through /events
        return Results.StatusCode(204);
    }

    private static async Task<IResult> CancelAsync(HttpContext ctx, string? userSegment, string eventId, ServerState state)
    {
        UserConfig? mailbox = Authorize(ctx, state, userSegment, write: true, out IResult? error);
        if (mailbox is null) return error!;
        JsonObject? json = await ReadJsonAsync(ctx, allowEmpty: true);
        if (json is null) return BadJson(ctx);
        StoredEvent? found = state.Calendar.Find(IdentityDirectory.MailOf(mailbox), eventId);
        if (found is null) return ItemNotFound(ctx);

        // Every event made through this stand-in is organized by its mailbox, so the "attendee calling this action gets
        // HTTP 400" rule never applies here; the cancellation goes to the attendees with the comment.
        found.Cancelled = true;
        found.CancelComment = (string?)json["comment"];
        found.Notifications.AddRange(found.Attendees.Select(a => "cancel " + a.Address));
        found.Deleted = true;
        return Results.StatusCode(202);
    }

    // ---- authorization -----------------------------------------------------------------------------------------

    /// <summary>
    /// The mailbox of /users/{id|upn} or /me, and the permission: Calendars.ReadWrite to write, Calendars.Read or
    /// ReadWrite to read. App tokens may use any mailbox of the tenant; delegated tokens their own only (shared calendars
    /// are not modelled). 403 ErrorAccessDenied otherwise, as for mail.
    /// </summary>
    private static UserConfig? Authorize(HttpContext ctx, ServerState state, string? userSegment, bool write, out IResult? error) =>
        GraphRequest.Mailbox(ctx, state, userSegment, write ? new[] { CalendarsReadWrite } : CalendarsRead, write ? CalendarsReadWrite : "Calendars.Read", out error);

    // ---- the event resource ------------------------------------------------------------------------------------------

    /// <summary>Applies the JSON to the event, checking each property as Graph does; false with the error when refused.</summary>
    private static bool Fill(StoredEvent e, JsonObject json, HttpContext ctx, bool creating, out IResult? error)
    {
        error = null;
        if (json.ContainsKey("transactionId"))
        {
            string? tx = (string?)json["transactionId"];
            if (!creating && tx != e.TransactionId)
            {
                // event resource: "After you set transactionId when creating an event, you can't change transactionId in a subsequent update."
                error = GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidRequest", "The transactionId of an event cannot be changed after it was created.");
                return false;
            }

            e.TransactionId = tx;
        }

        if (json.ContainsKey("subject")) e.Subject = (string?)json["subject"]; // Graph allows an empty or missing subject
        if (json["body"] is JsonObject body)
        {
            string type = ((string?)body["contentType"] ?? "text").ToLowerInvariant();
            if (type is not ("text" or "html"))
            {
                error = BadValue(ctx, "body.contentType", type);
                return false;
            }

            e.BodyContentType = type;
            e.BodyContent = (string?)body["content"] ?? "";
        }

        if (json.ContainsKey("isAllDay")) e.IsAllDay = json["isAllDay"] is JsonValue allDay && allDay.TryGetValue(out bool b) && b;
        if (json["location"] is JsonObject location) e.LocationDisplayName = (string?)location["displayName"] ?? "";
        if (json["categories"] is JsonArray categories) e.Categories = categories.Select(c => (string?)c ?? "").ToList();
        if (json.ContainsKey("showAs"))
        {
            string? showAs = (string?)json["showAs"];
            string? known = ShowAsValues.FirstOrDefault(v => v.Equals(showAs, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                error = BadValue(ctx, "showAs", showAs);
                return false;
            }

            e.ShowAs = known;
        }

        if (json.ContainsKey("isReminderOn")) e.IsReminderOn = json["isReminderOn"] is JsonValue on && on.TryGetValue(out bool r) && r;
        if (json["reminderMinutesBeforeStart"] is JsonValue minutes)
        {
            if (!minutes.TryGetValue(out int m) || m < 0)
            {
                error = BadValue(ctx, "reminderMinutesBeforeStart", minutes.ToJsonString());
                return false;
            }

            e.ReminderMinutesBeforeStart = m;
        }

        if (json.ContainsKey("attendees"))
        {
            List<StoredAttendee>? attendees = Attendees(json["attendees"], ctx, out error);
            if (attendees is null) return false;
            e.Attendees = attendees;
        }

        if (json["singleValueExtendedProperties"] is JsonArray properties)
        {
            foreach (JsonNode? p in properties)
            {
                string id = (string?)p?["id"] ?? "";
                if (!ExtendedPropertyId.IsMatch(id))
                {
                    error = InvalidPropertyId(ctx, id);
                    return false;
                }

                if (p!["value"] is not JsonValue value || !value.TryGetValue(out string? text))
                {
                    error = GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidExtendedPropertyValue", $"The value of extended property '{id}' must be a string.");
                    return false;
                }

                e.ExtendedProperties[id] = text;
            }
        }
        else if (json.ContainsKey("singleValueExtendedProperties"))
        {
            error = BadValue(ctx, "singleValueExtendedProperties", json["singleValueExtendedProperties"]?.ToJsonString());
            return false;
        }

        if (creating && (json["start"] is null || json["end"] is null))
        {
            // The stand-in insists on both (G5Mail always sends them); the create page's examples always carry them.
            error = GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidRequest", "An event needs start and end (dateTimeTimeZone). (Stand-in rule.)");
            return false;
        }

        if (json.ContainsKey("start"))
        {
            if (!Time(json["start"], "start", ctx, out string text, out string zone, out DateTime utc, out error)) return false;
            e.StartDateTime = text;
            e.StartTimeZone = zone;
            e.StartUtc = utc;
        }

        if (json.ContainsKey("end"))
        {
            if (!Time(json["end"], "end", ctx, out string text, out string zone, out DateTime utc, out error)) return false;
            e.EndDateTime = text;
            e.EndTimeZone = zone;
            e.EndUtc = utc;
        }

        if (e.EndUtc < e.StartUtc)
        {
            // Stand-in code: Graph refuses an end before the start; the pages do not name the code.
            error = GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidRequest", "The end of an event must not be before its start. (Stand-in wording.)");
            return false;
        }

        if (e.IsAllDay)
        {
            // event resource, isAllDay: "start and end time must be set to midnight and be in the same time zone".
            bool midnight = ParseLocal(e.StartDateTime).TimeOfDay == TimeSpan.Zero && ParseLocal(e.EndDateTime).TimeOfDay == TimeSpan.Zero;
            if (!midnight || !string.Equals(e.StartTimeZone, e.EndTimeZone, StringComparison.OrdinalIgnoreCase) || e.EndUtc <= e.StartUtc)
            {
                error = GraphEndpoints.GraphError(ctx, 400, "ErrorPropertyValidationFailure",
                    "An all-day event's start and end must be at midnight, in the same time zone, at least one day apart.");
                return false;
            }
        }

        return true;
    }

    /// <summary>A dateTimeTimeZone: dateTime "{date}T{time}" (no offset needed) and a timeZone Graph knows.</summary>
    private static bool Time(JsonNode? node, string name, HttpContext ctx, out string text, out string zone, out DateTime utc, out IResult? error)
    {
        text = zone = "";
        utc = default;
        error = null;
        if (node is not JsonObject o || (string?)o["dateTime"] is not { Length: > 0 } dateTime || (string?)o["timeZone"] is not { Length: > 0 } timeZone)
        {
            error = GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidRequest", $"'{name}' must be a dateTimeTimeZone with dateTime and timeZone. (Stand-in wording.)");
            return false;
        }

        TimeZoneInfo? info = ZoneOf(timeZone);
        if (info is null)
        {
            // Graph's answer to an unknown timeZone (an observed service answer; the pages list what is accepted).
            error = GraphEndpoints.GraphError(ctx, 400, "TimeZoneNotSupportedException",
                $"A valid TimeZone value must be specified. The following TimeZone value is not supported: '{timeZone}'.");
            return false;
        }

        if (!DateTime.TryParse(dateTime, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTime parsed) || !dateTime.Contains('T'))
        {
            error = GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidRequest", $"'{name}.dateTime' '{dateTime}' is not a date and time. (Stand-in wording.)");
            return false;
        }

        DateTime local = DateTime.SpecifyKind(parsed.Kind == DateTimeKind.Utc ? TimeZoneInfo.ConvertTimeFromUtc(parsed, info) : parsed, DateTimeKind.Unspecified);
        utc = parsed.Kind == DateTimeKind.Utc ? parsed : TimeZoneInfo.ConvertTimeToUtc(local, info);
        text = local.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture);
        zone = timeZone;
        return true;
    }

    /// <summary>A Windows time zone name, or one of the page's additional (IANA) names; null for anything else.</summary>
    public static TimeZoneInfo? ZoneOf(string timeZone)
    {
        bool windows = TimeZoneInfo.TryConvertWindowsIdToIanaId(timeZone, out _);
        if (!windows && !AdditionalTimeZones.Contains(timeZone)) return null;
        // Europe/Kyiv is listed with its old name Europe/Kiev; the system may know either.
        return TryZone(timeZone) ?? (timeZone.StartsWith("Europe/Ki", StringComparison.OrdinalIgnoreCase) ? TryZone("Europe/Kyiv") ?? TryZone("Europe/Kiev") : null);
    }

    private static TimeZoneInfo? TryZone(string id)
    {
        try { return TimeZoneInfo.FindSystemTimeZoneById(id); } catch (Exception) { return null; }
    }

    private static DateTime ParseLocal(string text) => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.None);

    private static List<StoredAttendee>? Attendees(JsonNode? node, HttpContext ctx, out IResult? error)
    {
        error = null;
        var list = new List<StoredAttendee>();
        if (node is null) return list;
        if (node is not JsonArray array)
        {
            error = BadValue(ctx, "attendees", node.ToJsonString());
            return null;
        }

        foreach (JsonNode? item in array)
        {
            string address = (string?)item?["emailAddress"]?["address"] ?? "";
            string type = (string?)item?["type"] ?? "required";
            if (!MailAddress.TryCreate(address, out MailAddress? parsed) || parsed.Address != address.Trim())
            {
                error = GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidRecipients", "At least one recipient isn't valid.");
                return null;
            }

            string? known = AttendeeTypes.FirstOrDefault(t => t.Equals(type, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                error = BadValue(ctx, "attendees.type", type);
                return null;
            }

            list.Add(new StoredAttendee(parsed.Address, (string?)item?["emailAddress"]?["name"], known));
        }

        return list;
    }

    /// <summary>The event as Graph returns it; with <paramref name="everything"/> also the extended properties and the stand-in's own fields.</summary>
    private static JsonObject Json(StoredEvent e, string host, bool everything)
    {
        string Date(DateTimeOffset d) => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        var json = new JsonObject
        {
            ["@odata.etag"] = $"W/\"{ChangeKey(e)}\"",
            ["id"] = e.Id,
            ["createdDateTime"] = Date(e.Created),
            ["lastModifiedDateTime"] = Date(e.LastModified),
            ["changeKey"] = ChangeKey(e),
            ["categories"] = new JsonArray(e.Categories.Select(c => (JsonNode?)c).ToArray()),
            ["transactionId"] = e.TransactionId,
            ["reminderMinutesBeforeStart"] = e.ReminderMinutesBeforeStart,
            ["isReminderOn"] = e.IsReminderOn,
            ["subject"] = e.Subject,
            ["isAllDay"] = e.IsAllDay,
            ["isCancelled"] = e.Cancelled,
            ["isOrganizer"] = true,
            ["showAs"] = e.ShowAs,
            ["type"] = "singleInstance",
            ["body"] = new JsonObject { ["contentType"] = e.BodyContentType, ["content"] = e.BodyContent },
            ["start"] = new JsonObject { ["dateTime"] = e.StartDateTime, ["timeZone"] = e.StartTimeZone },
            ["end"] = new JsonObject { ["dateTime"] = e.EndDateTime, ["timeZone"] = e.EndTimeZone },
            ["location"] = new JsonObject { ["displayName"] = e.LocationDisplayName },
            ["attendees"] = new JsonArray(e.Attendees.Select(a => (JsonNode)new JsonObject
            {
                ["type"] = a.Type,
                ["status"] = new JsonObject { ["response"] = "none", ["time"] = "0001-01-01T00:00:00Z" },
                ["emailAddress"] = new JsonObject { ["name"] = a.Name ?? a.Address, ["address"] = a.Address },
            }).ToArray()),
            ["organizer"] = new JsonObject { ["emailAddress"] = new JsonObject { ["name"] = e.Mailbox, ["address"] = e.Mailbox } },
        };
        if (everything)
        {
            json["mailbox"] = e.Mailbox;
            json["deleted"] = e.Deleted;
            json["cancelComment"] = e.CancelComment;
            json["notifications"] = new JsonArray(e.Notifications.Select(n => (JsonNode?)n).ToArray());
            json["singleValueExtendedProperties"] = new JsonArray(e.ExtendedProperties.Select(p => (JsonNode)new JsonObject { ["id"] = p.Key, ["value"] = p.Value }).ToArray());
        }

        return json;
    }

    private static string ChangeKey(StoredEvent e) => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(e.Id.Substring(Math.Max(0, e.Id.Length - 8)) + e.Version));

    private static string[]? Select(HttpContext ctx) => GraphRequest.Select(ctx);

    private static JsonObject Selected(JsonObject all, string[]? select) => GraphRequest.Selected(all, select);

    private static StoredEvent Copy(StoredEvent e)
    {
        var copy = new StoredEvent { Id = e.Id, Mailbox = e.Mailbox, Created = e.Created };
        CopyInto(e, copy);
        return copy;
    }

    private static void CopyInto(StoredEvent from, StoredEvent to)
    {
        to.TransactionId = from.TransactionId;
        to.Subject = from.Subject;
        to.BodyContentType = from.BodyContentType;
        to.BodyContent = from.BodyContent;
        to.StartDateTime = from.StartDateTime;
        to.StartTimeZone = from.StartTimeZone;
        to.StartUtc = from.StartUtc;
        to.EndDateTime = from.EndDateTime;
        to.EndTimeZone = from.EndTimeZone;
        to.EndUtc = from.EndUtc;
        to.IsAllDay = from.IsAllDay;
        to.LocationDisplayName = from.LocationDisplayName;
        to.Categories = from.Categories.ToList();
        to.ShowAs = from.ShowAs;
        to.IsReminderOn = from.IsReminderOn;
        to.ReminderMinutesBeforeStart = from.ReminderMinutesBeforeStart;
        to.Attendees = from.Attendees.ToList();
        to.ExtendedProperties.Clear();
        foreach (KeyValuePair<string, string> p in from.ExtendedProperties) to.ExtendedProperties[p.Key] = p.Value;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static Task<JsonObject?> ReadJsonAsync(HttpContext ctx, bool allowEmpty = false) => GraphRequest.ReadJsonAsync(ctx, allowEmpty);

    private static IResult BadJson(HttpContext ctx) => GraphRequest.BadJson(ctx);

    private static IResult BadValue(HttpContext ctx, string property, string? value) =>
        GraphEndpoints.GraphError(ctx, 400, "BadRequest", $"Invalid value '{value}' for property '{property}'.");

    private static IResult InvalidPropertyId(HttpContext ctx, string id) =>
        GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidProperty",
            $"The extended property id '{id}' is not valid: use '{{type}} {{guid}} Name {{name}}', '{{type}} {{guid}} Id 0x{{hex}}' or '{{type}} 0x{{tag}}'.");

    private static IResult ItemNotFound(HttpContext ctx) => GraphRequest.ItemNotFound(ctx);

    private static string Host(HttpContext ctx) => GraphRequest.Host(ctx);
}
