using System;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Calendar;
using G5Mail.Core.Runs;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>
    /// Sync-G5Activity with Method Outlook: the activity as an AppointmentItem in the profile's default calendar through
    /// the late-bound COM layer, the activity id as a UserProperty; Save, and Send when -InviteAttendees.
    /// </summary>
    public sealed class OutlookCalendarTransport : ICalendarTransport
    {
        private OutlookCalendarTransport()
        {
        }

        public string Server => "Outlook";

        public bool WritesFiles => false;

        /// <summary>Throws MethodNotSupported (naming -IcsDirectory) where Outlook cannot be driven; called once per run, before any activity.</summary>
        public static void CheckPlatform() => CheckPlatform(OutlookHost.Current);

        internal static void CheckPlatform(IOutlookHost host)
        {
            if (!host.IsWindows)
            {
                throw new G5MailErrorException(Errors.ErrorIds.MethodNotSupported, Errors.ErrorKind.NotImplemented,
                    "The Outlook method drives classic Outlook through its COM interface, which exists only on Windows. On this computer write the "
                    + "activities as .ics files with -IcsDirectory <folder> (Outlook imports them), or use -Method Smtp, ExchangeOnline or Exchange.", "Method");
            }
        }

        public static OutlookCalendarTransport Create(IRunLog log, bool inviteAttendees) =>
            throw new NotImplementedException("Outlook appointments: in progress on a branch (issue 17).");

        public Task<CalendarReceipt> ApplyAsync(CalendarChange change, CancellationToken cancellationToken) =>
            throw new NotImplementedException("Outlook appointments: in progress on a branch (issue 17).");

        public void Dispose()
        {
        }
    }
}
