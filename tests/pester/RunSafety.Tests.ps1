using namespace System.Security.Cryptography
using namespace System.Security.Cryptography.X509Certificates

# What a failing account or server costs a scheduled Send-G5Document run, against the test SMTP server with faults armed
# (tests/G5Mail.TestSmtp, loaded into this process), which counts the logins it saw: one failed login per run
# whatever the documents and connections, a silent relay given up after one message's retries, TLS on connect found on
# any port. Prints the figures (failed logins, seconds).
BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    Import-TestSmtpServer

    $script:Docs = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-runsafety-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Docs | Out-Null
    $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
    Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -From 'order@olbryggeriet.example' -WarningAction SilentlyContinue

    $script:Password = 'Rätt-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
    $script:Expired = 'Gammalt-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
    $script:Right = [pscredential]::new('faktura', (ConvertTo-SecureString $script:Password -AsPlainText -Force))
    $script:Wrong = [pscredential]::new('faktura', (ConvertTo-SecureString $script:Expired -AsPlainText -Force))

    # Twenty invoices, each to its own customer.
    $script:Invoices = foreach ($i in 1..20) {
        $pdf = New-TestPdf -Path (Join-Path $script:Docs "30$('{0:D2}' -f $i).pdf") -Lines "Faktura 30$('{0:D2}' -f $i)"
        [pscustomobject] @{ Path = $pdf.FullName; To = "kund$i@example.se" }
    }

    function script:New-FaultServer {
        param([switch] $WithAccount)
        $server = [G5Mail.TestSmtp.TestSmtpServer]::Start()
        if ($WithAccount) { $server.Account = [Net.NetworkCredential]::new('faktura', $script:Password) }
        Set-G5MailSetting -Scope System -Port $server.Port -WarningAction SilentlyContinue
        $server
    }

    # A self-signed server certificate for 127.0.0.1 (CertificateRequest works on every OS), pinned by the settings.
    function script:New-ServerCertificate {
        $key = [RSA]::Create(2048)
        $request = [CertificateRequest]::new('CN=G5Mail run-safety test', $key, [HashAlgorithmName]::SHA256, [RSASignaturePadding]::Pkcs1)
        $names = [SubjectAlternativeNameBuilder]::new()
        $names.AddIpAddress([Net.IPAddress]::Loopback)
        $names.AddDnsName('localhost')
        $request.CertificateExtensions.Add($names.Build())
        $created = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(7))
        [X509CertificateLoader]::LoadPkcs12($created.Export([X509ContentType]::Pfx, 'x'), 'x')
    }
}

AfterAll {
    Remove-Item $script:Docs -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item $env:G5MAIL_CONFIG_DIR -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'A rejected password costs one failed login per run' {
    It 'sends 20 documents with an expired password: one failed login at the server, 19 NotAttempted, journaled as failed, and the rerun sends all 20' {
        $server = New-FaultServer -WithAccount
        try {
            $journal = Join-Path $script:Docs 'lockout.jsonl'
            $errors = $null
            $results = @($script:Invoices | Send-G5Document -Credential $script:Wrong -JournalPath $journal -RetryDelaySeconds 0 `
                    -ErrorAction SilentlyContinue -ErrorVariable errors -WarningVariable warnings -WarningAction SilentlyContinue)
            Write-Host "  20 documents, wrong password: $($server.FailedLogins) failed login(s) at the server ($($server.Logins -join '; '))"

            $server.FailedLogins | Should -Be 1
            $server.Sessions | Should -Be 1
            $results.Count | Should -Be 20
            $results.Status | Sort-Object -Unique | Should -Be 'Failed'
            @($results | Where-Object Reason -eq 'NotAttempted').Count | Should -Be 19
            $results[0].Reason | Should -BeNullOrEmpty
            @($errors).Count | Should -Be 20
            $errors.FullyQualifiedErrorId | ForEach-Object { $_ | Should -BeLike 'AuthenticationFailed*' }
            ($errors.Exception.Message -join ' ') | Should -Not -Match ([regex]::Escape($script:Expired))
            ($warnings -join ' ') | Should -Match 'NotAttempted'
            $server.Accepted.Count | Should -Be 0

            # The journal says failed for all 20, so the same command with the right password sends every one.
            $records = Get-Content $journal | ForEach-Object { $_ | ConvertFrom-Json }
            @($records | Where-Object status -eq 'Failed').Count | Should -Be 20
            $rerun = @($script:Invoices | Send-G5Document -Credential $script:Right -JournalPath $journal -WarningAction SilentlyContinue)
            @($rerun | Where-Object Status -eq 'Sent').Count | Should -Be 20
            $server.Accepted.Count | Should -Be 20
            $server.FailedLogins | Should -Be 1
        }
        finally { $server.Dispose() }
    }

    It 'does not multiply the failed login with -ThrottleLimit 4' {
        $server = New-FaultServer -WithAccount
        try {
            $results = @($script:Invoices | Send-G5Document -Credential $script:Wrong -ThrottleLimit 4 -RetryDelaySeconds 0 `
                    -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
            Write-Host "  20 documents, wrong password, -ThrottleLimit 4: $($server.FailedLogins) failed login(s), $($server.Sessions) connection(s)"
            $server.FailedLogins | Should -Be 1
            $server.Sessions | Should -Be 1
            @($results | Where-Object Reason -eq 'NotAttempted').Count | Should -Be 19
        }
        finally { $server.Dispose() }
    }

    It 'keeps the domain of a DOMAIN\user credential and signs in with one mechanism' {
        $server = New-FaultServer
        try {
            $server.Account = [Net.NetworkCredential]::new('OLBRYGGERIET\faktura', $script:Password)
            $domainUser = [pscredential]::new('OLBRYGGERIET\faktura', (ConvertTo-SecureString $script:Password -AsPlainText -Force))
            $result = $script:Invoices[0] | Send-G5Document -Credential $domainUser
            $result.Status | Should -Be 'Sent'
            $server.Logins | Should -Be @('PLAIN OLBRYGGERIET\faktura ok')
        }
        finally { $server.Dispose() }
    }
}

Describe 'A relay that never answers costs one message, not the run' {
    It 'ends 10 documents against a silent relay with TimeoutSeconds 5 and -RetryCount 2 in under 40 s, all Failed and accounted for' {
        $server = New-FaultServer
        $server.Silent = $true
        try {
            $journal = Join-Path $script:Docs 'silent.jsonl'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $results = @($script:Invoices | Select-Object -First 10 |
                    Send-G5Document -TimeoutSeconds 5 -RetryCount 2 -JournalPath $journal -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
            $watch.Stop()
            Write-Host ("  10 documents against a silent relay (TimeoutSeconds 5, -RetryCount 2): {0:0.0} s, {1} connection(s)" -f $watch.Elapsed.TotalSeconds, $server.Sessions)

            # The issue's own bound: three attempts of 5 s and two backoffs of at most 2 and 4 s, then nothing.
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 40
            $results.Count | Should -Be 10
            $results.Status | Sort-Object -Unique | Should -Be 'Failed'
            @($results | Where-Object Reason -eq 'ServerUnavailable').Count | Should -Be 9
            $server.Sessions | Should -Be 3
            $results[0].Error | Should -Match 'did not answer'
            @(Get-Content $journal | ForEach-Object { $_ | ConvertFrom-Json } | Where-Object status -eq 'Failed').Count | Should -Be 10
        }
        finally { $server.Dispose() }
    }

    It 'stores TimeoutSeconds as a setting, validates its range and applies it' {
        Set-G5MailSetting -Scope System -TimeoutSeconds 7 -WarningAction SilentlyContinue
        (Get-G5MailSetting).TimeoutSeconds | Should -Be 7
        (Get-G5MailSetting).Source.TimeoutSeconds | Should -Be 'System'
        { Set-G5MailSetting -Scope System -TimeoutSeconds 0 } | Should -Throw
        { Set-G5MailSetting -Scope System -TimeoutSeconds 601 } | Should -Throw
        { Send-G5Document -Path $script:Invoices[0].Path -To a@example.se -TimeoutSeconds 0 } | Should -Throw
        Set-G5MailSetting -Scope System -Clear TimeoutSeconds -WarningAction SilentlyContinue
        (Get-G5MailSetting).TimeoutSeconds | Should -Be 30
    }
}

Describe 'UseSsl on a port that wants TLS from the first byte' {
    BeforeAll {
        $script:Certificate = New-ServerCertificate
        $script:TlsServer = New-FaultServer -WithAccount
        $script:TlsServer.TlsCertificate = $script:Certificate
        Set-G5MailSetting -Scope System -UseSsl -CertificateThumbprint $script:Certificate.Thumbprint -Credential $script:Right -WarningAction SilentlyContinue
    }

    AfterAll {
        $script:TlsServer.Dispose()
        Set-G5MailSetting -Scope System -UseSsl:$false -Clear CertificateThumbprint, Credential -WarningAction SilentlyContinue
    }

    It 'sends over TLS on connect on a random port and warns once for the run' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $results = @($script:Invoices | Select-Object -First 3 | Send-G5Document -WarningVariable warnings -WarningAction SilentlyContinue)
        $watch.Stop()
        Write-Host ("  3 documents, UseSsl on port {0} that wants TLS on connect: {1:0.0} s" -f $script:TlsServer.Port, $watch.Elapsed.TotalSeconds)
        $results.Status | Should -Be @('Sent', 'Sent', 'Sent')
        @($warnings | Where-Object { "$_" -match 'wants TLS from the first byte' }).Count | Should -Be 1
        @($script:TlsServer.Events | Where-Object { $_ -match 'TLS on connect' }).Count | Should -BeGreaterOrEqual 1
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
    }

    It 'is tested by Test-G5MailServer over TLS, with the port advice as a warning' {
        $r = Test-G5MailServer -TimeoutSeconds 10
        $r.Success | Should -BeTrue
        $r.TlsProtocol | Should -Not -BeNullOrEmpty
        $r.CertificateThumbprint | Should -Be $script:Certificate.Thumbprint
        $r.Authenticated | Should -BeTrue
        $r.AuthenticationMechanisms | Should -Contain 'PLAIN'
        $finding = $r.Findings | Where-Object Code -eq 'PlainExpectedButTls'
        $finding.Severity | Should -Be 'Warning'
        $finding.Message | Should -Match '465'
    }
}
