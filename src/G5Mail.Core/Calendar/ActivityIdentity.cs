using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace G5Mail.Core.Calendar
{
    /// <summary>
    /// How an activity is known to calendars across runs: its UID (RFC 5545 3.8.4.7), stable for the activity, and its
    /// SEQUENCE (3.8.7.4), which must grow with every version sent (RFC 5546 2.1.4: a client ignores a REQUEST whose
    /// SEQUENCE is lower than the one it has).
    /// </summary>
    public static class ActivityIdentity
    {
        /// <summary>SEQUENCE without a state file: whole seconds since this instant, so a later run always sends a higher one.</summary>
        internal static readonly DateTimeOffset ClockEpoch = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

        private static long _lastClockSequence;

        /// <summary>
        /// "monitor-activity-A%2017@example.com": Monitor's activity id (characters outside letters, digits, '-', '_' and '.'
        /// percent-encoded) at the organizer's domain. The same activity and domain give the same UID on any computer, so
        /// updates reach the same event even without a state file.
        /// </summary>
        public static string UidFor(string activityId, string organizerAddress)
        {
            int at = organizerAddress.LastIndexOf('@');
            string domain = at >= 0 ? organizerAddress.Substring(at + 1).ToLowerInvariant() : "g5mail.invalid";
            var id = new StringBuilder(activityId.Length + 8);
            foreach (byte b in Encoding.UTF8.GetBytes(activityId))
            {
                char c = (char)b;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
                {
                    id.Append(c);
                }
                else
                {
                    id.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            return "monitor-activity-" + id + "@" + domain;
        }

        /// <summary>
        /// A SEQUENCE without a state file: seconds since 2020-01-01 UTC (fits RFC 5545's integer until 2088), and never the
        /// same twice in this process, so an update sent a moment after the last still counts as newer.
        /// </summary>
        public static int ClockSequence(DateTimeOffset now)
        {
            long seconds = (long)(now - ClockEpoch).TotalSeconds;
            while (true)
            {
                long last = Interlocked.Read(ref _lastClockSequence);
                long next = Math.Max(seconds, last + 1);
                if (Interlocked.CompareExchange(ref _lastClockSequence, next, last) == last)
                {
                    return (int)Math.Min(int.MaxValue, next);
                }
            }
        }

        /// <summary>
        /// A hash of everything a calendar shows of the activity (not the input order, nor how a time was written): equal
        /// hashes mean a rerun has nothing to change. Times as instants, the zone by its IANA id, addresses (and their display names) without case.
        /// </summary>
        public static string Hash(Activity activity)
        {
            var text = new StringBuilder(256);
            void Add(string name, string? value) => text.Append(name).Append('=').Append(value ?? string.Empty).Append('\u001f');
            Add("v", "1");
            Add("subject", activity.Subject);
            Add("allDay", activity.AllDay ? "1" : "0");
            Add("start", activity.AllDay ? ContentLines.Date(activity.LocalStart) : ContentLines.Utc(activity.Start));
            Add("end", activity.AllDay ? ContentLines.Date(activity.LocalEnd) : ContentLines.Utc(activity.End));
            Add("zone", activity.TimeZoneId);
            Add("location", activity.Location);
            Add("description", activity.Description);
            // Addresses compare without case (as mail systems do): a re-typed capital letter is not a change to send out.
            Add("organizer", activity.Organizer.ToLowerInvariant());
            Add("attendees", string.Join(";", activity.Attendees).ToLowerInvariant());
            Add("reminder", activity.ReminderMinutes?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add("categories", string.Join(";", activity.Categories));
            Add("showAs", activity.ShowAs.ToString());
            Add("cancelled", activity.Cancelled ? "1" : "0");
            using (SHA256 sha = SHA256.Create())
            {
                byte[] hash = sha.ComputeHash(Encoding.UTF8.GetBytes(text.ToString()));
                return string.Concat(hash.Take(16).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
            }
        }
    }
}
