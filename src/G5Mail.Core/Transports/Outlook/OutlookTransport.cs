using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Runs;
using G5Mail.Core.Transports;

namespace G5Mail.Core.Transports.Outlook
{
    /// <summary>
    /// Hands each message to the user's classic Outlook: a new mail item with the recipients, subject, text (above
    /// the user's signature) and files, then Send, Display or Save. Outlook sends from the profile's account and keeps
    /// the copy in Sent Items. One Outlook connection serves the pipeline; every COM object is released after use and
    /// Outlook itself at Dispose (it is never closed: it is the user's). All calls happen on the caller's thread, as
    /// COM apartments require.
    /// </summary>
    public sealed class OutlookTransport : IMessageTransport
    {
        internal static readonly TimeSpan[] DefaultBusyDelays =
        {
            TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4),
        };

        private readonly OutlookAction _action;
        private readonly IRunLog _log;
        private readonly IReadOnlyList<TimeSpan> _busyDelays;
        private readonly HashSet<string> _warnedSenders = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private IOutlookApplication? _outlook;

        private OutlookTransport(IOutlookApplication outlook, string version, OutlookAction action, IRunLog log, IReadOnlyList<TimeSpan> busyDelays)
        {
            _outlook = outlook;
            _action = action;
            _log = log;
            _busyDelays = busyDelays;
            Server = string.IsNullOrEmpty(version) ? "Outlook" : "Outlook " + version;
        }

        /// <summary>"Outlook 16.0.0.17928": the program messages go to.</summary>
        public string Server { get; }

        public OutlookAction Action => _action;

        /// <summary>Connects to Outlook on this computer, or throws MethodNotSupported saying why it cannot be used here.</summary>
        public static OutlookTransport Create(OutlookAction action, IRunLog log) => Create(OutlookHost.Current, action, log, DefaultBusyDelays);

        /// <summary>The seam for tests: any host (platform facts and the Outlook to connect to) and retry delays.</summary>
        internal static OutlookTransport Create(IOutlookHost host, OutlookAction action, IRunLog log, IReadOnlyList<TimeSpan> busyDelays)
        {
            if (!host.IsWindows)
            {
                throw OutlookErrors.NotWindows();
            }

            if (!host.IsInteractiveSession)
            {
                throw OutlookErrors.NotInteractive();
            }

            bool wasRunning = host.IsOutlookRunning();
            IOutlookApplication? outlook = null;
            try
            {
                outlook = Retry(OutlookStep.Start, host.Connect, busyDelays, log, CancellationToken.None);
                IOutlookApplication connected = outlook;
                string version = Retry(OutlookStep.Start, () => connected.Version, busyDelays, log, CancellationToken.None);
                log.Verbose($"Connected to Outlook {version}{(wasRunning ? string.Empty : " (started without a window)")}; messages are {Describe(action)}.");
                if (!wasRunning && action == OutlookAction.Send)
                {
                    log.Warning("Outlook was not running, so it was started without a window. Messages go to its Outbox and Outlook sends "
                                + "them on its own schedule; if Outlook stops first they wait there until it next runs. Start Outlook before "
                                + "sending to be sure they leave at once.");
                }

                var transport = new OutlookTransport(connected, version, action, log, busyDelays);
                outlook = null;
                return transport;
            }
            finally
            {
                outlook?.Dispose();
            }
        }

        public Task<TransportReceipt> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            // Synchronous on purpose: the COM objects belong to this thread's apartment.
            return Task.FromResult(Send(message, cancellationToken));
        }

        private TransportReceipt Send(OutgoingMessage message, CancellationToken cancellationToken)
        {
            IOutlookApplication outlook = _outlook ?? throw new ObjectDisposedException(nameof(OutlookTransport));
            cancellationToken.ThrowIfCancellationRequested();
            IOutlookMailItem item = Call(OutlookStep.CreateItem, outlook.CreateMailItem, cancellationToken);
            OutlookStep step = OutlookStep.Recipients;
            try
            {
                string[] addresses = AddRecipients(item, message, cancellationToken);
                if (!Call(step, item.ResolveAll, cancellationToken))
                {
                    IReadOnlyList<bool> resolved = Call(step, item.RecipientsResolved, cancellationToken);
                    string[] unresolved = addresses.Where((a, i) => i < resolved.Count && !resolved[i]).ToArray();
                    string list = unresolved.Length > 0 ? string.Join(", ", unresolved) : "one or more recipients";
                    if (_action == OutlookAction.Send)
                    {
                        throw new G5MailErrorException(ErrorIds.InvalidAddress, ErrorKind.InvalidArgument,
                            $"Outlook does not recognise {list}, so the message was not sent. Check the address, or use -Display to fix it by hand.",
                            list);
                    }

                    _log.Warning($"Outlook does not recognise {list}; fix the address in the {(_action == OutlookAction.Display ? "open message" : "draft")} before sending.");
                }

                step = OutlookStep.Account;
                UseSender(item, message, cancellationToken);

                step = OutlookStep.Content;
                Call(step, () => item.SetSubject(message.Subject), cancellationToken);
                OutlookBody existing = Call(step, item.ReadBody, cancellationToken);
                (string text, bool html) = OutlookMessageBody.Merge(message.Body, message.IsHtml, existing);
                Call(step, () => item.SetBody(text, html), cancellationToken);

                step = OutlookStep.Attachment;
                // Position matters only for Rich Text items: after the text. Plain text and HTML items ignore it.
                int position = text.Length + 1;
                foreach (DocumentFile file in message.Attachments)
                {
                    Call(step, () => item.AddAttachment(file.FullPath, position, file.FileName), cancellationToken);
                }

                cancellationToken.ThrowIfCancellationRequested();
                switch (_action)
                {
                    case OutlookAction.Display:
                        step = OutlookStep.Display;
                        Call(step, item.Display, cancellationToken);
                        return new TransportReceipt(null) { DraftReason = DraftReasons.Displayed, MessageIdKnown = false };
                    case OutlookAction.SaveAsDraft:
                        step = OutlookStep.Save;
                        Call(step, item.Save, cancellationToken);
                        return new TransportReceipt(null) { DraftReason = DraftReasons.SavedToDrafts, MessageIdKnown = false };
                    default:
                        step = OutlookStep.Send;
                        Call(step, item.Send, cancellationToken);
                        // Outlook gives the message its own Internet Message-ID when it leaves; it is not reported back.
                        return new TransportReceipt(null, "Handed to Outlook") { MessageIdKnown = false };
                }
            }
            catch (Exception) when (step != OutlookStep.Send && step != OutlookStep.Display)
            {
                // Nothing half-made stays behind. After Send the item is gone; after Display the window is the user's.
                DiscardQuietly(item);
                throw;
            }
            finally
            {
                item.Dispose();
            }
        }

        private string[] AddRecipients(IOutlookMailItem item, OutgoingMessage message, CancellationToken cancellationToken)
        {
            var added = new List<string>();
            void Add(IReadOnlyList<string> list, OutlookRecipientType type)
            {
                // The bare address: Outlook resolves an SMTP address as a one-off recipient without an address-book lookup.
                foreach (string address in RecipientSet.ToMailboxes(list).Select(m => m.Address))
                {
                    Call(OutlookStep.Recipients, () => item.AddRecipient(address, type), cancellationToken);
                    added.Add(address);
                }
            }

            Add(message.To, OutlookRecipientType.To);
            Add(message.Cc, OutlookRecipientType.Cc);
            Add(message.Bcc, OutlookRecipientType.Bcc);
            return added.ToArray();
        }

        private void UseSender(IOutlookMailItem item, OutgoingMessage message, CancellationToken cancellationToken)
        {
            if (message.From.Length == 0)
            {
                return; // Outlook's default account.
            }

            string address = MailAddresses.ParseNormalized(message.From).Address;
            if (!Call(OutlookStep.Account, () => item.UseAccount(address), cancellationToken) && _warnedSenders.Add(address))
            {
                _log.Warning($"From {address} is not an account in this Outlook profile, so Outlook uses its default account. Add that "
                             + "account to Outlook, or clear From for Outlook (Set-G5MailSetting -Clear From).");
            }
        }

        private T Call<T>(OutlookStep step, Func<T> call, CancellationToken cancellationToken) => Retry(step, call, _busyDelays, _log, cancellationToken);

        private void Call(OutlookStep step, Action call, CancellationToken cancellationToken) =>
            Retry(step, () => { call(); return true; }, _busyDelays, _log, cancellationToken);

        /// <summary>
        /// One object-model call. A call Outlook turns away because it is busy (RPC_E_CALL_REJECTED: a dialog is open,
        /// or it is starting) was not carried out, so it is safe to repeat after a pause; every other failure is mapped
        /// to a G5MailErrorException at once.
        /// </summary>
        internal static T Retry<T>(OutlookStep step, Func<T> call, IReadOnlyList<TimeSpan> delays, IRunLog log, CancellationToken cancellationToken)
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    return call();
                }
                catch (Exception ex) when (OutlookErrors.IsComFailure(ex))
                {
                    if (OutlookErrors.IsBusy(ex) && attempt < delays.Count)
                    {
                        log.Verbose($"Outlook is busy ({OutlookErrors.Hex(ex.HResult)}); trying again in {delays[attempt].TotalSeconds:0.##} s.");
                        if (cancellationToken.WaitHandle.WaitOne(delays[attempt]))
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                        }

                        continue;
                    }

                    throw OutlookErrors.Map(ex, step, attempt + 1);
                }
            }
        }

        private void DiscardQuietly(IOutlookMailItem item)
        {
            try
            {
                item.Discard();
            }
            catch (Exception ex) when (OutlookErrors.IsComFailure(ex))
            {
                _log.Verbose($"The unsent Outlook item could not be discarded ({OutlookErrors.Hex(ex.HResult)}); Outlook drops it when it closes.");
            }
        }

        private static string Describe(OutlookAction action) => action switch
        {
            OutlookAction.Display => "opened for review (-Display)",
            OutlookAction.SaveAsDraft => "saved to Drafts (-SaveAsDraft)",
            _ => "sent",
        };

        public void Dispose()
        {
            _outlook?.Dispose();
            _outlook = null;
        }
    }
}
