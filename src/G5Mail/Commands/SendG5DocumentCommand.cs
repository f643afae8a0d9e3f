using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using G5Mail.Core;
using G5Mail.Core.Delivery;
using G5Mail.Core.Outlook;
using G5Mail.Core.Sending;
using G5Mail.Core.Settings;
using G5Mail.Core.Transport;

namespace G5Mail.Commands
{
    /// <summary>
    /// <para type="synopsis">Sends Monitor G5 document printouts (PDF, XML) by e-mail with the effective settings.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Send, "G5Document", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
        DefaultParameterSetName = SendSet)]
    [OutputType(typeof(SendResult))]
    public sealed class SendG5DocumentCommand : G5MailCmdlet
    {
        private const int ProgressIntervalMs = 250;

        // -Display, -SaveAsDraft and -DraftDirectory each say what happens instead of sending, so each has its own set.
        private const string SendSet = "Send";
        private const string DisplaySet = "Display";
        private const string SaveAsDraftSet = "SaveAsDraft";
        private const string DraftDirectorySet = "DraftDirectory";

        private readonly PipelineLog _log = new PipelineLog();
        private readonly SendRunSummary _summary = new SendRunSummary();
        private readonly Stopwatch _elapsed = new Stopwatch();
        private SendRun? _run;
        private SendJournal? _journal;
        private int _inputIndex;

        /// <summary>The files of one document (e.g. 1001.pdf and 1001.xml).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "FullName", "LiteralPath")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        /// <summary>Recipients from the document header. Several may be separated by ';' or ',' (handy in CSV files).</summary>
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("Recipient", "Email", "EmailAddress")]
        [AllowNull, AllowEmptyCollection, AllowEmptyString]
        public string[]? To { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyCollection, AllowEmptyString]
        public string[]? Cc { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyCollection, AllowEmptyString]
        public string[]? Bcc { get; set; }

        /// <summary>Files with the same DocumentId and recipients form one document. Default: the file name without extension.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("OrderNumber", "InvoiceNumber", "DocumentNumber")]
        [AllowNull, AllowEmptyString]
        public string? DocumentId { get; set; }

        /// <summary>Subject; may use {DocumentIds}, {Part} and {PartCount}.</summary>
        [Parameter]
        public string? Subject { get; set; }

        [Parameter]
        public string? Body { get; set; }

        [Parameter]
        public SwitchParameter BodyAsHtml { get; set; }

        /// <summary>Overrides CombineDocuments for this call.</summary>
        [Parameter]
        public SwitchParameter Combine { get; set; }

        [Parameter]
        [ValidateRange(0.001, 1_000_000)]
        public double MaxAttachmentSizeMB { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? From { get; set; }

        [Parameter]
        public MailMethod Method { get; set; }

        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>
        /// Append-only journal (JSON lines) of every message sent; a rerun with the same journal skips documents already
        /// sent. Not with drafts (-DraftDirectory, -Display, -SaveAsDraft); -WhatIf reads it but writes nothing.
        /// </summary>
        [Parameter(ParameterSetName = SendSet)]
        [ValidateNotNullOrEmpty]
        public string? JournalPath { get; set; }

        /// <summary>With -JournalPath: send documents the journal reports as Uncertain again instead of reporting them.</summary>
        [Parameter(ParameterSetName = SendSet)]
        public SwitchParameter Force { get; set; }

        /// <summary>Outlook only: open each message in an Outlook window for the user to review and send, instead of sending.</summary>
        [Parameter(ParameterSetName = DisplaySet)]
        public SwitchParameter Display { get; set; }

        /// <summary>Outlook only: save each message in Outlook's Drafts folder instead of sending.</summary>
        [Parameter(ParameterSetName = SaveAsDraftSet)]
        public SwitchParameter SaveAsDraft { get; set; }

        /// <summary>Any method, any platform: write each message as an .eml draft (X-Unsent: 1) into this folder instead of sending.</summary>
        [Parameter(ParameterSetName = DraftDirectorySet)]
        [ValidateNotNullOrEmpty]
        public string? DraftDirectory { get; set; }

        /// <summary>How often a message is sent again after a transient failure (4xx reply, throttling, a connection lost before the data went out).</summary>
        [Parameter]
        [ValidateRange(0, RetryPolicy.MaxRetryCount)]
        public int RetryCount { get; set; } = RetryPolicy.DefaultRetryCount;

        /// <summary>The backoff before the first retry, in seconds; it doubles per retry (at most 60 s) and is randomised below that.</summary>
        [Parameter]
        [ValidateRange(0.0, 3600.0)]
        public double RetryDelaySeconds { get; set; } = RetryPolicy.DefaultBaseDelay.TotalSeconds;

        /// <summary>
        /// How many messages are sent at once, each on a connection of its own (default 1: one connection, one message
        /// after another). Results still come out in input order. Outlook always sends one at a time.
        /// </summary>
        [Parameter(ParameterSetName = SendSet)]
        [ValidateRange(1, SendRunOptions.MaxThrottleLimit)]
        public int ThrottleLimit { get; set; } = 1;

        /// <summary>
        /// Seconds, 1 to 600, that connecting, the server's greeting, the TLS handshake and each reply may take, for every
        /// method; overrides the TimeoutSeconds setting (default 30) for this call.
        /// </summary>
        [Parameter]
        [ValidateRange(1, 600)]
        public int TimeoutSeconds { get; set; }

        protected override void Begin()
        {
            _elapsed.Start();
            void Overrides(Core.Settings.MailSettings settings)
            {
                if (MyInvocation.BoundParameters.ContainsKey(nameof(Method))) settings.Method = Method.To<Core.Settings.MailMethod>();
                if (From != null) settings.From = From;
                if (Credential != null) settings.Credential = Credential.GetNetworkCredential();
                if (MyInvocation.BoundParameters.ContainsKey(nameof(Combine))) settings.CombineDocuments = Combine.IsPresent;
                if (MyInvocation.BoundParameters.ContainsKey(nameof(MaxAttachmentSizeMB))) settings.MaxAttachmentSizeMB = MaxAttachmentSizeMB;
                if (MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSeconds))) settings.TimeoutSeconds = TimeoutSeconds;
                try
                {
                    // Before the completeness check: "-Display with Smtp" is the mistake to report, not what Smtp lacks.
                    SendRunOptions.Validate(settings.Method, RequestedOutlookAction, DraftDirectory != null);
                }
                catch (G5MailException ex)
                {
                    ThrowTerminating(ex);
                }
            }

            // Drafts go to no server, so the method's settings need not be complete (nor even a method set).
            Core.Settings.MailSettings effective = DraftDirectory != null ? LoadSettingsForDrafts(Overrides) : LoadEffectiveSettingsOrThrow(Overrides);
            var options = new SendRunOptions(effective)
            {
                Subject = Subject,
                Body = Body,
                BodyAsHtml = BodyAsHtml.IsPresent,
                OutlookAction = RequestedOutlookAction,
                DraftDirectory = DraftDirectory != null ? ResolveDraftDirectory(DraftDirectory) : null,
                Retry = new RetryPolicy(RetryCount, TimeSpan.FromSeconds(RetryDelaySeconds)),
                ThrottleLimit = ThrottleLimit,
            };
            if (options.ConnectionLimit < options.ThrottleLimit)
            {
                WriteWarning($"-ThrottleLimit {ThrottleLimit} is ignored: Outlook sends one message at a time (it is one program that takes one caller at a time).");
            }

            OpenJournal(options);
            _run = new SendRun(options, TransportFactory.CreateFactory(effective, _log, options.OutlookAction), _log);
        }

        protected override void Process()
        {
            var request = new DocumentRequest
            {
                Paths = Path.Select(ResolvePath).ToArray(),
                To = To ?? Array.Empty<string>(),
                Cc = Cc ?? Array.Empty<string>(),
                Bcc = Bcc ?? Array.Empty<string>(),
                DocumentId = string.IsNullOrWhiteSpace(DocumentId) ? null : DocumentId!.Trim(),
                InputIndex = _inputIndex++,
                Source = Path.Length > 0 ? Path[0] : null,
            };

            MessageOutcome? rejected = _run!.Add(request);
            if (rejected != null)
            {
                Emit(rejected);
            }
        }

        protected override void End()
        {
            SendRun run = _run!;
            IReadOnlyList<PlannedMessage> plan = run.Plan();
            _log.Flush(this);
            foreach (MessageOutcome heldBack in run.HeldBack)
            {
                Emit(heldBack);
            }

            long totalBytes = plan.Sum(p => p.AttachmentBytes);
            long doneBytes = 0;
            int done = 0;
            bool progressShown = false;
            var progress = new ProgressRecord(1, "Send-G5Document", "Sending documents");
            var progressClock = System.Diagnostics.Stopwatch.StartNew();
            bool whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? w) && ((SwitchParameter)w).IsPresent;
            // Up to -ThrottleLimit messages in the air; prompts, progress and output stay on this (the pipeline) thread.
            var window = new SendWindow(run);
            try
            {
                void Progress()
                {
                    _log.Flush(this);
                    // A few updates a second: each WriteProgress repaints the host's progress bar, which costs more than
                    // sending a small message over a fast relay.
                    if (plan.Count > 1 && (!progressShown || progressClock.ElapsedMilliseconds >= ProgressIntervalMs))
                    {
                        progressShown = true;
                        progressClock.Restart();
                        progress.StatusDescription = $"Message {Math.Min(done + 1, plan.Count)} of {plan.Count}, {Megabytes(doneBytes)} of {Megabytes(totalBytes)} MB";
                        progress.PercentComplete = totalBytes > 0 ? (int)(doneBytes * 100 / totalBytes) : done * 100 / plan.Count;
                        WriteProgress(progress);
                    }
                }

                MessageOutcome? Prepare(PlannedMessage planned)
                {
                    string target = $"{string.Join(", ", planned.Recipients.To.Concat(planned.Recipients.Cc).Concat(planned.Recipients.Bcc))}: " +
                                    $"{string.Join(", ", planned.Documents.Select(d => d.DocumentId))}" +
                                    (planned.PartCount > 1 ? $" (part {planned.Part} of {planned.PartCount})" : string.Empty);
                    return ShouldProcess(target, run.Options.ActionDescription)
                        ? null
                        : run.Preview(planned, whatIf ? DeliveryStatus.WhatIf : DeliveryStatus.Skipped, whatIf ? null : OutcomeReasons.Declined);
                }

                void Done(PlannedMessage planned, MessageOutcome outcome)
                {
                    _log.Flush(this);
                    Emit(outcome);
                    done++;
                    doneBytes += planned.AttachmentBytes;
                }

                window.Run(plan, Prepare, Done, Progress, TimeSpan.FromMilliseconds(ProgressIntervalMs), CancellationToken);
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                // Ctrl+C: stop at once; PowerShell reports the pipeline as stopped.
            }
            finally
            {
                // Waits for the sends still in the air (Ctrl+C has cancelled them) before the run closes their connections.
                window.Dispose();
                _log.Flush(this);
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
                if (!CancellationToken.IsCancellationRequested)
                {
                    WriteSummary();
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _run?.Dispose();
                _run = null;
                _journal?.Dispose();
                _journal = null;
            }

            base.Dispose(disposing);
        }

        /// <summary>
        /// The effective settings for -DraftDirectory: only From, Subject/Body and the planning settings matter, so
        /// neither findings nor settings problems (such as an unreadable secret) stop or clutter the run.
        /// </summary>
        private Core.Settings.MailSettings LoadSettingsForDrafts(Action<Core.Settings.MailSettings> overrides)
        {
            SettingsView view;
            try
            {
                view = new SettingsService().LoadEffective();
            }
            catch (G5MailException ex)
            {
                ThrowTerminating(ex);
                throw; // not reached: ThrowTerminatingError always throws
            }

            foreach (SettingsProblem problem in view.Problems)
            {
                WriteVerbose("Not needed for drafts: " + problem.Message);
            }

            overrides(view.Settings);
            return view.Settings;
        }

        private OutlookAction RequestedOutlookAction => Display.IsPresent ? OutlookAction.Display : SaveAsDraft.IsPresent ? OutlookAction.SaveAsDraft : OutlookAction.Send;

        /// <summary>A file-system folder, relative to the current location; it need not exist yet.</summary>
        private string ResolveDraftDirectory(string path)
        {
            string resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
            if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
            {
                ThrowTerminating(new G5MailException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                    $"-DraftDirectory must be a file-system folder; '{path}' is on the {provider.Name} provider.", path));
            }

            return resolved;
        }

        private void Emit(MessageOutcome outcome)
        {
            _summary.Add(outcome);
            WriteObject(SendResult.FromOutcome(outcome));
            if (outcome.Error != null)
            {
                WriteG5Error(outcome.Error);
            }
        }

        /// <summary>
        /// -JournalPath: opened for writing (and locked) for a real run, read only for -WhatIf. A journal that is locked
        /// by another run or cannot be opened stops the call before anything is sent.
        /// </summary>
        private void OpenJournal(SendRunOptions options)
        {
            if (JournalPath == null)
            {
                if (Force.IsPresent)
                {
                    WriteWarning("-Force only matters with -JournalPath (it resends documents the journal reports as Uncertain); it is ignored.");
                }

                return;
            }

            string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(JournalPath, out ProviderInfo provider, out _);
            if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
            {
                ThrowTerminating(new G5MailException(JournalErrorIds.JournalAccessFailed, ErrorKind.InvalidArgument,
                    $"-JournalPath must be a file-system file; '{JournalPath}' is on the {provider.Name} provider.", JournalPath));
            }

            try
            {
                _journal = IsWhatIf ? SendJournal.OpenReadOnly(path, _log) : SendJournal.Open(path, _log);
            }
            catch (G5MailException ex)
            {
                _log.Flush(this);
                ThrowTerminating(ex);
            }

            _log.Flush(this);
            options.Journal = _journal;
            options.ResendUncertain = Force.IsPresent;
        }

        /// <summary>-WhatIf given, or $WhatIfPreference set (ShouldProcess then returns false for every message).</summary>
        private bool IsWhatIf =>
            MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? whatIf)
                ? ((SwitchParameter)whatIf).IsPresent
                : LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference"));

        /// <summary>One Information record with the counts per Status, for a scheduled task's log (-InformationVariable, 6>&amp;1).</summary>
        private void WriteSummary()
        {
            _elapsed.Stop();
            var summary = new SendSummary
            {
                Sent = _summary.Count(DeliveryStatus.Sent),
                Failed = _summary.Count(DeliveryStatus.Failed),
                Skipped = _summary.Count(DeliveryStatus.Skipped),
                Uncertain = _summary.Count(DeliveryStatus.Uncertain),
                WhatIf = _summary.Count(DeliveryStatus.WhatIf),
                Draft = _summary.Count(DeliveryStatus.Draft),
                Total = _summary.Total,
                Duration = _elapsed.Elapsed,
                JournalPath = _journal?.Path,
                RunId = _journal != null && !_journal.IsReadOnly ? _journal.RunId : null,
                Message = _summary.Describe(MyInvocation.MyCommand.Name, _elapsed.Elapsed),
            };
            try
            {
                WriteInformation(summary, new[] { "G5Mail", "Summary" });
            }
            catch (PipelineStoppedException)
            {
                // The pipeline ended downstream (e.g. Select-Object -First): nobody is left to read the summary.
            }
        }

        private string ResolvePath(string path)
        {
            try
            {
                return GetUnresolvedProviderPathFromPSPath(path);
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is ProviderNotFoundException || ex is DriveNotFoundException || ex is NotSupportedException)
            {
                // The engine reports the missing file with the FileNotFound id and the path as given.
                return path;
            }
        }

        private static string Megabytes(long bytes) => (bytes / 1_048_576d).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
    }
}
