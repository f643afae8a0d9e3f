namespace G5Mail.Core.Documents
{
    /// <summary>A request that cannot become a document, with the contract's error (MissingRecipient, InvalidAddress, FileNotFound).</summary>
    public sealed class DocumentRejection
    {
        public DocumentRejection(DocumentRequest request, string documentId, G5MailErrorException error)
        {
            Request = request;
            DocumentId = documentId;
            Error = error;
        }

        public DocumentRequest Request { get; }

        /// <summary>The DocumentId the request would have had (given, or derived from the first file name); may be empty.</summary>
        public string DocumentId { get; }

        public G5MailErrorException Error { get; }

        public override string ToString() => Error.ErrorId + ": " + Error.Message;
    }
}
