using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace G5Mail.TestServers;

/// <summary>
/// Stand-in for reading a mailbox through Microsoft Graph v1.0: mail folders and received messages of
/// /users/{id|upn} and /me. Behaviour after:
/// - "mailFolder resource type" https://learn.microsoft.com/graph/api/resources/mailfolder (well-known folder names such as
///   inbox, sentitems, drafts, deleteditems, junkemail, archive, msgfolderroot, usable in place of an id)
/// - "Get mailFolder" https://learn.microsoft.com/graph/api/mailfolder-get (Mail.ReadBasic, Mail.Read or Mail.ReadWrite)
/// - "List mailFolders" https://learn.microsoft.com/graph/api/user-list-mailfolders (the folders under the root) and
///   "List childFolders" https://learn.microsoft.com/graph/api/mailfolder-list-childfolders ($filter on displayName)
/// - "Create child folder" https://learn.microsoft.com/graph/api/mailfolder-post-childfolders (201; displayName required;
///   Mail.ReadWrite) and "ErrorFolderExists": a folder with the same name under the same parent is refused
///   (https://learn.microsoft.com/exchange/client-developer/web-service-reference/responsecode)
/// - "List messages" https://learn.microsoft.com/graph/api/user-list-messages (default page 10; $top 1 to 1000;
///   @odata.nextLink carries $skip and must be used whole; with $filter and $orderby together the $orderby properties
///   must appear in $filter, first and in the same order, else 400 InefficientFilter "The restriction or sort order is too
///   complex for this operation.")
/// - "Use query parameters" https://learn.microsoft.com/graph/query-parameters ($select, $filter with ge/gt/le/lt/eq and
///   'and'; single quotes in a string literal doubled; $expand)
/// - "Get singleValueLegacyExtendedProperty" https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get
///   ($expand=singleValueExtendedProperties($filter=id eq '...'), ids "{type} {proptag}")
/// - "Get MIME content of a message" https://learn.microsoft.com/graph/outlook-get-mime-message (GET .../$value; Mail.Read)
/// - "Update message" https://learn.microsoft.com/graph/api/message-update (PATCH isRead; 200; Mail.ReadWrite)
/// - "message: move" https://learn.microsoft.com/graph/api/message-move (POST destinationId, a folder id or well-known
///   name; 201 and the message in its new folder, under a new id; Mail.ReadWrite)
/// - "Microsoft Graph error responses" https://learn.microsoft.com/graph/errors (ErrorItemNotFound 404,
///   ErrorInvalidIdMalformed 400, ErrorAccessDenied 403)
/// What the pages leave open is the stand-in's own choice, marked "(stand-in)".
/// </summary>
public static class GraphMailboxEndpoints
{
    public const string MailRead = "Mail.Read";
    public const string MailReadWrite = "Mail.ReadWrite";
    private static readonly string[] ReadPermissions = { MailRead, MailReadWrite };

    /// <summary>Properties of the message resource the stand-in can return and $select may name.</summary>
    private static readonly string[] MessageProperties =
    {
        "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "receivedDateTime", "sentDateTime", "hasAttachments", "internetMessageId",
        "subject", "bodyPreview", "importance", "parentFolderId", "isRead", "isDraft", "from", "sender", "toRecipients", "ccRecipients",
        "bccRecipients", "replyTo", "body", "categories", "conversationId", "webLink", "inferenceClassification", "flag",
    };

    /// <summary>Exchange item and folder ids are base64: anything else is refused as malformed (stand-in: the ids it issues).</summary>
    private static readonly Regex ItemId = new(@"^AAMk[A-Za-z0-9_\-+/]+=*$", RegexOptions.CultureInvariant);

    private static readonly Regex FilterClause = new(
        @"^\s*(receivedDateTime|isRead|hasAttachments)\s+(eq|ne|ge|gt|le|lt)\s+(\S+)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex DisplayNameFilter = new(@"^\s*displayName\s+eq\s+'((?:[^']|'')*)'\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex ExpandExtended = new(@"^\s*singleValueExtendedProperties\s*\(\s*\$filter\s*=\s*(.+)\)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex ExtendedIdClause = new(@"^\s*id\s+eq\s+'([^']*)'\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex TagId = new(@"^(Integer|String|Boolean|Long|SystemTime|Binary)\s+0x([0-9A-Fa-f]{1,4})$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        void MapMailbox(string suffix, string route, string method, Func<HttpContext, string?, Task<IResult>> handler)
        {
            app.MapMethods("/v1.0/users/{user}" + suffix, new[] { method }, (HttpContext ctx, string user) => handler(ctx, user)).WithMetadata(new RouteTag(route, "graph"));
            Func<HttpContext, Task<IResult>> me = ctx => handler(ctx, null);
            app.MapMethods("/v1.0/me" + suffix, new[] { method }, me).WithMetadata(new RouteTag(route, "graph"));
        }

        static string R(HttpContext ctx, string name) => (string)ctx.GetRouteValue(name)!;
        MapMailbox("/mailFolders", "listMailFolders", "GET", (ctx, user) => Task.FromResult(ListFolders(ctx, user, null, state)));
        MapMailbox("/mailFolders", "createMailFolder", "POST", (ctx, user) => CreateFolderAsync(ctx, user, null, state));
        MapMailbox("/mailFolders/{folderId}", "getMailFolder", "GET", (ctx, user) => Task.FromResult(GetFolder(ctx, user, R(ctx, "folderId"), state)));
        MapMailbox("/mailFolders/{folderId}/childFolders", "listChildFolders", "GET", (ctx, user) => Task.FromResult(ListFolders(ctx, user, R(ctx, "folderId"), state)));
        MapMailbox("/mailFolders/{folderId}/childFolders", "createChildFolder", "POST", (ctx, user) => CreateFolderAsync(ctx, user, R(ctx, "folderId"), state));
        MapMailbox("/mailFolders/{folderId}/messages", "listMessages", "GET", (ctx, user) => Task.FromResult(ListMessages(ctx, user, R(ctx, "folderId"), state)));
        MapMailbox("/messages/{messageId}", "getMessage", "GET", (ctx, user) => Task.FromResult(GetMessage(ctx, user, R(ctx, "messageId"), state)));
        MapMailbox("/messages/{messageId}/$value", "getMessageContent", "GET", (ctx, user) => GetContentAsync(ctx, user, R(ctx, "messageId"), state));
        MapMailbox("/messages/{messageId}", "updateMessage", "PATCH", (ctx, user) => UpdateAsync(ctx, user, R(ctx, "messageId"), state));
        MapMailbox("/messages/{messageId}/move", "moveMessage", "POST", (ctx, user) => MoveAsync(ctx, user, R(ctx, "messageId"), state));

        // Test-only (no Graph counterpart): put a received message (raw MIME) into a folder, and read the mailbox back.
        app.MapPost("/_test/mailbox/messages", (Func<HttpContext, Task<IResult>>)(ctx => SeedAsync(ctx, state)));
        app.MapGet("/_test/mailbox/{mailbox}", (string mailbox) => Dump(mailbox, state));
    }

    // ---- folders ---------------------------------------------------------------------------------------------------

    private static IResult GetFolder(HttpContext ctx, string? userSegment, string folderId, ServerState state)
    {
        string? mailbox = Authorize(ctx, state, userSegment, write: false, out IResult? error);
        if (mailbox is null) return error!;
        MailboxFolder? folder = FindFolder(ctx, state, mailbox, folderId, out error);
        if (folder is null) return error!;
        return new JsonResult(Selected(FolderJson(folder, state, mailbox), Select(ctx)), 200);
    }

    /// <summary>List mailFolders (parent null: the root's children) or List childFolders, with $filter=displayName eq '...'.</summary>
    private static IResult ListFolders(HttpContext ctx, string? userSegment, string? parentId, ServerState state)
    {
        string? mailbox = Authorize(ctx, state, userSegment, write: false, out IResult? error);
        if (mailbox is null) return error!;
        MailboxFolder? parent = parentId is null ? state.Mailboxes.Root(mailbox) : FindFolder(ctx, state, mailbox, parentId, out error);
        if (parent is null) return error!;

        IEnumerable<MailboxFolder> folders = state.Mailboxes.Children(mailbox, parent.Id);
        string filter = ctx.Request.Query["$filter"].ToString();
        if (filter.Length > 0)
        {
            Match m = DisplayNameFilter.Match(filter);
            if (!m.Success)
            {
                return GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidUrlQueryFilter",
                    "The query filter contains one or more invalid nodes. (stand-in: only displayName eq '...' is supported for folders)");
            }

            // A literal's doubled quote is one quote; an undoubled one would not have matched. Exchange compares names without case.
            string name = m.Groups[1].Value.Replace("''", "'");
            folders = folders.Where(f => string.Equals(f.DisplayName, name, StringComparison.OrdinalIgnoreCase));
        }

        string host = Host(ctx);
        string[]? select = Select(ctx);
        var body = new JsonObject
        {
            ["@odata.context"] = $"{host}/v1.0/$metadata#users('{mailbox}')/mailFolders",
            ["value"] = new JsonArray(folders.Select(f => (JsonNode)Selected(FolderJson(f, state, mailbox), select)).ToArray()),
        };
        return new JsonResult(body, 200);
    }

    private static async Task<IResult> CreateFolderAsync(HttpContext ctx, string? userSegment, string? parentId, ServerState state)
    {
        string? mailbox = Authorize(ctx, state, userSegment, write: true, out IResult? error);
        if (mailbox is null) return error!;
        JsonObject? json = await ReadJsonAsync(ctx);
        if (json is null) return BadJson(ctx);
        MailboxFolder? parent = parentId is null ? state.Mailboxes.Root(mailbox) : FindFolder(ctx, state, mailbox, parentId, out error);
        if (parent is null) return error!;

        string name = ((string?)json["displayName"] ?? "").Trim();
        if (name.Length == 0)
        {
            return GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidRequest", "The displayName of a folder is required. (stand-in wording)");
        }

        MailboxFolder? created = state.Mailboxes.AddChild(mailbox, parent.Id, name);
        if (created is null)
        {
            return GraphEndpoints.GraphError(ctx, 409, "ErrorFolderExists", "A folder with the specified name already exists.");
        }

        return new JsonResult(FolderJson(created, state, mailbox), 201);
    }

    private static JsonObject FolderJson(MailboxFolder folder, ServerState state, string mailbox)
    {
        List<MailboxMessage> messages = state.Mailboxes.InFolder(mailbox, folder.Id);
        return new JsonObject
        {
            ["id"] = folder.Id,
            ["displayName"] = folder.DisplayName,
            ["parentFolderId"] = folder.ParentId,
            ["childFolderCount"] = state.Mailboxes.Children(mailbox, folder.Id).Count,
            ["unreadItemCount"] = messages.Count(m => !m.IsRead),
            ["totalItemCount"] = messages.Count,
            ["isHidden"] = false,
        };
    }

    /// <summary>A folder by id or well-known name; 400 ErrorInvalidIdMalformed for an id that is neither, 404 ErrorItemNotFound when absent.</summary>
    private static MailboxFolder? FindFolder(HttpContext ctx, ServerState state, string mailbox, string idOrName, out IResult? error)
    {
        error = null;
        MailboxFolder? folder = state.Mailboxes.Folder(mailbox, idOrName);
        if (folder is not null) return folder;
        error = ItemId.IsMatch(idOrName) || Regex.IsMatch(idOrName, "^[a-z]+$", RegexOptions.IgnoreCase)
            ? ItemNotFound(ctx)
            : GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidIdMalformed", "Id is malformed.");
        return null;
    }

    // ---- messages --------------------------------------------------------------------------------------------------

    private static IResult ListMessages(HttpContext ctx, string? userSegment, string folderId, ServerState state)
    {
        string? mailbox = Authorize(ctx, state, userSegment, write: false, out IResult? error);
        if (mailbox is null) return error!;
        MailboxFolder? folder = FindFolder(ctx, state, mailbox, folderId, out error);
        if (folder is null) return error!;

        IQueryCollection q = ctx.Request.Query;
        int top = 10;
        if (q.ContainsKey("$top") && (!int.TryParse(q["$top"], NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > 1000))
        {
            return GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidUrlQuery", $"The value '{q["$top"]}' of $top is not valid: messages are listed 1 to 1000 per page.");
        }

        int skip = 0;
        if (q.ContainsKey("$skip") && (!int.TryParse(q["$skip"], NumberStyles.None, CultureInfo.InvariantCulture, out skip) || skip < 0))
        {
            return GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidUrlQuery", $"The value '{q["$skip"]}' of $skip is not valid.");
        }

        if (!TryFilter(ctx, q["$filter"].ToString(), out List<(string Property, Func<MailboxMessage, bool> Test)> filter, out error)) return error!;
        if (!TryOrderBy(ctx, q["$orderby"].ToString(), out List<(string Property, bool Descending)> order, out error)) return error!;
        if (filter.Count > 0 && order.Count > 0)
        {
            // user-list-messages, "Using filter and orderby in the same query": every $orderby property in $filter, first, in the same order.
            List<string> filtered = filter.Select(f => f.Property).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            bool efficient = order.Count <= filtered.Count &&
                             order.Select((o, i) => string.Equals(o.Property, filtered[i], StringComparison.OrdinalIgnoreCase)).All(same => same);
            if (!efficient)
            {
                return GraphEndpoints.GraphError(ctx, 400, "InefficientFilter", "The restriction or sort order is too complex for this operation.");
            }
        }

        if (!TrySelectMessage(ctx, out string[]? select, out error)) return error!;
        if (!TryExpand(ctx, out List<string>? expand, out error)) return error!;

        IEnumerable<MailboxMessage> messages = state.Mailboxes.InFolder(mailbox, folder.Id).Where(m => filter.All(f => f.Test(m)));
        // Without $orderby Outlook lists the newest first (stand-in: the pages show receivedDateTime descending by default).
        IOrderedEnumerable<MailboxMessage> sorted = order.Count == 0
            ? messages.OrderByDescending(m => m.Received)
            : Sort(messages, order);
        List<MailboxMessage> all = sorted.ThenBy(m => m.Id, StringComparer.Ordinal).ToList();
        List<MailboxMessage> page = all.Skip(skip).Take(top).ToList();

        string host = Host(ctx);
        var body = new JsonObject
        {
            ["@odata.context"] = $"{host}/v1.0/$metadata#users('{mailbox}')/mailFolders('{folder.Id}')/messages",
            ["value"] = new JsonArray(page.Select(m => (JsonNode)MessageJson(m, select, expand)).ToArray()),
        };
        if (skip + page.Count < all.Count)
        {
            // The whole request again, with $skip moved on (the link "includes any query parameters you may have specified").
            var next = q.Where(kv => kv.Key != "$skip").Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value.ToString())).ToList();
            next.Add("$skip=" + (skip + page.Count).ToString(CultureInfo.InvariantCulture));
            body["@odata.nextLink"] = host + ctx.Request.Path.Value + "?" + string.Join("&", next);
        }

        return new JsonResult(body, 200);
    }

    private static IOrderedEnumerable<MailboxMessage> Sort(IEnumerable<MailboxMessage> messages, List<(string Property, bool Descending)> order)
    {
        IOrderedEnumerable<MailboxMessage>? sorted = null;
        foreach ((string property, bool descending) in order)
        {
            Func<MailboxMessage, IComparable> key = property.ToLowerInvariant() switch
            {
                "receiveddatetime" => m => m.Received,
                "isread" => m => m.IsRead,
                _ => m => m.HasAttachments,
            };
            sorted = sorted is null
                ? (descending ? messages.OrderByDescending(key) : messages.OrderBy(key))
                : (descending ? sorted.ThenByDescending(key) : sorted.ThenBy(key));
        }

        return sorted!;
    }

    private static IResult GetMessage(HttpContext ctx, string? userSegment, string messageId, ServerState state)
    {
        string? mailbox = Authorize(ctx, state, userSegment, write: false, out IResult? error);
        if (mailbox is null) return error!;
        MailboxMessage? message = FindMessage(ctx, state, mailbox, messageId, out error);
        if (message is null) return error!;
        if (!TrySelectMessage(ctx, out string[]? select, out error)) return error!;
        if (!TryExpand(ctx, out List<string>? expand, out error)) return error!;
        return new JsonResult(MessageJson(message, select, expand), 200);
    }

    private static async Task<IResult> GetContentAsync(HttpContext ctx, string? userSegment, string messageId, ServerState state)
    {
        string? mailbox = Authorize(ctx, state, userSegment, write: false, out IResult? error);
        if (mailbox is null) return error!;
        MailboxMessage? message = FindMessage(ctx, state, mailbox, messageId, out error);
        if (message is null) return error!;
        // outlook-get-mime-message: the MIME content in the body, "Content-type: text/plain".
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain";
        ctx.Response.ContentLength = message.Mime.Length;
        await ctx.Response.Body.WriteAsync(message.Mime, ctx.RequestAborted);
        return Results.Empty;
    }

    private static async Task<IResult> UpdateAsync(HttpContext ctx, string? userSegment, string messageId, ServerState state)
    {
        (string? mailbox, JsonObject? json, MailboxMessage? message, IResult? error) = await ChangeRequestAsync(ctx, userSegment, messageId, state);
        if (error is not null) return error;

        if (json!.ContainsKey("isRead"))
        {
            if (json["isRead"] is not JsonValue v || !v.TryGetValue(out bool isRead))
            {
                return GraphEndpoints.GraphError(ctx, 400, "BadRequest", $"Invalid value '{json["isRead"]?.ToJsonString()}' for property 'isRead'.");
            }

            state.Mailboxes.Locked(() =>
            {
                message!.IsRead = isRead;
                message.Version++;
                return true;
            });
        }

        return new JsonResult(MessageJson(message!, null, null), 200);
    }

    private static async Task<IResult> MoveAsync(HttpContext ctx, string? userSegment, string messageId, ServerState state)
    {
        (string? mailbox, JsonObject? json, MailboxMessage? message, IResult? error) = await ChangeRequestAsync(ctx, userSegment, messageId, state);
        if (error is not null) return error;
        string destination = (string?)json!["destinationId"] ?? "";
        if (destination.Length == 0)
        {
            return GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidRequest", "The destinationId is required. (stand-in wording)");
        }

        MailboxFolder? target = FindFolder(ctx, state, mailbox!, destination, out error);
        if (target is null) return error!;

        // message-move: "201 Created" and the message in the destination folder; Exchange gives a moved item a new id.
        state.Mailboxes.Locked(() =>
        {
            message!.FolderId = target.Id;
            message.Id = MailStore.NewItemId();
            message.Version++;
            return true;
        });
        return new JsonResult(MessageJson(message!, null, null), 201);
    }

    /// <summary>A change of one message (update, move): Mail.ReadWrite, a JSON body, the message; or the error to answer.</summary>
    private static async Task<(string? Mailbox, JsonObject? Json, MailboxMessage? Message, IResult? Error)> ChangeRequestAsync(HttpContext ctx, string? userSegment,
        string messageId, ServerState state)
    {
        string? mailbox = Authorize(ctx, state, userSegment, write: true, out IResult? error);
        if (mailbox is null) return (null, null, null, error);
        JsonObject? json = await ReadJsonAsync(ctx);
        if (json is null) return (null, null, null, BadJson(ctx));
        MailboxMessage? message = FindMessage(ctx, state, mailbox, messageId, out error);
        return message is null ? (null, null, null, error) : (mailbox, json, message, null);
    }

    private static MailboxMessage? FindMessage(HttpContext ctx, ServerState state, string mailbox, string id, out IResult? error)
    {
        error = null;
        if (!ItemId.IsMatch(id))
        {
            error = GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidIdMalformed", "Id is malformed.");
            return null;
        }

        MailboxMessage? message = state.Mailboxes.Message(mailbox, id);
        if (message is null) error = ItemNotFound(ctx);
        return message;
    }

    // ---- query options ----------------------------------------------------------------------------------------------

    /// <summary>$filter: clauses on receivedDateTime, isRead and hasAttachments joined by 'and' (stand-in: what G5Mail may send).</summary>
    private static bool TryFilter(HttpContext ctx, string text, out List<(string Property, Func<MailboxMessage, bool> Test)> filter, out IResult? error)
    {
        filter = new List<(string, Func<MailboxMessage, bool>)>();
        error = null;
        if (text.Trim().Length == 0) return true;
        foreach (string clause in Regex.Split(text, @"\s+and\s+", RegexOptions.IgnoreCase))
        {
            Match m = FilterClause.Match(clause);
            if (!m.Success)
            {
                error = GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidUrlQueryFilter",
                    $"The query filter contains one or more invalid nodes. (stand-in: '{clause.Trim()}' is not receivedDateTime/isRead/hasAttachments compared with a value)");
                return false;
            }

            string property = m.Groups[1].Value;
            string op = m.Groups[2].Value.ToLowerInvariant();
            string value = m.Groups[3].Value;
            if (property.Equals("receivedDateTime", StringComparison.OrdinalIgnoreCase))
            {
                // An OData DateTimeOffset literal is unquoted, with an offset or Z.
                if (!Regex.IsMatch(value, @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$") ||
                    !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset when))
                {
                    error = GraphEndpoints.GraphError(ctx, 400, "BadRequest", $"The DateTimeOffset text '{value}' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within valid range.");
                    return false;
                }

                filter.Add(("receivedDateTime", m2 => Compare(m2.Received.CompareTo(when), op)));
            }
            else
            {
                if (value is not ("true" or "false") || op is not ("eq" or "ne"))
                {
                    error = GraphEndpoints.GraphError(ctx, 400, "BadRequest", $"'{clause.Trim()}': a Boolean property is compared with eq or ne and true or false.");
                    return false;
                }

                bool wanted = value == "true";
                bool isRead = property.Equals("isRead", StringComparison.OrdinalIgnoreCase);
                filter.Add((isRead ? "isRead" : "hasAttachments", m2 => ((isRead ? m2.IsRead : m2.HasAttachments) == wanted) == (op == "eq")));
            }
        }

        return true;
    }

    private static bool Compare(int c, string op) => op switch
    {
        "eq" => c == 0,
        "ne" => c != 0,
        "ge" => c >= 0,
        "gt" => c > 0,
        "le" => c <= 0,
        _ => c < 0,
    };

    private static bool TryOrderBy(HttpContext ctx, string text, out List<(string Property, bool Descending)> order, out IResult? error)
    {
        order = new List<(string, bool)>();
        error = null;
        if (text.Trim().Length == 0) return true;
        foreach (string part in text.Split(','))
        {
            string[] words = part.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            bool known = words.Length is 1 or 2 && (words[0].Equals("receivedDateTime", StringComparison.OrdinalIgnoreCase) ||
                                                     words[0].Equals("isRead", StringComparison.OrdinalIgnoreCase) ||
                                                     words[0].Equals("hasAttachments", StringComparison.OrdinalIgnoreCase));
            if (!known || (words.Length == 2 && words[1] is not ("asc" or "desc")))
            {
                error = GraphEndpoints.GraphError(ctx, 400, "BadRequest", $"Invalid $orderby '{part.Trim()}'. (stand-in: receivedDateTime, isRead or hasAttachments, asc or desc)");
                return false;
            }

            order.Add((words[0], words.Length == 2 && words[1] == "desc"));
        }

        return true;
    }

    private static bool TrySelectMessage(HttpContext ctx, out string[]? select, out IResult? error)
    {
        error = null;
        select = Select(ctx);
        string? unknown = select?.FirstOrDefault(p => !MessageProperties.Contains(p, StringComparer.OrdinalIgnoreCase));
        if (unknown is not null)
        {
            error = GraphEndpoints.GraphError(ctx, 400, "RequestBroker--ParseUri", $"Could not find a property named '{unknown}' on type 'microsoft.graph.message'.");
            return false;
        }

        return true;
    }

    /// <summary>
    /// $expand=singleValueExtendedProperties($filter=id eq '...' or id eq '...'): the normalized ids wanted. The stand-in
    /// knows PidTagMessageSize (Integer 0x0E08) and PidTagMessageClass (String 0x001A) by tag; other ids expand to nothing.
    /// </summary>
    private static bool TryExpand(HttpContext ctx, out List<string>? expand, out IResult? error)
    {
        expand = null;
        error = null;
        string text = ctx.Request.Query["$expand"].ToString();
        if (text.Length == 0) return true;
        Match m = ExpandExtended.Match(text);
        if (!m.Success)
        {
            error = GraphEndpoints.GraphError(ctx, 400, "BadRequest", $"Parsing OData Select and Expand failed: '{text}'. (stand-in: only singleValueExtendedProperties($filter=id eq '...'))");
            return false;
        }

        expand = new List<string>();
        foreach (string clause in Regex.Split(m.Groups[1].Value, @"\s+or\s+", RegexOptions.IgnoreCase))
        {
            Match id = ExtendedIdClause.Match(clause);
            Match tag = id.Success ? TagId.Match(id.Groups[1].Value) : Match.Empty;
            if (!tag.Success)
            {
                error = GraphEndpoints.GraphError(ctx, 400, "ErrorInvalidProperty",
                    $"The extended property filter '{clause.Trim()}' is not valid: use id eq '{{type}} 0x{{tag}}' (stand-in: tag ids only).");
                return false;
            }

            expand.Add(Normalize(tag.Groups[1].Value, tag.Groups[2].Value));
        }

        return true;
    }

    /// <summary>"Integer 0x0E08" as the stand-in echoes it: "Integer 0xe08" (stand-in choice: clients must compare by type and tag).</summary>
    private static string Normalize(string type, string hex) =>
        char.ToUpperInvariant(type[0]) + type[1..].ToLowerInvariant() + " 0x" + int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture).ToString("x", CultureInfo.InvariantCulture);

    private static JsonObject MessageJson(MailboxMessage m, string[]? select, List<string>? expand)
    {
        string Date(DateTimeOffset d) => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        JsonObject Who(Recipient r) => new() { ["emailAddress"] = new JsonObject { ["name"] = r.Name ?? r.Address, ["address"] = r.Address } };
        string changeKey = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(m.Id[^8..] + m.Version));
        var all = new JsonObject
        {
            ["@odata.etag"] = $"W/\"{changeKey}\"",
            ["id"] = m.Id,
            ["createdDateTime"] = Date(m.Received),
            ["lastModifiedDateTime"] = Date(m.Received),
            ["changeKey"] = changeKey,
            ["receivedDateTime"] = Date(m.Received),
            ["sentDateTime"] = Date(m.Received),
            ["hasAttachments"] = m.HasAttachments,
            ["internetMessageId"] = m.InternetMessageId,
            ["subject"] = m.Subject,
            ["bodyPreview"] = "",
            ["importance"] = "normal",
            ["parentFolderId"] = m.FolderId,
            ["isRead"] = m.IsRead,
            ["isDraft"] = false,
            ["from"] = m.From is null ? null : Who(m.From),
            ["sender"] = m.From is null ? null : Who(m.From),
            ["toRecipients"] = new JsonArray(m.To.Select(r => (JsonNode)Who(r)).ToArray()),
            ["ccRecipients"] = new JsonArray(m.Cc.Select(r => (JsonNode)Who(r)).ToArray()),
            ["bccRecipients"] = new JsonArray(),
            ["replyTo"] = new JsonArray(),
        };
        JsonObject result = Selected(all, select);
        if (expand is not null)
        {
            var properties = new JsonArray();
            string size = Normalize("Integer", "0E08");
            string messageClass = Normalize("String", "001A");
            if (expand.Contains(size)) properties.Add(new JsonObject { ["id"] = size, ["value"] = m.Mime.LongLength.ToString(CultureInfo.InvariantCulture) });
            if (expand.Contains(messageClass)) properties.Add(new JsonObject { ["id"] = messageClass, ["value"] = m.MessageClass });
            // Graph leaves the property out when nothing matched the expand's filter.
            if (properties.Count > 0) result["singleValueExtendedProperties"] = properties;
        }

        return result;
    }

    // ---- seeding ---------------------------------------------------------------------------------------------------

    /// <summary>
    /// POST /_test/mailbox/messages { "mailbox", "folder": "Inbox/Sub" (display names from the top, created when missing),
    /// "mime": base64 or "mimeText": text, "messageClass", "receivedDateTime", "isRead" } → 201 { "id" }.
    /// </summary>
    private static async Task<IResult> SeedAsync(HttpContext ctx, ServerState state)
    {
        JsonObject? json = await ReadJsonAsync(ctx);
        string mailbox = (string?)json?["mailbox"] ?? "";
        if (json is null || mailbox.Length == 0) return Results.BadRequest(new { error = "mailbox and mime (base64) or mimeText are required" });
        byte[] mime;
        try
        {
            mime = (string?)json["mime"] is { } b64 ? Convert.FromBase64String(b64) : System.Text.Encoding.UTF8.GetBytes((string?)json["mimeText"] ?? throw new FormatException());
        }
        catch (FormatException)
        {
            return Results.BadRequest(new { error = "mime must be base64, or give mimeText" });
        }

        DateTimeOffset received = (string?)json["receivedDateTime"] is { } r ? DateTimeOffset.Parse(r, CultureInfo.InvariantCulture) : DateTimeOffset.UtcNow;
        MailboxFolder folder = state.Mailboxes.EnsurePath(mailbox, (string?)json["folder"] ?? "Inbox");
        MailboxMessage message = MailboxMessage.FromMime(mailbox, folder.Id, mime, (string?)json["messageClass"] ?? "IPM.Note", received,
            json["isRead"] is JsonValue v && v.TryGetValue(out bool isRead) && isRead);
        state.Mailboxes.Add(message);
        return Results.Json(new { id = message.Id, folderId = folder.Id }, statusCode: 201);
    }

    /// <summary>GET /_test/mailbox/{mailbox}: every folder (path) and message (folder path, isRead, subject, class).</summary>
    private static IResult Dump(string mailbox, ServerState state)
    {
        List<MailboxFolder> folders = state.Mailboxes.AllFolders(mailbox);
        string PathOf(string id) => folders.FirstOrDefault(f => f.Id == id) is { } f ? state.Mailboxes.PathOf(f) : "";
        var body = new JsonObject
        {
            ["folders"] = new JsonArray(folders.Where(f => f.WellKnownName != "msgfolderroot")
                .Select(f => (JsonNode)new JsonObject { ["id"] = f.Id, ["path"] = state.Mailboxes.PathOf(f), ["wellKnownName"] = f.WellKnownName }).ToArray()),
            ["messages"] = new JsonArray(state.Mailboxes.AllMessages(mailbox).Select(m => (JsonNode)new JsonObject
            {
                ["id"] = m.Id, ["folder"] = PathOf(m.FolderId), ["isRead"] = m.IsRead, ["subject"] = m.Subject,
                ["internetMessageId"] = m.InternetMessageId, ["messageClass"] = m.MessageClass, ["size"] = m.Mime.LongLength,
            }).ToArray()),
        };
        return new JsonResult(body, 200);
    }

    // ---- authorization ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The mailbox address of /users/{id|upn} or /me, and the permission: Mail.Read or Mail.ReadWrite to read ("List
    /// messages", "Get message": Mail.ReadBasic is not enough for the MIME content and is not modelled), Mail.ReadWrite to
    /// change. App tokens may read any mailbox of the tenant; delegated tokens their own only (shared folders are not
    /// modelled: 403 as Graph answers without Mail.Read.Shared).
    /// </summary>
    private static string? Authorize(HttpContext ctx, ServerState state, string? userSegment, bool write, out IResult? error)
    {
        UserConfig? user = GraphRequest.Mailbox(ctx, state, userSegment, write ? new[] { MailReadWrite } : ReadPermissions, write ? MailReadWrite : MailRead, out error);
        return user is null ? null : IdentityDirectory.MailOf(user);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static string[]? Select(HttpContext ctx) => GraphRequest.Select(ctx);

    private static JsonObject Selected(JsonObject all, string[]? select) => GraphRequest.Selected(all, select);

    private static Task<JsonObject?> ReadJsonAsync(HttpContext ctx) => GraphRequest.ReadJsonAsync(ctx);

    private static IResult BadJson(HttpContext ctx) => GraphRequest.BadJson(ctx);

    private static IResult ItemNotFound(HttpContext ctx) => GraphRequest.ItemNotFound(ctx);

    private static string Host(HttpContext ctx) => GraphRequest.Host(ctx);
}
