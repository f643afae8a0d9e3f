using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.Core.Tests.Transports.ExchangeOnline
{
    /// <summary>What the Graph reader does with answers the stand-in never gives: a next page on another host, property ids in Graph's own case.</summary>
    public sealed class GraphMailboxReaderTests
    {
        private sealed class Tokens : IAccessTokenSource
        {
            public Task<AccessToken> GetTokenAsync(TokenAudience audience, CancellationToken cancellationToken) =>
                Task.FromResult(new AccessToken("token-value", DateTimeOffset.UtcNow.AddHours(1), ExoTestData.AppClaims("Mail.Read")));

            public Task<AccessToken> RefreshTokenAsync(TokenAudience audience, AccessToken rejected, string? claims, CancellationToken cancellationToken) =>
                GetTokenAsync(audience, cancellationToken);
        }

        /// <summary>Answers every request with the next canned JSON, and notes where each went and with which Authorization.</summary>
        private sealed class Canned : HttpMessageHandler
        {
            private readonly Queue<string> _answers;

            public Canned(params string[] answers) => _answers = new Queue<string>(answers);

            public List<(Uri Uri, string? Authorization)> Requests { get; } = new List<(Uri, string?)>();

            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                Requests.Add((request.RequestUri!, request.Headers.Authorization?.ToString()));
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(_answers.Dequeue(), Encoding.UTF8, "application/json") });
            }
        }

        private const string Inbox = "{\"id\":\"AAMkINBOX=\",\"displayName\":\"Inkorgen\"}";

        private static string Page(string? next) =>
            "{\"value\":[{\"id\":\"AAMk1=\",\"subject\":\"Faktura\",\"receivedDateTime\":\"2026-03-02T08:00:00Z\",\"internetMessageId\":\"<a@b>\"," +
            "\"singleValueExtendedProperties\":[{\"id\":\"Integer 0xe08\",\"value\":\"4711\"},{\"id\":\"String 0x1A\",\"value\":\"REPORT.IPM.Note.NDR\"}]}]" +
            (next == null ? string.Empty : ",\"@odata.nextLink\":\"" + next + "\"") + "}";

        [Fact]
        public async Task A_next_page_on_another_host_is_refused_and_gets_no_token()
        {
            var handler = new Canned(Inbox, Page("https://evil.example/v1.0/users/x/messages?$skip=1"));
            using var reader = new GraphMailboxReader(ExoTestData.Options(), new Tokens(), NullRunLog.Instance, "order@contoso.com", handler);
            Assert.Equal("Inkorgen", await reader.OpenFolderAsync(FolderPath.Inbox, false, default));

            var refused = await Assert.ThrowsAsync<G5MailErrorException>(() => reader.ListAsync(new MailQuery(), default));
            Assert.Equal(ErrorIds.ConnectionFailed, refused.ErrorId);
            Assert.Equal(2, handler.Requests.Count);
            Assert.All(handler.Requests, r => Assert.Equal("graph.microsoft.com", r.Uri.Host));
        }

        [Fact]
        public async Task The_listing_query_filters_receivedDateTime_first_and_reads_property_ids_by_tag()
        {
            var handler = new Canned(Inbox, Page(null));
            using var reader = new GraphMailboxReader(ExoTestData.Options(), new Tokens(), NullRunLog.Instance, "order@contoso.com", handler);
            await reader.OpenFolderAsync(FolderPath.Inbox, false, default);
            MailSummary message = Assert.Single(await reader.ListAsync(new MailQuery { UnreadOnly = true, First = 5 }, default));

            Assert.Equal(4711, message.Size);
            Assert.True(message.IsDeliveryReport);
            Assert.Equal("a@b", message.MessageId);
            string query = Uri.UnescapeDataString(handler.Requests[1].Uri.Query);
            Assert.Contains("$filter=receivedDateTime ge 1900-01-01T00:00:00Z and isRead eq false", query);
            Assert.Contains("$orderby=receivedDateTime asc", query);
            Assert.Contains("$top=5", query);
            Assert.Contains("$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E08' or id eq 'String 0x001A')", query);
            Assert.StartsWith("https://graph.microsoft.com/v1.0/users/order%40contoso.com/mailFolders/AAMkINBOX%3D/messages?", handler.Requests[1].Uri.OriginalString, StringComparison.Ordinal);
        }
    }
}
