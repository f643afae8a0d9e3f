using System;
using System.IO;
using System.Linq;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using Xunit;

namespace G5Mail.Core.Tests.Documents
{
    public sealed class DocumentCollectorTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        private static DocumentRequest Request(int index, string[] paths, string[]? to = null, string? id = null, string[]? cc = null, string[]? bcc = null) =>
            new DocumentRequest
            {
                Paths = paths,
                To = to ?? Array.Empty<string>(),
                Cc = cc ?? Array.Empty<string>(),
                Bcc = bcc ?? Array.Empty<string>(),
                DocumentId = id,
                InputIndex = index,
                Source = "record " + index,
            };

        [Fact]
        public void Pdf_and_xml_of_the_same_number_given_separately_become_one_document()
        {
            var pdf = _folder.RandomFile("1001.pdf", 1000, 1);
            var xml = _folder.File("1001.xml", "<Order>1001</Order>");
            var other = _folder.RandomFile("1002.pdf", 500, 2);

            var documents = DocumentCollector.Collect(
                new[]
                {
                    Request(0, new[] { pdf }, new[] { "kund@example.se" }),
                    Request(1, new[] { other }, new[] { "kund@example.se" }),
                    Request(2, new[] { xml }, new[] { "kund@example.se" }),
                },
                out var rejections);

            Assert.Empty(rejections);
            Assert.Equal(2, documents.Count);
            var order = documents[0];
            Assert.Equal("1001", order.DocumentId);
            Assert.Equal(0, order.InputIndex);
            Assert.Equal(new[] { "1001.pdf", "1001.xml" }, order.Files.Select(f => f.FileName));
            Assert.Equal(new[] { "application/pdf", "application/xml" }, order.Files.Select(f => f.ContentType));
            Assert.Equal(1000 + new FileInfo(xml).Length, order.TotalBytes);
            Assert.Equal(new object?[] { "record 0", "record 2" }, order.Requests.Select(r => r.Source));
            Assert.Equal("1002", documents[1].DocumentId);
        }

        [Fact]
        public void Same_number_to_other_recipients_is_another_document()
        {
            var pdf = _folder.RandomFile("1001.pdf", 10, 1);
            var xml = _folder.File("1001.xml", "<x/>");

            var documents = DocumentCollector.Collect(
                new[] { Request(0, new[] { pdf }, new[] { "a@example.se" }), Request(1, new[] { xml }, new[] { "b@example.se" }) },
                out _);

            Assert.Equal(2, documents.Count);
            Assert.All(documents, d => Assert.Equal("1001", d.DocumentId));
        }

        [Fact]
        public void An_explicit_document_id_joins_files_with_other_names()
        {
            var invoice = _folder.RandomFile("faktura.pdf", 10, 1);
            var appendix = _folder.RandomFile("bilaga.pdf", 10, 2);
            var lone = _folder.RandomFile("faktura2.pdf", 10, 3);

            var documents = DocumentCollector.Collect(
                new[]
                {
                    Request(0, new[] { invoice }, new[] { "kund@example.se" }, id: "5001"),
                    Request(1, new[] { appendix }, new[] { "kund@example.se" }, id: " 5001 "),
                    Request(2, new[] { lone }, new[] { "kund@example.se" }, id: "  "),
                },
                out _);

            Assert.Equal(2, documents.Count);
            Assert.Equal("5001", documents[0].DocumentId);
            Assert.Equal(new[] { "faktura.pdf", "bilaga.pdf" }, documents[0].Files.Select(f => f.FileName));
            Assert.Equal("faktura2", documents[1].DocumentId); // blank id: from the file name
        }

        [Fact]
        public void Recipient_keys_ignore_case_order_and_field()
        {
            var pdf = _folder.RandomFile("1001.pdf", 10, 1);
            var xml = _folder.File("1001.xml", "<x/>");

            var documents = DocumentCollector.Collect(
                new[]
                {
                    Request(0, new[] { pdf }, new[] { "Kund@Example.SE", "inkop@example.se" }),
                    Request(1, new[] { xml }, new[] { "inkop@example.se" }, cc: new[] { "kund@example.se" }),
                },
                out _);

            var document = Assert.Single(documents);
            Assert.Equal(2, document.Files.Count);
            Assert.Equal("inkop@example.se;kund@example.se", document.Recipients.Key);
            // The first request's spelling and fields are kept.
            Assert.Equal(new[] { "Kund@Example.SE", "inkop@example.se" }, document.Recipients.To);
        }

        [Fact]
        public void Recipients_are_split_and_listed_once()
        {
            var set = RecipientSet.Parse(
                new[] { "a@example.se; \"Svensson, Anna\" <anna@example.se>", "A@example.se", "" },
                new[] { "anna@example.se", "c@example.se" },
                new[] { "c@example.se", "Örjan <orjan@example.se>" });

            Assert.Equal(new[] { "a@example.se", "\"Svensson, Anna\" <anna@example.se>" }, set.To);
            Assert.Equal(new[] { "c@example.se" }, set.Cc);
            Assert.Equal(new[] { "\"Örjan\" <orjan@example.se>" }, set.Bcc);
            Assert.Equal(new[] { "a@example.se", "anna@example.se", "c@example.se", "orjan@example.se" }, set.Addresses);
            Assert.Equal(set, RecipientSet.Parse(new[] { "ORJAN@example.se, c@example.se, anna@example.se, a@example.se" }));
        }

        [Fact]
        public void A_document_without_any_recipient_is_rejected_with_MissingRecipient()
        {
            var pdf = _folder.RandomFile("1001.pdf", 10, 1);
            var collector = new DocumentCollector();

            var rejection = collector.Add(Request(0, new[] { pdf }, new[] { "", "  " }));

            Assert.NotNull(rejection);
            Assert.Equal(ErrorIds.MissingRecipient, rejection!.Error.ErrorId);
            Assert.Equal(ErrorKind.InvalidArgument, rejection.Error.Kind);
            Assert.Equal("1001", rejection.DocumentId);
            Assert.Contains("1001", rejection.Error.Message);
            Assert.Contains("-To", rejection.Error.Message);
            Assert.Empty(collector.Complete());
            Assert.Same(rejection, Assert.Single(collector.Rejections));
        }

        [Theory]
        [InlineData("kund@@example.se")]
        [InlineData("kund")]
        [InlineData("kund@")]
        [InlineData("@example.se")]
        [InlineData("kund example.se")]
        [InlineData("Kund <kund@example..se>")]
        public void A_bad_address_is_rejected_with_InvalidAddress_naming_it(string bad)
        {
            var pdf = _folder.RandomFile("1001.pdf", 10, 1);
            var collector = new DocumentCollector();

            var rejection = collector.Add(Request(0, new[] { pdf }, new[] { "ok@example.se" }, cc: new[] { bad }));

            Assert.NotNull(rejection);
            Assert.Equal(ErrorIds.InvalidAddress, rejection!.Error.ErrorId);
            Assert.Contains("'" + bad + "'", rejection.Error.Message);
            Assert.Equal(bad, rejection.Error.Target);
        }

        [Fact]
        public void A_missing_file_is_rejected_with_FileNotFound_naming_the_path_and_others_go_on()
        {
            var good = _folder.RandomFile("1001.pdf", 10, 1);
            var missing = Path.Combine(_folder.Path, "1002.pdf");
            var collector = new DocumentCollector();

            Assert.Null(collector.Add(Request(0, new[] { good }, new[] { "kund@example.se" })));
            var rejection = collector.Add(Request(1, new[] { missing }, new[] { "kund@example.se" }));
            var folder = collector.Add(Request(2, new[] { _folder.Path }, new[] { "kund@example.se" }, id: "2003"));
            var empty = collector.Add(Request(3, Array.Empty<string>(), new[] { "kund@example.se" }, id: "2004"));

            Assert.Equal(ErrorIds.FileNotFound, rejection!.Error.ErrorId);
            Assert.Equal(ErrorKind.ObjectNotFound, rejection.Error.Kind);
            Assert.Contains(missing, rejection.Error.Message);
            Assert.Equal(missing, rejection.Error.Target);
            Assert.Equal("1002", rejection.DocumentId);
            Assert.Equal(ErrorIds.FileNotFound, folder!.Error.ErrorId);
            Assert.Contains("folder", folder.Error.Message);
            Assert.Equal(ErrorIds.FileNotFound, empty!.Error.ErrorId);
            Assert.Contains("-Path", empty.Error.Message);
            Assert.Equal("1001", Assert.Single(collector.Complete()).DocumentId);
            Assert.Equal(3, collector.Rejections.Count);
        }

        [Fact]
        public void The_same_file_given_twice_is_attached_once()
        {
            var pdf = _folder.RandomFile("1001.pdf", 10, 1);
            var relative = Path.Combine(_folder.Path, ".", "1001.pdf");

            var documents = DocumentCollector.Collect(
                new[]
                {
                    Request(0, new[] { pdf, pdf }, new[] { "kund@example.se" }),
                    Request(1, new[] { relative }, new[] { "kund@example.se" }),
                },
                out _);

            var file = Assert.Single(Assert.Single(documents).Files);
            Assert.Equal(pdf, file.FullPath);
            Assert.Equal(2, documents[0].Requests.Count);
        }

        [Fact]
        public void Content_types_follow_the_extension()
        {
            Assert.Equal("application/pdf", DocumentFile.ContentTypeFor("A.PDF"));
            Assert.Equal("application/xml", DocumentFile.ContentTypeFor("order.Xml"));
            Assert.Equal("text/plain", DocumentFile.ContentTypeFor("readme.txt"));
            Assert.Equal("application/octet-stream", DocumentFile.ContentTypeFor("data.unknownext"));
        }

        [Fact]
        public void Adding_after_complete_is_an_error()
        {
            var collector = new DocumentCollector();
            collector.Complete();
            Assert.Throws<InvalidOperationException>(() => collector.Add(new DocumentRequest()));
        }

        [Fact]
        public void Documents_come_out_in_input_order()
        {
            var a = _folder.RandomFile("a.pdf", 10, 1);
            var b = _folder.RandomFile("b.pdf", 10, 2);

            var documents = DocumentCollector.Collect(
                new[] { Request(5, new[] { a }, new[] { "k@example.se" }), Request(2, new[] { b }, new[] { "k@example.se" }) },
                out _);

            Assert.Equal(new[] { "b", "a" }, documents.Select(d => d.DocumentId));
        }
    }
}
