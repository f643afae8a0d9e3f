namespace G5Mail.Core.Calendar
{
    /// <summary>
    /// One activity as it came from the pipeline: the values as given (strings from Import-Csv, or typed values from
    /// objects), not yet checked. <see cref="ActivityReader"/> turns it into an <see cref="Activity"/> or an error.
    /// </summary>
    public sealed class ActivityRequest
    {
        public string? ActivityId { get; set; }
        public string? Subject { get; set; }

        /// <summary>A DateTime, DateTimeOffset or string (ISO 8601, or "2027-03-28 14:30" as a Swedish Excel export writes it).</summary>
        public object? Start { get; set; }

        public object? End { get; set; }
        public object? DurationMinutes { get; set; }
        public object? AllDay { get; set; }

        /// <summary>IANA ("Europe/Stockholm") or Windows ("W. Europe Standard Time") id; default the computer's zone.</summary>
        public string? TimeZone { get; set; }

        public string? Location { get; set; }
        public string? Description { get; set; }
        public string? Organizer { get; set; }
        public string[]? Attendees { get; set; }
        public object? ReminderMinutes { get; set; }
        public string[]? Categories { get; set; }
        public string? ShowAs { get; set; }

        /// <summary>Active (default) or Cancelled.</summary>
        public string? Status { get; set; }

        /// <summary>Position in the input, for results in input order.</summary>
        public int InputIndex { get; set; }

        /// <summary>The pipeline object, as the error record's target.</summary>
        public object? Source { get; set; }
    }
}
