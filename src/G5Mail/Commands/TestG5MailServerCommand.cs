using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Threading.Tasks;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Settings;

namespace G5Mail
{
    /// <summary>
    /// Checks the effective settings against the real mail server without sending mail: name, connection, TLS and
    /// certificate, capabilities, sign-in and size limit, each problem as a finding that says what to change.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "G5MailServer", DefaultParameterSetName = DefaultSet)]
    [OutputType(typeof(ServerTestResult), ParameterSetName = new[] { DefaultSet })]
    [OutputType(typeof(bool), ParameterSetName = new[] { QuietSet })]
    public sealed class TestG5MailServerCommand : G5MailCmdlet
    {
        private const string DefaultSet = "Default";
        private const string QuietSet = "Quiet";

        /// <summary>The mail method to test instead of the configured one.</summary>
        [Parameter(Position = 0)]
        public MailMethod Method { get; set; }

        /// <summary>The server (DNS name or IP address) to test instead of the configured one.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Server { get; set; } = string.Empty;

        /// <summary>The port instead of the configured one; 0 means the method's standard port.</summary>
        [Parameter]
        [ValidateRange(0, 65535)]
        public int Port { get; set; }

        /// <summary>Require encryption (STARTTLS, or TLS on connect on port 465); -UseSsl:$false turns it off for this call.</summary>
        [Parameter]
        public SwitchParameter UseSsl { get; set; }

        /// <summary>The account to sign in with instead of the configured one.</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        /// <summary>
        /// The bound of each network step (name resolution, connect, greeting, TLS handshake, sign-in, each reply), in
        /// seconds, 1 to 600. Default: the TimeoutSeconds setting (30 unless set), the bound Send-G5Document uses too.
        /// </summary>
        [Parameter]
        [ValidateRange(1, 600)]
        public int TimeoutSeconds { get; set; }

        /// <summary>
        /// Method Smtp: test the IMAP server Receive-G5Mail reads the mailbox from (ImapServer, ImapPort) instead of the SMTP
        /// server, with the same findings (reachable, TLS, certificate, sign-in); -Server and -Port then name the IMAP server.
        /// </summary>
        [Parameter]
        public SwitchParameter Imap { get; set; }

        /// <summary>Connect and check TLS, but do not sign in.</summary>
        [Parameter]
        public SwitchParameter SkipAuthentication { get; set; }

        /// <summary>Return only $true (no error found) or $false, e.g. for a scheduled health check.</summary>
        [Parameter(ParameterSetName = QuietSet, Mandatory = true)]
        public SwitchParameter Quiet { get; set; }

        protected override void OnEnd()
        {
            // Settings findings first: the same engine validation Send-G5Document uses, on the settings after this
            // call's overrides, so they describe exactly what is tested.
            SettingsView view = LoadEffectiveSettingsView();
            SettingValues settings = view.Settings;
            Overrides().ApplyTo(settings);

            IReadOnlyList<Finding> settingsFindings = SettingsFindings.Evaluate(settings, view.Sources);

            ServerTestResult result;
            try
            {
                // Off the pipeline thread, so no synchronization context can deadlock; Write* stays on this thread.
                result = Task.Run(() => ServerTest.CreateDefault().RunAsync(settings, settingsFindings, TimeSpan.FromSeconds(settings.TimeoutSeconds ?? Defaults.TimeoutSeconds),
                        SkipAuthentication.IsPresent, CancellationToken, Imap.IsPresent))
                    .GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                return; // Ctrl+C: PowerShell is stopping the pipeline.
            }

            foreach (Finding finding in result.Findings)
            {
                WriteFinding(finding, verboseOnly: true);
            }

            if (Quiet)
            {
                WriteObject(result.Success);
            }
            else
            {
                WriteObject(result);
            }
        }

        private SettingOverrides Overrides() => new SettingOverrides
        {
            Method = MyInvocation.BoundParameters.ContainsKey(nameof(Method)) ? Method : (MailMethod?)null,
            Server = MyInvocation.BoundParameters.ContainsKey(nameof(Server)) && !Imap ? Server : null,
            Port = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) && !Imap ? Port : (int?)null,
            ImapServer = MyInvocation.BoundParameters.ContainsKey(nameof(Server)) && Imap ? Server : null,
            ImapPort = MyInvocation.BoundParameters.ContainsKey(nameof(Port)) && Imap ? Port : (int?)null,
            UseSsl = MyInvocation.BoundParameters.ContainsKey(nameof(UseSsl)) ? UseSsl.IsPresent : (bool?)null,
            // The whole user name as typed: SMTP servers expect "DOMAIN\user" or "user@domain" as one login name.
            Credential = MyInvocation.BoundParameters.ContainsKey(nameof(Credential)) && Credential != PSCredential.Empty
                ? new NetworkCredential(Credential!.UserName, Credential.Password)
                : null,
            TimeoutSeconds = MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSeconds)) ? TimeoutSeconds : (int?)null,
        };
    }
}
