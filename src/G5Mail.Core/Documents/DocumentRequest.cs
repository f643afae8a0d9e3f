using System;
using System.Collections.Generic;

namespace G5Mail.Core.Documents
{
    /// <summary>
    /// One input record of Send-G5Document (one pipeline object or one call): the files of a document and its
    /// recipients, exactly as given. Nothing is validated here; <see cref="DocumentCollector"/> does that.
    /// </summary>
    public sealed class DocumentRequest
    {
        /// <summary>The files of the document. Give full paths: the engine does not know the PowerShell location.</summary>
        public IReadOnlyList<string> Paths { get; set; } = Array.Empty<string>();

        /// <summary>Each entry may hold one address or several separated by ',' or ';' ("Name &lt;a@b.se&gt;" allowed).</summary>
        public IReadOnlyList<string> To { get; set; } = Array.Empty<string>();

        public IReadOnlyList<string> Cc { get; set; } = Array.Empty<string>();

        public IReadOnlyList<string> Bcc { get; set; } = Array.Empty<string>();

        /// <summary>Null or blank: the first file's name without extension, so 1001.pdf and 1001.xml are one document.</summary>
        public string? DocumentId { get; set; }

        /// <summary>The document's type as given (English or Swedish name, any case); null or blank for Other.</summary>
        public string? DocumentType { get; set; }

        /// <summary>The recipient's language ("sv", "en", "nb", "sv-SE"...); null or blank for the MessageLanguage setting.</summary>
        public string? Language { get; set; }

        /// <summary>This document's own subject (a CSV column); wins over the call's subject and the template.</summary>
        public string? Subject { get; set; }

        /// <summary>This document's own message text; wins over the call's body and the template.</summary>
        public string? Body { get; set; }

        /// <summary>Whether <see cref="Body"/> is HTML; null to follow the call (-BodyAsHtml).</summary>
        public bool? BodyAsHtml { get; set; }

        /// <summary>
        /// The input object's properties as text ({CustomerName}, {InvoiceNumber}... in subjects and bodies), names
        /// compared ignoring case. Empty when the input was not an object with properties.
        /// </summary>
        public IReadOnlyDictionary<string, string?> Properties { get; set; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

        /// <summary>Position in the input (0, 1, 2, ...): orders documents, messages and parts.</summary>
        public int InputIndex { get; set; }

        /// <summary>Whatever the caller wants to find again (e.g. the pipeline object); the engine never reads it.</summary>
        public object? Source { get; set; }
    }
}
