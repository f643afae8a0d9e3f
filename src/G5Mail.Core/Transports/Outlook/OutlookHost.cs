using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>The facts of this computer the Outlook method depends on, behind one seam so tests can set them.</summary>
    internal interface IOutlookHost
    {
        bool IsWindows { get; }

        /// <summary>A logged-on user's desktop session (not a service, not session 0, not a hidden window station).</summary>
        bool IsInteractiveSession { get; }

        bool IsOutlookRunning();

        OutlookRegistration ReadRegistration();

        /// <summary>Creates (or attaches to) Outlook.Application; throws what COM throws.</summary>
        IOutlookApplication Connect();
    }

    /// <summary>The real computer.</summary>
    internal sealed class OutlookHost : IOutlookHost
    {
        public static readonly OutlookHost Current = new OutlookHost();

        private OutlookHost()
        {
        }

        public bool IsWindows => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        public bool IsInteractiveSession
        {
            get
            {
                // UserInteractive is false for services and for tasks that run "whether the user is logged on or not"
                // (a non-visible window station); session 0 is where services live.
                if (!Environment.UserInteractive)
                {
                    return false;
                }

                using (Process self = Process.GetCurrentProcess())
                {
                    return self.SessionId != 0;
                }
            }
        }

        public bool IsOutlookRunning()
        {
            Process[] processes = Process.GetProcessesByName("OUTLOOK");
            foreach (Process process in processes)
            {
                process.Dispose();
            }

            return processes.Length > 0;
        }

        public OutlookRegistration ReadRegistration()
        {
            if (!IsWindows)
            {
                return OutlookRegistration.NotRegistered;
            }

            return OutlookRegistration.Read(OutlookRegistration.ReadClassesRoot, path =>
            {
                try
                {
                    return System.IO.File.Exists(path) ? FileVersionInfo.GetVersionInfo(path).FileVersion : null;
                }
                catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException || ex is ArgumentException)
                {
                    return null;
                }
            });
        }

        public IOutlookApplication Connect() => OutlookComApplication.Start();
    }
}
