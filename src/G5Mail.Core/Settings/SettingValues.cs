using System;
using System.Net;
using System.Security;

namespace G5Mail.Core.Settings
{
    /// <summary>
    /// The settings table of INTERFACE.md. In a scope file every value is optional (null = not set in this scope);
    /// the effective settings are System overlaid with User, then defaults (see <see cref="Defaults"/>).
    /// Secrets are held only as SecureString (inside NetworkCredential for passwords).
    /// </summary>
    public sealed class SettingValues
    {
        public MailMethod? Method { get; set; }
        public string? Server { get; set; }
        public int? Port { get; set; }
        public bool? UseSsl { get; set; }
        public NetworkCredential? Credential { get; set; }
        public string? From { get; set; }
        public Guid? ClientId { get; set; }
        public string? TenantId { get; set; }
        public AuthenticationFlow? AuthenticationFlow { get; set; }
        public SecureString? ClientSecret { get; set; }
        public DateTime? ClientSecretExpiresOn { get; set; }
        public double? MaxAttachmentSizeMB { get; set; }
        public bool? CombineDocuments { get; set; }
        public CopyToSelf? SendCopyToSelf { get; set; }
        public ExchangeOnlineProtocol? ExchangeOnlineProtocol { get; set; }
        public Uri? AuthorityHost { get; set; }
        public Uri? GraphEndpoint { get; set; }
        public string? CertificateThumbprint { get; set; }
        public bool? SkipCertificateCheck { get; set; }
        public int? TimeoutSeconds { get; set; }

        /// <summary>The document types that may share a message when CombineDocuments is on; null for every type.</summary>
        public DocumentType[]? CombineDocumentTypes { get; set; }

        /// <summary>The language of the built-in or template texts for documents that name none (sv, en, or one the template file adds).</summary>
        public string? MessageLanguage { get; set; }

        /// <summary>Full path of the template file (JSON or .psd1) with subjects and texts per language and document type.</summary>
        public string? TemplatePath { get; set; }

        /// <summary>The IMAP server that Receive-G5Mail reads with Method Smtp; not set = Server.</summary>
        public string? ImapServer { get; set; }

        /// <summary>0 = 993 (TLS on connect) with UseSsl, else 143 (STARTTLS, required unless the server is on loopback).</summary>
        public int? ImapPort { get; set; }

        /// <summary>Setting names, exactly as the contract spells them (parameter and property names).</summary>
        public static readonly string[] Names =
        {
            "Method", "Server", "Port", "UseSsl", "Credential", "From", "ClientId", "TenantId", "AuthenticationFlow",
            "ClientSecret", "ClientSecretExpiresOn", "MaxAttachmentSizeMB", "CombineDocuments", "SendCopyToSelf",
            "ExchangeOnlineProtocol", "AuthorityHost", "GraphEndpoint", "CertificateThumbprint", "SkipCertificateCheck",
            "TimeoutSeconds", "CombineDocumentTypes", "MessageLanguage", "TemplatePath", "ImapServer", "ImapPort",
        };
    }

    /// <summary>Defaults that apply when neither scope sets a value.</summary>
    public static class Defaults
    {
        public const int Port = 0;
        public const int ImapPort = 0;
        public const bool UseSsl = false;
        public const AuthenticationFlow Flow = AuthenticationFlow.ClientSecret;
        public const double MaxAttachmentSizeMB = 10;
        public const bool CombineDocuments = false;
        public const CopyToSelf SendCopyToSelf = CopyToSelf.None;
        public const ExchangeOnlineProtocol Protocol = ExchangeOnlineProtocol.Graph;
        public static readonly Uri AuthorityHost = new Uri("https://login.microsoftonline.com");
        public static readonly Uri GraphEndpoint = new Uri("https://graph.microsoft.com");
        public const bool SkipCertificateCheck = false;

        /// <summary>
        /// How long one network step may take (connect, greeting, TLS handshake, each command's reply, each HTTP request):
        /// long enough for a slow relay on a bad line, short enough that a dead one costs a scheduled run seconds, not hours.
        /// </summary>
        public const int TimeoutSeconds = 30;
        public const int MinTimeoutSeconds = 1;
        public const int MaxTimeoutSeconds = 600;
        public const long BytesPerMB = 1_048_576;

        /// <summary>Monitor G5's customers are mostly Swedish: texts are in Swedish unless a document or the setting says otherwise.</summary>
        public const string MessageLanguage = "sv";
    }
}
