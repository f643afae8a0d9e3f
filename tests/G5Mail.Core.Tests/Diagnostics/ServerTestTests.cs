using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Smtp;
using Xunit;

namespace G5Mail.Core.Tests.Diagnostics
{
    public class ServerTestTests
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

        [Fact]
        public async Task NoMethod_IsMethodNotSet()
        {
            ServerTestResult result = await ServerTest.CreateDefault().RunAsync(new SettingValues(), Array.Empty<Finding>(), Timeout, false,
                CancellationToken.None);

            Assert.False(result.Success);
            Assert.Equal(ServerFindingCodes.MethodNotSet, Assert.Single(result.Findings).Code);
        }

        [Fact]
        public async Task NoMethod_AlreadyReportedByTheSettings_IsSaidOnce()
        {
            var settingsFinding = new Finding(FindingSeverity.Error, "MethodMissing", "Method", "Method is not set.");
            ServerTestResult result = await ServerTest.CreateDefault().RunAsync(new SettingValues(), new[] { settingsFinding }, Timeout, false,
                CancellationToken.None);

            Assert.Same(settingsFinding, Assert.Single(result.Findings));
        }

        /// <summary>
        /// Test-G5MailServer reports the Microsoft 365 retirement findings of the settings before what the server said,
        /// whatever the probe found. A probe that connects nowhere stands in for the SMTP one: the test must not look up
        /// or reach Microsoft's hosts (the network here is loopback only).
        /// </summary>
        [Theory]
        [InlineData(MailMethod.Smtp, "smtp.office365.com", "SmtpBasicAuthRetiring")]
        [InlineData(MailMethod.Exchange, "https://outlook.office365.com/EWS/Exchange.asmx", "EwsRetiring")]
        public async Task RetirementFindings_OfTheSettings_LeadTheResult(MailMethod method, string server, string code)
        {
            var settings = new SettingValues
            {
                Method = method,
                Server = server,
                From = "sales@contoso.com",
                Credential = new System.Net.NetworkCredential("sales@contoso.com", "x"),
            };
            IReadOnlyList<Finding> findings = SettingsFindings.Evaluate(settings, new Dictionary<string, SettingSource>());
            var probe = new UnreachableProbe(method);

            ServerTestResult result = await new ServerTest(new IServerProbe[] { probe }).RunAsync(settings, findings, Timeout, true, CancellationToken.None);

            Assert.True(probe.Called);
            Assert.Equal(code, result.Findings.First(f => f.Code == code || f.Code == ServerFindingCodes.ConnectionRefused).Code);
            Assert.Contains(result.Findings, f => f.Code == ServerFindingCodes.ConnectionRefused);
        }

        private sealed class UnreachableProbe : IServerProbe
        {
            public UnreachableProbe(MailMethod method)
            {
                Method = method;
            }

            public MailMethod Method { get; }

            public bool Called { get; private set; }

            public Task<ServerTestResult> ProbeAsync(ServerProbeRequest request, CancellationToken cancellationToken)
            {
                Called = true;
                var result = new ServerTestResult(Method);
                result.Error(ServerFindingCodes.ConnectionRefused, "Port", "Refused (a stand-in probe).");
                return Task.FromResult(result);
            }
        }

        [Fact]
        public async Task MethodWithoutProbe_IsMethodNotSupported()
        {
            // A test built with the SMTP probe only: every method of the default build has a probe.
            ServerTestResult result = await new ServerTest(new IServerProbe[] { new SmtpServerProbe() }).RunAsync(
                new SettingValues { Method = MailMethod.Outlook }, Array.Empty<Finding>(), Timeout, false, CancellationToken.None);

            Finding finding = Assert.Single(result.Findings);
            Assert.Equal(ServerFindingCodes.MethodNotSupported, finding.Code);
            Assert.Contains("Outlook", finding.Message);
            Assert.Contains("Smtp", finding.Message);
        }

        [Fact]
        public async Task SettingsFindings_ComeFirst_AndAWarningKeepsSuccess()
        {
            var warning = new Finding(FindingSeverity.Warning, "SomeWarning", "Port", "Port 25 with UseSsl: did you mean 587?");
            var probe = new RecordingProbe();
            var test = new ServerTest(new IServerProbe[] { probe });
            var settings = new SettingValues { Method = MailMethod.Smtp, Server = "mail.example.com" };

            ServerTestResult result = await test.RunAsync(settings, new[] { warning }, Timeout, skipAuthentication: true, CancellationToken.None);

            Assert.Equal(new[] { "SomeWarning", "ProbeRan" }, result.Findings.Select(f => f.Code));
            Assert.True(result.Success);
            Assert.Same(settings, probe.Request!.Settings);
            Assert.True(probe.Request.SkipAuthentication);
            Assert.Equal(Timeout, probe.Request.Timeout);
        }

        [Fact]
        public async Task SettingsErrors_DoNotStopTheServerCheck()
        {
            var error = new Finding(FindingSeverity.Error, "FromMissing", "From", "No sender address is set.");
            var probe = new RecordingProbe();
            ServerTestResult result = await new ServerTest(new IServerProbe[] { probe }).RunAsync(
                new SettingValues { Method = MailMethod.Smtp }, new[] { error }, Timeout, false, CancellationToken.None);

            Assert.NotNull(probe.Request);
            Assert.False(result.Success);
            Assert.Equal("FromMissing", result.Findings[0].Code);
        }

        /// <summary>Stands in for a method's probe to check what the orchestration passes and keeps.</summary>
        private sealed class RecordingProbe : IServerProbe
        {
            public ServerProbeRequest? Request { get; private set; }

            public MailMethod Method => MailMethod.Smtp;

            public Task<ServerTestResult> ProbeAsync(ServerProbeRequest request, CancellationToken cancellationToken)
            {
                Request = request;
                var result = new ServerTestResult(MailMethod.Smtp);
                result.Information("ProbeRan", null, "ran");
                return Task.FromResult(result);
            }
        }
    }
}
