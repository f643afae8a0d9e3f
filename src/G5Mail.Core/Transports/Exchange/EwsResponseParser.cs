using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Xml;
using System.Xml.Linq;

namespace G5Mail.Core.Transports.Exchange
{
    /// <summary>The server version from the SOAP header (learn.microsoft.com, "ServerVersionInfo").</summary>
    public sealed class EwsServerVersion
    {
        public EwsServerVersion(int major, int minor, int majorBuild, int minorBuild, string? schema)
        {
            Major = major;
            Minor = minor;
            MajorBuild = majorBuild;
            MinorBuild = minorBuild;
            Schema = schema;
        }

        public int Major { get; }
        public int Minor { get; }
        public int MajorBuild { get; }
        public int MinorBuild { get; }

        /// <summary>The EWS schema version the server speaks (the Version attribute, e.g. V2017_07_11); null before Exchange 2013.</summary>
        public string? Schema { get; }

        public string Build => string.Format(CultureInfo.InvariantCulture, "{0}.{1}.{2}.{3}", Major, Minor, MajorBuild, MinorBuild);

        /// <summary>The product, as far as the version number tells (15.2 is 2019 and Subscription Edition).</summary>
        public string Product
        {
            get
            {
                if (Major == 15 && Minor == 2)
                {
                    return MajorBuild >= 2562 ? "Exchange Server Subscription Edition" : "Exchange Server 2019";
                }

                if (Major == 15 && Minor == 1)
                {
                    return "Exchange Server 2016";
                }

                if (Major == 15 && Minor == 0)
                {
                    return "Exchange Server 2013";
                }

                if (Major == 14)
                {
                    return "Exchange Server 2010";
                }

                if (Major == 8)
                {
                    return "Exchange Server 2007";
                }

                return "Exchange " + Major.ToString(CultureInfo.InvariantCulture) + "." + Minor.ToString(CultureInfo.InvariantCulture);
            }
        }

        /// <summary>Exchange 2013 (15.0) or later: the versions that accept RequestServerVersion Exchange2013.</summary>
        public bool SupportsRequestVersion => Major >= 15;

        public override string ToString() => $"{Product} ({Build}{(Schema != null ? ", schema " + Schema : string.Empty)})";
    }

    /// <summary>
    /// One m:*ResponseMessage (learn.microsoft.com, "ResponseMessages", "ResponseCode"): ResponseClass Success, Warning or
    /// Error, MessageText, ResponseCode, DescriptiveLinkKey, MessageXml (name/value pairs such as BackOffMilliseconds) and
    /// the ids of created items, when the operation returns any (CreateItem with SendAndSaveCopy returns none).
    /// </summary>
    public sealed class EwsResponseMessage
    {
        public EwsResponseMessage(string operation, string responseClass, string? responseCode, string? messageText,
            IReadOnlyDictionary<string, string> messageXml, IReadOnlyList<string> itemIds, XElement? element = null)
        {
            Element = element;
            Operation = operation;
            ResponseClass = responseClass;
            ResponseCode = responseCode;
            MessageText = messageText;
            MessageXml = messageXml;
            ItemIds = itemIds;
        }

        public string Operation { get; }
        public string ResponseClass { get; }
        public string? ResponseCode { get; }
        public string? MessageText { get; }
        public IReadOnlyDictionary<string, string> MessageXml { get; }
        public IReadOnlyList<string> ItemIds { get; }

        /// <summary>The whole m:*ResponseMessage element, for operations whose answer holds more than ids (FindItem, GetItem).</summary>
        public XElement? Element { get; }

        public bool IsError => string.Equals(ResponseClass, "Error", StringComparison.Ordinal);
    }

    /// <summary>A SOAP fault (HTTP 500): faultcode, faultstring and the EWS detail (ResponseCode, Message, MessageXml).</summary>
    public sealed class EwsFault
    {
        public EwsFault(string? faultCode, string? faultString, string? responseCode, string? message, IReadOnlyDictionary<string, string> messageXml,
            int? line, int? position)
        {
            FaultCode = faultCode;
            FaultString = faultString;
            ResponseCode = responseCode;
            Message = message;
            MessageXml = messageXml;
            Line = line;
            Position = position;
        }

        public string? FaultCode { get; }
        public string? FaultString { get; }

        /// <summary>detail/ResponseCode, or the local part of faultcode (a:ErrorServerBusy) when there is no detail.</summary>
        public string? ResponseCode { get; }

        public string? Message { get; }
        public IReadOnlyDictionary<string, string> MessageXml { get; }

        /// <summary>For ErrorSchemaValidation: where in the request the schema check failed.</summary>
        public int? Line { get; }
        public int? Position { get; }

        public string Text => Message ?? FaultString ?? ResponseCode ?? "SOAP fault";
    }

    /// <summary>What an EWS response said: the server version, and either the response messages or a SOAP fault.</summary>
    public sealed class EwsResponse
    {
        public EwsResponse(EwsServerVersion? serverVersion, IReadOnlyList<EwsResponseMessage> messages, EwsFault? fault)
        {
            ServerVersion = serverVersion;
            Messages = messages;
            Fault = fault;
        }

        public EwsServerVersion? ServerVersion { get; }
        public IReadOnlyList<EwsResponseMessage> Messages { get; }
        public EwsFault? Fault { get; }

        /// <summary>The first error: a fault's code, or the first response message with ResponseClass Error.</summary>
        public string? ErrorCode => Fault?.ResponseCode ?? Messages.FirstOrDefault(m => m.IsError)?.ResponseCode;

        /// <summary>BackOffMilliseconds of an ErrorServerBusy (EWS throttling), from the fault or the response message.</summary>
        public TimeSpan? BackOff
        {
            get
            {
                IReadOnlyDictionary<string, string>? values = Fault?.MessageXml ?? Messages.FirstOrDefault(m => m.IsError)?.MessageXml;
                if (values != null && values.TryGetValue("BackOffMilliseconds", out string? text) &&
                    long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long ms) && ms >= 0)
                {
                    return TimeSpan.FromMilliseconds(ms);
                }

                return null;
            }
        }
    }

    /// <summary>
    /// Reads EWS SOAP responses. Elements are matched by namespace and local name, never by prefix (Exchange 2007 writes
    /// soap:/m:, Exchange 2013 and later s:/m:/h:). MessageXml is read in any namespace: Exchange 2007 puts it in the types
    /// namespace in faults, Exchange 2010 and later in the errors namespace (EWS Managed API, SoapFaultDetails).
    /// </summary>
    public static class EwsResponseParser
    {
        /// <summary>Responses of the operations G5Mail uses are a few kilobytes; more is not an EWS answer.</summary>
        public const int MaxResponseBytes = 1024 * 1024;

        private static readonly XName Envelope = XName.Get("Envelope", EwsNames.Soap);
        private static readonly XName Header = XName.Get("Header", EwsNames.Soap);
        private static readonly XName Body = XName.Get("Body", EwsNames.Soap);
        private static readonly XName Fault = XName.Get("Fault", EwsNames.Soap);
        private static readonly XName ServerVersionInfo = XName.Get("ServerVersionInfo", EwsNames.Types);
        private static readonly XName ResponseMessages = XName.Get("ResponseMessages", EwsNames.Messages);
        private static readonly XName MessageText = XName.Get("MessageText", EwsNames.Messages);
        private static readonly XName ResponseCode = XName.Get("ResponseCode", EwsNames.Messages);
        private static readonly XName MessageXml = XName.Get("MessageXml", EwsNames.Messages);
        private static readonly XName ItemId = XName.Get("ItemId", EwsNames.Types);

        /// <summary>Parses a response body; throws <see cref="FormatException"/> when it is not a SOAP envelope.</summary>
        public static EwsResponse Parse(Stream body)
        {
            XDocument document;
            try
            {
                var settings = new XmlReaderSettings
                {
                    DtdProcessing = DtdProcessing.Prohibit,
                    XmlResolver = null,
                    MaxCharactersInDocument = MaxResponseBytes,
                    IgnoreWhitespace = true,
                };
                using (XmlReader reader = XmlReader.Create(body, settings))
                {
                    document = XDocument.Load(reader);
                }
            }
            catch (XmlException ex)
            {
                throw new FormatException("The response is not XML: " + ex.Message, ex);
            }

            return Parse(document);
        }

        public static EwsResponse Parse(string xml)
        {
            using (var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(xml)))
            {
                return Parse(stream);
            }
        }

        private static EwsResponse Parse(XDocument document)
        {
            XElement? envelope = document.Root;
            if (envelope == null || envelope.Name != Envelope)
            {
                throw new FormatException($"The response is not a SOAP envelope (root element {envelope?.Name.ToString() ?? "none"}).");
            }

            EwsServerVersion? version = ParseVersion(envelope.Element(Header)?.Element(ServerVersionInfo));
            XElement? body = envelope.Element(Body);
            if (body == null)
            {
                throw new FormatException("The SOAP response has no Body.");
            }

            XElement? fault = body.Element(Fault);
            if (fault != null)
            {
                return new EwsResponse(version, Array.Empty<EwsResponseMessage>(), ParseFault(fault));
            }

            XElement? operation = body.Elements().FirstOrDefault();
            XElement? messages = operation?.Element(ResponseMessages);
            if (operation == null || messages == null)
            {
                throw new FormatException($"The SOAP response holds no ResponseMessages ({operation?.Name.LocalName ?? "empty body"}).");
            }

            string name = operation.Name.LocalName.EndsWith("Response", StringComparison.Ordinal)
                ? operation.Name.LocalName.Substring(0, operation.Name.LocalName.Length - "Response".Length)
                : operation.Name.LocalName;
            var list = new List<EwsResponseMessage>();
            foreach (XElement message in messages.Elements().Where(e => e.Name.NamespaceName == EwsNames.Messages))
            {
                list.Add(new EwsResponseMessage(
                    name,
                    (string?)message.Attribute("ResponseClass") ?? "Error",
                    Trimmed(message.Element(ResponseCode)),
                    Trimmed(message.Element(MessageText)),
                    Values(message.Element(MessageXml)),
                    message.Descendants(ItemId).Select(i => (string?)i.Attribute("Id")).Where(id => !string.IsNullOrEmpty(id)).Select(id => id!).ToList(),
                    message));
            }

            return new EwsResponse(version, list, null);
        }

        private static EwsFault ParseFault(XElement fault)
        {
            // faultcode, faultstring and detail are unqualified (SOAP 1.1); the detail's children are EWS's own.
            string? code = Trimmed(fault.Element("faultcode"));
            string? text = Trimmed(fault.Element("faultstring"));
            XElement? detail = fault.Element("detail");
            string? responseCode = Trimmed(detail?.Elements().FirstOrDefault(e => e.Name.LocalName == "ResponseCode"));
            if (responseCode == null && code != null)
            {
                int colon = code.IndexOf(':');
                string local = colon >= 0 ? code.Substring(colon + 1) : code;
                responseCode = local.StartsWith("Error", StringComparison.Ordinal) ? local : null;
            }

            return new EwsFault(
                code,
                text,
                responseCode,
                Trimmed(detail?.Elements().FirstOrDefault(e => e.Name.LocalName == "Message")),
                Values(detail?.Elements().FirstOrDefault(e => e.Name.LocalName == "MessageXml")),
                Number(detail?.Elements().FirstOrDefault(e => e.Name.LocalName == "Line")),
                Number(detail?.Elements().FirstOrDefault(e => e.Name.LocalName == "Position")));
        }

        private static EwsServerVersion? ParseVersion(XElement? info)
        {
            if (info == null)
            {
                return null;
            }

            int Attribute(string name) => int.TryParse((string?)info.Attribute(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : 0;
            return new EwsServerVersion(Attribute("MajorVersion"), Attribute("MinorVersion"), Attribute("MajorBuildNumber"),
                Attribute("MinorBuildNumber"), (string?)info.Attribute("Version"));
        }

        /// <summary>The t:Value Name="..." pairs of a MessageXml element.</summary>
        private static IReadOnlyDictionary<string, string> Values(XElement? messageXml)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            if (messageXml == null)
            {
                return values;
            }

            foreach (XElement value in messageXml.Elements().Where(e => e.Name.LocalName == "Value"))
            {
                string? name = (string?)value.Attribute("Name");
                if (!string.IsNullOrEmpty(name) && !values.ContainsKey(name!))
                {
                    values.Add(name!, value.Value.Trim());
                }
            }

            return values;
        }

        private static string? Trimmed(XElement? element)
        {
            string? text = element?.Value.Trim();
            return string.IsNullOrEmpty(text) ? null : text;
        }

        private static int? Number(XElement? element) =>
            int.TryParse(element?.Value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : (int?)null;
    }
}
