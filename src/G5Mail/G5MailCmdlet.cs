using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using G5Mail.Core.Settings;

namespace G5Mail
{
    /// <summary>
    /// What every G5Mail cmdlet needs: cancellation on Ctrl+C, the effective settings, and the mapping of engine errors
    /// to error records with the contract's stable ids.
    /// </summary>
    public abstract class G5MailCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new CancellationTokenSource();
        private readonly System.Diagnostics.Stopwatch _progressClock = System.Diagnostics.Stopwatch.StartNew();
        private bool _progressShown;

        /// <summary>Cancelled by StopProcessing (Ctrl+C); pass it to every network call.</summary>
        protected CancellationToken CancellationToken => _cancellation.Token;

        protected override void StopProcessing()
        {
            _cancellation.Cancel();
            base.StopProcessing();
        }

        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }

        protected virtual void Dispose(bool disposing)
        {
            if (disposing)
            {
                _cancellation.Dispose();
            }
        }

        // The cmdlets implement OnBegin, OnProcess and OnEnd (not Begin/End: Sync-G5Activity has a parameter -End);
        // PowerShell's entry points run them under Guard.
        protected sealed override void BeginProcessing() => Guard(OnBegin);

        protected sealed override void ProcessRecord() => Guard(OnProcess);

        protected sealed override void EndProcessing() => Guard(OnEnd);

        protected virtual void OnBegin()
        {
        }

        protected virtual void OnProcess()
        {
        }

        protected virtual void OnEnd()
        {
        }

        /// <summary>
        /// The engine turns what can go wrong into G5MailErrorExceptions; one that ends a step stops the cmdlet with its
        /// id, category and target. Anything else is a bug and reaches PowerShell as it is.
        /// </summary>
        private void Guard(Action step)
        {
            try
            {
                step();
            }
            catch (G5MailErrorException ex)
            {
                ThrowTerminatingError(ToErrorRecord(ex));
            }
        }

        /// <summary>The engine error as an error record with its id, category (the ErrorCategory of the same name) and target.</summary>
        internal static ErrorRecord ToErrorRecord(G5MailErrorException ex) =>
            new ErrorRecord(ex, ex.ErrorId, Enum.TryParse(ex.Kind.ToString(), out ErrorCategory category) ? category : ErrorCategory.NotSpecified, ex.Target);

        /// <summary>
        /// Loads the effective settings (System overlaid with User) and writes their problems (e.g. SecretUnreadable) as
        /// errors or warnings, or only as verbose lines when the call does not need them (drafts).
        /// </summary>
        internal SettingsView LoadEffectiveSettingsView(bool problemsAsVerbose = false)
        {
            SettingsView view = new SettingsService().LoadEffective();
            foreach (SettingsProblem problem in view.Problems)
            {
                if (problemsAsVerbose)
                {
                    WriteVerbose("Not needed here: " + problem.Message);
                }
                else if (problem.Severity == FindingSeverity.Error)
                {
                    WriteG5Error(problem.ToException());
                }
                else
                {
                    WriteWarning(problem.Message);
                }
            }

            return view;
        }

        /// <summary>
        /// Writes the findings of the settings as they are now (after this call's overrides) as warnings and verbose
        /// lines, and stops with SettingsIncomplete when they cannot work.
        /// </summary>
        internal void EnsureComplete(SettingsView view)
        {
            IReadOnlyList<Finding> findings = SettingsFindings.Evaluate(view.Settings, view.Sources);
            foreach (Finding finding in findings)
            {
                // Errors are what EnsureComplete reports, in its terminating error.
                if (finding.Severity != FindingSeverity.Error)
                {
                    WriteFinding(finding);
                }
            }

            SettingsFindings.EnsureComplete(findings, view.Problems);
        }

        /// <summary>
        /// One finding in the one text form every cmdlet uses, "Code: message": a warning, or a verbose line for an
        /// Information finding (or for any finding when <paramref name="verboseOnly"/>, where the output object carries them).
        /// </summary>
        internal void WriteFinding(Finding finding, bool verboseOnly = false)
        {
            string text = $"{finding.Code}: {finding.Message}";
            if (verboseOnly || finding.Severity == FindingSeverity.Information)
            {
                WriteVerbose(verboseOnly ? $"{finding.Severity} {text}" : text);
            }
            else
            {
                WriteWarning(text);
            }
        }

        /// <summary>-WhatIf given, or $WhatIfPreference set (ShouldProcess then returns false for every item).</summary>
        internal bool IsWhatIf =>
            MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? whatIf)
                ? ((SwitchParameter)whatIf).IsPresent
                : LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference"));

        /// <summary>
        /// A file-system path (file or folder) relative to the current location; it need not exist yet. Another provider
        /// (a registry path, a variable drive) stops the cmdlet with <paramref name="errorId"/>.
        /// </summary>
        internal string ResolveFileSystemPath(string path, string parameterName, string errorId, string what)
        {
            string resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
            if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
            {
                ThrowTerminating(new G5MailErrorException(errorId, Core.Errors.ErrorKind.InvalidArgument,
                    $"-{parameterName} must be a file-system {what}; '{path}' is on the {provider.Name} provider.", path));
            }

            return resolved;
        }

        /// <summary>One Information record with a run's counts per Status, for a scheduled task's log (-InformationVariable, 6>&amp;1).</summary>
        internal void WriteSummary(object summary)
        {
            try
            {
                WriteInformation(summary, new[] { "G5Mail", "Summary" });
            }
            catch (PipelineStoppedException)
            {
                // The pipeline ended downstream (e.g. Select-Object -First): nobody is left to read the summary.
            }
        }

        /// <summary>
        /// A run's Deliver step on the pipeline thread, to its end: Ctrl+C ends it quietly (Deliver has waited for what was in
        /// the air; PowerShell reports the pipeline as stopped), and the queued log lines and the finished progress bar are
        /// written whatever happens.
        /// </summary>
        internal void DeliverToEnd(Action<CancellationToken> deliver, PipelineLog log, ProgressRecord progress)
        {
            log.Flush(this);
            try
            {
                deliver(CancellationToken);
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
            }
            finally
            {
                log.Flush(this);
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }
        }

        /// <summary>
        /// A run's progress bar, for more than one item and at most a few times a second: each WriteProgress repaints the
        /// host's bar, which costs more than sending a small message.
        /// </summary>
        internal void ShowProgress(ProgressRecord record, Core.Runs.RunProgress progress, Func<string> status, Func<int> percent)
        {
            if (progress.Count <= 1 || (_progressShown && _progressClock.Elapsed < Core.Runs.SendRun.IdleInterval))
            {
                return;
            }

            _progressShown = true;
            _progressClock.Restart();
            record.StatusDescription = status();
            record.PercentComplete = percent();
            WriteProgress(record);
        }

        /// <summary>One result to the pipeline, after the log lines queued before it, and for a failed one also its error record.</summary>
        internal void WriteResult(object result, G5MailErrorException? error, PipelineLog log)
        {
            log.Flush(this);
            WriteObject(result);
            if (error != null)
            {
                WriteG5Error(error);
            }
        }

        /// <summary>
        /// What a run asks of its cmdlet (ShouldProcess, Write, Idle), all on the pipeline thread. A nested class the cmdlets
        /// construct inside their methods rather than an interface of the cmdlet: an exported type that names an engine type
        /// would load the engine before the dependency isolation is in place (see ModuleInitializer).
        /// </summary>
        private protected sealed class PipelineHost<TResult> : Core.Runs.IRunHost<TResult>
        {
            private readonly Func<string, string, bool> _shouldProcess;
            private readonly Action<TResult> _write;
            private readonly Action<Core.Runs.RunProgress> _idle;

            public PipelineHost(Func<string, string, bool> shouldProcess, Action<TResult> write, Action<Core.Runs.RunProgress> idle)
            {
                _shouldProcess = shouldProcess;
                _write = write;
                _idle = idle;
            }

            public bool ShouldProcess(string target, string action) => _shouldProcess(target, action);

            public void Write(TResult result) => _write(result);

            /// <summary>Queued log lines, and progress a few times a second (each WriteProgress repaints the host's bar, which costs more than sending a small message).</summary>
            public void Idle(Core.Runs.RunProgress progress) => _idle(progress);
        }

        /// <summary>A bad call: stops the cmdlet with the engine error's id.</summary>
        protected void ThrowTerminating(G5MailErrorException ex) => ThrowTerminatingError(ToErrorRecord(ex));

        /// <summary>One bad item: reported, and the pipeline goes on.</summary>
        protected void WriteG5Error(G5MailErrorException ex) => WriteError(ToErrorRecord(ex));
    }
}
