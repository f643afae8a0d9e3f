using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;

namespace G5Mail.Core.Mailbox
{
    /// <summary>What one reading call does besides listing.</summary>
    public sealed class ReceiveOptions
    {
        public FolderPath Folder { get; set; } = FolderPath.Inbox;

        public MailQuery Query { get; set; } = new MailQuery();

        public bool MarkAsRead { get; set; }

        /// <summary>-MoveTo: created when missing (not under -WhatIf).</summary>
        public FolderPath? MoveTo { get; set; }

        public bool WhatIf { get; set; }

        /// <summary>Whether the call changes the mailbox (and so opens the folder read-write).</summary>
        public bool Changes => !WhatIf && (MarkAsRead || MoveTo != null);
    }

    /// <summary>What a reading run asks of its cmdlet, on the pipeline thread: IRunHost, plus one error per message.</summary>
    public interface IReceiveHost<in TResult> : IRunHost<TResult>
    {
        /// <summary>A message that failed alone (MessageUnreadable): an error record, and the run goes on.</summary>
        void WriteError(G5MailErrorException error);
    }

    /// <summary>
    /// One Receive-G5Mail or Get-G5DeliveryReport call, oldest message first:
    /// <list type="number">
    /// <item>open the folder (a failed login, an unreachable server or a missing folder is one error for the call);</item>
    /// <item>list the messages that match (a few round trips, whatever their number);</item>
    /// <item>per message: read its MIME into a temp file when the handler needs it, let the handler make the results (and
    /// save attachments), and only then mark it read and/or move it, so a crash never loses an attachment: a rerun finds the
    /// message where it was and writes the same files again;</item>
    /// <item>write the results.</item>
    /// </list>
    /// A message that cannot be read fails alone (MessageUnreadable, error record, left as it was); any other failure is the
    /// server's or the account's and ends the call: what was written stays written.
    /// </summary>
    public sealed class ReceiveRun<TResult>
    {
        private readonly ReceiveOptions _options;
        private readonly Func<IMailboxReader> _readerFactory;
        private readonly IMessageHandler<TResult> _handler;
        private readonly IRunLog _log;

        public ReceiveRun(ReceiveOptions options, Func<IMailboxReader> readerFactory, IMessageHandler<TResult> handler, IRunLog log)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _readerFactory = readerFactory ?? throw new ArgumentNullException(nameof(readerFactory));
            _handler = handler ?? throw new ArgumentNullException(nameof(handler));
            _log = log ?? throw new ArgumentNullException(nameof(log));
        }

        /// <summary>Counts of the last run.</summary>
        public ReceiveCounts Counts { get; } = new ReceiveCounts();

        /// <summary>Runs the call to its end on the calling (pipeline) thread; the network steps are awaited there.</summary>
        public void Run(IReceiveHost<TResult> host, CancellationToken cancellationToken)
        {
            if (host == null)
            {
                throw new ArgumentNullException(nameof(host));
            }

            using (IMailboxReader reader = _readerFactory())
            {
                string folder = Wait(reader.OpenFolderAsync(_options.Folder, _options.Changes, cancellationToken), cancellationToken);
                _log.Verbose($"Reading {folder} on {reader.Server}" + Describe(_options.Query) + ".");
                IReadOnlyList<MailSummary> messages = Wait(reader.ListAsync(_options.Query, cancellationToken), cancellationToken);
                _log.Verbose($"{messages.Count} message(s) in {folder} match.");
                Counts.Listed = messages.Count;

                var progress = new RunProgress(messages.Count, messages.Sum(m => m.Size));
                string? moveTarget = null;
                foreach (MailSummary summary in messages)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    host.Idle(progress);
                    if (_handler.Wants(summary))
                    {
                        moveTarget = Process(reader, summary, folder, moveTarget, host, cancellationToken);
                    }
                    else
                    {
                        Counts.Passed++;
                    }

                    progress.Done++;
                    progress.DoneBytes += summary.Size;
                }

                host.Idle(progress);
            }
        }

        private string? Process(IMailboxReader reader, MailSummary summary, string folder, string? moveTarget, IReceiveHost<TResult> host,
            CancellationToken cancellationToken)
        {
            string target = Target(summary);
            HandledMessage<TResult> handled;
            try
            {
                if (_handler.NeedsContent(summary))
                {
                    using (MimeSpool spool = Wait(MimeSpool.DownloadAsync(reader, summary, target, cancellationToken), cancellationToken))
                    {
                        Counts.Downloaded++;
                        Counts.DownloadedBytes += spool.Length;
                        handled = _handler.Handle(summary, spool.Message, folder);
                    }
                }
                else
                {
                    handled = _handler.Handle(summary, null, folder);
                }
            }
            catch (G5MailErrorException ex) when (ex.ErrorId == ErrorIds.MessageUnreadable && ex.Scope == FailureScope.Message)
            {
                Counts.Unreadable++;
                host.WriteError(ex);
                return moveTarget;
            }

            var actions = new List<string>();
            string now = folder;
            if (handled.Act)
            {
                try
                {
                    moveTarget = Act(reader, summary, moveTarget, actions, ref now, host, cancellationToken);
                }
                catch (G5MailErrorException ex) when (ex.ErrorId == ErrorIds.MessageUnreadable && ex.Scope == FailureScope.Message)
                {
                    // The message went away or changed under us (moved by a person, a conflict): it alone fails.
                    Counts.Unreadable++;
                    host.WriteError(ex);
                    return moveTarget;
                }
            }

            _handler.Acted(handled, actions, now);
            foreach (TResult result in handled.Results)
            {
                host.Write(result);
                Counts.Written++;
            }

            return moveTarget;
        }

        /// <summary>-MarkAsRead and -MoveTo for one message whose results are made (attachments saved): returns the move folder as the server names it.</summary>
        private string? Act(IMailboxReader reader, MailSummary summary, string? moveTarget, List<string> actions, ref string now, IReceiveHost<TResult> host,
            CancellationToken cancellationToken)
        {
            if (_options.MarkAsRead && !summary.IsRead)
            {
                if (_options.WhatIf)
                {
                    WhatIf(actions, host, summary, "Mark as read");
                }
                else if (host.ShouldProcess(Describe(summary), "Mark as read"))
                {
                    Wait(reader.MarkReadAsync(summary, cancellationToken), cancellationToken);
                    actions.Add(MessageActions.MarkedAsRead);
                    Counts.MarkedAsRead++;
                }
            }

            if (_options.MoveTo != null)
            {
                string destination = moveTarget ?? _options.MoveTo.Text;
                if (_options.WhatIf)
                {
                    WhatIf(actions, host, summary, $"Move to {destination}");
                }
                else if (host.ShouldProcess(Describe(summary), $"Move to {destination}"))
                {
                    if (moveTarget == null)
                    {
                        moveTarget = Wait(reader.EnsureFolderAsync(_options.MoveTo, cancellationToken), cancellationToken);
                        destination = moveTarget;
                    }

                    Wait(reader.MoveAsync(summary, _options.MoveTo, cancellationToken), cancellationToken);
                    actions.Add(MessageActions.Moved);
                    Counts.Moved++;
                    now = destination;
                }
            }

            return moveTarget;
        }

        /// <summary>-WhatIf: ShouldProcess writes "What if: ..." itself; the result says WhatIf once.</summary>
        private static void WhatIf(List<string> actions, IReceiveHost<TResult> host, MailSummary summary, string action)
        {
            host.ShouldProcess(Describe(summary), action);
            if (!actions.Contains(MessageActions.WhatIf))
            {
                actions.Add(MessageActions.WhatIf);
            }
        }

        /// <summary>Awaits a network step on the pipeline thread (PowerShell's Write* and ShouldProcess must stay on it).</summary>
        private static T Wait<T>(Task<T> task, CancellationToken cancellationToken)
        {
            Wait((Task)task, cancellationToken);
            return task.GetAwaiter().GetResult();
        }

        private static void Wait(Task task, CancellationToken cancellationToken)
        {
            try
            {
                task.Wait(cancellationToken);
            }
            catch (AggregateException)
            {
                // Rethrown below as the exception itself.
            }

            task.GetAwaiter().GetResult();
        }

        /// <summary>The message as a -WhatIf/-Confirm target and an error target: its Message-ID, else the server's id.</summary>
        public static string Target(MailSummary summary) =>
            !string.IsNullOrEmpty(summary.MessageId) ? "<" + summary.MessageId + ">" : summary.RemoteId;

        private static string Describe(MailSummary summary) =>
            string.Format(CultureInfo.InvariantCulture, "'{0}' from {1}, {2:yyyy-MM-dd HH:mm} ({3})",
                summary.Subject ?? string.Empty, summary.From ?? "(unknown sender)", summary.Received.ToLocalTime(), Target(summary));

        private static string Describe(MailQuery query)
        {
            var parts = new List<string>();
            if (query.Since != null)
            {
                parts.Add("since " + query.Since.Value.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture));
            }

            if (query.UnreadOnly)
            {
                parts.Add("unread only");
            }

            if (query.First != null)
            {
                parts.Add($"the first {query.First}");
            }

            if (query.DeliveryReportsOnly)
            {
                parts.Add("delivery reports");
            }

            return parts.Count == 0 ? string.Empty : " (" + string.Join(", ", parts) + ")";
        }
    }

    /// <summary>What a reading run did, for its summary and the benchmarks.</summary>
    public sealed class ReceiveCounts
    {
        public int Listed { get; internal set; }
        public int Passed { get; internal set; }
        public int Downloaded { get; internal set; }
        public long DownloadedBytes { get; internal set; }
        public int Unreadable { get; internal set; }
        public int MarkedAsRead { get; internal set; }
        public int Moved { get; internal set; }
        public int Written { get; internal set; }
    }
}
