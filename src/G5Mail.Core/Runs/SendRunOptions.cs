using System;
using System.Collections.Generic;
using System.Linq;
using G5Mail.Core.Messages;
using G5Mail.Core.Errors;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports.Outlook;

namespace G5Mail.Core.Runs
{
    /// <summary>What one Send-G5Document call asks for, after settings and per-call overrides are merged.</summary>
    public sealed class SendRunOptions
    {
        /// <summary>The most -ThrottleLimit may ask for: more connections than this stop paying off and look like abuse to a relay.</summary>
        public const int MaxThrottleLimit = 16;

        private int _throttleLimit = 1;

        public SendRunOptions(SettingValues effective)
        {
            Settings = effective;
        }

        /// <summary>Effective settings (System overlaid with User, defaults filled, per-call overrides applied).</summary>
        public SettingValues Settings { get; }

        public string? Subject { get; set; }
        public string? Body { get; set; }
        public bool BodyAsHtml { get; set; }

        /// <summary>
        /// -WhatIf (or $WhatIfPreference): nothing is sent, every message is reported with Status WhatIf. The one place
        /// this is decided is the cmdlet, which passes it here; the run reads it for results and the journal.
        /// </summary>
        public bool WhatIf { get; set; }

        /// <summary>
        /// -JournalPath: documents it says were sent are kept back (Skipped, AlreadySent), and every message sent is
        /// recorded in it. Opened (and disposed) by the caller; read-only for -WhatIf. Not used with drafts.
        /// </summary>
        public SendJournal? Journal { get; set; }

        /// <summary>-Force: send documents the journal calls Uncertain instead of reporting them as Uncertain again.</summary>
        public bool ResendUncertain { get; set; }

        public bool Combine => Settings.CombineDocuments ?? Defaults.CombineDocuments;

        /// <summary>CombineDocumentTypes: the types that may share a message when <see cref="Combine"/> is on; null for every type.</summary>
        public IReadOnlyCollection<DocumentType>? CombinableTypes => Settings.CombineDocumentTypes;

        /// <summary>MessageLanguage: the language of documents that name none.</summary>
        public string Language => Settings.MessageLanguage ?? Defaults.MessageLanguage;

        /// <summary>The TemplatePath file, read by <see cref="LoadTemplates"/>; none until then.</summary>
        public MessageTemplates Templates { get; set; } = MessageTemplates.None;

        /// <summary>
        /// Reads the TemplatePath file (InvalidSetting when it is missing or wrong) and checks that MessageLanguage has texts:
        /// built in (sv, en) or in the file. Done once, before the first document, so a bad file stops the call rather than
        /// every message.
        /// </summary>
        public void LoadTemplates()
        {
            Templates = string.IsNullOrWhiteSpace(Settings.TemplatePath) ? MessageTemplates.None : MessageTemplates.Load(Settings.TemplatePath!);
            if (!MessageTextResolver.IsKnownLanguage(Language, Templates))
            {
                throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                    $"MessageLanguage '{Language}' has no texts: the built-in languages are sv and en"
                    + (Templates == MessageTemplates.None ? "; set TemplatePath to a template file that adds it" : $", and the template file '{Templates.Path}' adds {string.Join(", ", Templates.Languages.DefaultIfEmpty("none"))}")
                    + ". Set another with Set-G5MailSetting -MessageLanguage sv.", "MessageLanguage");
            }
        }

        public long LimitBytes => AttachmentSizeLimit.ToBytes(Settings.MaxAttachmentSizeMB ?? Defaults.MaxAttachmentSizeMB);

        /// <summary>The method's name for results; empty when none is set (possible only with <see cref="DraftDirectory"/>).</summary>
        public string MethodName => Settings.Method?.ToString() ?? string.Empty;

        /// <summary>-Display / -SaveAsDraft: what Outlook does with each message. Only with Method Outlook.</summary>
        public OutlookAction OutlookAction { get; set; } = OutlookAction.Send;

        /// <summary>-DraftDirectory: write each message there as an .eml draft instead of sending; no transport is created.</summary>
        public string? DraftDirectory { get; set; }

        public bool WritesDrafts => DraftDirectory != null;

        /// <summary>
        /// Outlook sends from its own account and keeps its copy in Sent Items, and a draft is sent later from the user's
        /// own mail program: neither needs a sender here nor a copy to self.
        /// </summary>
        public bool ClientSide => WritesDrafts || Settings.Method == MailMethod.Outlook;

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
        public int ConnectionLimit => ClientSide ? 1 : _throttleLimit;

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

        /// <summary>
        /// Throws MethodNotSupported for options that cannot go together. Checked before the settings are known to be
        /// complete, so that "-Display with Smtp" is reported as such rather than as whatever the Smtp settings lack.
        /// </summary>
        public static void CheckCombination(MailMethod? method, OutlookAction outlookAction, bool writesDrafts)
        {
            if (outlookAction == OutlookAction.Send)
            {
                return;
            }

            string parameter = outlookAction == OutlookAction.Display ? "-Display" : "-SaveAsDraft";
            if (writesDrafts)
            {
                throw new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.InvalidArgument,
                    $"{parameter} and -DraftDirectory cannot be used together: {parameter} hands the message to Outlook, -DraftDirectory writes "
                    + "it to a file. Choose one.", parameter);
            }

            if (method != MailMethod.Outlook)
            {
                throw new G5MailErrorException(ErrorIds.MethodNotSupported, ErrorKind.InvalidArgument,
                    $"{parameter} works only with the Outlook method, and the method here is {method?.ToString() ?? "not set"}. Add -Method Outlook, or use "
                    + "-DraftDirectory <folder> to write Outlook-ready drafts with any method.", parameter);
            }
        }
    }
}
