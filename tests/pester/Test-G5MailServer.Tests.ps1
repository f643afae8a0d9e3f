using namespace System.Security.Cryptography
using namespace System.Security.Cryptography.X509Certificates

# Test-G5MailServer against real servers on loopback: smtp4dev in each TLS mode with certificates made here
# (a test CA trusted only while a block needs it), a closed port and a listener that never speaks.
# Each smtp4dev variant starts once per Describe; every It asserts the finding code it is about.

BeforeAll {
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ConfigDir = New-TestConfigDir
    $env:G5MAIL_CONFIG_DIR = $script:ConfigDir
    # A sender, so the settings validation (which Test-G5MailServer reports first) has only the server to judge.
    Set-G5MailSetting -Scope System -From 'sender@example.com' -WarningAction SilentlyContinue
    $script:CertDir = Join-Path $script:ConfigDir 'certs'
    New-Item -ItemType Directory -Path $script:CertDir | Out-Null

    # The password must show up nowhere; something unusual so a match cannot be a coincidence.
    $script:Password = 'Pw-' + [guid]::NewGuid().ToString('N').Substring(0, 12) + '!x'
    $script:PfxPassword = 'pfx-' + [guid]::NewGuid().ToString('N')
    $script:UserName = 'g5test'
    $script:RightCredential = [pscredential]::new($UserName, (ConvertTo-SecureString $Password -AsPlainText -Force))
    $script:WrongPassword = 'Wrong-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
    $script:WrongCredential = [pscredential]::new($UserName, (ConvertTo-SecureString $WrongPassword -AsPlainText -Force))

    # --- A small PKI (New-SelfSignedCertificate does not exist on Linux; CertificateRequest works everywhere) ---
    function New-TestCertificate {
        param(
            [string] $Subject,
            [X509Certificate2] $Issuer,
            [string[]] $DnsName = @(),
            [string[]] $IpAddress = @(),
            [DateTimeOffset] $NotBefore = [DateTimeOffset]::UtcNow.AddDays(-1),
            [DateTimeOffset] $NotAfter = [DateTimeOffset]::UtcNow.AddYears(1),
            [switch] $CertificateAuthority
        )
        $key = [RSA]::Create(2048)
        $request = [CertificateRequest]::new("CN=$Subject", $key, [HashAlgorithmName]::SHA256, [RSASignaturePadding]::Pkcs1)
        if ($CertificateAuthority) {
            $request.CertificateExtensions.Add([X509BasicConstraintsExtension]::new($true, $false, 0, $true))
            $request.CertificateExtensions.Add([X509KeyUsageExtension]::new([X509KeyUsageFlags]'KeyCertSign, CrlSign', $true))
            $request.CertificateExtensions.Add([X509SubjectKeyIdentifierExtension]::new($request.PublicKey, $false))
        }
        else {
            $request.CertificateExtensions.Add([X509BasicConstraintsExtension]::new($false, $false, 0, $true))
            $request.CertificateExtensions.Add([X509KeyUsageExtension]::new([X509KeyUsageFlags]'DigitalSignature, KeyEncipherment', $true))
            $usages = [OidCollection]::new()
            [void] $usages.Add([Oid]::new('1.3.6.1.5.5.7.3.1')) # server authentication
            $request.CertificateExtensions.Add([X509EnhancedKeyUsageExtension]::new($usages, $false))
            $names = [SubjectAlternativeNameBuilder]::new()
            foreach ($n in $DnsName) { $names.AddDnsName($n) }
            foreach ($a in $IpAddress) { $names.AddIpAddress([Net.IPAddress]::Parse($a)) }
            $request.CertificateExtensions.Add($names.Build())
        }
        if ($Issuer) {
            $serial = [byte[]]::new(16)
            [RandomNumberGenerator]::Fill($serial)
            $serial[0] = $serial[0] -band 0x7F
            $signed = $request.Create($Issuer, $NotBefore, $NotAfter, $serial)
            [RSACertificateExtensions]::CopyWithPrivateKey($signed, $key)
        }
        else {
            $request.CreateSelfSigned($NotBefore, $NotAfter)
        }
    }

    function Export-TestPfx {
        param([X509Certificate2] $Certificate, [string] $Name)
        $path = Join-Path $script:CertDir "$Name.pfx"
        [IO.File]::WriteAllBytes($path, $Certificate.Export([X509ContentType]::Pfx, $script:PfxPassword))
        $path
    }

    # The CA outlives every certificate it signs, including the expired one.
    $script:Ca = New-TestCertificate -Subject "G5Mail Test CA $([guid]::NewGuid().ToString('N').Substring(0, 8))" -CertificateAuthority `
        -NotBefore ([DateTimeOffset]::UtcNow.AddDays(-400)) -NotAfter ([DateTimeOffset]::UtcNow.AddYears(2))
    $script:CaPublic = [X509Certificate2]::new($script:Ca.RawData)

    # CurrentUser\Root: .NET trusts it for chain building on Linux too. Only while a block needs the CA.
    function Install-TestCa {
        $store = [X509Store]::new([StoreName]::Root, [StoreLocation]::CurrentUser)
        $store.Open([OpenFlags]::ReadWrite)
        try { $store.Add($script:CaPublic) } finally { $store.Close() }
    }
    function Remove-TestCa {
        $store = [X509Store]::new([StoreName]::Root, [StoreLocation]::CurrentUser)
        $store.Open([OpenFlags]::ReadWrite)
        try { $store.Remove($script:CaPublic) } finally { $store.Close() }
    }

    function Get-Code { param($Result) @($Result.Findings | ForEach-Object Code) }
    function Get-Finding { param($Result, [string] $Code) $Result.Findings | Where-Object Code -EQ $Code }
}

AfterAll {
    Remove-TestCa
    Remove-Item $script:ConfigDir -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item Env:\G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
}

Describe 'Test-G5MailServer: the call itself' {
    It 'declares both output types' {
        $types = (Get-Command Test-G5MailServer).OutputType.Name
        $types | Should -Contain 'G5Mail.ServerTestResult'
        $types | Should -Contain 'System.Boolean'
    }

    It 'reports MethodMissing (once) when no method is given or configured' {
        $r = Test-G5MailServer -Server 127.0.0.1
        $r.Success | Should -BeFalse
        Get-Code $r | Should -Be @('MethodMissing')
    }

    It 'reports ServerMissing (once) for Smtp without a server, without connecting' {
        $r = Test-G5MailServer -Method Smtp
        Get-Code $r | Should -Be @('ServerMissing')
        $r.Reachable | Should -BeFalse
    }

    It 'reports MethodNotSupported for a method this build cannot test' {
        $r = Test-G5MailServer -Method Outlook
        Get-Code $r | Should -Contain 'MethodNotSupported'
        (Get-Finding $r MethodNotSupported).Setting | Should -Be 'Method'
    }

    It 'rejects a port outside 0-65535 and a zero timeout' {
        { Test-G5MailServer -Method Smtp -Server x -Port 70000 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,G5Mail.TestG5MailServerCommand'
        { Test-G5MailServer -Method Smtp -Server x -TimeoutSeconds 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,G5Mail.TestG5MailServerCommand'
    }
}

Describe 'Test-G5MailServer: no server there' {
    It 'reports ConnectionRefused for a closed port' {
        $port = Get-FreeTcpPort
        $r = Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $port
        Get-Code $r | Should -Contain 'ConnectionRefused'
        $r.Reachable | Should -BeFalse
        $r.Success | Should -BeFalse
        (Get-Finding $r ConnectionRefused).Message | Should -BeLike "*127.0.0.1:$port refused*"
    }

    It 'reports ConnectionTimeout within the bound for a listener that never speaks' {
        # Listening without ever accepting: the kernel completes the TCP handshake, nobody says a word.
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $r = Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $listener.LocalEndpoint.Port -TimeoutSeconds 2
            $watch.Stop()
        }
        finally { $listener.Stop() }
        Get-Code $r | Should -Contain 'ConnectionTimeout'
        Get-Code $r | Should -Not -Contain 'PlainExpectedButTls'
        $r.Reachable | Should -BeTrue
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1.8
    }
}

Describe 'Test-G5MailServer: plain SMTP server (smtp4dev, small --maxmessagesize)' {
    BeforeAll {
        $script:Plain = Start-Smtp4Dev -TlsMode None -MaxMessageSize 1000000
        $script:PlainResult = Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $Plain.SmtpPort
    }
    AfterAll { Stop-Smtp4Dev $script:Plain }

    It 'returns one G5Mail.ServerTestResult with the session details' {
        $r = $PlainResult
        $r | Should -HaveCount 1
        $r.GetType().FullName | Should -Be 'G5Mail.ServerTestResult'
        $r.Method | Should -Be 'Smtp'
        $r.Server | Should -Be '127.0.0.1'
        $r.Port | Should -Be $Plain.SmtpPort
        $r.Endpoint | Should -Be "127.0.0.1:$($Plain.SmtpPort), STARTTLS if offered"
        $r.Reachable | Should -BeTrue
        $r.LatencyMs | Should -BeGreaterOrEqual 0
        $r.TlsProtocol | Should -BeNullOrEmpty
        $r.CertificateThumbprint | Should -BeNullOrEmpty
        $r.Capabilities | Should -Contain '8BITMIME'
        $r.AuthenticationMechanisms | Should -Contain 'PLAIN'
        $r.Authenticated | Should -BeNullOrEmpty
    }

    It 'warns with TlsNotOffered' {
        (Get-Finding $PlainResult TlsNotOffered).Severity | Should -Be 'Warning'
    }

    It 'reports ServerSizeTooSmall with the numbers behind it' {
        $PlainResult.MaxMessageSize | Should -Be 1000000
        $f = Get-Finding $PlainResult ServerSizeTooSmall
        $f.Severity | Should -Be 'Error'
        $f.Setting | Should -Be 'MaxAttachmentSizeMB'
        $f.Message | Should -BeLike '*up to 1,000,000 bytes*'
        $f.Message | Should -BeLike '*10,485,760 bytes of files become 13,981,016 bytes of base64*'
        $PlainResult.Success | Should -BeFalse
    }

    It '-Quiet returns only $false' {
        $out = @(Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $Plain.SmtpPort -Quiet)
        $out | Should -HaveCount 1
        $out[0] | Should -BeOfType [bool]
        $out[0] | Should -BeFalse
    }

    It 'reports StartTlsNotOffered with -UseSsl, and signs in with nothing' {
        $r = Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $Plain.SmtpPort -UseSsl -Credential $RightCredential
        $r.Endpoint | Should -BeLike '*STARTTLS required'
        Get-Code $r | Should -Contain 'StartTlsNotOffered'
        (Get-Finding $r StartTlsNotOffered).Setting | Should -Be 'UseSsl'
        $r.Authenticated | Should -BeNullOrEmpty
    }
}

Describe 'Test-G5MailServer: plain SMTP server on port 465' {
    BeforeAll {
        $script:Address465 = Get-Loopback465
        if ($Address465) { $script:Plain465 = Start-Smtp4Dev -TlsMode None -SmtpPort 465 -BindAddress $Address465 }
    }
    AfterAll { Stop-Smtp4Dev $script:Plain465 }

    It 'reports TlsExpectedButPlain for UseSsl on 465' {
        if (-not $Address465) { Set-ItResult -Skipped -Because 'port 465 cannot be bound here (needs root or CAP_NET_BIND_SERVICE on Linux)'; return }
        $r = Test-G5MailServer -Method Smtp -Server $Address465 -Port 465 -UseSsl
        $r.Endpoint | Should -Be "${Address465}:465, TLS on connect"
        Get-Code $r | Should -Contain 'TlsExpectedButPlain'
        (Get-Finding $r TlsExpectedButPlain).Message | Should -BeLike '*587 with STARTTLS*'
        $r.Success | Should -BeFalse
    }
}

Describe 'Test-G5MailServer: STARTTLS (smtp4dev, authentication required)' {
    BeforeAll {
        $script:StartTlsCert = New-TestCertificate -Subject 'localhost' -Issuer $Ca -DnsName localhost -IpAddress 127.0.0.1
        $pfx = Export-TestPfx $StartTlsCert 'starttls'
        $script:StartTls = Start-Smtp4Dev -TlsMode StartTls -CertificatePath $pfx -CertificatePassword $PfxPassword `
            -User "$UserName=$Password" -AuthenticationRequired -ExtraArguments '--smtpallowanycredentials-'
        # smtp4dev accepts any password unless told otherwise ("--smtpallowanycredentials-" turns that off).
        $script:StartTlsArgs = @{ Method = 'Smtp'; Server = '127.0.0.1'; Port = $StartTls.SmtpPort; UseSsl = $true }
    }
    AfterAll { Stop-Smtp4Dev $script:StartTls }

    Context 'the CA is not trusted on this computer' {
        It 'reports CertificateUntrusted and the thumbprint to pin' {
            $r = Test-G5MailServer @StartTlsArgs -Credential $RightCredential
            Get-Code $r | Should -Contain 'CertificateUntrusted'
            Get-Code $r | Should -Not -Contain 'CertificateExpired'
            Get-Code $r | Should -Not -Contain 'CertificateNameMismatch'
            $r.CertificateThumbprint | Should -Be $StartTlsCert.Thumbprint
            $r.CertificateValid | Should -BeFalse
            $r.CertificateIssuer | Should -Be $Ca.Subject
            (Get-Finding $r CertificateUntrusted).Message | Should -BeLike "*-CertificateThumbprint $($StartTlsCert.Thumbprint)*"
            $r.Authenticated | Should -BeNullOrEmpty
        }
    }

    Context 'the CA is trusted' {
        BeforeAll { Install-TestCa }
        AfterAll { Remove-TestCa }

        It 'succeeds and signs in with the right credential' {
            $r = Test-G5MailServer @StartTlsArgs -Credential $RightCredential
            $r.Success | Should -BeTrue -Because ($r.Findings | Out-String)
            $r.Authenticated | Should -BeTrue
            Get-Code $r | Should -Contain 'AuthenticationSucceeded'
            Get-Code $r | Should -Contain 'TlsEstablished'
            $r.TlsProtocol | Should -Match '^TLS 1\.[23]$'
            $r.CertificateValid | Should -BeTrue
            $r.CertificateSubject | Should -Be 'CN=localhost'
            $r.CertificateThumbprint | Should -Be $StartTlsCert.Thumbprint
            $r.CertificateNotAfter | Should -BeOfType [datetime]
            $r.AuthenticationMechanisms | Should -Contain 'PLAIN'
        }

        It 'reports AuthenticationRejected for a wrong password' {
            $r = Test-G5MailServer @StartTlsArgs -Credential $WrongCredential
            $r.Success | Should -BeFalse
            $r.Authenticated | Should -BeFalse
            $f = Get-Finding $r AuthenticationRejected
            $f.Setting | Should -Be 'Credential'
            $f.Message | Should -BeLike "*'$UserName'*"
        }

        It 'reports AuthenticationSkipped with -SkipAuthentication' {
            $r = Test-G5MailServer @StartTlsArgs -Credential $RightCredential -SkipAuthentication
            Get-Code $r | Should -Contain 'AuthenticationSkipped'
            $r.Authenticated | Should -BeNullOrEmpty
            $r.Success | Should -BeTrue
        }

        It '-Quiet returns only $true' {
            $out = @(Test-G5MailServer @StartTlsArgs -Credential $RightCredential -Quiet)
            $out | Should -HaveCount 1
            $out[0] | Should -BeTrue
        }

        It 'shows the password in no output stream and not in $Error' {
            $Error.Clear()
            $text = & {
                Test-G5MailServer @StartTlsArgs -Credential $WrongCredential -Verbose -Debug
                Test-G5MailServer @StartTlsArgs -Credential $RightCredential -Verbose -Debug
                Test-G5MailServer @StartTlsArgs -Credential $RightCredential -Verbose -Port (Get-FreeTcpPort)
                Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $StartTls.SmtpPort -Credential $WrongCredential -Verbose
            } *>&1 | ForEach-Object { $_; if ($_ -is [G5Mail.ServerTestResult]) { $_ | Format-List * | Out-String; $_.Findings | Out-String -Width 400 } } |
                Out-String -Width 400
            $errors = ($Error | Out-String) + ($Error | ForEach-Object { $_.Exception.ToString() } | Out-String)
            $text | Should -Match 'AuthenticationRejected'
            $text | Should -Match 'Information Connected: Connected to' # the verbose stream was captured too
            foreach ($secret in $Password, $WrongPassword,
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Password)),
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("`0$UserName`0$Password")),
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("`0$UserName`0$WrongPassword"))) {
                $text | Should -Not -Match ([regex]::Escape($secret))
                $errors | Should -Not -Match ([regex]::Escape($secret))
            }
        }
    }
}

Describe 'Test-G5MailServer: STARTTLS with an expired certificate' {
    BeforeAll {
        $script:ExpiredCert = New-TestCertificate -Subject 'localhost' -Issuer $Ca -DnsName localhost -IpAddress 127.0.0.1 `
            -NotBefore ([DateTimeOffset]::UtcNow.AddDays(-90)) -NotAfter ([DateTimeOffset]::UtcNow.AddDays(-2))
        $script:Expired = Start-Smtp4Dev -TlsMode StartTls -CertificatePath (Export-TestPfx $ExpiredCert 'expired') -CertificatePassword $PfxPassword
        Install-TestCa
    }
    AfterAll { Remove-TestCa; Stop-Smtp4Dev $script:Expired }

    It 'reports CertificateExpired with the date and the thumbprint' {
        $r = Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $Expired.SmtpPort -UseSsl
        Get-Code $r | Should -Contain 'CertificateExpired'
        Get-Code $r | Should -Not -Contain 'CertificateUntrusted'
        $f = Get-Finding $r CertificateExpired
        $f.Message | Should -BeLike "*expired on $($ExpiredCert.NotAfter.ToUniversalTime().ToString('yyyy-MM-dd'))*"
        $f.Message | Should -BeLike "*$($ExpiredCert.Thumbprint)*"
        $r.CertificateThumbprint | Should -Be $ExpiredCert.Thumbprint
        $r.Success | Should -BeFalse
    }
}

Describe 'Test-G5MailServer: STARTTLS with a certificate for another name' {
    BeforeAll {
        $script:WrongNameCert = New-TestCertificate -Subject 'mail.example.invalid' -Issuer $Ca -DnsName 'mail.example.invalid'
        $script:WrongName = Start-Smtp4Dev -TlsMode StartTls -CertificatePath (Export-TestPfx $WrongNameCert 'wrongname') -CertificatePassword $PfxPassword
        Install-TestCa
    }
    AfterAll { Remove-TestCa; Stop-Smtp4Dev $script:WrongName }

    It 'reports CertificateNameMismatch naming the certificate''s name' {
        $r = Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $WrongName.SmtpPort -UseSsl
        Get-Code $r | Should -Contain 'CertificateNameMismatch'
        Get-Code $r | Should -Not -Contain 'CertificateUntrusted'
        $f = Get-Finding $r CertificateNameMismatch
        $f.Setting | Should -Be 'Server'
        $f.Message | Should -BeLike '*mail.example.invalid*'
        $f.Message | Should -BeLike "*-CertificateThumbprint $($WrongNameCert.Thumbprint)*"
    }
}

Describe 'Test-G5MailServer: TLS on connect (smtp4dev on port 465)' {
    BeforeAll {
        $script:Address465 = Get-Loopback465
        if ($Address465) {
            $script:ImplicitCert = New-TestCertificate -Subject $Address465 -Issuer $Ca -IpAddress $Address465
            $script:Implicit = Start-Smtp4Dev -TlsMode ImplicitTls -SmtpPort 465 -BindAddress $Address465 `
                -CertificatePath (Export-TestPfx $ImplicitCert 'implicit') -CertificatePassword $PfxPassword
        }
    }
    AfterAll { Stop-Smtp4Dev $script:Implicit }

    Context 'the CA is not trusted on this computer' {
        It 'reports CertificateUntrusted' {
            if (-not $Address465) { Set-ItResult -Skipped -Because 'port 465 cannot be bound here (needs root or CAP_NET_BIND_SERVICE on Linux)'; return }
            $r = Test-G5MailServer -Method Smtp -Server $Address465 -Port 465
            $r.Endpoint | Should -Be "${Address465}:465, TLS on connect"
            Get-Code $r | Should -Contain 'CertificateUntrusted'
            $r.CertificateThumbprint | Should -Be $ImplicitCert.Thumbprint
            $r.TlsProtocol | Should -BeNullOrEmpty
        }
    }

    Context 'the CA is trusted' {
        BeforeAll { Install-TestCa }
        AfterAll { Remove-TestCa }

        It 'succeeds with TLS from the first byte' {
            if (-not $Address465) { Set-ItResult -Skipped -Because 'port 465 cannot be bound here (needs root or CAP_NET_BIND_SERVICE on Linux)'; return }
            $r = Test-G5MailServer -Method Smtp -Server $Address465 -Port 465 -UseSsl
            $r.Success | Should -BeTrue -Because ($r.Findings | Out-String)
            $r.TlsProtocol | Should -Match '^TLS 1\.[23]$'
            $r.CertificateValid | Should -BeTrue
            (Get-Finding $r TlsEstablished).Message | Should -BeLike '*on connect*'
        }
    }
}

Describe 'Test-G5MailServer: TLS on connect (465) with an expired certificate' {
    BeforeAll {
        $script:Address465 = Get-Loopback465
        if ($Address465) {
            $script:ImplicitExpiredCert = New-TestCertificate -Subject $Address465 -Issuer $Ca -IpAddress $Address465 `
                -NotBefore ([DateTimeOffset]::UtcNow.AddDays(-90)) -NotAfter ([DateTimeOffset]::UtcNow.AddDays(-1))
            $script:ImplicitExpired = Start-Smtp4Dev -TlsMode ImplicitTls -SmtpPort 465 -BindAddress $Address465 `
                -CertificatePath (Export-TestPfx $ImplicitExpiredCert 'implicit-expired') -CertificatePassword $PfxPassword
            Install-TestCa
        }
    }
    AfterAll { Remove-TestCa; Stop-Smtp4Dev $script:ImplicitExpired }

    It 'reports CertificateExpired' {
        if (-not $Address465) { Set-ItResult -Skipped -Because 'port 465 cannot be bound here (needs root or CAP_NET_BIND_SERVICE on Linux)'; return }
        $r = Test-G5MailServer -Method Smtp -Server $Address465 -Port 465 -UseSsl
        Get-Code $r | Should -Contain 'CertificateExpired'
        Get-Code $r | Should -Not -Contain 'CertificateUntrusted'
        $r.CertificateThumbprint | Should -Be $ImplicitExpiredCert.Thumbprint
        $r.Success | Should -BeFalse
    }
}

Describe 'Test-G5MailServer: TLS on connect (465) with a certificate for another name' {
    BeforeAll {
        $script:Address465 = Get-Loopback465
        if ($Address465) {
            $script:ImplicitWrongNameCert = New-TestCertificate -Subject 'smtp.example.invalid' -Issuer $Ca -DnsName 'smtp.example.invalid'
            $script:ImplicitWrongName = Start-Smtp4Dev -TlsMode ImplicitTls -SmtpPort 465 -BindAddress $Address465 `
                -CertificatePath (Export-TestPfx $ImplicitWrongNameCert 'implicit-wrongname') -CertificatePassword $PfxPassword
            Install-TestCa
        }
    }
    AfterAll { Remove-TestCa; Stop-Smtp4Dev $script:ImplicitWrongName }

    It 'reports CertificateNameMismatch' {
        if (-not $Address465) { Set-ItResult -Skipped -Because 'port 465 cannot be bound here (needs root or CAP_NET_BIND_SERVICE on Linux)'; return }
        $r = Test-G5MailServer -Method Smtp -Server $Address465 -Port 465 -UseSsl
        Get-Code $r | Should -Contain 'CertificateNameMismatch'
        Get-Code $r | Should -Not -Contain 'CertificateUntrusted'
        (Get-Finding $r CertificateNameMismatch).Message | Should -BeLike "*smtp.example.invalid*not for '$Address465'*"
    }
}
