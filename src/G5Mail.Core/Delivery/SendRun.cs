using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Outlook;
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

        /// <summary>
        /// -JournalPath: documents it says were sent are kept back (Skipped, AlreadySent), and every message sent is
        /// recorded in it. Opened (and disposed) by the caller; read-only for -WhatIf. Not used with drafts.
        /// </summary>
        public SendJournal? Journal { get; set; }

        /// <summary>-Force: send documents the journal calls Uncertain instead of reporting them as Uncertain again.</summary>
        public bool ResendUncertain { get; set; }

        public bool Combine => Settings.CombineDocuments ?? Defaults.CombineDocuments;

        public long LimitBytes => (long)((Settings.MaxAttachmentSizeMB ?? Defaults.MaxAttachmentSizeMB) * Defaults.BytesPerMB);

        public MailMethod Method => Settings.Method ?? throw new InvalidOperationException("Method is not set.");

        /// <summary>The method's name for results; empty when none is set (possible only with <see cref="DraftDirectory"/>).</summary>
        public string MethodName => Settings.Method?.ToString() ?? string.Empty;

        /// <summary>-Display / -SaveAsDraft: what Outlook does with each message. Only with Method Outlook.</summary>
        public OutlookAction OutlookAction { get; set; } = OutlookAction.Send;

        /// <summary>-DraftDirectory: write each message there as an .eml draft instead of sending; no transport is created.</summary>
        public string? DraftDirectory { get; set; }

        public bool WritesDrafts => DraftDirectory != null;

        /// <summary>The most -ThrottleLimit may ask for: more connections than this stop paying off and look like abuse to a relay.</summary>
        public const int MaxThrottleLimit = 16;

        private int _throttleLimit = 1;

        /// <summary>
        /// -ThrottleLimit: how many messages are sent at once, each on a connection (transport) of its own. 1 (the default)
        /// sends one after another on one connection. See <see cref="ConnectionLimit"/> for what a run really uses.
        /// </summary>
        public int ThrottleLimit
        {
            get => _throttleLimit;
            set
            {
                if (value < 1 || value > MaxThrottleLimit)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), value, $"The throttle limit must be between 1 and {MaxThrottleLimit}.");
                }

                _throttleLimit = value;
            }
        }

        /// <summary>
        /// The connections a run opens at most: <see cref="ThrottleLimit"/>, except 1 for Outlook (one COM application,
        /// which serves one caller at a time) and for drafts (written to disk, no connection to share out).
        /// </summary>
        public int ConnectionLimit => WritesDrafts || Settings.Method == MailMethod.Outlook ? 1 : _throttleLimit;

        /// <summary>-RetryCount / -RetryDelaySeconds: how transient failures are retried (see <see cref="DeliveryRetry"/>).</summary>
        public RetryPolicy Retry { get; set; } = RetryPolicy.Default;

        /// <summary>What happens to each message, for -WhatIf and -Confirm ("Send e-mail", "Write draft to C:\Drafts", ...).</summary>
        public string ActionDescription
        {
            get
            {
                if (WritesDrafts)
                {
                    return "Write draft to " + DraftDirectory;
                }

                switch (OutlookAction)
                {
                    case OutlookAction.Display: return "Open in Outlook";
                    case OutlookAction.SaveAsDraft: return "Save to Outlook Drafts";
                    default: return "Send e-mail";
                }
            }
        }

        /// <summary>Throws a G5MailException (MethodNotSupported, InvalidArgument) for options that cannot go together.</summary>
        public void Validate() => Validate(Settings.Method, OutlookAction, WritesDrafts);

        /// <summary>
        /// The same check before the settings are known to be complete, so that "-Display with Smtp" is reported as
        /// such rather than as whatever the Smtp settings lack.
        /// </summary>
        public static void Validate(MailMethod? method, OutlookAction outlookAction, bool writesDrafts)
        {
            if (outlookAction == OutlookAction.Send)
            {
                return;
            }

            string parameter = outlookAction == OutlookAction.Display ? "-Display" : "-SaveAsDraft";
            if (writesDrafts)
            {
                throw new G5MailException(ErrorIds.MethodNotSupported, ErrorKind.InvalidArgument,
                    $"{parameter} and -DraftDirectory cannot be used together: {parameter} hands the message to Outlook, -DraftDirectory writes "
                    + "it to a file. Choose one.", parameter);
            }

            if (method != MailMethod.Outlook)
            {
                throw new G5MailException(ErrorIds.MethodNotSupported, ErrorKind.InvalidArgument,
                    $"{parameter} works only with the Outlook method, and the method here is {method?.ToString() ?? "not set"}. Add -Method Outlook, or use "
                    + "-DraftDirectory <folder> to write Outlook-ready drafts with any method.", parameter);
            }
        }
    }

    /// <summary>
    /// One Send-G5Document pipeline: collects documents, plans messages, composes and sends them through one transport
    /// (or, with a draft directory, writes them as .eml drafts and creates no transport at all), and turns every
    /// document into an outcome (Sent, Draft, Failed, Skipped, WhatIf). One bad document never stops the others.
    /// Add and Plan are for the pipeline thread. <see cref="Send"/> may run on up to
    /// <see cref="SendRunOptions.ConnectionLimit"/> threads at once (see <see cref="SendWindow"/>): each send borrows a
    /// transport that no other send uses meanwhile, and a new one is made only when all made so far are busy, so a run
    /// opens at most as many connections as it sends messages at once.
    /// </summary>
    public sealed class SendRun : IDisposable
    {
        private readonly SendRunOptions _options;
        private readonly Func<IMessageTransport> _transportFactory;
        private readonly IRunLog _log;
        private readonly DocumentCollector _collector = new DocumentCollector();
        private readonly DraftWriter? _drafts;
        private readonly List<MessageOutcome> _heldBack = new List<MessageOutcome>();

        // Transport pool, guarded by _gate: every transport made (counted; one per connection) and those no send uses now.
        private readonly object _gate = new object();
        private readonly List<IMessageTransport> _transports = new List<IMessageTransport>();
        private readonly Stack<IMessageTransport> _idle = new Stack<IMessageTransport>();
        private G5MailException? _transportError;
        private string? _server;
        private bool _disposed;

        // The failure of the account or the server that ended the run's attempts (the first one wins): every message after
        // it fails without a connection, a login or a token request (FailureClassification.ScopeOf says which failures).
        private G5MailException? _stoppedBy;

        public SendRun(SendRunOptions options, Func<IMessageTransport> transportFactory, IRunLog log)
        {
            _options = options;
            _transportFactory = transportFactory;
            _log = log;
            _drafts = options.DraftDirectory != null ? new DraftWriter(options.DraftDirectory) : null;
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
                Method = _options.MethodName,
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
            IReadOnlyList<Document> documents = _collector.Complete();
            if (_options.Journal != null && !_options.WritesDrafts)
            {
                documents = JournalScreen.Apply(documents, _options.Journal, _options.ResendUncertain, _options, _log, _heldBack);
            }

            return MessagePlanner.Plan(documents, _options.Combine, _options.LimitBytes);
        }

        /// <summary>After <see cref="Plan"/>: one outcome per document the journal kept back (Skipped AlreadySent, Uncertain).</summary>
        public IReadOnlyList<MessageOutcome> HeldBack => _heldBack;

        public OutgoingMessage Compose(PlannedMessage planned)
        {
            // Outlook sends from its own account and keeps its copy in Sent Items, and a draft is sent later from the
            // user's own mail program: neither needs a sender here nor a copy to self.
            bool clientSide = _options.WritesDrafts || _options.Settings.Method == MailMethod.Outlook;
            var compose = new ComposeOptions
            {
                From = _options.Settings.From ?? string.Empty,
                // Exchange (EWS) sends as the signed-in mailbox when no From is set.
                SenderOptional = clientSide || _options.Settings.Method == MailMethod.Exchange,
                CopyToSelf = clientSide ? CopyToSelf.None : _options.Settings.SendCopyToSelf ?? Defaults.SendCopyToSelf,
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

        /// <summary>
        /// Composes and sends one planned message (or writes its draft). Never throws for a failed message, only for
        /// cancellation.
        /// </summary>
        public MessageOutcome Send(PlannedMessage planned, CancellationToken cancellationToken) =>
            SendAsync(planned, cancellationToken).GetAwaiter().GetResult();

        /// <summary>
        /// <see cref="Send"/> as a task, for -ThrottleLimit (several run at once on the thread pool). Graph and EWS await
        /// the network here and hold no thread meanwhile; the SMTP transport sends synchronously (see SmtpTransport), so
        /// each SMTP send holds one pool thread for its exchange.
        /// </summary>
        public async Task<MessageOutcome> SendAsync(PlannedMessage planned, CancellationToken cancellationToken)
        {
            if (_drafts != null)
            {
                return WriteDraft(_drafts, planned, cancellationToken);
            }

            var watch = Stopwatch.StartNew();
            OutgoingMessage? message = TryCompose(planned, out MessageOutcome? unsent);
            if (message == null)
            {
                return unsent!;
            }

            MessageOutcome outcome = Describe(message, planned);
            G5MailException? stoppedBy = Volatile.Read(ref _stoppedBy);
            if (stoppedBy != null)
            {
                // Nothing is attempted: no connection, no login, no token request. Journaled as failed, so a rerun sends it.
                outcome.Status = DeliveryStatus.Failed;
                outcome.Error = NotAttempted(stoppedBy, message);
                outcome.Reason = stoppedBy.Scope == FailureScope.Account ? OutcomeReasons.NotAttempted : OutcomeReasons.ServerUnavailable;
                outcome.Duration = watch.Elapsed;
                _options.Journal?.RecordResult(planned, outcome);
                return outcome;
            }

            IMessageTransport? transport = null;
            try
            {
                transport = RentTransport();
                _options.Journal?.RecordSending(planned, outcome, transport.Server); // on disk before the transport sees the message
                outcome.Server = transport.Server;
                TransportReceipt receipt = await new DeliveryRetry(_options.Retry, _log).SendAsync(transport, message, cancellationToken).ConfigureAwait(false);
                outcome.MessageId = receipt.MessageId ?? (receipt.MessageIdKnown ? message.MessageId : null);
                if (receipt.DraftReason != null)
                {
                    // Handed to the user unsent (Outlook -Display, -SaveAsDraft).
                    outcome.Status = DeliveryStatus.Draft;
                    outcome.Reason = receipt.DraftReason;
                }
                else
                {
                    outcome.Status = DeliveryStatus.Sent;
                    outcome.SentAt = DateTimeOffset.Now;
                }
            }
            catch (G5MailException ex)
            {
                // Uncertain: the server may have the message, so it is reported, never resent.
                outcome.Status = ex.Failure == FailureClass.Uncertain ? DeliveryStatus.Uncertain : DeliveryStatus.Failed;
                outcome.Error = ex;
                // An Uncertain message itself is never resent; a server that went silent after taking it stops the run too.
                if (ex.Scope != FailureScope.Message && Interlocked.CompareExchange(ref _stoppedBy, ex, null) == null)
                {
                    _log.Warning(ex.Scope == FailureScope.Account
                        ? $"{ex.ErrorId}: the credentials were rejected, so G5Mail attempts no further message in this run (each attempt would count "
                          + "towards the account's lockout). The remaining messages fail with Reason NotAttempted; fix the credentials and run again."
                        : $"{ex.ErrorId}: {ServerOf(transport)} cannot be reached or stopped answering, so G5Mail attempts no further message in this run. "
                          + "The remaining messages fail with Reason ServerUnavailable; run again when the server answers.");
                }
            }
            finally
            {
                if (transport != null)
                {
                    ReturnTransport(transport);
                }
            }

            outcome.Duration = watch.Elapsed;
            _options.Journal?.RecordResult(planned, outcome);
            return outcome;
        }

        private MessageOutcome WriteDraft(DraftWriter drafts, PlannedMessage planned, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            OutgoingMessage? message = TryCompose(planned, out MessageOutcome? unsent);
            if (message == null)
            {
                return unsent!;
            }

            MessageOutcome outcome = Describe(message, planned);
            try
            {
                outcome.Path = drafts.Write(message, cancellationToken);
                outcome.Status = DeliveryStatus.Draft;
                _log.Verbose($"Draft written: {outcome.Path}");
            }
            catch (G5MailException ex)
            {
                outcome.Status = DeliveryStatus.Failed;
                outcome.Error = ex;
            }

            outcome.Duration = watch.Elapsed;
            return outcome;
        }

        private static string ServerOf(IMessageTransport? transport) => transport?.Server ?? "The server";

        /// <summary>The error of a message not attempted because of <paramref name="cause"/>: the same id, and what happened first.</summary>
        private static G5MailException NotAttempted(G5MailException cause, OutgoingMessage message)
        {
            string first = cause.Message;
            int cut = first.IndexOf(". ", StringComparison.Ordinal);
            string brief = cut > 0 && cut < 300 ? first.Substring(0, cut + 1) : (first.Length > 300 ? first.Substring(0, 300) + "..." : first);
            string what = cause.Scope == FailureScope.Account
                ? "an earlier message of this run found the credentials rejected, and every further login would count towards the account's lockout"
                : "an earlier message of this run found the server unreachable or silent";
            return new G5MailException(cause.ErrorId, cause.Kind,
                $"Not attempted ({string.Join(", ", message.DocumentIds)}): {what}. The first failure: {brief} A rerun (with -JournalPath: the same command) sends it.",
                cause.Target)
            {
                Failure = FailureClass.Permanent,
                Scope = cause.Scope,
                Cause = cause.Cause,
            };
        }

        /// <summary>Composes, or describes as Failed a message that cannot be composed (e.g. a -From that is not an address).</summary>
        private OutgoingMessage? TryCompose(PlannedMessage planned, out MessageOutcome? failed)
        {
            try
            {
                failed = null;
                return Compose(planned);
            }
            catch (G5MailException ex)
            {
                failed = new MessageOutcome
                {
                    Status = DeliveryStatus.Failed,
                    Method = _options.MethodName,
                    To = planned.Recipients.To,
                    Cc = planned.Recipients.Cc,
                    Bcc = planned.Recipients.Bcc,
                    DocumentIds = planned.DocumentIds,
                    Attachments = planned.Files.Select(f => f.FileName).ToArray(),
                    AttachmentBytes = planned.AttachmentBytes,
                    Part = planned.Part,
                    PartCount = planned.PartCount,
                    Error = ex,
                    Source = SourceOf(planned),
                };
                return null;
            }
        }

        private static object? SourceOf(PlannedMessage planned) =>
            planned.Documents.Count > 0 && planned.Documents[0].Requests.Count > 0 ? planned.Documents[0].Requests[0].Source : null;

        /// <summary>A transport no other send is using: an idle one, or a new one when all are busy.</summary>
        private IMessageTransport RentTransport()
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    throw new ObjectDisposedException(nameof(SendRun));
                }

                // A transport that cannot even be created (e.g. method not supported) fails every message the same way.
                if (_transportError != null)
                {
                    throw _transportError;
                }

                if (_idle.Count > 0)
                {
                    return _idle.Pop();
                }

                // Creating a transport connects nothing (it connects on its first message), so holding the lock is cheap.
                IMessageTransport transport;
                try
                {
                    transport = _transportFactory();
                }
                catch (G5MailException ex)
                {
                    _transportError = ex;
                    throw;
                }

                _transports.Add(transport);
                _server ??= transport.Server;
                if (_transports.Count > 1)
                {
                    _log.Verbose($"Opening connection {_transports.Count} of at most {_options.ConnectionLimit} to {transport.Server} (-ThrottleLimit).");
                }

                return transport;
            }
        }

        private void ReturnTransport(IMessageTransport transport)
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    transport.Dispose();
                    return;
                }

                _idle.Push(transport);
            }
        }

        /// <summary>Connections (transports) this run has opened so far.</summary>
        public int TransportCount
        {
            get
            {
                lock (_gate)
                {
                    return _transports.Count;
                }
            }
        }

        private MessageOutcome Describe(OutgoingMessage message, PlannedMessage planned)
        {
            return new MessageOutcome
            {
                Method = _options.MethodName,
                // A draft goes to no server.
                Server = _options.WritesDrafts ? null : Volatile.Read(ref _server) ?? _options.Settings.Server,
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
                Source = SourceOf(planned),
            };
        }

        /// <summary>
        /// Closes every connection. Call after every send has ended (<see cref="SendWindow"/> waits for them); a transport
        /// still in use is not closed under its sender but when the send hands it back.
        /// </summary>
        public void Dispose()
        {
            IMessageTransport[] transports;
            lock (_gate)
            {
                _disposed = true;
                transports = _idle.ToArray();
                _idle.Clear();
            }

            foreach (IMessageTransport transport in transports)
            {
                transport.Dispose();
            }
        }
    }
}
