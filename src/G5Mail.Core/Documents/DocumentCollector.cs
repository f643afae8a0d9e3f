using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Documents
{
    /// <summary>
    /// Turns requests, in input order, into documents: validates recipients and files, derives the DocumentId, and
    /// merges requests with the same DocumentId and recipients into one document (so 1001.pdf and 1001.xml given
    /// as two pipeline records become one). Built for streaming: call <see cref="Add"/> per pipeline record and
    /// <see cref="Complete"/> at the end.
    /// </summary>
    public sealed class DocumentCollector
    {
        /// <summary>File systems on Windows ignore case; elsewhere two spellings are two files.</summary>
        private static readonly StringComparer PathComparer =
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

        private readonly List<Pending> _documents = new List<Pending>();
        private readonly Dictionary<string, Pending> _byKey = new Dictionary<string, Pending>(StringComparer.OrdinalIgnoreCase);
        private readonly List<DocumentRejection> _rejections = new List<DocumentRejection>();
        private bool _completed;

        /// <summary>The requests rejected so far, in input order.</summary>
        public IReadOnlyList<DocumentRejection> Rejections => _rejections;


        /// <summary>Collects a whole input at once.</summary>
        public static IReadOnlyList<Document> Collect(IEnumerable<DocumentRequest> requests, out IReadOnlyList<DocumentRejection> rejections)
        {
            if (requests == null)
            {
                throw new ArgumentNullException(nameof(requests));
            }

            var collector = new DocumentCollector();
            foreach (var request in requests)
            {
                collector.Add(request);
            }

            var documents = collector.Complete();
            rejections = collector.Rejections;
            return documents;
        }

        /// <summary>
        /// Validates one request and adds it to its document. Returns null when accepted, else the rejection
        /// (also kept in <see cref="Rejections"/>); a rejected request adds nothing.
        /// </summary>
        public DocumentRejection? Add(DocumentRequest request)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }

            if (_completed)
            {
                throw new InvalidOperationException("The collector is complete; create a new one for more documents.");
            }

            var paths = (request.Paths ?? Array.Empty<string>()).Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim()).ToList();
            var documentId = DocumentIdOf(request, paths);

            var error = Validate(request, paths, documentId, out var recipients, out var files);
            if (error != null)
            {
                var rejection = new DocumentRejection(request, documentId, error);
                _rejections.Add(rejection);
                return rejection;
            }

            var key = documentId + "\u0000" + recipients!.Key;
            if (!_byKey.TryGetValue(key, out var pending))
            {
                pending = new Pending(documentId, recipients, request.InputIndex);
                _byKey.Add(key, pending);
                _documents.Add(pending);
            }

            pending.Requests.Add(request);
            foreach (var file in files!)
            {
                if (pending.Paths.Add(file.FullPath))
                {
                    pending.Files.Add(file);
                }
            }

            return null;
        }

        /// <summary>Ends the input and returns the documents ordered by input position (stable).</summary>
        public IReadOnlyList<Document> Complete()
        {
            _completed = true;
            return _documents
                .OrderBy(d => d.InputIndex)
                .Select(d => new Document(d.DocumentId, d.Files.ToArray(), d.Recipients, d.InputIndex, d.Requests.ToArray()))
                .ToArray();
        }

        private static string DocumentIdOf(DocumentRequest request, List<string> paths)
        {
            if (!string.IsNullOrWhiteSpace(request.DocumentId))
            {
                return request.DocumentId!.Trim();
            }

            if (paths.Count == 0)
            {
                return string.Empty;
            }

            try
            {
                return Path.GetFileNameWithoutExtension(paths[0]);
            }
            catch (ArgumentException)
            {
                // An invalid path is reported as FileNotFound below; the id is only a label here.
                return paths[0];
            }
        }

        private static G5MailErrorException? Validate(
            DocumentRequest request,
            List<string> paths,
            string documentId,
            out RecipientSet? recipients,
            out List<DocumentFile>? files)
        {
            files = null;
            var label = documentId.Length > 0 ? "Document '" + documentId + "'" : "A document without a file";
            if (!RecipientSet.TryParse(request.To, request.Cc, request.Bcc, out var parsed, out var invalid))
            {
                recipients = null;
                return RecipientSet.InvalidAddressError(invalid, documentId.Length > 0 ? documentId : null);
            }

            recipients = parsed;
            if (!DocumentTypes.TryParse(request.DocumentType, out _))
            {
                return new G5MailErrorException(
                    ErrorIds.InvalidDocumentType,
                    ErrorKind.InvalidArgument,
                    label + " is not sent: its DocumentType '" + request.DocumentType!.Trim() + "' is not known. Use one of " + DocumentTypes.Accepted + ".",
                    documentId);
            }

            if (parsed.IsEmpty)
            {
                return new G5MailErrorException(
                    ErrorIds.MissingRecipient,
                    ErrorKind.InvalidArgument,
                    label + " has no recipient, so it is not sent. Give -To, -Cc or -Bcc (as in Monitor G5, the address must be in the document header).",
                    documentId);
            }

            if (paths.Count == 0)
            {
                return new G5MailErrorException(
                    ErrorIds.FileNotFound,
                    ErrorKind.InvalidArgument,
                    label + " has no file. Give the document's files with -Path.",
                    documentId);
            }

            files = new List<DocumentFile>(paths.Count);
            var missing = new List<string>();
            var folders = new List<string>();
            foreach (var path in paths)
            {
                string fullPath;
                try
                {
                    fullPath = Path.GetFullPath(path);
                }
                catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is PathTooLongException)
                {
                    missing.Add(path);
                    continue;
                }

                var info = new FileInfo(fullPath);
                if (info.Exists)
                {
                    files.Add(new DocumentFile(info.FullName, info.Length, DocumentFile.ContentTypeFor(info.Name)));
                }
                else if (Directory.Exists(fullPath))
                {
                    folders.Add(fullPath);
                }
                else
                {
                    missing.Add(fullPath);
                }
            }

            if (missing.Count > 0 || folders.Count > 0)
            {
                var reasons = new List<string>();
                if (missing.Count > 0)
                {
                    reasons.Add((missing.Count == 1 ? "file not found: " : "files not found: ") + string.Join(", ", missing.Select(p => "'" + p + "'")));
                }

                if (folders.Count > 0)
                {
                    reasons.Add((folders.Count == 1 ? "a folder, not a file: " : "folders, not files: ") + string.Join(", ", folders.Select(p => "'" + p + "'")));
                }

                return new G5MailErrorException(
                    ErrorIds.FileNotFound,
                    ErrorKind.ObjectNotFound,
                    label + " is not sent, " + string.Join("; ", reasons) + ". Check -Path.",
                    missing.Count > 0 ? missing[0] : folders[0]);
            }

            return null;
        }

        private sealed class Pending
        {
            public Pending(string documentId, RecipientSet recipients, int inputIndex)
            {
                DocumentId = documentId;
                Recipients = recipients;
                InputIndex = inputIndex;
            }

            public string DocumentId { get; }

            public RecipientSet Recipients { get; }

            public int InputIndex { get; }

            public List<DocumentFile> Files { get; } = new List<DocumentFile>();

            public HashSet<string> Paths { get; } = new HashSet<string>(PathComparer);

            public List<DocumentRequest> Requests { get; } = new List<DocumentRequest>();
        }
    }
}
