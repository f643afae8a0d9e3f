using System.Net;

namespace G5Mail.Core.Settings
{
    /// <summary>
    /// A call's parameters that override the effective settings for that call only (Send-G5Document -Method -From ...,
    /// Test-G5MailServer -Server -Port ...). Null leaves the setting as the files say.
    /// </summary>
    public sealed class SettingOverrides
    {
        public MailMethod? Method { get; set; }
        public string? Server { get; set; }
        public int? Port { get; set; }
        public bool? UseSsl { get; set; }
        public NetworkCredential? Credential { get; set; }
        public string? From { get; set; }
        public bool? CombineDocuments { get; set; }
        public double? MaxAttachmentSizeMB { get; set; }
        public int? TimeoutSeconds { get; set; }
        public string? ImapServer { get; set; }
        public int? ImapPort { get; set; }

        public void ApplyTo(SettingValues settings)
        {
            settings.Method = Method ?? settings.Method;
            settings.Server = Server ?? settings.Server;
            settings.Port = Port ?? settings.Port;
            settings.UseSsl = UseSsl ?? settings.UseSsl;
            settings.Credential = Credential ?? settings.Credential;
            settings.From = From ?? settings.From;
            settings.CombineDocuments = CombineDocuments ?? settings.CombineDocuments;
            settings.MaxAttachmentSizeMB = MaxAttachmentSizeMB ?? settings.MaxAttachmentSizeMB;
            settings.TimeoutSeconds = TimeoutSeconds ?? settings.TimeoutSeconds;
            settings.ImapServer = ImapServer ?? settings.ImapServer;
            settings.ImapPort = ImapPort ?? settings.ImapPort;
        }
    }
}
