using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Exchange;
using G5Mail.Core.Transports.ExchangeOnline;
using G5Mail.Core.Transports.Outlook;
using G5Mail.Core.Transports.Smtp;

namespace G5Mail.Core.Diagnostics
{
    /// <summary>
    /// Test-G5MailServer's engine: the settings findings first, then the probe of the effective method.
    /// </summary>
    public sealed class ServerTest
    {
        private readonly Dictionary<MailMethod, IServerProbe> _probes;

        public ServerTest(IEnumerable<IServerProbe> probes)
        {
            _probes = probes.ToDictionary(p => p.Method);
        }

        /// <summary>Every method this build can test.</summary>
        public static ServerTest CreateDefault() => new ServerTest(new IServerProbe[]
        {
            new SmtpServerProbe(), new EwsServerProbe(), new OutlookServerProbe(), new ExchangeOnlineServerProbe(),
        });

        public IEnumerable<MailMethod> Methods => _probes.Keys;

        /// <param name="settings">Effective settings with one-call overrides applied.</param>
        /// <param name="settingsFindings">What the settings validation (the same as Send-G5Document's) found.</param>
        /// <param name="imap">Test-G5MailServer -Imap: the IMAP server Receive-G5Mail reads with Method Smtp, instead of the sending server.</param>
        public async Task<ServerTestResult> RunAsync(SettingValues settings, IEnumerable<Finding> settingsFindings,
            TimeSpan timeout, bool skipAuthentication, CancellationToken cancellationToken, bool imap = false)
        {
            var known = (settingsFindings ?? Enumerable.Empty<Finding>()).ToList();
            ServerTestResult result;
            if (imap && settings.Method != null && settings.Method != MailMethod.Smtp)
            {
                result = new ServerTestResult(settings.Method);
                result.Error(ServerFindingCodes.MethodNotSupported, "Method",
                    $"-Imap tests the IMAP server that Method Smtp reads the mailbox from; Method {settings.Method} reads it through its own " +
                    "service, which Test-G5MailServer without -Imap tests.");
            }
            else if (imap && settings.Method == MailMethod.Smtp)
            {
                result = await new Transports.Imap.ImapServerProbe().ProbeAsync(new ServerProbeRequest(settings, timeout, skipAuthentication), cancellationToken)
                    .ConfigureAwait(false);
            }
            else if (settings.Method == null)
            {
                result = new ServerTestResult(null);
                // The settings validation may already have said so; say it once.
                if (!known.Any(f => f.Severity == FindingSeverity.Error && f.Setting == "Method"))
                {
                    result.Error(ServerFindingCodes.MethodNotSet, "Method",
                        "No mail method is set, so there is nothing to test. Set one, e.g. " +
                        "Set-G5MailSetting -Scope System -Method Smtp -Server smtp.example.com, or pass -Method Smtp.");
                }
            }
            else if (_probes.TryGetValue(settings.Method.Value, out IServerProbe? probe))
            {
                // The server is checked even when the settings have errors: a sysadmin fixing a setup wants every
                // problem in one run, and the probe itself stops when a setting it needs is missing.
                result = await probe.ProbeAsync(new ServerProbeRequest(settings, timeout, skipAuthentication), cancellationToken)
                    .ConfigureAwait(false);
            }
            else
            {
                result = new ServerTestResult(settings.Method);
                string supported = string.Join(", ", _probes.Keys.OrderBy(k => k.ToString()));
                result.Error(ServerFindingCodes.MethodNotSupported, "Method",
                    $"This version of Test-G5MailServer cannot test the {settings.Method} method yet (it tests: {supported}).");
            }

            // A setting the validation already reported as an error is reported once, in the validation's words.
            var reported = new HashSet<string>(known.Where(f => f.Severity == FindingSeverity.Error && f.Setting != null).Select(f => f.Setting!));
            result.Findings.RemoveAll(f => f.Severity == FindingSeverity.Error && f.Setting != null && reported.Contains(f.Setting) &&
                                           (f.Code == ServerFindingCodes.ServerNotSet || f.Code == ServerFindingCodes.MethodNotSet ||
                                            f.Code == ServerFindingCodes.SettingMissing));
            result.Findings.InsertRange(0, known);
            return result;
        }
    }
}
