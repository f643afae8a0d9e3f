using System;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using G5Mail.Core.Errors;
using G5Mail.Core.Mailbox;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;

namespace G5Mail.Commands
{
    /// <summary>
    /// What the cmdlets that read the mailbox share (Receive-G5Mail, Get-G5DeliveryReport): the folder, the mailbox, the
    /// time filter, the move, the per-call overrides of the settings, and running a <see cref="ReceiveRun{TResult}"/> on the
    /// pipeline thread.
    /// </summary>
    public abstract class MailboxCmdlet : G5MailCmdlet
    {
        private readonly Stopwatch _elapsed = Stopwatch.StartNew();

        /// <summary>The folder to read: Inbox (default), a path such as Inbox/Leverantörsfakturor; well-known names work in any mailbox language.</summary>
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Folder { get; set; } = "Inbox";

        /// <summary>Whose mailbox (Exchange Online and Exchange): an address; default the settings' From. IMAP and Outlook read the signed-in account's.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Mailbox { get; set; }

        /// <summary>Only messages received at or after this time (a [datetime] without a zone is this computer's local time).</summary>
        [Parameter]
        public DateTime Since { get; set; }

        /// <summary>Moves each message processed into this folder (created when missing), after its attachments are saved.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? MoveTo { get; set; }

        /// <summary>Overrides Method for this call.</summary>
        [Parameter]
        public MailMethod Method { get; set; }

        /// <summary>Overrides the stored Credential for this call.</summary>
        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>Seconds, 1 to 600, that each network step may take; overrides the TimeoutSeconds setting for this call.</summary>
        [Parameter]
        [ValidateRange(1, 600)]
        public int TimeoutSeconds { get; set; }

        /// <summary>The effective settings with this call's overrides, checked: stops with SettingsIncomplete when they cannot work.</summary>
        internal SettingValues LoadSettings()
        {
            SettingsView view = LoadEffectiveSettingsView();
            new SettingOverrides
            {
                Method = MyInvocation.BoundParameters.ContainsKey(nameof(Method)) ? Method : (MailMethod?)null,
                Credential = Credential?.GetNetworkCredential(),
                TimeoutSeconds = MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSeconds)) ? TimeoutSeconds : (int?)null,
            }.ApplyTo(view.Settings);
            EnsureComplete(view);
            return view.Settings;
        }

        /// <summary>The options every reading call shares, from the common parameters.</summary>
        private protected ReceiveOptions CommonOptions()
        {
            return new ReceiveOptions
            {
                Folder = Parsed(Folder, nameof(Folder))!,
                MoveTo = Parsed(MoveTo, nameof(MoveTo)),
                WhatIf = IsWhatIf,
                Query = new MailQuery
                {
                    Since = MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? AsOffset(Since) : (DateTimeOffset?)null,
                },
            };
        }

        /// <summary>Runs the call: the results go to the pipeline as they come, an unreadable message as an error record.</summary>
        /// <param name="log">The call's log when the handler writes to it too (Get-G5DeliveryReport), so its lines come in order.</param>
        private protected void Run<TResult>(SettingValues settings, ReceiveOptions options, IMessageHandler<TResult> handler, PipelineLog? log = null)
        {
            log = log ?? new PipelineLog();
            var run = new ReceiveRun<TResult>(options, () => MailboxReaderFactory.Create(settings, log, Mailbox), handler, log);
            var progress = new ProgressRecord(2, MyInvocation.MyCommand.Name, "Reading " + options.Folder.Text);
            try
            {
                DeliverToEnd(token => run.Run(new Host<TResult>(this, log, progress), token), log, progress);
            }
            finally
            {
                log.Flush(this);
            }

            if (!CancellationToken.IsCancellationRequested)
            {
                ReceiveCounts c = run.Counts;
                WriteSummary(string.Format(CultureInfo.InvariantCulture,
                    "{0}: {1} listed, {2} written, {3} unreadable, {4} marked as read, {5} moved in {6:0.0} s",
                    MyInvocation.MyCommand.Name, c.Listed, c.Written, c.Unreadable, c.MarkedAsRead, c.Moved, _elapsed.Elapsed.TotalSeconds));
            }
        }

        private FolderPath? Parsed(string? path, string parameter)
        {
            if (path == null)
            {
                return null;
            }

            try
            {
                return FolderPath.Parse(path, parameter);
            }
            catch (G5MailErrorException ex)
            {
                ThrowTerminating(ex);
                return null;
            }
        }

        /// <summary>A [datetime] as PowerShell gives it: Unspecified (Get-Date, '2026-12-01') is local time.</summary>
        private static DateTimeOffset AsOffset(DateTime value) =>
            value.Kind == DateTimeKind.Utc ? new DateTimeOffset(value) : new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Local));

        private sealed class Host<TResult> : IReceiveHost<TResult>
        {
            private readonly MailboxCmdlet _cmdlet;
            private readonly PipelineLog _log;
            private readonly ProgressRecord _progress;

            public Host(MailboxCmdlet cmdlet, PipelineLog log, ProgressRecord progress)
            {
                _cmdlet = cmdlet;
                _log = log;
                _progress = progress;
            }

            public bool ShouldProcess(string target, string action) => _cmdlet.ShouldProcess(target, action);

            public void Write(TResult result) => _cmdlet.WriteResult(result!, null, _log);

            public void WriteError(G5MailErrorException error)
            {
                _log.Flush(_cmdlet);
                _cmdlet.WriteG5Error(error);
            }

            public void Idle(RunProgress progress)
            {
                _log.Flush(_cmdlet);
                _cmdlet.ShowProgress(_progress, progress, () => $"Message {Math.Min(progress.Done + 1, progress.Count)} of {progress.Count}",
                    () => progress.Done * 100 / Math.Max(1, progress.Count));
            }
        }
    }
}
