#Requires -Version 7.4
# The PowerShell helper for the local Microsoft stand-ins: PKI, start/stop, stats, faults. The servers' own behaviour
# is tested in tests/G5Mail.TestServers.Tests (xunit); here we check what other Pester tests will rely on.

BeforeAll {
    $root = if ($env:G5MAIL_REPO_ROOT) { $env:G5MAIL_REPO_ROOT } else { Split-Path (Split-Path $PSScriptRoot) }
    Import-Module (Join-Path $root 'tests/pester/TestServers.psm1') -Force
    $script:pki = New-G5TestPki -Install
    $script:config = New-G5TestServerConfig
    $script:server = Start-G5TestServer -Config $script:config -Pki $script:pki

    function Get-ChainStatus([string] $CerPath) {
        $cert = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadCertificateFromFile($CerPath)
        $chain = [System.Security.Cryptography.X509Certificates.X509Chain]::new()
        try {
            $chain.ChainPolicy.RevocationMode = 'NoCheck'
            $ok = $chain.Build($cert)
            [pscustomobject]@{ Valid = $ok; Status = @($chain.ChainStatus | ForEach-Object { "$($_.Status)" }) }
        }
        finally { $chain.Dispose(); $cert.Dispose() }
    }

    function Get-Token([string] $Secret) {
        $app = $script:config.apps[0]
        Invoke-RestMethod -Method Post -Uri "$($script:server.BaseUri)/$($script:config.tenants[0].id)/oauth2/v2.0/token" -SkipHttpErrorCheck -StatusCodeVariable status -Body @{
            grant_type = 'client_credentials'; client_id = $app.clientId; client_secret = $Secret; scope = 'https://graph.microsoft.com/.default'
        }
        $script:lastStatus = $status
    }
}

AfterAll {
    if ($script:server) { Stop-G5TestServer -Server $script:server }
    if ($script:pki) { Remove-G5TestPki -Pki $script:pki }
}

Describe 'New-G5TestPki' {
    It 'makes a CA-signed server certificate that validates once the CA is installed' {
        (Get-ChainStatus $pki.Server.CerPath).Valid | Should -BeTrue
        $pki.Installed | Should -BeTrue
        Test-Path $pki.Server.PfxPath | Should -BeTrue
        $pki.Server.Thumbprint | Should -Match '^[0-9A-F]{40}$'
    }

    It 'makes the broken certificates broken in the intended way' {
        (Get-ChainStatus $pki.Expired.CerPath).Status | Should -Contain 'NotTimeValid'
        (Get-ChainStatus $pki.SelfSigned.CerPath).Status | Should -Contain 'UntrustedRoot'
        $wrong = Get-ChainStatus $pki.WrongName.CerPath
        $wrong.Valid | Should -BeTrue  # chain is fine: only the name is wrong
        $pki.WrongName.Subject | Should -Be 'CN=wrong.g5mail.invalid'
        $pki.Expired.NotAfter | Should -BeLessThan (Get-Date)
    }
}

Describe 'Start-G5TestServer' {
    It 'reports a loopback HTTPS base URI whose certificate validates through the installed CA' {
        $server.BaseUri | Should -Match '^https://127\.0\.0\.1:\d+$'
        $server.Process.HasExited | Should -BeFalse
        # No -SkipCertificateCheck: trust comes from CurrentUser\Root.
        $doc = Invoke-RestMethod -Uri "$($server.BaseUri)/$($config.tenants[0].id)/v2.0/.well-known/openid-configuration"
        $doc.issuer | Should -Be "$($server.BaseUri)/$($config.tenants[0].id)/v2.0"
    }

    It 'issues tokens for the generated config and answers a wrong secret with AADSTS7000215' {
        Reset-G5TestServer -Server $server
        (Get-Token $config.apps[0].secrets[0].value).token_type | Should -Be 'Bearer'
        $lastStatus | Should -Be 200
        $err = Get-Token 'not-the-secret'
        $lastStatus | Should -Be 401
        $err.error_codes | Should -Contain 7000215
        $err = Get-Token $config.apps[0].secrets[2].value
        $err.error_codes | Should -Contain 7000222

        $stats = Get-G5TestServerStats -Server $server
        $stats.tokenRequests.total | Should -Be 3
        $stats.tokenRequests.issued | Should -Be 1
    }

    It 'injects a 429 with Retry-After once, then answers normally' {
        Set-G5TestServerFault -Server $server -Path token -Status 429 -RetryAfterSeconds 7 -Count 1 | Out-Null
        $r = Invoke-WebRequest -Method Post -Uri "$($server.BaseUri)/$($config.tenants[0].id)/oauth2/v2.0/token" -SkipHttpErrorCheck -Body @{
            grant_type = 'client_credentials'; client_id = $config.apps[0].clientId; client_secret = $config.apps[0].secrets[0].value; scope = 'https://graph.microsoft.com/.default'
        }
        $r.StatusCode | Should -Be 429
        $r.Headers['Retry-After'] | Should -Be '7'
        (Get-Token $config.apps[0].secrets[0].value).access_token | Should -Not -BeNullOrEmpty
        (Get-G5TestServerStats -Server $server).faultsInjected | Should -Be 1
    }

    It 'fails fast with the reason when the config is broken' {
        { Start-G5TestServer -Config @{ tenants = @(); apps = @(@{ clientId = [guid]::NewGuid().ToString(); tenant = 'nowhere.test' }) } -Pki $pki -TimeoutSeconds 20 } |
            Should -Throw -ExpectedMessage "*tenant 'nowhere.test' is not in tenants*"
    }

    It 'stops the process and keeps no secret in its log' {
        $other = Start-G5TestServer -Config $config -Pki $pki
        Invoke-RestMethod -Method Post -Uri "$($other.BaseUri)/$($config.tenants[0].id)/oauth2/v2.0/token" -SkipHttpErrorCheck -Body @{
            grant_type = 'password'; client_id = $config.apps[1].clientId; username = $config.users[0].userPrincipalName; password = $config.users[0].password
            scope = 'https://graph.microsoft.com/Mail.Send'
        } | Out-Null
        Stop-G5TestServer -Server $other
        $other.Process.HasExited | Should -BeTrue
        $log = Get-Content -Raw $other.LogPath
        $log | Should -Match 'token -> 200'
        $log | Should -Not -Match ([regex]::Escape($config.users[0].password))
    }
}
