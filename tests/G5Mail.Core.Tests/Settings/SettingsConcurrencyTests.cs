using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Files;
using G5Mail.Core.Settings;
using Xunit;

namespace G5Mail.Core.Tests.Settings
{
    /// <summary>
    /// Several writers of one settings file at once: the lock, waiting for it, no lost update,
    /// readers that only ever see whole files, corrupt files that are refused and never overwritten, and a key file
    /// that two creators agree on. Each writer uses its own store and lock handle, as separate processes would
    /// (flock and Windows share modes apply per open handle, so threads exercise the same lock as processes).
    /// </summary>
    public sealed class SettingsConcurrencyTests : IDisposable
    {
        private readonly TempConfig _config = new TempConfig();

        public void Dispose() => _config.Dispose();

        private string LockFile => _config.UserFile + SettingsLock.Suffix;

        private static KeyValuePair<string, object?> Value(string name, object? value) => new KeyValuePair<string, object?>(name, value);

        private static SettingsService NewService(TempConfig config, TimeSpan? lockTimeout = null)
        {
            var store = new SettingsStore(config.Paths);
            if (lockTimeout.HasValue)
            {
                store.LockTimeout = lockTimeout.Value;
            }

            return new SettingsService(store);
        }

        private static void Set(SettingsService service, params KeyValuePair<string, object?>[] values) =>
            service.Apply(service.Plan(SettingsScope.User, values, Array.Empty<string>()));

        /// <summary>Runs <paramref name="count"/> dedicated threads (the thread pool would add them too slowly for a barrier).</summary>
        private static void RunAtOnce(int count, Barrier start, Action<int> body)
        {
            var errors = new ConcurrentQueue<Exception>();
            var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
            {
                try
                {
                    body(i);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                    try
                    {
                        start.RemoveParticipant(); // so the others do not wait for this one forever
                    }
                    catch (InvalidOperationException)
                    {
                    }
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => Assert.True(t.Join(TimeSpan.FromSeconds(30))));
            Assert.Empty(errors);
        }

        [Fact]
        public void Lock_is_exclusive_until_released_and_the_timeout_names_both_files()
        {
            using (SettingsLock held = SettingsLock.Acquire(_config.UserFile, TimeSpan.FromSeconds(1)))
            {
                Assert.Equal(LockFile, held.Path);
                var watch = Stopwatch.StartNew();
                var ex = Assert.Throws<G5MailErrorException>(() => SettingsLock.Acquire(_config.UserFile, TimeSpan.FromMilliseconds(300)));
                watch.Stop();

                Assert.Equal(ErrorIds.SettingsLocked, ex.ErrorId);
                Assert.Equal(ErrorKind.ResourceUnavailable, ex.Kind);
                Assert.Contains(_config.UserFile, ex.Message);
                Assert.Contains(LockFile, ex.Message);
                Assert.Contains("another process", ex.Message);
                Assert.True(watch.ElapsedMilliseconds >= 290, $"gave up after {watch.ElapsedMilliseconds} ms, before the 300 ms wait");
            }

            using (SettingsLock.Acquire(_config.UserFile, TimeSpan.Zero))
            {
                // Released on dispose: taken at once without waiting.
            }

            Assert.True(File.Exists(LockFile), "the lock file stays: deleting it would let two writers hold 'the' lock on Unix");
        }

        [Fact]
        public void A_leftover_lock_file_without_a_holder_does_not_block()
        {
            File.WriteAllText(LockFile.EnsureFolder(), "left by a process that was killed");
            var watch = Stopwatch.StartNew();
            Set(NewService(_config, TimeSpan.FromSeconds(5)), Value("Port", 587));
            Assert.True(watch.ElapsedMilliseconds < 2000, $"Set took {watch.ElapsedMilliseconds} ms");
            Assert.Equal(587, _config.Store.Load(SettingsScope.User).Settings.Port);
        }

        [Fact]
        public async Task Set_waits_for_the_other_writer_and_then_succeeds()
        {
            Set(_config.Service, Value("Server", "first.example.com"));
            var service = NewService(_config, TimeSpan.FromSeconds(10));
            var plan = service.Plan(SettingsScope.User, new[] { Value("Port", 2525) }, Array.Empty<string>());

            Task apply;
            var watch = Stopwatch.StartNew();
            using (SettingsLock.Acquire(_config.UserFile, TimeSpan.FromSeconds(1)))
            {
                apply = Task.Run(() => service.Apply(plan));
                Thread.Sleep(400);
                Assert.False(apply.IsCompleted, "Apply must wait while another writer holds the lock");
            }

            await apply.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(watch.ElapsedMilliseconds >= 400);
            var loaded = _config.Store.Load(SettingsScope.User).Settings;
            Assert.Equal("first.example.com", loaded.Server);
            Assert.Equal(2525, loaded.Port);
        }

        [Fact]
        public void Set_that_cannot_get_the_lock_fails_with_SettingsLocked_and_leaves_the_file_untouched()
        {
            Set(_config.Service, Value("Server", "kept.example.com"));
            byte[] before = File.ReadAllBytes(_config.UserFile);
            var service = NewService(_config, TimeSpan.FromMilliseconds(300));
            var plan = service.Plan(SettingsScope.User, new[] { Value("Server", "lost.example.com") }, Array.Empty<string>());

            using (SettingsLock.Acquire(_config.UserFile, TimeSpan.FromSeconds(1)))
            {
                var ex = Assert.Throws<G5MailErrorException>(() => service.Apply(plan));
                Assert.Equal(ErrorIds.SettingsLocked, ex.ErrorId);
                Assert.Contains(LockFile, ex.Message);
            }

            Assert.Equal(before, File.ReadAllBytes(_config.UserFile));
        }

        [Fact]
        public void Waiting_for_the_lock_stops_at_once_when_cancelled()
        {
            var service = NewService(_config, TimeSpan.FromSeconds(30));
            var plan = service.Plan(SettingsScope.User, new[] { Value("Port", 25) }, Array.Empty<string>());
            using (SettingsLock.Acquire(_config.UserFile, TimeSpan.FromSeconds(1)))
            using (var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
            {
                var watch = Stopwatch.StartNew();
                Assert.ThrowsAny<OperationCanceledException>(() => service.Apply(plan, cancellation.Token));
                Assert.True(watch.ElapsedMilliseconds < 5000, $"cancellation took {watch.ElapsedMilliseconds} ms");
            }

            Assert.False(File.Exists(_config.UserFile));
        }

        [Fact]
        public async Task The_read_of_current_values_and_the_write_happen_under_one_lock()
        {
            // Writer A has read the file and is about to write; writer B changes another setting meanwhile.
            // Without the lock B would write in between and A would then write the file it read, losing B's change.
            Set(_config.Service, Value("Method", "Smtp"));
            var serviceA = NewService(_config, TimeSpan.FromSeconds(10));
            var serviceB = NewService(_config, TimeSpan.FromSeconds(10));
            var planB = serviceB.Plan(SettingsScope.User, new[] { Value("From", "b@example.se") }, Array.Empty<string>());
            Task? applyB = null;
            bool bFinishedWhileAHeldTheLock = false;
            serviceA.Store.WhileLockedAfterRead = () =>
            {
                applyB = Task.Run(() => serviceB.Apply(planB));
                // Blocking on purpose: this runs inside A's write, on A's thread, while A holds the lock.
                bFinishedWhileAHeldTheLock = SpinWait.SpinUntil(() => applyB.IsCompleted, TimeSpan.FromMilliseconds(1500));
            };

            Set(serviceA, Value("Server", "a.example.se"));
            Assert.NotNull(applyB);
            await applyB!.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(bFinishedWhileAHeldTheLock, "B must wait until A has written");

            var loaded = _config.Store.Load(SettingsScope.User).Settings;
            Assert.Equal(MailMethod.Smtp, loaded.Method);
            Assert.Equal("a.example.se", loaded.Server);
            Assert.Equal("b@example.se", loaded.From);
        }

        [Fact]
        public async Task Concurrent_writers_lose_no_update_and_readers_always_see_a_whole_file()
        {
            const int rounds = 60;
            var failures = new ConcurrentQueue<string>();
            int reads = 0;
            using var stop = new CancellationTokenSource();

            Task reader = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        // The raw file must always parse; Load (what Get-G5MailSetting uses) must always succeed.
                        if (File.Exists(_config.UserFile))
                        {
                            using (JsonDocument.Parse(File.ReadAllBytes(_config.UserFile)))
                            {
                            }
                        }

                        _config.Store.Load(SettingsScope.User);
                        Interlocked.Increment(ref reads);
                    }
                    catch (Exception ex)
                    {
                        failures.Enqueue("reader: " + ex.Message);
                    }
                }
            });

            (string Name, Func<int, object> Value)[] writers =
            {
                ("Server", n => "a-" + n + ".example.se"),
                ("From", n => "b" + n + "@example.se"),
                ("TenantId", n => "tenant" + n + ".onmicrosoft.com"),
                ("MaxAttachmentSizeMB", n => (double)(n + 1)),
            };
            Task[] tasks = writers.Select((w, index) => Task.Run(() =>
            {
                var service = NewService(_config, TimeSpan.FromSeconds(20));
                for (int n = 1; n <= rounds; n++)
                {
                    try
                    {
                        Set(service, Value(w.Name, w.Value(n)), Value("Port", (index * 1000) + n));
                    }
                    catch (Exception ex)
                    {
                        failures.Enqueue($"{w.Name} round {n}: {ex.Message}");
                    }
                }
            })).ToArray();

            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(90));
            stop.Cancel();
            await reader.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Empty(failures);
            Assert.True(reads > 0);
            var loaded = _config.Store.Load(SettingsScope.User);
            Assert.Empty(loaded.Problems);
            Assert.Equal("a-" + rounds + ".example.se", loaded.Settings.Server);
            Assert.Equal("b" + rounds + "@example.se", loaded.Settings.From);
            Assert.Equal("tenant" + rounds + ".onmicrosoft.com", loaded.Settings.TenantId);
            Assert.Equal(rounds + 1.0, loaded.Settings.MaxAttachmentSizeMB);
            Assert.Contains(loaded.Settings.Port, Enumerable.Range(0, writers.Length).Select(i => (int?)((i * 1000) + rounds)));
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_config.UserFile)!, "*.tmp"));
        }

        [Fact]
        public void Set_refuses_a_file_that_became_corrupt_after_Plan_and_leaves_it_as_it_is()
        {
            Set(_config.Service, Value("Server", "old.example.com"));
            var plan = _config.Service.Plan(SettingsScope.User, new[] { Value("Port", 587) }, Array.Empty<string>());
            string corrupt = "{\n  \"Server\": \"old.example.com\",\n  \"Port\": 25\n"; // cut off: no closing brace
            File.WriteAllText(_config.UserFile, corrupt);

            var ex = Assert.Throws<G5MailErrorException>(() => _config.Service.Apply(plan));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Contains(_config.UserFile, ex.Message);
            Assert.Contains("line 4, column 1", ex.Message);
            Assert.Contains("does not overwrite", ex.Message);
            Assert.Equal(corrupt, File.ReadAllText(_config.UserFile));
        }

        [Theory]
        [InlineData("{\n  \"Server\": \"a.example.com\",\n  \"Port\": 25,,\n}\n", "line 3, column 14")]
        [InlineData("{ \"From\": \"Åsa <asa@example.se>\" \"Port\": 25 }", "line 1, column 34")]
        [InlineData("\0\0\0\0\0\0\0\0", "line 1, column 1")]
        [InlineData("{ \"Server\": \"a.example.com\", }\ntrailing", "line 2, column 1")]
        public void Corrupt_file_error_gives_the_line_and_the_column_an_editor_shows(string content, string position)
        {
            File.WriteAllText(_config.UserFile.EnsureFolder(), content, new UTF8Encoding(false));
            var ex = Assert.Throws<G5MailErrorException>(() => _config.Store.Load(SettingsScope.User));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Contains(_config.UserFile, ex.Message);
            Assert.Contains(position, ex.Message);

            Assert.Throws<G5MailErrorException>(() => Set(_config.Service, Value("Port", 587)));
            Assert.Equal(content, File.ReadAllText(_config.UserFile));
        }

        [Fact]
        public void File_saved_in_a_legacy_code_page_is_refused_with_the_position_of_the_first_bad_byte()
        {
            // "Företag" in Windows-1252: 0xF6 for ö is not UTF-8; reading it anyway would change the text.
            byte[] content = Encoding.ASCII.GetBytes("{\n  \"From\": \"F?retag <info@example.se>\"\n}\n");
            int bad = Array.IndexOf(content, (byte)'?');
            content[bad] = 0xF6;
            File.WriteAllBytes(_config.UserFile.EnsureFolder(), content);

            var ex = Assert.Throws<G5MailErrorException>(() => _config.Store.Load(SettingsScope.User));
            Assert.Equal(ErrorIds.InvalidSetting, ex.ErrorId);
            Assert.Contains(_config.UserFile, ex.Message);
            Assert.Contains("UTF-8", ex.Message);
            Assert.Contains("0xF6", ex.Message);
            Assert.Contains("line 2, column 13", ex.Message);

            Assert.Throws<G5MailErrorException>(() => Set(_config.Service, Value("Port", 587)));
            Assert.Equal(content, File.ReadAllBytes(_config.UserFile));
        }

        [Theory]
        [InlineData("utf-16")]
        [InlineData("utf-16BE")]
        public void Utf16_file_with_a_byte_order_mark_is_read_and_rewritten_as_utf8(string encodingName)
        {
            // Windows PowerShell 5.1's Out-File and > write UTF-16 LE with a BOM.
            Encoding encoding = Encoding.GetEncoding(encodingName);
            File.WriteAllText(_config.UserFile.EnsureFolder(), "{ \"From\": \"Företag <info@example.se>\", \"Port\": 25 }", encoding);
            var loaded = _config.Store.Load(SettingsScope.User);
            Assert.Empty(loaded.Problems);
            Assert.Equal("Företag <info@example.se>", loaded.Settings.From);

            Set(_config.Service, Value("Port", 587));
            byte[] bytes = File.ReadAllBytes(_config.UserFile);
            Assert.Equal((byte)'{', bytes[0]);
            Assert.Contains("\"From\": \"Företag <info@example.se>\"", Encoding.UTF8.GetString(bytes));
            Assert.Equal(587, _config.Store.Load(SettingsScope.User).Settings.Port);
        }

        [UnixFact]
        public void Concurrent_first_use_creates_one_key_that_every_creator_uses()
        {
            // Many protectors, each as a separate process would be, protect a secret at the same moment in a folder
            // without a key file: all must end up with the one key on disk, or some secrets would never decrypt.
            string settingsFile = _config.UserFile.EnsureFolder();
            const int creators = 16;
            using var start = new Barrier(creators);
            var stored = new ProtectedSecret[creators];
            RunAtOnce(creators, start, i =>
            {
                SecretProtector protector = SecretProtector.For(SettingsScope.User, settingsFile);
                start.SignalAndWait();
                stored[i] = protector.Protect("ClientSecret", Secrets.Secure("secret-" + i));
            });

            SecretProtector reader = SecretProtector.For(SettingsScope.User, settingsFile);
            for (int i = 0; i < creators; i++)
            {
                Assert.Equal("secret-" + i, Secrets.Plain(reader.Unprotect("ClientSecret", stored[i])));
            }

            string folder = Path.GetDirectoryName(settingsFile)!;
            Assert.Equal(new[] { SecretProtector.KeyFileName }, Directory.GetFiles(folder).Select(Path.GetFileName));
        }

        [Fact]
        public void Create_new_publishes_exactly_one_of_several_simultaneous_files()
        {
            string path = Path.Combine(_config.Root, "once.bin");
            const int writers = 16;
            for (int round = 0; round < 20; round++)
            {
                File.Delete(path);
                using var start = new Barrier(writers);
                var won = new bool[writers];
                RunAtOnce(writers, start, i =>
                {
                    start.SignalAndWait();
                    won[i] = AtomicFile.Write(path, new[] { (byte)i }, overwrite: false);
                });

                int winner = Assert.Single(Enumerable.Range(0, writers), i => won[i]);
                Assert.Equal(new[] { (byte)winner }, File.ReadAllBytes(path));
            }

            Assert.Empty(Directory.GetFiles(_config.Root, "*.tmp"));
        }

        [Fact]
        public void Temp_files_left_by_a_killed_writer_are_removed_by_the_next_write_but_fresh_ones_are_not()
        {
            Set(_config.Service, Value("Port", 25));
            string folder = Path.GetDirectoryName(_config.UserFile)!;
            string stale = Path.Combine(folder, ".settings.json.0123456789ab.tmp");
            string staleKey = Path.Combine(folder, ".settings.key.0123456789ab.tmp");
            string fresh = Path.Combine(folder, ".settings.json.ba9876543210.tmp");
            foreach (string file in new[] { stale, staleKey, fresh })
            {
                File.WriteAllText(file, "{ \"Port\": ");
            }

            File.SetLastWriteTimeUtc(stale, DateTime.UtcNow - AtomicFile.LeftoverAge - TimeSpan.FromMinutes(1));
            File.SetLastWriteTimeUtc(staleKey, DateTime.UtcNow - AtomicFile.LeftoverAge - TimeSpan.FromMinutes(1));

            Set(_config.Service, Value("Port", 587));
            Assert.False(File.Exists(stale));
            Assert.False(File.Exists(staleKey));
            Assert.True(File.Exists(fresh), "a recent temp file may belong to a writer still at work");
        }
    }
}
