using System;
using System.Linq;
using System.Text;
using System.Text.Json;
using G5Mail.Core.Documents;
using G5Mail.Core.Messages;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.Core.Tests.Transports.ExchangeOnline
{
    public sealed class GraphMessageWriterTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        private OutgoingMessage Message(bool html = false, params (string Name, int Length)[] files)
        {
            var paths = files.Select((f, i) => _folder.RandomFile(f.Name, f.Length, i + 1)).ToArray();
            var documents = DocumentCollector.Collect(new[]
            {
                new DocumentRequest { Paths = paths, To = new[] { "Åhus Trä <inkop@ahustra.se>", "b@example.se" }, Cc = new[] { "c@example.se" }, DocumentId = "1001" },
            }, out var rejections);
            Assert.Empty(rejections);
            PlannedMessage planned = Assert.Single(MessagePlanner.Plan(documents, false, 100 * 1_048_576));
            return MessageComposer.Compose(planned, new ComposeOptions { From = "order@olbryggeriet.se", SubjectTemplate = "Beställning {DocumentIds}", BodyAsHtml = html, Body = html ? "<p>Hej</p>" : null });
        }

        [Fact]
        public void SendMail_carries_subject_body_recipients_message_id_and_each_file_byte_for_byte()
        {
            OutgoingMessage message = Message(false, ("Offert Åhus 1001.pdf", 70_001), ("1001.xml", 999));

            byte[] body = GraphMessageWriter.SendMail(message, message.Attachments, fromAddress: null);

            using JsonDocument json = JsonDocument.Parse(body);
            JsonElement root = json.RootElement;
            Assert.True(root.GetProperty("saveToSentItems").GetBoolean());
            JsonElement m = root.GetProperty("message");
            Assert.Equal("Beställning 1001", m.GetProperty("subject").GetString());
            Assert.Equal("Text", m.GetProperty("body").GetProperty("contentType").GetString());
            Assert.Equal(message.Body, m.GetProperty("body").GetProperty("content").GetString());
            JsonElement first = m.GetProperty("toRecipients")[0].GetProperty("emailAddress");
            Assert.Equal("inkop@ahustra.se", first.GetProperty("address").GetString());
            Assert.Equal("Åhus Trä", first.GetProperty("name").GetString());
            Assert.False(m.GetProperty("toRecipients")[1].GetProperty("emailAddress").TryGetProperty("name", out _));
            Assert.Equal("c@example.se", m.GetProperty("ccRecipients")[0].GetProperty("emailAddress").GetProperty("address").GetString());
            Assert.Equal(0, m.GetProperty("bccRecipients").GetArrayLength());
            Assert.Equal(message.MessageId, m.GetProperty("internetMessageId").GetString());
            Assert.False(m.TryGetProperty("from", out _));

            JsonElement[] attachments = m.GetProperty("attachments").EnumerateArray().ToArray();
            Assert.Equal(2, attachments.Length);
            for (int i = 0; i < attachments.Length; i++)
            {
                Assert.Equal("#microsoft.graph.fileAttachment", attachments[i].GetProperty("@odata.type").GetString());
                Assert.Equal(message.Attachments[i].FileName, attachments[i].GetProperty("name").GetString());
                Assert.Equal(message.Attachments[i].ContentType, attachments[i].GetProperty("contentType").GetString());
                Assert.Equal(System.IO.File.ReadAllBytes(message.Attachments[i].FullPath), attachments[i].GetProperty("contentBytes").GetBytesFromBase64());
            }
        }

        [Fact]
        public void Swedish_letters_are_written_as_UTF_8_not_as_escapes()
        {
            OutgoingMessage message = Message(false, ("Offert Åhus.pdf", 10));
            string text = Encoding.UTF8.GetString(GraphMessageWriter.SendMail(message, message.Attachments, null));
            Assert.Contains("Offert Åhus.pdf", text);
            Assert.DoesNotContain("\\u00C5", text);
        }

        [Fact]
        public void An_html_body_is_marked_HTML_and_a_from_override_is_written()
        {
            OutgoingMessage message = Message(true, ("a.pdf", 10));
            using JsonDocument json = JsonDocument.Parse(GraphMessageWriter.Draft(message, Array.Empty<DocumentFile>(), "shared@contoso.com"));

            Assert.Equal("HTML", json.RootElement.GetProperty("body").GetProperty("contentType").GetString());
            Assert.Equal("shared@contoso.com", json.RootElement.GetProperty("from").GetProperty("emailAddress").GetProperty("address").GetString());
            Assert.Equal(0, json.RootElement.GetProperty("attachments").GetArrayLength());
        }

        [Fact]
        public void The_size_the_plan_estimates_is_never_below_the_real_request()
        {
            OutgoingMessage message = Message(false, ("a.pdf", 100_000), ("b b.pdf", 1), ("c.xml", 2), ("Åäö.pdf", 30_000));

            long estimate = GraphMessageWriter.MeasureWithoutAttachments(message, null, draft: false) +
                            message.Attachments.Sum(f => GraphMessageWriter.AttachmentOverhead(f) + GraphSendPlan.Base64Length(f.Length) + 1);
            long real = GraphMessageWriter.SendMail(message, message.Attachments, null).LongLength;

            // One separating comma per file is counted, one fewer is written.
            Assert.Equal(real + 1, estimate);
        }

        [Fact]
        public void An_attachment_and_an_upload_session_have_Graphs_shapes()
        {
            OutgoingMessage message = Message(false, ("big.pdf", 5_000));
            DocumentFile file = message.Attachments[0];

            using JsonDocument attachment = JsonDocument.Parse(GraphMessageWriter.Attachment(file));
            Assert.Equal(System.IO.File.ReadAllBytes(file.FullPath), attachment.RootElement.GetProperty("contentBytes").GetBytesFromBase64());

            using JsonDocument session = JsonDocument.Parse(GraphMessageWriter.UploadSession(file, 5_000));
            JsonElement item = session.RootElement.GetProperty("AttachmentItem");
            Assert.Equal("file", item.GetProperty("attachmentType").GetString());
            Assert.Equal("big.pdf", item.GetProperty("name").GetString());
            Assert.Equal(5_000, item.GetProperty("size").GetInt64());
            Assert.Equal("application/pdf", item.GetProperty("contentType").GetString());
        }
    }
}
