using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace G5Mail.Core.Documents
{
    /// <summary>Reads a document type as a Monitor G5 export or a person writes it: English or Swedish, any case.</summary>
    public static class DocumentTypes
    {
        private static readonly Dictionary<string, DocumentType> Words = Build();

        /// <summary>Every name accepted, for messages ("use one of ...").</summary>
        public static string Accepted =>
            string.Join(", ", Enum.GetNames(typeof(DocumentType))) + " (or in Swedish: Offert, Order, Orderbekräftelse, Inköpsorder, Följesedel, Faktura, Påminnelse, Övrigt)";

        /// <summary>Null or blank is Other; false for a word that names no type.</summary>
        public static bool TryParse(string? text, out DocumentType type)
        {
            type = DocumentType.Other;
            if (string.IsNullOrWhiteSpace(text))
            {
                return true;
            }

            return Words.TryGetValue(Key(text!), out type);
        }

        private static Dictionary<string, DocumentType> Build()
        {
            var words = new Dictionary<string, DocumentType>(StringComparer.Ordinal);
            foreach (DocumentType type in Enum.GetValues(typeof(DocumentType)))
            {
                words[Key(type.ToString())] = type;
            }

            void Add(DocumentType type, params string[] names)
            {
                foreach (string name in names)
                {
                    words[Key(name)] = type;
                }
            }

            // Swedish (Monitor G5's own words), singular and plural, and the usual English spellings.
            Add(DocumentType.Quote, "Offert", "Offerter", "Quotation", "Anbud");
            Add(DocumentType.Order, "Kundorder", "Orders", "Sales order", "SalesOrder");
            Add(DocumentType.OrderConfirmation, "Orderbekräftelse", "Orderbekräftelser", "Ordererkännande", "Order confirmation", "Confirmation");
            Add(DocumentType.PurchaseOrder, "Inköpsorder", "Inköp", "Beställning", "Purchase order", "PO");
            Add(DocumentType.DeliveryNote, "Följesedel", "Följesedlar", "Delivery note", "Packing slip", "PackingSlip");
            Add(DocumentType.Invoice, "Faktura", "Fakturor", "Kundfaktura", "Invoices");
            Add(DocumentType.Reminder, "Påminnelse", "Påminnelser", "Betalningspåminnelse", "Kravbrev", "Payment reminder");
            Add(DocumentType.Other, "Övrigt", "Övrig", "Annat", "Dokument", "Document");
            return words;
        }

        /// <summary>Case, spaces, '-' and '_' do not matter; "Order confirmation" is OrderConfirmation.</summary>
        private static string Key(string text)
        {
            var key = new StringBuilder(text.Length);
            foreach (char c in text.Trim().Normalize(NormalizationForm.FormC))
            {
                if (c != ' ' && c != '-' && c != '_')
                {
                    key.Append(char.ToLower(c, CultureInfo.InvariantCulture));
                }
            }

            return key.ToString();
        }
    }
}
