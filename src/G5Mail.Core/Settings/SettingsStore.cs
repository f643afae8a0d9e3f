using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading;
using G5Mail.Core.Errors;
using G5Mail.Core.Files;

namespace G5Mail.Core.Settings
{
    /// <summary>One scope's settings as loaded from its file.</summary>
    public sealed class ScopeSettings
    {
        internal ScopeSettings(SettingsScope scope, string path, bool exists, SettingValues settings, IReadOnlyList<SettingsProblem> problems)
        {
            Scope = scope;
            Path = path;
            Exists = exists;
            Settings = settings;
            Problems = problems;
        }

        public SettingsScope Scope { get; }
        public string Path { get; }
        public bool Exists { get; }
        /// <summary>The values set in this scope; null where the scope sets nothing.</summary>
        public SettingValues Settings { get; }
        public IReadOnlyList<SettingsProblem> Problems { get; }
    }

    /// <summary>
    /// Reads and writes the settings files. The JSON uses the contract's names (PascalCase, read case-insensitively;
    /// comments and trailing commas in hand-edited files are tolerated). Secrets are stored as
    /// <c>{"protected": "&lt;base64&gt;", "scheme": "…"}</c>, the credential as
    /// <c>{"UserName": "…", "Password": {"protected": …}}</c>. Unknown names are kept as they are, so a file
    /// written by a newer G5Mail survives an older one. Writes are atomic and owner-only on Unix.
    /// </summary>
    public sealed class SettingsStore
    {
        private const string ProtectedProperty = "protected";
        private const string SchemeProperty = "scheme";
        private const string UserNameProperty = "UserName";
        private const string PasswordProperty = "Password";

        private static readonly JsonDocumentOptions ReadOptions = new JsonDocumentOptions
        {
            AllowTrailingCommas = true,
            CommentHandling = JsonCommentHandling.Skip,
        };

        public SettingsStore(SettingsPaths paths)
        {
            Paths = paths;
        }

        public SettingsPaths Paths { get; }

        /// <summary>Chooses the secret protection per scope and file (tests swap it to simulate another machine).</summary>
        internal Func<SettingsScope, string, SecretProtector> ProtectorFactory { get; set; } = SecretProtector.For;

        /// <summary>Test seam: wraps the stream the settings file is written through (e.g. to fail half-way).</summary>
        internal Func<Stream, Stream>? WriteStreamWrapper { get; set; }

        public string PathOf(SettingsScope scope) => Paths.For(scope);

        /// <summary>
        /// Loads a scope. A missing file is an empty scope; a value that cannot be used (secret that does not decrypt,
        /// invalid hand-edited value) becomes a problem and the other values still load. A file that is not valid JSON
        /// throws InvalidSetting naming the file and the position.
        /// </summary>
        public ScopeSettings Load(SettingsScope scope)
        {
            string path = PathOf(scope);
            var settings = new SettingValues();
            var problems = new List<SettingsProblem>();
            List<KeyValuePair<string, JsonElement>>? document;
            try
            {
                if (scope == SettingsScope.System && Paths.WindowsProgramData)
                {
                    WindowsSystemFolder.CheckOwner(Path.GetDirectoryName(path)!);
                }

                document = ReadDocument(path);
            }
            catch (G5MailErrorException ex) when (ex.ErrorId == ErrorIds.SettingsReadFailed && ex.Kind == ErrorKind.SecurityError)
            {
                problems.Add(new SettingsProblem(FindingSeverity.Error, ex.ErrorId, ex.Kind, null, path, ex.Message));
                return new ScopeSettings(scope, path, true, settings, problems);
            }
            catch (UnauthorizedAccessException)
            {
                problems.Add(new SettingsProblem(FindingSeverity.Error, ErrorIds.PermissionDenied, ErrorKind.PermissionDenied, null, path,
                    $"The {scope} settings file '{path}' cannot be read by this account (it is readable by its owner only); its settings are ignored."));
                return new ScopeSettings(scope, path, true, settings, problems);
            }

            if (document is null)
            {
                return new ScopeSettings(scope, path, false, settings, problems);
            }

            SecretProtector protector = ProtectorFactory(scope, path);
            foreach (var property in document)
            {
                if (!SettingDefinitions.TryFind(property.Key, out SettingDefinition definition))
                {
                    problems.Add(new SettingsProblem(FindingSeverity.Warning, ErrorIds.InvalidSetting, ErrorKind.InvalidData, property.Key, path,
                        $"'{property.Key}' in '{path}' is not a G5Mail setting and is ignored. Valid names: {string.Join(", ", SettingDefinitions.All.Select(d => d.Name))}."));
                    continue;
                }

                if (property.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                try
                {
                    definition.SetValue(settings, Decode(definition, property.Value, protector));
                }
                catch (G5MailErrorException ex)
                {
                    string message = ex.ErrorId == ErrorIds.InvalidSetting
                        ? $"{ex.Message} Found in '{path}'; this value is ignored until it is set again."
                        : ex.Message;
                    problems.Add(new SettingsProblem(FindingSeverity.Error, ex.ErrorId, ex.Kind, definition.Name, path, message));
                }
            }

            return new ScopeSettings(scope, path, true, settings, problems);
        }

        /// <summary>
        /// Changes one scope's file: sets <paramref name="changes"/> (already validated), removes <paramref name="clear"/>,
        /// keeps every other stored value as it is (secrets stay encrypted, never decrypted here), and writes atomically.
        /// The current file is read and the new one written under the file's exclusive lock (<see cref="SettingsLock"/>),
        /// so a change made meanwhile by another process is kept, not overwritten with what was read before it.
        /// A file that is not valid JSON is refused (InvalidSetting naming file and position) and left as it is.
        /// </summary>
        public void Update(SettingsScope scope, IReadOnlyDictionary<SettingDefinition, object> changes, IEnumerable<SettingDefinition> clear,
            CancellationToken cancellationToken = default)
        {
            string path = PathOf(scope);
            using (AcquireLock(scope, path, cancellationToken))
            {
                UpdateLocked(scope, path, changes, clear);
            }
        }

        /// <summary>How long <see cref="Update"/> waits for another writer of the same file (tests shorten it).</summary>
        internal TimeSpan LockTimeout { get; set; } = SettingsLock.DefaultTimeout;

        /// <summary>Test seam: runs while the lock is held, after the current file was read and before the new one is written.</summary>
        internal Action? WhileLockedAfterRead { get; set; }

        private SettingsLock AcquireLock(SettingsScope scope, string path, CancellationToken cancellationToken)
        {
            try
            {
                if (scope == SettingsScope.System && Paths.WindowsProgramData)
                {
                    // Created with its ACL before anything is written into it, and refused when someone else owns it.
                    WindowsSystemFolder.Ensure(Path.GetDirectoryName(path)!);
                }

                return SettingsLock.Acquire(path, LockTimeout, cancellationToken, FileProtection.For(scope, secret: false));
            }
            catch (UnauthorizedAccessException ex)
            {
                throw WriteDenied(scope, path, ex);
            }
            catch (IOException ex)
            {
                throw new G5MailErrorException(ErrorIds.SettingsWriteFailed, ErrorKind.WriteError,
                    $"The {scope} settings could not be written: the lock file '{SettingsLock.PathFor(path)}' could not be opened ({ex.Message}). The settings file was left as it was.",
                    path, ex);
            }
        }

        private void UpdateLocked(SettingsScope scope, string path, IReadOnlyDictionary<SettingDefinition, object> changes, IEnumerable<SettingDefinition> clear)
        {
            List<KeyValuePair<string, JsonElement>> existing;
            try
            {
                existing = ReadDocument(path) ?? new List<KeyValuePair<string, JsonElement>>();
            }
            catch (UnauthorizedAccessException ex)
            {
                throw WriteDenied(scope, path, ex);
            }

            WhileLockedAfterRead?.Invoke();

            // Only a writer holding this lock makes temp files for this folder's settings and key file, so any that
            // exist now were left by a writer that was killed mid-write: harmless, but clutter.
            AtomicFile.DeleteLeftovers(path);
            AtomicFile.DeleteLeftovers(Path.Combine(Path.GetDirectoryName(path)!, SecretProtector.KeyFileName));

            var cleared = new HashSet<SettingDefinition>(clear);
            var kept = new Dictionary<SettingDefinition, JsonElement>();
            var unknown = new List<KeyValuePair<string, JsonElement>>();
            foreach (var property in existing)
            {
                if (SettingDefinitions.TryFind(property.Key, out SettingDefinition definition))
                {
                    if (!cleared.Contains(definition) && !changes.ContainsKey(definition))
                    {
                        kept[definition] = property.Value;
                    }
                }
                else
                {
                    unknown.Add(property);
                }
            }

            SecretProtector protector = ProtectorFactory(scope, path);
            byte[] json;
            try
            {
                json = Serialize(writer =>
                {
                    foreach (SettingDefinition definition in SettingDefinitions.All)
                    {
                        if (changes.TryGetValue(definition, out object? value))
                        {
                            writer.WritePropertyName(definition.Name);
                            Encode(writer, definition, value, protector);
                        }
                        else if (kept.TryGetValue(definition, out JsonElement raw))
                        {
                            writer.WritePropertyName(definition.Name);
                            raw.WriteTo(writer);
                        }
                    }

                    foreach (var property in unknown)
                    {
                        writer.WritePropertyName(property.Key);
                        property.Value.WriteTo(writer);
                    }
                });
            }
            catch (UnauthorizedAccessException ex)
            {
                // Creating the key file beside a settings file that this account may not write.
                throw WriteDenied(scope, path, ex);
            }

            try
            {
                AtomicFile.Write(path, json, overwrite: true, WriteStreamWrapper, FileProtection.For(scope, secret: false));
            }
            catch (UnauthorizedAccessException ex)
            {
                throw WriteDenied(scope, path, ex);
            }
            catch (IOException ex)
            {
                throw new G5MailErrorException(ErrorIds.SettingsWriteFailed, ErrorKind.WriteError,
                    $"The {scope} settings could not be written to '{path}': {ex.Message} The file was left as it was.", path, ex);
            }
        }

        /// <summary>
        /// The file's top-level properties in order, or null when the file does not exist.
        /// Throws InvalidSetting (naming the file, line and column) when it is not UTF-8 (or UTF-16 with a byte order
        /// mark) text holding one JSON object.
        /// </summary>
        internal static List<KeyValuePair<string, JsonElement>>? ReadDocument(string path)
        {
            byte[]? bytes;
            try
            {
                bytes = ReadAllBytesShared(path);
            }
            catch (IOException ex)
            {
                throw new G5MailErrorException(ErrorIds.SettingsReadFailed, ErrorKind.ReadError,
                    $"The settings file '{path}' could not be read: {ex.Message}", path, ex);
            }

            if (bytes is null)
            {
                return null;
            }

            byte[] text = ToUtf8Text(path, bytes, out int start);
            var result = new List<KeyValuePair<string, JsonElement>>();
            if (text.Skip(start).All(b => b == ' ' || b == '\t' || b == '\r' || b == '\n'))
            {
                return result; // an empty file holds no settings; there is nothing in it to lose
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(new ReadOnlyMemory<byte>(text, start, text.Length - start), ReadOptions);
            }
            catch (JsonException ex)
            {
                string where = ex.LineNumber.HasValue
                    ? " at " + Position(text, start, ex.LineNumber.Value, ex.BytePositionInLine ?? 0)
                    : string.Empty;
                throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidData,
                    $"The settings file '{path}' is not valid JSON{where}. Correct or delete the file; G5Mail does not overwrite it. ({FirstSentence(ex.Message)})",
                    path, ex);
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidData,
                        $"The settings file '{path}' must hold one JSON object ({{ \"Method\": \"Smtp\", … }}), not a {document.RootElement.ValueKind}. Correct or delete the file; G5Mail does not overwrite it.",
                        path);
                }

                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    // Clone: the elements outlive the document.
                    result.RemoveAll(p => string.Equals(p.Key, property.Name, StringComparison.OrdinalIgnoreCase));
                    result.Add(new KeyValuePair<string, JsonElement>(property.Name, property.Value.Clone()));
                }
            }

            return result;
        }

        /// <summary>
        /// The whole file, or null when it does not exist. Opened with FileShare.ReadWrite | Delete so that a writer's
        /// atomic replace is never blocked by a reader (Windows refuses to replace a file open without FILE_SHARE_DELETE).
        /// On Windows a read that meets a replace in progress gets a sharing violation or access denied for an instant,
        /// so it is retried briefly; on Unix the rename is atomic and there is nothing to wait for.
        /// </summary>
        private static byte[]? ReadAllBytesShared(string path)
        {
            bool windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.SequentialScan))
                    using (var buffer = new MemoryStream())
                    {
                        file.CopyTo(buffer);
                        return buffer.ToArray();
                    }
                }
                catch (FileNotFoundException)
                {
                    return null;
                }
                catch (DirectoryNotFoundException)
                {
                    return null;
                }
                catch (IOException ex) when (windows && attempt < 10 && SettingsLock.IsHeldByAnother(ex))
                {
                    Thread.Sleep(50);
                }
                catch (UnauthorizedAccessException) when (windows && attempt < 10)
                {
                    Thread.Sleep(50);
                }
            }
        }

        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        /// <summary>
        /// The file as UTF-8 JSON text and where it starts (after a byte order mark). UTF-16 files (Windows PowerShell's
        /// Out-File default) are converted; bytes that are not UTF-8 (a file saved in a legacy code page) are refused
        /// with their position, since reading them would turn "Företag" into something else.
        /// </summary>
        private static byte[] ToUtf8Text(string path, byte[] bytes, out int start)
        {
            start = 0;
            if (bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF)))
            {
                Encoding utf16 = bytes[0] == 0xFF ? Encoding.Unicode : Encoding.BigEndianUnicode;
                return Encoding.UTF8.GetBytes(utf16.GetString(bytes, 2, bytes.Length - 2));
            }

            if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
            {
                start = 3;
            }

            try
            {
                StrictUtf8.GetCharCount(bytes, start, bytes.Length - start);
            }
            catch (DecoderFallbackException ex)
            {
                int bad = start + Math.Max(0, FirstInvalidUtf8(bytes, start));
                int lineStart = start;
                long line = 0;
                for (int i = start; i < bad; i++)
                {
                    if (bytes[i] == (byte)'\n')
                    {
                        line++;
                        lineStart = i + 1;
                    }
                }

                throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidData,
                    $"The settings file '{path}' is not UTF-8 text: the byte 0x{bytes[bad]:X2} at {Position(bytes, start, line, bad - lineStart)} is not valid UTF-8 "
                    + "(the file was probably saved in another encoding, such as Windows-1252). Save it as UTF-8, or delete it; G5Mail does not overwrite it.",
                    path, ex);
            }

            return bytes;
        }

        /// <summary>The offset (from <paramref name="start"/>) of the first byte that does not begin a valid UTF-8 sequence.</summary>
        private static int FirstInvalidUtf8(byte[] bytes, int start)
        {
            int i = start;
            while (i < bytes.Length)
            {
                int length = bytes[i] < 0x80 ? 1 : bytes[i] >= 0xC2 && bytes[i] <= 0xDF ? 2 : bytes[i] >= 0xE0 && bytes[i] <= 0xEF ? 3 : bytes[i] >= 0xF0 && bytes[i] <= 0xF4 ? 4 : 0;
                if (length == 0 || i + length > bytes.Length)
                {
                    return i - start;
                }

                try
                {
                    StrictUtf8.GetCharCount(bytes, i, length);
                }
                catch (DecoderFallbackException)
                {
                    return i - start;
                }

                i += length;
            }

            return -1;
        }

        /// <summary>"line L, column C" for a 0-based line and byte offset within it, counting characters as an editor does.</summary>
        private static string Position(byte[] text, int start, long line, long byteInLine)
        {
            int lineStart = start;
            for (long seen = 0; seen < line && lineStart < text.Length; lineStart++)
            {
                if (text[lineStart] == (byte)'\n')
                {
                    seen++;
                    if (seen == line)
                    {
                        lineStart++;
                        break;
                    }
                }
            }

            int count = (int)Math.Max(0, Math.Min(byteInLine, text.Length - lineStart));
            int column = Encoding.UTF8.GetCharCount(text, lineStart, count) + 1;
            return $"line {line + 1}, column {column}";
        }

        private static object Decode(SettingDefinition definition, JsonElement element, SecretProtector protector)
        {
            switch (definition.Kind)
            {
                case SettingKind.Secret:
                {
                    ProtectedSecret stored = ReadProtected(definition, element);
                    return protector.Unprotect(definition.Name, stored);
                }

                case SettingKind.Credential:
                {
                    if (element.ValueKind != JsonValueKind.Object
                        || !TryGetProperty(element, UserNameProperty, out JsonElement user) || user.ValueKind != JsonValueKind.String)
                    {
                        throw SettingsValidator.Invalid(definition, null, "the file must hold {\"UserName\": \"…\", \"Password\": {\"protected\": \"…\"}}");
                    }

                    SecureString password = TryGetProperty(element, PasswordProperty, out JsonElement pw) && pw.ValueKind != JsonValueKind.Null
                        ? protector.Unprotect(definition.Name, ReadProtected(definition, pw))
                        : new SecureString();
                    return SettingsValidator.Normalize(definition, new NetworkCredential(user.GetString(), password));
                }

                default:
                    return SettingsValidator.Normalize(definition, ToRaw(definition, element));
            }
        }

        private static object ToRaw(SettingDefinition definition, JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    return element.GetString()!;
                case JsonValueKind.Array when definition.Kind == SettingKind.EnumList:
                    return element.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).ToArray();
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                case JsonValueKind.Number:
                    if (definition.Kind == SettingKind.Integer && element.TryGetInt64(out long l))
                    {
                        return l;
                    }

                    return element.GetDouble();
                default:
                    throw SettingsValidator.Invalid(definition, element.GetRawText(), $"the file holds a JSON {element.ValueKind} where a {definition.Kind} value belongs");
            }
        }

        private static ProtectedSecret ReadProtected(SettingDefinition definition, JsonElement element)
        {
            // The value is never shown: a plain-text secret put in the file by hand must not reach an error message.
            if (element.ValueKind == JsonValueKind.Object
                && TryGetProperty(element, ProtectedProperty, out JsonElement data) && data.ValueKind == JsonValueKind.String
                && TryGetProperty(element, SchemeProperty, out JsonElement scheme) && scheme.ValueKind == JsonValueKind.String)
            {
                return new ProtectedSecret(scheme.GetString()!, data.GetString()!);
            }

            throw new G5MailErrorException(ErrorIds.SecretUnreadable, ErrorKind.InvalidData,
                $"The {definition.Name} in the settings file is not in the protected form G5Mail writes; it is ignored. "
                + $"Set it with Set-G5MailSetting -{definition.Name} ….", definition.Name);
        }

        private static void Encode(Utf8JsonWriter writer, SettingDefinition definition, object value, SecretProtector protector)
        {
            switch (value)
            {
                case SecureString secret:
                    WriteProtected(writer, protector.Protect(definition.Name, secret));
                    break;
                case NetworkCredential credential:
                    writer.WriteStartObject();
                    writer.WriteString(UserNameProperty, credential.UserName);
                    using (SecureString password = credential.SecurePassword)
                    {
                        if (password.Length > 0)
                        {
                            writer.WritePropertyName(PasswordProperty);
                            WriteProtected(writer, protector.Protect(definition.Name, password));
                        }
                    }

                    writer.WriteEndObject();
                    break;
                case string s:
                    writer.WriteStringValue(s);
                    break;
                case int i:
                    writer.WriteNumberValue(i);
                    break;
                case double d:
                    writer.WriteNumberValue(d);
                    break;
                case bool b:
                    writer.WriteBooleanValue(b);
                    break;
                case Guid g:
                    writer.WriteStringValue(g.ToString("D"));
                    break;
                case Uri u:
                    writer.WriteStringValue(u.AbsoluteUri);
                    break;
                case DateTime dt:
                    writer.WriteStringValue(dt.ToString("o", CultureInfo.InvariantCulture));
                    break;
                case Enum e:
                    writer.WriteStringValue(e.ToString());
                    break;
                case Array list:
                    writer.WriteStartArray();
                    foreach (object? item in list)
                    {
                        writer.WriteStringValue(Convert.ToString(item, CultureInfo.InvariantCulture));
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    throw new InvalidOperationException($"Cannot store a {value.GetType().Name} for {definition.Name}.");
            }
        }

        private static void WriteProtected(Utf8JsonWriter writer, ProtectedSecret secret)
        {
            writer.WriteStartObject();
            writer.WriteString(ProtectedProperty, secret.Data);
            writer.WriteString(SchemeProperty, secret.Scheme);
            writer.WriteEndObject();
        }

        private static byte[] Serialize(Action<Utf8JsonWriter> writeProperties)
        {
            using (var buffer = new MemoryStream())
            {
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
                {
                    Indented = true,
                    // Readable for people who open the file: no \u003C for '<' in From or \u002B for '+' in base64.
                    // The file is never embedded in HTML, where that escaping matters.
                    Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                }))
                {
                    writer.WriteStartObject();
                    writeProperties(writer);
                    writer.WriteEndObject();
                }

                buffer.WriteByte((byte)'\n');
                return buffer.ToArray();
            }
        }

        private static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = property.Value;
                    return true;
                }
            }

            value = default;
            return false;
        }

        private static G5MailErrorException WriteDenied(SettingsScope scope, string path, Exception inner)
        {
            string hint = scope == SettingsScope.System
                ? "System settings need an administrator (Windows) or root (elsewhere); or set G5MAIL_CONFIG_DIR for a portable install."
                : "Check the folder's permissions, or set G5MAIL_CONFIG_DIR.";
            return new G5MailErrorException(ErrorIds.PermissionDenied, ErrorKind.PermissionDenied,
                $"This account may not write the {scope} settings file '{path}'. {hint}", path, inner);
        }

        private static string FirstSentence(string message)
        {
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            return (cut > 0 ? message.Substring(0, cut) : message).Trim();
        }
    }
}
