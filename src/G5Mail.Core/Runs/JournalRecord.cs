using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace G5Mail.Core.Runs
{
    /// <summary>What a journal record says about its message.</summary>
    public enum JournalStatus
    {
        /// <summary>The intent: written (and flushed to disk) just before the message is handed to the transport.</summary>
        Sending,
        Sent,
        Failed,
        Uncertain,
        Draft,
    }

    /// <summary>
    /// One line of the send journal (JSON Lines: one JSON object per line, UTF-8, "\n" after each). It names the
    /// message (documents with their attachments' SHA-256, recipients, Message-Id, part), what happened to it (Status,
    /// error id and text) and when, and which run wrote it. It never holds the body or a secret: only what is needed
    /// to recognise the same document again and what a sysadmin needs to know what was sent.
    /// </summary>
    /// <remarks>
    /// Fields: v (format version, 1), run, time (ISO 8601 with offset), status, method, server, messageId, from, to,
    /// cc, bcc, subject, part, partCount, recipientKey, documents [{ id, files [{ name, bytes, sha256 }] }], and on final
    /// records errorId, error, reason, durationMs when they apply.
    /// </remarks>
    public sealed class JournalRecord
    {
        public const int FormatVersion = 1;

        // Relaxed escaping keeps Swedish names and "<id@host>" readable in the file; the journal is never embedded in
        // HTML, which is all the stricter default encoder protects against.
        private static readonly JsonWriterOptions WriterOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        public string RunId { get; set; } = string.Empty;
        public DateTimeOffset Time { get; set; }
        public JournalStatus Status { get; set; }
        public string? Method { get; set; }
        public string? Server { get; set; }
        public string? MessageId { get; set; }
        public string? From { get; set; }
        public IReadOnlyList<string> To { get; set; } = Array.Empty<string>();
        public IReadOnlyList<string> Cc { get; set; } = Array.Empty<string>();
        public IReadOnlyList<string> Bcc { get; set; } = Array.Empty<string>();
        public string? Subject { get; set; }
        public int Part { get; set; } = 1;
        public int PartCount { get; set; } = 1;

        /// <summary>The documents' recipient set key (see <see cref="DocumentFingerprint.RecipientKey"/>): the identity, not the copy to self.</summary>
        public string RecipientKey { get; set; } = string.Empty;

        public IReadOnlyList<DocumentFingerprint> Documents { get; set; } = Array.Empty<DocumentFingerprint>();
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        public string? Reason { get; set; }
        public long? DurationMs { get; set; }

        /// <summary>The record as one line of UTF-8 JSON, "\n" included, ready for a single write.</summary>
        public byte[] ToJsonLine()
        {
            using (var buffer = new MemoryStream())
            {
                using (var json = new Utf8JsonWriter(buffer, WriterOptions))
                {
                    json.WriteStartObject();
                    json.WriteNumber("v", FormatVersion);
                    json.WriteString("run", RunId);
                    json.WriteString("time", Time.ToString("o", CultureInfo.InvariantCulture));
                    json.WriteString("status", Status.ToString());
                    WriteOptional(json, "method", Method);
                    WriteOptional(json, "server", Server);
                    WriteOptional(json, "messageId", MessageId);
                    WriteOptional(json, "from", From);
                    WriteList(json, "to", To);
                    WriteList(json, "cc", Cc);
                    WriteList(json, "bcc", Bcc);
                    WriteOptional(json, "subject", Subject);
                    json.WriteNumber("part", Part);
                    json.WriteNumber("partCount", PartCount);
                    json.WriteString("recipientKey", RecipientKey);
                    json.WriteStartArray("documents");
                    foreach (DocumentFingerprint document in Documents)
                    {
                        json.WriteStartObject();
                        json.WriteString("id", document.DocumentId);
                        json.WriteStartArray("files");
                        foreach (FileFingerprint file in document.Files)
                        {
                            json.WriteStartObject();
                            json.WriteString("name", file.Name);
                            json.WriteNumber("bytes", file.Length);
                            json.WriteString("sha256", file.Sha256);
                            json.WriteEndObject();
                        }

                        json.WriteEndArray();
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                    WriteOptional(json, "errorId", ErrorId);
                    WriteOptional(json, "error", Error);
                    WriteOptional(json, "reason", Reason);
                    if (DurationMs.HasValue)
                    {
                        json.WriteNumber("durationMs", DurationMs.Value);
                    }

                    json.WriteEndObject();
                }

                buffer.WriteByte((byte)'\n');
                return buffer.ToArray();
            }
        }

        /// <summary>
        /// Reads one line (without its "\n"). False, with a short reason, for anything that is not a complete record of
        /// a known format version: a line cut by a crash, a corrupt or hand-edited line, invalid UTF-8.
        /// </summary>
        public static bool TryParse(ReadOnlyMemory<byte> line, out JournalRecord? record, out string? problem)
        {
            record = null;
            try
            {
                using (JsonDocument document = JsonDocument.Parse(line))
                {
                    JsonElement root = document.RootElement;
                    if (root.ValueKind != JsonValueKind.Object)
                    {
                        problem = "not a JSON object";
                        return false;
                    }

                    if (!root.TryGetProperty("v", out JsonElement version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != FormatVersion)
                    {
                        problem = "not a record of journal format version " + FormatVersion;
                        return false;
                    }

                    if (!Enum.TryParse(RequiredString(root, "status"), false, out JournalStatus status) || !Enum.IsDefined(typeof(JournalStatus), status))
                    {
                        problem = "unknown status";
                        return false;
                    }

                    string recipientKey = RequiredString(root, "recipientKey");
                    var documents = new List<DocumentFingerprint>();
                    foreach (JsonElement item in root.GetProperty("documents").EnumerateArray())
                    {
                        var files = new List<FileFingerprint>();
                        foreach (JsonElement file in item.GetProperty("files").EnumerateArray())
                        {
                            string sha = RequiredString(file, "sha256");
                            if (sha.Length != 64 || !sha.All(Uri.IsHexDigit))
                            {
                                problem = "an attachment hash is not a SHA-256";
                                return false;
                            }

                            files.Add(new FileFingerprint(RequiredString(file, "name"), file.GetProperty("bytes").GetInt64(), sha.ToLowerInvariant()));
                        }

                        documents.Add(new DocumentFingerprint(RequiredString(item, "id"), recipientKey, files));
                    }

                    if (documents.Count == 0)
                    {
                        problem = "no documents";
                        return false;
                    }

                    record = new JournalRecord
                    {
                        RunId = OptionalString(root, "run") ?? string.Empty,
                        Time = DateTimeOffset.Parse(RequiredString(root, "time"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                        Status = status,
                        Method = OptionalString(root, "method"),
                        Server = OptionalString(root, "server"),
                        MessageId = OptionalString(root, "messageId"),
                        From = OptionalString(root, "from"),
                        To = OptionalList(root, "to"),
                        Cc = OptionalList(root, "cc"),
                        Bcc = OptionalList(root, "bcc"),
                        Subject = OptionalString(root, "subject"),
                        Part = root.TryGetProperty("part", out JsonElement part) ? part.GetInt32() : 1,
                        PartCount = root.TryGetProperty("partCount", out JsonElement partCount) ? partCount.GetInt32() : 1,
                        RecipientKey = recipientKey,
                        Documents = documents,
                        ErrorId = OptionalString(root, "errorId"),
                        Error = OptionalString(root, "error"),
                        Reason = OptionalString(root, "reason"),
                        DurationMs = root.TryGetProperty("durationMs", out JsonElement duration) ? duration.GetInt64() : (long?)null,
                    };
                    problem = null;
                    return true;
                }
            }
            catch (Exception ex) when (ex is JsonException || ex is InvalidOperationException || ex is KeyNotFoundException
                                       || ex is FormatException || ex is ArgumentException)
            {
                // JsonException: cut or malformed JSON (and invalid UTF-8); the others: a field of the wrong kind.
                problem = ex is JsonException ? "incomplete or malformed JSON" : "a field is missing or of the wrong kind";
                return false;
            }
        }

        private static string RequiredString(JsonElement element, string name)
        {
            return element.GetProperty(name).GetString() ?? throw new FormatException(name + " is null");
        }

        private static string? OptionalString(JsonElement element, string name)
        {
            return element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }

        private static IReadOnlyList<string> OptionalList(JsonElement element, string name)
        {
            if (!element.TryGetProperty(name, out JsonElement value) || value.ValueKind != JsonValueKind.Array)
            {
                return Array.Empty<string>();
            }

            return value.EnumerateArray().Select(v => v.GetString() ?? string.Empty).ToArray();
        }

        private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
        {
            if (value != null)
            {
                json.WriteString(name, value);
            }
        }

        private static void WriteList(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
        {
            json.WriteStartArray(name);
            foreach (string value in values)
            {
                json.WriteStringValue(value);
            }

            json.WriteEndArray();
        }
    }
}
