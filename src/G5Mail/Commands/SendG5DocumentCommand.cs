using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using G5Mail.Core.Transports.Outlook;

namespace G5Mail.Commands
{
    /// <summary>
    /// <para type="synopsis">Sends Monitor G5 document printouts (PDF, XML) by e-mail with the effective settings.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Send, "G5Document", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
        DefaultParameterSetName = SendSet)]
    [OutputType(typeof(SendResult))]
    public sealed class SendG5DocumentCommand : G5MailCmdlet
    {
        // -Display, -SaveAsDraft and -DraftDirectory each say what happens instead of sending, so each has its own set.
        private const string SendSet = "Send";
        private const string DisplaySet = "Display";
        private const string SaveAsDraftSet = "SaveAsDraft";
        private const string DraftDirectorySet = "DraftDirectory";

        private readonly PipelineLog _log = new PipelineLog();
        private readonly Stopwatch _elapsed = new Stopwatch();
        private readonly ProgressRecord _progress = new ProgressRecord(1, "Send-G5Document", "Sending documents");
        private SendRun? _run;
        private SendJournal? _journal;
        private int _inputIndex;
        private string? _callSubject;
        private string? _callBody;

        /// <summary>The files of one document (e.g. 1001.pdf and 1001.xml).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "FullName", "LiteralPath")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();

        /// <summary>Recipients from the document header. Several may be separated by ';' or ',' (handy in CSV files).</summary>
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("Recipient", "Email", "EmailAddress")]
        [AllowNull, AllowEmptyCollection, AllowEmptyString]
        public string[]? To { get; set; }

        /// <summary>Copy recipients; several may be separated by ';' or ','. Documents with other Cc recipients travel in other messages.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyCollection, AllowEmptyString]
        public string[]? Cc { get; set; }

        /// <summary>Blind copy recipients; several may be separated by ';' or ','. The other recipients do not see them.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyCollection, AllowEmptyString]
        public string[]? Bcc { get; set; }

        /// <summary>Files with the same DocumentId and recipients form one document. Default: the file name without extension.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("OrderNumber", "InvoiceNumber", "DocumentNumber")]
        [AllowNull, AllowEmptyString]
        public string? DocumentId { get; set; }

        /// <summary>
        /// The subject. From the pipeline per document (a CSV column Subject wins over -Subject, which wins over the template
        /// file and the built-in text). May use {DocumentIds}, {DocumentType}, {Part}, {PartCount}, {From}, {Attachments}
        /// and any property of the input object, such as {CustomerName}.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Ämne")]
        [AllowNull, AllowEmptyString]
        public string? Subject { get; set; }

        /// <summary>
        /// The message text, with the same placeholders as -Subject. From the pipeline per document (a Body column wins over
        /// -Body). Default: the template file's text, or a short polite text in the document's language that lists the
        /// attached documents.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Meddelande")]
        [AllowNull, AllowEmptyString]
        public string? Body { get; set; }

        /// <summary>Send the body as HTML instead of plain text. From the pipeline per document: a BodyAsHtml column (True/False, 1/0, Ja/Nej).</summary>
        [Parameter]
        public SwitchParameter BodyAsHtml { get; set; }

        /// <summary>
        /// The document's type: Quote, Order, OrderConfirmation, PurchaseOrder, DeliveryNote, Invoice, Reminder or Other
        /// (default), also in Swedish (Offert, Order, Orderbekräftelse, Inköpsorder, Följesedel, Faktura, Påminnelse, Övrigt).
        /// It picks the built-in subject and text and whether CombineDocumentTypes lets the document share a message.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Type", "DocType", "Documenttyp", "Dokumenttyp", "Typ")]
        [AllowNull, AllowEmptyString]
        [ArgumentCompleter(typeof(SetG5MailSettingCommand.DocumentTypeCompleter))]
        public string? DocumentType { get; set; }

        /// <summary>The recipient's language (sv, en, or one the template file adds; sv-SE is sv). Default: the MessageLanguage setting.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("LanguageCode", "Språk", "Sprak", "Lang")]
        [AllowNull, AllowEmptyString]
        public string? Language { get; set; }

        /// <summary>The pipeline object itself, whose properties fill placeholders such as {CustomerName}. Not for typing.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)]
        [AllowNull]
        public PSObject? InputObject { get; set; }

        /// <summary>Overrides CombineDocuments for this call.</summary>
        [Parameter]
        public SwitchParameter Combine { get; set; }

        /// <summary>
        /// Overrides MaxAttachmentSizeMB for this call: with -Combine, the most attachment bytes one message of several
        /// documents may carry (1 MB = 1,048,576 bytes), 0.001 to 1,000,000. One document is never split.
        /// </summary>
        [Parameter]
        [ValidateRange(AttachmentSizeLimit.MinMegabytes, AttachmentSizeLimit.MaxMegabytes)]
        public double MaxAttachmentSizeMB { get; set; }

        /// <summary>Overrides From for this call: the sender, or the mailbox to send as.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? From { get; set; }

        /// <summary>Overrides Method for this call: Outlook, Exchange, Smtp or ExchangeOnline.</summary>
        [Parameter]
        public MailMethod Method { get; set; }

        /// <summary>Overrides the stored Credential for this call (the SMTP account, or the user's Exchange account).</summary>
        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>
        /// Append-only journal (JSON lines) of every message sent; a rerun with the same journal skips documents already
        /// sent. Not with drafts (-DraftDirectory, -Display, -SaveAsDraft); -WhatIf reads it but writes nothing.
        /// </summary>
        [Parameter(ParameterSetName = SendSet)]
        [ValidateNotNullOrEmpty]
        public string? JournalPath { get; set; }

        /// <summary>With -JournalPath: send documents the journal reports as Uncertain again instead of reporting them.</summary>
        [Parameter(ParameterSetName = SendSet)]
        public SwitchParameter Force { get; set; }

        /// <summary>Outlook only: open each message in an Outlook window for the user to review and send, instead of sending.</summary>
        [Parameter(ParameterSetName = DisplaySet)]
        public SwitchParameter Display { get; set; }

        /// <summary>Outlook only: save each message in Outlook's Drafts folder instead of sending.</summary>
        [Parameter(ParameterSetName = SaveAsDraftSet)]
        public SwitchParameter SaveAsDraft { get; set; }

        /// <summary>Any method, any platform: write each message as an .eml draft (X-Unsent: 1) into this folder instead of sending.</summary>
        [Parameter(ParameterSetName = DraftDirectorySet)]
        [ValidateNotNullOrEmpty]
        public string? DraftDirectory { get; set; }

        /// <summary>How often a message is sent again after a transient failure (4xx reply, throttling, a connection lost before the data went out).</summary>
        [Parameter]
        [ValidateRange(0, RetryPolicy.MaxRetryCount)]
        public int RetryCount { get; set; } = RetryPolicy.DefaultRetryCount;

        /// <summary>The backoff before the first retry, in seconds; it doubles per retry (at most 60 s) and is randomised below that.</summary>
        [Parameter]
        [ValidateRange(0.0, 3600.0)]
        public double RetryDelaySeconds { get; set; } = RetryPolicy.DefaultBaseDelay.TotalSeconds;

        /// <summary>
        /// How many messages are sent at once, each on a connection of its own (default 1: one connection, one message
        /// after another). Results still come out in input order. Outlook always sends one at a time.
        /// </summary>
        [Parameter(ParameterSetName = SendSet)]
        [ValidateRange(1, SendRunOptions.MaxThrottleLimit)]
        public int ThrottleLimit { get; set; } = 1;

        /// <summary>
        /// Seconds, 1 to 600, that connecting, the server's greeting, the TLS handshake and each reply may take, for every
        /// method; overrides the TimeoutSeconds setting (default 30) for this call.
        /// </summary>
        [Parameter]
        [ValidateRange(1, 600)]
        public int TimeoutSeconds { get; set; }

        protected override void OnBegin()
        {
            _elapsed.Start();
            bool drafts = DraftDirectory != null;
            // Drafts go to no server: the method's settings need not be complete (nor even a method set), and problems
            // such as an unreadable secret do not matter.
            SettingsView view = LoadEffectiveSettingsView(problemsAsVerbose: drafts);
            // A stored template file that no longer reads (deleted, edited into a mistake) stops the call, drafts too: the
            // customers would otherwise get the built-in texts instead of the configured ones.
            SettingsProblem? template = view.Problems.FirstOrDefault(p => p.Setting == "TemplatePath" && p.Severity == FindingSeverity.Error);
            if (template != null)
            {
                ThrowTerminating(template.ToException());
            }

            Overrides().ApplyTo(view.Settings);
            // Before the completeness check: "-Display with Smtp" is the mistake to report, not what Smtp lacks.
            SendRunOptions.CheckCombination(view.Settings.Method, RequestedOutlookAction, drafts);
            if (!drafts)
            {
                EnsureComplete(view);
            }

            // What the command line gave; from here on Subject and Body may also be bound per pipeline object.
            _callSubject = Subject;
            _callBody = Body;
            var options = new SendRunOptions(view.Settings)
            {
                Subject = Subject,
                Body = Body,
                BodyAsHtml = BodyAsHtml.IsPresent,
                WhatIf = IsWhatIf,
                OutlookAction = RequestedOutlookAction,
                DraftDirectory = drafts ? ResolveFileSystemPath(DraftDirectory!, nameof(DraftDirectory), ErrorIds.InvalidSetting, "folder") : null,
                Retry = new RetryPolicy(RetryCount, TimeSpan.FromSeconds(RetryDelaySeconds)),
                ThrottleLimit = ThrottleLimit,
            };
            if (options.ConnectionLimit < options.ThrottleLimit)
            {
                WriteWarning($"-ThrottleLimit {ThrottleLimit} is ignored: Outlook sends one message at a time (it is one program that takes one caller at a time).");
            }

            TemplateDataFile.Install();
            options.LoadTemplates();
            options.Journal = OpenJournal(options.WhatIf);
            options.ResendUncertain = Force.IsPresent;
            _run = new SendRun(options, TransportFactory.CreateFactory(view.Settings, _log, options.OutlookAction), _log);
        }

        protected override void OnProcess()
        {
            Dictionary<string, string?> properties = PropertiesOf(InputObject);
            var request = new DocumentRequest
            {
                DocumentType = DocumentType,
                Language = Language,
                // A value bound from this pipeline object (not the command line's) is the document's own.
                Subject = PerDocument(Subject, _callSubject, properties, nameof(Subject), "Ämne"),
                Body = PerDocument(Body, _callBody, properties, nameof(Body), "Meddelande"),
                BodyAsHtml = properties.TryGetValue(nameof(BodyAsHtml), out string? html) ? ParseFlag(html) : null,
                Properties = properties,
                Paths = Path.Select(ResolvePath).ToArray(),
                To = To ?? Array.Empty<string>(),
                Cc = Cc ?? Array.Empty<string>(),
                Bcc = Bcc ?? Array.Empty<string>(),
                DocumentId = string.IsNullOrWhiteSpace(DocumentId) ? null : DocumentId!.Trim(),
                InputIndex = _inputIndex++,
                Source = Path.Length > 0 ? Path[0] : null,
            };

            SendResult? rejected = _run!.Collect(request);
            if (rejected != null)
            {
                Write(rejected);
            }
        }

        protected override void OnEnd()
        {
            SendRun run = _run!;
            RunPlan plan = run.Plan();
            DeliverToEnd(token => run.Deliver(plan, new PipelineHost<SendResult>(ShouldProcess, Write, Idle), token), _log, _progress);

            _elapsed.Stop();
            if (!CancellationToken.IsCancellationRequested)
            {
                WriteSummary(run.Report(MyInvocation.MyCommand.Name, _elapsed.Elapsed));
            }
        }

        private void Idle(RunProgress progress)
        {
            _log.Flush(this);
            ShowProgress(_progress, progress,
                () => $"Message {Math.Min(progress.Done + 1, progress.Count)} of {progress.Count}, "
                      + $"{ErrorText.Megabytes(progress.DoneBytes)} of {ErrorText.Megabytes(progress.TotalBytes)} MB",
                () => progress.TotalBytes > 0 ? (int)(progress.DoneBytes * 100 / progress.TotalBytes) : progress.Done * 100 / progress.Count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _run?.Dispose();
                _run = null;
                _journal?.Dispose();
                _journal = null;
            }

            base.Dispose(disposing);
        }

        private SettingOverrides Overrides() => new SettingOverrides
        {
            Method = MyInvocation.BoundParameters.ContainsKey(nameof(Method)) ? Method : (MailMethod?)null,
            From = From,
            Credential = Credential?.GetNetworkCredential(),
            CombineDocuments = MyInvocation.BoundParameters.ContainsKey(nameof(Combine)) ? Combine.IsPresent : (bool?)null,
            MaxAttachmentSizeMB = MyInvocation.BoundParameters.ContainsKey(nameof(MaxAttachmentSizeMB)) ? MaxAttachmentSizeMB : (double?)null,
            TimeoutSeconds = MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSeconds)) ? TimeoutSeconds : (int?)null,
        };

        private OutlookAction RequestedOutlookAction => Display.IsPresent ? OutlookAction.Display : SaveAsDraft.IsPresent ? OutlookAction.SaveAsDraft : OutlookAction.Send;

        /// <summary>One result to the pipeline, and for a result with an error also its error record.</summary>
        private void Write(SendResult result) => WriteResult(result, result.Exception, _log);

        /// <summary>
        /// -JournalPath: opened for writing (and locked) for a real run, read only for -WhatIf. A journal that is locked
        /// by another run or cannot be opened stops the call before anything is sent.
        /// </summary>
        private SendJournal? OpenJournal(bool whatIf)
        {
            if (JournalPath == null)
            {
                if (Force.IsPresent)
                {
                    WriteWarning("-Force only matters with -JournalPath (it resends documents the journal reports as Uncertain); it is ignored.");
                }

                return null;
            }

            string path = ResolveFileSystemPath(JournalPath, nameof(JournalPath), ErrorIds.JournalAccessFailed, "file");
            try
            {
                _journal = whatIf ? SendJournal.OpenReadOnly(path, _log) : SendJournal.Open(path, _log);
            }
            finally
            {
                _log.Flush(this);
            }

            return _journal;
        }

        /// <summary>
        /// The document's own text: the input object's property of that name (or alias), which wins over the call's
        /// parameter; null when the object has none, so the call's parameter (or the template) applies.
        /// </summary>
        private static string? PerDocument(string? bound, string? fromCall, Dictionary<string, string?> properties, params string[] names)
        {
            foreach (string name in names)
            {
                if (properties.TryGetValue(name, out string? value) && !string.IsNullOrEmpty(value))
                {
                    return value;
                }
            }

            // Bound from a pipeline object that is not a property bag (rare): whatever differs from the call's value is its own.
            return bound != null && !string.Equals(bound, fromCall, StringComparison.Ordinal) ? bound : null;
        }

        /// <summary>True/False, 1/0, Ja/Nej, Yes/No as Excel and Monitor write them; null for empty or anything else.</summary>
        private static bool? ParseFlag(string? text)
        {
            switch ((text ?? string.Empty).Trim().ToLowerInvariant())
            {
                case "true": case "1": case "ja": case "yes": case "sant": case "$true": return true;
                case "false": case "0": case "nej": case "no": case "falskt": case "$false": return false;
                default: return null;
            }
        }

        /// <summary>
        /// The pipeline object's properties as text, for placeholders ({CustomerName}) and per-document columns; a
        /// hashtable's keys count as properties. Values are formatted in the current culture (a date reads as the user's
        /// Windows shows it); a list becomes "a, b". Empty for a plain string or file path.
        /// </summary>
        private static Dictionary<string, string?> PropertiesOf(PSObject? input)
        {
            var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (input == null || input.BaseObject is string)
            {
                return result;
            }

            if (input.BaseObject is System.Collections.IDictionary map)
            {
                foreach (System.Collections.DictionaryEntry entry in map)
                {
                    string? key = entry.Key?.ToString();
                    if (!string.IsNullOrEmpty(key))
                    {
                        result[key!] = Text(entry.Value);
                    }
                }

                return result;
            }

            foreach (PSPropertyInfo property in input.Properties)
            {
                try
                {
                    result[property.Name] = Text(property.Value);
                }
                catch (Exception ex) when (ex is GetValueException || ex is ExtendedTypeSystemException || ex is InvalidOperationException || ex is NotSupportedException)
                {
                    // A property whose getter throws (some FileInfo members on some platforms) has no value.
                }
            }

            return result;
        }

        private static string? Text(object? value)
        {
            if (value is PSObject wrapped)
            {
                value = wrapped.BaseObject;
            }

            switch (value)
            {
                case null:
                    return null;
                case string s:
                    return s;
                case IFormattable formattable:
                    return formattable.ToString(null, System.Globalization.CultureInfo.CurrentCulture);
                case System.Collections.IEnumerable list:
                    return string.Join(", ", list.Cast<object?>().Select(Text).Where(t => !string.IsNullOrEmpty(t)));
                default:
                    return value.ToString();
            }
        }

        private string ResolvePath(string path)
        {
            try
            {
                return GetUnresolvedProviderPathFromPSPath(path);
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is ProviderNotFoundException || ex is DriveNotFoundException || ex is NotSupportedException)
            {
                // The engine reports the missing file with the FileNotFound id and the path as given.
                return path;
            }
        }

    }
}
