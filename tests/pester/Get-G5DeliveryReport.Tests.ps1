# Get-G5DeliveryReport through a real IMAP server: smtp4dev receives the documents Send-G5Document -JournalPath sends and
# then the bounces about them, built from the real-world samples in tests/G5Mail.Core.Tests/Mailbox/Samples (Postfix,
# Exchange Online, Gmail, Sendmail, RFC 6533, a delay warning, a cut-off report) with the Message-IDs of the messages really
# sent put in, and sent with MailKit's SmtpClient as a mail server would deliver them. smtp4dev serves its inbox over IMAP,
# which Get-G5DeliveryReport reads with the G5Mail settings (Method Smtp).
BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $null = Get-MimeKitType
    if (-not ('MailKit.Net.Smtp.SmtpClient' -as [type])) {
        Add-Type -Path (Join-Path $env:G5MAIL_REPO_ROOT 'artifacts/G5Mail/lib/MailKit.dll')
    }
    $script:Samples = Join-Path $env:G5MAIL_REPO_ROOT 'tests/G5Mail.Core.Tests/Mailbox/Samples'
    $script:Server = Start-Smtp4Dev -Imap

    # The Message-ID each sample's returned message carries, by document.
    $script:SampleIds = @{
        '1001' = '20261204221011.1001.a1b2c3@faktura.example.se'
        '1002' = '20261204221012.1002.d4e5f6@faktura.example.se'
        '1003' = '20261204221013.1003.0a1b2c@faktura.example.se'
        '1005' = '20261204221015.1005.6a7b8c@faktura.example.se'
        '1006' = '20261204221016.1006.9d0e1f@faktura.example.se'
        '1007' = '20261204221017.1007.2a3b4c@faktura.example.se'
    }

    function script:Use-Settings {
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        $account = [pscredential]::new('faktura@example.se', (ConvertTo-SecureString 'Imap-L0senord!' -AsPlainText -Force))
        Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $script:Server.SmtpPort -ImapPort $script:Server.ImapPort `
            -From 'faktura@example.se' -Credential $account -WarningAction SilentlyContinue
    }

    # Sends one small PDF per document id to its recipient with -JournalPath; returns the results by document id.
    function script:Send-Documents {
        param([string] $Journal, [hashtable] $To)
        $dir = Join-Path $TestDrive ('docs-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        $rows = foreach ($id in ($To.Keys | Sort-Object)) {
            [pscustomobject]@{ Path = (New-TestPdf -Path (Join-Path $dir "B-$id.pdf") -Lines "Faktura B-$id").FullName; To = $To[$id]; DocumentId = "B-$id" }
        }
        $results = @{}
        foreach ($r in ($rows | Send-G5Document -Subject 'Faktura {DocumentIds}' -JournalPath $Journal)) {
            $r.Status | Should -Be 'Sent'
            $results[$r.DocumentIds[0]] = $r
        }
        $results
    }

    # Delivers a sample bounce into smtp4dev, about the message sent for document $About (its Message-ID put in place of
    # the sample's); returns the bounce's own Message-ID.
    function script:Send-Bounce {
        param([string] $Sample, [string] $SampleDocument, $About)
        $text = [IO.File]::ReadAllText((Join-Path $script:Samples $Sample))
        if ($About) { $text = $text.Replace($script:SampleIds[$SampleDocument], $About.MessageId.Trim('<', '>')) }
        # smtp4dev 3.15's IMAP server describes a message/rfc822 part with an invalid BODYSTRUCTURE (a literal word
        # ENVELOPE, size 0, no nested body: RFC 3501 7.4.2 body-type-msg), which MailKit rightly refuses, failing the
        # whole listing. Real servers do not; here the returned message travels as text/rfc822-headers (RFC 6522), the
        # form Postfix and Sendmail use when they return headers only. The message/rfc822 shapes are read in xunit.
        $text = $text.Replace('Content-Type: message/rfc822', 'Content-Type: text/rfc822-headers')
        $stream = [IO.MemoryStream]::new([Text.Encoding]::UTF8.GetBytes($text))
        try { $bounce = [MimeKit.MimeMessage]::Load($stream) } finally { $stream.Dispose() }
        $bounce.MessageId = 'bounce.' + [guid]::NewGuid().ToString('N') + '@mail.example.se'
        $client = [MailKit.Net.Smtp.SmtpClient]::new()
        try {
            $client.Connect('127.0.0.1', $script:Server.SmtpPort, [MailKit.Security.SecureSocketOptions]::None)
            $null = $client.Send($bounce, [MimeKit.MailboxAddress]::new('', 'MAILER-DAEMON@mail.example.se'),
                [MimeKit.MailboxAddress[]] @([MimeKit.MailboxAddress]::new('', 'faktura@example.se')))
            $client.Disconnect($true)
        }
        finally { $client.Dispose() }
        $bounce.MessageId
    }
}

AfterAll {
    Stop-Smtp4Dev $script:Server
    Remove-Item Env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
}

Describe 'Get-G5DeliveryReport over IMAP' {
    BeforeAll {
        Clear-Smtp4DevMessages $script:Server
        Use-Settings
        $script:Journal = Join-Path $TestDrive 'journal/nightly.jsonl'
        $script:Sent = Send-Documents -Journal $script:Journal -To @{
            '1001' = 'nobody@kund.example'; '1002' = 'okand@kund.example'; '1005' = 'inkop@kund3.example'; '1006' = 'ekonomi@kund4.example'
        }
        # The order they arrive in is the order they are read in (oldest first).
        Send-Bounce 'postfix-user-unknown.eml' '1001' $script:Sent['B-1001'] | Out-Null
        Send-Bounce 'exchange-online-recipient-not-found.eml' '1002' $script:Sent['B-1002'] | Out-Null
        $script:Damaged = Send-Bounce 'damaged-status-cut-off.eml' '1007' $script:Sent['B-1006']
        Send-Bounce 'postfix-delayed.eml' '1005' $script:Sent['B-1005'] | Out-Null
        Send-Bounce 'sendmail-mailbox-full-headers-only.eml' '1006' $script:Sent['B-1006'] | Out-Null
        Send-Bounce 'gmail-address-not-found.eml' '1003' $null | Out-Null  # about a message this journal never sent
    }

    It 'reports each bounced document per recipient with its reason; a damaged report fails alone' {
        $reports = @(Get-G5DeliveryReport -JournalPath $script:Journal -ErrorVariable errs -ErrorAction SilentlyContinue -InformationVariable info)

        $reports.Count | Should -Be 4
        $reports | ForEach-Object { $_.PSObject.TypeNames[0] } | Select-Object -Unique | Should -Be 'G5Mail.DeliveryReport'
        @($reports | ForEach-Object { "$($_.DocumentIds)" }) | Should -Be @('B-1001', 'B-1002', 'B-1005', 'B-1006')
        $reports.Recipient | Should -Be @('nobody@kund.example', 'okand@kund.example', 'inkop@kund3.example', 'ekonomi@kund4.example')
        $reports.Reason | Should -Be @('MailboxUnknown', 'MailboxUnknown', 'Delayed', 'MailboxFull')
        $reports.Action | Should -Be @('failed', 'failed', 'delayed', 'failed')
        $reports.Status | Should -Be @('5.1.1', '5.1.10', '4.4.1', '5.2.2')
        $reports[1].Diagnostic | Should -BeLike '550 5.1.10 RESOLVER.ADR.RecipientNotFound*'
        $reports.Matched | Should -Be @($true, $true, $true, $true)
        foreach ($r in $reports) {
            $sent = $script:Sent[$r.DocumentIds[0]]
            $r.MessageId | Should -Be $sent.MessageId.Trim('<', '>')
            $r.Subject | Should -Be $sent.Subject
            $r.SentAt | Should -Not -BeNullOrEmpty
            $r.ReportedAt | Should -BeGreaterOrEqual $r.SentAt.AddSeconds(-1)
        }

        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MessageUnreadable,*'
        $errs[0].TargetObject | Should -Be "<$($script:Damaged)>"
        "$info" | Should -Match 'Get-G5DeliveryReport: \d+ listed, 4 written, 1 unreadable, 0 marked as read, 0 moved'
    }

    It 'reports the bounce of a message the journal does not know with -IncludeUnmatched' {
        $reports = @(Get-G5DeliveryReport -JournalPath $script:Journal -IncludeUnmatched -ErrorAction SilentlyContinue)

        $reports.Count | Should -Be 5
        $unmatched = $reports[4]
        $unmatched.Matched | Should -BeFalse
        $unmatched.DocumentIds.Count | Should -Be 0
        $unmatched.Recipient | Should -Be 'nobody@kund2.example'
        $unmatched.MessageId | Should -Be $script:SampleIds['1003']
        $unmatched.Subject | Should -Be 'Faktura 1003'
        $unmatched.SentAt | Should -BeNullOrEmpty
    }

    It 'writes the nightly CSV with the document ids' {
        $csv = Join-Path $TestDrive 'studsade.csv'
        Get-G5DeliveryReport -JournalPath $script:Journal -ErrorAction SilentlyContinue | Export-Csv -Path $csv -NoTypeInformation -Encoding utf8

        $rows = @(Import-Csv $csv)
        $rows.DocumentIds | Should -Be @('B-1001', 'B-1002', 'B-1005', 'B-1006')
        $rows.Reason | Should -Be @('MailboxUnknown', 'MailboxUnknown', 'Delayed', 'MailboxFull')
        $rows[0].Recipient | Should -Be 'nobody@kund.example'
    }

    It 'shows DocumentIds, Recipient, Reason, Status and Diagnostic in its table' {
        $table = Get-G5DeliveryReport -JournalPath $script:Journal -ErrorAction SilentlyContinue | Format-Table | Out-String -Width 120

        $table | Should -Match 'DocumentIds\s+Recipient\s+Reason\s+Status\s+Diagnostic'
        $table | Should -Match 'B-1006\s+ekonomi@kund4.example\s+MailboxFull\s+5\.2\.2\s+552 5\.2\.2 Mailbox full'
    }

    It 'stops with JournalAccessFailed, reading nothing, when the journal does not exist' {
        $missing = Join-Path $TestDrive 'typo/nightly.jsonl'

        { Get-G5DeliveryReport -JournalPath $missing -ErrorAction Stop } | Should -Throw -ErrorId 'JournalAccessFailed,*'
        Test-Path (Split-Path $missing) | Should -BeFalse
    }

    It 'finds nothing with -Since after the reports came, and all of them with -Since before' {
        @(Get-G5DeliveryReport -JournalPath $script:Journal -IncludeUnmatched -Since (Get-Date).AddDays(2) -ErrorAction SilentlyContinue).Count | Should -Be 0
        @(Get-G5DeliveryReport -JournalPath $script:Journal -IncludeUnmatched -Since (Get-Date).AddHours(-1) -ErrorAction SilentlyContinue).Count | Should -Be 5
    }

    It 'moves nothing and creates no folder with -MoveTo -WhatIf' {
        # smtp4dev cannot create folders ("Folders are not supported"): had -WhatIf tried, the call would have failed.
        $reports = @(Get-G5DeliveryReport -JournalPath $script:Journal -MoveTo 'Inbox/Studsade' -WhatIf -ErrorAction SilentlyContinue -ErrorVariable errs)

        $reports.Count | Should -Be 4
        @($errs | Where-Object { $_.FullyQualifiedErrorId -notlike 'MessageUnreadable,*' }).Count | Should -Be 0
        @(Get-G5DeliveryReport -JournalPath $script:Journal -ErrorAction SilentlyContinue).Count | Should -Be 4
    }

    It 'moves the reported bounces with -MoveTo; the damaged and the unmatched stay for a person to read' {
        # smtp4dev has Inbox and Sent only and no MOVE: the reader copies and marks the original \Deleted.
        $moved = @(Get-G5DeliveryReport -JournalPath $script:Journal -MoveTo 'Sent' -ErrorAction SilentlyContinue -InformationVariable info)

        $moved.Count | Should -Be 4
        "$info" | Should -Match ', 4 moved in '
        @(Get-G5DeliveryReport -JournalPath $script:Journal -ErrorAction SilentlyContinue -ErrorVariable errs).Count | Should -Be 0
        $errs.Count | Should -Be 1 -Because 'the damaged report is still in the Inbox'
        $left = @(Get-G5DeliveryReport -JournalPath $script:Journal -IncludeUnmatched -ErrorAction SilentlyContinue)
        $left.Recipient | Should -Be 'nobody@kund2.example'
    }

}
