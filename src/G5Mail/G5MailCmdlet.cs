using System;
using System.Management.Automation;
using System.Threading;
using G5Mail.Core;
using G5Mail.Core.Diagnostics;
using G5Mail.Core.Settings;

namespace G5Mail
{
    /// <summary>
    /// What every G5Mail cmdlet needs: cancellation on Ctrl+C and the mapping of engine errors to error records
    /// with the contract's stable ids.
    /// </summary>
    public abstract class G5MailCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new CancellationTokenSource();

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

        // The cmdlets implement Begin, Process and End; PowerShell's entry points run them under Guard.
        protected sealed override void BeginProcessing() => Guard(Begin);

        protected sealed override void ProcessRecord() => Guard(Process);

        protected sealed override void EndProcessing() => Guard(End);

        protected virtual void Begin()
        {
        }

        protected virtual void Process()
        {
        }

        protected virtual void End()
        {
        }

        /// <summary>
        /// The engine turns what can go wrong into G5MailExceptions that the cmdlets report. Anything else of the engine's
        /// or its dependencies' types that still escapes (an engine bug) stops the cmdlet with the same message and the
        /// id PowerShell would give it (the exception's type name), but as a <see cref="G5MailErrorException"/>: no type
        /// of G5Mail's private load context may reach the session.
        /// </summary>
        private void Guard(Action step)
        {
            try
            {
                step();
            }
            catch (Exception ex) when (G5MailErrorException.InvolvesPrivateTypes(ex))
            {
                var engine = ex as G5MailException;
                ThrowTerminatingError(new ErrorRecord(G5MailErrorException.From(ex), engine?.ErrorId ?? ex.GetType().Name,
                    engine != null ? ToCategory(engine.Kind) : ErrorCategory.NotSpecified, G5MailErrorException.PublicTarget(engine?.Target)));
            }
        }

        /// <summary>
        /// The engine error as an error record with its id, category and target; the record carries a
        /// <see cref="G5MailErrorException"/>, not the engine's (or MailKit's, MSAL's) exception types, which live in
        /// G5Mail's private load context.
        /// </summary>
        internal static ErrorRecord ToErrorRecord(G5MailException ex)
        {
            return new ErrorRecord(G5MailErrorException.From(ex), ex.ErrorId, ToCategory(ex.Kind), G5MailErrorException.PublicTarget(ex.Target));
        }

        internal static ErrorCategory ToCategory(ErrorKind kind)
        {
            return Enum.TryParse(kind.ToString(), out ErrorCategory category) ? category : ErrorCategory.NotSpecified;
        }

        /// <summary>
        /// Loads the effective settings (System overlaid with User), applies this call's overrides, writes settings
        /// problems and warnings, and stops with SettingsIncomplete when the result cannot work.
        /// </summary>
        internal Core.Settings.MailSettings LoadEffectiveSettingsOrThrow(Action<Core.Settings.MailSettings> overrides, bool enforceComplete = true)
        {
            SettingsView view = LoadEffectiveSettingsView();
            Core.Settings.MailSettings settings = view.Settings;
            overrides(settings);
            var findings = SettingsFindings.Evaluate(settings, view.Sources);
            foreach (Core.Diagnostics.Finding finding in findings)
            {
                if (finding.Severity == Core.Diagnostics.FindingSeverity.Warning)
                {
                    WriteWarning(finding.Message);
                }
                else if (finding.Severity == Core.Diagnostics.FindingSeverity.Information)
                {
                    WriteVerbose(finding.Message);
                }
            }

            if (enforceComplete)
            {
                try
                {
                    SettingsFindings.EnsureComplete(findings, view.Problems);
                }
                catch (G5MailException ex)
                {
                    ThrowTerminating(ex);
                }
            }

            return settings;
        }

        /// <summary>Loads the effective settings and writes their problems (e.g. SecretUnreadable) as errors or warnings.</summary>
        internal SettingsView LoadEffectiveSettingsView()
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
                if (problem.Severity == Core.Diagnostics.FindingSeverity.Error)
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

        /// <summary>A bad call: stops the cmdlet with the engine error's id.</summary>
        protected void ThrowTerminating(G5MailException ex) => ThrowTerminatingError(ToErrorRecord(ex));

        /// <summary>One bad item: reported, and the pipeline goes on.</summary>
        protected void WriteG5Error(G5MailException ex) => WriteError(ToErrorRecord(ex));
    }
}
