# Send-G5Document over SMTP against a real smtp4dev on loopback; what arrived is read back through its REST API
# and parsed with MimeKit, so every assertion is about the real message.
BeforeDiscovery {
    $script:Root = $env:G5MAIL_REPO_ROOT
}

BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $script:Docs = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-send-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Docs | Out-Null

    function script:Use-Settings {
        param([hashtable] $Extra = @{})
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        $common = @{ Scope = 'System'; Method = 'Smtp'; Server = '127.0.0.1'; Port = $script:Server.SmtpPort; From = 'order@olbryggeriet.example' }
        Set-G5MailSetting @common @Extra -WarningAction SilentlyContinue
    }
}

AfterAll {
    Remove-Item $script:Docs -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Send-G5Document over plain SMTP' {
    BeforeAll {
        $script:Server = Start-Smtp4Dev
        Use-Settings
        $script:Pdf = New-TestPdf -Path (Join-Path $script:Docs 'Offert Åhus 1001.pdf') -Lines 'Offert 1001', 'Åhus Trä AB'
        $script:Xml = Join-Path $script:Docs 'Offert Åhus 1001.xml'
        Set-Content -Path $script:Xml -Value '<?xml version="1.0" encoding="utf-8"?><Offert nr="1001">Åhus</Offert>' -Encoding utf8
    }
    AfterAll { Stop-Smtp4Dev $script:Server }
    BeforeEach { Clear-Smtp4DevMessages $script:Server }

    It 'delivers the PDF and XML of one document byte for byte with their Swedish names and subject' {
        $result = Send-G5Document -Path $script:Pdf.FullName, $script:Xml -To 'inkop@ahustra.example' -Subject 'Beställning från Ölbryggeriet {DocumentIds}'
        $result.Status | Should -Be 'Sent'
        $result.DocumentIds | Should -Be @('Offert Åhus 1001')
        $result.Attachments | Should -Be @('Offert Åhus 1001.pdf', 'Offert Åhus 1001.xml')
        $result.MessageId | Should -Not -BeNullOrEmpty

        $messages = @(Get-Smtp4DevMessage $script:Server)
        $messages.Count | Should -Be 1
        $messages[0].Subject | Should -Be 'Beställning från Ölbryggeriet Offert Åhus 1001'
        $messages[0].To.ToString() | Should -Match 'inkop@ahustra.example'
        $attachments = @(Get-MimeAttachment $messages[0])
        $attachments.Name | Should -Be @('Offert Åhus 1001.pdf', 'Offert Åhus 1001.xml')
        $attachments[0].ContentType | Should -Be 'application/pdf'
        $attachments[1].ContentType | Should -Be 'application/xml'
        Get-BytesHash $attachments[0].Bytes | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($script:Pdf.FullName)))
        Get-BytesHash $attachments[1].Bytes | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($script:Xml)))
    }

    It 'takes pipeline input from Get-ChildItem and groups 1002.pdf with 1002.xml into one document' {
        $dir = Join-Path $script:Docs 'folder'
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        New-TestPdf -Path (Join-Path $dir '1002.pdf') | Out-Null
        Set-Content -Path (Join-Path $dir '1002.xml') -Value '<a/>'
        New-TestPdf -Path (Join-Path $dir '1003.pdf') | Out-Null
        $results = Get-ChildItem $dir | Send-G5Document -To 'kund@example.se'
        $results.Count | Should -Be 2
        ($results | Where-Object { $_.DocumentIds -contains '1002' }).Attachments | Should -Be @('1002.pdf', '1002.xml')
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 2
    }

    It 'takes pipeline input from Import-Csv by property name (Path, EmailAddress, InvoiceNumber)' {
        $csv = Join-Path $script:Docs 'invoices.csv'
        @(
            [pscustomobject]@{ Path = $script:Pdf.FullName; EmailAddress = 'a@example.se'; InvoiceNumber = 'F-1' },
            [pscustomobject]@{ Path = $script:Xml; EmailAddress = 'b@example.se;c@example.se'; InvoiceNumber = 'F-2' }
        ) | Export-Csv -Path $csv -NoTypeInformation -Encoding utf8
        $results = Import-Csv $csv | Send-G5Document
        $results.Status | Should -Be @('Sent', 'Sent')
        $results[1].To | Should -Be @('b@example.se', 'c@example.se')
        $results.DocumentIds | Should -Be @('F-1', 'F-2')
    }

    It 'reports a missing recipient, a bad address and a missing file with their ids while the other documents arrive' {
        $good = New-TestPdf -Path (Join-Path $script:Docs '3001.pdf')
        $inputs = @(
            [pscustomobject]@{ Path = $good.FullName; To = 'ok@example.se' },
            [pscustomobject]@{ Path = $good.FullName; To = $null; DocumentId = 'NoRecipient' },
            [pscustomobject]@{ Path = $good.FullName; To = 'not-an-address'; DocumentId = 'BadAddress' },
            [pscustomobject]@{ Path = (Join-Path $script:Docs 'missing.pdf'); To = 'ok2@example.se' }
        )
        $results = $inputs | Send-G5Document -ErrorVariable errs -ErrorAction SilentlyContinue
        $results.Count | Should -Be 4
        @($results | Where-Object Status -eq 'Sent').Count | Should -Be 1
        @($results | Where-Object Status -eq 'Failed').Count | Should -Be 3
        $errs.FullyQualifiedErrorId | ForEach-Object { ($_ -split ',')[0] } | Sort-Object | Should -Be @('FileNotFound', 'InvalidAddress', 'MissingRecipient')
        ($results | Where-Object ErrorId -eq 'FileNotFound').Error | Should -Match 'missing\.pdf'
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 1
    }

    It '-WhatIf connects to nothing and returns the plan' {
        $results = Send-G5Document -Path $script:Pdf.FullName -To 'inkop@ahustra.example' -WhatIf
        $results.Status | Should -Be 'WhatIf'
        $results.Attachments | Should -Be @('Offert Åhus 1001.pdf')
        Start-Sleep -Milliseconds 300
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0
    }

    It '$WhatIfPreference = $true is -WhatIf: Status WhatIf, not Skipped/Declined, and nothing sent' {
        $journal = Join-Path $TestDrive 'whatif-preference.jsonl'
        $results = & {
            $WhatIfPreference = $true
            Send-G5Document -Path $script:Pdf.FullName -To 'inkop@ahustra.example' -JournalPath $journal -InformationVariable info
            $script:WhatIfSummary = $info[-1].MessageData
        }
        $results.Status | Should -Be 'WhatIf'
        $results.Reason | Should -BeNullOrEmpty
        Test-Path $journal | Should -BeFalse -Because 'a -WhatIf run only reads the journal'
        $script:WhatIfSummary.WhatIf | Should -Be 1
        Start-Sleep -Milliseconds 300
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0
    }

    It 'is stopped with ErrorAction Stop on the first failure' {
        { Send-G5Document -Path (Join-Path $script:Docs 'nope.pdf') -To 'a@example.se' -ErrorAction Stop } | Should -Throw -ErrorId 'FileNotFound*'
    }
}

Describe 'Combine and splitting' {
    BeforeAll {
        $script:Server = Start-Smtp4Dev
        Use-Settings
        $script:Big = foreach ($n in 1..5) { New-TestPdf -Path (Join-Path $script:Docs "Big$n.pdf") -PadToBytes 4MB }
        $script:Huge = New-TestPdf -Path (Join-Path $script:Docs 'Huge.pdf') -PadToBytes 15MB
    }
    AfterAll { Stop-Smtp4Dev $script:Server }
    BeforeEach { Clear-Smtp4DevMessages $script:Server }

    It 'sends 5 documents of 4 MiB to one recipient with a 10 MB limit as 3 messages' {
        $results = $script:Big | Send-G5Document -To 'kund@example.se' -Combine -MaxAttachmentSizeMB 10
        $results.Count | Should -Be 3
        $results.Status | Should -Be @('Sent', 'Sent', 'Sent')
        $results.Part | Should -Be @(1, 2, 3)
        $results.PartCount | Should -Be @(3, 3, 3)
        foreach ($r in $results) { $r.AttachmentBytes | Should -BeLessOrEqual (10 * 1MB) }
        ($results.DocumentIds | Sort-Object) | Should -Be @('Big1', 'Big2', 'Big3', 'Big4', 'Big5')
        $messages = @(Get-Smtp4DevMessage $script:Server)
        $messages.Count | Should -Be 3
        # MessageLanguage is sv by default: the built-in Swedish subject and part suffix.
        ($messages.Subject | Where-Object { $_ -match '^Dokument Big\d(, Big\d)* \(del 2 av 3\)$' }).Count | Should -Be 1
    }

    It 'never splits a single 15 MiB document' {
        $results = Send-G5Document -Path $script:Huge.FullName -To 'kund@example.se' -Combine -MaxAttachmentSizeMB 10
        $results.Count | Should -Be 1
        $results.Status | Should -Be 'Sent'
        $results.PartCount | Should -Be 1
        $attachment = Get-MimeAttachment (Get-Smtp4DevMessage $script:Server)
        Get-BytesHash $attachment.Bytes | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($script:Huge.FullName)))
    }

    It 'makes one group per recipient set (case-insensitive)' {
        $small = foreach ($n in 1..3) { New-TestPdf -Path (Join-Path $script:Docs "S$n.pdf") }
        $inputs = @(
            [pscustomobject]@{ Path = $small[0].FullName; To = 'A@example.se' },
            [pscustomobject]@{ Path = $small[1].FullName; To = 'b@example.se' },
            [pscustomobject]@{ Path = $small[2].FullName; To = 'a@EXAMPLE.se' }
        )
        $results = $inputs | Send-G5Document -Combine
        $results.Count | Should -Be 2
        ($results | Where-Object { $_.DocumentIds.Count -eq 2 }).DocumentIds | Should -Be @('S1', 'S3')
    }

    It 'with CombineDocuments off sends one message per document' {
        $results = $script:Big[0..1] | Send-G5Document -To 'kund@example.se'
        $results.Count | Should -Be 2
    }
}

Describe 'Server size limit' {
    BeforeAll {
        $script:Server = Start-Smtp4Dev -MaxMessageSize (2MB)
        Use-Settings
    }
    AfterAll { Stop-Smtp4Dev $script:Server }

    It 'reports MessageTooLarge naming both sizes, and still sends the others' {
        $big = New-TestPdf -Path (Join-Path $script:Docs 'TooBig.pdf') -PadToBytes 3MB
        $small = New-TestPdf -Path (Join-Path $script:Docs 'Fits.pdf')
        $results = $big, $small | Send-G5Document -To 'kund@example.se' -ErrorVariable errs -ErrorAction SilentlyContinue
        $results[0].Status | Should -Be 'Failed'
        $results[0].ErrorId | Should -Be 'MessageTooLarge'
        $results[0].Error | Should -Match '4\.\d MB'
        $results[0].Error | Should -Match '2\.0 MB'
        $results[1].Status | Should -Be 'Sent'
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'MessageTooLarge*'
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 1
    }
}

Describe 'Authentication' {
    BeforeAll {
        $script:Password = 'Sup3r-Secret-Passw0rd!' # ASCII: smtp4dev's --user option does not round-trip non-ASCII passwords
        $script:Server = Start-Smtp4Dev -User "sender=$($script:Password)" -AuthenticationRequired
        $script:Doc = New-TestPdf -Path (Join-Path $script:Docs 'Auth.pdf')
    }
    AfterAll { Stop-Smtp4Dev $script:Server }

    It 'sends with the right credential' {
        $cred = [pscredential]::new('sender', (ConvertTo-SecureString $script:Password -AsPlainText -Force))
        Use-Settings @{ Credential = $cred }
        $result = Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se'
        $result.Status | Should -Be 'Sent'
    }

    It 'reports AuthenticationFailed for a wrong password, and the password is in no output' {
        $wrong = 'Wr0ng-Passw0rd-' + [guid]::NewGuid()
        $cred = [pscredential]::new('sender', (ConvertTo-SecureString $wrong -AsPlainText -Force))
        Use-Settings @{ Credential = $cred }
        $all = Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se' -Verbose -ErrorVariable errs -ErrorAction Continue *>&1 | Out-String
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed*'
        $all | Should -Match 'AuthenticationFailed|rejected the login'
        $all | Should -Not -Match ([regex]::Escape($wrong))
        ($errs | Out-String) | Should -Not -Match ([regex]::Escape($wrong))
        ($errs[0].Exception.ToString()) | Should -Not -Match ([regex]::Escape($wrong))
    }
}

Describe 'TLS: STARTTLS and TLS on connect with generated certificates' {
    BeforeAll {
        Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestServers.psm1') -Force
        $script:Pki = New-G5TestPki
        $script:Doc = New-TestPdf -Path (Join-Path $script:Docs 'Tls.pdf')
        $script:Server = Start-Smtp4Dev -TlsMode StartTls -CertificatePath $script:Pki.Server.PfxPath
        $script:Address465 = Get-Loopback465
        if ($script:Address465) {
            $script:Implicit = Start-Smtp4Dev -TlsMode ImplicitTls -SmtpPort 465 -BindAddress $script:Address465 -CertificatePath $script:Pki.Server.PfxPath
        }
    }
    AfterAll {
        Stop-Smtp4Dev $script:Server
        Stop-Smtp4Dev $script:Implicit
        Remove-G5TestPki -Pki $script:Pki
    }
    BeforeEach { Clear-Smtp4DevMessages $script:Server }

    It 'refuses an untrusted certificate with CertificateInvalid and names the thumbprint to pin' {
        Use-Settings @{ UseSsl = $true }
        $result = Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se' -ErrorVariable errs -ErrorAction SilentlyContinue
        $result.Status | Should -Be 'Failed'
        $result.ErrorId | Should -Be 'CertificateInvalid'
        $result.Error | Should -Match $script:Pki.Server.Thumbprint
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'CertificateInvalid*'
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0
    }

    It 'sends over STARTTLS to exactly the pinned certificate' {
        Use-Settings @{ UseSsl = $true; CertificateThumbprint = $script:Pki.Server.Thumbprint }
        $result = Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se'
        $result.Status | Should -Be 'Sent'
        $summary = @(Get-Smtp4DevMessageList $script:Server)
        $summary.Count | Should -Be 1
        (Invoke-RestMethod "$($script:Server.ApiUri)/api/messages/$($summary[0].id)").secureConnection | Should -BeTrue
    }

    It 'refuses a certificate other than the pinned one' {
        Use-Settings @{ UseSsl = $true; CertificateThumbprint = $script:Pki.Expired.Thumbprint }
        $result = Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se' -ErrorAction SilentlyContinue
        $result.ErrorId | Should -Be 'CertificateInvalid'
        $result.Error | Should -Match 'not the pinned one'
    }

    It 'sends over STARTTLS when the issuing CA is trusted' {
        Install-G5TestPki -Pki $script:Pki
        try {
            Use-Settings @{ UseSsl = $true }
            (Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se').Status | Should -Be 'Sent'
        }
        finally { Remove-G5TestPki -Pki $script:Pki -KeepFiles }
    }

    It 'accepts any certificate only with SkipCertificateCheck, and warns' {
        Use-Settings @{ UseSsl = $true; SkipCertificateCheck = $true }
        $result = Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se' -WarningVariable warnings -WarningAction SilentlyContinue
        $result.Status | Should -Be 'Sent'
        ($warnings -join ' ') | Should -Match 'SkipCertificateCheck'
    }

    It 'speaks TLS from the first byte on port 465' {
        if (-not $script:Address465) { Set-ItResult -Skipped -Because 'port 465 cannot be bound here (needs root or CAP_NET_BIND_SERVICE on Linux)'; return }
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        Set-G5MailSetting -Scope System -Method Smtp -Server $script:Address465 -Port 465 -From 'order@olbryggeriet.example' `
            -CertificateThumbprint $script:Pki.Server.Thumbprint -WarningAction SilentlyContinue
        $result = Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se'
        $result.Status | Should -Be 'Sent'
        $result.Server | Should -Be "$($script:Address465):465"
        @(Get-Smtp4DevMessageList $script:Implicit).Count | Should -Be 1
    }

    It 'refuses an untrusted certificate on port 465 with CertificateInvalid' {
        if (-not $script:Address465) { Set-ItResult -Skipped -Because 'port 465 cannot be bound here (needs root or CAP_NET_BIND_SERVICE on Linux)'; return }
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        Set-G5MailSetting -Scope System -Method Smtp -Server $script:Address465 -Port 465 -From 'order@olbryggeriet.example' -WarningAction SilentlyContinue
        $result = Send-G5Document -Path $script:Doc.FullName -To 'kund@example.se' -ErrorAction SilentlyContinue
        $result.ErrorId | Should -Be 'CertificateInvalid'
    }
}

Describe 'Sending on several connections (-ThrottleLimit)' {
    BeforeAll {
        $script:Server = Start-Smtp4Dev
        Use-Settings
        $script:Batch = Join-Path $script:Docs 'throttle'
        New-Item -ItemType Directory -Path $script:Batch -Force | Out-Null
        # Forty different documents, each with content of its own, so every arrival can be matched to its document.
        $script:BatchDocs = foreach ($i in 1..40) {
            $id = 'T{0:D2}' -f $i
            $pdf = New-TestPdf -Path (Join-Path $script:Batch "$id.pdf") -Lines "Faktura $id" -PadToBytes (2048 + 97 * $i)
            [pscustomobject]@{ Path = $pdf.FullName; To = "kund$i@example.se"; DocumentId = $id }
        }
    }
    AfterAll { Stop-Smtp4Dev $script:Server }
    BeforeEach { Clear-Smtp4DevMessages $script:Server }

    It 'sends 40 documents on four connections: each arrives once, byte for byte, and the results come in input order' {
        $journal = Join-Path $script:Docs "throttle-$([guid]::NewGuid().ToString('N')).jsonl"
        $output = $script:BatchDocs | Send-G5Document -ThrottleLimit 4 -JournalPath $journal -InformationVariable summary -Verbose 4>&1
        $results = @($output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $verbose = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)

        $results.Count | Should -Be 40
        ($results.Status | Sort-Object -Unique) | Should -Be 'Sent'
        ($results | ForEach-Object { $_.DocumentIds[0] }) -join ',' | Should -Be (($script:BatchDocs.DocumentId) -join ',')
        ($results | ForEach-Object { $_.To[0] }) -join ',' | Should -Be (($script:BatchDocs.To) -join ',')
        $summary.MessageData.Sent | Should -Be 40
        # Connections beyond the first are announced; there are never more than four.
        $opened = @($verbose | Where-Object { $_ -match 'Opening connection (\d+) of at most 4' } | ForEach-Object { [int] ($_ -replace '^.*connection (\d+) of.*$', '$1') })
        $opened.Count | Should -BeGreaterThan 0
        ($opened | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual 4

        $delivered = @(Get-Smtp4DevMessage $script:Server)
        $delivered.Count | Should -Be 40
        ($delivered | ForEach-Object { "$($_.MessageId)" } | Sort-Object -Unique).Count | Should -Be 40
        foreach ($result in $results) {
            $message = @($delivered | Where-Object { "<$($_.MessageId)>" -eq $result.MessageId })
            $message.Count | Should -Be 1
            $message[0].To.Mailboxes[0].Address | Should -Be $result.To[0]
            $document = $script:BatchDocs | Where-Object DocumentId -eq $result.DocumentIds[0]
            Get-BytesHash (@(Get-MimeAttachment $message[0])[0].Bytes) | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($document.Path)))
        }

        # The journal has one intent and one result per document, and a second run sends nothing again.
        @(Get-Content $journal | Where-Object { $_ }).Count | Should -Be 80
        $again = @($script:BatchDocs | Send-G5Document -ThrottleLimit 4 -JournalPath $journal)
        ($again.Reason | Sort-Object -Unique) | Should -Be 'AlreadySent'
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 40
    }

    It '-WhatIf with -ThrottleLimit connects to nothing and lists the messages in input order' {
        $results = @($script:BatchDocs | Select-Object -First 10 | Send-G5Document -ThrottleLimit 4 -WhatIf)
        ($results.Status | Sort-Object -Unique) | Should -Be 'WhatIf'
        ($results | ForEach-Object { $_.DocumentIds[0] }) -join ',' | Should -Be ((($script:BatchDocs | Select-Object -First 10).DocumentId) -join ',')
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0
    }

    It 'cannot be combined with -DraftDirectory, which opens no connection' {
        { Send-G5Document -Path $script:BatchDocs[0].Path -To 'kund@example.se' -ThrottleLimit 2 -DraftDirectory (Join-Path $script:Docs 'drafts') -ErrorAction Stop } |
            Should -Throw -ErrorId 'AmbiguousParameterSet,G5Mail.Commands.SendG5DocumentCommand'
    }

    It 'refuses a limit outside 1 to 16' {
        { Send-G5Document -Path $script:BatchDocs[0].Path -To 'kund@example.se' -ThrottleLimit 17 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,G5Mail.Commands.SendG5DocumentCommand'
    }
}

Describe 'Stopping (Ctrl+C)' {
    It 'stops a send waiting on a server that never answers, long before the 100 s network timeout' {
        # A listener that accepts and never speaks: without cancellation the send would wait for MailKit's timeout.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $port = $listener.LocalEndpoint.Port
            $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
            Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $port -From 'order@olbryggeriet.example' -WarningAction SilentlyContinue
            $doc = New-TestPdf -Path (Join-Path $script:Docs 'Stop.pdf')
            $ps = [powershell]::Create()
            [void] $ps.AddScript("Import-Module '$($env:G5MAIL_MODULE_PATH)'; `$env:G5MAIL_CONFIG_DIR = '$($env:G5MAIL_CONFIG_DIR)'; Send-G5Document -Path '$($doc.FullName)' -To 'kund@example.se'")
            $async = $ps.BeginInvoke()
            $accepted = $listener.AcceptTcpClientAsync()
            $accepted.Wait(30000) | Should -BeTrue -Because 'the send connects to the silent server'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Stop()
            $async.IsCompleted | Should -BeTrue
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'Stop cancels the network call instead of waiting for its 100 s timeout'
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            $listener.Stop()
            if ($ps) { $ps.Dispose() }
        }
    }

    It 'stops all four connections of -ThrottleLimit 4 at once' {
        # The run sends its first message alone (until one went through, it risks one login only); the server answers
        # that one, then holds the reply to every later message far longer than the test, so four connections wait.
        Import-TestSmtpServer
        $server = [G5Mail.TestSmtp.TestSmtpServer]::Start()
        $server.HoldRepliesAfter(1, [TimeSpan]::FromMinutes(5))
        try {
            $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
            Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $server.Port -From 'order@olbryggeriet.example' -WarningAction SilentlyContinue
            $docs = foreach ($i in 1..8) { (New-TestPdf -Path (Join-Path $script:Docs "Stop$i.pdf")).FullName }
            $ps = [powershell]::Create()
            [void] $ps.AddScript("Import-Module '$($env:G5MAIL_MODULE_PATH)'; `$env:G5MAIL_CONFIG_DIR = '$($env:G5MAIL_CONFIG_DIR)'; '$($docs -join "','")' | Send-G5Document -To 'kund@example.se' -ThrottleLimit 4")
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ($server.Waiting -lt 4 -and [DateTime]::UtcNow -lt $deadline -and -not $async.IsCompleted) { Start-Sleep -Milliseconds 50 }
            $server.Waiting | Should -Be 4 -Because 'four connections each hold a message at the server'
            $ps.Stop()
            $async.IsCompleted | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $server.Sessions | Should -Be 4 -Because 'no fifth connection was opened'
            $server.Accepted.Count | Should -Be 1
            # Each of the four connections was closed by the client when it stopped.
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while (@($server.Events | Where-Object { $_ -match 'connection ended by the client|client closed the connection' }).Count -lt 4 -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 50
            }
            @($server.Events | Where-Object { $_ -match 'connection ended by the client|client closed the connection' }).Count | Should -Be 4
        }
        finally {
            $server.Dispose()
            if ($ps) { $ps.Dispose() }
        }
    }
}
