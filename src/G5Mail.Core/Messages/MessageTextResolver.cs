using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Messages
{
    /// <summary>
    /// The subject and body of one planned message. Its documents share type, language and their own texts (the planner
    /// never combines documents that differ in these), so the first document speaks for all. Each text is taken from the
    /// first of: the document's own (a CSV column), the call's (-Subject, -Body), the template file for the language and
    /// type, the built-in text for the language and type, the template file's Other for the language; languages are tried
    /// in the order: the document's, the MessageLanguage setting, en. A language such as "sv-SE" also finds "sv".
    /// </summary>
    public sealed class MessageTextResolver
    {
        private static readonly Regex LineBreaks = new Regex(@"[\r\n\t]+", RegexOptions.CultureInvariant);

        private readonly PlannedMessage _plan;
        private readonly ComposeOptions _options;
        private readonly MimeKit.MailboxAddress? _sender;
        private readonly Document _first;
        private readonly IReadOnlyList<string> _languages;

        internal MessageTextResolver(PlannedMessage plan, ComposeOptions options, MimeKit.MailboxAddress? sender)
        {
            _plan = plan;
            _options = options;
            _sender = sender;
            _first = plan.Documents[0];
            _languages = LanguageChain(_first.Language, options.Language, options.Templates);
        }

        /// <summary>The language the texts are looked up in first (the document's if known, else MessageLanguage, else en).</summary>
        public string Language => _languages[0];

        public string Subject()
        {
            string? pattern = NonBlank(_first.Subject) ?? NonBlank(_options.SubjectTemplate) ?? Lookup(t => NonBlank(t.Subject), BuiltInSubjectPattern);
            if (_plan.PartCount > 1 && !Placeholders.Mentions(pattern, "Part"))
            {
                pattern += _languages.Select(l => _options.Templates.PartSuffix(l) ?? BuiltInTexts.PartSuffix(l)).First(s => s != null);
            }

            string subject = Placeholders.Fill(pattern!, name => ValueOf(name, "subject", html: false));
            return LineBreaks.Replace(subject, " ").Trim();
        }

        public string Body(out bool isHtml)
        {
            string? text = _first.Body ?? _options.Body;
            if (text != null)
            {
                bool html = _first.BodyAsHtml ?? _options.BodyAsHtml;
                isHtml = html;
                return Placeholders.Fill(text, name => ValueOf(name, "body", html));
            }

            foreach (string language in _languages)
            {
                TemplateText? own = _options.Templates.Find(language, _first.DocumentType);
                if (NonBlank(own?.Body) != null)
                {
                    isHtml = own!.BodyAsHtml ?? false;
                    bool html = isHtml;
                    return Placeholders.Fill(own.Body!, name => ValueOf(name, "body", html));
                }

                string? builtIn = BuiltInTexts.Body(language, _first.DocumentType, _plan.DocumentIds, _plan.Files.Select(f => f.FileName), _plan.Part, _plan.PartCount);
                if (builtIn != null)
                {
                    isHtml = _first.BodyAsHtml ?? _options.BodyAsHtml;
                    return isHtml ? "<p>" + MessageComposer.HtmlText(builtIn.TrimEnd()).Replace("\r\n", "<br>\r\n") + "</p>" : builtIn;
                }

                TemplateText? other = _options.Templates.Find(language, DocumentType.Other);
                if (NonBlank(other?.Body) != null)
                {
                    isHtml = other!.BodyAsHtml ?? false;
                    bool html = isHtml;
                    return Placeholders.Fill(other.Body!, name => ValueOf(name, "body", html));
                }
            }

            throw new InvalidOperationException("en has built-in texts for every document type.");
        }

        /// <summary>The template file's text, or the built-in one, for the first language that has one.</summary>
        private string? Lookup(Func<TemplateText, string?> field, Func<string, string?> builtIn)
        {
            foreach (string language in _languages)
            {
                string? text = Field(_options.Templates.Find(language, _first.DocumentType), field) ?? builtIn(language)
                    ?? Field(_options.Templates.Find(language, DocumentType.Other), field);
                if (text != null)
                {
                    return text;
                }
            }

            return null;
        }

        private static string? Field(TemplateText? text, Func<TemplateText, string?> field) => text == null ? null : field(text);

        /// <summary>"Faktura {DocumentIds}" / "Fakturor {DocumentIds}" (the ids are filled in like any placeholder).</summary>
        private string? BuiltInSubjectPattern(string language) =>
            BuiltInTexts.TypeName(language, _first.DocumentType, _plan.Documents.Count > 1) is string name ? name + " {DocumentIds}" : null;

        private string ValueOf(string name, string where, bool html)
        {
            string value = RawValueOf(name, where);
            return html ? MessageComposer.HtmlText(value) : value;
        }

        private string RawValueOf(string name, string where)
        {
            switch (name.ToUpperInvariant())
            {
                case "DOCUMENTIDS":
                    return string.Join(", ", _plan.DocumentIds);
                case "DOCUMENTTYPE":
                    return _languages.Select(l => BuiltInTexts.TypeName(l, _first.DocumentType, _plan.Documents.Count > 1)).First(n => n != null)!;
                case "PART":
                    return _plan.Part.ToString(CultureInfo.InvariantCulture);
                case "PARTCOUNT":
                    return _plan.PartCount.ToString(CultureInfo.InvariantCulture);
                case "FROM":
                    return _sender == null ? _options.From : (string.IsNullOrWhiteSpace(_sender.Name) ? _sender.Address : _sender.Name!);
                case "ATTACHMENTS":
                    return string.Join(", ", _plan.Files.Select(f => f.FileName));
            }

            // An input property: the documents' values, each distinct value once ("Åhus AB" for two invoices of one customer).
            var values = new List<string>();
            foreach (Document document in _plan.Documents)
            {
                if (!document.Properties.TryGetValue(name, out string? value) || string.IsNullOrWhiteSpace(value))
                {
                    throw new G5MailErrorException(ErrorIds.MissingPlaceholderValue, ErrorKind.InvalidData,
                        $"Document '{document.DocumentId}' is not sent: its {where} uses {{{name}}}, but the document's input has no value for '{name}'. "
                        + $"Give the input a '{name}' property (a CSV column) with a value, or remove {{{name}}} from the {where}.",
                        document.DocumentId);
                }

                if (!values.Contains(value!.Trim(), StringComparer.Ordinal))
                {
                    values.Add(value.Trim());
                }
            }

            return string.Join(", ", values);
        }

        /// <summary>The languages to look texts up in, each once: the document's, MessageLanguage, en (sv-SE also as sv).</summary>
        internal static IReadOnlyList<string> LanguageChain(string? documentLanguage, string? messageLanguage, MessageTemplates templates)
        {
            var chain = new List<string>();
            foreach (string? wanted in new[] { documentLanguage, messageLanguage, "en" })
            {
                string? known = Known(wanted, templates);
                if (known != null && !chain.Contains(known, StringComparer.OrdinalIgnoreCase))
                {
                    chain.Add(known);
                }
            }

            return chain;
        }

        /// <summary>"SV", "sv-SE", "sv_SE" → "sv" when only sv has texts; null for a language nothing has texts for.</summary>
        internal static string? Known(string? language, MessageTemplates templates)
        {
            if (string.IsNullOrWhiteSpace(language))
            {
                return null;
            }

            string tag = language!.Trim().Replace('_', '-').ToLowerInvariant();
            while (true)
            {
                if (templates.HasLanguage(tag) || BuiltInTexts.Has(tag))
                {
                    return tag;
                }

                int cut = tag.LastIndexOf('-');
                if (cut <= 0)
                {
                    return null;
                }

                tag = tag.Substring(0, cut);
            }
        }

        public static bool IsKnownLanguage(string language, MessageTemplates templates) => Known(language, templates) != null;

        private static string? NonBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
    }
}
