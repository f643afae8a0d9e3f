#Requires -Version 7.4
# Receive-G5Mail with Method ExchangeOnline, as a user runs it, against the local Entra ID and Graph stand-ins
# (tests/G5Mail.TestServers): messages are put into the mailbox through POST /_test/mailbox/messages (raw MIME and the
# message class), every assertion about the mailbox is about what the stand-in holds (GET /_test/mailbox/{mailbox}), and
# every count of calls comes from its per-route counters.

BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestServers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force

    $script:Pki = New-G5TestPki -Install
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-rxgraph-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null

    # apps[0]: Mail.Send, Mail.ReadWrite (reads, marks, moves). apps[2]: Mail.Read only (reads, cannot mark or move).
    $script:Config = New-G5TestServerConfig
    $script:Config.apps += [ordered]@{
        clientId = [guid]::NewGuid().ToString(); tenant = $script:Config.tenants[0].id; displayName = 'read only'; roles = @('Mail.Read')
        secrets  = @(@{ keyId = [guid]::NewGuid().ToString(); displayName = 'only'; value = 'Ro' + [guid]::NewGuid().ToString('N')
                startDateTime = [datetimeoffset]::UtcNow.AddDays(-1).ToString('o'); endDateTime = [datetimeoffset]::UtcNow.AddDays(200).ToString('o') })
    }
    # apps[3]: Mail.Send only (sends, cannot read).
    $script:Config.apps += [ordered]@{
        clientId = [guid]::NewGuid().ToString(); tenant = $script:Config.tenants[0].id; displayName = 'send only'; roles = @('Mail.Send')
        secrets  = @(@{ keyId = [guid]::NewGuid().ToString(); displayName = 'only'; value = 'So' + [guid]::NewGuid().ToString('N')
                startDateTime = [datetimeoffset]::UtcNow.AddDays(-1).ToString('o'); endDateTime = [datetimeoffset]::UtcNow.AddDays(200).ToString('o') })
    }
    # apps[4]: a public client (UsernamePassword) consented Mail.Read only: it may read, not send.
    $script:Config.apps += [ordered]@{
        clientId = [guid]::NewGuid().ToString(); tenant = $script:Config.tenants[0].id; displayName = 'ROPC read only'; allowPublicClient = $true; scopes = @('Mail.Read')
    }
    $script:Server = Start-G5TestServer -Config $script:Config -Pki $script:Pki
    $script:Mailbox = $script:Config.users[0].userPrincipalName
    $script:T0 = [datetimeoffset]::new(2026, 3, 2, 8, 0, 0, [timespan]::Zero)

    function script:Use-Graph([int] $App = 0, [switch] $User) {
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        if ($User) {
            # UsernamePassword (ROPC) as users[0] through a public client (apps[1] unless -App): the mailbox is the signed-in user's (/me).
            $publicApp = if ($App) { $script:Config.apps[$App] } else { $script:Config.apps[1] }
            Set-G5MailSetting -Scope System -Method ExchangeOnline -AuthenticationFlow UsernamePassword -ClientId $publicApp.clientId `
                -TenantId $script:Config.tenants[0].id -AuthorityHost $script:Server.BaseUri -GraphEndpoint $script:Server.BaseUri -From $script:Mailbox -WarningAction SilentlyContinue
            $account = $script:Config.users[0]
            Set-G5MailSetting -Scope User -Credential ([pscredential]::new($account.userPrincipalName, (ConvertTo-SecureString $account.password -AsPlainText -Force))) -WarningAction SilentlyContinue
            return
        }
        $registration = $script:Config.apps[$App]
        Set-G5MailSetting -Scope System -Method ExchangeOnline -AuthenticationFlow ClientSecret -ClientId $registration.clientId `
            -TenantId $script:Config.tenants[0].id -AuthorityHost $script:Server.BaseUri -GraphEndpoint $script:Server.BaseUri -From $script:Mailbox `
            -ClientSecret (ConvertTo-SecureString $registration.secrets[0].value -AsPlainText -Force) -WarningAction SilentlyContinue
    }

    # A supplier's mail as it arrives: From, To, Subject, Message-ID, optionally a PDF.
    function script:New-Mime([string] $Subject, [string] $Attachment, [string] $Content = "%PDF-1.4 $Subject") {
        $id = [guid]::NewGuid().ToString('N') + '@supplier.example'
        $head = "From: Leverantör AB <faktura@supplier.example>`r`nTo: $($script:Mailbox)`r`nSubject: $Subject`r`nMessage-ID: <$id>`r`n" +
                "Date: Mon, 02 Mar 2026 08:00:00 +0000`r`nMIME-Version: 1.0`r`n"
        if (-not $Attachment) { return $head + "Content-Type: text/plain; charset=utf-8`r`n`r`nHej!`r`n" }
        $b64 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Content))
        $head + "Content-Type: multipart/mixed; boundary=`"b1`"`r`n`r`n--b1`r`nContent-Type: text/plain`r`n`r`nFaktura bifogad`r`n--b1`r`n" +
            "Content-Type: application/pdf`r`nContent-Disposition: attachment; filename=`"$Attachment`"`r`nContent-Transfer-Encoding: base64`r`n`r`n$b64`r`n--b1--`r`n"
    }

    function script:Add-Mail([string] $Subject, [int] $Minute, [string] $Folder = 'Inbox', [switch] $Read, [string] $Attachment, [string] $Class = 'IPM.Note',
        [string] $Content = "%PDF-1.4 $Subject", [string] $Mailbox = $script:Mailbox) {
        $body = @{
            mailbox = $Mailbox; folder = $Folder; mimeText = (New-Mime $Subject $Attachment $Content); messageClass = $Class
            receivedDateTime = $script:T0.AddMinutes($Minute).ToString('o'); isRead = [bool] $Read
        } | ConvertTo-Json -Compress
        Invoke-RestMethod -Method Post -Uri "$($script:Server.BaseUri)/_test/mailbox/messages" -Body ([Text.Encoding]::UTF8.GetBytes($body)) `
            -ContentType 'application/json; charset=utf-8' -SkipCertificateCheck
    }

    function script:Get-Mailbox {
        Invoke-RestMethod -Uri "$($script:Server.BaseUri)/_test/mailbox/$($script:Mailbox)" -SkipCertificateCheck
    }

    function script:Get-Counts {
        $s = Get-G5TestServerStats -Server $script:Server
        $counts = @{ graph = [int] $s.graphRequests.total; tokens = [int] $s.tokenRequests.total; faults = [int] $s.faultsInjected }
        foreach ($p in $s.byRoute.PSObject.Properties) { $counts[$p.Name] = [int] $p.Value }
        foreach ($k in 'listMessages', 'getMessageContent', 'updateMessage', 'moveMessage', 'createChildFolder', 'listChildFolders') { $counts[$k] = $counts[$k] ?? 0 }
        $counts
    }
}

AfterAll {
    if ($script:Server) { Stop-G5TestServer -Server $script:Server }
    if ($script:Pki) { Remove-G5TestPki -Pki $script:Pki }
    Remove-Item $script:Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Receive-G5Mail with Exchange Online: the mailbox through Microsoft Graph' {
    BeforeEach {
        Reset-G5TestServer -Server $script:Server
        Use-Graph
    }

    It 'lists more messages than one page holds, oldest first, with one token and a few listing calls' {
        $count = 230
        for ($i = 0; $i -lt $count; $i++) { Add-Mail ('Faktura {0:000}' -f $i) -Minute ($count - $i) | Out-Null }

        $messages = @(Receive-G5Mail)
        $messages.Count | Should -Be $count
        $messages[0].Subject | Should -Be ('Faktura {0:000}' -f ($count - 1))
        $messages[-1].Subject | Should -Be 'Faktura 000'
        $messages[0].Received | Should -Be $script:T0.AddMinutes(1)
        $messages[0].Folder | Should -Be 'Inbox'
        $messages[0].From | Should -Be 'Leverantör AB <faktura@supplier.example>'
        $messages[0].To | Should -Be @($script:Mailbox)
        $messages[0].MessageId | Should -Match '^[0-9a-f]{32}@supplier\.example$'
        $messages[0].Size | Should -BeGreaterThan 200
        $messages[0].IsDeliveryReport | Should -BeFalse
        $messages[0].RemoteId | Should -Match '^AAMk'
        $counts = Get-Counts
        $counts.listMessages | Should -Be 2 -Because '230 messages are two pages of 200'
        $counts.getMessageContent | Should -Be 0 -Because 'without attachments to save or a body to show the MIME is not read'
        $counts.tokens | Should -Be 1
    }

    It '-First gives the oldest, -Since and -UnreadOnly are asked of Graph' {
        for ($i = 0; $i -lt 10; $i++) { Add-Mail "M$i" -Minute ($i * 10) -Read:($i % 2 -eq 0) | Out-Null }

        (Receive-G5Mail -First 3).Subject | Should -Be @('M0', 'M1', 'M2')
        (Receive-G5Mail -Since $script:T0.AddMinutes(65).LocalDateTime).Subject | Should -Be @('M7', 'M8', 'M9')
        $unread = @(Receive-G5Mail -UnreadOnly)
        $unread.Subject | Should -Be @('M1', 'M3', 'M5', 'M7', 'M9')
        $unread.IsRead | Should -Not -Contain $true
        (Receive-G5Mail -UnreadOnly -First 2 -Since $script:T0.AddMinutes(25).LocalDateTime).Subject | Should -Be @('M3', 'M5')
    }

    It 'reads a folder path, saves attachments from the MIME content, marks read and moves into a folder it creates' {
        Add-Mail 'Faktura 4711' -Minute 1 -Folder 'Inbox/Leverantörsfakturor' -Attachment '4711.pdf' -Content 'faktura 4711' | Out-Null
        Add-Mail 'Faktura 4712' -Minute 2 -Folder 'Inbox/Leverantörsfakturor' -Attachment '4712.pdf' -Content 'faktura 4712' | Out-Null
        Add-Mail 'Not this folder' -Minute 3 | Out-Null
        $dir = Join-Path $script:Work ('att-' + [guid]::NewGuid().ToString('N'))

        $messages = @(Receive-G5Mail -Folder 'Inkorg/leverantörsfakturor' -SaveAttachmentsTo $dir -MarkAsRead -MoveTo 'Inbox/Leverantörsfakturor/Klara')

        $messages.Subject | Should -Be @('Faktura 4711', 'Faktura 4712')
        $messages[0].Attachments.Name | Should -Be '4711.pdf'
        Get-Content -Raw -LiteralPath $messages[0].Attachments[0].Path | Should -Be 'faktura 4711'
        (Get-Content -Raw -LiteralPath (Join-Path $dir '4712.pdf')) | Should -Be 'faktura 4712'
        $messages[0].Folder | Should -Be 'Inbox/Leverantörsfakturor/Klara'
        $messages[0].IsRead | Should -BeFalse -Because 'IsRead is as the message was before this call'
        $box = Get-Mailbox
        $box.folders.path | Should -Contain 'Inbox/Leverantörsfakturor/Klara'
        $moved = @($box.messages | Where-Object subject -like 'Faktura 47*')
        $moved.folder | Should -Be @('Inbox/Leverantörsfakturor/Klara', 'Inbox/Leverantörsfakturor/Klara')
        $moved.isRead | Should -Be @($true, $true)
        ($box.messages | Where-Object subject -eq 'Not this folder').isRead | Should -BeFalse
        $counts = Get-Counts
        $counts.getMessageContent | Should -Be 2
        $counts.updateMessage | Should -Be 2
        $counts.moveMessage | Should -Be 2
        $counts.createChildFolder | Should -Be 1 -Because 'the folder is created once, before the first move'
        $counts.tokens | Should -Be 1
    }

    It '-WhatIf neither marks nor moves nor creates the folder' {
        Add-Mail 'Faktura 1' -Minute 1 | Out-Null
        $result = Receive-G5Mail -MarkAsRead -MoveTo Studsade -WhatIf
        $result.Actions | Should -Be 'WhatIf'
        $box = Get-Mailbox
        $box.messages[0].isRead | Should -BeFalse
        $box.messages[0].folder | Should -Be 'Inbox'
        $box.folders.path | Should -Not -Contain 'Studsade'
        $counts = Get-Counts
        ($counts.updateMessage + $counts.moveMessage + $counts.createChildFolder) | Should -Be 0
    }

    It '-Mailbox reads another mailbox of the tenant (app-only: /users/{mailbox})' {
        $shared = $script:Config.users[1].userPrincipalName
        Add-Mail 'Till den delade' -Minute 1 -Mailbox $shared | Out-Null
        Add-Mail 'Till avsändaren' -Minute 2 | Out-Null
        (Receive-G5Mail -Mailbox $shared).Subject | Should -Be 'Till den delade'
        (Receive-G5Mail).Subject | Should -Be 'Till avsändaren'
    }

    It 'UsernamePassword reads the signed-in user''s own mailbox through /me, with one token' {
        Add-Mail 'Faktura 1' -Minute 1 | Out-Null
        Use-Graph -User
        $since = (Get-Item $script:Server.LogPath).Length
        $messages = @(Receive-G5Mail -MarkAsRead -WarningAction SilentlyContinue)
        $messages.Subject | Should -Be 'Faktura 1'
        (Get-Mailbox).messages[0].isRead | Should -BeTrue
        $log = [IO.File]::ReadAllText($script:Server.LogPath).Substring($since)
        $log | Should -Match 'GET /v1\.0/me/mailFolders/inbox -> 200'
        $log | Should -Match 'GET /v1\.0/me/mailFolders/[^/ ]+/messages -> 200'
        $log | Should -Match 'PATCH /v1\.0/me/messages/'
        $log | Should -Not -Match '/v1\.0/users/'
        (Get-Counts).tokens | Should -Be 1
    }

    It 'UsernamePassword with an app consented only Mail.Read reads (the token asks for every consented permission, not Mail.Send)' {
        Add-Mail 'Faktura 1' -Minute 1 | Out-Null
        Use-Graph -User -App 4
        (Receive-G5Mail -WarningAction SilentlyContinue).Subject | Should -Be 'Faktura 1'
        $err = $null
        try { Receive-G5Mail -MarkAsRead -WarningAction SilentlyContinue | Out-Null } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'PermissionDenied*'
        $err.Exception.Message | Should -Match 'delegated Microsoft Graph permission Mail\.ReadWrite'
    }

    It 'a client secret Entra ID refuses is one error for the call and one token request' {
        Add-Mail 'Faktura 1' -Minute 1 | Out-Null
        Set-G5MailSetting -Scope System -ClientSecret (ConvertTo-SecureString 'Wrong~secret-value-0123456789' -AsPlainText -Force) -WarningAction SilentlyContinue
        $err = $null
        try { Receive-G5Mail -MarkAsRead | Out-Null } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'TokenAcquisitionFailed*'
        $counts = Get-Counts
        $counts.tokens | Should -Be 1
        $counts.graph | Should -Be 0
    }

    It 'tells delivery reports by their message class' {
        Add-Mail 'Olevererbart: Faktura 1001' -Minute 1 -Class 'REPORT.IPM.Note.NDR' | Out-Null
        Add-Mail 'Faktura 1002' -Minute 2 | Out-Null
        (Receive-G5Mail).IsDeliveryReport | Should -Be @($true, $false)
    }

    It 'without Mail.ReadWrite, -MarkAsRead is one PermissionDenied error naming the permission, and nothing is marked' {
        Add-Mail 'Faktura 1' -Minute 1 | Out-Null
        Add-Mail 'Faktura 2' -Minute 2 | Out-Null
        Use-Graph -App 2

        (Receive-G5Mail).Count | Should -Be 2 -Because 'Mail.Read is enough to read'
        $err = $null
        try { Receive-G5Mail -MarkAsRead | Out-Null } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'PermissionDenied*'
        $err.Exception.Message | Should -Match 'application permission Mail\.ReadWrite'
        (Get-Mailbox).messages.isRead | Should -Not -Contain $true
        (Get-Counts).updateMessage | Should -Be 1 -Because 'the first refusal ends the call; the second message is not tried'
    }

    It 'a folder that does not exist is FolderNotFound for the call' {
        Add-Mail 'Faktura 1' -Minute 1 | Out-Null
        $err = $null
        try { Receive-G5Mail -Folder 'Inbox/Finns inte' | Out-Null } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'FolderNotFound*'
        $err.TargetObject | Should -Be 'Inbox/Finns inte'
        (Get-Counts).listMessages | Should -Be 0
    }

    It 'waits out a 429 on the listing and then reads' {
        Add-Mail 'Faktura 1' -Minute 1 | Out-Null
        Set-G5TestServerFault -Server $script:Server -Path listMessages -Status 429 -RetryAfterSeconds 1 -Count 1
        $messages = @(Receive-G5Mail -Verbose 4>&1)
        @($messages | Where-Object { $_ -is [G5Mail.ReceivedMessage] }).Subject | Should -Be 'Faktura 1'
        @($messages | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'retry 1'
        $counts = Get-Counts
        $counts.faults | Should -Be 1
        $counts.listMessages | Should -Be 2
        $counts.tokens | Should -Be 1
    }

    It 'shows no secret or token in any output stream, error or the server log' {
        Add-Mail 'Faktura 1' -Minute 1 -Attachment '1.pdf' | Out-Null
        $Error.Clear()
        $dir = Join-Path $script:Work ('s-' + [guid]::NewGuid().ToString('N'))
        $all = @(
            Use-Graph
            Receive-G5Mail -SaveAttachmentsTo $dir -Verbose *>&1
            Use-Graph -App 2
            try { Receive-G5Mail -MarkAsRead -Verbose *>&1 } catch { $_ }
        )
        @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -BeGreaterOrEqual 1
        $text = ((@($all) + @($Error) + @(Get-Content -Raw $script:Server.LogPath)) | Out-String -Width 8192) +
                (($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { $_.Exception.ToString() }) -join "`n")
        $secrets = @($script:Config.apps | ForEach-Object { if ($_.Contains('secrets')) { $_.secrets.value } }) | Where-Object { $_ }
        $secrets.Count | Should -BeGreaterOrEqual 3
        foreach ($secret in $secrets) { $text.Contains($secret) | Should -BeFalse -Because 'no secret may appear in any output' }
        $text | Should -Not -Match 'eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}' -Because 'no access token may appear in any output'
    }
}

Describe 'Test-G5MailServer with Exchange Online: the permission to read mail' {
    It 'warns MailReadPermissionMissing when the app has neither Mail.Read nor Mail.ReadWrite, and not otherwise' {
        Reset-G5TestServer -Server $script:Server
        Use-Graph
        (Test-G5MailServer).Findings.Code | Should -Not -Contain 'MailReadPermissionMissing' -Because 'apps[0] has Mail.ReadWrite'
        Use-Graph -App 2
        (Test-G5MailServer).Findings.Code | Should -Not -Contain 'MailReadPermissionMissing' -Because 'apps[2] has Mail.Read'

        Use-Graph -App 3
        $result = Test-G5MailServer
        $result.Success | Should -BeTrue -Because 'sending does not need Mail.Read'
        $finding = $result.Findings | Where-Object Code -eq 'MailReadPermissionMissing'
        $finding.Severity | Should -Be 'Warning'
        $finding.Message | Should -Match 'application permission Mail\.Read'
        $finding.Message | Should -Match 'Receive-G5Mail'

        # And reading with it is PermissionDenied for the call.
        $err = $null
        try { Receive-G5Mail | Out-Null } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'PermissionDenied*'
        $err.Exception.Message | Should -Match 'Mail\.Read'
    }
}
