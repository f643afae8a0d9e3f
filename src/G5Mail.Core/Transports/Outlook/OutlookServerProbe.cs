using System;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Diagnostics;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>Stable codes of the Outlook findings of Test-G5MailServer (beside <see cref="ServerFindingCodes"/>).</summary>
    public static class OutlookFindingCodes
    {
        public const string OutlookRegistered = "OutlookRegistered";
        public const string OutlookNotRegistered = "OutlookNotRegistered";
        public const string OutlookNotInteractive = "OutlookNotInteractive";
        public const string OutlookRunning = "OutlookRunning";
        public const string OutlookNotRunning = "OutlookNotRunning";
    }

    /// <summary>
    /// Test-G5MailServer for the Outlook method: is classic Outlook's COM class registered, which version, is this an
    /// interactive session, is Outlook running. It reads the registry and the process list only: starting Outlook
    /// could open dialogs (profile choice, sign-in), which a check must not do.
    /// </summary>
    public sealed class OutlookServerProbe : IServerProbe
    {
        private readonly IOutlookHost _host;

        public OutlookServerProbe()
            : this(OutlookHost.Current)
        {
        }

        internal OutlookServerProbe(IOutlookHost host)
        {
            _host = host;
        }

        public MailMethod Method => MailMethod.Outlook;

        public Task<ServerTestResult> ProbeAsync(ServerProbeRequest request, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = new ServerTestResult(MailMethod.Outlook) { Server = "Outlook", Endpoint = "COM class Outlook.Application" };
            if (!_host.IsWindows)
            {
                result.Error(ServerFindingCodes.MethodNotSupported, "Method", OutlookErrors.NotWindows().Message);
                return Task.FromResult(result);
            }

            OutlookRegistration registration = _host.ReadRegistration();
            if (!registration.IsRegistered)
            {
                result.Error(OutlookFindingCodes.OutlookNotRegistered, "Method", OutlookErrors.NotInstalled().Message);
            }
            else
            {
                result.Reachable = true;
                result.Server = "Outlook " + registration.VersionText;
                result.Endpoint = "COM class " + (registration.CurrentVersion ?? "Outlook.Application")
                                  + (registration.ExecutablePath != null ? " (" + registration.ExecutablePath + ")" : string.Empty);
                result.Capabilities = new[] { "Send", "Display", "SaveAsDraft" };
                result.Information(OutlookFindingCodes.OutlookRegistered, null,
                    $"Classic Outlook is installed: {registration.ProductName}, version {registration.VersionText} "
                    + $"({registration.CurrentVersion ?? "no CurVer"}, {registration.ExecutablePath ?? "program path not registered"}).");
            }

            if (!_host.IsInteractiveSession)
            {
                result.Error(OutlookFindingCodes.OutlookNotInteractive, "Method", OutlookErrors.NotInteractive().Message);
            }
            else if (registration.IsRegistered)
            {
                if (_host.IsOutlookRunning())
                {
                    result.Information(OutlookFindingCodes.OutlookRunning, null, "Outlook is running: messages are handed to it at once.");
                }
                else
                {
                    result.Information(OutlookFindingCodes.OutlookNotRunning, null,
                        "Outlook is not running: Send-G5Document starts it without a window, and sent messages may wait in the Outbox "
                        + "until Outlook runs. Start Outlook before sending.");
                }
            }

            return Task.FromResult(result);
        }
    }
}
