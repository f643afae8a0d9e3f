#Requires -Version 7.4
<#
    Test-side helpers for the local Microsoft stand-ins (tests/G5Mail.TestServers): a throw-away PKI, and start/stop/
    control of the server process. Used by the Pester tests (and later benchmarks and the EWS tests).

        Import-Module "$env:G5MAIL_REPO_ROOT/tests/pester/TestServers.psm1" -Force
        $pki    = New-G5TestPki -Install                       # CA into CurrentUser\Root (Linux: ~/.dotnet/corefx/...)
        $config = New-G5TestServerConfig -SmtpPort 2525         # or build the hashtable yourself (schema: see the report / TestServerConfig.cs)
        $server = Start-G5TestServer -Config $config -Pki $pki
        ... $server.BaseUri is both AuthorityHost and GraphEndpoint ...
        Get-G5TestServerStats -Server $server
        Stop-G5TestServer -Server $server
        Remove-G5TestPki -Pki $pki

    The configuration (with client secrets and passwords) goes to the server on standard input, never into a file.
#>

Set-StrictMode -Version 3.0

$script:ReadyPrefix = 'G5MAIL-TESTSERVER-READY'

#region PKI

function New-TestCertificate {
    # One RSA certificate, signed by $Issuer or self-signed; written as PFX (with key, no password) and CER.
    param(
        [string] $Name,
        [string] $Folder,
        [string] $Subject,
        [string[]] $DnsNames = @(),
        [string[]] $IpAddresses = @(),
        [datetimeoffset] $NotBefore,
        [datetimeoffset] $NotAfter,
        [System.Security.Cryptography.X509Certificates.X509Certificate2] $Issuer,
        [switch] $CertificateAuthority
    )
    $key = [System.Security.Cryptography.RSA]::Create(2048)
    try {
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new(
            $Subject, $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $ext = $request.CertificateExtensions
        if ($CertificateAuthority) {
            $ext.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
            $ext.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new(
                    [System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]'KeyCertSign, CrlSign', $true))
        }
        else {
            $ext.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($false, $false, 0, $false))
            $ext.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new(
                    [System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]'DigitalSignature, KeyEncipherment', $true))
            $eku = [System.Security.Cryptography.OidCollection]::new()
            [void] $eku.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.1')) # serverAuth
            $ext.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($eku, $false))
            $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
            foreach ($d in $DnsNames) { $san.AddDnsName($d) }
            foreach ($i in $IpAddresses) { $san.AddIpAddress([System.Net.IPAddress]::Parse($i)) }
            $ext.Add($san.Build())
        }
        $ext.Add([System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension]::new($request.PublicKey, $false))

        if ($Issuer) {
            $ext.Add([System.Security.Cryptography.X509Certificates.X509AuthorityKeyIdentifierExtension]::CreateFromCertificate($Issuer, $true, $false))
            $serial = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16)
            $serial[0] = $serial[0] -band 0x7F
            $signed = $request.Create($Issuer, $NotBefore, $NotAfter, $serial)
            $cert = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::CopyWithPrivateKey($signed, $key)
            $signed.Dispose()
        }
        else {
            $cert = $request.CreateSelfSigned($NotBefore, $NotAfter)
        }
    }
    finally {
        $key.Dispose()
    }

    $pfx = Join-Path $Folder "$Name.pfx"
    $cer = Join-Path $Folder "$Name.cer"
    [System.IO.File]::WriteAllBytes($pfx, $cert.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx))
    [System.IO.File]::WriteAllBytes($cer, $cert.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Cert))
    if (-not $IsWindows) { & chmod 600 $pfx }

    [pscustomobject]@{
        PSTypeName  = 'G5Mail.TestCertificate'
        Name        = $Name
        Subject     = $cert.Subject
        Thumbprint  = $cert.Thumbprint
        NotBefore   = $cert.NotBefore
        NotAfter    = $cert.NotAfter
        PfxPath     = $pfx
        CerPath     = $cer
        Certificate = $cert   # with private key; the CA's signs the others
    }
}

function New-G5TestPki {
    <#
    .SYNOPSIS
        Creates a throw-away test CA and server certificates (PFX + CER files) with .NET APIs.
    .DESCRIPTION
        Server     : signed by the CA, valid now, for localhost and 127.0.0.1 (the one the test servers use).
        Expired    : signed by the CA, for localhost/127.0.0.1, expired yesterday.
        WrongName  : signed by the CA, valid now, but only for wrong.g5mail.invalid.
        SelfSigned : self-signed for localhost/127.0.0.1, not chained to any trusted root.
        PFX files carry the private key without a password (test keys; the folder is private to the user).
        -Install adds the CA to CurrentUser\Root (on Windows this shows a confirmation dialog; on Linux .NET keeps
        the user store under ~/.dotnet/corefx/cryptography/x509stores/root and trusts it when building chains).
    .OUTPUTS
        G5Mail.TestPki: Path, Ca, Server, Expired, WrongName, SelfSigned (each with Thumbprint, PfxPath, CerPath,
        NotBefore, NotAfter, Subject), Installed.
    #>
    [CmdletBinding()]
    param(
        # Folder for the files; default a new folder under the temp path.
        [string] $Path = (Join-Path ([System.IO.Path]::GetTempPath()) ('g5mail-pki-' + [guid]::NewGuid().ToString('N'))),
        [switch] $Install
    )
    New-Item -ItemType Directory -Path $Path -Force | Out-Null
    if (-not $IsWindows) { & chmod 700 $Path }
    $now = [datetimeoffset]::UtcNow
    $loopback = @{ DnsNames = @('localhost'); IpAddresses = @('127.0.0.1') }

    $ca = New-TestCertificate -Name 'ca' -Folder $Path -Subject "CN=G5Mail Test CA $($now.ToString('yyyyMMddHHmmss'))" -CertificateAuthority `
        -NotBefore $now.AddDays(-30) -NotAfter $now.AddDays(30)
    $server = New-TestCertificate -Name 'server' -Folder $Path -Subject 'CN=localhost' @loopback -Issuer $ca.Certificate `
        -NotBefore $now.AddHours(-1) -NotAfter $now.AddDays(7)
    $expired = New-TestCertificate -Name 'expired' -Folder $Path -Subject 'CN=localhost' @loopback -Issuer $ca.Certificate `
        -NotBefore $now.AddDays(-10) -NotAfter $now.AddDays(-1)
    $wrongName = New-TestCertificate -Name 'wrongname' -Folder $Path -Subject 'CN=wrong.g5mail.invalid' -DnsNames 'wrong.g5mail.invalid' `
        -Issuer $ca.Certificate -NotBefore $now.AddHours(-1) -NotAfter $now.AddDays(7)
    $selfSigned = New-TestCertificate -Name 'selfsigned' -Folder $Path -Subject 'CN=localhost' @loopback `
        -NotBefore $now.AddHours(-1) -NotAfter $now.AddDays(7)

    $pki = [pscustomobject]@{
        PSTypeName = 'G5Mail.TestPki'
        Path       = $Path
        Ca         = $ca
        Server     = $server
        Expired    = $expired
        WrongName  = $wrongName
        SelfSigned = $selfSigned
        Installed  = $false
    }
    if ($Install) { Install-G5TestPki -Pki $pki }
    $pki
}

function Install-G5TestPki {
    <# .SYNOPSIS Adds the test CA (public part only) to CurrentUser\Root so HTTPS to the test servers validates. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [psobject] $Pki)
    $public = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadCertificateFromFile($Pki.Ca.CerPath)
    $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('Root', 'CurrentUser')
    try {
        $store.Open('ReadWrite')
        $store.Add($public)
    }
    finally {
        $store.Dispose()
        $public.Dispose()
    }
    $Pki.Installed = $true
}

function Remove-G5TestPki {
    <# .SYNOPSIS Removes the test CA from CurrentUser\Root (if installed) and deletes the PKI folder. #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, ValueFromPipeline)] [psobject] $Pki,
        [switch] $KeepFiles
    )
    process {
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('Root', 'CurrentUser')
        try {
            $store.Open('ReadWrite')
            foreach ($c in @($store.Certificates.Find('FindByThumbprint', $Pki.Ca.Thumbprint, $false))) { $store.Remove($c) }
        }
        finally {
            $store.Dispose()
        }
        $Pki.Installed = $false
        foreach ($c in $Pki.Ca, $Pki.Server, $Pki.Expired, $Pki.WrongName, $Pki.SelfSigned) { $c.Certificate.Dispose() }
        if (-not $KeepFiles -and (Test-Path $Pki.Path)) { Remove-Item -LiteralPath $Pki.Path -Recurse -Force }
    }
}

#endregion

#region Server process

function New-G5TestServerConfig {
    <#
    .SYNOPSIS
        A ready-made configuration hashtable: one tenant, a client-credentials app, a ROPC app, a user and an MFA user,
        with fresh GUIDs and secrets. Adjust it before Start-G5TestServer as a test needs.
    .DESCRIPTION
        apps[0] 'G5Mail sender' (client credentials): roles Mail.Send, Mail.ReadWrite, Application.Read.All and
          https://outlook.office365.com/SMTP.SendAsApp; secrets[0] valid 1 year, [1] expiring in 10 days, [2] expired.
        apps[1] 'G5Mail ROPC' (public client): delegated Mail.Send, Mail.ReadWrite, https://outlook.office.com/SMTP.Send.
        users[0] sender@<domain> (password), users[1] mfa@<domain> (mfaRequired).
    #>
    [CmdletBinding()]
    param(
        [int] $SmtpPort,
        [string] $SmtpHost = '127.0.0.1',
        [string] $Domain = 'g5mail.test',
        [int] $TokenLifetimeSeconds = 3600
    )
    function New-Secret { 'G5' + [Convert]::ToBase64String([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(27)).Replace('+', '~').Replace('/', '_') }
    function New-Password { 'Pw-' + [Convert]::ToBase64String([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(12)) }
    $now = [datetimeoffset]::UtcNow
    $tenantId = [guid]::NewGuid().ToString()
    $config = [ordered]@{
        port                 = 0
        tokenLifetimeSeconds = $TokenLifetimeSeconds
        tenants              = @(@{ id = $tenantId; domains = @($Domain) })
        apps                 = @(
            [ordered]@{
                clientId    = [guid]::NewGuid().ToString()
                tenant      = $tenantId
                displayName = 'G5Mail sender'
                roles       = @('Mail.Send', 'Mail.ReadWrite', 'Application.Read.All', 'https://outlook.office365.com/SMTP.SendAsApp')
                secrets     = @(
                    @{ keyId = [guid]::NewGuid().ToString(); displayName = 'valid'; value = (New-Secret); startDateTime = $now.AddDays(-30).ToString('o'); endDateTime = $now.AddDays(365).ToString('o') }
                    @{ keyId = [guid]::NewGuid().ToString(); displayName = 'expiring'; value = (New-Secret); startDateTime = $now.AddDays(-700).ToString('o'); endDateTime = $now.AddDays(10).ToString('o') }
                    @{ keyId = [guid]::NewGuid().ToString(); displayName = 'expired'; value = (New-Secret); startDateTime = $now.AddDays(-800).ToString('o'); endDateTime = $now.AddDays(-5).ToString('o') }
                )
            }
            [ordered]@{
                clientId          = [guid]::NewGuid().ToString()
                tenant            = $tenantId
                displayName       = 'G5Mail ROPC'
                allowPublicClient = $true
                scopes            = @('Mail.Send', 'Mail.ReadWrite', 'https://outlook.office.com/SMTP.Send')
            }
        )
        users                = @(
            @{ userPrincipalName = "sender@$Domain"; password = (New-Password); tenant = $tenantId; displayName = 'G5Mail Sender' }
            @{ userPrincipalName = "mfa@$Domain"; password = (New-Password); tenant = $tenantId; mfaRequired = $true }
        )
    }
    if ($SmtpPort) { $config.smtp = @{ host = $SmtpHost; port = $SmtpPort } }
    $config
}

function Get-ServerDll {
    param([string] $ServerPath, [string] $Configuration)
    if ($ServerPath) { return $ServerPath }
    $root = if ($env:G5MAIL_REPO_ROOT) { $env:G5MAIL_REPO_ROOT } else { Split-Path (Split-Path $PSScriptRoot) }
    Join-Path $root "tests/G5Mail.TestServers/bin/$Configuration/net10.0/G5Mail.TestServers.dll"
}

function Start-G5TestServer {
    <#
    .SYNOPSIS
        Starts the test servers (Entra ID + Graph stand-ins) as a separate process and waits until they accept HTTPS.
    .DESCRIPTION
        The config hashtable follows TestServerConfig (camelCase). With -Pki and no certificate in the config, the PKI's
        Server certificate is used. The JSON goes to the process on standard input (secrets never touch the disk); the
        server stops by itself when this PowerShell process exits.
    .OUTPUTS
        G5Mail.TestServer: BaseUri (https://127.0.0.1:PORT, use it as AuthorityHost and GraphEndpoint), Port, Process,
        ProcessId, LogPath.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Config,
        [psobject] $Pki,
        [int] $TimeoutSeconds = 30,
        # Where the server writes its request log (paths and status codes only); default next to the PKI or in temp.
        [string] $LogPath,
        [string] $ServerPath,
        [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Release'
    )
    $dll = Get-ServerDll -ServerPath $ServerPath -Configuration $Configuration
    if (-not (Test-Path $dll)) {
        throw "The test server is not built: '$dll' does not exist. Run 'dotnet build G5Mail.sln -c $Configuration' first."
    }

    $effective = [ordered]@{}
    foreach ($k in $Config.Keys) { $effective[$k] = $Config[$k] }
    if (-not $effective.Contains('certificate')) {
        if (-not $Pki) { throw 'The config has no certificate: pass -Pki (from New-G5TestPki) or set certificate = @{ path = ... }.' }
        $effective.certificate = @{ path = $Pki.Server.PfxPath }
    }
    if (-not $LogPath) {
        $folder = if ($Pki) { $Pki.Path } else { [System.IO.Path]::GetTempPath() }
        $LogPath = Join-Path $folder ('testserver-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.log')
    }
    $effective.logFile = $LogPath
    $json = $effective | ConvertTo-Json -Depth 20 -Compress

    $dotnet = (Get-Command dotnet -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    $psi = [System.Diagnostics.ProcessStartInfo]::new($dotnet)
    foreach ($a in @($dll, '--config', '-', '--parent-pid', "$PID")) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    # Drain stderr from the start (a Task, not an event handler: no PowerShell code runs on another thread).
    $stderr = $process.StandardError.ReadToEndAsync()
    $process.StandardInput.Write($json)
    $process.StandardInput.Close()

    $line = $process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait([timespan]::FromSeconds($TimeoutSeconds)) -or $null -eq $line.Result) {
        if (-not $process.HasExited) { $process.Kill($true) }
        [void] $process.WaitForExit(5000)
        $err = if ($stderr.Wait(2000)) { $stderr.Result.Trim() } else { '' }
        throw "The test server did not report ready within $TimeoutSeconds s (exit code $(if ($process.HasExited) { $process.ExitCode } else { 'n/a' })). $err"
    }
    $ready = $line.Result
    if (-not $ready.StartsWith("$script:ReadyPrefix ")) {
        if (-not $process.HasExited) { $process.Kill($true) }
        throw "Unexpected first line from the test server: '$ready'"
    }
    $baseUri = $ready.Substring($script:ReadyPrefix.Length + 1).Trim()
    # Keep reading stdout so the pipe never fills.
    $stdout = $process.StandardOutput.ReadToEndAsync()

    [pscustomobject]@{
        PSTypeName     = 'G5Mail.TestServer'
        BaseUri        = $baseUri
        Port           = ([uri] $baseUri).Port
        Process        = $process
        ProcessId      = $process.Id
        LogPath        = $LogPath
        StandardOutput = $stdout
        StandardError  = $stderr
    }
}

function Invoke-Control {
    # Control calls go to our own child process on 127.0.0.1; the certificate check is skipped for this channel only,
    # so the helpers also work in tests whose CA is deliberately not installed.
    param([psobject] $Server, [string] $Method, [string] $Path, $Body)
    $params = @{ Method = $Method; Uri = "$($Server.BaseUri)$Path"; SkipCertificateCheck = $true; TimeoutSec = 30 }
    if ($null -ne $Body) { $params.Body = ($Body | ConvertTo-Json -Depth 10 -Compress); $params.ContentType = 'application/json' }
    Invoke-RestMethod @params
}

function Stop-G5TestServer {
    <# .SYNOPSIS Stops a test server: POST /_test/shutdown, wait for exit, kill if it does not stop in time. #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, ValueFromPipeline)] [psobject] $Server,
        [int] $TimeoutSeconds = 10
    )
    process {
        $p = $Server.Process
        if ($p.HasExited) { return }
        try { Invoke-Control -Server $Server -Method Post -Path '/_test/shutdown' | Out-Null } catch { Write-Verbose "shutdown request failed: $_" }
        if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
            Write-Warning "Test server $($Server.ProcessId) did not stop within $TimeoutSeconds s; killing it."
            $p.Kill($true)
            [void] $p.WaitForExit(5000)
        }
    }
}

function Get-G5TestServerStats {
    <#
    .SYNOPSIS
        Counters since start or the last reset: tokenRequests (total, issued, failed, byGrantType, byClientId,
        byGrantTypeAndClientId), graphRequests (total, byRoute), byRoute (every route), faultsInjected, messagesDelivered.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] [psobject] $Server)
    process { Invoke-Control -Server $Server -Method Get -Path '/_test/stats' }
}

function Reset-G5TestServer {
    <# .SYNOPSIS Clears counters, faults, drafts and upload sessions. #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] [psobject] $Server)
    process { Invoke-Control -Server $Server -Method Post -Path '/_test/reset' | Out-Null }
}

function Set-G5TestServerFault {
    <#
    .SYNOPSIS
        Makes the next -Count requests of a route fail with -Status (429/503/504...) and a Retry-After header, or (-Answer)
        stall or answer with a broken body. 401 on a Graph route answers InvalidAuthenticationToken, with -Claims a CAE challenge.
    .DESCRIPTION
        -Path is a route name (token, sendMail, createMessage, addAttachment, createUploadSession, uploadSession,
        sendDraft, deleteMessage, getUser, getApplication, listApplications, instanceDiscovery, userRealm, openidConfiguration, keys) or a part
        of the URL path. -Count -1 fails until -Clear. -Clear alone removes all faults.
    .EXAMPLE
        Set-G5TestServerFault -Server $s -Path sendMail -Status 429 -RetryAfterSeconds 1 -Count 1
    #>
    [CmdletBinding(DefaultParameterSetName = 'Set')]
    param(
        [Parameter(Mandatory)] [psobject] $Server,
        [Parameter(Mandatory, ParameterSetName = 'Set')] [string] $Path,
        [Parameter(ParameterSetName = 'Set')] [ValidateRange(400, 599)] [int] $Status = 429,
        [Parameter(ParameterSetName = 'Set')] [ValidateRange(0, 3600)] [int] $RetryAfterSeconds = 1,
        [Parameter(ParameterSetName = 'Set')] [ValidateRange(-1, 1000)] [int] $Count = 1,
        [Parameter(ParameterSetName = 'Set')] [string] $Method,
        [Parameter(ParameterSetName = 'Set')] [int] $DelayMilliseconds = 0,
        # Answer without a Retry-After header (the client then backs off on its own).
        [Parameter(ParameterSetName = 'Set')] [switch] $NoRetryAfter,
        # Let this many matching requests through first.
        [Parameter(ParameterSetName = 'Set')] [ValidateRange(0, 1000)] [int] $Skip = 0,
        # stall: read the request and never answer; brokenBody: HTTP 200 with a cut-off SOAP body (after the service acted).
        [Parameter(ParameterSetName = 'Set')] [ValidateSet('stall', 'brokenBody')] [string] $Answer,
        # With -Status 401 on a Graph route: a Continuous Access Evaluation claims challenge (JSON) in WWW-Authenticate.
        [Parameter(ParameterSetName = 'Set')] [string] $Claims,
        [Parameter(Mandatory, ParameterSetName = 'Clear')] [switch] $Clear
    )
    if ($Clear) {
        Invoke-Control -Server $Server -Method Delete -Path '/_test/faults' | Out-Null
        return
    }
    $fault = [ordered]@{ path = $Path; status = $Status; retryAfterSeconds = $RetryAfterSeconds; count = $Count; delayMilliseconds = $DelayMilliseconds }
    if ($Method) { $fault.method = $Method }
    if ($NoRetryAfter) { $fault.Remove('retryAfterSeconds') }
    if ($Skip) { $fault.skip = $Skip }
    if ($Answer) { $fault.answer = $Answer }
    if ($Claims) { $fault.claims = $Claims }
    Invoke-Control -Server $Server -Method Post -Path '/_test/faults' -Body $fault
}

#endregion

#region IMAP TLS front

function Start-ImapTlsFront {
    <#
    .SYNOPSIS
        TLS in front of smtp4dev's plain-text IMAP (see tests/G5Mail.TestServers/ImapTlsFront.cs): -Mode TlsOnConnect (the
        993 style) or StartTls (CAPABILITY adds STARTTLS and LOGINDISABLED; nothing but CAPABILITY/NOOP/LOGOUT/STARTTLS before TLS).
    .OUTPUTS
        G5Mail.ImapTlsFront: Port, Process, LogPath (one line per IMAP command the clients sent: "C1 LOGIN"; names only).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [int] $UpstreamPort,
        [Parameter(Mandatory)] [ValidateSet('TlsOnConnect', 'StartTls')] [string] $Mode,
        # A PFX with its key and no password (New-G5TestPki's Server, SelfSigned, Expired...).
        [Parameter(Mandatory)] [string] $CertificatePath,
        [int] $TimeoutSeconds = 30,
        [string] $ServerPath,
        [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Release'
    )
    $dll = Get-ServerDll -ServerPath $ServerPath -Configuration $Configuration
    if (-not (Test-Path $dll)) { throw "The test server is not built: '$dll' does not exist." }
    $log = Join-Path ([System.IO.Path]::GetTempPath()) ('g5mail-imapfront-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.log')
    $dotnet = (Get-Command dotnet -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    $psi = [System.Diagnostics.ProcessStartInfo]::new($dotnet)
    foreach ($a in @($dll, 'imap-tls-front', '--upstream-port', "$UpstreamPort", '--mode', $Mode, '--certificate', $CertificatePath,
            '--log', $log, '--parent-pid', "$PID")) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    $stderr = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait([timespan]::FromSeconds($TimeoutSeconds)) -or $null -eq $line.Result -or -not $line.Result.StartsWith('G5MAIL-IMAPFRONT-READY ')) {
        if (-not $process.HasExited) { $process.Kill($true) }
        $err = if ($stderr.Wait(2000)) { $stderr.Result.Trim() } else { '' }
        throw "The IMAP TLS front did not start. $err"
    }
    [pscustomobject]@{
        PSTypeName = 'G5Mail.ImapTlsFront'
        Port       = [int] $line.Result.Split(' ')[1]
        Mode       = $Mode
        Process    = $process
        LogPath    = $log
    }
}

function Get-ImapTlsFrontCommand {
    <# .SYNOPSIS The IMAP commands the front relayed so far ("C1 LOGIN", names only). #>
    param([Parameter(Mandatory)] [psobject] $Front)
    if (Test-Path $Front.LogPath) { @(Get-Content -LiteralPath $Front.LogPath) } else { @() }
}

function Stop-ImapTlsFront {
    param([psobject] $Front)
    if (-not $Front) { return }
    try { $Front.Process.StandardInput.Close() } catch { }
    if (-not $Front.Process.WaitForExit(5000)) { try { $Front.Process.Kill($true) } catch { } }
    Remove-Item -LiteralPath $Front.LogPath -Force -ErrorAction SilentlyContinue
}

#endregion

Export-ModuleMember -Function Start-ImapTlsFront, Get-ImapTlsFrontCommand, Stop-ImapTlsFront, New-G5TestPki, Install-G5TestPki, Remove-G5TestPki, New-G5TestServerConfig, Start-G5TestServer,
    Stop-G5TestServer, Get-G5TestServerStats, Reset-G5TestServer, Set-G5TestServerFault
