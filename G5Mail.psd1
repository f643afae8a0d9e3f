@{
    # Paths under artifacts/G5Mail/ are where the build lays the module out; the build copies this manifest there
    # with those prefixes removed, so the same file serves `Import-Module ./G5Mail.psd1` and the copyable folder.
    RootModule           = 'artifacts/G5Mail/G5Mail.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core', 'Desktop')
    GUID                 = '6f0c5b8e-2a4d-4f7e-9a31-5c1d7e8b9f20'
    Author               = 'G5Mail'
    CompanyName          = 'G5Mail'
    Copyright            = '(c) G5Mail. MIT License.'
    Description          = 'Send Monitor G5 business documents (orders, purchase orders, invoices) by e-mail: SMTP, Exchange Online (OAuth 2.0), Exchange on-premises (EWS) and Outlook.'
    PowerShellVersion    = '5.1'
    FormatsToProcess     = @('artifacts/G5Mail/MailSettings.Format.ps1xml', 'artifacts/G5Mail/SendResult.Format.ps1xml', 'artifacts/G5Mail/ServerTestResult.Format.ps1xml', 'artifacts/G5Mail/SecretExpiry.Format.ps1xml')
    FunctionsToExport    = @()
    CmdletsToExport      = @('Set-G5MailSetting', 'Get-G5MailSetting', 'Send-G5Document', 'Test-G5MailServer', 'Get-G5SecretExpiry')
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Mail', 'SMTP', 'ExchangeOnline', 'Exchange', 'Outlook', 'MonitorG5', 'PDF', 'Invoice')
            ProjectUri   = 'https://github.com/g5mail/G5Mail'
            LicenseUri   = 'https://github.com/g5mail/G5Mail/blob/main/LICENSE'
            ReleaseNotes = 'Settings engine, SMTP sending with optimal splitting, server tests.'
        }
    }
}
