using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Transports.Exchange;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Exchange
{
    /// <summary>The CreateItem request G5Mail writes: SOAP shape, schema element order, content, exact length.</summary>
    public sealed class EwsRequestWriterTests : IDisposable
    {
        private static readonly XNamespace S = EwsNames.Soap;
        private static readonly XNamespace T = EwsNames.Types;
        private static readonly XNamespace M = EwsNames.Messages;

        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        internal static OutgoingMessage Message(IEnumerable<string> paths, string to = "Inköp Åhus <inkop@ahustra.example>", string? cc = null, string? bcc = null,
            string? body = null, bool html = false, string from = "Ölbryggeriet Order <order@olbryggeriet.example>")
        {
            var request = new DocumentRequest
            {
                Paths = paths.ToArray(),
                DocumentId = Path.GetFileNameWithoutExtension(paths.First()),
                To = new[] { to },
                Cc = cc == null ? Array.Empty<string>() : new[] { cc },
                Bcc = bcc == null ? Array.Empty<string>() : new[] { bcc },
            };
            var documents = DocumentCollector.Collect(new[] { request }, out var rejections);
            Assert.Empty(rejections);
            var plan = MessagePlanner.Plan(documents, false, 10 * 1_048_576).Single();
            return MessageComposer.Compose(plan, new ComposeOptions { From = from, SubjectTemplate = "Beställning {DocumentIds}", Body = body, BodyAsHtml = html });
        }

        private static async Task<(XDocument Document, byte[] Bytes)> WriteAsync(EwsRequest request)
        {
            using (var output = new MemoryStream())
            {
                await request.WriteToAsync(output, CancellationToken.None);
                byte[] bytes = output.ToArray();
                return (XDocument.Load(new MemoryStream(bytes), LoadOptions.SetLineInfo), bytes);
            }
        }

        [Fact]
        public async Task The_envelope_names_the_EWS_namespaces_the_server_version_and_SendAndSaveCopy_to_sentitems()
        {
            string pdf = _folder.RandomFile("1001.pdf", 1000, 1);
            (XDocument doc, _) = await WriteAsync(EwsRequestWriter.CreateItem(Message(new[] { pdf })));

            Assert.Equal(S + "Envelope", doc.Root!.Name);
            Assert.Equal("Exchange2013", (string?)doc.Root.Element(S + "Header")!.Element(T + "RequestServerVersion")!.Attribute("Version"));
            XElement create = doc.Root.Element(S + "Body")!.Element(M + "CreateItem")!;
            Assert.Equal("SendAndSaveCopy", (string?)create.Attribute("MessageDisposition"));
            Assert.Equal("sentitems", (string?)create.Element(M + "SavedItemFolderId")!.Element(T + "DistinguishedFolderId")!.Attribute("Id"));
            Assert.Equal(new[] { M + "SavedItemFolderId", M + "Items" }, create.Elements().Select(e => e.Name));
            Assert.Single(create.Element(M + "Items")!.Elements(T + "Message"));
        }

        [Fact]
        public async Task The_message_validates_against_the_schema_order_of_MessageType_and_FileAttachmentType()
        {
            string pdf = _folder.RandomFile("Offert Åhus 1001.pdf", 5000, 2);
            string xml = _folder.File("Offert Åhus 1001.xml", "<Offert nr=\"1001\">Åhus</Offert>");
            OutgoingMessage message = Message(new[] { pdf, xml }, cc: "kopia@example.se", bcc: "arkiv@example.se");
            (XDocument doc, _) = await WriteAsync(EwsRequestWriter.CreateItem(message));

            XElement create = doc.Root!.Element(S + "Body")!.Element(M + "CreateItem")!;
            var errors = new List<string>();
            new XDocument(create).Validate(EwsSchema.Set, (_, e) => errors.Add(e.Message));
            Assert.Empty(errors);

            XElement item = create.Element(M + "Items")!.Element(T + "Message")!;
            Assert.Equal(
                new[] { "ItemClass", "Subject", "Body", "Attachments", "ExtendedProperty", "ToRecipients", "CcRecipients", "BccRecipients", "From" },
                item.Elements().Select(e => e.Name.LocalName));
            Assert.Equal(new[] { "Name", "ContentType", "Content" }, item.Element(T + "Attachments")!.Elements().First().Elements().Select(e => e.Name.LocalName));
        }

        [Fact]
        public void The_schema_used_above_rejects_an_element_out_of_order()
        {
            // Proof that the validation of the previous test can fail: Subject before ItemClass.
            var wrong = new XDocument(new XElement(T + "Message", new XElement(T + "Subject", "x"), new XElement(T + "ItemClass", "IPM.Note")));
            var errors = new List<string>();
            wrong.Validate(EwsSchema.Set, (_, e) => errors.Add(e.Message));
            Assert.NotEmpty(errors);

            var content = new XDocument(new XElement(T + "FileAttachment", new XElement(T + "Content", "AAEC"), new XElement(T + "Name", "a.pdf")));
            errors.Clear();
            content.Validate(EwsSchema.Set, (_, e) => errors.Add(e.Message));
            Assert.NotEmpty(errors);
        }

        [Fact]
        public async Task Subject_body_names_recipients_and_the_Message_Id_are_written_as_composed()
        {
            string pdf = _folder.RandomFile("Offert Åhus 1001.pdf", 5000, 3);
            OutgoingMessage message = Message(new[] { pdf }, body: "Hej!\r\nHär kommer offerten.\r\n");
            (XDocument doc, _) = await WriteAsync(EwsRequestWriter.CreateItem(message));
            XElement item = doc.Descendants(T + "Message").Single();

            Assert.Equal("IPM.Note", item.Element(T + "ItemClass")!.Value);
            Assert.Equal("Beställning Offert Åhus 1001", item.Element(T + "Subject")!.Value);
            XElement body = item.Element(T + "Body")!;
            Assert.Equal("Text", (string?)body.Attribute("BodyType"));
            Assert.Equal("Hej!\r\nHär kommer offerten.\r\n", body.Value); // CR survives XML line-end normalization
            Assert.Equal("Offert Åhus 1001.pdf", item.Descendants(T + "Name").First().Value);
            Assert.Equal("application/pdf", item.Descendants(T + "ContentType").Single().Value);

            XElement property = item.Element(T + "ExtendedProperty")!;
            Assert.Equal("0x1035", (string?)property.Element(T + "ExtendedFieldURI")!.Attribute("PropertyTag"));
            Assert.Equal("String", (string?)property.Element(T + "ExtendedFieldURI")!.Attribute("PropertyType"));
            Assert.Equal(message.MessageId, property.Element(T + "Value")!.Value);

            XElement to = item.Element(T + "ToRecipients")!.Element(T + "Mailbox")!;
            Assert.Equal("Inköp Åhus", to.Element(T + "Name")!.Value);
            Assert.Equal("inkop@ahustra.example", to.Element(T + "EmailAddress")!.Value);
            XElement from = item.Element(T + "From")!.Element(T + "Mailbox")!;
            Assert.Equal("order@olbryggeriet.example", from.Element(T + "EmailAddress")!.Value);
            Assert.Null(item.Element(T + "CcRecipients"));
        }

        [Fact]
        public async Task An_HTML_body_is_BodyType_HTML()
        {
            string pdf = _folder.RandomFile("1.pdf", 10, 4);
            (XDocument doc, _) = await WriteAsync(EwsRequestWriter.CreateItem(Message(new[] { pdf }, body: "<p>Hej <b>Åsa</b></p>", html: true)));
            XElement body = doc.Descendants(T + "Body").Single();
            Assert.Equal("HTML", (string?)body.Attribute("BodyType"));
            Assert.Equal("<p>Hej <b>Åsa</b></p>", body.Value);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(57 * 1024)]
        [InlineData(57 * 1024 + 1)]
        [InlineData(300_001)]
        public async Task The_content_is_the_files_base64_and_the_length_is_exact(int size)
        {
            string a = _folder.RandomFile($"a{size}.pdf", size, size);
            string b = _folder.RandomFile($"b{size}.xml", 7, size + 1);
            EwsRequest request = EwsRequestWriter.CreateItem(Message(new[] { a, b }));
            (XDocument doc, byte[] bytes) = await WriteAsync(request);

            Assert.Equal(request.Length, bytes.LongLength);
            XElement[] contents = doc.Descendants(T + "Content").ToArray();
            Assert.Equal(File.ReadAllBytes(a), Convert.FromBase64String(contents[0].Value));
            Assert.Equal(File.ReadAllBytes(b), Convert.FromBase64String(contents[1].Value));
            Assert.Equal(EwsRequestWriter.Base64Length(size), contents[0].Value.Length);
        }

        [Fact]
        public async Task Characters_XML_cannot_carry_become_replacement_characters_instead_of_failing()
        {
            string pdf = _folder.RandomFile("1.pdf", 10, 5);
            (XDocument doc, _) = await WriteAsync(EwsRequestWriter.CreateItem(Message(new[] { pdf }, body: "a\u0001b\uD800c")));
            Assert.Equal("a\uFFFDb\uFFFDc", doc.Descendants(T + "Body").Single().Value);
            Assert.Equal("😀 ok", EwsRequestWriter.XmlText("😀 ok"));
        }

        [Fact]
        public async Task A_file_that_changed_or_vanished_after_collection_fails_with_a_clear_error()
        {
            string changed = _folder.RandomFile("changed.pdf", 1000, 6);
            EwsRequest request = EwsRequestWriter.CreateItem(Message(new[] { changed }));
            File.WriteAllBytes(changed, new byte[500]);
            var error = await Assert.ThrowsAsync<G5MailErrorException>(() => request.WriteToAsync(Stream.Null, CancellationToken.None));
            Assert.Equal(ErrorIds.SendFailed, error.ErrorId);
            Assert.Contains("changed while it was being sent", error.Message);

            File.Delete(changed);
            error = await Assert.ThrowsAsync<G5MailErrorException>(() => request.WriteToAsync(Stream.Null, CancellationToken.None));
            Assert.Equal(ErrorIds.FileNotFound, error.ErrorId);
        }

        [Fact]
        public async Task GetFolder_asks_for_the_distinguished_folder_with_the_default_shape()
        {
            EwsRequest request = EwsRequestWriter.GetFolder("sentitems");
            (XDocument doc, byte[] bytes) = await WriteAsync(request);
            Assert.Equal(request.Length, bytes.LongLength);
            XElement get = doc.Root!.Element(S + "Body")!.Element(M + "GetFolder")!;
            Assert.Equal(new[] { M + "FolderShape", M + "FolderIds" }, get.Elements().Select(e => e.Name));
            Assert.Equal("Default", get.Element(M + "FolderShape")!.Element(T + "BaseShape")!.Value);
            Assert.Equal("sentitems", (string?)get.Element(M + "FolderIds")!.Element(T + "DistinguishedFolderId")!.Attribute("Id"));
        }
    }

    /// <summary>
    /// The parts of Messages.xsd and Types.xsd that a CreateItem of a message touches, transcribed from the element
    /// pages on learn.microsoft.com ("CreateItem", "SavedItemFolderId", "Message", "Body", "FileAttachment",
    /// "ExtendedProperty", "ExtendedFieldURI", "ToRecipients", "Mailbox", "From"). Sequences keep the documented order;
    /// elements G5Mail does not write are optional placeholders so the order between the ones it does write is checked.
    /// </summary>
    internal static class EwsSchema
    {
        private const string TypesXsd = @"<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema' xmlns:t='http://schemas.microsoft.com/exchange/services/2006/types'
  targetNamespace='http://schemas.microsoft.com/exchange/services/2006/types' elementFormDefault='qualified'>
  <xs:element name='Message' type='t:MessageType'/>
  <xs:element name='FileAttachment' type='t:FileAttachmentType'/>
  <xs:element name='DistinguishedFolderId'>
    <xs:complexType><xs:attribute name='Id' type='xs:string' use='required'/><xs:attribute name='ChangeKey' type='xs:string'/></xs:complexType>
  </xs:element>
  <xs:complexType name='MessageType'>
    <xs:sequence>
      <xs:element name='MimeContent' type='xs:anyType' minOccurs='0'/>
      <xs:element name='ItemId' type='xs:anyType' minOccurs='0'/>
      <xs:element name='ParentFolderId' type='xs:anyType' minOccurs='0'/>
      <xs:element name='ItemClass' type='xs:string' minOccurs='0'/>
      <xs:element name='Subject' type='xs:string' minOccurs='0'/>
      <xs:element name='Sensitivity' type='xs:string' minOccurs='0'/>
      <xs:element name='Body' type='t:BodyType' minOccurs='0'/>
      <xs:element name='Attachments' type='t:ArrayOfAttachmentsType' minOccurs='0'/>
      <xs:element name='DateTimeReceived' type='xs:dateTime' minOccurs='0'/>
      <xs:element name='Size' type='xs:int' minOccurs='0'/>
      <xs:element name='Categories' type='xs:anyType' minOccurs='0'/>
      <xs:element name='Importance' type='xs:string' minOccurs='0'/>
      <xs:element name='InReplyTo' type='xs:string' minOccurs='0'/>
      <xs:element name='IsSubmitted' type='xs:boolean' minOccurs='0'/>
      <xs:element name='IsDraft' type='xs:boolean' minOccurs='0'/>
      <xs:element name='IsFromMe' type='xs:boolean' minOccurs='0'/>
      <xs:element name='IsResend' type='xs:boolean' minOccurs='0'/>
      <xs:element name='IsUnmodified' type='xs:boolean' minOccurs='0'/>
      <xs:element name='InternetMessageHeaders' type='xs:anyType' minOccurs='0'/>
      <xs:element name='DateTimeSent' type='xs:dateTime' minOccurs='0'/>
      <xs:element name='DateTimeCreated' type='xs:dateTime' minOccurs='0'/>
      <xs:element name='ResponseObjects' type='xs:anyType' minOccurs='0'/>
      <xs:element name='ReminderDueBy' type='xs:dateTime' minOccurs='0'/>
      <xs:element name='ReminderIsSet' type='xs:boolean' minOccurs='0'/>
      <xs:element name='ReminderMinutesBeforeStart' type='xs:string' minOccurs='0'/>
      <xs:element name='DisplayCc' type='xs:string' minOccurs='0'/>
      <xs:element name='DisplayTo' type='xs:string' minOccurs='0'/>
      <xs:element name='HasAttachments' type='xs:boolean' minOccurs='0'/>
      <xs:element name='ExtendedProperty' type='t:ExtendedPropertyType' minOccurs='0' maxOccurs='unbounded'/>
      <xs:element name='Culture' type='xs:language' minOccurs='0'/>
      <xs:element name='Sender' type='t:SingleRecipientType' minOccurs='0'/>
      <xs:element name='ToRecipients' type='t:ArrayOfRecipientsType' minOccurs='0'/>
      <xs:element name='CcRecipients' type='t:ArrayOfRecipientsType' minOccurs='0'/>
      <xs:element name='BccRecipients' type='t:ArrayOfRecipientsType' minOccurs='0'/>
      <xs:element name='IsReadReceiptRequested' type='xs:boolean' minOccurs='0'/>
      <xs:element name='IsDeliveryReceiptRequested' type='xs:boolean' minOccurs='0'/>
      <xs:element name='ConversationIndex' type='xs:base64Binary' minOccurs='0'/>
      <xs:element name='ConversationTopic' type='xs:string' minOccurs='0'/>
      <xs:element name='From' type='t:SingleRecipientType' minOccurs='0'/>
      <xs:element name='InternetMessageId' type='xs:string' minOccurs='0'/>
      <xs:element name='IsRead' type='xs:boolean' minOccurs='0'/>
      <xs:element name='IsResponseRequested' type='xs:boolean' minOccurs='0'/>
      <xs:element name='References' type='xs:string' minOccurs='0'/>
      <xs:element name='ReplyTo' type='t:ArrayOfRecipientsType' minOccurs='0'/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name='BodyType'>
    <xs:simpleContent>
      <xs:extension base='xs:string'>
        <xs:attribute name='BodyType' use='required'>
          <xs:simpleType><xs:restriction base='xs:string'><xs:enumeration value='HTML'/><xs:enumeration value='Text'/></xs:restriction></xs:simpleType>
        </xs:attribute>
        <xs:attribute name='IsTruncated' type='xs:boolean'/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:complexType name='ArrayOfAttachmentsType'>
    <xs:choice minOccurs='0' maxOccurs='unbounded'>
      <xs:element name='ItemAttachment' type='xs:anyType'/>
      <xs:element name='FileAttachment' type='t:FileAttachmentType'/>
    </xs:choice>
  </xs:complexType>
  <xs:complexType name='FileAttachmentType'>
    <xs:sequence>
      <xs:element name='AttachmentId' type='xs:anyType' minOccurs='0'/>
      <xs:element name='Name' type='xs:string' minOccurs='0'/>
      <xs:element name='ContentType' type='xs:string' minOccurs='0'/>
      <xs:element name='ContentId' type='xs:string' minOccurs='0'/>
      <xs:element name='ContentLocation' type='xs:string' minOccurs='0'/>
      <xs:element name='Size' type='xs:int' minOccurs='0'/>
      <xs:element name='LastModifiedTime' type='xs:dateTime' minOccurs='0'/>
      <xs:element name='IsInline' type='xs:boolean' minOccurs='0'/>
      <xs:element name='IsContactPhoto' type='xs:boolean' minOccurs='0'/>
      <xs:element name='Content' type='xs:base64Binary' minOccurs='0'/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name='ExtendedPropertyType'>
    <xs:sequence>
      <xs:element name='ExtendedFieldURI'>
        <xs:complexType>
          <xs:attribute name='PropertyTag' type='xs:string'/>
          <xs:attribute name='PropertyType' type='xs:string' use='required'/>
        </xs:complexType>
      </xs:element>
      <xs:choice>
        <xs:element name='Value' type='xs:string'/>
        <xs:element name='Values' type='xs:anyType'/>
      </xs:choice>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name='ArrayOfRecipientsType'>
    <xs:sequence><xs:element name='Mailbox' type='t:EmailAddressType' maxOccurs='unbounded'/></xs:sequence>
  </xs:complexType>
  <xs:complexType name='SingleRecipientType'>
    <xs:sequence><xs:element name='Mailbox' type='t:EmailAddressType'/></xs:sequence>
  </xs:complexType>
  <xs:complexType name='EmailAddressType'>
    <xs:sequence>
      <xs:element name='Name' type='xs:string' minOccurs='0'/>
      <xs:element name='EmailAddress' minOccurs='0'>
        <xs:simpleType><xs:restriction base='xs:string'><xs:minLength value='1'/></xs:restriction></xs:simpleType>
      </xs:element>
      <xs:element name='RoutingType' type='xs:string' minOccurs='0'/>
      <xs:element name='MailboxType' type='xs:string' minOccurs='0'/>
      <xs:element name='ItemId' type='xs:anyType' minOccurs='0'/>
    </xs:sequence>
  </xs:complexType>
</xs:schema>";

        private const string MessagesXsd = @"<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema' xmlns:m='http://schemas.microsoft.com/exchange/services/2006/messages'
  xmlns:t='http://schemas.microsoft.com/exchange/services/2006/types'
  targetNamespace='http://schemas.microsoft.com/exchange/services/2006/messages' elementFormDefault='qualified'>
  <xs:import namespace='http://schemas.microsoft.com/exchange/services/2006/types'/>
  <xs:element name='CreateItem'>
    <xs:complexType>
      <xs:sequence>
        <xs:element name='SavedItemFolderId' minOccurs='0'>
          <xs:complexType><xs:choice><xs:element ref='t:DistinguishedFolderId'/></xs:choice></xs:complexType>
        </xs:element>
        <xs:element name='Items'>
          <xs:complexType><xs:choice maxOccurs='unbounded'><xs:element ref='t:Message'/></xs:choice></xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:attribute name='MessageDisposition'>
        <xs:simpleType>
          <xs:restriction base='xs:string'>
            <xs:enumeration value='SaveOnly'/><xs:enumeration value='SendOnly'/><xs:enumeration value='SendAndSaveCopy'/>
          </xs:restriction>
        </xs:simpleType>
      </xs:attribute>
      <xs:attribute name='SendMeetingInvitations' type='xs:string'/>
    </xs:complexType>
  </xs:element>
</xs:schema>";

        public static readonly XmlSchemaSet Set = Create();

        private static XmlSchemaSet Create()
        {
            var set = new XmlSchemaSet();
            set.Add(XmlSchema.Read(new StringReader(TypesXsd), null)!);
            set.Add(XmlSchema.Read(new StringReader(MessagesXsd), null)!);
            set.Compile();
            return set;
        }
    }
}
