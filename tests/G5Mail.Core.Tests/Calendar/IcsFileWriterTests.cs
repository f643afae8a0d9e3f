using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Calendar;
using G5Mail.Core.Transports;
using G5Mail.Core.Transports.Drafts;
using Ical.Net.CalendarComponents;
using Xunit;
using static G5Mail.Core.Tests.Calendar.CalendarFixtures;

namespace G5Mail.Core.Tests.Calendar
{
    /// <summary>Sync-G5Activity -IcsDirectory: one .ics file per change, never over another.</summary>
    public sealed class IcsFileWriterTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();

        public void Dispose() => _folder.Dispose();

        [Fact]
        public async Task A_change_is_written_as_id_ics_and_parses()
        {
            string folder = Path.Combine(_folder.Path, "ics");
            using var writer = new IcsFileWriter(folder, "assistent@example.com");
            Assert.True(writer.WritesFiles);
            Assert.Equal(Path.GetFullPath(folder), writer.Server);
            CalendarChange change = Change(Read(Request("A-1001", "Service åäö")));

            CalendarReceipt receipt = (await writer.ApplyAsync(change, CancellationToken.None));

            string expected = Path.Combine(Path.GetFullPath(folder), "A-1001.ics");
            Assert.Equal(expected, receipt.Path);
            Assert.Equal(expected, receipt.RemoteId);
            byte[] bytes = File.ReadAllBytes(expected);
            Assert.False(bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF, "no byte order mark");
            string text = new UTF8Encoding(false, true).GetString(bytes);
            Assert.Equal(ActivityCalendar.Write(change, "assistent@example.com"), text);

            CalendarEvent e = Assert.Single(Parse(text).Events);
            Assert.Equal("Service åäö", e.Summary);
            Assert.Equal(change.Uid, e.Uid);
            Assert.Equal("mailto:assistent@example.com", e.Organizer!.SentBy!.OriginalString);
        }

        [Fact]
        public async Task A_second_write_of_the_same_id_is_numbered_and_the_first_is_kept()
        {
            using var writer = new IcsFileWriter(_folder.Path, null);
            Activity a = Read(Request("A-1001"));
            string first = (await writer.ApplyAsync(Change(a, ChangeKind.Create, 0), CancellationToken.None)).Path!;
            string second = (await writer.ApplyAsync(Change(a, ChangeKind.Update, 1), CancellationToken.None)).Path!;
            string third = (await writer.ApplyAsync(Change(a, ChangeKind.Update, 2), CancellationToken.None)).Path!;

            Assert.Equal("A-1001.ics", Path.GetFileName(first));
            Assert.Equal("A-1001 (2).ics", Path.GetFileName(second));
            Assert.Equal("A-1001 (3).ics", Path.GetFileName(third));
            Assert.Equal(0, Assert.Single(Parse(File.ReadAllText(first)).Events).Sequence);
            Assert.Equal(1, Assert.Single(Parse(File.ReadAllText(second)).Events).Sequence);
        }

        [Fact]
        public async Task An_id_with_characters_a_file_system_refuses_still_gives_a_file()
        {
            using var writer = new IcsFileWriter(_folder.Path, null);
            string path = (await writer.ApplyAsync(Change(Read(Request("A/1:2*3"))), CancellationToken.None)).Path!;
            Assert.True(File.Exists(path));
            Assert.Equal(_folder.Path, Path.GetDirectoryName(path));
            Assert.DoesNotContain('/', Path.GetFileName(path));
            Assert.EndsWith(".ics", path);
        }

        [Fact]
        public async Task A_cancelled_token_writes_nothing()
        {
            using var writer = new IcsFileWriter(_folder.Path, null);
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.ApplyAsync(Change(Read(Request())), cancelled.Token));
            Assert.Empty(Directory.GetFiles(_folder.Path));
        }

        [Fact]
        public void No_folder_is_an_argument_error()
        {
            Assert.Throws<ArgumentException>(() => new IcsFileWriter(" ", null));
        }
    }
}
