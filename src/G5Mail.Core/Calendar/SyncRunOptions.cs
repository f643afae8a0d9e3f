using System;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;

namespace G5Mail.Core.Calendar
{
    /// <summary>What one Sync-G5Activity call asks for, after settings and per-call overrides are merged.</summary>
    public sealed class SyncRunOptions
    {
        /// <summary>The method name results and the state use for -IcsDirectory.</summary>
        public const string IcsMethod = "Ics";

        private int _throttleLimit = 1;

        public SyncRunOptions(SettingValues effective)
        {
            Settings = effective;
        }

        public SettingValues Settings { get; }

        /// <summary>-WhatIf (or $WhatIfPreference): nothing is sent or written; each change is reported with Status WhatIf.</summary>
        public bool WhatIf { get; set; }

        /// <summary>-StatePath, opened (and disposed) by the caller; read-only for -WhatIf.</summary>
        public SyncState? State { get; set; }

        /// <summary>-RemoveMissing: cancel the activities the state knows and the input does not hold.</summary>
        public bool RemoveMissing { get; set; }

        /// <summary>-IcsDirectory: write .ics files there instead of changing calendars.</summary>
        public string? IcsDirectory { get; set; }

        public bool WritesFiles => IcsDirectory != null;

        /// <summary>The method in results and in the state: the settings' method, or "Ics" for -IcsDirectory.</summary>
        public string MethodName => WritesFiles ? IcsMethod : Settings.Method?.ToString() ?? string.Empty;

        public RetryPolicy Retry { get; set; } = RetryPolicy.Default;

        /// <summary>-ThrottleLimit: changes sent at once, each on a connection of its own (1 to <see cref="SendRunOptions.MaxThrottleLimit"/>).</summary>
        public int ThrottleLimit
        {
            get => _throttleLimit;
            set
            {
                if (value < 1 || value > SendRunOptions.MaxThrottleLimit)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), value, $"The throttle limit must be between 1 and {SendRunOptions.MaxThrottleLimit}.");
                }

                _throttleLimit = value;
            }
        }

        /// <summary>Files are written one at a time; invitations over up to <see cref="ThrottleLimit"/> connections.</summary>
        public int ConnectionLimit => WritesFiles ? 1 : _throttleLimit;

        /// <summary>
        /// Throws MethodNotSupported when the method cannot sync calendars in this version. Checked once, before anything
        /// is read, so a run fails with one error rather than one per activity.
        /// </summary>
        public static void CheckMethod(MailMethod? method, bool writesFiles)
        {
            if (writesFiles || method == MailMethod.Smtp || method == null)
            {
                return;
            }

            throw new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.NotImplemented,
                $"Sync-G5Activity cannot write calendars with the {method} method yet: this version sends iCalendar invitations by SMTP. Use "
                + "-Method Smtp (with an SMTP server that relays for the organizers), or -IcsDirectory <folder> to write one .ics file per "
                + "activity with any method.", "Method");
        }
    }
}
