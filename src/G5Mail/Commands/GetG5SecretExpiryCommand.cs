using System;
using System.Management.Automation;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.ExchangeOnline;

namespace G5Mail.Commands
{
    /// <summary>
    /// <para type="synopsis">Shows when the client secrets of the Exchange Online app expire, and warns before the configured one does.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "G5SecretExpiry")]
    [OutputType(typeof(SecretExpiry))]
    public sealed class GetG5SecretExpiryCommand : G5MailCmdlet
    {
        /// <summary>A secret that expires within this many days is ExpiringSoon (and warned about when it is the configured one).</summary>
        [Parameter(Position = 0)]
        [ValidateRange(0, 3650)]
        public int WarningDays { get; set; } = 30;

        protected override void OnEnd()
        {
            SettingsView view = LoadEffectiveSettingsView();
            ExchangeOnlineOptions options;
            try
            {
                options = ExchangeOnlineOptions.FromSettings(view.Settings, requireFrom: false, flow: AuthenticationFlow.ClientSecret);
            }
            catch (G5MailErrorException ex) when (Equals(ex.Target, "ClientSecret"))
            {
                ThrowTerminating(new G5MailErrorException(ErrorIds.SettingsIncomplete, ErrorKind.InvalidOperation,
                    "Get-G5SecretExpiry signs in as the app with its client secret, and no ClientSecret is set. Store the secret's Value with " +
                    "Set-G5MailSetting -Scope System -ClientSecret (Read-Host -AsSecureString). (The UsernamePassword flow uses no secret, so nothing of it expires.)",
                    "ClientSecret", ex));
                return;
            }
            catch (G5MailErrorException ex)
            {
                ThrowTerminating(ex);
                return;
            }

            var log = new PipelineLog();
            SecretExpiryReport report;
            try
            {
                using (var graph = new GraphClient(options, new EntraTokenProvider(options, log), log, RetryPolicy.Default))
                {
                    // Off the pipeline thread, so no synchronization context can deadlock; Write* stays on this thread.
                    report = Task.Run(() => new SecretExpiryChecker(options, graph).CheckAsync(WarningDays, view.Settings.ClientSecretExpiresOn, CancellationToken))
                        .GetAwaiter().GetResult();
                }
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (G5MailErrorException ex)
            {
                log.Flush(this);
                ThrowTerminating(ex);
                return;
            }

            log.Flush(this);
            foreach (string warning in report.Warnings)
            {
                WriteWarning(warning);
            }

            foreach (SecretExpiry secret in report.Secrets)
            {
                WriteObject(secret);
            }
        }
    }
}
