using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using G5Mail.Core.Transports.Drafts;

namespace G5Mail.Core.Runs
{
    /// <summary>
    /// One Send-G5Document call, in the order a document travels through it:
    /// <list type="number">
    /// <item><see cref="Collect"/>: each pipeline item joins a document, or becomes a Failed result (bad address, missing file).</item>
    /// <item><see cref="Plan"/>: the documents are screened against the journal (already sent: Skipped; may have arrived:
    /// Uncertain) and the rest planned into messages (<see cref="MessagePlanner"/>).</item>
    /// <item><see cref="Deliver"/>: each message is confirmed (-WhatIf, -Confirm), composed and sent through a pooled
    /// transport with retries (or written as a draft), up to <see cref="SendRunOptions.ConnectionLimit"/> at once, and its
    /// result written in plan order. The first failure of the account or the server stops all further attempts.</item>
    /// <item><see cref="Report"/>: the counts of every result written.</item>
    /// </list>
    /// One bad document never stops the others. The steps run on the caller's (the pipeline's) thread; only
    /// <see cref="SendAsync"/> may run on others.
    /// </summary>
    public sealed class SendRun : IDisposable
    {
        /// <summary>How often the host hears from a run that waits for sends (progress, queued log lines).</summary>
        public static readonly TimeSpan IdleInterval = TimeSpan.FromMilliseconds(250);

        private readonly SendRunOptions _options;
        private readonly IRunLog _log;
        private readonly DocumentCollector _collector = new DocumentCollector();
        private readonly TransportPool<IMessageTransport> _transports;
        private readonly RunBreaker _breaker;
        private readonly DeliveryRetry _retry;
        private readonly DraftWriter? _drafts;
        private readonly RunSummary<SendStatus> _summary = new RunSummary<SendStatus>(SendStatus.Sent, SendStatus.Failed, SendStatus.Skipped, SendStatus.Uncertain);

        public SendRun(SendRunOptions options, Func<IMessageTransport> transportFactory, IRunLog log)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? throw new ArgumentNullException(nameof(log));
            _transports = new TransportPool<IMessageTransport>(transportFactory,
                (transport, number) => log.Verbose($"Opening connection {number} of at most {options.ConnectionLimit} to {transport.Server} (-ThrottleLimit)."));
            _breaker = new RunBreaker(log);
            _retry = new DeliveryRetry(options.Retry, log);
            _drafts = options.DraftDirectory != null ? new DraftWriter(options.DraftDirectory) : null;
        }

        /// <summary>Connections (transports) this run has opened so far.</summary>
        public int TransportCount => _transports.Count;

        /// <summary>Step 1, per pipeline item: null when it joined a document, or its Failed result (counted in the summary).</summary>
        public SendResult? Collect(DocumentRequest request)
        {
            DocumentRejection? rejection = _collector.Add(request);
            return rejection == null ? null : Counted(SendResults.Rejected(rejection, _options.MethodName));
        }

        /// <summary>Step 2, after the last item: screens the documents against the journal and plans the rest into messages.</summary>
        public RunPlan Plan()
        {
            IReadOnlyList<Document> documents = _collector.Complete();
            Screening screening = JournalScreen.Apply(documents, _options, _log);
            IReadOnlyList<PlannedMessage> messages = MessagePlanner.Plan(screening.ToSend, _options.Combine, _options.LimitBytes, _options.CombinableTypes);
            return new RunPlan(screening.KeptBack, messages);
        }

        /// <summary>
        /// Step 3: writes the kept-back results, then confirms, sends and writes each planned message in plan order.
        /// Throws OperationCanceledException on Ctrl+C, after every send in progress has ended.
        /// </summary>
        public void Deliver(RunPlan plan, IRunHost<SendResult> host, CancellationToken cancellationToken)
        {
            foreach (SendResult keptBack in plan.KeptBack)
            {
                host.Write(Counted(keptBack));
            }

            var progress = new RunProgress(plan.Messages.Count, plan.Messages.Sum(m => m.AttachmentBytes));
            using (var window = new RunWindow<PlannedMessage, SendResult>(_options.ConnectionLimit, SendAsync, WentThrough))
            {
                window.Run(
                    plan.Messages,
                    planned => Confirm(planned, host),
                    (planned, result) =>
                    {
                        progress.Done++;
                        progress.DoneBytes += planned.AttachmentBytes;
                        host.Write(Counted(result));
                    },
                    () => host.Idle(progress),
                    IdleInterval,
                    cancellationToken);
            }
        }

        /// <summary>Step 4: the counts of every result this run wrote, as the summary record shows them.</summary>
        public SendSummary Report(string commandName, TimeSpan elapsed) => SendSummary.From(_summary, commandName, elapsed, _options.Journal);

        /// <summary>
        /// Sends one planned message (or writes its draft): compose, journal "sending", send through a pooled transport
        /// with retries, journal the result. Never throws for a failed message, only for cancellation.
        /// </summary>
        public async Task<SendResult> SendAsync(PlannedMessage planned, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            OutgoingMessage message;
            try
            {
                message = Compose(planned);
            }
            catch (G5MailErrorException ex)
            {
                return SendResults.Uncomposed(planned, _options.MethodName, ex);
            }

            SendResult result = SendResults.Composed(message, _options.MethodName, _drafts != null ? null : Server);
            if (_drafts != null)
            {
                WriteDraft(_drafts, message, result, cancellationToken);
            }
            else if (_breaker.OpenedBy != null)
            {
                // Nothing is attempted: no connection, no login, no token request. Journaled as failed, so a rerun sends it.
                result.Status = SendStatus.Failed;
                result.Exception = _breaker.NotAttempted(string.Join(", ", message.DocumentIds));
                result.Reason = _breaker.ReasonNotAttempted;
                _options.Journal?.RecordResult(planned, result);
            }
            else
            {
                await DeliverAsync(planned, message, result, cancellationToken).ConfigureAwait(false);
                _options.Journal?.RecordResult(planned, result);
            }

            result.Duration = watch.Elapsed;
            return result;
        }

        private async Task DeliverAsync(PlannedMessage planned, OutgoingMessage message, SendResult result, CancellationToken cancellationToken)
        {
            IMessageTransport? transport = null;
            try
            {
                transport = _transports.Rent();
                _options.Journal?.RecordSending(planned, result, transport.Server); // on disk before the transport sees the message
                result.Server = transport.Server;
                TransportReceipt receipt = await _retry.SendAsync(transport, message, cancellationToken).ConfigureAwait(false);
                result.MessageId = receipt.MessageId ?? (receipt.MessageIdKnown ? message.MessageId : null);
                if (receipt.DraftReason != null)
                {
                    // Handed to the user unsent (Outlook -Display, -SaveAsDraft).
                    result.Status = SendStatus.Draft;
                    result.Reason = receipt.DraftReason;
                }
                else
                {
                    result.Status = SendStatus.Sent;
                    result.SentAt = DateTimeOffset.Now;
                }
            }
            catch (G5MailErrorException ex)
            {
                // Uncertain: the server may have the message, so it is reported, never resent.
                result.Status = ex.Failure == FailureClass.Uncertain ? SendStatus.Uncertain : SendStatus.Failed;
                result.Exception = ex;
                _breaker.Observe(ex, transport?.Server);
            }
            finally
            {
                if (transport != null)
                {
                    _transports.Return(transport);
                }
            }
        }

        private void WriteDraft(DraftWriter drafts, OutgoingMessage message, SendResult result, CancellationToken cancellationToken)
        {
            try
            {
                result.Path = drafts.Write(message, cancellationToken);
                result.Status = SendStatus.Draft;
                _log.Verbose($"Draft written: {result.Path}");
            }
            catch (G5MailErrorException ex)
            {
                result.Status = SendStatus.Failed;
                result.Exception = ex;
            }
        }

        /// <summary>
        /// -WhatIf and -Confirm, decided here only: null to send the message, otherwise its result instead (WhatIf when
        /// the run is a -WhatIf run, Skipped with Reason Declined when the user answered No).
        /// </summary>
        private SendResult? Confirm(PlannedMessage planned, IRunHost<SendResult> host)
        {
            string target = $"{string.Join(", ", planned.Recipients.To.Concat(planned.Recipients.Cc).Concat(planned.Recipients.Bcc))}: " +
                            $"{string.Join(", ", planned.DocumentIds)}" +
                            (planned.PartCount > 1 ? $" (part {planned.Part} of {planned.PartCount})" : string.Empty);
            if (host.ShouldProcess(target, _options.ActionDescription))
            {
                return null;
            }

            SendResult result;
            try
            {
                result = SendResults.Composed(Compose(planned), _options.MethodName, _options.WritesDrafts ? null : Server);
            }
            catch (G5MailErrorException ex)
            {
                return SendResults.Uncomposed(planned, _options.MethodName, ex);
            }

            result.Status = _options.WhatIf ? SendStatus.WhatIf : SendStatus.Skipped;
            result.Reason = _options.WhatIf ? null : SendReasons.Declined;
            return result;
        }

        private OutgoingMessage Compose(PlannedMessage planned)
        {
            var compose = new ComposeOptions
            {
                From = _options.Settings.From ?? string.Empty,
                // Exchange (EWS) sends as the signed-in mailbox when no From is set.
                SenderOptional = _options.ClientSide || _options.Settings.Method == MailMethod.Exchange,
                CopyToSelf = _options.ClientSide ? CopyToSelf.None : _options.Settings.SendCopyToSelf ?? Defaults.SendCopyToSelf,
                SubjectTemplate = _options.Subject,
                Body = _options.Body,
                BodyAsHtml = _options.BodyAsHtml,
                Language = _options.Language,
                Templates = _options.Templates,
            };
            return MessageComposer.Compose(planned, compose);
        }

        /// <summary>Where messages go: the first connection's server once there is one, the setting before.</summary>
        private string? Server => _transports.First?.Server ?? _options.Settings.Server;

        /// <summary>A result that shows connecting and signing in work: the server took (or may have taken) the data.</summary>
        private static bool WentThrough(SendResult result) => result.Status == SendStatus.Sent || result.Status == SendStatus.Uncertain;

        private SendResult Counted(SendResult result)
        {
            _summary.Add(result.Status);
            return result;
        }

        /// <summary>Closes every connection; <see cref="Deliver"/> has waited for the sends in progress.</summary>
        public void Dispose() => _transports.Dispose();
    }

    /// <summary>What <see cref="SendRun.Plan"/> hands to <see cref="SendRun.Deliver"/>: the results of documents kept back, and the messages to send.</summary>
    public sealed class RunPlan
    {
        public RunPlan(IReadOnlyList<SendResult> keptBack, IReadOnlyList<PlannedMessage> messages)
        {
            KeptBack = keptBack;
            Messages = messages;
        }

        public IReadOnlyList<SendResult> KeptBack { get; }
        public IReadOnlyList<PlannedMessage> Messages { get; }
    }
}
