using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Outlook;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Outlook
{
    public sealed class OutlookServerProbeTests
    {
        private static readonly ServerProbeRequest Request = new ServerProbeRequest(new SettingValues { Method = MailMethod.Outlook }, TimeSpan.FromSeconds(5), false);

        private static Task<ServerTestResult> Probe(RecordingOutlook host) => new OutlookServerProbe(host).ProbeAsync(Request, CancellationToken.None);

        [Fact]
        public async Task Registered_Outlook_is_reported_with_its_version_without_starting_it()
        {
            var host = new RecordingOutlook();

            ServerTestResult result = await Probe(host);

            Assert.True(result.Success);
            Assert.True(result.Reachable);
            Assert.Equal("Outlook 16.0.17928.20114", result.Server);
            Assert.Equal(@"COM class Outlook.Application.16 (C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE)", result.Endpoint);
            Finding registered = Assert.Single(result.Findings, f => f.Code == OutlookFindingCodes.OutlookRegistered);
            Assert.Contains("16.0.17928.20114", registered.Message);
            Assert.Contains("Outlook 2016 or later", registered.Message);
            Assert.Contains(result.Findings, f => f.Code == OutlookFindingCodes.OutlookRunning);
            Assert.Empty(host.Calls); // no COM call: a check must not start Outlook or open its dialogs
        }

        [Fact]
        public async Task Missing_Outlook_is_an_error_that_mentions_the_new_Outlook()
        {
            var host = new RecordingOutlook { Registration = OutlookRegistration.NotRegistered };

            ServerTestResult result = await Probe(host);

            Assert.False(result.Success);
            Assert.False(result.Reachable);
            Finding error = Assert.Single(result.Findings, f => f.Severity == FindingSeverity.Error);
            Assert.Equal(OutlookFindingCodes.OutlookNotRegistered, error.Code);
            Assert.Equal("Method", error.Setting);
            Assert.Contains("new Outlook", error.Message);
        }

        [Fact]
        public async Task A_session_without_a_desktop_is_an_error()
        {
            ServerTestResult result = await Probe(new RecordingOutlook { IsInteractiveSession = false });

            Assert.False(result.Success);
            Assert.Contains(result.Findings, f => f.Code == OutlookFindingCodes.OutlookNotInteractive && f.Message.Contains("KB 237913"));
        }

        [Fact]
        public async Task Outlook_not_running_is_information_only()
        {
            ServerTestResult result = await Probe(new RecordingOutlook { Running = false });

            Assert.True(result.Success);
            Assert.Equal(FindingSeverity.Information, Assert.Single(result.Findings, f => f.Code == OutlookFindingCodes.OutlookNotRunning).Severity);
        }

        [Fact]
        public async Task Off_Windows_it_is_MethodNotSupported_with_what_to_use_instead()
        {
            ServerTestResult result = await Probe(new RecordingOutlook { IsWindows = false });

            Finding finding = Assert.Single(result.Findings);
            Assert.Equal(ServerFindingCodes.MethodNotSupported, finding.Code);
            Assert.Equal("Method", finding.Setting);
            Assert.Contains("-DraftDirectory", finding.Message);
        }

        [Fact]
        public async Task Test_G5MailServer_on_this_computer_reports_why_Outlook_cannot_be_used()
        {
            if (OperatingSystem.IsWindows())
            {
                return; // The answer there depends on the Outlook installed: checked by hand on Windows.
            }

            ServerTestResult result = await ServerTest.CreateDefault().RunAsync(new SettingValues { Method = MailMethod.Outlook },
                Array.Empty<Finding>(), TimeSpan.FromSeconds(5), false, CancellationToken.None);

            Assert.False(result.Success);
            Finding finding = Assert.Single(result.Findings, f => f.Severity == FindingSeverity.Error);
            Assert.Equal(ServerFindingCodes.MethodNotSupported, finding.Code);
            Assert.Contains("only on Windows", finding.Message);
        }
    }

    public sealed class OutlookRegistrationTests
    {
        [Fact]
        public void Reads_class_version_and_program_from_the_classes_root()
        {
            var keys = new System.Collections.Generic.Dictionary<string, string>
            {
                [@"Outlook.Application\CLSID"] = "{0006F03A-0000-0000-C000-000000000046}",
                [@"Outlook.Application\CurVer"] = "Outlook.Application.16",
                // 32-bit Office on 64-bit Windows: only the WOW6432Node view has the server.
                [@"WOW6432Node\CLSID\{0006F03A-0000-0000-C000-000000000046}\LocalServer32"] = @"C:\PROGRA~2\MICROS~1\Office16\OUTLOOK.EXE /automation",
            };

            OutlookRegistration registration = OutlookRegistration.Read(k => keys.TryGetValue(k, out string? v) ? v : null,
                path => path == @"C:\PROGRA~2\MICROS~1\Office16\OUTLOOK.EXE" ? "16.0.5456.1000" : null);

            Assert.True(registration.IsRegistered);
            Assert.Equal(16, registration.MajorVersion);
            Assert.Equal(@"C:\PROGRA~2\MICROS~1\Office16\OUTLOOK.EXE", registration.ExecutablePath);
            Assert.Equal("16.0.5456.1000", registration.VersionText);
        }

        [Fact]
        public void Without_the_class_nothing_else_is_read()
        {
            int reads = 0;
            OutlookRegistration registration = OutlookRegistration.Read(k => { reads++; return null; }, p => throw new InvalidOperationException());

            Assert.False(registration.IsRegistered);
            Assert.Equal(1, reads);
            Assert.Equal("unknown", registration.VersionText);
        }

        [Theory]
        [InlineData("\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" /automation", "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE")]
        [InlineData("C:\\Program Files\\Microsoft Office\\Office15\\OUTLOOK.EXE /automation", "C:\\Program Files\\Microsoft Office\\Office15\\OUTLOOK.EXE")]
        [InlineData("C:\\Outlook\\olk /embedding", "C:\\Outlook\\olk")]
        [InlineData("", null)]
        public void Finds_the_program_in_a_LocalServer32_command_line(string commandLine, string? expected)
        {
            Assert.Equal(expected, OutlookRegistration.ExecutableOf(commandLine));
        }
    }
}
