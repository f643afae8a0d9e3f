using System;
using System.Linq;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.Core.Tests.Transports.ExchangeOnline
{
    public sealed class GraphSendPlanTests
    {
        private const long MiB = 1_048_576;
        private static readonly GraphLimits Limits = GraphLimits.Default;

        private static DocumentFile File(string name, long length) => new DocumentFile("/docs/" + name, length, "application/pdf");

        private static long Overhead(DocumentFile f) => 120 + f.FileName.Length;

        [Fact]
        public void A_chunk_is_the_largest_multiple_of_320_KiB_under_4_MiB()
        {
            Assert.Equal(3_932_160, Limits.ChunkBytes);
            Assert.Equal(0, Limits.ChunkBytes % (320 * 1024));
            Assert.True(Limits.ChunkBytes < 4 * MiB);
        }

        [Fact]
        public void A_20_MiB_file_is_uploaded_in_six_contiguous_ranges_all_but_the_last_full()
        {
            long size = 20 * MiB;
            var chunks = GraphSendPlan.Chunks(size, Limits);

            Assert.Equal(6, chunks.Count);
            Assert.All(chunks.Take(5), c => Assert.Equal(Limits.ChunkBytes, c.Length));
            Assert.Equal(size - 5 * Limits.ChunkBytes, chunks[5].Length);
            long next = 0;
            foreach (UploadChunk c in chunks)
            {
                Assert.Equal(next, c.Offset);
                Assert.Equal(size, c.Total);
                Assert.True(c.Length < 4 * MiB);
                next += c.Length;
            }

            Assert.Equal(size, next);
            Assert.Equal("bytes 0-3932159/20971520", chunks[0].ContentRange);
            Assert.Equal("bytes 19660800-20971519/20971520", chunks[5].ContentRange);
        }

        [Theory]
        [InlineData(1, 1)]
        [InlineData(3_932_160, 1)]
        [InlineData(3_932_161, 2)]
        [InlineData(7_864_320, 2)]
        [InlineData(157_286_400, 40)]
        public void Chunk_counts(long size, int expected)
        {
            var chunks = GraphSendPlan.Chunks(size, Limits);
            Assert.Equal(expected, chunks.Count);
            Assert.Equal(size, chunks.Sum(c => c.Length));
        }

        [Fact]
        public void An_empty_upload_is_refused()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => GraphSendPlan.Chunks(0, Limits));
        }

        [Fact]
        public void Small_files_that_fit_in_one_request_go_inline_with_sendMail()
        {
            var files = new[] { File("1001.pdf", 900_000), File("1001.xml", 20_000) };

            GraphSendPlan plan = GraphSendPlan.Create(files, 2_000, Overhead, Limits);

            Assert.False(plan.UseDraft);
            Assert.All(plan.Attachments, a => Assert.Equal(AttachmentRoute.Inline, a.Route));
            Assert.Equal(files, plan.Inline);
        }

        [Fact]
        public void A_file_of_3_MiB_or_more_goes_through_an_upload_session_and_a_small_one_before_it_stays_inline()
        {
            var files = new[] { File("big.xml", 10_000), File("big.pdf", 3 * MiB) };

            GraphSendPlan plan = GraphSendPlan.Create(files, 2_000, Overhead, Limits);

            Assert.True(plan.UseDraft);
            Assert.Equal(AttachmentRoute.Inline, plan.Attachments[0].Route);
            Assert.Equal(AttachmentRoute.Upload, plan.Attachments[1].Route);
        }

        [Fact]
        public void Files_after_a_large_one_are_attached_separately_so_the_order_stays()
        {
            var files = new[] { File("small1.pdf", 1_000), File("big.pdf", 3 * MiB), File("small2.xml", 1_000) };

            GraphSendPlan plan = GraphSendPlan.Create(files, 2_000, Overhead, Limits);

            Assert.Equal(files, plan.Attachments.Select(a => a.File));
            Assert.Equal(new[] { AttachmentRoute.Inline, AttachmentRoute.Upload, AttachmentRoute.Post }, plan.Attachments.Select(a => a.Route));
        }

        [Fact]
        public void Small_files_over_4_MiB_together_fill_the_draft_and_the_rest_are_posted_one_by_one()
        {
            // 1.5 MiB becomes 2 MiB of base64: one fits in the request, the second would pass 4 MiB.
            var files = new[] { File("a.pdf", 1_572_864), File("b.pdf", 1_572_864), File("c.pdf", 1_572_864) };

            GraphSendPlan plan = GraphSendPlan.Create(files, 2_000, Overhead, Limits);

            Assert.True(plan.UseDraft);
            Assert.Equal(new[] { AttachmentRoute.Inline, AttachmentRoute.Post, AttachmentRoute.Post }, plan.Attachments.Select(a => a.Route));
        }

        [Fact]
        public void The_inline_budget_counts_the_message_itself()
        {
            long file = 2_000_000;
            long element = Overhead(File("a.pdf", file)) + GraphSendPlan.Base64Length(file) + 1;

            Assert.False(GraphSendPlan.Create(new[] { File("a.pdf", file) }, Limits.MaxRequestBytes - element, Overhead, Limits).UseDraft);
            Assert.True(GraphSendPlan.Create(new[] { File("a.pdf", file) }, Limits.MaxRequestBytes - element + 1, Overhead, Limits).UseDraft);
        }

        [Fact]
        public void A_file_over_150_MiB_is_MessageTooLarge()
        {
            var error = Assert.Throws<G5MailErrorException>(() => GraphSendPlan.Create(new[] { File("huge.pdf", 150 * MiB + 1) }, 2_000, Overhead, Limits));
            Assert.Equal(ErrorIds.MessageTooLarge, error.ErrorId);
            Assert.Contains("150", error.Message);
        }

        [Fact]
        public void A_file_just_under_3_MiB_that_fits_no_request_and_no_upload_session_is_MessageTooLarge_not_a_failed_request()
        {
            var error = Assert.Throws<G5MailErrorException>(() => GraphSendPlan.Create(new[] { File("edge.pdf", 3 * MiB - 10) }, 2_000, Overhead, Limits));
            Assert.Equal(ErrorIds.MessageTooLarge, error.ErrorId);
            Assert.Contains("ExchangeOnlineProtocol Smtp", error.Message);
        }

        [Theory]
        [InlineData(0, 0)]
        [InlineData(1, 4)]
        [InlineData(3, 4)]
        [InlineData(4, 8)]
        [InlineData(3_145_728, 4_194_304)]
        public void Base64_length_is_four_characters_per_three_bytes_padded(long bytes, long expected)
        {
            Assert.Equal(expected, GraphSendPlan.Base64Length(bytes));
        }
    }
}
