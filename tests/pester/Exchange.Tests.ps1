#Requires -Version 7.4
# Method Exchange (EWS) against the local EWS stand-in (tests/G5Mail.TestServers, HTTPS on 127.0.0.1 with a test CA
# trusted while these tests run), which delivers every sent message as MIME into a real smtp4dev. What arrived is read
# back from smtp4dev and parsed with MimeKit; what was saved to Sent Items and how often EWS was called is read from the
# stand-in's /_test/ews/items and /_test/stats.

BeforeAll {
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestServers.psm1') -Force

    $script:Docs = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-ews-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Docs | Out-Null
    $script:Login = 'G5TEST\anna'
    $script:Mailbox = 'anna@olbryggeriet.example'
    # Unusual enough that finding it anywhere cannot be a coincidence.
    $script:Password = 'Ews-' + [guid]::NewGuid().ToString('N').Substring(0, 14) + '!x'
    $script:Unresolvable = 'nobody@olbryggeriet.example'

    $script:Smtp = Start-Smtp4Dev
    $script:Pki = New-G5TestPki -Install
    function script:New-EwsConfig {
        [ordered]@{
            port = 0
            smtp = @{ host = '127.0.0.1'; port = $script:Smtp.SmtpPort }
            ews  = @{
                users             = @(@{ userName = $script:Login; password = $script:Password; emailAddress = $script:Mailbox; displayName = 'Anna Ölbryggare' })
                invalidRecipients = @($script:Unresolvable)
            }
        }
    }
    $script:Server = Start-G5TestServer -Config (New-EwsConfig) -Pki $script:Pki
    $script:EwsUrl = "$($script:Server.BaseUri)/EWS/Exchange.asmx"

    function script:New-Credential([string] $Password = $script:Password, [string] $UserName = $script:Login) {
        [pscredential]::new($UserName, (ConvertTo-SecureString $Password -AsPlainText -Force))
    }

    # System: the method and server; User: the user's own Exchange account, as in Monitor G5.
    function script:Use-ExchangeSettings([hashtable] $System = @{}, [pscredential] $Credential = (New-Credential)) {
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        Set-G5MailSetting -Scope System -Method Exchange -Server $script:EwsUrl -From $script:Mailbox @System -WarningAction SilentlyContinue
        Set-G5MailSetting -Scope User -Credential $Credential -WarningAction SilentlyContinue
    }

    function script:Invoke-Ews([string] $Method, [string] $Path, $Body, $Server = $script:Server) {
        $params = @{ Method = $Method; Uri = "$($Server.BaseUri)$Path"; SkipCertificateCheck = $true }
        if ($null -ne $Body) { $params.Body = ($Body | ConvertTo-Json -Depth 5 -Compress); $params.ContentType = 'application/json' }
        # Returned through a variable so a JSON array comes out as its items.
        $response = Invoke-RestMethod @params
        $response
    }

    function script:Reset-Ews {
        Invoke-Ews Post '/_test/ews/reset' | Out-Null
        Reset-G5TestServer -Server $script:Server
        Clear-Smtp4DevMessages $script:Smtp
    }

    function script:Get-EwsCount([string] $Route) {
        $value = (Get-G5TestServerStats -Server $script:Server).byRoute.$Route
        if ($null -eq $value) { 0 } else { $value }
    }

    function script:Get-Code($Result) { @($Result.Findings | ForEach-Object Code) }
    function script:Get-Finding($Result, [string] $Code) { $Result.Findings | Where-Object Code -EQ $Code }
}

AfterAll {
    if ($script:Server) { Stop-G5TestServer -Server $script:Server }
    if ($script:Pki) { Remove-G5TestPki -Pki $script:Pki }
    Stop-Smtp4Dev $script:Smtp
    Remove-Item $script:Docs -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item Env:\G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
}

Describe 'Send-G5Document through Exchange (EWS)' {
    BeforeAll {
        Use-ExchangeSettings
        $script:Pdf = New-TestPdf -Path (Join-Path $script:Docs 'Offert Åhus 1001.pdf') -Lines 'Offert 1001', 'Åhus Trä AB'
        $script:Xml = Join-Path $script:Docs 'Offert Åhus 1001.xml'
        Set-Content -Path $script:Xml -Value '<?xml version="1.0" encoding="utf-8"?><Offert nr="1001">Åhus</Offert>' -Encoding utf8
    }
    BeforeEach { Reset-Ews }

    It 'delivers the PDF and XML byte for byte with their Swedish names, and keeps a copy in Sent Items' {
        $result = Send-G5Document -Path $script:Pdf.FullName, $script:Xml -To 'Inköp Åhus <inkop@ahustra.example>' -Subject 'Beställning från Ölbryggeriet {DocumentIds}'
        $result.Status | Should -Be 'Sent'
        $result.Method | Should -Be 'Exchange'
        $result.Server | Should -Be $script:EwsUrl
        $result.Attachments | Should -Be @('Offert Åhus 1001.pdf', 'Offert Åhus 1001.xml')

        $messages = @(Get-Smtp4DevMessage $script:Smtp)
        $messages.Count | Should -Be 1
        $messages[0].Subject | Should -Be 'Beställning från Ölbryggeriet Offert Åhus 1001'
        $messages[0].From.Mailboxes[0].Address | Should -Be $script:Mailbox
        $messages[0].To.Mailboxes[0].Name | Should -Be 'Inköp Åhus'
        # The Message-ID G5Mail set (PidTagInternetMessageId) is the one that arrived and the one it reports.
        "<$($messages[0].MessageId)>" | Should -Be $result.MessageId
        $attachments = @(Get-MimeAttachment $messages[0])
        $attachments.Name | Should -Be @('Offert Åhus 1001.pdf', 'Offert Åhus 1001.xml')
        $attachments[0].ContentType | Should -Be 'application/pdf'
        Get-BytesHash $attachments[0].Bytes | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($script:Pdf.FullName)))
        Get-BytesHash $attachments[1].Bytes | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($script:Xml)))

        $saved = @(Invoke-Ews Get '/_test/ews/items')
        $saved.Count | Should -Be 1
        $saved[0].folder | Should -Be 'sentitems'
        $saved[0].mailbox | Should -Be $script:Mailbox
        $saved[0].internetMessageId | Should -Be $result.MessageId
        $saved[0].attachments[0].sha256 | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($script:Pdf.FullName)))
        Get-EwsCount 'ews.CreateItem' | Should -Be 1
    }

    It 'sends an HTML body as HTML' {
        $result = Send-G5Document -Path $script:Pdf.FullName -To 'kund@example.se' -Body '<p>Hej <b>Åsa</b>!</p>' -BodyAsHtml
        $result.Status | Should -Be 'Sent'
        $message = Get-Smtp4DevMessage $script:Smtp
        $message.HtmlBody | Should -Match 'Hej <b>Åsa</b>!'
        (Invoke-Ews Get '/_test/ews/items')[0].bodyType | Should -Be 'HTML'
    }

    It 'reports an address Exchange cannot resolve as InvalidAddress while the other document arrives' {
        $other = New-TestPdf -Path (Join-Path $script:Docs '2001.pdf')
        $inputs = @(
            [pscustomobject]@{ Path = $script:Pdf.FullName; To = $script:Unresolvable },
            [pscustomobject]@{ Path = $other.FullName; To = 'kund@example.se' }
        )
        $results = $inputs | Send-G5Document -ErrorVariable errs -ErrorAction SilentlyContinue
        $results[0].Status | Should -Be 'Failed'
        $results[0].ErrorId | Should -Be 'InvalidAddress'
        $results[0].Error | Should -Match 'ErrorInvalidRecipients'
        $results[1].Status | Should -Be 'Sent'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidAddress*'
        @(Get-Smtp4DevMessageList $script:Smtp).Count | Should -Be 1
    }

    It 'reports a request over the EWS request limit as MessageTooLarge (HTTP 413), before uploading it' {
        Invoke-Ews Post '/_test/ews/limits' @{ maxRequestBytes = 1MB } | Out-Null
        $big = New-TestPdf -Path (Join-Path $script:Docs 'TooBig.pdf') -PadToBytes 2MB
        $small = New-TestPdf -Path (Join-Path $script:Docs 'Fits.pdf')
        $results = $big, $small | Send-G5Document -To 'kund@example.se' -ErrorVariable errs -ErrorAction SilentlyContinue
        $results[0].Status | Should -Be 'Failed'
        $results[0].ErrorId | Should -Be 'MessageTooLarge'
        $results[0].Error | Should -Match '413'
        $results[0].Error | Should -Match 'MaxAttachmentSizeMB'
        $results[1].Status | Should -Be 'Sent'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MessageTooLarge*'
        Get-EwsCount 'ews.tooLarge' | Should -Be 1
        @(Get-Smtp4DevMessageList $script:Smtp).Count | Should -Be 1
    }

    It 'reports a message over Exchange''s send size limit (ErrorMessageSizeExceeded) as MessageTooLarge' {
        Invoke-Ews Post '/_test/ews/limits' @{ maxMessageBytes = 1MB } | Out-Null
        $big = New-TestPdf -Path (Join-Path $script:Docs 'OverSendSize.pdf') -PadToBytes 1MB
        $result = Send-G5Document -Path $big.FullName -To 'kund@example.se' -ErrorAction SilentlyContinue
        $result.ErrorId | Should -Be 'MessageTooLarge'
        $result.Error | Should -Match 'ErrorMessageSizeExceeded'
        @(Get-Smtp4DevMessageList $script:Smtp).Count | Should -Be 0
    }

    It 'waits out ErrorServerBusy for the BackOffMilliseconds Exchange gives, then sends' {
        Invoke-Ews Post '/_test/ews/faults' @{ operation = 'CreateItem'; responseCode = 'ErrorServerBusy'; backOffMilliseconds = 400; count = 2 } | Out-Null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $output = Send-G5Document -Path $script:Pdf.FullName -To 'kund@example.se' -Verbose 4>&1
        $watch.Stop()
        $result = $output | Where-Object { $_ -is [G5Mail.SendResult] }
        $result.Status | Should -Be 'Sent'
        @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match '\): retry [12] of 3 in 0\.4 s \(the server asked for 0\.4 s\) after ErrorServerBusy \(BackOffMilliseconds 400\)\.$' }).Count | Should -Be 2
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.8
        Get-EwsCount 'ews.CreateItem' | Should -Be 3
        @(Get-Smtp4DevMessageList $script:Smtp).Count | Should -Be 1
    }

    It 'gives up with SendFailed when Exchange stays busy through three retries' {
        Invoke-Ews Post '/_test/ews/faults' @{ operation = 'CreateItem'; responseCode = 'ErrorServerBusy'; backOffMilliseconds = 50; count = -1 } | Out-Null
        $result = Send-G5Document -Path $script:Pdf.FullName -To 'kund@example.se' -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Failed'
        $result.ErrorId | Should -Be 'SendFailed'
        $result.Error | Should -Match 'throttling'
        $result.Error | Should -Match 'tried 4 times'
        Get-EwsCount 'ews.CreateItem' | Should -Be 4
        @(Get-Smtp4DevMessageList $script:Smtp).Count | Should -Be 0
    }

    It 'reports a CreateItem answered with HTTP 200 and a broken body as Uncertain; a journal rerun does not send it again, -Force does' {
        Reset-Ews
        $journal = Join-Path $script:Docs ('journal-ews-' + [guid]::NewGuid().ToString('N') + '.json')
        Set-G5TestServerFault -Server $script:Server -Path ews -Method POST -Answer brokenBody -Count 1 | Out-Null

        $first = Send-G5Document -Path $script:Pdf.FullName -To 'kund@example.se' -JournalPath $journal -RetryDelaySeconds 0 -ErrorAction SilentlyContinue
        $first.Status | Should -Be 'Uncertain'
        $first.ErrorId | Should -Be 'DeliveryUncertain'
        $first.Error | Should -Match 'not a readable EWS response'
        Get-EwsCount 'ews.CreateItem' | Should -Be 1
        @(Get-Smtp4DevMessageList $script:Smtp).Count | Should -Be 1 -Because 'Exchange did send it; only its answer was broken'
        (Get-G5TestServerStats -Server $script:Server).faultsInjected | Should -Be 1 -Because 'the sign-in challenge before it passed through untouched'

        $rerun = Send-G5Document -Path $script:Pdf.FullName -To 'kund@example.se' -JournalPath $journal -RetryDelaySeconds 0 -ErrorAction SilentlyContinue
        $rerun.Status | Should -Be 'Uncertain'
        $rerun.Reason | Should -Be 'PreviouslyUncertain'
        Get-EwsCount 'ews.CreateItem' | Should -Be 1 -Because 'the rerun must not send it again'

        $forced = Send-G5Document -Path $script:Pdf.FullName -To 'kund@example.se' -JournalPath $journal -Force -RetryDelaySeconds 0
        $forced.Status | Should -Be 'Sent'
        Get-EwsCount 'ews.CreateItem' | Should -Be 2
    }

    It 'a silent EWS fails in about TimeoutSeconds (2 s), not 100 s' {
        Reset-Ews
        Set-G5MailSetting -Scope System -TimeoutSeconds 2 -WarningAction SilentlyContinue
        Set-G5TestServerFault -Server $script:Server -Path ews -Answer stall -Count -1 | Out-Null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $result = Send-G5Document -Path $script:Pdf.FullName -To 'kund@example.se' -RetryCount 0 -ErrorAction SilentlyContinue
        $watch.Stop()
        Set-G5TestServerFault -Server $script:Server -Clear
        Set-G5MailSetting -Scope System -Clear TimeoutSeconds -WarningAction SilentlyContinue
        Write-Host ("silent EWS: failed after {0:0.0} s with TimeoutSeconds 2 ({1})" -f $watch.Elapsed.TotalSeconds, $result.ErrorId)

        $result.Status | Should -BeIn 'Failed', 'Uncertain'
        # Whether the stalled request was the sign-in challenge (nothing sent: ConnectionFailed) or CreateItem itself (sent,
        # unanswered: DeliveryUncertain) depends on the connection's sign-in state; both name the bound.
        $result.ErrorId | Should -BeIn 'ConnectionFailed', 'DeliveryUncertain'
        $result.Error | Should -Match 'TimeoutSeconds|no answer within'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1.9
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'the bound is TimeoutSeconds, not 100 s or 10 minutes'
    }

    It 'refuses to send the password over http to another computer, without connecting' {
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        Set-G5MailSetting -Scope System -Method Exchange -Server 'http://192.0.2.10/EWS/Exchange.asmx' -From $script:Mailbox -WarningAction SilentlyContinue
        Set-G5MailSetting -Scope User -Credential (New-Credential) -WarningAction SilentlyContinue
        try {
            $result = Send-G5Document -Path $script:Pdf.FullName -To 'kund@example.se' -ErrorVariable errs -ErrorAction SilentlyContinue
            $result.ErrorId | Should -Be 'AuthenticationFailed'
            $result.Error | Should -Match 'unencrypted http'
            $result.Error | Should -Match 'Use https'
        }
        finally { Use-ExchangeSettings }
    }

    It 'talks https to a server name whatever UseSsl says' {
        # The https stand-in on its own port: with UseSsl off G5Mail used to go to http there and fail to sign in.
        $uri = [uri] $script:Server.BaseUri
        Use-ExchangeSettings -System @{ Server = $uri.Host; Port = $uri.Port; UseSsl = $false }
        $result = Send-G5Document -Path $script:Pdf.FullName -To 'kund@example.se' -WarningVariable warnings -WarningAction SilentlyContinue
        $result.Status | Should -Be 'Sent'
        $result.Server | Should -Be "https://$($uri.Host):$($uri.Port)/EWS/Exchange.asmx"
        ($warnings -join ' ') | Should -Not -Match 'plain http'
        Use-ExchangeSettings
    }
}

Describe 'Combine and splitting through EWS' {
    BeforeAll {
        Use-ExchangeSettings
        $script:Big = foreach ($n in 1..5) { New-TestPdf -Path (Join-Path $script:Docs "Big$n.pdf") -PadToBytes 4MB }
        $script:Huge = New-TestPdf -Path (Join-Path $script:Docs 'Huge.pdf') -PadToBytes 15MB
    }
    BeforeEach { Reset-Ews }

    It 'sends 5 documents of 4 MiB to one recipient with a 10 MB limit as 3 messages, one CreateItem each' {
        $results = $script:Big | Send-G5Document -To 'kund@example.se' -Combine -MaxAttachmentSizeMB 10
        $results.Count | Should -Be 3
        $results.Status | Should -Be @('Sent', 'Sent', 'Sent')
        $results.Part | Should -Be @(1, 2, 3)
        $results.PartCount | Should -Be @(3, 3, 3)
        foreach ($r in $results) { $r.AttachmentBytes | Should -BeLessOrEqual (10 * 1MB) }
        ($results.DocumentIds | Sort-Object) | Should -Be @('Big1', 'Big2', 'Big3', 'Big4', 'Big5')
        $messages = @(Get-Smtp4DevMessage $script:Smtp)
        $messages.Count | Should -Be 3
        ($messages.Subject | Where-Object { $_ -match '^Dokument Big\d(, Big\d)* \(del 2 av 3\)$' }).Count | Should -Be 1
        $arrived = foreach ($m in $messages) { Get-MimeAttachment $m }
        foreach ($doc in $script:Big) {
            $copy = $arrived | Where-Object Name -EQ $doc.Name
            Get-BytesHash $copy.Bytes | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($doc.FullName)))
        }
        Get-EwsCount 'ews.CreateItem' | Should -Be 3
        @(Invoke-Ews Get '/_test/ews/items').Count | Should -Be 3
    }

    It 'never splits a single 15 MiB document' {
        $result = Send-G5Document -Path $script:Huge.FullName -To 'kund@example.se' -Combine -MaxAttachmentSizeMB 10
        $result.Status | Should -Be 'Sent'
        $result.PartCount | Should -Be 1
        $attachment = Get-MimeAttachment (Get-Smtp4DevMessage $script:Smtp)
        Get-BytesHash $attachment.Bytes | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($script:Huge.FullName)))
    }

    It 'without Combine sends one message per document' {
        $results = $script:Big[0..2] | Send-G5Document -To 'kund@example.se'
        $results.Count | Should -Be 3
        @(Get-Smtp4DevMessageList $script:Smtp).Count | Should -Be 3
        Get-EwsCount 'ews.CreateItem' | Should -Be 3
    }
}

Describe 'Authentication through EWS' {
    BeforeAll { $script:Doc = New-TestPdf -Path (Join-Path $script:Docs 'Auth.pdf') }
    BeforeEach { Reset-Ews }
    AfterAll { Use-ExchangeSettings }

    It 'signs in with the user''s account given as DOMAIN\user or as the mail address' {
        Use-ExchangeSettings
        (Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se').Status | Should -Be 'Sent'
        Use-ExchangeSettings -Credential (New-Credential -UserName $script:Mailbox)
        (Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se').Status | Should -Be 'Sent'
    }

    It 'keeps the domain of DOMAIN\user: the same account without it is not signed in' {
        Use-ExchangeSettings -Credential (New-Credential -UserName ($script:Login -replace '^.*\\', ''))
        $result = Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se' -RetryCount 0 -ErrorAction SilentlyContinue
        $result.ErrorId | Should -Be 'AuthenticationFailed' -Because 'the stand-in knows the logon only as G5TEST\anna, so the sent test above saw the domain'
        Use-ExchangeSettings
    }

    It 'reports a wrong password as AuthenticationFailed for every document, and the password is in no output' {
        $wrong = 'Wr0ng-' + [guid]::NewGuid().ToString('N')
        Use-ExchangeSettings -Credential (New-Credential -Password $wrong)
        $other = New-TestPdf -Path (Join-Path $script:Docs 'Auth2.pdf')
        $all = $script:Doc, $other | Send-G5Document -To 'kund@example.se' -Verbose -ErrorVariable errs -ErrorAction Continue *>&1 | Out-String
        $errs.Count | Should -Be 2
        $errs | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed*' }
        $errs[0].Exception.Message | Should -Match ([regex]::Escape($script:Login))
        $all | Should -Match 'rejected the sign-in'
        foreach ($secret in $wrong, $script:Password) {
            $all | Should -Not -Match ([regex]::Escape($secret))
            ($errs | Out-String) | Should -Not -Match ([regex]::Escape($secret))
            $errs[0].Exception.ToString() | Should -Not -Match ([regex]::Escape($secret))
        }
        @(Get-Smtp4DevMessageList $script:Smtp).Count | Should -Be 0
    }
}

Describe 'Test-G5MailServer for Exchange' {
    BeforeAll {
        Use-ExchangeSettings
        $script:Good = Test-G5MailServer -Verbose 4>&1
    }

    It 'reports reachability, TLS and certificate, sign-in, the server version and the size check for good settings' {
        $r = $script:Good | Where-Object { $_ -is [G5Mail.ServerTestResult] }
        $r.Success | Should -BeTrue
        $r.Method | Should -Be 'Exchange'
        $r.Server | Should -Be '127.0.0.1'
        $r.Port | Should -Be $script:Server.Port
        $r.Endpoint | Should -BeLike "$($script:EwsUrl)*https*"
        $r.Reachable | Should -BeTrue
        $r.TlsProtocol | Should -Match '^TLS 1\.[23]$'
        $r.CertificateValid | Should -BeTrue
        $r.CertificateThumbprint | Should -Be $script:Pki.Server.Thumbprint
        $r.Authenticated | Should -BeTrue
        $r.AuthenticationMechanisms | Should -Be @('Negotiate', 'NTLM', 'Basic')
        $r.Capabilities | Should -Contain 'Exchange 15.2.1118.7'
        $r.MaxMessageSize | Should -Be 67108864
        foreach ($code in 'Connected', 'TlsEstablished', 'EwsFound', 'AuthenticationSucceeded', 'ServerVersion', 'ServerSizeSufficient') {
            Get-Code $r | Should -Contain $code
        }
        (Get-Finding $r ServerVersion).Message | Should -Match 'Exchange Server 2019'
    }

    It 'reports AuthenticationRejected for a wrong password' {
        $r = Test-G5MailServer -Credential (New-Credential -Password 'not-the-password')
        $r.Success | Should -BeFalse
        $r.Authenticated | Should -BeFalse
        (Get-Finding $r AuthenticationRejected).Severity | Should -Be 'Error'
        (Get-Finding $r AuthenticationRejected).Setting | Should -Be 'Credential'
    }

    It 'reports ConnectionRefused for a server that cannot be reached' {
        $port = Get-FreeTcpPort
        $r = Test-G5MailServer -Server "https://127.0.0.1:$port/EWS/Exchange.asmx"
        $r.Reachable | Should -BeFalse
        $r.Success | Should -BeFalse
        Get-Code $r | Should -Contain 'ConnectionRefused'
    }

    It 'reports EwsNotFound for a URL where the server answers but EWS is not' {
        $r = Test-G5MailServer -Server "$($script:Server.BaseUri)/EWS/Nothing.asmx"
        $r.Reachable | Should -BeTrue
        (Get-Finding $r EwsNotFound).Message | Should -Match '404'
    }

    It 'reports an untrusted certificate, and accepts it once it is pinned' {
        $config = New-EwsConfig
        $config.certificate = @{ path = $script:Pki.SelfSigned.PfxPath }
        $selfSigned = Start-G5TestServer -Config $config -Pki $script:Pki
        try {
            $url = "$($selfSigned.BaseUri)/EWS/Exchange.asmx"
            $r = Test-G5MailServer -Server $url
            $r.Success | Should -BeFalse
            $r.CertificateValid | Should -BeFalse
            $r.CertificateThumbprint | Should -Be $script:Pki.SelfSigned.Thumbprint
            (Get-Finding $r CertificateUntrusted).Message | Should -Match $script:Pki.SelfSigned.Thumbprint
            $r.Authenticated | Should -BeNullOrEmpty

            Set-G5MailSetting -Scope System -Server $url -WarningAction SilentlyContinue
            $doc = New-TestPdf -Path (Join-Path $script:Docs 'Untrusted.pdf')
            $send = Send-G5Document -Path $doc.FullName -To 'kund@example.se' -ErrorAction SilentlyContinue
            $send.ErrorId | Should -Be 'CertificateInvalid'
            $send.Error | Should -Match $script:Pki.SelfSigned.Thumbprint

            Set-G5MailSetting -Scope System -CertificateThumbprint $script:Pki.SelfSigned.Thumbprint -WarningAction SilentlyContinue
            $pinned = Test-G5MailServer
            $pinned.Success | Should -BeTrue
            Get-Code $pinned | Should -Contain 'CertificatePinned'
            $pinned.Authenticated | Should -BeTrue
            (Send-G5Document -Path $doc.FullName -To 'kund@example.se').Status | Should -Be 'Sent'
        }
        finally {
            Stop-G5TestServer -Server $selfSigned
            Use-ExchangeSettings
        }
    }

    It 'warns when a full message would exceed EWS''s 64 MB request limit, and says what fits' {
        Set-G5MailSetting -Scope System -MaxAttachmentSizeMB 60 -WarningAction SilentlyContinue
        try {
            $r = Test-G5MailServer
            $finding = Get-Finding $r ServerSizeTooSmall
            $finding.Severity | Should -Be 'Warning'
            $finding.Setting | Should -Be 'MaxAttachmentSizeMB'
            $finding.Message | Should -Match '47\.9'
            $finding.Message | Should -Match '413'
        }
        finally { Set-G5MailSetting -Scope System -MaxAttachmentSizeMB 10 -WarningAction SilentlyContinue }
    }

    It 'shows no password in its output, verbose text or findings, nor in the server''s log' {
        $text = ($script:Good | Out-String) + ($script:Good | Where-Object { $_ -is [G5Mail.ServerTestResult] } | ForEach-Object { $_.Findings | Out-String })
        $text | Should -Not -Match ([regex]::Escape($script:Password))
        $wrong = Test-G5MailServer -Credential (New-Credential -Password 'Wr0ng-S3cret-Value') -Verbose *>&1 | Out-String
        $wrong | Should -Not -Match 'Wr0ng-S3cret-Value'
        Get-Content -Raw $script:Server.LogPath | Should -Not -Match ([regex]::Escape($script:Password))
        (Get-G5MailSetting | Out-String) | Should -Not -Match ([regex]::Escape($script:Password))
    }
}
