using System.Management.Automation;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;

namespace G5Mail.Commands
{
    /// <summary>
    /// <para type="synopsis">Finds the delivery reports (bounces) in the mailbox and tells which documents sent with Send-G5Document -JournalPath did not reach which recipient, and why.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "G5DeliveryReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(DeliveryReport))]
    public sealed class GetG5DeliveryReportCommand : MailboxCmdlet
    {
        /// <summary>The send journal Send-G5Document -JournalPath wrote: bounces are matched with its messages by Message-ID. Read only; works while a send run uses it.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string JournalPath { get; set; } = string.Empty;

        /// <summary>Also reports delivery reports about messages the journal does not know (Matched false, no DocumentIds); with -MoveTo they are moved too.</summary>
        [Parameter]
        public SwitchParameter IncludeUnmatched { get; set; }

        protected override void OnEnd()
        {
            var settings = LoadSettings();
            if (settings.Method == MailMethod.Outlook)
            {
                // Outlook turns a bounce into a report item without its machine-readable delivery-status part (and records no
                // Message-ID of what it sends), so nothing could be matched: say so at once instead of reporting nothing.
                ThrowTerminating(new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.NotImplemented,
                    "Get-G5DeliveryReport cannot read delivery reports through Outlook: Outlook keeps a bounce as a report item without the "
                    + "delivery-status part the report is read from. Read the same mailbox with -Method Smtp (IMAP), ExchangeOnline or Exchange.",
                    "Method"));
            }

            ReceiveOptions options = CommonOptions();
            options.Query.DeliveryReportsOnly = true;
            string path = ResolveFileSystemPath(JournalPath, nameof(JournalPath), ErrorIds.JournalAccessFailed, "file");
            var log = new PipelineLog();
            SendJournal journal;
            try
            {
                journal = DeliveryReportHandler.OpenJournal(path, log);
            }
            catch (G5MailErrorException ex)
            {
                log.Flush(this);
                ThrowTerminating(ex);
                return;
            }

            using (journal)
            {
                Run(settings, options, new DeliveryReportHandler(journal, IncludeUnmatched.IsPresent, log), log);
            }
        }
    }
}
