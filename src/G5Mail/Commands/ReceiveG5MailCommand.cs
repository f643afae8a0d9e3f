using System.Management.Automation;
using G5Mail.Core.Mailbox;

namespace G5Mail.Commands
{
    /// <summary>
    /// <para type="synopsis">Reads one folder of the mailbox with the G5Mail settings (IMAP, Exchange Online, Exchange or Outlook), oldest message first, and can save the attachments, mark the messages read and move them.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Receive, "G5Mail", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(ReceivedMessage))]
    public sealed class ReceiveG5MailCommand : MailboxCmdlet
    {
        /// <summary>Only unread messages.</summary>
        [Parameter]
        public SwitchParameter UnreadOnly { get; set; }

        /// <summary>At most this many messages: the oldest that match, so a script processes mail in the order it came.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int First { get; set; }

        /// <summary>Saves each message's attachments into this folder (created when missing) under safe names; a winmail.dat is unpacked.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SaveAttachmentsTo { get; set; }

        /// <summary>Adds the body (Body, BodyIsHtml): the plain text when the message has one, else the HTML.</summary>
        [Parameter]
        public SwitchParameter IncludeBody { get; set; }

        /// <summary>Marks each message read, after its attachments are saved.</summary>
        [Parameter]
        public SwitchParameter MarkAsRead { get; set; }

        protected override void OnEnd()
        {
            var settings = LoadSettings();
            ReceiveOptions options = CommonOptions();
            options.MarkAsRead = MarkAsRead.IsPresent;
            options.Query.UnreadOnly = UnreadOnly.IsPresent;
            options.Query.First = MyInvocation.BoundParameters.ContainsKey(nameof(First)) ? First : (int?)null;
            string? directory = SaveAttachmentsTo == null
                ? null
                : ResolveFileSystemPath(SaveAttachmentsTo, nameof(SaveAttachmentsTo), Core.Errors.ErrorIds.InvalidSetting, "folder");
            if (directory != null && options.WhatIf)
            {
                // -WhatIf changes nothing, files included: the attachments are listed as the listing describes them.
                ShouldProcess(directory, "Save the attachments");
                directory = null;
            }
            Run(settings, options, new ReceivedMessageHandler(directory, IncludeBody.IsPresent, CancellationToken));
        }
    }
}
