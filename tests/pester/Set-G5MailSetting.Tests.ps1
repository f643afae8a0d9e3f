# Set-G5MailSetting as a user types it: against the built module, in a fresh G5MAIL_CONFIG_DIR per test.
BeforeAll {
    Import-Module $env:G5MAIL_MODULE_PATH -Force

    $script:SecretText = 'Q~8xY.u7-PesterClientSecret_0042'
    $script:TemplateFile = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-texts-" + [guid]::NewGuid().ToString('N') + '.json')
    Set-Content -Path $script:TemplateFile -Encoding utf8 -Value '{ "nb": { "Invoice": { "Subject": "Faktura {DocumentIds}" } } }'
    $script:PasswordText = 'P@ss-Pester-Relay-0815!'

    function New-Secure([string] $Text) { ConvertTo-SecureString -String $Text -AsPlainText -Force }

    # Every form in which a secret must never show up: plain, base64 of UTF-8 and UTF-16, hex.
    function Get-SecretForm([string] $Text) {
        $utf8 = [Text.Encoding]::UTF8.GetBytes($Text)
        $Text
        [Convert]::ToBase64String($utf8)
        [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Text))
        [Convert]::ToHexString($utf8)
    }

    function Assert-NoSecret([string] $Text, [string] $Where) {
        foreach ($secret in $script:SecretText, $script:PasswordText) {
            foreach ($form in Get-SecretForm $secret) {
                $Text.Contains($form, [StringComparison]::OrdinalIgnoreCase) | Should -BeFalse -Because "no secret may appear in $Where"
            }
        }
    }

    function Get-FileHashOrNone([string] $Path) {
        if (Test-Path $Path) { (Get-FileHash -Path $Path -Algorithm SHA256).Hash } else { 'none' }
    }

    # A value for every setting, different from its default, per scope.
    function Get-EverySetting([string] $Tag) {
        @{
            Method                 = 'ExchangeOnline'
            Server                 = "mail$Tag.example.com"
            Port                   = 2525
            UseSsl                 = $true
            Credential             = [pscredential]::new("user$Tag@example.com", (New-Secure ($script:PasswordText + $Tag)))
            From                   = "Sales $Tag <sales$Tag@example.com>"
            ClientId               = "6f0c5b8e-2a4d-4f7e-9a31-5c1d7e8b9f2$Tag"
            TenantId               = "contoso$Tag.onmicrosoft.com"
            AuthenticationFlow     = 'UsernamePassword'
            ClientSecret           = New-Secure ($script:SecretText + $Tag)
            ClientSecretExpiresOn  = [datetime]::new(2027, 3, 31, 10, 30, 0, [DateTimeKind]::Utc)
            MaxAttachmentSizeMB    = 2.5
            CombineDocuments       = $true
            SendCopyToSelf         = 'Bcc'
            ExchangeOnlineProtocol = 'Smtp'
            AuthorityHost          = 'https://login.microsoftonline.us'
            GraphEndpoint          = 'https://graph.microsoft.us'
            CertificateThumbprint  = 'a9 09 50 2d d8 2a e4 14 33 e6 f8 38 86 b0 0d 42 77 a3 2a 7b'
            SkipCertificateCheck   = $true
            CombineDocumentTypes   = 'Inköpsorder', 'invoice'
            MessageLanguage        = 'NB'
            TemplatePath           = $script:TemplateFile
        }
    }
}

Describe 'Set-G5MailSetting' {
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

    Context 'Round trip' {
        It 'sets and gets every setting in the <Scope> scope' -TestCases @(
            @{ Scope = 'System'; Tag = '1'; Other = 'User' }
            @{ Scope = 'User'; Tag = '2'; Other = 'System' }
        ) {
            $values = Get-EverySetting $Tag
            Set-G5MailSetting -Scope $Scope @values -WarningAction SilentlyContinue

            $s = Get-G5MailSetting -Scope $Scope
            $s.PSObject.TypeNames[0] | Should -Be 'G5Mail.MailSettings'
            $s.Scope | Should -Be $Scope
            $s.Path | Should -Be (Join-Path $env:G5MAIL_CONFIG_DIR "$($Scope.ToLower())/settings.json")
            Test-Path $s.Path | Should -BeTrue
            "$($s.Method)" | Should -Be 'ExchangeOnline'
            $s.Server | Should -Be "mail$Tag.example.com"
            $s.Port | Should -Be 2525
            $s.UseSsl | Should -BeTrue
            $s.Credential | Should -Be "user$Tag@example.com"
            $s.HasPassword | Should -BeTrue
            $s.From | Should -Be "Sales $Tag <sales$Tag@example.com>"
            $s.ClientId | Should -Be ([guid]"6f0c5b8e-2a4d-4f7e-9a31-5c1d7e8b9f2$Tag")
            $s.TenantId | Should -Be "contoso$Tag.onmicrosoft.com"
            "$($s.AuthenticationFlow)" | Should -Be 'UsernamePassword'
            $s.HasClientSecret | Should -BeTrue
            $s.ClientSecretExpiresOn | Should -Be ([datetime]::new(2027, 3, 31, 10, 30, 0, [DateTimeKind]::Utc))
            $s.MaxAttachmentSizeMB | Should -Be 2.5
            $s.CombineDocuments | Should -BeTrue
            "$($s.SendCopyToSelf)" | Should -Be 'Bcc'
            "$($s.ExchangeOnlineProtocol)" | Should -Be 'Smtp'
            $s.AuthorityHost | Should -Be ([uri]'https://login.microsoftonline.us/')
            $s.GraphEndpoint | Should -Be ([uri]'https://graph.microsoft.us/')
            $s.CertificateThumbprint | Should -Be 'A909502DD82AE41433E6F83886B00D4277A32A7B'
            $s.SkipCertificateCheck | Should -BeTrue
            $s.CombineDocumentTypes | Should -Be ([G5Mail.DocumentType]::PurchaseOrder), ([G5Mail.DocumentType]::Invoice)
            $s.MessageLanguage | Should -Be 'nb'
            $s.TemplatePath | Should -Be $script:TemplateFile
            (Get-Content $s.Path -Raw | ConvertFrom-Json).CombineDocumentTypes | Should -Be 'PurchaseOrder', 'Invoice'

            # The other scope holds nothing.
            $o = Get-G5MailSetting -Scope $Other
            $o.Method | Should -BeNullOrEmpty
            $o.HasClientSecret | Should -BeFalse
            Test-Path $o.Path | Should -BeFalse
        }

        It 'turns a switch setting off with -UseSsl:$false' {
            Set-G5MailSetting -UseSsl -CombineDocuments -WarningAction SilentlyContinue
            Set-G5MailSetting -UseSsl:$false -WarningAction SilentlyContinue
            $s = Get-G5MailSetting -Scope User
            $s.UseSsl | Should -BeFalse
            $s.CombineDocuments | Should -BeTrue
        }

        It 'changes only the named settings' {
            Set-G5MailSetting -Server a.example.com -Port 25 -WarningAction SilentlyContinue
            Set-G5MailSetting -Port 587 -WarningAction SilentlyContinue
            (Get-G5MailSetting -Scope User).Server | Should -Be 'a.example.com'
        }

        It 'writes to the User scope by default' {
            Set-G5MailSetting -Port 465 -WarningAction SilentlyContinue
            Test-Path $script:UserFile | Should -BeTrue
            Test-Path $script:SystemFile | Should -BeFalse
        }

        It 'returns the scope with -PassThru and nothing without it' {
            Set-G5MailSetting -Port 587 -WarningAction SilentlyContinue | Should -BeNullOrEmpty
            $r = Set-G5MailSetting -Scope System -Server relay.example.com -PassThru -WarningAction SilentlyContinue
            $r.PSObject.TypeNames[0] | Should -Be 'G5Mail.MailSettings'
            $r.Scope | Should -Be 'System'
            $r.Server | Should -Be 'relay.example.com'
        }
    }

    Context 'Scopes' {
        It 'lets User override System, and -Clear fall back to System' {
            Set-G5MailSetting -Scope System -Method Smtp -Server relay.example.com -Port 25 -From erp@example.com -WarningAction SilentlyContinue
            Set-G5MailSetting -Scope User -Port 587 -UseSsl -From anna@example.com -WarningAction SilentlyContinue

            $e = Get-G5MailSetting
            $e.Port | Should -Be 587
            $e.From | Should -Be 'anna@example.com'
            $e.Server | Should -Be 'relay.example.com'
            "$($e.Source.Port)" | Should -Be 'User'
            "$($e.Source.Server)" | Should -Be 'System'

            Set-G5MailSetting -Scope User -Clear Port, From -WarningAction SilentlyContinue
            $e = Get-G5MailSetting
            $e.Port | Should -Be 25
            $e.From | Should -Be 'erp@example.com'
            "$($e.Source.Port)" | Should -Be 'System'
            (Get-G5MailSetting -Scope User).UseSsl | Should -BeTrue
            (Get-G5MailSetting -Scope System).Port | Should -Be 25

            Set-G5MailSetting -Scope System -Clear Port -WarningAction SilentlyContinue
            $e = Get-G5MailSetting
            $e.Port | Should -Be 0
            "$($e.Source.Port)" | Should -Be 'Default'
        }

        It 'clears a secret' {
            Set-G5MailSetting -ClientSecret (New-Secure $script:SecretText) -WarningAction SilentlyContinue
            (Get-G5MailSetting -Scope User).HasClientSecret | Should -BeTrue
            Set-G5MailSetting -Clear ClientSecret -WarningAction SilentlyContinue
            (Get-G5MailSetting -Scope User).HasClientSecret | Should -BeFalse
        }

        It 'refuses -Scope Effective' {
            { Set-G5MailSetting -Scope Effective -Port 25 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,G5Mail.Commands.SetG5MailSettingCommand'
        }

        It 'refuses an unknown name in -Clear' {
            { Set-G5MailSetting -Clear Colour } | Should -Throw -ErrorId 'ParameterArgumentValidationError,G5Mail.Commands.SetG5MailSettingCommand'
        }
    }

    Context 'Validation' {
        It 'refuses <Name> <Shown> with InvalidSetting and leaves the file as it was' -TestCases @(
            @{ Name = 'Port'; Value = 70000; Shown = '70000' }
            @{ Name = 'ClientId'; Value = 'abc'; Shown = 'abc' }
            @{ Name = 'From'; Value = 'not-an-address'; Shown = 'not-an-address' }
            @{ Name = 'MaxAttachmentSizeMB'; Value = 0; Shown = '0' }
            @{ Name = 'AuthorityHost'; Value = 'http://login.microsoftonline.com'; Shown = 'http://login.microsoftonline.com' }
            @{ Name = 'GraphEndpoint'; Value = 'http://graph.microsoft.com'; Shown = 'http://graph.microsoft.com' }
            @{ Name = 'TenantId'; Value = 'contoso'; Shown = 'contoso' }
            @{ Name = 'CertificateThumbprint'; Value = 'ABC'; Shown = 'ABC' }
            @{ Name = 'Server'; Value = 'mail example.com'; Shown = 'mail example.com' }
        ) {
            Set-G5MailSetting -Scope User -Server good.example.com -Port 25 -WarningAction SilentlyContinue
            Set-G5MailSetting -Scope System -Server relay.example.com -WarningAction SilentlyContinue
            $userHash = Get-FileHashOrNone $script:UserFile
            $systemHash = Get-FileHashOrNone $script:SystemFile

            $splat = @{ $Name = $Value }
            $err = $null
            try { Set-G5MailSetting @splat -Method Smtp -ErrorAction Stop } catch { $err = $_ }

            $err | Should -Not -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -Be 'InvalidSetting,G5Mail.Commands.SetG5MailSettingCommand'
            "$($err.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -BeLike "*$Name*"
            $err.Exception.Message | Should -BeLike "*$Shown*"
            Get-FileHashOrNone $script:UserFile | Should -Be $userHash
            Get-FileHashOrNone $script:SystemFile | Should -Be $systemHash
            (Get-G5MailSetting -Scope User).Method | Should -BeNullOrEmpty -Because 'the valid -Method in the same call is not written either'
        }

        It 'refuses a bad value on a first write and creates no file' {
            { Set-G5MailSetting -Scope System -Port 70000 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SetG5MailSettingCommand'
            Test-Path $script:SystemFile | Should -BeFalse
        }

        It 'refuses a corrupt settings file without overwriting it' {
            New-Item -ItemType Directory -Path (Split-Path $script:UserFile) -Force | Out-Null
            Set-Content -Path $script:UserFile -Value "{ `"Port`": 25,, }"
            $hash = Get-FileHashOrNone $script:UserFile
            $err = $null
            try { Set-G5MailSetting -Port 587 -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'InvalidSetting,G5Mail.Commands.SetG5MailSettingCommand'
            $err.Exception.Message | Should -BeLike "*$($script:UserFile)*line 1*"
            Get-FileHashOrNone $script:UserFile | Should -Be $hash
        }
    }

    Context 'WhatIf and warnings' {
        It '-WhatIf writes nothing' {
            Set-G5MailSetting -WhatIf -Scope System -Method Smtp -Server relay.example.com -ClientSecret (New-Secure $script:SecretText)
            Test-Path $script:SystemFile | Should -BeFalse
            Test-Path (Join-Path $env:G5MAIL_CONFIG_DIR 'system/settings.key') | Should -BeFalse

            Set-G5MailSetting -Scope System -Port 25 -WarningAction SilentlyContinue
            $hash = Get-FileHashOrNone $script:SystemFile
            Set-G5MailSetting -WhatIf -Scope System -Port 587 -Clear Server
            Get-FileHashOrNone $script:SystemFile | Should -Be $hash
        }

        It 'writes cross-field findings as warnings, not errors' {
            $warnings = @()
            Set-G5MailSetting -Scope System -Method Smtp -Port 25 -UseSsl -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable errors
            $errors | Should -BeNullOrEmpty
            Test-Path $script:SystemFile | Should -BeTrue
            ($warnings -join "`n") | Should -BeLike '*ServerMissing*'
            ($warnings -join "`n") | Should -BeLike '*did you mean 587?*'
        }

        It 'warns when nothing is given and writes nothing' {
            $warnings = @()
            Set-G5MailSetting -WarningVariable warnings -WarningAction SilentlyContinue
            $warnings.Count | Should -Be 1
            Test-Path $script:UserFile | Should -BeFalse
        }
    }

    Context 'Secrets never shown' {
        It 'shows no secret in Format-List *, verbose, debug, warning or error output' {
            $cred = [pscredential]::new('relay@example.com', (New-Secure $script:PasswordText))
            # -Debug on a compiled cmdlet asks "Continue?" after each debug line, which a non-interactive test host cannot
            # answer; the preference variables turn on exactly the same verbose and debug output without asking.
            $records = & {
                $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'
                Set-G5MailSetting -Scope System -Method ExchangeOnline -Credential $cred -ClientSecret (New-Secure $script:SecretText) -PassThru *>&1
            }
            @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -BeGreaterThan 0
            @($records | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Count | Should -BeGreaterThan 0
            @($records | Where-Object { $_ -is [System.Management.Automation.WarningRecord] }).Count | Should -BeGreaterThan 0
            Assert-NoSecret (($records | Out-String -Width 4096) + ($records | ForEach-Object { "$_" })) 'Set-G5MailSetting output streams'

            $records = & { $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; Get-G5MailSetting *>&1 }
            @($records | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Count | Should -BeGreaterThan 0
            Assert-NoSecret (($records | Out-String -Width 4096) + ($records | ForEach-Object { "$_" })) 'Get-G5MailSetting output streams'

            foreach ($scope in 'System', 'User', 'Effective') {
                Assert-NoSecret (Get-G5MailSetting -Scope $scope | Format-List * | Out-String -Width 4096) "Format-List * of $scope"
                Assert-NoSecret (Get-G5MailSetting -Scope $scope | Out-String -Width 4096) "the default view of $scope"
                Assert-NoSecret (Get-G5MailSetting -Scope $scope | ConvertTo-Json -Depth 5) "ConvertTo-Json of $scope"
            }

            # An error in the same call as a secret.
            $err = $null
            try { Set-G5MailSetting -ClientSecret (New-Secure $script:SecretText) -Credential $cred -Port 70000 -ErrorAction Stop } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            Assert-NoSecret ($err | Format-List * -Force | Out-String -Width 4096) 'the error record'
            Assert-NoSecret ($err.Exception | Format-List * -Force | Out-String -Width 4096) 'the exception'

            # And in the file itself.
            $file = Get-Content -Raw $script:SystemFile
            Assert-NoSecret $file 'the settings file'
            $file | Should -BeLike '*relay@example.com*'
        }

        It 'takes the credential as a PSCredential and the client secret only as a SecureString' {
            $cmd = Get-Command Set-G5MailSetting
            $cmd.Parameters['Credential'].ParameterType | Should -Be ([pscredential])
            $cmd.Parameters['Credential'].Attributes.TypeId.Name | Should -Contain 'CredentialAttribute'
            $cmd.Parameters['ClientSecret'].ParameterType | Should -Be ([securestring])
            { Set-G5MailSetting -ClientSecret 'plain text' -ErrorAction Stop } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,G5Mail.Commands.SetG5MailSettingCommand'
            Test-Path $script:UserFile | Should -BeFalse
        }
    }

    Context 'Command shape' {
        It 'supports -WhatIf and -Confirm, declares its output type and has every setting as a parameter' {
            $cmd = Get-Command Set-G5MailSetting
            $cmd.Parameters.Keys | Should -Contain 'WhatIf'
            $cmd.Parameters.Keys | Should -Contain 'Confirm'
            $cmd.Parameters.Keys | Should -Contain 'PassThru'
            $cmd.OutputType.Name | Should -Contain 'G5Mail.MailSettings'
            foreach ($name in 'Scope', 'Method', 'Server', 'Port', 'UseSsl', 'Credential', 'From', 'ClientId', 'TenantId', 'AuthenticationFlow',
                'ClientSecret', 'ClientSecretExpiresOn', 'MaxAttachmentSizeMB', 'CombineDocuments', 'SendCopyToSelf', 'ExchangeOnlineProtocol',
                'AuthorityHost', 'GraphEndpoint', 'CertificateThumbprint', 'SkipCertificateCheck', 'TimeoutSeconds',
                'CombineDocumentTypes', 'MessageLanguage', 'TemplatePath', 'Clear') {
                $cmd.Parameters.Keys | Should -Contain $name
            }
        }

        It 'completes <Parameter> values with the tab key' -TestCases @(
            @{ Parameter = 'Method'; Expected = 'Outlook', 'Exchange', 'Smtp', 'ExchangeOnline' }
            @{ Parameter = 'AuthenticationFlow'; Expected = 'ClientSecret', 'UsernamePassword' }
            @{ Parameter = 'SendCopyToSelf'; Expected = 'None', 'Cc', 'Bcc' }
            @{ Parameter = 'ExchangeOnlineProtocol'; Expected = 'Graph', 'Smtp' }
            @{ Parameter = 'Scope'; Expected = 'System', 'User' }
            @{ Parameter = 'Clear'; Expected = 'Method', 'ClientSecret', 'SkipCertificateCheck', 'TimeoutSeconds', 'CombineDocumentTypes', 'TemplatePath' }
            @{ Parameter = 'CombineDocumentTypes'; Expected = 'PurchaseOrder', 'Invoice', 'Order' }
        ) {
            $line = "Set-G5MailSetting -$Parameter "
            $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
            foreach ($value in $Expected) { $completions | Should -Contain $value }
            if ($Parameter -eq 'Scope') { $completions | Should -Not -Contain 'Effective' }
        }

        It 'has help with a synopsis and at least two examples' {
            $help = Get-Help Set-G5MailSetting -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty
            @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        }
    }
}
