# Receive-G5Mail with Method Smtp, over IMAP, against a real IMAP server: smtp4dev serves what it received over IMAP
# (--imapport). Its IMAP has no TLS, so TLS on connect (the 993 style) and STARTTLS go through the test TLS front
# (tests/G5Mail.TestServers/ImapTlsFront.cs) with the tests' PKI. What smtp4dev's IMAP lacks (CREATE, MOVE, UIDPLUS,
# SPECIAL-USE; extension data in BODYSTRUCTURE) is tested in xunit against MiniImapServer (ImapMailboxReaderTests).
BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestServers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force

    # A password no other text contains, so the output can be searched for it.
    $script:Password = 'Imap-' + [guid]::NewGuid().ToString('N')
    $script:Cred = [pscredential]::new('alice', (ConvertTo-SecureString $script:Password -AsPlainText -Force))
    $script:Server = Start-Smtp4Dev -Imap -User "alice=$($script:Password)" -AuthenticationRequired
    $script:Pki = New-G5TestPki -Install
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-imap-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null

    # Fresh settings: smtp4dev for sending (plain SMTP with AUTH on loopback) and its IMAP (or a front) for reading.
    function script:Use-Settings {
        param([int] $ImapPort = $script:Server.ImapPort, [switch] $UseSsl, [pscredential] $Credential = $script:Cred)
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $script:Server.SmtpPort -ImapPort $ImapPort `
            -Credential $Credential -From 'ap@olbryggeriet.example' -UseSsl:$UseSsl -WarningAction SilentlyContinue
    }

    # One PDF document per id, sent one by one (so they arrive in this order); returns the send results.
    function script:Send-Invoice {
        param([string[]] $Ids)
        foreach ($id in $Ids) {
            $pdf = New-TestPdf -Path (Join-Path $script:Work "$id.pdf") -Lines "Faktura $id"
            $script:Sha[$id] = (Get-FileHash -Algorithm SHA256 -LiteralPath $pdf.FullName).Hash.ToLowerInvariant()
            Send-G5Document -Path $pdf.FullName -To "kund-$($id.ToLowerInvariant())@example.se" -DocumentId $id -Subject "Faktura $id" -ErrorAction Stop
        }
    }
    $script:Sha = @{}

    # Raw MIME through MailKit's SmtpClient (a shape Send-G5Document does not make, such as a delivery report).
    function script:Send-RawMime {
        param([string] $Mime)
        $null = Get-MimeKitType
        if (-not ('MailKit.Net.Smtp.SmtpClient' -as [type])) { Add-Type -Path (Join-Path $env:G5MAIL_REPO_ROOT 'artifacts/G5Mail/lib/MailKit.dll') }
        $message = [MimeKit.MimeMessage]::Load([IO.MemoryStream]::new([Text.Encoding]::UTF8.GetBytes($Mime.Replace("`r`n", "`n").Replace("`n", "`r`n"))))
        $client = [MailKit.Net.Smtp.SmtpClient]::new()
        try {
            $client.Connect('127.0.0.1', $script:Server.SmtpPort, [MailKit.Security.SecureSocketOptions]::None)
            $client.Authenticate('alice', $script:Password)
            [void] $client.Send($message)
            $client.Disconnect($true)
        }
        finally { $client.Dispose() }
    }

    function script:Get-Unread { @(Receive-G5Mail -UnreadOnly).Count }

    # A failure of the call (account, server, folder) ends it: one terminating error. Runs the block, returns what it
    # wrote and the errors it raised.
    function script:Invoke-Failing {
        param([scriptblock] $Call)
        $output = [System.Collections.Generic.List[object]]::new()
        $errors = [System.Collections.Generic.List[object]]::new()
        try {
            # Streamed, so what came before a terminating error is kept.
            & $Call 2>&1 | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) { $errors.Add($_) } else { $output.Add($_) }
            }
        }
        catch { $errors.Add($_) }
        [pscustomobject]@{ Output = $output.ToArray(); Errors = $errors.ToArray() }
    }
}

AfterAll {
    Stop-Smtp4Dev $script:Server
    if ($script:Pki) { Remove-G5TestPki -Pki $script:Pki }
    Remove-Item -LiteralPath $script:Work -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item Env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
}

Describe 'Receive-G5Mail over IMAP (smtp4dev)' {
    BeforeAll {
        Clear-Smtp4DevMessages $script:Server
        Use-Settings
        $script:Sent = @(Send-Invoice 'F-101', 'F-102', 'F-103')
    }

    It 'shows the IMAP endpoint it will use in Get-G5MailSetting' {
        (Get-G5MailSetting).ImapEndpoint | Should -Be "127.0.0.1:$($script:Server.ImapPort) (STARTTLS if offered)"
        (Get-G5MailSetting).ImapPort | Should -Be $script:Server.ImapPort
    }

    It 'lists every message oldest first with the listing fields' {
        $m = @(Receive-G5Mail)
        $m | Should -HaveCount 3
        $m[0].PSObject.TypeNames[0] | Should -Be 'G5Mail.ReceivedMessage'
        $m.Subject | Should -Be @('Faktura F-101', 'Faktura F-102', 'Faktura F-103')
        $m.MessageId | Should -Be @($script:Sent.MessageId | ForEach-Object { $_.Trim('<', '>') })
        $m[0].From | Should -Be 'ap@olbryggeriet.example'
        $m[0].To | Should -Be @('kund-f-101@example.se')
        $m.Folder | Sort-Object -Unique | Should -Be 'Inbox'
        $m.IsRead | Sort-Object -Unique | Should -Be $false
        $m.IsDeliveryReport | Sort-Object -Unique | Should -Be $false
        $m.HasAttachments | Sort-Object -Unique | Should -Be $true
        foreach ($x in $m) {
            $x.RemoteId | Should -Match '^\d+:\d+$'
            $x.Size | Should -BeGreaterThan 1000
            $x.Received | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddMinutes(-10))
        }
        $m[0].Received | Should -BeLessOrEqual $m[1].Received
        $m[1].Received | Should -BeLessOrEqual $m[2].Received
    }

    It '-First N takes the N oldest' {
        @(Receive-G5Mail -First 2).Subject | Should -Be @('Faktura F-101', 'Faktura F-102')
    }

    It '-SaveAttachmentsTo writes the files with the SHA-256 of what was sent, and reading marks nothing read' {
        $dir = Join-Path $script:Work 'saved'
        $m = @(Receive-G5Mail -SaveAttachmentsTo $dir)
        $m | Should -HaveCount 3
        foreach ($x in $m) {
            $id = $x.Subject.Substring('Faktura '.Length)
            $x.Attachments | Should -HaveCount 1
            $a = $x.Attachments[0]
            $a.Name | Should -Be "$id.pdf"
            $a.Path | Should -Be (Join-Path $dir "$id.pdf")
            $a.Sha256 | Should -Be $script:Sha[$id]
            (Get-FileHash -Algorithm SHA256 -LiteralPath $a.Path).Hash.ToLowerInvariant() | Should -Be $script:Sha[$id]
        }
        @(Get-ChildItem -LiteralPath $dir -File) | Should -HaveCount 3
        # BODY.PEEK: downloading is not reading.
        Get-Unread | Should -Be 3
    }

    It '-WhatIf with -MarkAsRead, -MoveTo and -SaveAttachmentsTo changes nothing' {
        $dir = Join-Path $script:Work 'whatif'
        $m = @(Receive-G5Mail -MarkAsRead -MoveTo Studsade -SaveAttachmentsTo $dir -WhatIf -ErrorVariable problems)
        $problems | Should -BeNullOrEmpty
        $m | Should -HaveCount 3
        $m[0].Actions | Should -Contain 'WhatIf'
        Test-Path -LiteralPath $dir | Should -BeFalse
        Get-Unread | Should -Be 3
        @(Receive-G5Mail) | Should -HaveCount 3
    }

    It '-MarkAsRead marks the messages it read, and -UnreadOnly then sees fewer' {
        $r = @(Receive-G5Mail -First 1 -MarkAsRead)
        $r | Should -HaveCount 1
        $r[0].Subject | Should -Be 'Faktura F-101'
        $r[0].Actions | Should -Contain 'MarkedAsRead'
        $r[0].IsRead | Should -BeFalse -Because 'IsRead says how the message was before this call'
        @(Receive-G5Mail -UnreadOnly).Subject | Should -Be @('Faktura F-102', 'Faktura F-103')
        (Receive-G5Mail -First 1).IsRead | Should -BeTrue
    }

    It '-MoveTo where the server cannot create folders (smtp4dev) is one FolderNotFound for the call, and nothing moves' {
        $r = Invoke-Failing { Receive-G5Mail -MoveTo Studsade }
        $r.Errors | Should -HaveCount 1
        $r.Errors[0].FullyQualifiedErrorId | Should -BeLike 'FolderNotFound*'
        $r.Errors[0].Exception.Message | Should -Match 'refused to create'
        $r.Output | Should -BeNullOrEmpty
        @(Receive-G5Mail) | Should -HaveCount 3
    }

    It 'a folder that does not exist is one FolderNotFound naming what the server has' {
        $r = Invoke-Failing { Receive-G5Mail -Folder 'Inbox/Saknas' }
        $r.Output | Should -BeNullOrEmpty
        $r.Errors | Should -HaveCount 1
        $r.Errors[0].FullyQualifiedErrorId | Should -BeLike 'FolderNotFound*'
        $r.Errors[0].TargetObject | Should -Be 'Inbox/Saknas'
        $r.Errors[0].Exception.Message | Should -Match 'lists: Inbox, Sent'
    }

    It 'reads the Sent folder of smtp4dev by its well-known name' {
        $m = @(Receive-G5Mail -Folder 'Sent Items' -ErrorVariable problems)
        $problems | Should -BeNullOrEmpty
        $m | Should -HaveCount 0
    }
}

Describe 'Receive-G5Mail over IMAP: -Since and delivery reports' {
    BeforeAll {
        Clear-Smtp4DevMessages $script:Server
        Use-Settings
        $null = Send-Invoice 'F-201'
        # INTERNALDATE has whole seconds: the mark lies more than a second after the first and before the second message.
        Start-Sleep -Milliseconds 1200
        $script:Mark = Get-Date
        Start-Sleep -Milliseconds 1200
        $null = Send-Invoice 'F-202'
        Send-RawMime @'
From: MAILER-DAEMON@mx.example.se
To: ap@olbryggeriet.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.example.se>
Date: Sat, 05 Dec 2026 06:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

The mail could not be delivered to nobody@example.se.
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.se

Final-Recipient: rfc822; nobody@example.se
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--b1
Content-Type: text/rfc822-headers

Message-ID: <f-999@olbryggeriet.example>
Subject: Faktura F-999

--b1--
'@
    }

    It '-Since leaves out what the mailbox received before' {
        @(Receive-G5Mail -Since $script:Mark).Subject | Should -Be @('Faktura F-202', 'Undelivered Mail Returned to Sender')
        @(Receive-G5Mail -Since $script:Mark.AddMinutes(10)) | Should -HaveCount 0
        @(Receive-G5Mail -Since $script:Mark.AddMinutes(-10)) | Should -HaveCount 3
    }

    It 'a multipart/report delivery status notification is IsDeliveryReport once its MIME is read' {
        # smtp4dev's BODYSTRUCTURE has no parameters (no report-type), so the listing leaves it unknown and the MIME tells.
        $dsn = @(Receive-G5Mail -IncludeBody) | Where-Object Subject -EQ 'Undelivered Mail Returned to Sender'
        $dsn | Should -HaveCount 1
        $dsn.IsDeliveryReport | Should -BeTrue
        $dsn.MessageId | Should -Be 'dsn-1@mx.example.se'
        $dsn.Body | Should -Match 'could not be delivered'
        (@(Receive-G5Mail -IncludeBody) | Where-Object Subject -EQ 'Faktura F-202').IsDeliveryReport | Should -BeFalse
    }
}

Describe 'Receive-G5Mail over IMAP with TLS (the test TLS front before smtp4dev)' {
    BeforeAll {
        Clear-Smtp4DevMessages $script:Server
        Use-Settings
        $null = Send-Invoice 'F-301'
        $script:TlsFront = Start-ImapTlsFront -UpstreamPort $script:Server.ImapPort -Mode TlsOnConnect -CertificatePath $script:Pki.Server.PfxPath
        $script:StartTlsFront = Start-ImapTlsFront -UpstreamPort $script:Server.ImapPort -Mode StartTls -CertificatePath $script:Pki.Server.PfxPath
        $script:UntrustedFront = Start-ImapTlsFront -UpstreamPort $script:Server.ImapPort -Mode TlsOnConnect -CertificatePath $script:Pki.SelfSigned.PfxPath
    }
    AfterAll {
        foreach ($f in $script:TlsFront, $script:StartTlsFront, $script:UntrustedFront) { Stop-ImapTlsFront $f }
    }

    It 'reads with TLS from the first byte when UseSsl is set (the 993 style)' {
        Use-Settings -UseSsl -ImapPort $script:TlsFront.Port
        (Get-G5MailSetting).ImapEndpoint | Should -Be "127.0.0.1:$($script:TlsFront.Port) (TLS)"
        @(Receive-G5Mail).Subject | Should -Be @('Faktura F-301')
        $commands = Get-ImapTlsFrontCommand $script:TlsFront
        @($commands -match ' LOGIN$') | Should -HaveCount 1
    }

    It 'reads with STARTTLS, signing in only after TLS' {
        Use-Settings -ImapPort $script:StartTlsFront.Port
        @(Receive-G5Mail).Subject | Should -Be @('Faktura F-301')
        $commands = Get-ImapTlsFrontCommand $script:StartTlsFront
        $commands | Should -Contain 'C1 STARTTLS (before TLS)'
        @($commands -match 'LOGIN') | Should -Be @('C1 LOGIN')
        [array]::IndexOf($commands, 'C1 LOGIN') | Should -BeGreaterThan ([array]::IndexOf($commands, 'C1 STARTTLS (before TLS)'))
    }

    It 'an untrusted certificate is one CertificateInvalid for the call, before any login' {
        Use-Settings -UseSsl -ImapPort $script:UntrustedFront.Port
        $r = Invoke-Failing { Receive-G5Mail -MarkAsRead }
        $r.Output | Should -BeNullOrEmpty
        $r.Errors | Should -HaveCount 1
        $r.Errors[0].FullyQualifiedErrorId | Should -BeLike 'CertificateInvalid*'
        $r.Errors[0].Exception.Message | Should -Match $script:Pki.SelfSigned.Thumbprint
        @(Get-ImapTlsFrontCommand $script:UntrustedFront) | Should -HaveCount 0
    }

    It 'the same certificate pinned with CertificateThumbprint is accepted' {
        Use-Settings -UseSsl -ImapPort $script:UntrustedFront.Port
        Set-G5MailSetting -Scope System -CertificateThumbprint $script:Pki.SelfSigned.Thumbprint -WarningAction SilentlyContinue
        @(Receive-G5Mail).Subject | Should -Be @('Faktura F-301')
    }

    It 'Test-G5MailServer -Imap reports the IMAP endpoint, TLS, the certificate and the sign-in' {
        Use-Settings -UseSsl -ImapPort $script:TlsFront.Port
        $r = Test-G5MailServer -Imap
        $r.Success | Should -BeTrue -Because ($r.Findings | Out-String)
        $r.Endpoint | Should -Be "127.0.0.1:$($script:TlsFront.Port), IMAP, TLS on connect"
        $r.Port | Should -Be $script:TlsFront.Port
        $r.Reachable | Should -BeTrue
        $r.TlsProtocol | Should -Match '^TLS 1\.[23]$'
        $r.CertificateThumbprint | Should -Be $script:Pki.Server.Thumbprint
        $r.Authenticated | Should -BeTrue
        $r.Findings.Code | Should -Contain 'AuthenticationSucceeded'
        $r.Findings.Code | Should -Contain 'MailboxFound'
    }

    It 'Test-G5MailServer -Imap finds the untrusted certificate and does not sign in' {
        Use-Settings -UseSsl -ImapPort $script:UntrustedFront.Port
        $before = @(Get-ImapTlsFrontCommand $script:UntrustedFront).Count
        $r = Test-G5MailServer -Imap
        $r.Success | Should -BeFalse
        $r.Findings.Code | Should -Contain 'CertificateUntrusted'
        $r.Authenticated | Should -BeNullOrEmpty
        @(Get-ImapTlsFrontCommand $script:UntrustedFront).Count | Should -Be $before
    }

    It 'Test-G5MailServer -Imap -Server -Port test another IMAP server without changing the settings' {
        Use-Settings
        $r = Test-G5MailServer -Imap -Server 127.0.0.1 -Port $script:StartTlsFront.Port
        $r.Endpoint | Should -Be "127.0.0.1:$($script:StartTlsFront.Port), IMAP, STARTTLS if offered"
        $r.Success | Should -BeTrue -Because ($r.Findings | Out-String)
        $r.CertificateThumbprint | Should -Be $script:Pki.Server.Thumbprint
        (Get-G5MailSetting).ImapPort | Should -Be $script:Server.ImapPort
    }
}

Describe 'Receive-G5Mail over IMAP: a wrong password' {
    BeforeAll {
        Clear-Smtp4DevMessages $script:Server
        Use-Settings
        $null = Send-Invoice 'F-401'
        $script:CountingFront = Start-ImapTlsFront -UpstreamPort $script:Server.ImapPort -Mode StartTls -CertificatePath $script:Pki.Server.PfxPath
        $script:WrongPassword = 'Wrong-' + [guid]::NewGuid().ToString('N')
    }
    AfterAll { Stop-ImapTlsFront $script:CountingFront }

    It 'is one AuthenticationFailed for the call after one login attempt, and no password is ever shown' {
        Use-Settings -ImapPort $script:CountingFront.Port -Credential ([pscredential]::new('alice', (ConvertTo-SecureString $script:WrongPassword -AsPlainText -Force)))
        $r = Invoke-Failing { Receive-G5Mail -MarkAsRead -SaveAttachmentsTo (Join-Path $script:Work 'wrong') -Verbose 4>&1 3>&1 6>&1 }
        $r.Errors | Should -HaveCount 1
        $r.Errors[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed*'
        @(Get-ImapTlsFrontCommand $script:CountingFront | Where-Object { $_ -match ' (LOGIN|AUTHENTICATE)' }) | Should -HaveCount 1
        ($r.Output | Out-String) + ($r.Errors | Out-String) + $r.Errors[0].Exception.Message | Should -Not -Match $script:WrongPassword
        ($r.Output | Out-String) | Should -Match 'LOGIN' -Because 'the verbose stream was captured (it names the sign-in, not the password)'
        Get-ChildItem -Recurse -LiteralPath $env:G5MAIL_CONFIG_DIR -File | ForEach-Object {
            [IO.File]::ReadAllText($_.FullName) | Should -Not -Match $script:WrongPassword
        }
    }

    It 'signs in with the right password, and verbose output never shows it' {
        Use-Settings -ImapPort $script:CountingFront.Port
        $all = Receive-G5Mail -Verbose 4>&1 | Out-String
        $all | Should -Match 'Faktura F-401'
        $all | Should -Not -Match $script:Password
        (Test-G5MailServer -Imap -Verbose 4>&1 | Out-String) | Should -Not -Match $script:Password
    }
}
