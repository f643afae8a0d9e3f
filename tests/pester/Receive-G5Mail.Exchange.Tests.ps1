#Requires -Version 7.4
# Receive-G5Mail with Method Exchange (EWS: FindItem pages, GetItem with MimeContent, UpdateItem, CreateFolder, MoveItem)
# against the local EWS stand-in (tests/G5Mail.TestServers, HTTPS on 127.0.0.1 with a test CA trusted while these tests run).
# Messages are seeded as raw MIME through /_test/ews/mailbox/messages; what the mailbox holds afterwards is read back from
# /_test/ews/mailbox, and how often each EWS operation was called from /_test/stats.

BeforeAll {
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestServers.psm1') -Force

    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-ewsrx-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:Login = 'G5TEST\anna'
    $script:Mailbox = 'anna@olbryggeriet.example'
    $script:Shared = 'order@olbryggeriet.example'
    $script:Password = 'Ews-' + [guid]::NewGuid().ToString('N').Substring(0, 14) + '!x'

    $script:Pki = New-G5TestPki -Install
    $script:Server = Start-G5TestServer -Pki $script:Pki -Config ([ordered]@{
            port = 0
            ews  = @{ users = @(
                    @{ userName = $script:Login; password = $script:Password; emailAddress = $script:Mailbox; displayName = 'Anna Ölbryggare'; mailboxAccess = @($script:Shared) }
                    @{ userName = 'G5TEST\order'; password = 'Order-' + [guid]::NewGuid().ToString('N'); emailAddress = $script:Shared; displayName = 'Order' }
                    # A mailbox anna has no rights on.
                    @{ userName = 'G5TEST\erik'; password = 'Erik-' + [guid]::NewGuid().ToString('N'); emailAddress = 'erik@olbryggeriet.example'; displayName = 'Erik' }
                ) }
        })
    $script:EwsUrl = "$($script:Server.BaseUri)/EWS/Exchange.asmx"

    function script:Use-ExchangeSettings([string] $Password = $script:Password) {
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        Set-G5MailSetting -Scope System -Method Exchange -Server $script:EwsUrl -From $script:Mailbox -WarningAction SilentlyContinue
        Set-G5MailSetting -Scope User -Credential ([pscredential]::new($script:Login, (ConvertTo-SecureString $Password -AsPlainText -Force))) -WarningAction SilentlyContinue
    }

    function script:Invoke-Ews([string] $Method, [string] $Path, $Body) {
        $params = @{ Method = $Method; Uri = "$($script:Server.BaseUri)$Path"; SkipCertificateCheck = $true }
        if ($null -ne $Body) { $params.Body = ($Body | ConvertTo-Json -Depth 5 -Compress); $params.ContentType = 'application/json; charset=utf-8' }
        Invoke-RestMethod @params
    }

    function script:Reset-Ews {
        Invoke-Ews Post '/_test/ews/reset' | Out-Null
        Reset-G5TestServer -Server $script:Server
    }

    function script:Get-EwsCount([string] $Route) {
        $value = (Get-G5TestServerStats -Server $script:Server).byRoute.$Route
        if ($null -eq $value) { 0 } else { $value }
    }

    function script:Get-MailboxItem([string] $Owner = $script:Mailbox) {
        @((Invoke-Ews Get "/_test/ews/mailbox?mailbox=$([uri]::EscapeDataString($Owner))").items)
    }

    # A message as raw MIME (RFC 5322), with a PDF attachment when -Attachment is given.
    function script:New-Mime([int] $N, [string] $Subject, [byte[]] $Attachment, [string] $Name = "faktura$N.pdf", [string] $To = $script:Mailbox) {
        $head = "From: Leverantor AB <leverantor@example.se>`r`nTo: $To`r`nSubject: $Subject`r`nMessage-ID: <m$N@example.se>`r`n" +
                "Date: Mon, 1 Mar 2027 08:00:00 +0000`r`nMIME-Version: 1.0`r`n"
        if ($null -eq $Attachment) { return $head + "Content-Type: text/plain; charset=utf-8`r`n`r`nHej $N`r`n" }
        $b64 = [Convert]::ToBase64String($Attachment, [Base64FormattingOptions]::InsertLineBreaks)
        $head + "Content-Type: multipart/mixed; boundary=`"grans`"`r`n`r`n--grans`r`nContent-Type: text/plain; charset=utf-8`r`n`r`nHej $N`r`n" +
            "--grans`r`nContent-Type: application/pdf; name=`"$Name`"`r`nContent-Disposition: attachment; filename=`"$Name`"`r`n" +
            "Content-Transfer-Encoding: base64`r`n`r`n$b64`r`n--grans--`r`n"
    }

    $script:Day = [datetimeoffset]::new(2027, 3, 1, 8, 0, 0, [timespan]::Zero)

    function script:Add-Mail([int] $N, [string] $Subject = "Faktura $N", [string] $Folder = 'inbox', [switch] $IsRead, [byte[]] $Attachment,
        [string] $Owner = $script:Mailbox, [string] $ItemClass) {
        $body = [ordered]@{
            mailbox  = $Owner
            folder   = $Folder
            mime     = New-Mime -N $N -Subject $Subject -Attachment $Attachment -To $Owner
            received = $script:Day.AddHours($N).ToString('o')
            isRead   = [bool] $IsRead
        }
        if ($ItemClass) { $body.itemClass = $ItemClass }
        (Invoke-Ews Post '/_test/ews/mailbox/messages' $body).id
    }

    Use-ExchangeSettings
}

AfterAll {
    if ($script:Server) { Stop-G5TestServer -Server $script:Server }
    if ($script:Pki) { Remove-G5TestPki -Pki $script:Pki }
    Remove-Item $script:Work -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item Env:\G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
}

Describe 'Receive-G5Mail through Exchange (EWS)' {
    BeforeEach {
        Reset-Ews
        Use-ExchangeSettings
    }

    It 'lists more than one FindItem page, oldest first, with recipients and received times' {
        # Seeded newest first: only G5Mail's SortOrder can put them oldest first.
        foreach ($n in 130..1) { Add-Mail $n | Out-Null }
        $messages = @(Receive-G5Mail)
        $messages.Count | Should -Be 130
        $messages[0].Subject | Should -Be 'Faktura 1'
        $messages[129].Subject | Should -Be 'Faktura 130'
        $messages[0].MessageId | Should -Be 'm1@example.se'
        $messages[0].To | Should -Be @($script:Mailbox)
        $messages[0].From | Should -Match 'leverantor@example\.se'
        $messages[0].Received | Should -Be $script:Day.AddHours(1)
        $messages[0].Folder | Should -Be 'Inbox'
        $messages[0].RemoteId | Should -Be (Get-MailboxItem | Where-Object subject -EQ 'Faktura 1').id
        Get-EwsCount 'ews.FindItem' | Should -Be 2 -Because '100 per page: two pages, not one request per message'
    }

    It '-First takes the oldest, -Since and -UnreadOnly filter' {
        foreach ($n in 1..6) { Add-Mail $n -IsRead:($n % 2 -eq 0) | Out-Null }
        (Receive-G5Mail -First 2).Subject | Should -Be @('Faktura 1', 'Faktura 2')
        (Receive-G5Mail -Since $script:Day.AddHours(4).UtcDateTime).Subject | Should -Be @('Faktura 4', 'Faktura 5', 'Faktura 6')
        $unread = @(Receive-G5Mail -UnreadOnly)
        $unread.Subject | Should -Be @('Faktura 1', 'Faktura 3', 'Faktura 5')
        $unread | ForEach-Object { $_.IsRead | Should -BeFalse }
        (Receive-G5Mail -UnreadOnly -Since $script:Day.AddHours(2).UtcDateTime -First 1).Subject | Should -Be 'Faktura 3'
    }

    It '-MarkAsRead marks in the mailbox and -MoveTo moves into a folder it creates' {
        Add-Mail 1 | Out-Null
        Add-Mail 2 | Out-Null
        $messages = @(Receive-G5Mail -MarkAsRead -MoveTo 'Inbox/Behandlat')
        $messages.Count | Should -Be 2
        $messages | ForEach-Object {
            $_.IsRead | Should -BeFalse -Because 'IsRead is how the message was before this call'
            $_.Folder | Should -Be 'Inbox/Behandlat'
            $_.Actions | Should -Be @('MarkedAsRead', 'Moved')
        }
        $items = Get-MailboxItem
        $items | ForEach-Object { $_.isRead | Should -BeTrue; $_.folderPath | Should -Be 'inbox/Behandlat' }
        Get-EwsCount 'ews.CreateFolder' | Should -Be 1
        @(Receive-G5Mail).Count | Should -Be 0 -Because 'the Inbox is empty now'
        (Receive-G5Mail -Folder 'inkorg/behandlat').Count | Should -Be 2
    }

    It '-WhatIf neither marks nor moves nor creates the folder' {
        Add-Mail 1 | Out-Null
        $messages = @(Receive-G5Mail -MarkAsRead -MoveTo 'Studsade' -WhatIf)
        $messages.Count | Should -Be 1
        (Get-MailboxItem)[0].isRead | Should -BeFalse
        (Get-MailboxItem)[0].folderPath | Should -Be 'inbox'
        Get-EwsCount 'ews.CreateFolder' | Should -Be 0
        Get-EwsCount 'ews.UpdateItem' | Should -Be 0
    }

    It 'reads an Inbox/Sub path and a folder beside the Inbox' {
        Add-Mail 1 -Subject 'Leverantorsfaktura' -Folder 'inbox/Leverantörsfakturor' | Out-Null
        Add-Mail 2 -Subject 'Studs' -Folder 'Studsade' | Out-Null
        $sub = @(Receive-G5Mail -Folder 'Inbox/Leverantörsfakturor')
        $sub.Subject | Should -Be 'Leverantorsfaktura'
        $sub[0].Folder | Should -Be 'Inbox/Leverantörsfakturor'
        (Receive-G5Mail -Folder 'studsade').Subject | Should -Be 'Studs'
    }

    It '-SaveAttachmentsTo writes the attachment from the MimeContent with its SHA-256' {
        $bytes = [byte[]]::new(300000)
        [Random]::new(42).NextBytes($bytes)
        $expected = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant()
        Add-Mail 1 -Attachment $bytes | Out-Null
        $dir = Join-Path $script:Work ('att-' + [guid]::NewGuid().ToString('N'))
        $message = Receive-G5Mail -SaveAttachmentsTo $dir
        $attachment = @($message.Attachments)
        $attachment.Count | Should -Be 1
        $attachment[0].Name | Should -Be 'faktura1.pdf'
        $attachment[0].Sha256 | Should -Be $expected
        $attachment[0].Path | Should -Be (Join-Path $dir 'faktura1.pdf')
        (Get-FileHash -Algorithm SHA256 -LiteralPath $attachment[0].Path).Hash.ToLowerInvariant() | Should -Be $expected
        (Get-MailboxItem)[0].mimeReads | Should -Be 1
    }

    It 'reads another mailbox it has Full Access to' {
        Add-Mail 1 -Subject 'Order 1' -Owner $script:Shared | Out-Null
        $messages = @(Receive-G5Mail -Mailbox $script:Shared)
        $messages.Subject | Should -Be 'Order 1'
        $messages[0].To | Should -Be @($script:Shared)
    }

    It 'another mailbox without rights is one PermissionDenied for the call' {
        Add-Mail 1 -Owner 'erik@olbryggeriet.example' | Out-Null
        $err = $null
        $messages = @(try { Receive-G5Mail -Mailbox 'erik@olbryggeriet.example' } catch { $err = $_ })
        $messages.Count | Should -Be 0
        $err.FullyQualifiedErrorId | Should -BeLike 'PermissionDenied,*'
        $err.Exception.Message | Should -Match 'FullAccess'
        Get-EwsCount 'ews.FindItem' | Should -Be 0
    }

    It 'a folder that does not exist is one FolderNotFound for the call' {
        Add-Mail 1 | Out-Null
        $err = $null
        $messages = @(try { Receive-G5Mail -Folder 'Inbox/Finns inte' } catch { $err = $_ })
        $messages.Count | Should -Be 0
        $err.FullyQualifiedErrorId | Should -BeLike 'FolderNotFound,*'
        $err.TargetObject | Should -Be 'Inbox/Finns inte'
        Get-EwsCount 'ews.FindItem' | Should -Be 0
    }

    It 'a wrong password is one AuthenticationFailed, one refused sign-in, and no secret anywhere' {
        Add-Mail 1 | Out-Null
        $wrong = 'Wr0ng-' + [guid]::NewGuid().ToString('N')
        Use-ExchangeSettings -Password $wrong
        $records = @()
        try {
            # Everything the call writes (output, verbose, warnings, errors), and the error that ends it.
            $records = @(& { try { Receive-G5Mail -MarkAsRead -MoveTo 'Inbox/X' -Verbose *>&1 } catch { $_ } })
        }
        finally { Use-ExchangeSettings }
        $errors = @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
        Get-EwsCount 'ews.refused.Basic' | Should -Be 1
        Get-EwsCount 'ews.FindItem' | Should -Be 0
        $text = ($records | Out-String) + ($errors | ForEach-Object { $_.Exception.Message }) -join ' '
        $text | Should -Not -Match ([regex]::Escape($wrong))
        $text | Should -Match 'AuthenticationFailed|rejected the sign-in'
        $ok = Receive-G5Mail -Verbose *>&1 | Out-String
        $ok | Should -Not -Match ([regex]::Escape($script:Password))
        $ok | Should -Match 'Faktura 1'
    }

    It 'waits out ErrorServerBusy as Exchange asks and then reads' {
        Add-Mail 1 | Out-Null
        Invoke-Ews Post '/_test/ews/faults' @{ operation = 'FindItem'; responseCode = 'ErrorServerBusy'; backOffMilliseconds = 50; count = 1 } | Out-Null
        $messages = @(Receive-G5Mail -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 0
        $messages.Subject | Should -Be 'Faktura 1'
        Get-EwsCount 'ews.FindItem' | Should -Be 2
    }

    It 'marks a delivery report by its message class' {
        Add-Mail 1 -Subject 'Undeliverable: Faktura 1001' -ItemClass 'REPORT.IPM.Note.NDR' | Out-Null
        Add-Mail 2 -Subject 'Vanligt' | Out-Null
        (Receive-G5Mail).IsDeliveryReport | Should -Be @($true, $false)
    }
}
