using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static G5Mail.TestServers.EwsCalendarEndpoints;

namespace G5Mail.TestServers;

/// <summary>
/// The mailbox operations of the EWS stand-in (reading mail: Receive-G5Mail, Get-G5DeliveryReport), as Exchange 2013 and later
/// answer them. What each enforces, with the page of learn.microsoft.com/exchange/client-developer/web-service-reference/ it
/// comes from:
/// - GetFolder ("GetFolder operation"): FolderShape/BaseShape required; the default folders by DistinguishedFolderId, of
///   another mailbox when a t:Mailbox names it ("DistinguishedFolderId"), which needs rights on it (ErrorAccessDenied) and
///   must exist (ErrorNonExistentMailbox, "ResponseCode"); a distinguished folder the mailbox does not have (an archive
///   without an archive mailbox) is ErrorFolderNotFound.
/// - FindFolder ("FindFolder operation"): Traversal required (Shallow, Deep, SoftDeleted); FolderShape, IndexedPageFolderView or
///   FractionalPageFolderView, Restriction, ParentFolderIds in that order; IndexedPageFolderView's Offset and BasePoint are
///   required ("IndexedPageFolderView").
/// - CreateFolder ("CreateFolder operation"): ParentFolderId, Folders; a second folder of the same name in the parent is
///   ErrorFolderExists ("ResponseCode").
/// - FindItem ("FindItem operation"): Traversal required; ItemShape, the paging view, GroupBy, Restriction, SortOrder,
///   ParentFolderIds in that order. It "does not return any of the message body formats or the recipient lists": ToRecipients,
///   CcRecipients, BccRecipients, Body and MimeContent are left out of its items whatever is asked. IndexedPageItemView
///   ("IndexedPageItemView"): BasePoint and Offset required, MaxEntriesReturned optional; the answer's RootFolder carries
///   IndexedPagingOffset, TotalItemsInView and IncludesLastItemInRange ("RootFolder (FindItemResponseMessage)"). At most 1,000
///   items per call, the default EWSFindCountLimit ("EWS throttling in Exchange"). Restrictions And, Or, Not, IsEqualTo,
///   IsNotEqualTo, IsGreaterThan(OrEqualTo), IsLessThan(OrEqualTo) ("Restriction") on item:DateTimeReceived, message:IsRead,
///   item:Subject, item:ItemClass; SortOrder/FieldOrder with Order required ("FieldOrder"). Without a SortOrder the stand-in
///   answers newest first, so a client that needs the oldest must ask for them.
/// - GetItem ("GetItem operation (email message)"): ItemShape and ItemIds required; IncludeMimeContent gives t:MimeContent with
///   its CharacterSet attribute and the base64 of the message ("MimeContent"); many ItemIds, one response message each.
/// - UpdateItem ("UpdateItem operation"): ConflictResolution required; MessageDisposition required for messages
///   (ErrorMessageDispositionRequired); each SetItemField sets exactly one property (ErrorIncorrectUpdatePropertyCount,
///   "SetItemField"); a ChangeKey is needed unless AlwaysOverwrite (ErrorChangeKeyRequiredForWriteOperations), a stale one fails
///   under NeverOverwrite only (ErrorIrresolvableConflict, "ConflictResolution"); every update gives a new ChangeKey ("ItemId").
/// - MoveItem ("MoveItem operation"): ToFolderId, ItemIds required; the moved item has a new ItemId, which the answer carries,
///   and the old one is ErrorItemNotFound from then on; another mailbox is ErrorCrossMailboxMoveCopy ("ResponseCode").
/// - Ids ("ItemId", "FolderId"): not an id of this server (not base64, too short) is ErrorInvalidIdMalformed; unknown is
///   ErrorItemNotFound or ErrorFolderNotFound.
/// - Delegate access: a mailbox other than the user's own is readable with MailboxAccess (Full Access) or MailboxReadAccess
///   (Reviewer: reading only, so UpdateItem, MoveItem and CreateFolder are ErrorAccessDenied).
/// Test control: POST /_test/ews/mailbox/messages seeds raw MIME into a user's folder; GET /_test/ews/mailbox shows folders and
/// messages.
/// </summary>
public static class EwsMailboxEndpoints
{
    private static readonly XNamespace T = EwsNs.Types;
    private static readonly XNamespace M = EwsNs.Messages;

    /// <summary>The default EWSFindCountLimit ("EWS throttling in Exchange"): items one FindItem returns at most.</summary>
    public const int FindCountLimit = 1000;

    private static readonly string[] Listed =
    {
        "item:ItemClass", "item:Subject", "item:DateTimeReceived", "item:Size", "item:HasAttachments", "message:From", "message:InternetMessageId",
        "message:IsRead",
    };

    public static void MapTestControl(IEndpointRouteBuilder app, EwsState ews)
    {
        // Body: {"mailbox": "...", "folder": "inbox/Sub", "mime": "raw RFC 5322" | "mimeBase64": "...", "itemClass": "REPORT.IPM.Note.NDR",
        //        "received": "2027-01-02T03:04:05Z", "isRead": false}
        app.MapPost("/_test/ews/mailbox/messages", async (HttpContext ctx) =>
        {
            JsonNode? node = await JsonNode.ParseAsync(ctx.Request.Body, new JsonNodeOptions { PropertyNameCaseInsensitive = true }, cancellationToken: ctx.RequestAborted);
            string? mailbox = node?["mailbox"]?.GetValue<string>();
            if (mailbox is null || !ews.Config.Users.Any(u => string.Equals(u.EmailAddress, mailbox, StringComparison.OrdinalIgnoreCase)))
            {
                return Results.BadRequest(new { error = "mailbox must be the emailAddress of a configured ews user" });
            }

            byte[] mime = node?["mimeBase64"] is JsonNode b64 ? Convert.FromBase64String(b64.GetValue<string>())
                : Encoding.UTF8.GetBytes(node?["mime"]?.GetValue<string>() ?? "");
            if (mime.Length == 0) return Results.BadRequest(new { error = "mime or mimeBase64 is required" });
            DateTimeOffset? received = node?["received"] is JsonNode r ? DateTimeOffset.Parse(r.GetValue<string>(), CultureInfo.InvariantCulture) : null;
            EwsMailItem item = ews.Mailbox.AddMessage(mailbox, node?["folder"]?.GetValue<string>() ?? "inbox", mime, node?["itemClass"]?.GetValue<string>(),
                received, node?["isRead"]?.GetValue<bool>() ?? false);
            return Results.Json(new { id = item.Id, folder = item.FolderPath }, TestServerConfig.JsonOptions, statusCode: 201);
        });

        app.MapGet("/_test/ews/mailbox", (string? mailbox) =>
        {
            lock (ews.Mailbox.Gate)
            {
                var folders = ews.Mailbox.Folders.Where(f => mailbox is null || f.Mailbox == mailbox.ToLowerInvariant())
                    .Select(f => new { f.Id, f.Mailbox, f.DisplayName, Path = ews.Mailbox.PathOf(f) }).ToList();
                var items = ews.Mailbox.Items.Where(i => mailbox is null || i.Mailbox == mailbox.ToLowerInvariant()).ToList();
                return Results.Json(new { folders, items }, TestServerConfig.JsonOptions);
            }
        });
    }

    /// <summary>Whether an operation kept as XML is about mail (this class) rather than the calendar (<see cref="EwsCalendarEndpoints"/>).</summary>
    public static bool Claims(EwsState ews, XElement op)
    {
        switch (op.Name.LocalName)
        {
            case "FindFolder" or "CreateFolder" or "MoveItem":
                return true;
            case "FindItem":
                XElement? parent = op.Element(M + "ParentFolderIds")?.Elements().FirstOrDefault();
                return parent is not null && !(parent.Name == T + "DistinguishedFolderId" && (string?)parent.Attribute("Id") == "calendar");
            case "GetItem" or "UpdateItem":
                string? id = (string?)op.Descendants(T + "ItemId").FirstOrDefault()?.Attribute("Id");
                lock (ews.Mailbox.Gate) return id is not null && ews.Mailbox.Items.Any(i => i.Id == id);
            default:
                return false;
        }
    }

    public static byte[] Handle(EwsState ews, EwsUserConfig user, XElement op)
    {
        lock (ews.Mailbox.Gate)
        {
            return op.Name.LocalName switch
            {
                "FindFolder" => FindFolder(ews, user, op),
                "CreateFolder" => CreateFolder(ews, user, op),
                "FindItem" => FindItem(ews, user, op),
                "GetItem" => GetItem(ews, user, op),
                "UpdateItem" => UpdateItem(ews, user, op),
                "MoveItem" => MoveItem(ews, user, op),
                _ => throw Invalid(op, $"The stand-in does not implement '{op.Name.LocalName}' for mail."),
            };
        }
    }

    private static EwsSoapWriter.ResponseMessage Error(string code, string text) => new("Error", code, text);

    private static ItemError Denied() => new("ErrorAccessDenied", "Access is denied. Check credentials and try again.");

    /// <summary>May <paramref name="user"/> read (or, with <paramref name="write"/>, change) <paramref name="mailbox"/>?</summary>
    private static void Check(EwsState ews, EwsUserConfig user, string mailbox, bool write)
    {
        if (user.AccessDenied) throw Denied();
        if (string.Equals(mailbox, user.EmailAddress, StringComparison.OrdinalIgnoreCase)) return;
        if (!ews.Config.Users.Any(u => string.Equals(u.EmailAddress, mailbox, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ItemError("ErrorNonExistentMailbox", $"No mailbox with such SMTP address: {mailbox}.");
        }

        bool full = user.MailboxAccess.Contains(mailbox, StringComparer.OrdinalIgnoreCase);
        bool read = full || user.MailboxReadAccess.Contains(mailbox, StringComparer.OrdinalIgnoreCase);
        if (!read || (write && !full)) throw Denied();
    }

    /// <summary>The folder a t:FolderId or t:DistinguishedFolderId (with its t:Mailbox) names, checked for access.</summary>
    private static EwsMailFolder ResolveFolder(EwsState ews, EwsUserConfig user, XElement id, bool write)
    {
        string value = RequiredAttribute(id, "Id");
        if (id.Name == T + "DistinguishedFolderId")
        {
            if (!EwsSoapReader.DistinguishedFolders.Contains(value, StringComparer.Ordinal))
            {
                throw Invalid(id, $"The 'Id' attribute is invalid - The value '{value}' is invalid according to its datatype '{EwsNs.Types}:DistinguishedFolderIdNameType'.");
            }

            string mailbox = id.Element(T + "Mailbox")?.Element(T + "EmailAddress")?.Value.Trim() ?? user.EmailAddress;
            Check(ews, user, mailbox, write);
            ews.Mailbox.EnsureMailbox(mailbox);
            return ews.Mailbox.Distinguished(mailbox, value) ?? throw new ItemError("ErrorFolderNotFound", "The specified folder could not be found in the store.");
        }

        if (id.Name != T + "FolderId")
        {
            throw Invalid(id, "Expected t:FolderId or t:DistinguishedFolderId.");
        }

        EwsMailFolder folder = ews.Mailbox.Folder(value) ?? throw (Malformed(value)
            ? new ItemError("ErrorInvalidIdMalformed", "Id is malformed.")
            : new ItemError("ErrorFolderNotFound", "The specified folder could not be found in the store."));
        Check(ews, user, folder.Mailbox, write);
        return folder;
    }

    /// <summary>Not an id this server hands out: not base64, or shorter than any of its ids.</summary>
    private static bool Malformed(string id)
    {
        try
        {
            return Convert.FromBase64String(id).Length < 16;
        }
        catch (FormatException)
        {
            return true;
        }
    }

    private static EwsMailItem FindItemById(EwsState ews, EwsUserConfig user, string id, bool write)
    {
        if (Malformed(id)) throw new ItemError("ErrorInvalidIdMalformed", "Id is malformed.");
        EwsMailItem item = ews.Mailbox.Items.FirstOrDefault(i => i.Id == id)
                           ?? throw new ItemError("ErrorItemNotFound", "The specified object was not found in the store.");
        Check(ews, user, item.Mailbox, write);
        return item;
    }

    /// <summary>The single folder id child of a ParentFolderId/ToFolderId element.</summary>
    private static XElement OneFolderId(XElement parent)
    {
        List<XElement> ids = parent.Elements().ToList();
        if (ids.Count != 1 || ids[0].Name.Namespace != T || ids[0].Name.LocalName is not ("FolderId" or "DistinguishedFolderId"))
        {
            throw Invalid(parent, $"The element '{parent.Name.LocalName}' holds one t:FolderId or t:DistinguishedFolderId.");
        }

        return ids[0];
    }

    /// <summary>GetFolder for <see cref="EwsEndpoints"/>: the folder's id, and DisplayName when the shape asks for it.</summary>
    public static EwsSoapWriter.ResponseMessage GetFolder(EwsState ews, EwsUserConfig user, EwsFolderRef folder, EwsGetFolder op)
    {
        lock (ews.Mailbox.Gate)
        {
            var id = new XElement(T + (folder.Distinguished ? "DistinguishedFolderId" : "FolderId"), new XAttribute("Id", folder.Id),
                folder.Mailbox is null ? null : new XElement(T + "Mailbox", new XElement(T + "EmailAddress", folder.Mailbox)));
            return Run(() =>
            {
                EwsMailFolder found = ResolveFolder(ews, user, id, write: false);
                bool all = op.BaseShape != "IdOnly";
                bool name = all || op.AdditionalProperties.Contains("folder:DisplayName");
                int count = ews.Mailbox.Items.Count(i => i.FolderId == found.Id) +
                            (found.Distinguished is null ? 0 : ews.Count(found.Mailbox, found.Distinguished));
                int unread = ews.Mailbox.Items.Count(i => i.FolderId == found.Id && !i.IsRead);
                int children = ews.Mailbox.Folders.Count(f => f.ParentId == found.Id);
                return new EwsSoapWriter.ResponseMessage("Success", "NoError", Content: w =>
                {
                    w.WriteStartElement("t", "Folder", EwsNs.Types);
                    WriteFolderId(w, found);
                    if (name) w.WriteElementString("t", "DisplayName", EwsNs.Types, found.DisplayName);
                    if (all)
                    {
                        w.WriteElementString("t", "TotalCount", EwsNs.Types, count.ToString(CultureInfo.InvariantCulture));
                        w.WriteElementString("t", "ChildFolderCount", EwsNs.Types, children.ToString(CultureInfo.InvariantCulture));
                        w.WriteElementString("t", "UnreadCount", EwsNs.Types, unread.ToString(CultureInfo.InvariantCulture));
                    }

                    w.WriteEndElement();
                });
            });
        }
    }

    private static void WriteFolderId(XmlWriter w, EwsMailFolder folder) => WriteId(w, "FolderId", folder.Id, folder.ChangeKey);

    /// <summary>IndexedPageItemView / IndexedPageFolderView: (offset, max) from the start, or counted from the end.</summary>
    private static (int Offset, int Max, bool FromEnd) IndexedView(XElement view)
    {
        string basePoint = RequiredAttribute(view, "BasePoint");
        Enumeration(view, "BasePoint", basePoint, "IndexBasePointType", "Beginning", "End");
        string offsetText = RequiredAttribute(view, "Offset");
        if (!int.TryParse(offsetText, NumberStyles.None, CultureInfo.InvariantCulture, out int offset))
        {
            throw Invalid(view, $"The 'Offset' attribute is invalid - The value '{offsetText}' is invalid according to its datatype 'xs:int' (0 or more).");
        }

        int max = int.MaxValue;
        if ((string?)view.Attribute("MaxEntriesReturned") is string maxText &&
            (!int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max < 1))
        {
            throw Invalid(view, $"The 'MaxEntriesReturned' attribute is invalid - The value '{maxText}' is invalid (1 or more).");
        }

        return (offset, max, basePoint == "End");
    }

    /// <summary>A page of <paramref name="all"/> as IndexedPage*View says, with the RootFolder attributes of the answer.</summary>
    private static (List<TItem> Page, Action<XmlWriter> Attributes) Page<TItem>(List<TItem> all, XElement? view)
    {
        (int offset, int max, bool fromEnd) = view is null ? (0, int.MaxValue, false) : IndexedView(view);
        max = Math.Min(max, FindCountLimit);
        List<TItem> page;
        int next;
        bool last;
        if (!fromEnd)
        {
            page = all.Skip(offset).Take(max).ToList();
            next = offset + page.Count;
            last = next >= all.Count;
        }
        else
        {
            // BasePoint End: Offset counts back from the last item ("IndexedPageItemView").
            int end = Math.Max(0, all.Count - offset);
            int start = Math.Max(0, end - max);
            page = all.Skip(start).Take(end - start).ToList();
            next = all.Count - start;
            last = start == 0;
        }

        return (page, w =>
        {
            if (view is not null) w.WriteAttributeString("IndexedPagingOffset", next.ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("TotalItemsInView", all.Count.ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("IncludesLastItemInRange", last ? "true" : "false");
        });
    }

    private static byte[] FindFolder(EwsState ews, EwsUserConfig user, XElement op)
    {
        string traversal = RequiredAttribute(op, "Traversal");
        Enumeration(op, "Traversal", traversal, "FolderQueryTraversalType", "Shallow", "Deep", "SoftDeleted");
        CheckOrder(op, M, new[] { "FolderShape", "IndexedPageFolderView", "FractionalPageFolderView", "Restriction", "ParentFolderIds" });
        XElement shape = Required(op, M + "FolderShape");
        CheckOrder(shape, T, new[] { "BaseShape", "AdditionalProperties" });
        string baseShape = BaseShape(shape);
        bool name = baseShape != "IdOnly" || Additional(shape).Contains("folder:DisplayName");
        if (op.Element(M + "Restriction") is not null)
        {
            throw new ItemError("ErrorInvalidRequest", "The stand-in's FindFolder takes no Restriction.");
        }

        XElement? view = op.Element(M + "IndexedPageFolderView");
        var results = new List<EwsSoapWriter.ResponseMessage>();
        foreach (XElement parentId in Required(op, M + "ParentFolderIds").Elements())
        {
            results.Add(Run(() =>
            {
                EwsMailFolder parent = ResolveFolder(ews, user, parentId, write: false);
                List<EwsMailFolder> children = traversal == "SoftDeleted" ? new List<EwsMailFolder>() : Descendants(ews, parent, traversal == "Deep");
                (List<EwsMailFolder> page, Action<XmlWriter> attributes) = Page(children, view);
                return new EwsSoapWriter.ResponseMessage("Success", "NoError", Content: w =>
                {
                    attributes(w);
                    w.WriteStartElement("t", "Folders", EwsNs.Types);
                    foreach (EwsMailFolder folder in page)
                    {
                        w.WriteStartElement("t", "Folder", EwsNs.Types);
                        WriteFolderId(w, folder);
                        if (name) w.WriteElementString("t", "DisplayName", EwsNs.Types, folder.DisplayName);
                        w.WriteEndElement();
                    }

                    w.WriteEndElement();
                });
            }));
        }

        return EwsSoapWriter.Response(ews.Config.ServerVersion, "FindFolder", results, "RootFolder");
    }

    private static List<EwsMailFolder> Descendants(EwsState ews, EwsMailFolder parent, bool deep)
    {
        var list = new List<EwsMailFolder>();
        foreach (EwsMailFolder child in ews.Mailbox.Folders.Where(f => f.ParentId == parent.Id).ToList())
        {
            list.Add(child);
            if (deep) list.AddRange(Descendants(ews, child, true));
        }

        return list;
    }

    private static byte[] CreateFolder(EwsState ews, EwsUserConfig user, XElement op)
    {
        CheckOrder(op, M, new[] { "ParentFolderId", "Folders" });
        XElement parentId = OneFolderId(Required(op, M + "ParentFolderId"));
        var results = new List<EwsSoapWriter.ResponseMessage>();
        foreach (XElement folder in Required(op, M + "Folders").Elements())
        {
            if (folder.Name.Namespace != T || !folder.Name.LocalName.EndsWith("Folder", StringComparison.Ordinal))
            {
                throw Invalid(folder, "Folders holds t:Folder, t:CalendarFolder, t:ContactsFolder, t:SearchFolder or t:TasksFolder elements.");
            }

            string? display = folder.Element(T + "DisplayName")?.Value;
            results.Add(Run(() =>
            {
                EwsMailFolder parent = ResolveFolder(ews, user, parentId, write: true);
                if (string.IsNullOrWhiteSpace(display))
                {
                    throw new ItemError("ErrorInvalidRequest", "A folder needs a DisplayName.");
                }

                if (ews.Mailbox.Child(parent.Id, display) is not null)
                {
                    throw new ItemError("ErrorFolderExists", "A folder with the specified name already exists.");
                }

                EwsMailFolder created = ews.Mailbox.AddFolder(parent, display);
                return new EwsSoapWriter.ResponseMessage("Success", "NoError", Content: w =>
                {
                    w.WriteStartElement("t", "Folder", EwsNs.Types);
                    WriteFolderId(w, created);
                    w.WriteEndElement();
                });
            }));
        }

        return EwsSoapWriter.Response(ews.Config.ServerVersion, "CreateFolder", results, "Folders");
    }

    private static byte[] FindItem(EwsState ews, EwsUserConfig user, XElement op)
    {
        string traversal = RequiredAttribute(op, "Traversal");
        Enumeration(op, "Traversal", traversal, "ItemQueryTraversalType", "Shallow", "SoftDeleted", "Associated");
        CheckOrder(op, M, new[]
        {
            "ItemShape", "IndexedPageItemView", "FractionalPageItemView", "SeekToConditionPageItemView", "CalendarView", "ContactsView", "GroupBy",
            "DistinguishedGroupBy", "Restriction", "SortOrder", "ParentFolderIds", "QueryString",
        });
        XElement shape = Required(op, M + "ItemShape");
        string baseShape = BaseShape(shape);
        List<string> additional = Additional(shape);
        Func<EwsMailItem, bool> matches = op.Element(M + "Restriction") is XElement restriction
            ? Condition(Single(restriction))
            : _ => true;
        Comparison<EwsMailItem> order = Order(op.Element(M + "SortOrder"));
        XElement? view = op.Element(M + "IndexedPageItemView");
        var results = new List<EwsSoapWriter.ResponseMessage>();
        foreach (XElement parentId in Required(op, M + "ParentFolderIds").Elements())
        {
            results.Add(Run(() =>
            {
                EwsMailFolder folder = ResolveFolder(ews, user, parentId, write: false);
                List<EwsMailItem> all = traversal != "Shallow" ? new List<EwsMailItem>()
                    : ews.Mailbox.Items.Where(i => i.FolderId == folder.Id && matches(i)).ToList();
                all.Sort(order);
                (List<EwsMailItem> page, Action<XmlWriter> attributes) = Page(all, view);
                return new EwsSoapWriter.ResponseMessage("Success", "NoError", Content: w =>
                {
                    attributes(w);
                    w.WriteStartElement("t", "Items", EwsNs.Types);
                    foreach (EwsMailItem item in page)
                    {
                        // "FindItem operation": no recipient lists, no body, no MIME from FindItem.
                        WriteMessage(w, item, baseShape, additional, mime: false, recipients: false);
                    }

                    w.WriteEndElement();
                });
            }));
        }

        return EwsSoapWriter.Response(ews.Config.ServerVersion, "FindItem", results, "RootFolder");
    }

    private static XElement Single(XElement restriction)
    {
        List<XElement> children = restriction.Elements().ToList();
        if (children.Count != 1)
        {
            throw Invalid(restriction, "Restriction holds exactly one search expression.");
        }

        return children[0];
    }

    /// <summary>A search expression ("Restriction"): And, Or, Not, and the comparisons of a property with a constant.</summary>
    private static Func<EwsMailItem, bool> Condition(XElement e)
    {
        if (e.Name.Namespace != T)
        {
            throw Invalid(e, $"'{e.Name.LocalName}' is not a search expression of the types namespace.");
        }

        switch (e.Name.LocalName)
        {
            case "And":
            case "Or":
                List<Func<EwsMailItem, bool>> parts = e.Elements().Select(Condition).ToList();
                if (parts.Count < 1) throw Invalid(e, $"{e.Name.LocalName} needs at least one search expression.");
                return e.Name.LocalName == "And" ? i => parts.All(p => p(i)) : i => parts.Any(p => p(i));
            case "Not":
                Func<EwsMailItem, bool> inner = Condition(Single(e));
                return i => !inner(i);
            case "IsEqualTo" or "IsNotEqualTo" or "IsGreaterThan" or "IsGreaterThanOrEqualTo" or "IsLessThan" or "IsLessThanOrEqualTo":
                CheckOrder(e, T, new[] { "FieldURI", "IndexedFieldURI", "ExtendedFieldURI", "FieldURIOrConstant" });
                string field = RequiredAttribute(Required(e, T + "FieldURI"), "FieldURI");
                string value = RequiredAttribute(Required(Required(e, T + "FieldURIOrConstant"), T + "Constant"), "Value");
                Func<EwsMailItem, int> compare = Comparer(e, field, value);
                string op = e.Name.LocalName;
                return i =>
                {
                    int c = compare(i);
                    return op switch
                    {
                        "IsEqualTo" => c == 0,
                        "IsNotEqualTo" => c != 0,
                        "IsGreaterThan" => c > 0,
                        "IsGreaterThanOrEqualTo" => c >= 0,
                        "IsLessThan" => c < 0,
                        _ => c <= 0,
                    };
                };
            default:
                throw new ItemError("ErrorInvalidRequest", $"The stand-in does not implement the search expression '{e.Name.LocalName}'.");
        }
    }

    /// <summary>The item's property compared with the constant, the constant read as the property's type.</summary>
    private static Func<EwsMailItem, int> Comparer(XElement at, string field, string value)
    {
        switch (field)
        {
            case "item:DateTimeReceived":
                DateTimeOffset when;
                try
                {
                    when = XmlConvert.ToDateTimeOffset(value);
                }
                catch (FormatException)
                {
                    throw new ItemError("ErrorInvalidValueForProperty", $"'{value}' is not an xs:dateTime for item:DateTimeReceived.");
                }

                return i => i.DateTimeReceived.CompareTo(when);
            case "message:IsRead":
                bool flag = value switch
                {
                    "true" or "1" => true,
                    "false" or "0" => false,
                    _ => throw new ItemError("ErrorInvalidValueForProperty", $"'{value}' is not a boolean for message:IsRead."),
                };
                return i => i.IsRead.CompareTo(flag);
            case "item:Subject":
                return i => string.Compare(i.Subject ?? "", value, StringComparison.OrdinalIgnoreCase);
            case "item:ItemClass":
                return i => string.Compare(i.ItemClass, value, StringComparison.OrdinalIgnoreCase);
            default:
                throw new ItemError("ErrorInvalidRequest", $"The stand-in does not search on '{field}'.");
        }
    }

    /// <summary>SortOrder ("SortOrder", "FieldOrder": Order required); none: newest first.</summary>
    private static Comparison<EwsMailItem> Order(XElement? sortOrder)
    {
        Comparison<EwsMailItem> newestFirst = (a, b) => b.DateTimeReceived.CompareTo(a.DateTimeReceived);
        if (sortOrder is null) return newestFirst;
        List<XElement> orders = sortOrder.Elements().ToList();
        if (orders.Count == 0 || orders.Any(o => o.Name != T + "FieldOrder"))
        {
            throw Invalid(sortOrder, "SortOrder holds one or more t:FieldOrder elements.");
        }

        var comparisons = new List<Comparison<EwsMailItem>>();
        foreach (XElement o in orders)
        {
            string direction = RequiredAttribute(o, "Order");
            Enumeration(o, "Order", direction, "SortDirectionType", "Ascending", "Descending");
            string field = RequiredAttribute(Required(o, T + "FieldURI"), "FieldURI");
            Comparison<EwsMailItem> c = field switch
            {
                "item:DateTimeReceived" => (a, b) => a.DateTimeReceived.CompareTo(b.DateTimeReceived),
                "item:Subject" => (a, b) => string.Compare(a.Subject, b.Subject, StringComparison.OrdinalIgnoreCase),
                "item:Size" => (a, b) => a.Size.CompareTo(b.Size),
                _ => throw new ItemError("ErrorInvalidRequest", $"The stand-in does not sort on '{field}'."),
            };
            comparisons.Add(direction == "Ascending" ? c : (a, b) => c(b, a));
        }

        return (a, b) =>
        {
            foreach (Comparison<EwsMailItem> c in comparisons)
            {
                int r = c(a, b);
                if (r != 0) return r;
            }

            return 0;
        };
    }

    /// <summary>A t:Message (its elements in MessageType's order: "Message") with the properties the shape asks for.</summary>
    private static void WriteMessage(XmlWriter w, EwsMailItem item, string baseShape, List<string> additional, bool mime, bool recipients)
    {
        bool all = baseShape != "IdOnly";
        bool Has(string field) => (all && Listed.Contains(field)) || additional.Contains(field);
        w.WriteStartElement("t", "Message", EwsNs.Types);
        if (mime)
        {
            w.WriteStartElement("t", "MimeContent", EwsNs.Types);
            w.WriteAttributeString("CharacterSet", "UTF-8");
            w.WriteBase64(item.Mime, 0, item.Mime.Length);
            w.WriteEndElement();
        }

        WriteId(w, "ItemId", item.Id, item.ChangeKey);
        if (Has("item:ItemClass")) w.WriteElementString("t", "ItemClass", EwsNs.Types, item.ItemClass);
        if (Has("item:Subject") && item.Subject is not null) w.WriteElementString("t", "Subject", EwsNs.Types, item.Subject);
        if (Has("item:DateTimeReceived"))
        {
            w.WriteElementString("t", "DateTimeReceived", EwsNs.Types, item.DateTimeReceived.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        if (Has("item:Size")) w.WriteElementString("t", "Size", EwsNs.Types, item.Size.ToString(CultureInfo.InvariantCulture));
        if (Has("item:HasAttachments")) w.WriteElementString("t", "HasAttachments", EwsNs.Types, item.HasAttachments ? "true" : "false");
        if (recipients && Has("message:ToRecipients") && item.To.Count > 0) WriteMailboxes(w, "ToRecipients", item.To);
        if (recipients && Has("message:CcRecipients") && item.Cc.Count > 0) WriteMailboxes(w, "CcRecipients", item.Cc);
        if (Has("message:From") && item.From is not null) WriteMailboxes(w, "From", new[] { item.From });
        if (Has("message:InternetMessageId") && item.InternetMessageId is not null) w.WriteElementString("t", "InternetMessageId", EwsNs.Types, item.InternetMessageId);
        if (Has("message:IsRead")) w.WriteElementString("t", "IsRead", EwsNs.Types, item.IsRead ? "true" : "false");
        w.WriteEndElement();
    }

    private static void WriteMailboxes(XmlWriter w, string element, IEnumerable<EwsMailboxRef> mailboxes)
    {
        w.WriteStartElement("t", element, EwsNs.Types);
        foreach (EwsMailboxRef m in mailboxes)
        {
            w.WriteStartElement("t", "Mailbox", EwsNs.Types);
            if (m.Name is not null) w.WriteElementString("t", "Name", EwsNs.Types, m.Name);
            w.WriteElementString("t", "EmailAddress", EwsNs.Types, m.EmailAddress ?? "");
            w.WriteElementString("t", "RoutingType", EwsNs.Types, "SMTP");
            w.WriteEndElement();
        }

        w.WriteEndElement();
    }

    private static byte[] GetItem(EwsState ews, EwsUserConfig user, XElement op)
    {
        CheckOrder(op, M, new[] { "ItemShape", "ItemIds" });
        XElement shape = Required(op, M + "ItemShape");
        string baseShape = BaseShape(shape);
        List<string> additional = Additional(shape);
        bool mime = shape.Element(T + "IncludeMimeContent") is XElement include && Bool(include);
        List<EwsSoapWriter.ResponseMessage> results = EachItemId(Required(op, M + "ItemIds"), value =>
        {
            EwsMailItem item = FindItemById(ews, user, value, write: false);
            if (mime) item.MimeReads++;
            return new EwsSoapWriter.ResponseMessage("Success", "NoError", Content: w => WriteMessage(w, item, baseShape, additional, mime, recipients: true));
        });
        return EwsSoapWriter.Response(ews.Config.ServerVersion, "GetItem", results, "Items");
    }

    private static byte[] UpdateItem(EwsState ews, EwsUserConfig user, XElement op)
    {
        string resolution = RequiredAttribute(op, "ConflictResolution");
        Enumeration(op, "ConflictResolution", resolution, "ConflictResolutionType", "NeverOverwrite", "AutoResolve", "AlwaysOverwrite");
        string? disposition = (string?)op.Attribute("MessageDisposition");
        Enumeration(op, "MessageDisposition", disposition, "MessageDispositionType", "SaveOnly", "SendOnly", "SendAndSaveCopy");
        CheckOrder(op, M, new[] { "SavedItemFolderId", "ItemChanges" });
        var results = new List<EwsSoapWriter.ResponseMessage>();
        foreach (XElement change in Required(op, M + "ItemChanges").Elements())
        {
            if (change.Name != T + "ItemChange")
            {
                throw Invalid(change, "ItemChanges holds t:ItemChange elements.");
            }

            CheckOrder(change, T, new[] { "ItemId", "OccurrenceItemId", "RecurringMasterItemId", "Updates" });
            XElement id = Required(change, T + "ItemId");
            XElement updates = Required(change, T + "Updates");
            results.Add(Run(() =>
            {
                EwsMailItem item = FindItemById(ews, user, RequiredAttribute(id, "Id"), write: true);
                if (disposition is null)
                {
                    throw new ItemError("ErrorMessageDispositionRequired", "MessageDisposition attribute is required.");
                }

                CheckChangeKey(id, item.ChangeKey, resolution);

                bool? isRead = null;
                foreach (XElement update in updates.Elements())
                {
                    if (update.Name != T + "SetItemField")
                    {
                        throw new ItemError("ErrorInvalidRequest", "The stand-in updates messages with SetItemField only.");
                    }

                    string field = RequiredAttribute(Required(update, T + "FieldURI"), "FieldURI");
                    XElement? itemElement = update.Elements().Skip(1).FirstOrDefault();
                    if (itemElement is null || update.Elements().Count() != 2 || itemElement.Name.Namespace != T)
                    {
                        throw Invalid(update, "SetItemField holds the property path and one item element (t:Message, t:Item, ...).");
                    }

                    List<XElement> properties = itemElement.Elements().ToList();
                    if (field != "message:IsRead")
                    {
                        throw new ItemError("ErrorInvalidRequest", $"The stand-in updates message:IsRead only, not '{field}'.");
                    }

                    if (properties.Count != 1 || properties[0].Name != T + "IsRead")
                    {
                        throw new ItemError("ErrorIncorrectUpdatePropertyCount", "An object within a change description must contain one and only one property to modify.");
                    }

                    isRead = Bool(properties[0]);
                }

                if (isRead is bool value) item.IsRead = value;
                item.ChangeKey = EwsCalendarStore.NewChangeKey();
                item.ChangeKeys.Add(item.ChangeKey);
                return Changed(item);
            }));
        }

        return EwsSoapWriter.Response(ews.Config.ServerVersion, "UpdateItem", results, "Items");
    }

    /// <summary>One response message per t:ItemId of ItemIds, an item's error (ItemError) as its own message.</summary>
    private static List<EwsSoapWriter.ResponseMessage> EachItemId(XElement ids, Func<string, EwsSoapWriter.ResponseMessage> handle)
    {
        var results = new List<EwsSoapWriter.ResponseMessage>();
        foreach (XElement id in ids.Elements())
        {
            if (id.Name != T + "ItemId")
            {
                throw Invalid(id, "The stand-in reads t:ItemId in ItemIds.");
            }

            string value = RequiredAttribute(id, "Id");
            results.Add(Run(() => handle(value)));
        }

        return results;
    }

    /// <summary>The answer of UpdateItem and MoveItem: the message's (new) ItemId with its new ChangeKey.</summary>
    private static EwsSoapWriter.ResponseMessage Changed(EwsMailItem item) => new("Success", "NoError", Content: w =>
    {
        w.WriteStartElement("t", "Message", EwsNs.Types);
        WriteId(w, "ItemId", item.Id, item.ChangeKey);
        w.WriteEndElement();
    });

    private static byte[] MoveItem(EwsState ews, EwsUserConfig user, XElement op)
    {
        CheckOrder(op, M, new[] { "ToFolderId", "ItemIds", "ReturnNewItemIds" });
        XElement to = OneFolderId(Required(op, M + "ToFolderId"));
        List<EwsSoapWriter.ResponseMessage> results = EachItemId(Required(op, M + "ItemIds"), value =>
        {
            EwsMailItem item = FindItemById(ews, user, value, write: true);
            EwsMailFolder target = ResolveFolder(ews, user, to, write: true);
            if (target.Mailbox != item.Mailbox)
            {
                throw new ItemError("ErrorCrossMailboxMoveCopy", "Cannot move or copy an item between mailboxes.");
            }

            item.FolderId = target.Id;
            item.FolderPath = ews.Mailbox.PathOf(target);
            item.Id = EwsCalendarStore.NewId();
            item.ChangeKey = EwsCalendarStore.NewChangeKey();
            item.ChangeKeys.Add(item.ChangeKey);
            return Changed(item);
        });

        return EwsSoapWriter.Response(ews.Config.ServerVersion, "MoveItem", results, "Items");
    }
}
