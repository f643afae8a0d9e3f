using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Messages
{
    /// <summary>Subjects and bodies: built-in sv and en texts per type, per-document texts, the template file, placeholders, and grouping.</summary>
    public sealed class MessageTextsTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        private static readonly RecipientSet Kund = RecipientSet.Parse(new[] { "kund@example.se" });

        private static Document Doc(string id, string? type = null, string? language = null, string? subject = null, string? body = null,
            bool? html = null, RecipientSet? recipients = null, int index = 0, params (string Name, string? Value)[] properties)
        {
            var request = new DocumentRequest
            {
                DocumentType = type,
                Language = language,
                Subject = subject,
                Body = body,
                BodyAsHtml = html,
                Properties = properties.ToDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase),
            };
            return new Document(id, new[] { new DocumentFile("/data/" + id + ".pdf", 100, "application/pdf") }, recipients ?? Kund, index, new[] { request });
        }

        private static PlannedMessage Message(params Document[] documents) => new PlannedMessage(documents, documents[0].Recipients, 1, 1);

        private static OutgoingMessage Compose(PlannedMessage plan, Action<ComposeOptions>? change = null)
        {
            var options = new ComposeOptions { From = "Ölbryggeriet AB <order@olbryggeriet.se>" };
            change?.Invoke(options);
            return MessageComposer.Compose(plan, options);
        }

        [Theory]
        [InlineData("Quote", "Offert 1001", "Quote 1001")]
        [InlineData("Order", "Order 1001", "Order 1001")]
        [InlineData("OrderConfirmation", "Orderbekräftelse 1001", "Order confirmation 1001")]
        [InlineData("PurchaseOrder", "Inköpsorder 1001", "Purchase order 1001")]
        [InlineData("DeliveryNote", "Följesedel 1001", "Delivery note 1001")]
        [InlineData("Invoice", "Faktura 1001", "Invoice 1001")]
        [InlineData("Reminder", "Påminnelse 1001", "Payment reminder 1001")]
        [InlineData(null, "Dokument 1001", "Document 1001")]
        public void Every_type_has_a_Swedish_and_an_English_subject(string? type, string sv, string en)
        {
            Assert.Equal(sv, Compose(Message(Doc("1001", type))).Subject);
            Assert.Equal(en, Compose(Message(Doc("1001", type, "en"))).Subject);
            Assert.Equal(en, Compose(Message(Doc("1001", type)), o => o.Language = "en").Subject);
        }

        [Fact]
        public void Several_documents_get_the_plural_and_a_split_message_its_part()
        {
            var two = new[] { Doc("1001", "Faktura"), Doc("1002", "Faktura", index: 1) };
            Assert.Equal("Fakturor 1001, 1002", Compose(Message(two)).Subject);
            var part = new PlannedMessage(two, Kund, 2, 3);
            Assert.Equal("Fakturor 1001, 1002 (del 2 av 3)", Compose(part).Subject);
            Assert.Equal("Hej!\r\n\r\nBifogat finns fakturor 1001, 1002 (1001.pdf, 1002.pdf). Detta är del 2 av 3.\r\n", Compose(part).Body);

            var english = new[] { Doc("1001", "Invoice", "en"), Doc("1002", "Invoice", "en", index: 1) };
            var englishPart = new PlannedMessage(english, Kund, 2, 3);
            Assert.Equal("Invoices 1001, 1002 (part 2 of 3)", Compose(englishPart).Subject);
            Assert.Equal("Hello,\r\n\r\nPlease find attached invoices 1001, 1002 (1001.pdf, 1002.pdf). This is part 2 of 3.\r\n", Compose(englishPart).Body);
        }

        [Theory]
        [InlineData("Faktura", DocumentType.Invoice)]
        [InlineData("FAKTURA", DocumentType.Invoice)]
        [InlineData("Offert", DocumentType.Quote)]
        [InlineData("orderbekräftelse", DocumentType.OrderConfirmation)]
        [InlineData("Inköpsorder", DocumentType.PurchaseOrder)]
        [InlineData("Följesedel", DocumentType.DeliveryNote)]
        [InlineData("Påminnelse", DocumentType.Reminder)]
        [InlineData("Övrigt", DocumentType.Other)]
        [InlineData("Purchase order", DocumentType.PurchaseOrder)]
        [InlineData("order_confirmation", DocumentType.OrderConfirmation)]
        [InlineData("", DocumentType.Other)]
        [InlineData(null, DocumentType.Other)]
        public void Document_types_read_in_English_and_Swedish(string? text, DocumentType expected)
        {
            Assert.True(DocumentTypes.TryParse(text, out DocumentType type));
            Assert.Equal(expected, type);
        }

        [Fact]
        public void An_unknown_document_type_rejects_that_document_only()
        {
            string pdf = _folder.File("1.pdf", "x");
            var collector = new DocumentCollector();
            var rejection = collector.Add(new DocumentRequest { Paths = new[] { pdf }, To = new[] { "a@example.se" }, DocumentType = "Kvitto" });
            Assert.NotNull(rejection);
            Assert.Equal(ErrorIds.InvalidDocumentType, rejection!.Error.ErrorId);
            Assert.Contains("Kvitto", rejection.Error.Message);
            Assert.Null(collector.Add(new DocumentRequest { Paths = new[] { pdf }, To = new[] { "a@example.se" }, DocumentId = "2", DocumentType = "Faktura", InputIndex = 1 }));
            Assert.Equal(DocumentType.Invoice, Assert.Single(collector.Complete()).DocumentType);
        }

        [Fact]
        public void The_documents_own_subject_wins_over_the_call_which_wins_over_the_template()
        {
            var templates = Templates("{ \"sv\": { \"Invoice\": { \"Subject\": \"Mall {DocumentIds}\", \"Body\": \"Mallens text\" } } }");
            Assert.Equal("Mall 1001", Compose(Message(Doc("1001", "Invoice")), o => o.Templates = templates).Subject);
            Assert.Equal("Mallens text", Compose(Message(Doc("1001", "Invoice")), o => o.Templates = templates).Body);
            Assert.Equal("Anrop 1001", Compose(Message(Doc("1001", "Invoice")), o => { o.Templates = templates; o.SubjectTemplate = "Anrop {DocumentIds}"; }).Subject);
            var own = Message(Doc("1001", "Invoice", subject: "Egen {DocumentType} {DocumentIds}", body: "Egen text"));
            Assert.Equal("Egen Faktura 1001", Compose(own, o => { o.Templates = templates; o.SubjectTemplate = "Anrop"; o.Body = "Anropets text"; }).Subject);
            Assert.Equal("Egen text", Compose(own, o => { o.Templates = templates; o.Body = "Anropets text"; }).Body);
            // A type the template leaves out keeps its built-in text.
            Assert.Equal("Order 1001", Compose(Message(Doc("1001", "Order")), o => o.Templates = templates).Subject);
        }

        [Fact]
        public void A_template_adds_Norwegian_with_its_part_suffix_and_html_body()
        {
            var templates = Templates(
                "{ \"Placeholders\": [\"CustomerName\"], \"nb\": { \"PartSuffix\": \" (del {Part} av {PartCount})\", "
                + "\"Invoice\": { \"Subject\": \"Faktura {DocumentIds}\", \"Body\": \"<p>Hei {CustomerName}!</p>\", \"BodyAsHtml\": true }, "
                + "\"Other\": { \"Subject\": \"Dokument {DocumentIds} fra {From}\" } } }");
            var invoice = new PlannedMessage(new[] { Doc("1001", "Invoice", "nb-NO", properties: ("CustomerName", "Bergen <Fisk> AS")) }, Kund, 1, 2);
            OutgoingMessage message = Compose(invoice, o => o.Templates = templates);
            Assert.Equal("Faktura 1001 (del 1 av 2)", message.Subject);
            Assert.True(message.IsHtml);
            Assert.Equal("<p>Hei Bergen &lt;Fisk&gt; AS!</p>", message.Body);

            // nb has no Order text: the file's Other for nb; the body comes from the next language with one (MessageLanguage sv).
            OutgoingMessage order = Compose(Message(Doc("2001", "Order", "nb")), o => o.Templates = templates);
            Assert.Equal("Dokument 2001 fra Ölbryggeriet AB", order.Subject);
            Assert.Equal("Hej!\r\n\r\nBifogat finns order 2001 (2001.pdf).\r\n", order.Body);
        }

        [Theory]
        [InlineData("sv-SE", null, "Faktura 1")]
        [InlineData("EN", null, "Invoice 1")]
        [InlineData("de", null, "Faktura 1")]
        [InlineData("de", "en", "Invoice 1")]
        [InlineData("de", "fi", "Invoice 1")]
        [InlineData(null, "en-GB", "Invoice 1")]
        public void Languages_fall_back_to_MessageLanguage_then_English(string? language, string? messageLanguage, string expected)
        {
            Assert.Equal(expected, Compose(Message(Doc("1", "Invoice", language)), o => o.Language = messageLanguage ?? "sv").Subject);
        }

        [Fact]
        public void Input_properties_fill_placeholders_and_combined_documents_list_each_value_once()
        {
            var docs = new[]
            {
                Doc("1001", "Invoice", properties: new[] { ("CustomerName", (string?)"Åhus Trä AB"), ("Förfallodag", "2026-12-31") }),
                Doc("1002", "Invoice", index: 1, properties: new[] { ("customername", (string?)"Åhus Trä AB"), ("Förfallodag", "2027-01-15") }),
            };
            var message = Compose(Message(docs), o =>
            {
                o.SubjectTemplate = "{DocumentType} {DocumentIds} till {CUSTOMERNAME}";
                o.Body = "Förfaller {Förfallodag}. Filer: {Attachments}. Från {From}, del {Part}/{PartCount}. {ej en platshållare} {x:y}";
            });
            Assert.Equal("Fakturor 1001, 1002 till Åhus Trä AB", message.Subject);
            Assert.Equal("Förfaller 2026-12-31, 2027-01-15. Filer: 1001.pdf, 1002.pdf. Från Ölbryggeriet AB, del 1/1. {ej en platshållare} {x:y}", message.Body);
        }

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("  ")]
        public void A_placeholder_without_a_value_is_an_error_naming_the_document(string? value)
        {
            var plan = Message(Doc("1001", "Invoice", properties: ("CustomerName", value)));
            var ex = Assert.Throws<G5MailErrorException>(() => Compose(plan, o => o.SubjectTemplate = "Till {CustomerName}"));
            Assert.Equal(ErrorIds.MissingPlaceholderValue, ex.ErrorId);
            Assert.Contains("'1001'", ex.Message);
            Assert.Contains("{CustomerName}", ex.Message);
            var missing = Assert.Throws<G5MailErrorException>(() => Compose(Message(Doc("1002")), o => o.Body = "Hej {Kundnamn}"));
            Assert.Equal(ErrorIds.MissingPlaceholderValue, missing.ErrorId);
            Assert.Contains("body", missing.Message);
        }

        [Theory]
        [InlineData("{ \"nb\": { \"Invoice\": { \"Subject\": \"Faktura {Kundnamn}\" } } }", "nb.Invoice.Subject", "{Kundnamn}")]
        [InlineData("{ \"nb\": { \"Faktura\": { \"Subject\": \"x\" } } }", "nb.Faktura", "not a document type")]
        [InlineData("{ \"nb\": { \"Invoice\": { \"Subjekt\": \"x\" } } }", "nb.Invoice.Subjekt", "not known")]
        [InlineData("{ \"nb\": { \"Invoice\": { \"BodyAsHtml\": \"ja\" } } }", "nb.Invoice.BodyAsHtml", "true or false")]
        [InlineData("{ \"norsk bokmål\": { } }", "norsk bokmål", "not a language code")]
        [InlineData("{ \"nb\": { \"Invoice\": { \"Subject\": \"x\" } ", null, "not valid JSON")]
        [InlineData("[1, 2]", null, "one object")]
        public void A_bad_template_file_is_an_invalid_setting_naming_the_key(string json, string? key, string problem)
        {
            var ex = Assert.Throws<G5MailErrorException>(() => Templates(json));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Equal("TemplatePath", ex.Target);
            if (key != null)
            {
                Assert.Contains("'" + key, ex.Message);
            }

            Assert.Contains(problem, ex.Message);
        }

        [Fact]
        public void A_missing_template_file_is_an_invalid_setting()
        {
            var ex = Assert.Throws<G5MailErrorException>(() => SettingsValidator.Normalize("TemplatePath", Path.Combine(_folder.Path, "nej.json")));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Contains("does not exist", ex.Message);
        }

        [Fact]
        public void Declared_placeholders_and_a_byte_order_mark_are_accepted()
        {
            string path = _folder.File("t.json", new byte[] { 0xEF, 0xBB, 0xBF }.Concat(System.Text.Encoding.UTF8.GetBytes(
                "{ // kommentar\n \"Placeholders\": [\"Kundnamn\"], \"sv\": { \"Reminder\": { \"Body\": \"Hej {Kundnamn}\" } }, }")).ToArray());
            Assert.Equal(path, SettingsValidator.Normalize("TemplatePath", path));
            Assert.Equal(new[] { "Kundnamn" }, MessageTemplates.Load(path).DeclaredPlaceholders);
        }

        [Fact]
        public void Only_documents_with_the_same_type_language_and_texts_share_a_message()
        {
            var docs = new[]
            {
                Doc("1", "Invoice", index: 0),
                Doc("2", "Invoice", index: 1),
                Doc("3", "Order", index: 2),
                Doc("4", "Invoice", "en", index: 3),
                Doc("5", "Invoice", subject: "Egen", index: 4),
                Doc("6", "Faktura", "SV", index: 5),
                Doc("7", "Order", index: 6),
            };
            var plan = MessagePlanner.Plan(docs, combine: true, limitBytes: 1_000_000);
            Assert.Equal(new[] { "1,2", "3,7", "4", "5", "6" }, plan.Select(m => string.Join(",", m.DocumentIds)));
        }

        [Fact]
        public void Types_not_named_in_CombineDocumentTypes_travel_alone()
        {
            var docs = new[]
            {
                Doc("P1", "PurchaseOrder", index: 0), Doc("F1", "Invoice", index: 1), Doc("P2", "Inköpsorder", index: 2), Doc("F2", "Invoice", index: 3),
            };
            var plan = MessagePlanner.Plan(docs, true, 1_000_000, new[] { DocumentType.PurchaseOrder });
            Assert.Equal(new[] { "P1,P2", "F1", "F2" }, plan.Select(m => string.Join(",", m.DocumentIds)));
            Assert.Equal("Inköpsorder P1, P2", Compose(plan[0]).Subject);
            var all = MessagePlanner.Plan(docs, true, 1_000_000);
            Assert.Equal(new[] { "P1,P2", "F1,F2" }, all.Select(m => string.Join(",", m.DocumentIds)));
            Assert.Equal(4, MessagePlanner.Plan(docs, false, 1_000_000, new[] { DocumentType.PurchaseOrder }).Count);
        }

        [Fact]
        public void A_combinable_type_still_splits_optimally_and_never_splits_one_document()
        {
            var docs = Enumerable.Range(0, 4).Select(i => new Document("P" + i,
                new[] { new DocumentFile("/data/P" + i + ".pdf", 600, "application/pdf") }, Kund, i,
                new[] { new DocumentRequest { DocumentType = "PurchaseOrder" } })).ToList();
            docs.Add(new Document("big", new[] { new DocumentFile("/data/big.pdf", 5000, "application/pdf") }, Kund, 4,
                new[] { new DocumentRequest { DocumentType = "PurchaseOrder" } }));
            var plan = MessagePlanner.Plan(docs, true, 1000, new[] { DocumentType.PurchaseOrder });
            Assert.Equal(5, plan.Count);
            Assert.All(plan, m => Assert.Equal(5, m.PartCount));
            Assert.Contains(plan, m => m.DocumentIds.SequenceEqual(new[] { "big" }));
        }

        [Theory]
        [InlineData("PurchaseOrder", new[] { DocumentType.PurchaseOrder })]
        [InlineData("Faktura, Order", new[] { DocumentType.Order, DocumentType.Invoice })]
        [InlineData("invoice;INVOICE;Inköpsorder", new[] { DocumentType.PurchaseOrder, DocumentType.Invoice })]
        public void CombineDocumentTypes_reads_names_in_both_languages(string text, DocumentType[] expected)
        {
            Assert.Equal(expected, SettingsValidator.Normalize("CombineDocumentTypes", text));
            Assert.Equal(expected, SettingsValidator.Normalize("CombineDocumentTypes", text.Split(',', ';')));
        }

        [Theory]
        [InlineData("CombineDocumentTypes", "Kvitto")]
        [InlineData("CombineDocumentTypes", "")]
        [InlineData("MessageLanguage", "svenska språket")]
        [InlineData("MessageLanguage", "s")]
        public void Bad_values_of_the_new_settings_are_invalid(string name, string value)
        {
            var ex = Assert.Throws<G5MailErrorException>(() => SettingsValidator.Normalize(name, value));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Equal(name, ex.Target);
        }

        [Fact]
        public void MessageLanguage_is_stored_in_lower_case()
        {
            Assert.Equal("sv-se", SettingsValidator.Normalize("MessageLanguage", " sv_SE "));
            Assert.Equal("nb", SettingsValidator.Normalize("MessageLanguage", "NB"));
        }

        private MessageTemplates Templates(string json) => MessageTemplates.Load(_folder.File("t" + Guid.NewGuid().ToString("N") + ".json", json));
    }
}
