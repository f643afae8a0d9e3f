using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml.Linq;
using G5Mail.Core.Mailbox;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>
    /// The EWS requests of Receive-G5Mail and Get-G5DeliveryReport with Method Exchange, built as XElements and written into
    /// the envelope of <see cref="EwsRequest"/> as the calendar's are (<see cref="EwsCalendarRequests.Build"/>). The order of
    /// each operation's children is the schema's, from the operation's page under
    /// learn.microsoft.com/exchange/client-developer/web-service-reference/.
    /// </summary>
    public static class EwsMailboxRequests
    {
        private static readonly XNamespace T = EwsNames.Types;
        private static readonly XNamespace M = EwsNames.Messages;

        /// <summary>Items per FindItem page; EWS's default throttling policy returns at most 1,000 per call (EWSFindCountLimit).</summary>
        public const int PageSize = 100;

        /// <summary>Child folders per FindFolder page.</summary>
        public const int FolderPageSize = 200;

        /// <summary>
        /// The properties FindItem returns for the listing ("FindItem operation": no recipient lists, no body; those come
        /// from <see cref="GetRecipients"/>): the item's class tells a delivery report (REPORT.IPM.Note.NDR...) without
        /// reading its MIME.
        /// </summary>
        internal static readonly string[] ListProperties =
        {
            "item:ItemClass", "item:Subject", "item:DateTimeReceived", "item:Size", "item:HasAttachments", "message:From",
            "message:InternetMessageId", "message:IsRead",
        };

        /// <summary>
        /// GetFolder ("GetFolder operation"): FolderShape (BaseShape IdOnly, AdditionalProperties folder:DisplayName), FolderIds
        /// with the distinguished folder, of <paramref name="mailbox"/> when it is not the signed-in user's ("DistinguishedFolderId").
        /// </summary>
        public static EwsRequest GetFolder(string distinguished, string? mailbox)
        {
            var body = new XElement(M + "GetFolder",
                FolderShape(),
                new XElement(M + "FolderIds", EwsCalendarRequests.Folder(distinguished, mailbox)));
            return EwsCalendarRequests.Build("GetFolder", body);
        }

        /// <summary>
        /// FindFolder ("FindFolder operation"): Traversal Shallow (the children only), FolderShape, IndexedPageFolderView
        /// (MaxEntriesReturned, Offset, BasePoint Beginning: "IndexedPageFolderView"), ParentFolderIds with the parent's FolderId.
        /// </summary>
        public static EwsRequest FindFolder(string parentId, int offset)
        {
            var body = new XElement(M + "FindFolder",
                new XAttribute("Traversal", "Shallow"),
                FolderShape(),
                new XElement(M + "IndexedPageFolderView",
                    new XAttribute("MaxEntriesReturned", FolderPageSize.ToString(CultureInfo.InvariantCulture)),
                    new XAttribute("Offset", offset.ToString(CultureInfo.InvariantCulture)),
                    new XAttribute("BasePoint", "Beginning")),
                new XElement(M + "ParentFolderIds", new XElement(T + "FolderId", new XAttribute("Id", parentId))));
            return EwsCalendarRequests.Build("FindFolder", body);
        }

        /// <summary>CreateFolder ("CreateFolder operation"): ParentFolderId, then Folders with one t:Folder and its DisplayName.</summary>
        public static EwsRequest CreateFolder(string parentId, string name)
        {
            var body = new XElement(M + "CreateFolder",
                new XElement(M + "ParentFolderId", new XElement(T + "FolderId", new XAttribute("Id", parentId))),
                new XElement(M + "Folders", new XElement(T + "Folder", new XElement(T + "DisplayName", Text(name)))));
            return EwsCalendarRequests.Build("CreateFolder", body);
        }

        /// <summary>
        /// FindItem ("FindItem operation") in the order its schema gives: ItemShape, IndexedPageItemView ("IndexedPageItemView":
        /// MaxEntriesReturned, Offset, BasePoint required), Restriction, SortOrder (DateTimeReceived ascending: oldest first,
        /// "SortOrder", "FieldOrder"), ParentFolderIds.
        /// </summary>
        public static EwsRequest FindItem(string folderId, MailQuery query, int offset, int pageSize)
        {
            var conditions = new List<XElement>();
            if (query.Since.HasValue)
            {
                // "IsGreaterThanOrEqualTo": a property path, then FieldURIOrConstant.
                conditions.Add(new XElement(T + "IsGreaterThanOrEqualTo", Field("item:DateTimeReceived"),
                    new XElement(T + "FieldURIOrConstant", new XElement(T + "Constant", new XAttribute("Value", EwsCalendarRequests.UtcTime(query.Since.Value))))));
            }

            if (query.UnreadOnly)
            {
                conditions.Add(new XElement(T + "IsEqualTo", Field("message:IsRead"),
                    new XElement(T + "FieldURIOrConstant", new XElement(T + "Constant", new XAttribute("Value", "false")))));
            }

            XElement? restriction = conditions.Count == 0 ? null
                : new XElement(M + "Restriction", conditions.Count == 1 ? conditions[0] : new XElement(T + "And", conditions));
            var body = new XElement(M + "FindItem",
                new XAttribute("Traversal", "Shallow"),
                new XElement(M + "ItemShape", new XElement(T + "BaseShape", "IdOnly"),
                    new XElement(T + "AdditionalProperties", ListProperties.Select(Field))),
                new XElement(M + "IndexedPageItemView",
                    new XAttribute("MaxEntriesReturned", pageSize.ToString(CultureInfo.InvariantCulture)),
                    new XAttribute("Offset", offset.ToString(CultureInfo.InvariantCulture)),
                    new XAttribute("BasePoint", "Beginning")),
                restriction,
                new XElement(M + "SortOrder", new XElement(T + "FieldOrder", new XAttribute("Order", "Ascending"), Field("item:DateTimeReceived"))),
                new XElement(M + "ParentFolderIds", new XElement(T + "FolderId", new XAttribute("Id", folderId))));
            return EwsCalendarRequests.Build("FindItem", body);
        }

        /// <summary>
        /// One GetItem for a whole page ("GetItem operation (email message)": ItemIds holds many ItemId): the recipient lists
        /// FindItem does not return, and From with its address.
        /// </summary>
        public static EwsRequest GetRecipients(IEnumerable<string> itemIds)
        {
            var body = new XElement(M + "GetItem",
                new XElement(M + "ItemShape", new XElement(T + "BaseShape", "IdOnly"),
                    new XElement(T + "AdditionalProperties", Field("message:From"), Field("message:ToRecipients"), Field("message:CcRecipients"))),
                new XElement(M + "ItemIds", itemIds.Select(id => new XElement(T + "ItemId", new XAttribute("Id", id)))));
            return EwsCalendarRequests.Build("GetItem", body);
        }

        /// <summary>GetItem with IncludeMimeContent ("IncludeMimeContent", "MimeContent": the whole message, base64).</summary>
        public static EwsRequest GetMime(string itemId)
        {
            var body = new XElement(M + "GetItem",
                new XElement(M + "ItemShape", new XElement(T + "BaseShape", "IdOnly"), new XElement(T + "IncludeMimeContent", "true")),
                new XElement(M + "ItemIds", new XElement(T + "ItemId", new XAttribute("Id", itemId))));
            return EwsCalendarRequests.Build("GetItem", body);
        }

        /// <summary>
        /// UpdateItem ("UpdateItem operation"): ConflictResolution AutoResolve with the ChangeKey the listing gave,
        /// MessageDisposition SaveOnly (required for messages), one SetItemField of message:IsRead ("SetItemField").
        /// </summary>
        public static EwsRequest MarkRead(string itemId, string? changeKey)
        {
            var id = new XElement(T + "ItemId", new XAttribute("Id", itemId));
            if (changeKey != null)
            {
                id.Add(new XAttribute("ChangeKey", changeKey));
            }

            var body = new XElement(M + "UpdateItem",
                new XAttribute("MessageDisposition", "SaveOnly"),
                new XAttribute("ConflictResolution", "AutoResolve"),
                new XElement(M + "ItemChanges", new XElement(T + "ItemChange", id,
                    new XElement(T + "Updates", new XElement(T + "SetItemField", Field("message:IsRead"),
                        new XElement(T + "Message", new XElement(T + "IsRead", "true")))))));
            return EwsCalendarRequests.Build("UpdateItem", body);
        }

        /// <summary>MoveItem ("MoveItem operation"): ToFolderId, then ItemIds.</summary>
        public static EwsRequest MoveItem(string itemId, string folderId)
        {
            var body = new XElement(M + "MoveItem",
                new XElement(M + "ToFolderId", new XElement(T + "FolderId", new XAttribute("Id", folderId))),
                new XElement(M + "ItemIds", new XElement(T + "ItemId", new XAttribute("Id", itemId))));
            return EwsCalendarRequests.Build("MoveItem", body);
        }

        private static XElement FolderShape() =>
            new XElement(M + "FolderShape", new XElement(T + "BaseShape", "IdOnly"),
                new XElement(T + "AdditionalProperties", Field("folder:DisplayName")));

        private static XElement Field(string uri) => new XElement(T + "FieldURI", new XAttribute("FieldURI", uri));

        private static string Text(string text) => EwsRequestWriter.XmlText(text);
    }
}
