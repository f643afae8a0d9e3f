using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security;
using G5Mail.Core.Settings;

namespace G5Mail.Commands
{
    /// <summary>
    /// <para type="synopsis">Changes G5Mail settings in the System or User scope.</para>
    /// <para type="description">Only the named settings change. Every value is validated before anything is written;
    /// the file is replaced atomically. Cross-field gaps (e.g. Method Smtp without a Server) are reported as warnings.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "G5MailSetting", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(MailSettings))]
    public sealed class SetG5MailSettingCommand : G5MailCmdlet
    {
        /// <summary><para type="description">The scope to change: User (default) or System.</para></summary>
        [Parameter]
        [ValidateSet("System", "User")]
        public SettingsScope Scope { get; set; } = SettingsScope.User;

        /// <summary><para type="description">How mail is sent: Outlook, Exchange, Smtp or ExchangeOnline.</para></summary>
        [Parameter]
        public MailMethod Method { get; set; }

        /// <summary><para type="description">IP address or DNS name of the server; for Exchange also a full https EWS URL.</para></summary>
        [Parameter]
        public string? Server { get; set; }

        /// <summary><para type="description">0 to 65535; 0 means the method's standard port.</para></summary>
        [Parameter]
        public int Port { get; set; }

        /// <summary><para type="description">Require an encrypted connection. Use -UseSsl:$false to turn it off.</para></summary>
        [Parameter]
        public SwitchParameter UseSsl { get; set; }

        /// <summary><para type="description">System scope: the SMTP account. User scope: the user's Exchange account.</para></summary>
        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary><para type="description">The sender, or the mailbox to send as.</para></summary>
        [Parameter]
        public string? From { get; set; }

        /// <summary><para type="description">The Entra ID app's Application (client) ID, a GUID.</para></summary>
        [Parameter]
        public string? ClientId { get; set; }

        /// <summary><para type="description">The Directory (tenant) ID, a GUID, or a verified domain of the tenant.</para></summary>
        [Parameter]
        public string? TenantId { get; set; }

        /// <summary><para type="description">Exchange Online sign-in: ClientSecret (app) or UsernamePassword (user, ROPC).</para></summary>
        [Parameter]
        public AuthenticationFlow AuthenticationFlow { get; set; }

        /// <summary><para type="description">The client secret's Value, as a SecureString.</para></summary>
        [Parameter]
        public SecureString? ClientSecret { get; set; }

        /// <summary><para type="description">When the client secret expires (as shown when it was created).</para></summary>
        [Parameter]
        public DateTime ClientSecretExpiresOn { get; set; }

        /// <summary><para type="description">Largest total attachment size of one multi-document message, in MB (1 MB = 1,048,576 bytes).</para></summary>
        [Parameter]
        public double MaxAttachmentSizeMB { get; set; }

        /// <summary><para type="description">Send several documents to the same recipients in one message.</para></summary>
        [Parameter]
        public SwitchParameter CombineDocuments { get; set; }

        /// <summary><para type="description">Copy to the sender: None, Cc or Bcc.</para></summary>
        [Parameter]
        public CopyToSelf SendCopyToSelf { get; set; }

        /// <summary><para type="description">Exchange Online transport: Graph or Smtp (XOAUTH2).</para></summary>
        [Parameter]
        public ExchangeOnlineProtocol ExchangeOnlineProtocol { get; set; }

        /// <summary><para type="description">Entra ID authority host, for sovereign clouds.</para></summary>
        [Parameter]
        public string? AuthorityHost { get; set; }

        /// <summary><para type="description">Microsoft Graph host, for sovereign clouds.</para></summary>
        [Parameter]
        public string? GraphEndpoint { get; set; }

        /// <summary><para type="description">Trust exactly this server certificate (SHA-1 or SHA-256 thumbprint).</para></summary>
        [Parameter]
        public string? CertificateThumbprint { get; set; }

        /// <summary><para type="description">Accept any server certificate (warns on every use).</para></summary>
        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        /// <summary><para type="description">Seconds, 1 to 600 (default 30), that connect, greeting, TLS handshake and each reply of the server may take, for every method.</para></summary>
        [Parameter]
        [ValidateRange(1, 600)]
        public int TimeoutSeconds { get; set; }

        /// <summary><para type="description">With CombineDocuments: the document types that may share a message (Quote, Order,
        /// OrderConfirmation, PurchaseOrder, DeliveryNote, Invoice, Reminder, Other; Swedish names too). Documents of other
        /// types always travel alone. Not set: every type. Monitor G5's "Skicka flera order i samma e-postmeddelande" is
        /// PurchaseOrder; "Skicka flera order/fakturor i samma e-postmeddelande" is Order, Invoice.</para></summary>
        [Parameter]
        [ArgumentCompleter(typeof(DocumentTypeCompleter))]
        public string[]? CombineDocumentTypes { get; set; }

        /// <summary><para type="description">Language of the subject and text of documents that name none: sv (default), en,
        /// or a language the template file adds.</para></summary>
        [Parameter]
        public string? MessageLanguage { get; set; }

        /// <summary><para type="description">A template file (.json or .psd1) with a Subject, Body and BodyAsHtml per
        /// language and document type; checked before it is stored.</para></summary>
        [Parameter]
        public string? TemplatePath { get; set; }

        /// <summary><para type="description">Method Smtp: the IMAP server Receive-G5Mail reads the mailbox from; not set = Server.</para></summary>
        [Parameter]
        public string? ImapServer { get; set; }

        /// <summary><para type="description">Method Smtp: the IMAP port, 0 to 65535; 0 (default) means 993 with TLS on connect when
        /// UseSsl is set, else 143 with STARTTLS (required unless the server is this computer).</para></summary>
        [Parameter]
        public int ImapPort { get; set; }

        /// <summary><para type="description">Settings to remove from this scope (a User value then falls back to System).</para></summary>
        [Parameter]
        [ValidateSet(
            "Method", "Server", "Port", "UseSsl", "Credential", "From", "ClientId", "TenantId", "AuthenticationFlow",
            "ClientSecret", "ClientSecretExpiresOn", "MaxAttachmentSizeMB", "CombineDocuments", "SendCopyToSelf",
            "ExchangeOnlineProtocol", "AuthorityHost", "GraphEndpoint", "CertificateThumbprint", "SkipCertificateCheck",
            "TimeoutSeconds", "CombineDocumentTypes", "MessageLanguage", "TemplatePath", "ImapServer", "ImapPort")]
        public string[]? Clear { get; set; }

        /// <summary><para type="description">Return the scope's settings after the change.</para></summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void OnProcess()
        {
            TemplateDataFile.Install();
            var service = new SettingsService();
            SettingsChangePlan plan;
            try
            {
                plan = service.Plan(Scope, BoundSettings(), Clear ?? Array.Empty<string>());
            }
            catch (G5MailErrorException ex)
            {
                ThrowTerminating(ex);
                return;
            }

            if (plan.IsEmpty)
            {
                WriteWarning("Nothing to change: give at least one setting (e.g. -Server mail.example.com) or -Clear <name>.");
            }
            else
            {
                WriteVerbose($"{Scope} settings '{plan.Path}': {plan.Description}.");
                if (plan.Values.Keys.Any(d => d.IsSecret))
                {
                    WriteDebug($"Secrets are stored encrypted ({SecretProtector.For(Scope, plan.Path).Scheme}); only their protected form is written.");
                }

                if (!ShouldProcess(plan.Path, $"{Scope} settings: {plan.Description}"))
                {
                    return;
                }

                try
                {
                    // Waits (up to 10 s) while another process is writing the same file, then applies on top of its change.
                    service.Apply(plan, CancellationToken);
                }
                catch (G5MailErrorException ex)
                {
                    ThrowTerminating(ex);
                    return;
                }
                catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
                {
                    // Ctrl+C while waiting for the lock: nothing was written; PowerShell reports the pipeline as stopped.
                    return;
                }

                foreach (Finding finding in plan.FindingsAfter)
                {
                    WriteFinding(finding);
                }
            }

            if (PassThru)
            {
                try
                {
                    WriteObject(MailSettings.FromView(service.Get(Scope)));
                }
                catch (G5MailErrorException ex)
                {
                    ThrowTerminating(ex);
                }
            }
        }

        private string ResolveTemplatePath(string path)
        {
            try
            {
                return GetUnresolvedProviderPathFromPSPath(path);
            }
            catch (Exception ex) when (ex is ItemNotFoundException || ex is ProviderNotFoundException || ex is DriveNotFoundException || ex is NotSupportedException)
            {
                return path;
            }
        }

        /// <summary>Tab completion of -CombineDocumentTypes with the type names.</summary>
        public sealed class DocumentTypeCompleter : IArgumentCompleter
        {
            public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
                System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
                Enum.GetNames(typeof(DocumentType))
                    .Where(n => n.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
                    .Select(n => new CompletionResult(n));
        }

        /// <summary>The settings named on the command line, as raw values for the engine to validate.</summary>
        private IEnumerable<KeyValuePair<string, object?>> BoundSettings()
        {
            var bound = MyInvocation.BoundParameters;
            foreach (SettingDefinition definition in SettingDefinitions.All)
            {
                if (!bound.TryGetValue(definition.Name, out object? value))
                {
                    continue;
                }

                switch (value)
                {
                    case SwitchParameter s:
                        value = s.IsPresent;
                        break;
                    case Enum e:
                        // The cmdlets' enums mirror the engine's by name; the engine parses names.
                        value = e.ToString();
                        break;
                    case string path when definition.Name == "TemplatePath":
                        // Relative to the PowerShell location, as every path parameter.
                        value = ResolveTemplatePath(path);
                        break;
                    case PSCredential c:
                        // PSCredential.Empty carries no user: the engine refuses it and points to -Clear.
                        value = string.IsNullOrEmpty(c.UserName) ? null : new NetworkCredential(c.UserName, c.Password);
                        break;
                }

                yield return new KeyValuePair<string, object?>(definition.Name, value);
            }
        }
    }
}
