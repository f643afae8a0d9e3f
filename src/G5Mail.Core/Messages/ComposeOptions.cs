using System;

namespace G5Mail.Core.Messages
{
    /// <summary>What every message of one Send-G5Document call shares.</summary>
    public sealed class ComposeOptions
    {
        /// <summary>The sender, "a@b.se" or "Name &lt;a@b.se&gt;" (the From setting or -From).</summary>
        public string From { get; set; } = string.Empty;

        /// <summary>
        /// True when the message may have no sender: Outlook sends from its own account, and an unsent draft gets
        /// its sender when the user sends it. An empty <see cref="From"/> then means "no From header".
        /// </summary>
        public bool SenderOptional { get; set; }

        /// <summary>SendCopyToSelf: the sender is added as Cc or Bcc (unless already a recipient).</summary>
        public CopyToSelf CopyToSelf { get; set; } = CopyToSelf.None;

        /// <summary>-Subject, with placeholders (see <see cref="Placeholders"/>); null for the template or built-in text.</summary>
        public string? SubjectTemplate { get; set; }

        /// <summary>-Body; null for the template or the built-in short text that lists the attached documents.</summary>
        public string? Body { get; set; }

        public bool BodyAsHtml { get; set; }

        /// <summary>The MessageLanguage setting: the language of documents that name none (default sv).</summary>
        public string Language { get; set; } = "sv";

        /// <summary>The TemplatePath setting's file, read once per call.</summary>
        public MessageTemplates Templates { get; set; } = MessageTemplates.None;

        /// <summary>The Date header; null for the time of composing. (Set in tests for repeatable output.)</summary>
        public DateTimeOffset? Date { get; set; }
    }
}
