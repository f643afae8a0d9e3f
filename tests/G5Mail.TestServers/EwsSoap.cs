using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;

namespace G5Mail.TestServers;

/// <summary>The XML namespaces of EWS (learn.microsoft.com, "EWS XML elements in Exchange": Messages.xsd and Types.xsd).</summary>
public static class EwsNs
{
    public const string Soap = "http://schemas.xmlsoap.org/soap/envelope/";
    public const string Types = "http://schemas.microsoft.com/exchange/services/2006/types";
    public const string Messages = "http://schemas.microsoft.com/exchange/services/2006/messages";
    public const string Errors = "http://schemas.microsoft.com/exchange/services/2006/errors";
}

/// <summary>A request EWS's schema validation rejects: answered with an ErrorSchemaValidation SOAP fault (HTTP 500).</summary>
public sealed class EwsSchemaException : Exception
{
    public EwsSchemaException(string message, int line, int position) : base(message)
    {
        Line = line;
        Position = position;
    }

    public int Line { get; }
    public int Position { get; }
}

/// <summary>The request body grew over the configured EWS request limit while it was read.</summary>
public sealed class EwsRequestTooLargeException : Exception
{
    public EwsRequestTooLargeException(long limit) : base($"The request is larger than {limit} bytes.")
    {
    }
}

/// <summary>A folder id; <see cref="Mailbox"/> is the t:Mailbox/t:EmailAddress of a DistinguishedFolderId that names another mailbox.</summary>
public sealed record EwsFolderRef(bool Distinguished, string Id, string? Mailbox = null);

public sealed record EwsMailboxRef(string? Name, string? EmailAddress);

public sealed class EwsAttachmentPart
{
    public string? Name { get; set; }
    public string? ContentType { get; set; }
    public string? ContentId { get; set; }
    public bool IsInline { get; set; }
    public string? FilePath { get; set; }
    public long Size { get; set; }
}

/// <summary>One t:Message of a CreateItem request, as far as the stand-in understands it.</summary>
public sealed class EwsMessagePart
{
    public string? ItemClass { get; set; }
    public string? Subject { get; set; }
    public string? BodyType { get; set; }
    public string Body { get; set; } = "";
    public string? Importance { get; set; }
    public string? InternetMessageId { get; set; }
    public List<EwsAttachmentPart> Attachments { get; } = new();
    public List<EwsMailboxRef> To { get; } = new();
    public List<EwsMailboxRef> Cc { get; } = new();
    public List<EwsMailboxRef> Bcc { get; } = new();
    public List<EwsMailboxRef> ReplyTo { get; } = new();
    public EwsMailboxRef? From { get; set; }
    public EwsMailboxRef? Sender { get; set; }
}

public abstract class EwsOperation
{
    public abstract string Name { get; }
}

public sealed class EwsCreateItem : EwsOperation
{
    public override string Name => "CreateItem";
    public string? MessageDisposition { get; set; }
    public EwsFolderRef? SavedItemFolderId { get; set; }
    public List<EwsMessagePart> Messages { get; } = new();

    /// <summary>CalendarItemCreateOrDeleteOperationType ("CreateItem": required for calendar items).</summary>
    public string? SendMeetingInvitations { get; set; }

    /// <summary>t:CalendarItem and t:CancelCalendarItem items, kept as XML for <see cref="EwsCalendarEndpoints"/>.</summary>
    public List<XElement> CalendarItems { get; } = new();
}

/// <summary>A calendar operation (FindItem, GetItem, UpdateItem, DeleteItem) kept as XML (with line info) for <see cref="EwsCalendarEndpoints"/>.</summary>
public sealed class EwsXmlOperation : EwsOperation
{
    public EwsXmlOperation(XElement element) => Element = element;

    public XElement Element { get; }
    public override string Name => Element.Name.LocalName;
}

public sealed class EwsGetFolder : EwsOperation
{
    public override string Name => "GetFolder";
    public string BaseShape { get; set; } = "";
    public List<EwsFolderRef> Folders { get; } = new();

    /// <summary>The FieldURI values of FolderShape/AdditionalProperties (folder:DisplayName...).</summary>
    public List<string> AdditionalProperties { get; } = new();
}

public sealed class EwsRequestModel
{
    /// <summary>RequestServerVersion/@Version; null when the header is absent (EWS then assumes Exchange2007).</summary>
    public string? RequestServerVersion { get; set; }

    public EwsOperation Operation { get; set; } = null!;
}

/// <summary>
/// Reads an EWS SOAP request strictly, streaming (attachments go to temp files as their base64 is decoded): the SOAP 1.1
/// envelope, the messages and types namespaces, the element order of the schema, required attributes and their values,
/// and valid base64. What it rejects is answered as Exchange answers schema violations (ErrorSchemaValidation).
/// Element orders come from learn.microsoft.com: "Message" (MessageType: the ItemType elements, then Sender,
/// ToRecipients, CcRecipients, BccRecipients, …, From, …), "FileAttachment" (AttachmentId, Name, ContentType, ContentId,
/// ContentLocation, Size, LastModifiedTime, IsInline, IsContactPhoto, Content), "Mailbox" (Name, EmailAddress,
/// RoutingType, MailboxType, ItemId), "CreateItem" (SavedItemFolderId, Items), "GetFolder" (FolderShape, FolderIds).
/// </summary>
public sealed class EwsSoapReader
{
    /// <summary>ExchangeVersionType of types.xsd (learn.microsoft.com, "RequestServerVersion").</summary>
    public static readonly string[] Versions =
    {
        "Exchange2007", "Exchange2007_SP1", "Exchange2010", "Exchange2010_SP1", "Exchange2010_SP2", "Exchange2013", "Exchange2013_SP1",
        "Exchange2015", "Exchange2016", "V2015_10_05", "V2016_01_06", "V2016_04_13", "V2016_07_13", "V2016_10_10", "V2017_01_07",
        "V2017_04_14", "V2017_07_11", "V2017_10_09", "V2018_01_08",
    };

    /// <summary>DistinguishedFolderIdNameType values (learn.microsoft.com, "DistinguishedFolderId"), the common ones.</summary>
    public static readonly string[] DistinguishedFolders =
    {
        "calendar", "contacts", "deleteditems", "drafts", "inbox", "journal", "notes", "outbox", "sentitems", "tasks", "msgfolderroot",
        "publicfoldersroot", "root", "junkemail", "searchfolders", "voicemail", "recoverableitemsroot", "recoverableitemsdeletions",
        "archiveroot", "archivemsgfolderroot", "archivedeleteditems", "archiveinbox", "conversationhistory", "todosearch",
    };

    /// <summary>
    /// The children of t:Message a client may set on create, in schema order (learn.microsoft.com, "Message"): ItemType's
    /// writable elements through Culture, then MessageType's own. ExtendedProperty may repeat.
    /// </summary>
    private static readonly string[] MessageOrder =
    {
        "MimeContent", "ItemClass", "Subject", "Sensitivity", "Body", "Attachments", "Categories", "Importance", "InReplyTo",
        "InternetMessageHeaders", "ReminderDueBy", "ReminderIsSet", "ReminderMinutesBeforeStart", "ExtendedProperty", "Culture",
        "Sender", "ToRecipients", "CcRecipients", "BccRecipients", "IsReadReceiptRequested", "IsDeliveryReceiptRequested",
        "ConversationIndex", "ConversationTopic", "From", "InternetMessageId", "IsRead", "IsResponseRequested", "References", "ReplyTo",
    };

    private static readonly string[] FileAttachmentOrder =
    {
        "AttachmentId", "Name", "ContentType", "ContentId", "ContentLocation", "Size", "LastModifiedTime", "IsInline", "IsContactPhoto", "Content",
    };

    private static readonly string[] MailboxOrder = { "Name", "EmailAddress", "RoutingType", "MailboxType", "ItemId", "OriginalDisplayName" };

    private readonly XmlReader _r;
    private readonly string _tempFolder;
    private readonly List<string> _tempFiles = new();

    private EwsSoapReader(XmlReader reader, string tempFolder)
    {
        _r = reader;
        _tempFolder = tempFolder;
    }

    /// <summary>Temp files holding attachment content; the caller deletes them after answering.</summary>
    public IReadOnlyList<string> TempFiles => _tempFiles;

    public static async Task<(EwsRequestModel Model, IReadOnlyList<string> TempFiles)> ReadAsync(Stream body, string tempFolder)
    {
        var settings = new XmlReaderSettings
        {
            Async = true,
            IgnoreWhitespace = true,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
        };
        using XmlReader reader = XmlReader.Create(body, settings);
        var soap = new EwsSoapReader(reader, tempFolder);
        try
        {
            EwsRequestModel model = await soap.ReadEnvelopeAsync();
            return (model, soap.TempFiles);
        }
        catch (XmlException ex)
        {
            soap.DeleteTempFiles();
            throw new EwsSchemaException("The request is not well-formed XML or has invalid content: " + ex.Message, ex.LineNumber, ex.LinePosition);
        }
        catch
        {
            soap.DeleteTempFiles();
            throw;
        }
    }

    public void DeleteTempFiles() => Delete(_tempFiles);

    /// <summary>The current element as XML with line info (calendar operations are small), the reader moved past its end.</summary>
    private async Task<XElement> LoadElementAsync()
    {
        XElement element;
        using (XmlReader subtree = _r.ReadSubtree())
        {
            element = await XElement.LoadAsync(subtree, LoadOptions.SetLineInfo, default);
        }

        await _r.ReadAsync();
        return element;
    }

    public static void Delete(IEnumerable<string> files)
    {
        foreach (string f in files)
        {
            try
            {
                File.Delete(f);
            }
            catch (IOException)
            {
            }
        }
    }

    private int Line => (_r as IXmlLineInfo)?.LineNumber ?? 0;
    private int Position => (_r as IXmlLineInfo)?.LinePosition ?? 0;

    private EwsSchemaException Invalid(string message) => new(message, Line, Position);

    private EwsSchemaException Unexpected(string parent, string parentNs, IEnumerable<string>? expected = null) =>
        Invalid($"The element '{parent}' in namespace '{parentNs}' has invalid child element '{_r.LocalName}' in namespace '{_r.NamespaceURI}'." +
                (expected is null ? "" : " List of possible elements expected: '" + string.Join(", ", expected) + "'."));

    private async Task<EwsRequestModel> ReadEnvelopeAsync()
    {
        await _r.MoveToContentAsync();
        if (_r.NodeType != XmlNodeType.Element || _r.LocalName != "Envelope" || _r.NamespaceURI != EwsNs.Soap)
        {
            throw Invalid($"The root element must be Envelope in namespace '{EwsNs.Soap}' (SOAP 1.1), not '{_r.LocalName}' in '{_r.NamespaceURI}'.");
        }

        var model = new EwsRequestModel();
        bool sawHeader = false, sawBody = false;
        await ChildrenAsync("Envelope", EwsNs.Soap, async () =>
        {
            if (_r.NamespaceURI == EwsNs.Soap && _r.LocalName == "Header" && !sawHeader && !sawBody)
            {
                sawHeader = true;
                await ReadHeaderAsync(model);
            }
            else if (_r.NamespaceURI == EwsNs.Soap && _r.LocalName == "Body" && !sawBody)
            {
                sawBody = true;
                await ReadBodyAsync(model);
            }
            else
            {
                throw Unexpected("Envelope", EwsNs.Soap, new[] { "Header", "Body" });
            }
        });
        if (!sawBody)
        {
            throw Invalid("The SOAP envelope has no Body.");
        }

        return model;
    }

    private async Task ReadHeaderAsync(EwsRequestModel model)
    {
        await ChildrenAsync("Header", EwsNs.Soap, async () =>
        {
            if (_r.NamespaceURI == EwsNs.Types && _r.LocalName == "RequestServerVersion")
            {
                string? version = _r.GetAttribute("Version");
                if (version is null)
                {
                    throw Invalid("The required attribute 'Version' of RequestServerVersion is missing.");
                }

                if (!Versions.Contains(version, StringComparer.Ordinal))
                {
                    throw Invalid($"The 'Version' attribute is invalid - The value '{version}' is invalid according to its datatype " +
                                  $"'{EwsNs.Types}:ExchangeVersionType' - The Enumeration constraint failed.");
                }

                model.RequestServerVersion = version;
                await _r.SkipAsync();
            }
            else
            {
                // Other EWS headers (MailboxCulture, TimeZoneContext, ExchangeImpersonation, ...) do not change what the stand-in does.
                await _r.SkipAsync();
            }
        });
    }

    private async Task ReadBodyAsync(EwsRequestModel model)
    {
        bool seen = false;
        await ChildrenAsync("Body", EwsNs.Soap, async () =>
        {
            if (seen || _r.NamespaceURI != EwsNs.Messages)
            {
                throw Unexpected("Body", EwsNs.Soap);
            }

            seen = true;
            switch (_r.LocalName)
            {
                case "CreateItem":
                    model.Operation = await ReadCreateItemAsync();
                    break;
                case "GetFolder":
                    model.Operation = await ReadGetFolderAsync();
                    break;
                case "FindItem" or "GetItem" or "UpdateItem" or "DeleteItem" or "FindFolder" or "CreateFolder" or "MoveItem":
                    model.Operation = new EwsXmlOperation(await LoadElementAsync());
                    break;
                default:
                    throw Invalid($"The stand-in does not implement the EWS operation '{_r.LocalName}' (only CreateItem, GetFolder, FindFolder, CreateFolder, FindItem, GetItem, UpdateItem, MoveItem and DeleteItem).");
            }
        });
        if (!seen)
        {
            throw Invalid("The SOAP Body holds no EWS operation.");
        }
    }

    /// <summary>learn.microsoft.com, "CreateItem": attributes MessageDisposition and SendMeetingInvitations; SavedItemFolderId?, Items.</summary>
    private async Task<EwsCreateItem> ReadCreateItemAsync()
    {
        var op = new EwsCreateItem { MessageDisposition = _r.GetAttribute("MessageDisposition"), SendMeetingInvitations = _r.GetAttribute("SendMeetingInvitations") };
        if (op.SendMeetingInvitations is not null and not ("SendToNone" or "SendOnlyToAll" or "SendToAllAndSaveCopy"))
        {
            throw Invalid($"The 'SendMeetingInvitations' attribute is invalid - The value '{op.SendMeetingInvitations}' is invalid according to its datatype " +
                          $"'{EwsNs.Types}:CalendarItemCreateOrDeleteOperationType' - The Enumeration constraint failed.");
        }

        if (op.MessageDisposition is not null && op.MessageDisposition is not ("SaveOnly" or "SendOnly" or "SendAndSaveCopy"))
        {
            throw Invalid($"The 'MessageDisposition' attribute is invalid - The value '{op.MessageDisposition}' is invalid according to its datatype " +
                          $"'{EwsNs.Types}:MessageDispositionType' - The Enumeration constraint failed.");
        }

        var order = new Sequence(this, "CreateItem", EwsNs.Messages, new[] { "SavedItemFolderId", "Items" });
        bool items = false;
        await ChildrenAsync("CreateItem", EwsNs.Messages, async () =>
        {
            order.Next(EwsNs.Messages);
            if (_r.LocalName == "SavedItemFolderId")
            {
                op.SavedItemFolderId = await ReadTargetFolderAsync("SavedItemFolderId");
            }
            else
            {
                items = true;
                await ReadItemsAsync(op);
            }
        });
        if (!items)
        {
            throw Invalid($"The element 'CreateItem' in namespace '{EwsNs.Messages}' has incomplete content. List of possible elements expected: 'Items'.");
        }

        return op;
    }

    private async Task<EwsFolderRef> ReadTargetFolderAsync(string parent)
    {
        EwsFolderRef? folder = null;
        await ChildrenAsync(parent, EwsNs.Messages, async () =>
        {
            if (folder is not null || _r.NamespaceURI != EwsNs.Types || _r.LocalName is not ("FolderId" or "DistinguishedFolderId"))
            {
                throw Unexpected(parent, EwsNs.Messages, new[] { "FolderId", "DistinguishedFolderId" });
            }

            folder = await ReadFolderIdAsync();
        });
        return folder ?? throw Invalid($"The element '{parent}' has incomplete content. List of possible elements expected: 'FolderId, DistinguishedFolderId'.");
    }

    private async Task<EwsFolderRef> ReadFolderIdAsync()
    {
        bool distinguished = _r.LocalName == "DistinguishedFolderId";
        string? id = _r.GetAttribute("Id");
        if (string.IsNullOrEmpty(id))
        {
            throw Invalid($"The required attribute 'Id' of {_r.LocalName} is missing.");
        }

        if (distinguished && !DistinguishedFolders.Contains(id, StringComparer.Ordinal))
        {
            throw Invalid($"The 'Id' attribute is invalid - The value '{id}' is invalid according to its datatype " +
                          $"'{EwsNs.Types}:DistinguishedFolderIdNameType' - The Enumeration constraint failed.");
        }

        // DistinguishedFolderId may name another mailbox with a t:Mailbox child (learn.microsoft.com, "DistinguishedFolderId").
        string? mailbox = null;
        if (distinguished)
        {
            await ChildrenAsync("DistinguishedFolderId", EwsNs.Types, async () =>
            {
                if (mailbox is not null || _r.NamespaceURI != EwsNs.Types || _r.LocalName != "Mailbox")
                {
                    throw Unexpected("DistinguishedFolderId", EwsNs.Types, new[] { "Mailbox" });
                }

                mailbox = (await ReadMailboxAsync()).EmailAddress;
            });
        }
        else
        {
            await _r.SkipAsync();
        }

        return new EwsFolderRef(distinguished, id, mailbox);
    }

    private async Task ReadItemsAsync(EwsCreateItem op)
    {
        await ChildrenAsync("Items", EwsNs.Messages, async () =>
        {
            if (_r.NamespaceURI == EwsNs.Types && _r.LocalName is "CalendarItem" or "CancelCalendarItem")
            {
                op.CalendarItems.Add(await LoadElementAsync());
                return;
            }

            if (_r.NamespaceURI != EwsNs.Types || _r.LocalName != "Message")
            {
                throw Invalid($"The stand-in creates only t:Message items, not '{_r.LocalName}' in '{_r.NamespaceURI}'.");
            }

            op.Messages.Add(await ReadMessageAsync());
        });
        if (op.Messages.Count == 0 && op.CalendarItems.Count == 0)
        {
            throw Invalid($"The element 'Items' in namespace '{EwsNs.Messages}' has incomplete content: NonEmptyArrayOfAllItemsType needs at least one item.");
        }
    }

    private async Task<EwsMessagePart> ReadMessageAsync()
    {
        var message = new EwsMessagePart();
        var order = new Sequence(this, "Message", EwsNs.Types, MessageOrder, repeatable: "ExtendedProperty");
        await ChildrenAsync("Message", EwsNs.Types, async () =>
        {
            order.Next(EwsNs.Types);
            switch (_r.LocalName)
            {
                case "ItemClass":
                    message.ItemClass = await _r.ReadElementContentAsStringAsync();
                    break;
                case "Subject":
                    message.Subject = await _r.ReadElementContentAsStringAsync();
                    break;
                case "Body":
                    // learn.microsoft.com, "Body" and "BodyType": the attribute is required, HTML or Text.
                    message.BodyType = _r.GetAttribute("BodyType");
                    if (message.BodyType is not ("HTML" or "Text"))
                    {
                        throw Invalid(message.BodyType is null
                            ? "The required attribute 'BodyType' of Body is missing."
                            : $"The 'BodyType' attribute is invalid - The value '{message.BodyType}' is invalid according to its datatype '{EwsNs.Types}:BodyTypeType' - The Enumeration constraint failed.");
                    }

                    message.Body = await _r.ReadElementContentAsStringAsync();
                    break;
                case "Attachments":
                    await ReadAttachmentsAsync(message);
                    break;
                case "Importance":
                    message.Importance = await _r.ReadElementContentAsStringAsync();
                    if (message.Importance is not ("Low" or "Normal" or "High"))
                    {
                        throw Invalid($"The element 'Importance' has invalid value '{message.Importance}' (Low, Normal or High).");
                    }

                    break;
                case "ExtendedProperty":
                    await ReadExtendedPropertyAsync(message);
                    break;
                case "ToRecipients":
                    await ReadRecipientsAsync("ToRecipients", message.To);
                    break;
                case "CcRecipients":
                    await ReadRecipientsAsync("CcRecipients", message.Cc);
                    break;
                case "BccRecipients":
                    await ReadRecipientsAsync("BccRecipients", message.Bcc);
                    break;
                case "ReplyTo":
                    await ReadRecipientsAsync("ReplyTo", message.ReplyTo);
                    break;
                case "From":
                    message.From = await ReadSingleMailboxAsync("From");
                    break;
                case "Sender":
                    message.Sender = await ReadSingleMailboxAsync("Sender");
                    break;
                case "IsRead":
                case "IsReadReceiptRequested":
                case "IsDeliveryReceiptRequested":
                case "IsResponseRequested":
                case "ReminderIsSet":
                    string flag = await _r.ReadElementContentAsStringAsync();
                    if (flag is not ("true" or "false" or "1" or "0"))
                    {
                        throw Invalid($"The element '{order.Current}' has invalid value '{flag}' according to its datatype 'http://www.w3.org/2001/XMLSchema:boolean'.");
                    }

                    break;
                default:
                    // Valid in this position; its content does not change what the stand-in delivers.
                    await _r.SkipAsync();
                    break;
            }
        });
        return message;
    }

    private async Task ReadAttachmentsAsync(EwsMessagePart message)
    {
        await ChildrenAsync("Attachments", EwsNs.Types, async () =>
        {
            if (_r.NamespaceURI != EwsNs.Types || _r.LocalName is not ("FileAttachment" or "ItemAttachment" or "ReferenceAttachment"))
            {
                throw Unexpected("Attachments", EwsNs.Types, new[] { "ItemAttachment", "FileAttachment", "ReferenceAttachment" });
            }

            if (_r.LocalName != "FileAttachment")
            {
                throw Invalid($"The stand-in accepts FileAttachment only, not {_r.LocalName}.");
            }

            message.Attachments.Add(await ReadFileAttachmentAsync());
        });
    }

    /// <summary>learn.microsoft.com, "FileAttachment": AttachmentType's elements first, Content (base64Binary) last.</summary>
    private async Task<EwsAttachmentPart> ReadFileAttachmentAsync()
    {
        var part = new EwsAttachmentPart();
        var order = new Sequence(this, "FileAttachment", EwsNs.Types, FileAttachmentOrder);
        await ChildrenAsync("FileAttachment", EwsNs.Types, async () =>
        {
            order.Next(EwsNs.Types);
            switch (_r.LocalName)
            {
                case "Name":
                    part.Name = await _r.ReadElementContentAsStringAsync();
                    break;
                case "ContentType":
                    part.ContentType = await _r.ReadElementContentAsStringAsync();
                    break;
                case "ContentId":
                    part.ContentId = await _r.ReadElementContentAsStringAsync();
                    break;
                case "IsInline":
                    part.IsInline = (await _r.ReadElementContentAsStringAsync()) is "true" or "1";
                    break;
                case "Content":
                    await ReadContentAsync(part);
                    break;
                default:
                    await _r.SkipAsync();
                    break;
            }
        });
        return part;
    }

    /// <summary>Decodes the base64 as it arrives into a temp file: invalid base64 fails the XmlReader, as schema validation would.</summary>
    private async Task ReadContentAsync(EwsAttachmentPart part)
    {
        string path = Path.Combine(_tempFolder, "ews-" + Guid.NewGuid().ToString("N") + ".bin");
        _tempFiles.Add(path);
        var buffer = new byte[64 * 1024];
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1, FileOptions.Asynchronous);
        if (_r.IsEmptyElement)
        {
            await _r.ReadAsync();
        }
        else
        {
            int read;
            while ((read = await _r.ReadElementContentAsBase64Async(buffer, 0, buffer.Length)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, read));
                part.Size += read;
            }
        }

        part.FilePath = path;
    }

    /// <summary>learn.microsoft.com, "ExtendedProperty": ExtendedFieldURI (PropertyType required), then Value or Values.</summary>
    private async Task ReadExtendedPropertyAsync(EwsMessagePart message)
    {
        string? tag = null;
        string? value = null;
        var order = new Sequence(this, "ExtendedProperty", EwsNs.Types, new[] { "ExtendedFieldURI", "Value", "Values" });
        bool uri = false;
        await ChildrenAsync("ExtendedProperty", EwsNs.Types, async () =>
        {
            order.Next(EwsNs.Types);
            if (_r.LocalName == "ExtendedFieldURI")
            {
                uri = true;
                if (_r.GetAttribute("PropertyType") is null)
                {
                    throw Invalid("The required attribute 'PropertyType' of ExtendedFieldURI is missing.");
                }

                tag = _r.GetAttribute("PropertyTag");
                if (tag is null && _r.GetAttribute("PropertyName") is null && _r.GetAttribute("PropertyId") is null)
                {
                    throw Invalid("ExtendedFieldURI names no property: give PropertyTag, or a property set with PropertyName or PropertyId.");
                }

                await _r.SkipAsync();
            }
            else if (_r.LocalName == "Value")
            {
                value = await _r.ReadElementContentAsStringAsync();
            }
            else
            {
                await _r.SkipAsync();
            }
        });
        if (!uri)
        {
            throw Invalid("The element 'ExtendedProperty' has incomplete content. List of possible elements expected: 'ExtendedFieldURI'.");
        }

        // PidTagInternetMessageId (MS-OXPROPS 2.749); MS-OXCMAIL 2.1.3.2.11: MIME writers SHOULD copy it to Message-ID.
        if (tag is not null && value is not null && PropertyTag(tag) == 0x1035)
        {
            message.InternetMessageId = value;
        }
    }

    /// <summary>PropertyTag is a hexadecimal "0x1035" or a decimal number.</summary>
    private int PropertyTag(string tag)
    {
        bool hex = tag.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (int.TryParse(hex ? tag[2..] : tag, hex ? System.Globalization.NumberStyles.HexNumber : System.Globalization.NumberStyles.Integer,
                System.Globalization.CultureInfo.InvariantCulture, out int value))
        {
            return value;
        }

        throw Invalid($"The 'PropertyTag' attribute '{tag}' is not a property tag (0x1035 or 4149).");
    }

    private async Task ReadRecipientsAsync(string element, List<EwsMailboxRef> into)
    {
        await ChildrenAsync(element, EwsNs.Types, async () =>
        {
            if (_r.NamespaceURI != EwsNs.Types || _r.LocalName != "Mailbox")
            {
                throw Unexpected(element, EwsNs.Types, new[] { "Mailbox" });
            }

            into.Add(await ReadMailboxAsync());
        });
    }

    private async Task<EwsMailboxRef> ReadSingleMailboxAsync(string element)
    {
        EwsMailboxRef? mailbox = null;
        await ChildrenAsync(element, EwsNs.Types, async () =>
        {
            if (mailbox is not null || _r.NamespaceURI != EwsNs.Types || _r.LocalName != "Mailbox")
            {
                throw Unexpected(element, EwsNs.Types, new[] { "Mailbox" });
            }

            mailbox = await ReadMailboxAsync();
        });
        return mailbox ?? throw Invalid($"The element '{element}' has incomplete content. List of possible elements expected: 'Mailbox'.");
    }

    private async Task<EwsMailboxRef> ReadMailboxAsync()
    {
        string? name = null, address = null;
        var order = new Sequence(this, "Mailbox", EwsNs.Types, MailboxOrder);
        await ChildrenAsync("Mailbox", EwsNs.Types, async () =>
        {
            order.Next(EwsNs.Types);
            switch (_r.LocalName)
            {
                case "Name":
                    name = await _r.ReadElementContentAsStringAsync();
                    break;
                case "EmailAddress":
                    address = await _r.ReadElementContentAsStringAsync();
                    if (address.Length == 0)
                    {
                        throw Invalid("The element 'EmailAddress' is invalid - NonEmptyStringType needs at least one character.");
                    }

                    break;
                default:
                    await _r.SkipAsync();
                    break;
            }
        });
        return new EwsMailboxRef(name, address);
    }

    /// <summary>learn.microsoft.com, "GetFolder operation": FolderShape (BaseShape required), FolderIds (one or more ids).</summary>
    private async Task<EwsGetFolder> ReadGetFolderAsync()
    {
        var op = new EwsGetFolder();
        var order = new Sequence(this, "GetFolder", EwsNs.Messages, new[] { "FolderShape", "FolderIds" });
        await ChildrenAsync("GetFolder", EwsNs.Messages, async () =>
        {
            order.Next(EwsNs.Messages);
            if (_r.LocalName == "FolderShape")
            {
                var shape = new Sequence(this, "FolderShape", EwsNs.Messages, new[] { "BaseShape", "AdditionalProperties" });
                await ChildrenAsync("FolderShape", EwsNs.Messages, async () =>
                {
                    shape.Next(EwsNs.Types);
                    if (_r.LocalName == "BaseShape")
                    {
                        op.BaseShape = await _r.ReadElementContentAsStringAsync();
                        if (op.BaseShape is not ("IdOnly" or "Default" or "AllProperties"))
                        {
                            throw Invalid($"The element 'BaseShape' has invalid value '{op.BaseShape}' according to its datatype '{EwsNs.Types}:DefaultShapeNamesType'.");
                        }
                    }
                    else if (shape.Current == "AdditionalProperties")
                    {
                        XElement properties = await LoadElementAsync();
                        op.AdditionalProperties.AddRange(properties.Elements().Select(e => (string?)e.Attribute("FieldURI")).Where(f => f is not null).Select(f => f!));
                    }
                    else
                    {
                        await _r.SkipAsync();
                    }
                });
            }
            else
            {
                await ChildrenAsync("FolderIds", EwsNs.Messages, async () =>
                {
                    if (_r.NamespaceURI != EwsNs.Types || _r.LocalName is not ("FolderId" or "DistinguishedFolderId"))
                    {
                        throw Unexpected("FolderIds", EwsNs.Messages, new[] { "FolderId", "DistinguishedFolderId" });
                    }

                    op.Folders.Add(await ReadFolderIdAsync());
                });
            }
        });
        if (op.BaseShape.Length == 0 || op.Folders.Count == 0)
        {
            throw Invalid($"The element 'GetFolder' in namespace '{EwsNs.Messages}' has incomplete content. List of possible elements expected: " +
                          (op.BaseShape.Length == 0 ? "'FolderShape' (with BaseShape)." : "'FolderIds' (with at least one folder id)."));
        }

        return op;
    }

    /// <summary>Visits each child element of the current element; <paramref name="visit"/> must consume the whole child.</summary>
    private async Task ChildrenAsync(string parent, string parentNs, Func<Task> visit)
    {
        if (_r.IsEmptyElement)
        {
            await _r.ReadAsync();
            return;
        }

        await _r.ReadAsync();
        while (true)
        {
            await _r.MoveToContentAsync();
            switch (_r.NodeType)
            {
                case XmlNodeType.EndElement:
                    await _r.ReadAsync();
                    return;
                case XmlNodeType.Element:
                    await visit();
                    break;
                case XmlNodeType.None:
                    throw Invalid($"The request ends inside '{parent}'.");
                default:
                    throw Invalid($"The element '{parent}' in namespace '{parentNs}' cannot contain text, only elements.");
            }
        }
    }

    /// <summary>An xs:sequence of optional elements: each child must come later in the list than the one before.</summary>
    private sealed class Sequence
    {
        private readonly EwsSoapReader _owner;
        private readonly string _parent;
        private readonly string _parentNs;
        private readonly string[] _order;
        private readonly string? _repeatable;
        private int _last = -1;

        public Sequence(EwsSoapReader owner, string parent, string parentNs, string[] order, string? repeatable = null)
        {
            _owner = owner;
            _parent = parent;
            _parentNs = parentNs;
            _order = order;
            _repeatable = repeatable;
        }

        public string Current { get; private set; } = "";

        public void Next(string childNs)
        {
            XmlReader r = _owner._r;
            int index = r.NamespaceURI == childNs ? Array.IndexOf(_order, r.LocalName) : -1;
            bool repeat = index == _last && r.LocalName == _repeatable;
            if (index < 0 || (index <= _last && !repeat))
            {
                IEnumerable<string> expected = _order.Skip(_last < 0 ? 0 : _last + (_order.ElementAtOrDefault(_last) == _repeatable ? 0 : 1));
                throw _owner.Unexpected(_parent, _parentNs, expected);
            }

            _last = index;
            Current = r.LocalName;
        }
    }
}

/// <summary>
/// Writes EWS responses as Exchange 2013 and later do: s:Envelope with h:ServerVersionInfo in the header
/// (learn.microsoft.com, "ServerVersionInfo"), m:*Response/m:ResponseMessages/m:*ResponseMessage with ResponseClass,
/// MessageText, ResponseCode, DescriptiveLinkKey, MessageXml (learn.microsoft.com, "ResponseMessages", "MessageXml"),
/// and SOAP faults with the errors-namespace detail the EWS Managed API reads (SoapFaultDetails).
/// </summary>
public static class EwsSoapWriter
{
    public sealed record ResponseMessage(string ResponseClass, string ResponseCode, string? MessageText = null,
        IReadOnlyDictionary<string, string>? MessageXml = null, Action<XmlWriter>? Content = null);

    public static byte[] Response(EwsVersionConfig version, string operation, IReadOnlyList<ResponseMessage> messages, string? itemsElement)
    {
        return Write(version, w =>
        {
            w.WriteStartElement("s", "Body", EwsNs.Soap);
            w.WriteAttributeString("xmlns", "xsi", null, "http://www.w3.org/2001/XMLSchema-instance");
            w.WriteAttributeString("xmlns", "xsd", null, "http://www.w3.org/2001/XMLSchema");
            w.WriteStartElement("m", operation + "Response", EwsNs.Messages);
            w.WriteAttributeString("xmlns", "t", null, EwsNs.Types);
            w.WriteStartElement("m", "ResponseMessages", EwsNs.Messages);
            foreach (ResponseMessage message in messages)
            {
                w.WriteStartElement("m", operation + "ResponseMessage", EwsNs.Messages);
                w.WriteAttributeString("ResponseClass", message.ResponseClass);
                if (message.MessageText is not null) w.WriteElementString("m", "MessageText", EwsNs.Messages, message.MessageText);
                w.WriteElementString("m", "ResponseCode", EwsNs.Messages, message.ResponseCode);
                if (message.ResponseClass != "Success") w.WriteElementString("m", "DescriptiveLinkKey", EwsNs.Messages, "0");
                if (message.MessageXml is { Count: > 0 })
                {
                    w.WriteStartElement("m", "MessageXml", EwsNs.Messages);
                    foreach (KeyValuePair<string, string> v in message.MessageXml)
                    {
                        w.WriteStartElement("t", "Value", EwsNs.Types);
                        w.WriteAttributeString("Name", v.Key);
                        w.WriteString(v.Value);
                        w.WriteEndElement();
                    }

                    w.WriteEndElement();
                }

                if (itemsElement is not null)
                {
                    // DeleteItem's response messages have no items element ("DeleteItem operation"): null leaves it out.
                    w.WriteStartElement("m", itemsElement, EwsNs.Messages);
                    message.Content?.Invoke(w);
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        });
    }

    /// <summary>A SOAP 1.1 fault as EWS sends it with HTTP 500: faultcode in the types namespace, details in the errors namespace.</summary>
    public static byte[] Fault(EwsVersionConfig version, string responseCode, string message, IReadOnlyDictionary<string, string>? messageXml = null,
        int? line = null, int? position = null)
    {
        return Write(version, w =>
        {
            w.WriteStartElement("s", "Body", EwsNs.Soap);
            w.WriteStartElement("s", "Fault", EwsNs.Soap);
            w.WriteStartElement("faultcode");
            w.WriteAttributeString("xmlns", "a", null, EwsNs.Types);
            w.WriteString("a:" + responseCode);
            w.WriteEndElement();
            w.WriteStartElement("faultstring");
            w.WriteAttributeString("xml", "lang", null, "en-US");
            w.WriteString(message);
            w.WriteEndElement();
            w.WriteStartElement("detail");
            w.WriteElementString("e", "ResponseCode", EwsNs.Errors, responseCode);
            w.WriteElementString("e", "Message", EwsNs.Errors, message);
            if (line is not null)
            {
                w.WriteElementString("e", "Line", EwsNs.Errors, line.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteElementString("e", "Position", EwsNs.Errors, (position ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (messageXml is { Count: > 0 })
            {
                w.WriteStartElement("e", "MessageXml", EwsNs.Errors);
                foreach (KeyValuePair<string, string> v in messageXml)
                {
                    w.WriteStartElement("t", "Value", EwsNs.Types);
                    w.WriteAttributeString("Name", v.Key);
                    w.WriteString(v.Value);
                    w.WriteEndElement();
                }

                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        });
    }

    private static byte[] Write(EwsVersionConfig version, Action<XmlWriter> body)
    {
        using var buffer = new MemoryStream();
        using (XmlWriter w = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
        {
            w.WriteStartDocument();
            w.WriteStartElement("s", "Envelope", EwsNs.Soap);
            w.WriteStartElement("s", "Header", EwsNs.Soap);
            w.WriteStartElement("h", "ServerVersionInfo", EwsNs.Types);
            w.WriteAttributeString("MajorVersion", version.MajorVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteAttributeString("MinorVersion", version.MinorVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteAttributeString("MajorBuildNumber", version.MajorBuildNumber.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteAttributeString("MinorBuildNumber", version.MinorBuildNumber.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!string.IsNullOrEmpty(version.Version)) w.WriteAttributeString("Version", version.Version);
            w.WriteEndElement();
            w.WriteEndElement();
            body(w);
            w.WriteEndElement();
            w.WriteEndDocument();
        }

        return buffer.ToArray();
    }
}
