@{
    # Paths under artifacts/G5Mail/ are where the build lays the module out; the build copies this manifest there
    # with those prefixes removed, so the same file serves `Import-Module ./G5Mail.psd1` and the copyable folder.
    RootModule           = 'artifacts/G5Mail/G5Mail.dll'
    RequiredAssemblies   = @('artifacts/G5Mail/G5Mail.Loader.dll')
    ScriptsToProcess     = @('artifacts/G5Mail/G5Mail.Loader.ps1')
    # The one version source: every assembly takes its version from this line (Directory.Build.props reads it).
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core', 'Desktop')
    GUID                 = '6f0c5b8e-2a4d-4f7e-9a31-5c1d7e8b9f20'
    Author               = 'G5Mail'
    CompanyName          = 'G5Mail'
    Copyright            = '(c) G5Mail. MIT License.'
    Description          = 'Send Monitor G5 business documents (orders, purchase orders, invoices) by e-mail: SMTP, Exchange Online (OAuth 2.0), Exchange on-premises (EWS) and Outlook.'
    PowerShellVersion    = '5.1'
    FormatsToProcess     = @('artifacts/G5Mail/MailSettings.Format.ps1xml', 'artifacts/G5Mail/SendResult.Format.ps1xml', 'artifacts/G5Mail/SendSummary.Format.ps1xml', 'artifacts/G5Mail/ServerTestResult.Format.ps1xml', 'artifacts/G5Mail/SecretExpiry.Format.ps1xml', 'artifacts/G5Mail/ActivityResult.Format.ps1xml', 'artifacts/G5Mail/ActivitySummary.Format.ps1xml', 'artifacts/G5Mail/ReceivedMessage.Format.ps1xml', 'artifacts/G5Mail/DeliveryReport.Format.ps1xml')
    FunctionsToExport    = @()
    CmdletsToExport      = @('Set-G5MailSetting', 'Get-G5MailSetting', 'Send-G5Document', 'Test-G5MailServer', 'Get-G5SecretExpiry', 'Sync-G5Activity', 'Receive-G5Mail', 'Get-G5DeliveryReport')
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Mail', 'Email', 'SMTP', 'ExchangeOnline', 'Exchange', 'EWS', 'Graph', 'OAuth', 'Outlook', 'MonitorG5', 'ERP', 'PDF', 'Invoice')
            ProjectUri   = 'https://github.com/g5mail/G5Mail'
            LicenseUri   = 'https://github.com/g5mail/G5Mail/blob/main/LICENSE'
            # Say what changed in this ModuleVersion (a test checks that the notes name it).
            ReleaseNotes = @'
0.1.0 - first release.
- Set-G5MailSetting / Get-G5MailSetting: System and User settings, every value checked, secrets encrypted (DPAPI on
  Windows, AES-256 + HMAC elsewhere), where each effective value comes from, findings that say what to change.
- Send-G5Document: one message per document or combined per recipient and split optimally by size; SMTP, Exchange
  Online (OAuth 2.0 client secret or username/password, over Microsoft Graph or SMTP XOAUTH2), Exchange on-premises
  (EWS) and classic Outlook on Windows; -DraftDirectory writes Outlook-ready .eml drafts on every platform.
- Transient failures are retried with backoff (Retry-After honoured); a message that may have left is reported
  Uncertain instead of being sent twice; -JournalPath makes a scheduled batch safe to run again.
- A failing account or server costs a run once: one failed login per run (Reason NotAttempted for the rest), a dead or
  silent server given up after one message (Reason ServerUnavailable); TimeoutSeconds bounds every network step.
- Test-G5MailServer checks DNS, TCP, TLS and certificate, authentication and size limit without sending mail.
- Get-G5SecretExpiry warns before the Exchange Online app's client secret expires.
- Sync-G5Activity puts Monitor G5 activities into calendars: iCalendar invitations by SMTP (iMIP: REQUEST and CANCEL,
  one UID per activity, a SEQUENCE that only grows, VTIMEZONE and VALARM), or one .ics file per activity
  (-IcsDirectory); -StatePath makes a nightly sync change only what changed.
- Works next to Az, Microsoft.Graph and ExchangeOnlineManagement: MailKit, MimeKit and MSAL load from lib/ in a
  private AssemblyLoadContext on PowerShell 7 (an AssemblyResolve handler on Windows PowerShell 5.1), together with
  G5Mail's engine; every public type exists once.
- Receive-G5Mail reads a mailbox folder with the same settings (IMAP for Smtp, Microsoft Graph, EWS, Outlook), oldest
  first: attachments saved under safe names (temp file + rename, a rerun makes no copies, winmail.dat unpacked, streamed
  to disk), then marked read or moved; a broken message fails alone (MessageUnreadable).
- Get-G5DeliveryReport reads delivery status notifications (RFC 3464, RFC 6533, Exchange NDRs) and ties each bounced
  recipient to the documents of the send journal (-JournalPath), with a Reason a script can branch on.
- Help for every cmdlet and about_G5Mail; format views for every output type.
'@
        }
    }
}
