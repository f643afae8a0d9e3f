using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Imap;
using MailKit.Security;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Imap
{
    /// <summary>Test-G5MailServer -Imap against <see cref="MiniImapServer"/> (TLS cases run against smtp4dev behind the TLS front in Pester).</summary>
    public sealed class ImapServerProbeTests : IDisposable
    {
        private readonly MiniImapServer _server = new MiniImapServer();

        public void Dispose() => _server.Dispose();

        private ServerProbeRequest Request(string password = "secret", bool skipAuthentication = false) => new ServerProbeRequest(new SettingValues
        {
            Method = MailMethod.Smtp,
            Server = "smtp.example.com",
            ImapServer = "127.0.0.1",
            ImapPort = _server.Port,
            Credential = new NetworkCredential("alice", password),
        }, TimeSpan.FromSeconds(10), skipAuthentication);

        private static string[] Codes(ServerTestResult result) => result.Findings.Select(f => f.Code).ToArray();

        [Fact]
        public async Task A_working_server_is_reachable_signed_in_once_and_its_inbox_opened_read_only()
        {
            _server.Inbox.Add("one", DateTimeOffset.UtcNow);
            ServerTestResult result = await new ImapServerProbe().ProbeAsync(Request(), CancellationToken.None);

            Assert.True(result.Success, string.Join(" | ", result.Findings));
            Assert.Equal($"127.0.0.1:{_server.Port}, IMAP, STARTTLS if offered", result.Endpoint);
            Assert.Equal("127.0.0.1", result.Server);
            Assert.True(result.Reachable);
            Assert.True(result.Authenticated);
            Assert.Contains("IMAP4REV1", result.Capabilities);
            Assert.Equal(new[] { ServerFindingCodes.Connected, ServerFindingCodes.ServerReady, ServerFindingCodes.TlsNotOffered,
                ServerFindingCodes.AuthenticationSucceeded, ServerFindingCodes.MailboxFound }, Codes(result).Where(c => c != ServerFindingCodes.HostResolved));
            Assert.Equal(1, _server.Logins);
            Assert.Contains("EXAMINE INBOX", _server.Transcript);
            Assert.DoesNotContain(_server.Transcript, c => c.StartsWith("SELECT", StringComparison.Ordinal));
        }

        [Fact]
        public async Task A_wrong_password_is_AuthenticationRejected_after_one_login()
        {
            ServerTestResult result = await new ImapServerProbe().ProbeAsync(Request("wrong"), CancellationToken.None);
            Assert.False(result.Success);
            Assert.False(result.Authenticated);
            Assert.Contains(ServerFindingCodes.AuthenticationRejected, Codes(result));
            Assert.Equal(1, _server.Logins);
            Assert.DoesNotContain(result.Findings, f => f.Message.Contains("wrong"));
        }

        [Fact]
        public async Task SkipAuthentication_signs_nothing_in()
        {
            ServerTestResult result = await new ImapServerProbe().ProbeAsync(Request(skipAuthentication: true), CancellationToken.None);
            Assert.True(result.Success);
            Assert.Null(result.Authenticated);
            Assert.Contains(ServerFindingCodes.AuthenticationSkipped, Codes(result));
            Assert.Equal(0, _server.Logins);
        }

        [Fact]
        public async Task STARTTLS_required_of_a_server_without_it_is_an_error_before_any_login()
        {
            var endpoint = new ImapEndpoint("127.0.0.1", _server.Port, SecureSocketOptions.StartTls);
            ServerTestResult result = await new ImapServerProbe().ProbeAsync(Request(), endpoint, CancellationToken.None);
            Assert.Contains(ServerFindingCodes.StartTlsNotOffered, Codes(result));
            Assert.False(result.Success);
            Assert.Equal(0, _server.Logins);
        }

        [Fact]
        public async Task A_closed_port_is_ConnectionRefused()
        {
            int port;
            using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var request = new ServerProbeRequest(new SettingValues { Method = MailMethod.Smtp, Server = "127.0.0.1", ImapPort = port }, TimeSpan.FromSeconds(5), false);
            ServerTestResult result = await new ImapServerProbe().ProbeAsync(request, CancellationToken.None);
            Assert.False(result.Reachable);
            Assert.Contains(ServerFindingCodes.ConnectionRefused, Codes(result));
        }

        [Fact]
        public async Task ServerTest_with_imap_runs_this_probe_for_Smtp_and_refuses_other_methods()
        {
            var test = ServerTest.CreateDefault();
            ServerTestResult smtp = await test.RunAsync(Request().Settings, Array.Empty<Finding>(), TimeSpan.FromSeconds(10), false, CancellationToken.None, imap: true);
            Assert.Equal($"127.0.0.1:{_server.Port}, IMAP, STARTTLS if offered", smtp.Endpoint);

            var graph = new SettingValues { Method = MailMethod.ExchangeOnline };
            ServerTestResult other = await test.RunAsync(graph, Array.Empty<Finding>(), TimeSpan.FromSeconds(10), false, CancellationToken.None, imap: true);
            Assert.Contains(ServerFindingCodes.MethodNotSupported, Codes(other));
        }
    }
}
