using System.Management.Automation;
using G5Mail.Core.Settings;

namespace G5Mail.Commands
{
    /// <summary>
    /// <para type="synopsis">Gets the G5Mail settings of the System or User scope, or the effective settings.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "G5MailSetting")]
    [OutputType(typeof(MailSettings))]
    public sealed class GetG5MailSettingCommand : G5MailCmdlet
    {
        /// <summary>
        /// <para type="description">System, User, or Effective (default): System overlaid with User, then defaults.</para>
        /// </summary>
        [Parameter(Position = 0)]
        public SettingsScope Scope { get; set; } = SettingsScope.Effective;

        protected override void OnProcess()
        {
            var service = new SettingsService();
            WriteVerbose($"Reading System settings from '{service.Store.Paths.SystemFile}' and User settings from '{service.Store.Paths.UserFile}'.");
            SettingsView view;
            try
            {
                view = service.Get(Scope);
            }
            catch (G5MailErrorException ex)
            {
                ThrowTerminating(ex);
                return;
            }

            WriteDebug($"{Scope}: {view.Sources.Count} sources, {view.Findings.Count} findings, {view.Problems.Count} problems.");
            foreach (SettingsProblem problem in view.Problems)
            {
                if (problem.Severity == FindingSeverity.Error)
                {
                    WriteG5Error(problem.ToException());
                }
                else
                {
                    WriteWarning(problem.Message);
                }
            }

            WriteObject(MailSettings.FromView(view));
        }
    }
}
