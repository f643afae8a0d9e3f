using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Messages
{
    /// <summary>One document type's texts in one language, from the template file. Null where the file gives none.</summary>
    public sealed class TemplateText
    {
        public string? Subject { get; set; }
        public string? Body { get; set; }
        public bool? BodyAsHtml { get; set; }
    }

    /// <summary>
    /// The template file of the TemplatePath setting (JSON or .psd1), per language and document type a Subject, Body and
    /// BodyAsHtml, plus per language an optional PartSuffix, and a list of the input properties the texts may use:
    /// <code>
    /// { "Placeholders": ["CustomerName"],
    ///   "nb": { "PartSuffix": " (del {Part} av {PartCount})",
    ///           "Invoice": { "Subject": "Faktura {DocumentIds}", "Body": "Hei {CustomerName}! ...", "BodyAsHtml": false } } }
    /// </code>
    /// Every placeholder must be a fixed one ({DocumentIds}, {DocumentType}, {Part}, {PartCount}, {From}, {Attachments}) or
    /// named in Placeholders, so that a typo is found when the file is set, not when a customer gets "{Kundnamm}".
    /// </summary>
    public sealed class MessageTemplates
    {
        public const string PlaceholdersKey = "Placeholders";
        public const string PartSuffixKey = "PartSuffix";

        private static readonly Regex LanguageTag = new Regex(@"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", RegexOptions.CultureInvariant);

        private readonly Dictionary<string, Dictionary<DocumentType, TemplateText>> _texts =
            new Dictionary<string, Dictionary<DocumentType, TemplateText>>(StringComparer.OrdinalIgnoreCase);

        private readonly Dictionary<string, string> _partSuffixes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        public static readonly MessageTemplates None = new MessageTemplates(string.Empty);

        private MessageTemplates(string path)
        {
            Path = path;
        }

        /// <summary>
        /// Reads a .psd1 file into nested dictionaries, lists, strings and booleans. Set by the module (PowerShell's own
        /// parser, data only, no code runs); the engine knows no PowerShell.
        /// </summary>
        public static Func<string, object?>? DataFileReader { get; set; }

        public string Path { get; }

        /// <summary>The languages the file has texts for (lower case as written).</summary>
        public IEnumerable<string> Languages => _texts.Keys;

        /// <summary>The input properties the texts may use, as the file declares them.</summary>
        public IReadOnlyCollection<string> DeclaredPlaceholders { get; private set; } = Array.Empty<string>();

        public bool HasLanguage(string language) => _texts.ContainsKey(language) || _partSuffixes.ContainsKey(language);

        public TemplateText? Find(string language, DocumentType type) =>
            _texts.TryGetValue(language, out var byType) && byType.TryGetValue(type, out var text) ? text : null;

        public string? PartSuffix(string language) => _partSuffixes.TryGetValue(language, out var suffix) ? suffix : null;

        /// <summary>Reads and checks the file; every problem is InvalidSetting naming TemplatePath, the file and the key.</summary>
        public static MessageTemplates Load(string path)
        {
            object? root;
            try
            {
                if (!File.Exists(path))
                {
                    throw Invalid(path, "the file does not exist (or is a folder)");
                }

                root = path.EndsWith(".psd1", StringComparison.OrdinalIgnoreCase) ? ReadDataFile(path) : ReadJson(path);
            }
            catch (IOException ex)
            {
                throw Invalid(path, "it cannot be read: " + ex.Message);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw Invalid(path, "this account may not read it: " + ex.Message);
            }

            if (!(root is IDictionary<string, object?> languages))
            {
                throw Invalid(path, "it must hold one object (JSON) or hashtable (.psd1) with a key per language, e.g. { \"nb\": { \"Invoice\": { \"Subject\": \"Faktura {DocumentIds}\" } } }");
            }

            var templates = new MessageTemplates(path);
            var declared = new List<string>();
            if (TryGet(languages, PlaceholdersKey, out object? names))
            {
                if (names is string one)
                {
                    declared.Add(one.Trim());
                }
                else if (names is IList list && list.Cast<object?>().All(n => n is string))
                {
                    declared.AddRange(list.Cast<string>().Select(n => n.Trim()));
                }
                else
                {
                    throw Invalid(path, "'Placeholders' must be a list of input property names, e.g. [\"CustomerName\", \"InvoiceNumber\"]");
                }
            }

            templates.DeclaredPlaceholders = declared;
            var known = new HashSet<string>(Placeholders.Fixed.Concat(declared), StringComparer.OrdinalIgnoreCase);
            foreach (var language in languages)
            {
                if (string.Equals(language.Key, PlaceholdersKey, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (!LanguageTag.IsMatch(language.Key))
                {
                    throw Invalid(path, $"'{language.Key}' is not a language code: the keys are languages such as sv, en, nb (and 'Placeholders')");
                }

                if (!(language.Value is IDictionary<string, object?> types))
                {
                    throw Invalid(path, $"'{language.Key}' must hold a key per document type, e.g. \"Invoice\": {{ \"Subject\": \"…\" }}");
                }

                var byType = new Dictionary<DocumentType, TemplateText>();
                foreach (var entry in types)
                {
                    string key = language.Key + "." + entry.Key;
                    if (string.Equals(entry.Key, PartSuffixKey, StringComparison.OrdinalIgnoreCase))
                    {
                        templates._partSuffixes[language.Key] = CheckText(path, key, entry.Value, known);
                        continue;
                    }

                    if (!Enum.GetNames(typeof(DocumentType)).Any(n => string.Equals(n, entry.Key, StringComparison.OrdinalIgnoreCase))
                        || !DocumentTypes.TryParse(entry.Key, out DocumentType type))
                    {
                        throw Invalid(path, $"'{key}' is not a document type: use {string.Join(", ", Enum.GetNames(typeof(DocumentType)))} or PartSuffix");
                    }

                    if (!(entry.Value is IDictionary<string, object?> fields))
                    {
                        throw Invalid(path, $"'{key}' must hold Subject, Body and/or BodyAsHtml");
                    }

                    var text = new TemplateText();
                    foreach (var field in fields)
                    {
                        string fieldKey = key + "." + field.Key;
                        switch (field.Key.ToUpperInvariant())
                        {
                            case "SUBJECT":
                                text.Subject = CheckText(path, fieldKey, field.Value, known);
                                break;
                            case "BODY":
                                text.Body = CheckText(path, fieldKey, field.Value, known);
                                break;
                            case "BODYASHTML":
                                text.BodyAsHtml = field.Value is bool b ? b
                                    : throw Invalid(path, $"'{fieldKey}' must be true or false ($true or $false in a .psd1 file)");
                                break;
                            default:
                                throw Invalid(path, $"'{fieldKey}' is not known: a document type's keys are Subject, Body and BodyAsHtml");
                        }
                    }

                    byType[type] = text;
                }

                templates._texts[language.Key.ToLowerInvariant()] = byType;
            }

            return templates;
        }

        private static string CheckText(string path, string key, object? value, HashSet<string> known)
        {
            if (!(value is string text))
            {
                throw Invalid(path, $"'{key}' must be text");
            }

            string? unknown = Placeholders.NamesIn(text).FirstOrDefault(n => !known.Contains(n));
            if (unknown != null)
            {
                throw Invalid(path, $"'{key}' uses the placeholder {{{unknown}}}, which is not known: use {string.Join(", ", Placeholders.Fixed.Select(n => "{" + n + "}"))}, "
                    + "or name the input property in the file's \"Placeholders\" list");
            }

            return text;
        }

        private static bool TryGet(IDictionary<string, object?> map, string name, out object? value)
        {
            foreach (var pair in map)
            {
                if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = pair.Value;
                    return true;
                }
            }

            value = null;
            return false;
        }

        private static object? ReadDataFile(string path)
        {
            Func<string, object?> reader = DataFileReader
                ?? throw Invalid(path, ".psd1 files are read only inside PowerShell; use a .json file");
            try
            {
                return reader(path);
            }
            catch (G5MailErrorException)
            {
                throw;
            }
            catch (Exception ex) when (!(ex is IOException) && !(ex is UnauthorizedAccessException))
            {
                throw Invalid(path, "it is not a valid PowerShell data file: " + ex.Message);
            }
        }

        private static object? ReadJson(string path)
        {
            try
            {
                using (JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path).AsMemory().StripBom(),
                    new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }))
                {
                    return FromJson(document.RootElement);
                }
            }
            catch (JsonException ex)
            {
                string where = ex.LineNumber.HasValue ? $" at line {ex.LineNumber + 1}, column {ex.BytePositionInLine + 1}" : string.Empty;
                throw Invalid(path, "it is not valid JSON" + where);
            }
        }

        private static object? FromJson(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var map = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                    foreach (JsonProperty property in element.EnumerateObject())
                    {
                        map[property.Name] = FromJson(property.Value);
                    }

                    return map;
                case JsonValueKind.Array:
                    return element.EnumerateArray().Select(FromJson).ToList();
                case JsonValueKind.String:
                    return element.GetString();
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                case JsonValueKind.Null:
                    return null;
                default:
                    return element.GetRawText();
            }
        }

        internal static G5MailErrorException Invalid(string path, string problem) =>
            new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                $"TemplatePath '{path}' is not valid: {problem}.", "TemplatePath");
    }

    internal static class ByteMemoryExtensions
    {
        /// <summary>Without a UTF-8 byte order mark (Notepad and Windows PowerShell write one).</summary>
        public static ReadOnlyMemory<byte> StripBom(this Memory<byte> bytes) =>
            bytes.Length >= 3 && bytes.Span[0] == 0xEF && bytes.Span[1] == 0xBB && bytes.Span[2] == 0xBF ? bytes.Slice(3) : bytes;
    }
}
