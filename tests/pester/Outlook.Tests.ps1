# The Outlook method and Outlook-ready drafts, as a user types them. -DraftDirectory runs for real here: every .eml
# is parsed back with MimeKit and compared with the input files byte for byte. Classic Outlook's COM calls cannot run
# on this machine; they are verified only on Windows with Outlook installed (the rest of the Outlook path is covered
# by xunit against a recording double, tests/G5Mail.Core.Tests/Outlook). Here: what a user sees where Outlook is absent.

BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $script:MimeMessage = Get-MimeKitType

    function script:Use-Settings {
        param([hashtable] $Settings = @{})
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        if ($Settings.Count) { Set-G5MailSetting -Scope System @Settings -WarningAction SilentlyContinue }
    }

    function script:Read-Draft([string] $Path) {
        $stream = [IO.File]::OpenRead($Path)
        try { $script:MimeMessage::Load($stream) } finally { $stream.Dispose() }
    }

    function script:Get-Hashes([string[]] $Paths) { $Paths | ForEach-Object { Get-BytesHash ([IO.File]::ReadAllBytes($_)) } }

    $script:Docs = Join-Path $TestDrive 'in'
    New-Item -ItemType Directory -Path $script:Docs | Out-Null
    $script:Pdf1001 = (New-TestPdf -Path (Join-Path $script:Docs '1001.pdf') -Lines 'Faktura 1001', 'Åhus Trä AB').FullName
    $script:Xml1001 = Join-Path $script:Docs '1001.xml'
    Set-Content -Path $script:Xml1001 -Value '<?xml version="1.0" encoding="utf-8"?><Faktura nr="1001">Åhus</Faktura>' -Encoding utf8
    $script:Pdf1002 = (New-TestPdf -Path (Join-Path $script:Docs '1002.pdf') -PadToBytes 300KB).FullName
    $script:Big = foreach ($n in 1..3) { (New-TestPdf -Path (Join-Path $script:Docs "Big$n.pdf") -PadToBytes 400KB).FullName }
}

Describe 'Send-G5Document -DraftDirectory' {
    BeforeEach {
        # A listener where the Smtp settings point: drafts must not connect to it, or to anything.
        $script:Listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $script:Listener.Start()
        Use-Settings @{ Method = 'Smtp'; Server = '127.0.0.1'; Port = $script:Listener.LocalEndpoint.Port; From = 'order@olbryggeriet.example' }
        $script:Drafts = Join-Path $TestDrive ("drafts-" + [guid]::NewGuid().ToString('N'))
    }
    AfterEach {
        $script:Listener.Pending() | Should -BeFalse -Because 'drafts open no connection'
        $script:Listener.Stop()
    }

    It 'writes one unsent .eml per document with X-Unsent, all recipients, subject and identical files' {
        $r = Send-G5Document -Path $script:Pdf1001, $script:Xml1001 -To 'kund@ahustra.example' -Cc 'Inköp <inkop@ahustra.example>' `
            -Bcc 'arkiv@olbryggeriet.example' -Subject 'Faktura {DocumentIds} från Ölbryggeriet' -DraftDirectory $script:Drafts
        $r.Status | Should -Be 'Draft'
        $r.Path | Should -Be (Join-Path $script:Drafts '1001.eml')
        $r.Error | Should -BeNullOrEmpty
        $r.Server | Should -BeNullOrEmpty

        $m = Read-Draft $r.Path
        $m.Headers['X-Unsent'] | Should -Be '1'
        $m.Subject | Should -Be 'Faktura 1001 från Ölbryggeriet'
        $m.From.Mailboxes.Address | Should -Be 'order@olbryggeriet.example'
        $m.To.Mailboxes.Address | Should -Be 'kund@ahustra.example'
        $m.Cc.Mailboxes.Address | Should -Be 'inkop@ahustra.example'
        $m.Bcc.Mailboxes.Address | Should -Be 'arkiv@olbryggeriet.example'
        $a = @(Get-MimeAttachment $m)
        $a.Name | Should -Be @('1001.pdf', '1001.xml')
        @($a | ForEach-Object { Get-BytesHash $_.Bytes }) | Should -Be @(Get-Hashes $script:Pdf1001, $script:Xml1001)
    }

    It 'writes one draft for combined documents' {
        $in = @(
            [pscustomobject]@{ Path = $script:Pdf1001; EmailAddress = 'kund@ahustra.example'; InvoiceNumber = '1001' },
            [pscustomobject]@{ Path = $script:Xml1001; EmailAddress = 'kund@ahustra.example'; InvoiceNumber = '1001' },
            [pscustomobject]@{ Path = $script:Pdf1002; EmailAddress = 'KUND@ahustra.example'; InvoiceNumber = '1002' }
        )
        $r = $in | Send-G5Document -Combine -DraftDirectory $script:Drafts
        $r.Status | Should -Be 'Draft'
        Split-Path -Leaf $r.Path | Should -Be '1001_1002.eml'
        $m = Read-Draft $r.Path
        $m.Headers['X-Unsent'] | Should -Be '1'
        $m.Subject | Should -Be 'Dokument 1001, 1002'
        $a = @(Get-MimeAttachment $m)
        $a.Name | Should -Be @('1001.pdf', '1001.xml', '1002.pdf')
        @($a | ForEach-Object { Get-BytesHash $_.Bytes }) | Should -Be @(Get-Hashes $script:Pdf1001, $script:Xml1001, $script:Pdf1002)
    }

    It 'writes one draft per part of a split message' {
        $r = $script:Big | Send-G5Document -To 'kund@ahustra.example' -Combine -MaxAttachmentSizeMB 1 -DraftDirectory $script:Drafts
        $r.Count | Should -Be 2
        $r.Status | Should -Be @('Draft', 'Draft')
        ($r.Path | Split-Path -Leaf) | Should -Be @('Big1_Big2_part1of2.eml', 'Big3_part2of2.eml')
        $all = foreach ($p in $r.Path) {
            $m = Read-Draft $p
            $m.Headers['X-Unsent'] | Should -Be '1'
            $m.Subject | Should -Match '^Dokument Big\d(, Big\d)* \(del \d av 2\)$'
            Get-MimeAttachment $m
        }
        $all.Name | Should -Be @('Big1.pdf', 'Big2.pdf', 'Big3.pdf')
        @($all | ForEach-Object { Get-BytesHash $_.Bytes }) | Should -Be @(Get-Hashes $script:Big)
    }

    It 'makes safe, unique names and never replaces a file' {
        New-Item -ItemType Directory -Path $script:Drafts | Out-Null
        Set-Content -Path (Join-Path $script:Drafts 'AB_12_3.eml') -Value 'keep me'
        $first = Send-G5Document -Path $script:Pdf1002 -To 'kund@ahustra.example' -DocumentId 'AB/12:3' -DraftDirectory $script:Drafts
        $second = Send-G5Document -Path $script:Pdf1002 -To 'kund@ahustra.example' -DocumentId 'AB/12:3' -DraftDirectory $script:Drafts
        Split-Path -Leaf $first.Path | Should -Be 'AB_12_3 (2).eml'
        Split-Path -Leaf $second.Path | Should -Be 'AB_12_3 (3).eml'
        Get-Content (Join-Path $script:Drafts 'AB_12_3.eml') | Should -Be 'keep me'
        (Read-Draft $second.Path).Headers['X-Unsent'] | Should -Be '1'
        @(Get-ChildItem $script:Drafts -Force -Filter '*.tmp').Count | Should -Be 0
    }

    It 'takes a relative folder from the current location and creates it' {
        Push-Location $TestDrive
        try {
            $r = Send-G5Document -Path $script:Pdf1002 -To 'kund@ahustra.example' -DraftDirectory 'relativa utkast'
        }
        finally { Pop-Location }
        $r.Path | Should -Be (Join-Path $TestDrive 'relativa utkast' '1002.eml')
        Test-Path $r.Path | Should -BeTrue
    }

    It 'writes nothing with -WhatIf' {
        $r = Send-G5Document -Path $script:Pdf1002 -To 'kund@ahustra.example' -DraftDirectory $script:Drafts -WhatIf
        $r.Status | Should -Be 'WhatIf'
        Test-Path $script:Drafts | Should -BeFalse
    }

    It 'needs neither a complete method setup nor a sender' {
        Use-Settings @{ Method = 'Smtp' }   # no server, no From: sending would stop with SettingsIncomplete
        $r = Send-G5Document -Path $script:Pdf1002 -To 'kund@ahustra.example' -DraftDirectory $script:Drafts -WarningVariable warnings
        $r.Status | Should -Be 'Draft'
        $warnings | Should -BeNullOrEmpty
        (Read-Draft $r.Path).Headers.Contains([MimeKit.HeaderId]::From) | Should -BeFalse
    }

    It 'works for Method Outlook on every platform, quietly' {
        Use-Settings @{ Method = 'Outlook' }
        $r = Send-G5Document -Path $script:Pdf1002 -To 'kund@ahustra.example' -DraftDirectory $script:Drafts -WarningVariable warnings
        $r.Status | Should -Be 'Draft'
        $r.Method | Should -Be 'Outlook'
        $warnings | Should -BeNullOrEmpty
    }

    It 'refuses a folder that is not on the file system' {
        { Send-G5Document -Path $script:Pdf1002 -To 'kund@ahustra.example' -DraftDirectory 'Env:\drafts' } |
            Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SendG5DocumentCommand'
    }
}

Describe 'Outlook-only parameters' {
    BeforeAll { Use-Settings @{ Method = 'Smtp'; Server = '127.0.0.1'; From = 'order@olbryggeriet.example' } }

    It '-<Switch> with another method stops before anything happens' -ForEach @(@{ Switch = 'Display' }, @{ Switch = 'SaveAsDraft' }) {
        $p = @{ Path = $script:Pdf1002; To = 'kund@ahustra.example'; $Switch = $true }
        { Send-G5Document @p } | Should -Throw -ErrorId 'MethodNotSupported,G5Mail.Commands.SendG5DocumentCommand' -ExpectedMessage "*-$Switch works only with the Outlook method*"
        { Send-G5Document @p -Method ExchangeOnline } | Should -Throw -ErrorId 'MethodNotSupported,G5Mail.Commands.SendG5DocumentCommand'
    }

    It 'says the method problem even when the other method is not set up' {
        Use-Settings @{ Method = 'Smtp' }
        $err = { Send-G5Document -Path $script:Pdf1002 -To 'kund@ahustra.example' -Display } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'MethodNotSupported,G5Mail.Commands.SendG5DocumentCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'cannot combine -Display, -SaveAsDraft and -DraftDirectory' {
        { Send-G5Document -Path $script:Pdf1002 -To 'a@example.se' -Method Outlook -Display -SaveAsDraft } | Should -Throw -ErrorId 'AmbiguousParameterSet*'
        { Send-G5Document -Path $script:Pdf1002 -To 'a@example.se' -Display -DraftDirectory $TestDrive } | Should -Throw -ErrorId 'AmbiguousParameterSet*'
    }
}

Describe 'The Outlook method where Outlook cannot run' -Skip:$IsWindows {
    # On Windows the answer depends on whether classic Outlook is installed: verified by hand there.
    BeforeAll { Use-Settings }

    It 'fails every message with MethodNotSupported saying why and what to use instead' {
        $results = $script:Pdf1001, $script:Pdf1002 | Send-G5Document -To 'kund@ahustra.example' -Method Outlook `
            -ErrorVariable errs -ErrorAction SilentlyContinue -WarningVariable warnings -WarningAction SilentlyContinue
        $results.Count | Should -Be 2
        $results.Status | Should -Be @('Failed', 'Failed')
        $results.ErrorId | Should -Be @('MethodNotSupported', 'MethodNotSupported')
        $results[0].Error | Should -Match 'only on Windows'
        $results[0].Error | Should -Match '-DraftDirectory'
        $errs.Count | Should -Be 2
        $errs[0].FullyQualifiedErrorId | Should -Be 'MethodNotSupported,G5Mail.Commands.SendG5DocumentCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'NotImplemented'
        $warnings | Should -Match 'classic Outlook on Windows'
    }

    It '-Display and -SaveAsDraft fail the same way' {
        $r = Send-G5Document -Path $script:Pdf1002 -To 'kund@ahustra.example' -Method Outlook -SaveAsDraft -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $r.ErrorId | Should -Be 'MethodNotSupported'
    }

    It 'Test-G5MailServer -Method Outlook reports MethodNotSupported with the reason' {
        $r = Test-G5MailServer -Method Outlook
        $r.Success | Should -BeFalse
        $r.Method | Should -Be 'Outlook'
        $f = $r.Findings | Where-Object Code -eq 'MethodNotSupported'
        $f.Severity | Should -Be 'Error'
        $f.Setting | Should -Be 'Method'
        $f.Message | Should -Match 'COM interface, which exists only on Windows'
        Test-G5MailServer -Method Outlook -Quiet | Should -BeFalse
    }

    It 'Set-G5MailSetting -Method Outlook warns and points to drafts' {
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        Set-G5MailSetting -Method Outlook -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -Match '-DraftDirectory'
    }
}

Describe 'Reading mail with the Outlook method where Outlook cannot run' -Skip:$IsWindows {
    # On Windows the answer depends on whether classic Outlook is installed: verified by hand there. The reading path
    # itself (folders, filter, listing, MIME, marking, moving, COM errors) is tested in xunit against the recording Outlook.
    BeforeAll { Use-Settings }

    It 'Receive-G5Mail stops with one MethodNotSupported error naming the methods that read mail, and writes nothing' {
        $dir = Join-Path $TestDrive 'bilagor-outlook'
        $err = $null
        try { Receive-G5Mail -Method Outlook -Folder 'Inbox/Leverantörsfakturor' -SaveAttachmentsTo $dir -MarkAsRead -MoveTo 'Behandlat' -ErrorAction Stop }
        catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'MethodNotSupported,*'
        $err.CategoryInfo.Category | Should -Be 'NotImplemented'
        $err.Exception.Message | Should -Match 'only on Windows'
        $err.Exception.Message | Should -Match 'Smtp \(IMAP\), ExchangeOnline \(Microsoft Graph\) or Exchange \(EWS\)'
        $err.Exception.Message | Should -Not -Match 'not available in this version'
        Test-Path $dir | Should -BeFalse
    }

    It 'stops the same way with the method from the settings, with -WhatIf and a query' {
        Use-Settings @{ Method = 'Outlook' }
        $out = $null; $err = $null
        try { $out = Receive-G5Mail -WhatIf -MoveTo 'Studsade' -UnreadOnly -Since '2026-12-01' -First 5 }
        catch { $err = $_ }
        $out | Should -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'MethodNotSupported,*'
        $err.Exception.Message | Should -Match 'only on Windows'
    }
}

Describe 'Delivery reports with the Outlook method' {
    # On every platform: Outlook keeps a bounce without its delivery-status part, so there is nothing to read or match.
    BeforeAll { Use-Settings }

    It 'Get-G5DeliveryReport stops before reading anything and names the methods that can' {
        $journal = Join-Path $TestDrive 'journal-outlook.jsonl'
        Set-Content -LiteralPath $journal -Value '' -NoNewline
        $err = $null; $out = $null
        try { $out = Get-G5DeliveryReport -Method Outlook -JournalPath $journal -MoveTo Studsade -ErrorAction Stop }
        catch { $err = $_ }
        $out | Should -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'MethodNotSupported,*'
        $err.Exception.Message | Should -Match 'delivery-status'
        $err.Exception.Message | Should -Match '-Method Smtp \(IMAP\), ExchangeOnline or Exchange'
    }
}
