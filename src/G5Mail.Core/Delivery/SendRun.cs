using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using G5Mail.Core.Sending;
using G5Mail.Core.Settings;
using G5Mail.Core.Transport;

namespace G5Mail.Core.Delivery
{
    /// <summary>What one Send-G5Document call asks for, after settings and per-call overrides are merged.</summary>
    public sealed class SendRunOptions
    {
        public SendRunOptions(MailSettings effective)
        {
            Settings = effective;
        }

        /// <summary>Effective settings (System overlaid with User, defaults filled, per-call overrides applied).</summary>
        public MailSettings Settings { get; }

        public string? Subject { get; set; }
        public string? Body { get; set; }
        public bool BodyAsHtml { get; set; }

        public bool Combine => Settings.CombineDocuments ?? Defaults.CombineDocuments;

        public long LimitBytes => (long)((Settings.MaxAttachmentSizeMB ?? Defaults.MaxAttachmentSizeMB) * Defaults.BytesPerMB);

        public MailMethod Method => Settings.Method ?? throw new InvalidOperationException("Method is not set.");
    }

    /// <summary>
    /// One Send-G5Document pipeline: collects documents, plans messages, composes and sends them through one transport,
    /// and turns every document into an outcome (Sent, Failed, Skipped, WhatIf). One bad document never stops the others.
    /// Not thread-safe: the cmdlet drives it from the pipeline thread.
    /// </summary>
    public sealed class SendRun : IDisposable
    {
        private readonly SendRunOptions _options;
        private readonly Func<IMessageTransport> _transportFactory;
        private readonly IRunLog _log;
        private readonly DocumentCollector _collector = new DocumentCollector();
        private IMessageTransport? _transport;
        private G5MailException? _transportError;

        public SendRun(SendRunOptions options, Func<IMessageTransport> transportFactory, IRunLog log)
        {
            _options = options;
            _transportFactory = transportFactory;
            _log = log;
        }

        public SendRunOptions Options => _options;

        /// <summary>Adds one input item; returns a Failed outcome when it cannot be sent (bad address, missing file, ...).</summary>
        public MessageOutcome? Add(DocumentRequest request)
        {
            DocumentRejection? rejection = _collector.Add(request);
            if (rejection == null)
            {
                return null;
            }

            return new MessageOutcome
            {
                Status = DeliveryStatus.Failed,
                Method = _options.Method.ToString(),
                DocumentIds = new[] { rejection.DocumentId },
                Attachments = request.Paths.Select(System.IO.Path.GetFileName).ToArray(),
                To = request.To,
                Cc = request.Cc,
                Bcc = request.Bcc,
                Error = rejection.Error,
                Source = request.Source,
            };
        }

        /// <summary>Plans every collected document into messages (call once, after the last Add).</summary>
        public IReadOnlyList<PlannedMessage> Plan()
        {
            return MessagePlanner.Plan(_collector.Complete(), _options.Combine, _options.LimitBytes);
        }

        public OutgoingMessage Compose(PlannedMessage planned)
        {
            var compose = new ComposeOptions
            {
                From = _options.Settings.From ?? string.Empty,
                CopyToSelf = _options.Settings.SendCopyToSelf ?? Defaults.SendCopyToSelf,
                SubjectTemplate = _options.Subject,
                Body = _options.Body,
                BodyAsHtml = _options.BodyAsHtml,
            };
            return MessageComposer.Compose(planned, compose);
        }

        /// <summary>The outcome a message would have without sending it (WhatIf, or Skipped when the user declined).</summary>
        public MessageOutcome Preview(PlannedMessage planned, DeliveryStatus status, string? reason = null)
        {
            OutgoingMessage message = Compose(planned);
            MessageOutcome outcome = Describe(message, planned);
            outcome.Status = status;
            outcome.Reason = reason;
            return outcome;
        }

        /// <summary>Composes and sends one planned message. Never throws for a failed message, only for cancellation.</summary>
        public MessageOutcome Send(PlannedMessage planned, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            OutgoingMessage message = Compose(planned);
            MessageOutcome outcome = Describe(message, planned);
            try
            {
                IMessageTransport transport = GetTransport();
                outcome.Server = transport.Server;
                TransportReceipt receipt = transport.SendAsync(message, cancellationToken).GetAwaiter().GetResult();
                outcome.Status = DeliveryStatus.Sent;
                outcome.MessageId = receipt.MessageId ?? message.MessageId;
                outcome.SentAt = DateTimeOffset.Now;
            }
            catch (G5MailException ex)
            {
                outcome.Status = DeliveryStatus.Failed;
                outcome.Error = ex;
            }

            outcome.Duration = watch.Elapsed;
            return outcome;
        }

        private IMessageTransport GetTransport()
        {
            // A transport that cannot even be created (e.g. method not supported) fails every message the same way.
            if (_transportError != null)
            {
                throw _transportError;
            }

            if (_transport == null)
            {
                try
                {
                    _transport = _transportFactory();
                }
                catch (G5MailException ex)
                {
                    _transportError = ex;
                    throw;
                }
            }

            return _transport;
        }

        private MessageOutcome Describe(OutgoingMessage message, PlannedMessage planned)
        {
            return new MessageOutcome
            {
                Method = _options.Method.ToString(),
                Server = _transport?.Server ?? _options.Settings.Server,
                MessageId = message.MessageId,
                From = message.From,
                To = message.To,
                Cc = message.Cc,
                Bcc = message.Bcc,
                Subject = message.Subject,
                DocumentIds = message.DocumentIds,
                Attachments = message.AttachmentNames,
                AttachmentBytes = message.AttachmentBytes,
                Part = message.Part,
                PartCount = message.PartCount,
                Source = planned.Documents.Count > 0 && planned.Documents[0].Requests.Count > 0 ? planned.Documents[0].Requests[0].Source : null,
            };
        }

        public void Dispose()
        {
            _transport?.Dispose();
            _transport = null;
        }
    }
}
