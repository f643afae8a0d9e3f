using System;
using System.Linq;
using System.Management.Automation;
using G5Mail.Core.Settings;

namespace G5Mail
{
    /// <summary>
    /// What Get-G5MailSetting (and Set-G5MailSetting -PassThru) return: every setting of a scope or of the effective
    /// settings. Secrets never leave the engine: the credential shows only its user name and whether a password is
    /// stored, the client secret only whether one is stored.
    /// </summary>
    public sealed class MailSettings
    {
        /// <summary>System, User or Effective.</summary>
        public SettingsScope Scope { get; private set; }

        /// <summary>The scope's settings file; for Effective the User file (whose values win over the System file).</summary>
        public string Path { get; private set; } = string.Empty;

        public MailMethod? Method { get; private set; }
        public string? Server { get; private set; }
        public int? Port { get; private set; }
        public bool? UseSsl { get; private set; }

        /// <summary>The credential's user name only.</summary>
        public string? Credential { get; private set; }

        /// <summary>True when a password is stored with the credential.</summary>
        public bool HasPassword { get; private set; }

        public string? From { get; private set; }
        public Guid? ClientId { get; private set; }
        public string? TenantId { get; private set; }
        public AuthenticationFlow? AuthenticationFlow { get; private set; }

        /// <summary>True when a client secret is stored (its value is never shown).</summary>
        public bool HasClientSecret { get; private set; }

        public DateTime? ClientSecretExpiresOn { get; private set; }
        public double? MaxAttachmentSizeMB { get; private set; }
        public bool? CombineDocuments { get; private set; }
        public CopyToSelf? SendCopyToSelf { get; private set; }
        public ExchangeOnlineProtocol? ExchangeOnlineProtocol { get; private set; }
        public Uri? AuthorityHost { get; private set; }
        public Uri? GraphEndpoint { get; private set; }
        public string? CertificateThumbprint { get; private set; }
        public bool? SkipCertificateCheck { get; private set; }
        public int? TimeoutSeconds { get; private set; }

        /// <summary>The document types that may share a message when CombineDocuments is on; empty (not set) for every type.</summary>
        public DocumentType[]? CombineDocumentTypes { get; private set; }

        /// <summary>Language of the texts for documents that name none (sv unless set).</summary>
        public string? MessageLanguage { get; private set; }

        /// <summary>The template file (full path).</summary>
        public string? TemplatePath { get; private set; }

        /// <summary>Method Smtp: the IMAP server Receive-G5Mail reads (not set = Server).</summary>
        public string? ImapServer { get; private set; }

        /// <summary>Method Smtp: the IMAP port (0 = 993 with UseSsl, else 143).</summary>
        public int? ImapPort { get; private set; }

        /// <summary>
        /// Effective with Method Smtp (or none yet): where and how Receive-G5Mail will read the mailbox, e.g.
        /// "imap.example.com:993 (TLS)" or "imap.example.com:143 (STARTTLS)"; null when no server is set.
        /// </summary>
        public string? ImapEndpoint { get; private set; }

        /// <summary>Effective only: one property per setting saying where its value comes from (System, User or Default).</summary>
        public PSObject? Source { get; private set; }

        /// <summary>Cross-field findings of the effective settings.</summary>
        public Finding[] Findings { get; private set; } = Array.Empty<Finding>();

        public string SystemPath { get; private set; } = string.Empty;
        public string UserPath { get; private set; } = string.Empty;

        internal static MailSettings FromView(SettingsView view)
        {
            SettingValues s = view.Settings;
            var result = new MailSettings
            {
                Scope = view.Scope,
                Path = view.Path,
                SystemPath = view.SystemPath,
                UserPath = view.UserPath,
                Method = s.Method,
                Server = s.Server,
                Port = s.Port,
                UseSsl = s.UseSsl,
                Credential = s.Credential?.UserName,
                HasPassword = s.Credential != null && HasPasswordOf(s.Credential),
                From = s.From,
                ClientId = s.ClientId,
                TenantId = s.TenantId,
                AuthenticationFlow = s.AuthenticationFlow,
                HasClientSecret = s.ClientSecret != null && s.ClientSecret.Length > 0,
                ClientSecretExpiresOn = s.ClientSecretExpiresOn,
                MaxAttachmentSizeMB = s.MaxAttachmentSizeMB,
                CombineDocuments = s.CombineDocuments,
                SendCopyToSelf = s.SendCopyToSelf,
                ExchangeOnlineProtocol = s.ExchangeOnlineProtocol,
                AuthorityHost = s.AuthorityHost,
                GraphEndpoint = s.GraphEndpoint,
                CertificateThumbprint = s.CertificateThumbprint,
                SkipCertificateCheck = s.SkipCertificateCheck,
                TimeoutSeconds = s.TimeoutSeconds,
                CombineDocumentTypes = s.CombineDocumentTypes,
                MessageLanguage = s.MessageLanguage,
                TemplatePath = s.TemplatePath,
                ImapServer = s.ImapServer,
                ImapPort = s.ImapPort,
                ImapEndpoint = view.Scope == SettingsScope.Effective && (s.Method == null || s.Method == MailMethod.Smtp)
                    ? G5Mail.Core.Transports.Imap.ImapEndpoint.Describe(s) : null,
                Findings = view.Findings.ToArray(),
            };

            if (view.Scope == SettingsScope.Effective)
            {
                var source = new PSObject();
                foreach (SettingDefinition definition in SettingDefinitions.All)
                {
                    source.Properties.Add(new PSNoteProperty(definition.Name, view.Sources[definition.Name]));
                }

                result.Source = source;
            }

            return result;
        }

        private static bool HasPasswordOf(System.Net.NetworkCredential credential)
        {
            using (var password = credential.SecurePassword)
            {
                return password.Length > 0;
            }
        }
    }
}
