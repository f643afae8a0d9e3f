# Get-G5MailSetting as a user types it: against the built module, in a fresh G5MAIL_CONFIG_DIR per test.
BeforeAll {
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    function New-Secure([string] $Text) { ConvertTo-SecureString -String $Text -AsPlainText -Force }
    $script:SettingNames = 'Method', 'Server', 'Port', 'UseSsl', 'Credential', 'From', 'ClientId', 'TenantId', 'AuthenticationFlow',
        'ClientSecret', 'ClientSecretExpiresOn', 'MaxAttachmentSizeMB', 'CombineDocuments', 'SendCopyToSelf', 'ExchangeOnlineProtocol',
        'AuthorityHost', 'GraphEndpoint', 'CertificateThumbprint', 'SkipCertificateCheck', 'TimeoutSeconds',
        'CombineDocumentTypes', 'MessageLanguage', 'TemplatePath', 'ImapServer', 'ImapPort'
}

Describe 'Get-G5MailSetting' {
    BeforeEach {
        $env:G5MAIL_CONFIG_DIR = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-pester-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $env:G5MAIL_CONFIG_DIR | Out-Null
        $script:SystemFile = Join-Path $env:G5MAIL_CONFIG_DIR 'system/settings.json'
        $script:UserFile = Join-Path $env:G5MAIL_CONFIG_DIR 'user/settings.json'
    }

    AfterEach {
        Remove-Item -Recurse -Force $env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
        Remove-Item Env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
    }

    It 'returns the effective settings by default, with the defaults of the contract' {
        $s = Get-G5MailSetting
        @($s).Count | Should -Be 1
        $s.PSObject.TypeNames[0] | Should -Be 'G5Mail.MailSettings'
        $s.Scope | Should -Be 'Effective'
        $s.Method | Should -BeNullOrEmpty
        $s.Port | Should -Be 0
        $s.UseSsl | Should -BeFalse
        "$($s.AuthenticationFlow)" | Should -Be 'ClientSecret'
        $s.MaxAttachmentSizeMB | Should -Be 10
        $s.CombineDocuments | Should -BeFalse
        $s.CombineDocumentTypes | Should -BeNullOrEmpty
        $s.MessageLanguage | Should -Be 'sv'
        $s.TemplatePath | Should -BeNullOrEmpty
        "$($s.SendCopyToSelf)" | Should -Be 'None'
        "$($s.ExchangeOnlineProtocol)" | Should -Be 'Graph'
        $s.AuthorityHost | Should -Be ([uri]'https://login.microsoftonline.com')
        $s.GraphEndpoint | Should -Be ([uri]'https://graph.microsoft.com')
        $s.SkipCertificateCheck | Should -BeFalse
        $s.HasPassword | Should -BeFalse
        $s.HasClientSecret | Should -BeFalse
        foreach ($name in $script:SettingNames) { "$($s.Source.$name)" | Should -Be 'Default' }
    }

    It 'has a property for every setting, Scope, Path, Source and Findings, and no ClientSecret value' {
        $names = (Get-G5MailSetting).PSObject.Properties.Name
        foreach ($name in $script:SettingNames | Where-Object { $_ -ne 'ClientSecret' }) { $names | Should -Contain $name }
        foreach ($name in 'Scope', 'Path', 'Source', 'Findings', 'HasPassword', 'HasClientSecret') { $names | Should -Contain $name }
        $names | Should -Not -Contain 'ClientSecret'
    }

    It 'maps every setting to its source for Effective' {
        Set-G5MailSetting -Scope System -Method Smtp -Server relay.example.com -Port 25 -WarningAction SilentlyContinue
        Set-G5MailSetting -Scope User -Port 587 -WarningAction SilentlyContinue
        $s = Get-G5MailSetting -Scope Effective
        @($s.Source.PSObject.Properties).Count | Should -Be $script:SettingNames.Count
        "$($s.Source.Method)" | Should -Be 'System'
        "$($s.Source.Port)" | Should -Be 'User'
        "$($s.Source.From)" | Should -Be 'Default'
        $s.Path | Should -Be $script:UserFile
        $s.SystemPath | Should -Be $script:SystemFile
    }

    It 'shows the IMAP endpoint Receive-G5Mail will use with Method Smtp' {
        Set-G5MailSetting -Scope System -Method Smtp -Server mail.example.com -WarningAction SilentlyContinue
        (Get-G5MailSetting).ImapEndpoint | Should -Be 'mail.example.com:143 (STARTTLS)'
        Set-G5MailSetting -Scope System -UseSsl -WarningAction SilentlyContinue
        (Get-G5MailSetting).ImapEndpoint | Should -Be 'mail.example.com:993 (TLS)'
        Set-G5MailSetting -Scope User -ImapServer imap.example.com -ImapPort 1993 -WarningAction SilentlyContinue
        $s = Get-G5MailSetting
        $s.ImapEndpoint | Should -Be 'imap.example.com:1993 (TLS)'
        "$($s.Source.ImapServer)" | Should -Be 'User'
        (Get-G5MailSetting -Scope User).ImapEndpoint | Should -BeNullOrEmpty -Because 'the endpoint is a property of the effective settings'
        { Set-G5MailSetting -Scope User -ImapServer 'imaps://imap.example.com' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SetG5MailSettingCommand'
        { Set-G5MailSetting -Scope User -ImapPort 70000 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SetG5MailSettingCommand'
        Set-G5MailSetting -Scope User -Clear ImapServer, ImapPort -WarningAction SilentlyContinue
        (Get-G5MailSetting).ImapEndpoint | Should -Be 'mail.example.com:993 (TLS)'
        Set-G5MailSetting -Scope System -Method ExchangeOnline -WarningAction SilentlyContinue
        (Get-G5MailSetting).ImapEndpoint | Should -BeNullOrEmpty
    }

    It 'shows a scope with its file and no Source map' {
        Set-G5MailSetting -Scope System -Port 25 -WarningAction SilentlyContinue
        $s = Get-G5MailSetting -Scope System
        $s.Scope | Should -Be 'System'
        $s.Path | Should -Be $script:SystemFile
        $s.Port | Should -Be 25
        $s.Source | Should -BeNullOrEmpty
        (Get-G5MailSetting User).Port | Should -BeNullOrEmpty
    }

    It 'reports cross-field findings' {
        Set-G5MailSetting -Scope System -Method Smtp -Port 25 -UseSsl -SkipCertificateCheck -WarningAction SilentlyContinue
        $f = (Get-G5MailSetting).Findings
        ($f | Where-Object Code -eq 'ServerMissing').Severity | Should -Be 'Error'
        ($f | Where-Object Code -eq 'Port25WithSsl').Message | Should -BeLike '*did you mean 587?*'
        ($f | Where-Object Code -eq 'SkipCertificateCheck').Severity | Should -Be 'Warning'
        foreach ($finding in $f) { $finding.PSObject.Properties.Name | Should -Be 'Severity', 'Code', 'Setting', 'Message' }
    }

    It 'shows the credential as user name and HasPassword only' {
        $cred = [pscredential]::new('DOMAIN\relay', (New-Secure 'Pw-Get-Test-77'))
        Set-G5MailSetting -Scope System -Credential $cred -WarningAction SilentlyContinue
        $s = Get-G5MailSetting
        $s.Credential | Should -Be 'DOMAIN\relay'
        $s.HasPassword | Should -BeTrue
        $s.Credential | Should -BeOfType [string]
    }

    It 'gives a non-terminating SecretUnreadable error naming the setting, and still returns the other settings' {
        Set-G5MailSetting -Scope User -ClientSecret (New-Secure 'Secret-For-Tamper-1') -Port 587 -Server mail.example.com -WarningAction SilentlyContinue
        $json = Get-Content -Raw $script:UserFile | ConvertFrom-Json
        $raw = [Convert]::FromBase64String($json.ClientSecret.protected)
        $raw[20] = $raw[20] -bxor 1
        $json.ClientSecret.protected = [Convert]::ToBase64String($raw)
        $json | ConvertTo-Json -Depth 5 | Set-Content -Path $script:UserFile

        $s = Get-G5MailSetting -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'SecretUnreadable,G5Mail.Commands.GetG5MailSettingCommand'
        $errs[0].Exception.Message | Should -BeLike '*ClientSecret*'
        $errs[0].TargetObject | Should -Be 'ClientSecret'
        $s | Should -Not -BeNullOrEmpty
        $s.Port | Should -Be 587
        $s.Server | Should -Be 'mail.example.com'
        $s.HasClientSecret | Should -BeFalse

        { Get-G5MailSetting -ErrorAction Stop } | Should -Throw -ErrorId 'SecretUnreadable,G5Mail.Commands.GetG5MailSettingCommand'
    }

    It 'stops with InvalidSetting naming the file and line when a file is not valid JSON' {
        New-Item -ItemType Directory -Path (Split-Path $script:SystemFile) -Force | Out-Null
        Set-Content -Path $script:SystemFile -Value "{`n  `"Port`": 25`n  `"Server`": `"x`"`n}"
        $err = $null
        try { Get-G5MailSetting -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidSetting,G5Mail.Commands.GetG5MailSettingCommand'
        $err.Exception.Message | Should -BeLike "*$($script:SystemFile)*line 3*"
    }

    It 'warns about an unknown name in a hand-edited file and loads the rest' {
        New-Item -ItemType Directory -Path (Split-Path $script:UserFile) -Force | Out-Null
        Set-Content -Path $script:UserFile -Value '{ "Port": 465, "Colour": "blue" }'
        $s = Get-G5MailSetting -WarningVariable w -WarningAction SilentlyContinue
        $s.Port | Should -Be 465
        ($w -join ' ') | Should -BeLike '*Colour*'
    }

    It 'shows a readable list by default and a table on request' {
        Set-G5MailSetting -Scope System -Method Smtp -Server relay.example.com -ClientSecret (New-Secure 'x-1') -WarningAction SilentlyContinue
        $list = Get-G5MailSetting | Out-String -Width 200
        $list | Should -BeLike '*Method*: Smtp*'
        $list | Should -BeLike '*HasClientSecret*: True*'
        $list | Should -BeLike '*Source*Method=System*'
        $table = Get-G5MailSetting | Format-Table | Out-String -Width 200
        $table | Should -BeLike '*Scope*Method*Server*Port*'
        $table | Should -BeLike '*relay.example.com*'
    }

    It 'declares its output type' {
        (Get-Command Get-G5MailSetting).OutputType.Name | Should -Contain 'G5Mail.MailSettings'
        $line = 'Get-G5MailSetting -Scope '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Sort-Object | Should -Be 'Effective', 'System', 'User'
    }

    It 'has help with a synopsis and at least two examples' {
        $help = Get-Help Get-G5MailSetting -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }
}
