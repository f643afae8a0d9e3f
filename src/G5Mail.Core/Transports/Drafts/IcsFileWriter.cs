using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Calendar;

namespace G5Mail.Core.Transports.Drafts
{
    /// <summary>
    /// Sync-G5Activity -IcsDirectory: each change as one .ics file (the same iCalendar object an invitation carries), for
    /// any method on any platform, with no connection. Names as drafts get them: the activity id made safe for every file
    /// system, " (2)", " (3)"... rather than replacing a file, each file written whole or not at all.
    /// </summary>
    public sealed class IcsFileWriter : ICalendarTransport
    {
        private const string Extension = ".ics";
        private readonly string? _sentBy;

        public IcsFileWriter(string directory, string? sentBy)
        {
            if (string.IsNullOrWhiteSpace(directory))
            {
                throw new ArgumentException("A folder is needed.", nameof(directory));
            }

            Directory = Path.GetFullPath(directory);
            _sentBy = sentBy;
        }

        public string Directory { get; }

        public string Server => Directory;

        public bool WritesFiles => true;

        public Task<CalendarReceipt> ApplyAsync(CalendarChange change, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            byte[] text = new UTF8Encoding(false).GetBytes(ActivityCalendar.Write(change, _sentBy));
            string name = DraftWriter.FileNameFor(new[] { change.Activity.ActivityId }, 1, 1);
            string path = DraftWriter.WriteUnique(Directory, name, Extension, ".ics file", file => file.Write(text, 0, text.Length));
            return Task.FromResult(new CalendarReceipt(path, path));
        }

        public void Dispose()
        {
        }
    }
}
