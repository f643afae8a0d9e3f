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

        /// <summary>
        /// -InviteAttendees: the server-based methods (Exchange Online, Exchange, Outlook) also send invitations to the
        /// attendees; without it the event is in the organizer's calendar alone. SMTP always invites (that is what it does).
        /// </summary>
        public bool InviteAttendees { get; set; }

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

        /// <summary>
        /// Files are written one at a time, and Outlook takes one change at a time (one COM application, one caller, as
        /// <see cref="SendRunOptions.ConnectionLimit"/>); other methods use up to <see cref="ThrottleLimit"/> connections.
        /// </summary>
        public int ConnectionLimit => WritesFiles || Settings.Method == MailMethod.Outlook ? 1 : _throttleLimit;
    }
}
