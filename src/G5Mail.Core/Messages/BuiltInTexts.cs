using System;
using System.Collections.Generic;

namespace G5Mail.Core.Messages
{
    /// <summary>
    /// The subjects and texts G5Mail writes when neither the document, the call nor the template file gives one: Swedish
    /// (sv, the default MessageLanguage) and English (en), for every document type. A template file adds languages or
    /// overrides these.
    /// </summary>
    public static class BuiltInTexts
    {
        private static readonly Dictionary<string, Language> Languages = new Dictionary<string, Language>(StringComparer.OrdinalIgnoreCase)
        {
            ["sv"] = new Language(
                new Dictionary<DocumentType, (string One, string Many)>
                {
                    [DocumentType.Quote] = ("Offert", "Offerter"),
                    [DocumentType.Order] = ("Order", "Order"),
                    [DocumentType.OrderConfirmation] = ("Orderbekräftelse", "Orderbekräftelser"),
                    [DocumentType.PurchaseOrder] = ("Inköpsorder", "Inköpsorder"),
                    [DocumentType.DeliveryNote] = ("Följesedel", "Följesedlar"),
                    [DocumentType.Invoice] = ("Faktura", "Fakturor"),
                    [DocumentType.Reminder] = ("Påminnelse", "Påminnelser"),
                    [DocumentType.Other] = ("Dokument", "Dokument"),
                },
                greeting: "Hej!",
                attached: "Bifogat finns {0} ({1}).",
                part: " Detta är del {0} av {1}.",
                partSuffix: " (del {Part} av {PartCount})"),
            ["en"] = new Language(
                new Dictionary<DocumentType, (string One, string Many)>
                {
                    [DocumentType.Quote] = ("Quote", "Quotes"),
                    [DocumentType.Order] = ("Order", "Orders"),
                    [DocumentType.OrderConfirmation] = ("Order confirmation", "Order confirmations"),
                    [DocumentType.PurchaseOrder] = ("Purchase order", "Purchase orders"),
                    [DocumentType.DeliveryNote] = ("Delivery note", "Delivery notes"),
                    [DocumentType.Invoice] = ("Invoice", "Invoices"),
                    [DocumentType.Reminder] = ("Payment reminder", "Payment reminders"),
                    [DocumentType.Other] = ("Document", "Documents"),
                },
                greeting: "Hello,",
                attached: "Please find attached {0} ({1}).",
                part: " This is part {0} of {1}.",
                partSuffix: " (part {Part} of {PartCount})"),
        };

        /// <summary>The languages with built-in texts: sv and en.</summary>
        public static IEnumerable<string> LanguageCodes => Languages.Keys;

        public static bool Has(string language) => Languages.ContainsKey(language);

        /// <summary>"Faktura" / "Fakturor", "Invoice" / "Invoices"; null for a language without built-in texts.</summary>
        public static string? TypeName(string language, DocumentType type, bool plural) =>
            Languages.TryGetValue(language, out Language? texts) ? (plural ? texts.Names[type].Many : texts.Names[type].One) : null;

        /// <summary>"Faktura 1001", "Fakturor 1001, 1002".</summary>
        public static string? Subject(string language, DocumentType type, IReadOnlyList<string> documentIds) =>
            TypeName(language, type, documentIds.Count > 1) is string name ? name + " " + string.Join(", ", documentIds) : null;

        /// <summary>" (del {Part} av {PartCount})": appended to a split message's subject that does not show the part itself.</summary>
        public static string? PartSuffix(string language) => Languages.TryGetValue(language, out Language? texts) ? texts.PartSuffix : null;

        /// <summary>
        /// "Hej!\r\n\r\nBifogat finns faktura 1001 (1001.pdf, 1001.xml).\r\n", with
        /// " Detta är del 2 av 3." for a split message.
        /// </summary>
        public static string? Body(string language, DocumentType type, IReadOnlyList<string> documentIds, IEnumerable<string> fileNames, int part, int partCount)
        {
            if (!Languages.TryGetValue(language, out Language? texts))
            {
                return null;
            }

            (string one, string many) = texts.Names[type];
            string name = documentIds.Count > 1 ? many : one;
            // Mid-sentence the type is lower case ("faktura 1001"), but not a German-style noun nor "PO".
            string what = char.ToLowerInvariant(name[0]) + name.Substring(1) + " " + string.Join(", ", documentIds);
            string text = texts.Greeting + "\r\n\r\n" + string.Format(System.Globalization.CultureInfo.InvariantCulture, texts.Attached, what, string.Join(", ", fileNames));
            if (partCount > 1)
            {
                text += string.Format(System.Globalization.CultureInfo.InvariantCulture, texts.Part, part, partCount);
            }

            // No closing line: Outlook adds the user's signature below, and "Med vänliga hälsningar" twice reads badly.
            return text + "\r\n";
        }

        private sealed class Language
        {
            public Language(Dictionary<DocumentType, (string One, string Many)> names, string greeting, string attached, string part, string partSuffix)
            {
                Names = names;
                Greeting = greeting;
                Attached = attached;
                Part = part;
                PartSuffix = partSuffix;
            }

            public Dictionary<DocumentType, (string One, string Many)> Names { get; }
            public string Greeting { get; }
            public string Attached { get; }
            public string Part { get; }
            public string PartSuffix { get; }
        }
    }
}
