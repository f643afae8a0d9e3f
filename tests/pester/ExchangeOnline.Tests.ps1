#Requires -Version 7.4
# Exchange Online with OAuth 2.0, as a user runs it: Send-G5Document and Test-G5MailServer against the local stand-ins for
# Entra ID and Microsoft Graph (tests/G5Mail.TestServers, HTTPS with a test CA installed in CurrentUser\Root) and a real
# smtp4dev. Graph "sends" by relaying into smtp4dev; over SMTP smtp4dev itself validates the XOAUTH2 token against the
# stand-in's keys. Every assertion about a message is about what really arrived.

BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestServers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force

    $script:Pki = New-G5TestPki -Install
    $script:Docs = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-exo-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Docs | Out-Null
    $script:Pdf = (New-TestPdf -Path (Join-Path $script:Docs 'Faktura Åhus 5001.pdf') -Lines 'Faktura 5001', 'Åhus Trä AB').FullName
    $script:Xml = Join-Path $script:Docs 'Faktura Åhus 5001.xml'
    Set-Content -Path $script:Xml -Value '<?xml version="1.0" encoding="utf-8"?><Faktura nr="5001">Åhus</Faktura>' -Encoding utf8
    $script:Big = (New-TestPdf -Path (Join-Path $script:Docs 'Ritning 20MiB.pdf') -PadToBytes (20MB)).FullName
    $script:Medium = (New-TestPdf -Path (Join-Path $script:Docs 'Ritning 3.5MiB.pdf') -PadToBytes (3.5MB)).FullName
    $script:Pieces = foreach ($n in 1..3) { (New-TestPdf -Path (Join-Path $script:Docs "Bilaga $n.pdf") -Lines "Bilaga $n" -PadToBytes (1.5MB)).FullName }
    $script:Batch = Join-Path $script:Docs 'batch'
    New-Item -ItemType Directory -Path $script:Batch | Out-Null
    foreach ($n in 1..50) { New-TestPdf -Path (Join-Path $script:Batch ("{0}.pdf" -f (6000 + $n))) -Lines "Order $(6000 + $n)" | Out-Null }

    # The stand-in's default config, with secrets whose first three characters (Graph's hint) differ, and apps that lack
    # one permission each: what an administrator gets wrong most often.
    function script:New-ExoConfig {
        param([int] $SmtpPort)
        $config = if ($SmtpPort) { New-G5TestServerConfig -SmtpPort $SmtpPort } else { New-G5TestServerConfig }
        $prefixes = 'Va1', 'Ex2', 'Old'
        for ($i = 0; $i -lt 3; $i++) { $config.apps[0].secrets[$i].value = $prefixes[$i] + $config.apps[0].secrets[$i].value }
        $tenant = $config.tenants[0].id
        function New-App([string] $Name, [string[]] $Roles) {
            [ordered]@{
                clientId = [guid]::NewGuid().ToString(); tenant = $tenant; displayName = $Name; roles = $Roles
                secrets  = @(@{ keyId = [guid]::NewGuid().ToString(); displayName = 'only'; value = 'Sx' + [guid]::NewGuid().ToString('N')
                        startDateTime = [datetimeoffset]::UtcNow.AddDays(-1).ToString('o'); endDateTime = [datetimeoffset]::UtcNow.AddDays(200).ToString('o') })
            }
        }
        $config.apps += New-App 'no Mail.Send' @('Mail.ReadWrite')                                              # [2]
        $config.apps += New-App 'Mail.Send only' @('Mail.Send')                                                 # [3]
        $config.apps += New-App 'no Graph permission' @('https://outlook.office365.com/SMTP.SendAsApp')         # [4]
        $config
    }

    # Fresh settings for one case. -App picks the app registration, -Secret overrides its secret, -Password the user's.
    function script:Use-Exo {
        param(
            [Parameter(Mandatory)] $Server, [Parameter(Mandatory)] $Config,
            [ValidateSet('ClientSecret', 'UsernamePassword')] [string] $Flow = 'ClientSecret',
            [ValidateSet('Graph', 'Smtp')] [string] $Protocol = 'Graph',
            [int] $SmtpPort, [int] $App = -1, [string] $Secret, [int] $User = 0, [string] $Password, [string] $From
        )
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        if ($App -lt 0) { $App = if ($Flow -eq 'ClientSecret') { 0 } else { 1 } }
        $registration = $Config.apps[$App]
        $account = $Config.users[$User]
        $system = @{
            Scope = 'System'; Method = 'ExchangeOnline'; ExchangeOnlineProtocol = $Protocol; AuthenticationFlow = $Flow
            ClientId = $registration.clientId; TenantId = $Config.tenants[0].id
            AuthorityHost = $Server.BaseUri; GraphEndpoint = $Server.BaseUri
            From = if ($From) { $From } else { $account.userPrincipalName }
        }
        if ($Flow -eq 'ClientSecret') {
            $value = if ($Secret) { $Secret } else { $registration.secrets[0].value }
            $system.ClientSecret = ConvertTo-SecureString $value -AsPlainText -Force
        }
        if ($Protocol -eq 'Smtp') { $system.Server = '127.0.0.1'; $system.Port = $SmtpPort }
        Set-G5MailSetting @system -WarningAction SilentlyContinue
        if ($Flow -eq 'UsernamePassword') {
            $value = if ($Password) { $Password } else { $account.password }
            $credential = [pscredential]::new($account.userPrincipalName, (ConvertTo-SecureString $value -AsPlainText -Force))
            Set-G5MailSetting -Scope User -Credential $credential -WarningAction SilentlyContinue
        }
    }

    # Every secret the stand-in knows (client secret values, passwords), for the "never shown" checks.
    function script:Get-KnownSecrets([System.Collections.IDictionary] $Config) {
        @($Config.apps | ForEach-Object { if ($_.Contains('secrets')) { $_.secrets.value } }) + @($Config.users.password) | Where-Object { $_ }
    }

    # All text a record or object carries: messages, exception chains (inner exceptions included), properties.
    function script:ConvertTo-AllText([object[]] $Items) {
        foreach ($item in $Items) {
            if ($null -eq $item) { continue }
            if ($item -is [System.Management.Automation.ErrorRecord]) {
                $item.ToString(); $item.Exception.ToString(); "$($item.TargetObject)"; "$($item.ErrorDetails)"
            }
            elseif ($item -is [System.Management.Automation.InformationalRecord]) { $item.Message }
            elseif ($item -is [System.Exception]) { $item.ToString() }
            else {
                $item | Format-List * -Force | Out-String -Width 8192
                try { $item | ConvertTo-Json -Depth 4 -Compress -WarningAction SilentlyContinue } catch { }
            }
        }
    }

    function script:Assert-NothingSecret([object[]] $Items, [System.Collections.IDictionary] $Config) {
        $text = (ConvertTo-AllText $Items) -join "`n"
        $text.Length | Should -BeGreaterThan 0
        @(Get-KnownSecrets $Config).Count | Should -BeGreaterOrEqual 8 -Because 'every app secret and user password is looked for'
        foreach ($secret in Get-KnownSecrets $Config) {
            $text.Contains($secret) | Should -BeFalse -Because 'no secret or password may appear in any output'
        }
        # A JWT (access token) starts with the base64url of '{"' in its header and payload.
        $text | Should -Not -Match 'eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}' -Because 'no access token may appear in any output'
    }

    function script:Get-Delivered($Smtp) { @(Get-Smtp4DevMessage $Smtp) }

    function script:Get-Route($Stats, [string] $Name) {
        $p = $Stats.byRoute.PSObject.Properties[$Name]
        if ($p) { [int] $p.Value } else { 0 }
    }

    function script:Assert-Attachments($Message, [string[]] $Paths) {
        $attachments = @(Get-MimeAttachment $Message)
        $attachments.Name | Should -Be @($Paths | ForEach-Object { Split-Path $_ -Leaf })
        for ($i = 0; $i -lt $Paths.Count; $i++) {
            Get-BytesHash $attachments[$i].Bytes | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($Paths[$i]))) -Because "$($Paths[$i]) must arrive byte for byte"
        }
    }
}

AfterAll {
    if ($script:Pki) { Remove-G5TestPki -Pki $script:Pki }
    Remove-Item $script:Docs -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Exchange Online through Microsoft Graph' {
    BeforeAll {
        $script:Smtp = Start-Smtp4Dev
        $script:Config = New-ExoConfig -SmtpPort $script:Smtp.SmtpPort
        $script:Server = Start-G5TestServer -Config $script:Config -Pki $script:Pki
        $script:Sender = $script:Config.users[0].userPrincipalName
    }
    AfterAll {
        if ($script:Server) { Stop-G5TestServer -Server $script:Server }
        Stop-Smtp4Dev $script:Smtp
    }
    BeforeEach {
        Clear-Smtp4DevMessages $script:Smtp
        Reset-G5TestServer -Server $script:Server
    }

    It '<Flow> delivers the PDF and XML byte for byte, with the composed Message-Id' -ForEach @(
        @{ Flow = 'ClientSecret'; Grant = 'client_credentials' }
        @{ Flow = 'UsernamePassword'; Grant = 'password' }
    ) {
        Use-Exo -Server $Server -Config $Config -Flow $Flow
        $result = Send-G5Document -Path $Pdf, $Xml -To 'inkop@ahustra.example' -Subject 'Faktura {DocumentIds}' -WarningVariable warnings -WarningAction SilentlyContinue

        $result.Status | Should -Be 'Sent'
        $result.Method | Should -Be 'ExchangeOnline'
        $result.Server | Should -Be ([uri] $Server.BaseUri).Authority
        $delivered = Get-Delivered $Smtp
        $delivered.Count | Should -Be 1
        "<$($delivered[0].MessageId)>" | Should -Be $result.MessageId
        $delivered[0].From.Mailboxes[0].Address | Should -Be $Sender
        $delivered[0].Subject | Should -Be 'Faktura Faktura Åhus 5001'
        Assert-Attachments $delivered[0] @($Pdf, $Xml)

        $stats = Get-G5TestServerStats -Server $Server
        Get-Route $stats 'sendMail' | Should -Be 1
        $stats.tokenRequests.issued | Should -Be 1
        $stats.tokenRequests.byGrantType.$Grant | Should -Be 1
        if ($Flow -eq 'UsernamePassword') { $warnings -join ' ' | Should -Match 'multi-factor' }
    }

    It '<Flow>: a 50-document pipeline asks Entra ID for one token' -ForEach @(@{ Flow = 'ClientSecret' }, @{ Flow = 'UsernamePassword' }) {
        Use-Exo -Server $Server -Config $Config -Flow $Flow
        $results = Get-ChildItem $Batch -Filter *.pdf | Send-G5Document -To 'kund@example.se' -WarningAction SilentlyContinue

        @($results).Count | Should -Be 50
        @($results | Where-Object Status -eq 'Sent').Count | Should -Be 50
        $stats = Get-G5TestServerStats -Server $Server
        $stats.tokenRequests.total | Should -Be 1
        $stats.messagesDelivered | Should -Be 50
        @(Get-Smtp4DevMessageList $Smtp).Count | Should -Be 50
    }

    It '<Flow>: -ThrottleLimit 4 sends a 50-document pipeline on several connections with one token, results in input order' -ForEach @(
        @{ Flow = 'ClientSecret' }, @{ Flow = 'UsernamePassword' }
    ) {
        Use-Exo -Server $Server -Config $Config -Flow $Flow
        $files = @(Get-ChildItem $Batch -Filter *.pdf | Sort-Object Name)
        $output = $files | Send-G5Document -To 'kund@example.se' -ThrottleLimit 4 -WarningAction SilentlyContinue -Verbose 4>&1
        $results = @($output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $lines = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)

        $results.Count | Should -Be 50
        @($results | Where-Object Status -eq 'Sent').Count | Should -Be 50
        ($results | ForEach-Object { $_.DocumentIds[0] }) -join ',' | Should -Be (($files | ForEach-Object BaseName) -join ',')
        # More than one connection was opened, and all of them used the one token.
        @($lines | Where-Object { $_ -match 'Opening connection \d+ of at most 4' }).Count | Should -BeGreaterThan 0
        $stats = Get-G5TestServerStats -Server $Server
        $stats.tokenRequests.total | Should -Be 1
        $stats.messagesDelivered | Should -Be 50
        @(Get-Smtp4DevMessageList $Smtp).Count | Should -Be 50
    }

    It 'ClientSecret: a 20 MiB PDF travels through a draft and an upload session and arrives byte for byte' {
        Use-Exo -Server $Server -Config $Config
        $result = Send-G5Document -Path $Big -To 'ritning@example.se'

        $result.Status | Should -Be 'Sent'
        $delivered = Get-Delivered $Smtp
        "<$($delivered[0].MessageId)>" | Should -Be $result.MessageId
        Assert-Attachments $delivered[0] @($Big)
        $stats = Get-G5TestServerStats -Server $Server
        Get-Route $stats 'createMessage' | Should -Be 1
        Get-Route $stats 'createUploadSession' | Should -Be 1
        Get-Route $stats 'uploadSession' | Should -Be 6 -Because '20 MiB in ranges of 3.75 MiB (12 x 320 KiB) is 6 PUTs'
        Get-Route $stats 'sendDraft' | Should -Be 1
        Get-Route $stats 'sendMail' | Should -Be 0
    }

    It 'UsernamePassword: a 3.5 MiB PDF goes through the signed-in user''s draft and upload session' {
        Use-Exo -Server $Server -Config $Config -Flow UsernamePassword
        $result = Send-G5Document -Path $Medium, $Xml -To 'ritning@example.se' -WarningAction SilentlyContinue

        $result.Status | Should -Be 'Sent'
        Assert-Attachments (Get-Delivered $Smtp)[0] @($Medium, $Xml)
        $stats = Get-G5TestServerStats -Server $Server
        Get-Route $stats 'createUploadSession' | Should -Be 1
        Get-Route $stats 'sendDraft' | Should -Be 1
    }

    It 'small files over 4 MB together: one goes inline in the draft, the others are attached one request each' {
        Use-Exo -Server $Server -Config $Config
        $result = Send-G5Document -Path $Pieces -DocumentId 'Bilagor' -To 'kund@example.se'

        $result.Status | Should -Be 'Sent'
        Assert-Attachments (Get-Delivered $Smtp)[0] $Pieces
        $stats = Get-G5TestServerStats -Server $Server
        Get-Route $stats 'createMessage' | Should -Be 1
        Get-Route $stats 'addAttachment' | Should -Be 2
        Get-Route $stats 'createUploadSession' | Should -Be 0
    }

    It 'a large send that fails after the draft was created deletes the draft' {
        Use-Exo -Server $Server -Config $Config
        Set-G5TestServerFault -Server $Server -Path createUploadSession -Status 500 -Count 1 | Out-Null
        $result = Send-G5Document -Path $Medium -To 'kund@example.se' -ErrorAction SilentlyContinue

        $result.Status | Should -Be 'Failed'
        $result.ErrorId | Should -Be 'SendFailed'
        $result.Error | Should -Match 'createUploadSession'
        $stats = Get-G5TestServerStats -Server $Server
        Get-Route $stats 'createMessage' | Should -Be 1
        Get-Route $stats 'deleteMessage' | Should -Be 1
        Get-Route $stats 'sendDraft' | Should -Be 0
        (Get-Delivered $Smtp).Count | Should -Be 0
    }

    It 'Graph 429 with Retry-After and 503 then success: waits as asked, then backs off, and sends once' {
        Use-Exo -Server $Server -Config $Config
        Set-G5TestServerFault -Server $Server -Path sendMail -Status 429 -RetryAfterSeconds 1 -Count 1 | Out-Null
        Set-G5TestServerFault -Server $Server -Path sendMail -Status 503 -NoRetryAfter -Count 1 | Out-Null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $output = Send-G5Document -Path $Pdf -To 'kund@example.se' -RetryDelaySeconds 0.2 -Verbose 4>&1
        $watch.Stop()

        $result = $output | Where-Object { $_ -is [G5Mail.SendResult] }
        $result.Status | Should -Be 'Sent'
        $retries = @(($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Where-Object { $_ -match ': retry \d of 3 in ' })
        $retries.Count | Should -Be 2
        $retries[0] | Should -Match '\): retry 1 of 3 in 1\.0 s \(the server asked for 1\.0 s\) after HTTP 429 TooManyRequests\.$'
        # Full jitter below the 2 x 0.2 s ceiling of the second retry.
        $retries[1] | Should -Match '\): retry 2 of 3 in 0\.[0-4] s after HTTP 503 serviceNotAvailable\.$'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1
        $stats = Get-G5TestServerStats -Server $Server
        $stats.faultsInjected | Should -Be 2
        Get-Route $stats 'sendMail' | Should -Be 3
        (Get-Delivered $Smtp).Count | Should -Be 1
    }

    It 'fails a message once Graph stays throttled through the retries, saying how often it tried' {
        Use-Exo -Server $Server -Config $Config
        Set-G5TestServerFault -Server $Server -Path sendMail -Status 503 -NoRetryAfter -Count 3 | Out-Null
        $result = Send-G5Document -Path $Pdf -To 'kund@example.se' -RetryCount 2 -RetryDelaySeconds 0 -ErrorAction SilentlyContinue

        $result.Status | Should -Be 'Failed'
        $result.ErrorId | Should -Be 'SendFailed'
        $result.Error | Should -Match 'tried 3 times'
        Get-Route (Get-G5TestServerStats -Server $Server) 'sendMail' | Should -Be 3
        (Get-Delivered $Smtp).Count | Should -Be 0
    }

    It 'reports a 504 to sendMail as Uncertain and does not send it again' {
        Use-Exo -Server $Server -Config $Config
        Set-G5TestServerFault -Server $Server -Path sendMail -Status 504 -NoRetryAfter -Count 1 | Out-Null
        $result = Send-G5Document -Path $Pdf -To 'kund@example.se' -RetryDelaySeconds 0 -ErrorAction SilentlyContinue

        $result.Status | Should -Be 'Uncertain'
        $result.ErrorId | Should -Be 'DeliveryUncertain'
        Get-Route (Get-G5TestServerStats -Server $Server) 'sendMail' | Should -Be 1
    }

    It '<Case> fails with TokenAcquisitionFailed and <Code>' -ForEach @(
        @{ Case = 'a wrong client secret'; Flow = 'ClientSecret'; Secret = 'Wr0ng-secret-value'; Code = 'AADSTS7000215'; Setting = 'ClientSecret' }
        @{ Case = 'an expired client secret'; Flow = 'ClientSecret'; ExpiredSecret = $true; Code = 'AADSTS7000222'; Setting = 'ClientSecret' }
        @{ Case = 'a wrong password'; Flow = 'UsernamePassword'; Password = 'Wr0ng-password'; Code = 'AADSTS50126'; Setting = 'Credential' }
        @{ Case = 'an account that must use MFA'; Flow = 'UsernamePassword'; User = 1; Code = 'AADSTS50076'; Setting = 'AuthenticationFlow' }
    ) {
        $options = @{ Server = $Server; Config = $Config; Flow = $Flow }
        if ($Secret) { $options.Secret = $Secret }
        if ($ExpiredSecret) { $options.Secret = $Config.apps[0].secrets[2].value }
        if ($Password) { $options.Password = $Password }
        if ($User) { $options.User = $User; $options.From = $Config.users[1].userPrincipalName }
        Use-Exo @options

        $result = Send-G5Document -Path $Pdf -To 'kund@example.se' -ErrorVariable failures -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

        $result.Status | Should -Be 'Failed'
        $result.ErrorId | Should -Be 'TokenAcquisitionFailed'
        $result.Error | Should -Match $Code
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'TokenAcquisitionFailed*'
        $failures[0].Exception.Target | Should -Be $Setting
        $failures[0].Exception.Message | Should -Not -Match 'Trace ID'
        if ($Secret) { $failures[0].Exception.ToString().Contains($Secret) | Should -BeFalse }
        if ($Password) { $failures[0].Exception.ToString().Contains($Password) | Should -BeFalse }
        (Get-Delivered $Smtp).Count | Should -Be 0
        Get-Route (Get-G5TestServerStats -Server $Server) 'sendMail' | Should -Be 0
    }

    It 'an app without <Permission> gets PermissionDenied naming it (<Case>)' -ForEach @(
        @{ Case = 'Graph answers 403 ErrorAccessDenied'; App = 2; Permission = 'Mail.Send'; Large = $false }
        @{ Case = 'the token has no Graph permission at all: 401'; App = 4; Permission = 'Mail.Send'; Large = $false }
        @{ Case = 'a large attachment needs a draft'; App = 3; Permission = 'Mail.ReadWrite'; Large = $true }
    ) {
        Use-Exo -Server $Server -Config $Config -App $App
        $path = if ($Large) { $Medium } else { $Pdf }
        $result = Send-G5Document -Path $path -To 'kund@example.se' -ErrorVariable failures -ErrorAction SilentlyContinue

        $result.Status | Should -Be 'Failed'
        $result.ErrorId | Should -Be 'PermissionDenied'
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'PermissionDenied*'
        "$($failures[0].CategoryInfo.Category)" | Should -Be 'PermissionDenied'
        $failures[0].Exception.Message | Should -Match "application permission $([regex]::Escape($Permission))"
        $failures[0].Exception.Message | Should -Match 'Grant admin consent'
        (Get-Delivered $Smtp).Count | Should -Be 0
    }

    It 'Test-G5MailServer (<Flow>) gets a token, checks its permissions and reaches Graph without sending' -ForEach @(
        @{ Flow = 'ClientSecret' }
        @{ Flow = 'UsernamePassword' }
    ) {
        Use-Exo -Server $Server -Config $Config -Flow $Flow
        $result = Test-G5MailServer

        $result.Success | Should -BeTrue -Because ($result.Findings | Where-Object Severity -eq 'Error' | Out-String)
        $result.Method | Should -Be 'ExchangeOnline'
        $result.Reachable | Should -BeTrue
        $result.Authenticated | Should -BeTrue
        $result.TlsProtocol | Should -Match '^TLS 1\.[23]$'
        $result.CertificateValid | Should -BeTrue
        $codes = $result.Findings.Code
        $codes | Should -Contain 'TokenAcquired'
        $codes | Should -Contain 'PermissionsPresent'
        $codes | Should -Contain 'GraphReachable'
        ($result.Findings | Where-Object Code -eq 'TokenAcquired').Message | Should -Match 'Mail\.Send'
        if ($Flow -eq 'ClientSecret') {
            ($result.Findings | Where-Object Code -eq 'SecretValid').Message | Should -Match "'valid'"
        }
        else {
            $codes | Should -Not -Contain 'SecretValid'
        }
        (Get-Delivered $Smtp).Count | Should -Be 0
        Get-Route (Get-G5TestServerStats -Server $Server) 'sendMail' | Should -Be 0
    }

    It 'Test-G5MailServer reports the missing permission, an expiring secret and a refused secret' {
        Use-Exo -Server $Server -Config $Config -App 2
        $noSend = Test-G5MailServer
        $noSend.Success | Should -BeFalse
        $missing = $noSend.Findings | Where-Object Code -eq 'PermissionMissing'
        $missing.Severity | Should -Be 'Error'
        $missing.Message | Should -Match 'application permission Mail\.Send'

        Use-Exo -Server $Server -Config $Config -Secret $Config.apps[0].secrets[1].value
        $expiring = Test-G5MailServer
        $expiring.Success | Should -BeTrue
        ($expiring.Findings | Where-Object Code -eq 'SecretExpiringSoon').Severity | Should -Be 'Warning'

        Use-Exo -Server $Server -Config $Config -Secret 'Wr0ng-secret-value'
        $wrong = Test-G5MailServer
        $wrong.Success | Should -BeFalse
        $wrong.Authenticated | Should -BeFalse
        ($wrong.Findings | Where-Object Code -eq 'TokenAcquisitionFailed').Message | Should -Match 'AADSTS7000215'
        Test-G5MailServer -Quiet | Should -BeFalse
    }

    It '<Flow>: a token Graph stops accepting mid-run (401<Challenge>) is renewed once, that message goes again, and the run goes on' -ForEach @(
        @{ Flow = 'ClientSecret'; Grant = 'client_credentials'; Claims = $null; Challenge = '' }
        @{ Flow = 'ClientSecret'; Grant = 'client_credentials'; Claims = '{"access_token":{"nbf":{"essential":true,"value":"1767225600"}}}'; Challenge = ' with a claims challenge' }
        @{ Flow = 'UsernamePassword'; Grant = 'password'; Claims = $null; Challenge = '' }
        @{ Flow = 'UsernamePassword'; Grant = 'password'; Claims = '{"access_token":{"nbf":{"essential":true,"value":"1767225600"}}}'; Challenge = ' with a claims challenge' }
    ) {
        Use-Exo -Server $Server -Config $Config -Flow $Flow
        # The second sendMail gets Graph's 401 InvalidAuthenticationToken ("Lifetime validation failed, the token is expired").
        $fault = @{ Server = $Server; Path = 'sendMail'; Status = 401; Count = 1; Skip = 1; NoRetryAfter = $true }
        if ($Claims) { $fault.Claims = $Claims }
        Set-G5TestServerFault @fault | Out-Null
        $files = @(Get-ChildItem $Batch -Filter *.pdf | Sort-Object Name | Select-Object -First 3)
        $results = @($files | Send-G5Document -To 'kund@example.se' -RetryCount 0 -WarningAction SilentlyContinue)

        $results.Count | Should -Be 3
        ($results | ForEach-Object Status) -join ',' | Should -Be 'Sent,Sent,Sent'
        $stats = Get-G5TestServerStats -Server $Server
        $stats.faultsInjected | Should -Be 1
        $stats.tokenRequests.issued | Should -Be 2 -Because 'one token for the run and one forced renewal after the 401'
        $stats.tokenRequests.byGrantType.$Grant | Should -Be 2
        Get-Route $stats 'sendMail' | Should -Be 4
        $stats.messagesDelivered | Should -Be 3
        @(Get-Smtp4DevMessageList $Smtp).Count | Should -Be 3
        if ($Claims) { @($stats.tokenRequests.claims) | Should -Be @($Claims) -Because 'the claims challenge goes to Entra ID with the renewal' }
        else { @($stats.tokenRequests.claims).Count | Should -Be 0 }
    }

    It '<Flow>: a 401 to a token just issued is AuthenticationFailed, not PermissionDenied' -ForEach @(
        @{ Flow = 'ClientSecret'; Grant = 'client_credentials' }, @{ Flow = 'UsernamePassword'; Grant = 'password' }
    ) {
        Use-Exo -Server $Server -Config $Config -Flow $Flow
        Set-G5TestServerFault -Server $Server -Path sendMail -Status 401 -Count 2 -NoRetryAfter | Out-Null
        $files = @(Get-ChildItem $Batch -Filter *.pdf | Sort-Object Name | Select-Object -First 3)
        $results = @($files | Send-G5Document -To 'kund@example.se' -RetryCount 0 -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)

        $results[0].Status | Should -Be 'Failed'
        $results[0].ErrorId | Should -Be 'AuthenticationFailed'
        $results[0].Error | Should -Match 'just issued'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed*'
        $stats = Get-G5TestServerStats -Server $Server
        $stats.tokenRequests.byGrantType.$Grant | Should -Be 2 -Because 'the token is renewed once, not for every attempt'
        $stats.faultsInjected | Should -Be 2
    }

    It 'a <Status> to sendMail is Uncertain; a journal rerun does not send it again, -Force does' -ForEach @(@{ Status = 500 }, @{ Status = 502 }) {
        Use-Exo -Server $Server -Config $Config
        $journal = Join-Path $Docs ("journal-$Status-" + [guid]::NewGuid().ToString('N') + '.json')
        Set-G5TestServerFault -Server $Server -Path sendMail -Status $Status -NoRetryAfter -Count 1 | Out-Null

        $first = Send-G5Document -Path $Pdf -To 'kund@example.se' -JournalPath $journal -RetryDelaySeconds 0 -ErrorAction SilentlyContinue
        $first.Status | Should -Be 'Uncertain'
        $first.ErrorId | Should -Be 'DeliveryUncertain'
        $first.Error | Should -Match "answered $Status"
        Get-Route (Get-G5TestServerStats -Server $Server) 'sendMail' | Should -Be 1 -Because 'an uncertain message is never retried'

        $rerun = Send-G5Document -Path $Pdf -To 'kund@example.se' -JournalPath $journal -RetryDelaySeconds 0 -ErrorAction SilentlyContinue
        $rerun.Status | Should -Be 'Uncertain'
        $rerun.Reason | Should -Be 'PreviouslyUncertain'
        Get-Route (Get-G5TestServerStats -Server $Server) 'sendMail' | Should -Be 1 -Because 'the rerun must not send it again'

        $forced = Send-G5Document -Path $Pdf -To 'kund@example.se' -JournalPath $journal -Force -RetryDelaySeconds 0
        $forced.Status | Should -Be 'Sent'
        Get-Route (Get-G5TestServerStats -Server $Server) 'sendMail' | Should -Be 2
        @(Get-Smtp4DevMessageList $Smtp).Count | Should -Be 1
    }

    It 'a silent <What> fails in about TimeoutSeconds (2 s), not 100 s: <ErrorId>' -ForEach @(
        @{ What = 'Graph sendMail'; Path = 'sendMail'; ErrorId = 'DeliveryUncertain'; Status = 'Uncertain' }
        @{ What = 'Graph createMessage (draft)'; Path = 'createMessage'; ErrorId = 'ConnectionFailed'; Status = 'Failed' }
        @{ What = 'token endpoint'; Path = 'token'; ErrorId = 'ConnectionFailed'; Status = 'Failed' }
    ) {
        Use-Exo -Server $Server -Config $Config
        Set-G5MailSetting -Scope System -TimeoutSeconds 2 -WarningAction SilentlyContinue
        Set-G5TestServerFault -Server $Server -Path $Path -Answer stall -Count -1 | Out-Null
        $file = if ($Path -eq 'createMessage') { $Medium } else { $Pdf }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $result = Send-G5Document -Path $file -To 'kund@example.se' -RetryCount 0 -ErrorAction SilentlyContinue
        $watch.Stop()
        Set-G5TestServerFault -Server $Server -Clear
        Write-Host ("silent {0}: failed after {1:0.0} s with TimeoutSeconds 2" -f $What, $watch.Elapsed.TotalSeconds)

        $result.Status | Should -Be $Status
        $result.ErrorId | Should -Be $ErrorId
        $result.Error | Should -Match 'within \d+ s'
        $result.Error | Should -Match 'TimeoutSeconds'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1.9
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'the bound is TimeoutSeconds, not HttpClient''s 100 s'
    }

    It 'UsernamePassword: the user name reaches Entra ID exactly as configured, DOMAIN\user included (settings and -Credential)' {
        Use-Exo -Server $Server -Config $Config -Flow UsernamePassword
        $password = ConvertTo-SecureString $Config.users[0].password -AsPlainText -Force
        Set-G5MailSetting -Scope User -Credential ([pscredential]::new('G5TEST\anna', $password)) -WarningAction SilentlyContinue
        $first = Send-G5Document -Path $Pdf -To 'kund@example.se' -RetryCount 0 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $null = Send-G5Document -Path $Pdf -To 'kund@example.se' -RetryCount 0 -Credential ([pscredential]::new('G5TEST\bjorn', $password)) `
            -ErrorAction SilentlyContinue -WarningAction SilentlyContinue

        # MSAL asks Entra ID's user realm endpoint first, with the name as given (System.Uri makes its backslash a slash);
        # Entra ID knows users only by user principal name, so the sign-in stops there, with advice. The point here is
        # that G5Mail did not drop the domain on the way.
        $seen = @((Get-G5TestServerStats -Server $Server).tokenRequests.ropcUserNames | Select-Object -Unique)
        $seen | Should -Be @('G5TEST\anna', 'G5TEST\bjorn')
        $first.ErrorId | Should -Be 'TokenAcquisitionFailed'
        $first.Error | Should -Match 'user principal name'
        $first.Error | Should -Match ([regex]::Escape('Set-G5MailSetting -Scope User -Credential (Get-Credential)'))
    }

    It 'shows no secret, password or token in any output stream or error' {
        $Error.Clear()
        $all = @(
            Use-Exo -Server $Server -Config $Config
            Send-G5Document -Path $Pdf -To 'kund@example.se' -Verbose *>&1
            Test-G5MailServer -Verbose *>&1
            Get-G5MailSetting *>&1
            Use-Exo -Server $Server -Config $Config -Secret 'Wr0ng-secret-value'
            Send-G5Document -Path $Pdf -To 'kund@example.se' -Verbose -ErrorAction Continue *>&1
            Use-Exo -Server $Server -Config $Config -Flow UsernamePassword
            Send-G5Document -Path $Medium -To 'kund@example.se' -Verbose *>&1
            Use-Exo -Server $Server -Config $Config -Flow UsernamePassword -Password 'Wr0ng-password'
            Send-G5Document -Path $Pdf -To 'kund@example.se' -Verbose -ErrorAction Continue *>&1
            Test-G5MailServer -Verbose *>&1
        )
        $all.Count | Should -BeGreaterThan 10
        @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -BeGreaterOrEqual 2
        Assert-NothingSecret ($all + @($Error)) $Config
        Assert-NothingSecret @(Get-Content -Raw $Server.LogPath) $Config
    }
}

Describe 'Exchange Online over SMTP with XOAUTH2 (<Flow>)' -ForEach @(
    # smtp4dev checks one audience; Exchange Online answers to both of its App ID URIs, as the two flows use them.
    @{ Flow = 'ClientSecret'; Audience = 'https://outlook.office365.com' }
    @{ Flow = 'UsernamePassword'; Audience = 'https://outlook.office.com' }
) {
    BeforeAll {
        $script:Config = New-ExoConfig
        $script:Sender = $script:Config.users[0].userPrincipalName
        # smtp4dev compares the XOAUTH2 user with a user claim of the token; app-only tokens have none, so the stand-in adds
        # the one mailbox this app may send as (a test-only concession, see AppConfig.Smtp4devMailboxClaim).
        $script:Config.apps[0].smtp4devMailboxClaim = $script:Sender
        $script:Server = Start-G5TestServer -Config $script:Config -Pki $script:Pki
        $tenant = $script:Config.tenants[0].id
        $script:Smtp = Start-Smtp4Dev -TlsMode StartTls -CertificatePath $script:Pki.Server.PfxPath -User "$($script:Sender)=unused" -AuthenticationRequired `
            -OAuth2Authority "$($script:Server.BaseUri)/$tenant/v2.0" -OAuth2Audience $Audience
    }
    AfterAll {
        Stop-Smtp4Dev $script:Smtp
        if ($script:Server) { Stop-G5TestServer -Server $script:Server }
    }
    BeforeEach {
        Clear-Smtp4DevMessages $script:Smtp
        Reset-G5TestServer -Server $script:Server
    }

    It 'delivers the PDF and XML byte for byte after STARTTLS and an XOAUTH2 sign-in' {
        Use-Exo -Server $Server -Config $Config -Flow $Flow -Protocol Smtp -SmtpPort $Smtp.SmtpPort
        $result = Send-G5Document -Path $Pdf, $Xml -To 'inkop@ahustra.example' -WarningAction SilentlyContinue

        $result.Status | Should -Be 'Sent' -Because "$($result.Error)"
        $result.Server | Should -Be "127.0.0.1:$($Smtp.SmtpPort)"
        $delivered = Get-Delivered $Smtp
        $delivered.Count | Should -Be 1
        "<$($delivered[0].MessageId)>" | Should -Be $result.MessageId
        Assert-Attachments $delivered[0] @($Pdf, $Xml)
        $stats = Get-G5TestServerStats -Server $Server
        $stats.tokenRequests.issued | Should -Be 1
        Get-Route $stats 'sendMail' | Should -Be 0 -Because 'SMTP does not go through Graph'
    }

    It 'Test-G5MailServer signs in with XOAUTH2 and reports the token''s permission' {
        Use-Exo -Server $Server -Config $Config -Flow $Flow -Protocol Smtp -SmtpPort $Smtp.SmtpPort
        $result = Test-G5MailServer

        $result.Success | Should -BeTrue -Because ($result.Findings | Where-Object Severity -eq 'Error' | Out-String)
        $result.Authenticated | Should -BeTrue
        $result.AuthenticationMechanisms | Should -Contain 'XOAUTH2'
        $result.TlsProtocol | Should -Not -BeNullOrEmpty
        $result.Endpoint | Should -Match 'STARTTLS required, XOAUTH2'
        $permission = if ($Flow -eq 'ClientSecret') { 'SMTP\.SendAsApp' } else { 'SMTP\.Send' }
        ($result.Findings | Where-Object Code -eq 'TokenAcquired').Message | Should -Match $permission
        ($result.Findings | Where-Object Code -eq 'AuthenticationSucceeded').Message | Should -Match 'XOAUTH2'
        (Get-Delivered $Smtp).Count | Should -Be 0
    }

    if ($Flow -eq 'ClientSecret') {
        It 'a mailbox the app may not send as is refused: AuthenticationFailed says what Exchange needs' {
            # The token names only the sender's mailbox, so the server refuses another one, as Exchange Online refuses a
            # mailbox the service principal has no permission on.
            Use-Exo -Server $Server -Config $Config -Protocol Smtp -SmtpPort $Smtp.SmtpPort -From $Config.users[1].userPrincipalName
            $result = Send-G5Document -Path $Pdf -To 'kund@example.se' -ErrorVariable failures -ErrorAction SilentlyContinue

            $result.Status | Should -Be 'Failed'
            $result.ErrorId | Should -Be 'AuthenticationFailed'
            $failures[0].Exception.Message | Should -Match 'XOAUTH2'
            $failures[0].Exception.Message | Should -Match 'Add-MailboxPermission'
            $failures[0].Exception.Message | Should -Match 'SMTP\.SendAsApp'
        }
    }
}
