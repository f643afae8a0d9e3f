#Requires -Version 7.4
# Get-G5SecretExpiry against the local Entra ID / Microsoft Graph stand-ins: the app's client secrets as Graph returns them
# (passwordCredentials, hint = the first three characters), the configured one found by its hint, statuses, -WarningDays,
# and the fallback to ClientSecretExpiresOn when the app may not read its own registration (Application.Read.All).

BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestServers.psm1') -Force
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force

    $script:Pki = New-G5TestPki -Install
    $script:Config = New-G5TestServerConfig
    # secrets[0] valid for a year, [1] expiring in 10 days, [2] expired 5 days ago; distinct first characters so that each
    # hint names one secret.
    $prefixes = 'Va1', 'Ex2', 'Old'
    for ($i = 0; $i -lt 3; $i++) { $script:Config.apps[0].secrets[$i].value = $prefixes[$i] + $script:Config.apps[0].secrets[$i].value }
    $script:Config.apps += [ordered]@{
        clientId = [guid]::NewGuid().ToString(); tenant = $script:Config.tenants[0].id; displayName = 'G5Mail without Application.Read.All'
        roles    = @('Mail.Send')
        secrets  = @(@{ keyId = [guid]::NewGuid().ToString(); displayName = 'sender'; value = 'Mso' + [guid]::NewGuid().ToString('N')
                startDateTime = [datetimeoffset]::UtcNow.AddDays(-1).ToString('o'); endDateTime = [datetimeoffset]::UtcNow.AddDays(100).ToString('o') })
    }
    $script:Server = Start-G5TestServer -Config $script:Config -Pki $script:Pki
    $script:App = $script:Config.apps[0]

    function script:Use-App {
        param([int] $App = 0, [string] $Secret, [datetime] $ExpiresOn, [switch] $NoSecret)
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        $registration = $script:Config.apps[$App]
        $settings = @{
            Scope = 'System'; Method = 'ExchangeOnline'; ClientId = $registration.clientId; TenantId = $script:Config.tenants[0].id
            AuthorityHost = $script:Server.BaseUri; GraphEndpoint = $script:Server.BaseUri; From = $script:Config.users[0].userPrincipalName
        }
        if (-not $NoSecret) {
            $value = if ($Secret) { $Secret } else { $registration.secrets[0].value }
            $settings.ClientSecret = ConvertTo-SecureString $value -AsPlainText -Force
        }
        if ($ExpiresOn) { $settings.ClientSecretExpiresOn = $ExpiresOn }
        Set-G5MailSetting @settings -WarningAction SilentlyContinue
    }

    function script:Get-KnownSecrets { @($script:Config.apps | ForEach-Object { if ($_.Contains('secrets')) { $_.secrets.value } }) + @($script:Config.users.password) }

    function script:Assert-NothingSecret([object[]] $Items) {
        $text = (@(foreach ($item in $Items) {
                    if ($item -is [System.Management.Automation.ErrorRecord]) { $item.ToString(); $item.Exception.ToString() }
                    elseif ($item -is [System.Management.Automation.InformationalRecord]) { $item.Message }
                    elseif ($null -ne $item) { $item | Format-List * -Force | Out-String -Width 8192 }
                }) -join "`n")
        $text.Length | Should -BeGreaterThan 0
        @(Get-KnownSecrets).Count | Should -BeGreaterOrEqual 6 -Because 'every app secret and user password is looked for'
        foreach ($secret in Get-KnownSecrets) { $text.Contains($secret) | Should -BeFalse -Because 'no secret may appear in any output' }
        $text | Should -Not -Match 'eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}' -Because 'no access token may appear in any output'
    }

    function script:Local([string] $iso) { [datetimeoffset]::Parse($iso, [cultureinfo]::InvariantCulture).LocalDateTime }
}

AfterAll {
    if ($script:Server) { Stop-G5TestServer -Server $script:Server }
    if ($script:Pki) { Remove-G5TestPki -Pki $script:Pki }
}

Describe 'Get-G5SecretExpiry' {
    It 'returns every client secret of the app: expired, expiring in 10 days and valid, each with its dates and status' {
        Use-App
        $secrets = @(Get-G5SecretExpiry -WarningVariable warnings)

        $secrets.Count | Should -Be 3
        $secrets | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'G5Mail.SecretExpiry' }
        $byName = @{}; foreach ($s in $secrets) { $byName[$s.DisplayName] = $s }
        $byName['valid'].Status | Should -Be 'Valid'
        $byName['valid'].DaysRemaining | Should -Be 365
        $byName['expiring'].Status | Should -Be 'ExpiringSoon'
        $byName['expiring'].DaysRemaining | Should -Be 10
        $byName['expired'].Status | Should -Be 'Expired'
        $byName['expired'].DaysRemaining | Should -Be -5
        foreach ($configured in $App.secrets) {
            $s = $byName[$configured.displayName]
            $s.ClientId | Should -Be $App.clientId
            $s.KeyId | Should -Be $configured.keyId
            $s.Hint | Should -BeExactly $configured.value.Substring(0, 3)
            $s.Source | Should -Be 'Graph'
            ($s.ExpiresOn - (Local $configured.endDateTime)).Duration().TotalSeconds | Should -BeLessThan 1
            ($s.StartsOn - (Local $configured.startDateTime)).Duration().TotalSeconds | Should -BeLessThan 1
        }
        # The configured secret is the valid one: nothing to warn about.
        ($secrets | Where-Object IsConfiguredSecret).DisplayName | Should -Be 'valid'
        $warnings.Count | Should -Be 0
    }

    It 'finds the configured secret by its hint and warns when it expires within -WarningDays' {
        Use-App -Secret $App.secrets[1].value
        $secrets = @(Get-G5SecretExpiry -WarningVariable warnings -WarningAction SilentlyContinue)

        @($secrets | Where-Object IsConfiguredSecret).DisplayName | Should -Be @('expiring')
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'expires on .* in 10 day\(s\)'
        "$($warnings[0])" | Should -Match 'Set-G5MailSetting -Scope System -ClientSecret'
    }

    It '-WarningDays sets what counts as ExpiringSoon' {
        Use-App -Secret $App.secrets[1].value
        $short = @(Get-G5SecretExpiry -WarningDays 5 -WarningVariable warnings)
        ($short | Where-Object DisplayName -eq 'expiring').Status | Should -Be 'Valid'
        $warnings.Count | Should -Be 0

        $long = @(Get-G5SecretExpiry 400 -WarningAction SilentlyContinue)
        ($long | Where-Object DisplayName -eq 'valid').Status | Should -Be 'ExpiringSoon'
        ($long | Where-Object DisplayName -eq 'expired').Status | Should -Be 'Expired'
    }

    It 'without Application.Read.All falls back to ClientSecretExpiresOn (Source Settings) and names the missing permission' {
        $expires = (Get-Date).Date.AddDays(20).AddHours(12)
        Use-App -App 2 -ExpiresOn $expires
        $secrets = @(Get-G5SecretExpiry -WarningVariable warnings -WarningAction SilentlyContinue)

        $secrets.Count | Should -Be 1
        $secrets[0].Source | Should -Be 'Settings'
        $secrets[0].IsConfiguredSecret | Should -BeTrue
        $secrets[0].ExpiresOn | Should -Be $expires
        $secrets[0].DaysRemaining | Should -Be 20
        $secrets[0].Status | Should -Be 'ExpiringSoon'
        $secrets[0].KeyId | Should -BeNullOrEmpty
        $secrets[0].Hint | Should -BeNullOrEmpty
        ($warnings -join "`n") | Should -Match 'Application\.Read\.All'
        ($warnings -join "`n") | Should -Match 'Using ClientSecretExpiresOn'
        ($warnings -join "`n") | Should -Match 'expires on'
    }

    It 'without Application.Read.All and without ClientSecretExpiresOn returns nothing and says how to fix either' {
        Use-App -App 2
        $secrets = @(Get-G5SecretExpiry -WarningVariable warnings -WarningAction SilentlyContinue)

        $secrets.Count | Should -Be 0
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'Application\.Read\.All'
        "$($warnings[0])" | Should -Match 'ClientSecretExpiresOn is not set'
    }

    It 'reports an expired configured secret as Expired even though Entra no longer lets it read Graph (AADSTS7000222)' {
        Use-App -Secret $App.secrets[2].value
        $secrets = @(Get-G5SecretExpiry -WarningVariable warnings -WarningAction SilentlyContinue)

        $secrets.Count | Should -Be 1
        $secrets[0].Status | Should -Be 'Expired'
        $secrets[0].Source | Should -Be 'Settings'
        ($warnings -join "`n") | Should -Match 'AADSTS7000222'
    }

    It 'stops with TokenAcquisitionFailed when the secret is wrong, and with SettingsIncomplete when there is none' {
        Use-App -Secret 'Wr0ng-secret-value'
        $failure = $null
        try { Get-G5SecretExpiry -ErrorAction Stop } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'TokenAcquisitionFailed*'
        $failure.Exception.Message | Should -Match 'AADSTS7000215'

        Use-App -NoSecret
        $failure = $null
        try { Get-G5SecretExpiry -ErrorAction Stop } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'SettingsIncomplete*'
        $failure.Exception.Message | Should -Match 'ClientSecret'
    }

    It 'shows DisplayName, Hint, ExpiresOn, DaysRemaining, Status and Configured in the default table' {
        Use-App
        $table = Get-G5SecretExpiry | Out-String -Width 200
        $table | Should -Match 'DisplayName\s+Hint\s+ExpiresOn\s+DaysRemaining\s+Status\s+Configured'
        $table | Should -Match 'valid\s+Va1\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+365\s+Valid\s+yes'
    }

    It 'shows no secret or token in any output stream or error' {
        $Error.Clear()
        $all = @(
            Use-App -Secret $App.secrets[1].value
            Get-G5SecretExpiry -Verbose *>&1
            Use-App -App 2 -ExpiresOn (Get-Date).AddDays(3)
            Get-G5SecretExpiry -Verbose *>&1
            Use-App -Secret $App.secrets[2].value
            Get-G5SecretExpiry -Verbose *>&1
            Use-App -Secret 'Wr0ng-secret-value'
            try { Get-G5SecretExpiry -Verbose -ErrorAction Stop *>&1 } catch { $_ }
        )
        @($all | Where-Object { $_ -is [G5Mail.SecretExpiry] }).Count | Should -Be 5
        @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -Be 1
        Assert-NothingSecret ($all + @($Error))
    }
}
