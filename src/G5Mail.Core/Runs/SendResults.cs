using System.Linq;
using G5Mail.Core.Documents;
using G5Mail.Core.Messages;

namespace G5Mail.Core.Runs
{
    /// <summary>
    /// The one place a <see cref="SendResult"/> is built: from what a result is about (an input item that was rejected,
    /// a document the journal kept back, a planned message, a composed message), with the status and error set by the
    /// step that decided them.
    /// </summary>
    internal static class SendResults
    {
        /// <summary>An input item that cannot be sent (bad address, missing file, ...): Failed.</summary>
        public static SendResult Rejected(DocumentRejection rejection, string method)
        {
            DocumentRequest request = rejection.Request;
            return new SendResult
            {
                Status = SendStatus.Failed,
                Method = method,
                DocumentIds = new[] { rejection.DocumentId },
                Attachments = request.Paths.Select(System.IO.Path.GetFileName).ToArray(),
                To = request.To.ToArray(),
                Cc = request.Cc.ToArray(),
                Bcc = request.Bcc.ToArray(),
                Exception = rejection.Error,
                Source = request.Source,
            };
        }

        /// <summary>A document the journal kept back, described as the earlier run sent it when the journal knows.</summary>
        public static SendResult KeptBack(Document document, JournalRecord? earlier, SendRunOptions options, SendStatus status)
        {
            return new SendResult
            {
                Status = status,
                Method = earlier?.Method ?? options.MethodName,
                Server = earlier != null ? earlier.Server : options.Settings.Server,
                MessageId = earlier?.MessageId,
                From = earlier?.From ?? options.Settings.From,
                To = document.Recipients.To.ToArray(),
                Cc = document.Recipients.Cc.ToArray(),
                Bcc = document.Recipients.Bcc.ToArray(),
                Subject = earlier?.Subject,
                DocumentIds = new[] { document.DocumentId },
                Attachments = document.Files.Select(f => f.FileName).ToArray(),
                AttachmentBytes = document.TotalBytes,
                Source = SourceOf(document),
            };
        }

        /// <summary>A planned message that could not even be composed (e.g. a -From that is not an address): Failed.</summary>
        public static SendResult Uncomposed(PlannedMessage planned, string method, G5MailErrorException error)
        {
            return new SendResult
            {
                Status = SendStatus.Failed,
                Method = method,
                To = planned.Recipients.To.ToArray(),
                Cc = planned.Recipients.Cc.ToArray(),
                Bcc = planned.Recipients.Bcc.ToArray(),
                DocumentIds = planned.DocumentIds.ToArray(),
                Attachments = planned.Files.Select(f => f.FileName).ToArray(),
                AttachmentBytes = planned.AttachmentBytes,
                Part = planned.Part,
                PartCount = planned.PartCount,
                Exception = error,
                Source = SourceOf(planned),
            };
        }

        /// <summary>A composed message, before the step that handles it sets its status.</summary>
        public static SendResult Composed(OutgoingMessage message, string method, string? server)
        {
            return new SendResult
            {
                Method = method,
                Server = server,
                MessageId = message.MessageId,
                From = message.From,
                To = message.To.ToArray(),
                Cc = message.Cc.ToArray(),
                Bcc = message.Bcc.ToArray(),
                Subject = message.Subject,
                DocumentIds = message.DocumentIds.ToArray(),
                Attachments = message.AttachmentNames.ToArray(),
                AttachmentBytes = message.AttachmentBytes,
                Part = message.Part,
                PartCount = message.PartCount,
                Source = SourceOf(message.Plan),
            };
        }

        private static object? SourceOf(PlannedMessage planned) => planned.Documents.Count > 0 ? SourceOf(planned.Documents[0]) : null;

        private static object? SourceOf(Document document) => document.Requests.Count > 0 ? document.Requests[0].Source : null;
    }
}
