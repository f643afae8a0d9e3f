# Send-G5Document -JournalPath against a real smtp4dev on loopback: reruns skip what was
# sent, failed documents go again, a second run on the same journal is refused, and a run killed mid-batch (kill -9)
# followed by a rerun leaves every document in the inbox exactly once, except those reported Uncertain (at most once).
BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    . (Join-Path $env:G5MAIL_REPO_ROOT 'build/common.ps1')
    $script:Pwsh, $script:PwshArgs = Get-PwshCommand
    $script:Manifest = (Resolve-Path $env:G5MAIL_MODULE_PATH).ProviderPath
    $script:Server = Start-Smtp4Dev

    function script:Use-Settings {
        param([int] $Port = $script:Server.SmtpPort)
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $Port -From 'order@olbryggeriet.example' -WarningAction SilentlyContinue
    }

    # A fresh folder with one small, distinct document per id and a CSV (Path, EmailAddress, InvoiceNumber) listing them.
    function script:New-Batch {
        param([string[]] $Ids)
        $dir = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-journal-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
        $rows = foreach ($id in $Ids) {
            $path = Join-Path $dir "$id.pdf"
            [IO.File]::WriteAllText($path, "%PDF-1.4`n% invoice $id`n%%EOF`n")
            [pscustomobject]@{ Path = $path; EmailAddress = "ap-$($id.ToLowerInvariant())@example.se"; InvoiceNumber = $id }
        }
        $csv = Join-Path $dir 'invoices.csv'
        $rows | Export-Csv -Path $csv -NoTypeInformation -Encoding utf8
        [pscustomobject]@{ Dir = $dir; Csv = $csv; Journal = Join-Path $dir 'journal/send-journal.jsonl' }
    }

    # How many messages of each document (by the subject 'Invoice <id>') smtp4dev holds.
    function script:Get-ArrivedCount {
        $counts = @{}
        foreach ($m in @(Get-Smtp4DevMessageList $script:Server)) {
            if ($m.subject -match '^Invoice (\S+)$') { $counts[$Matches[1]] = 1 + [int] $counts[$Matches[1]] }
        }
        $counts
    }

    function script:Get-InboxSize {
        (Invoke-RestMethod "$($script:Server.ApiUri)/api/messages?pageSize=1" -TimeoutSec 10).rowCount
    }
}

AfterAll {
    Stop-Smtp4Dev $script:Server
    Remove-Item Env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
}

Describe 'Send-G5Document -JournalPath' {
    BeforeEach {
        Clear-Smtp4DevMessages $script:Server
        Use-Settings
    }

    It 'skips on a rerun what was sent, sends a changed document again, and sums up each run in one Information record' {
        $batch = New-Batch 'F-1', 'F-2', 'F-3'
        $first = Import-Csv $batch.Csv | Send-G5Document -Subject 'Invoice {DocumentIds}' -JournalPath $batch.Journal -InformationVariable summary1
        $first.Status | Should -Be @('Sent', 'Sent', 'Sent')
        $summary1.Count | Should -Be 1
        $summary1[0].Tags | Should -Contain 'G5Mail'
        $summary1[0].Tags | Should -Contain 'Summary'
        "$($summary1[0])" | Should -Match '^Send-G5Document: 3 Sent, 0 Failed, 0 Skipped, 0 Uncertain in \d+\.\d s$'
        $summary1.MessageData.Sent | Should -Be 3  # as Example 10 of the help reads it
        $summary1[0].MessageData.RunId | Should -Match '^[0-9a-f]{32}$'
        $summary1[0].MessageData.JournalPath | Should -Be $batch.Journal

        # The journal: an intent and a result per message, each with the attachment's SHA-256.
        $records = Get-Content $batch.Journal | ForEach-Object { $_ | ConvertFrom-Json }
        $records.status | Should -Be @('Sending', 'Sent', 'Sending', 'Sent', 'Sending', 'Sent')
        $records[1].documents[0].files[0].sha256 | Should -Be (Get-FileHash (Join-Path $batch.Dir 'F-1.pdf') -Algorithm SHA256).Hash.ToLowerInvariant()
        $records[1].messageId | Should -Be $first[0].MessageId

        $again = Import-Csv $batch.Csv | Send-G5Document -Subject 'Invoice {DocumentIds}' -JournalPath $batch.Journal -InformationVariable summary2
        $again.Status | Should -Be @('Skipped', 'Skipped', 'Skipped')
        $again.Reason | Should -Be @('AlreadySent', 'AlreadySent', 'AlreadySent')
        $again[0].MessageId | Should -Be $first[0].MessageId
        "$summary2" | Should -Match '^Send-G5Document: 0 Sent, 0 Failed, 3 Skipped, 0 Uncertain in '
        Get-InboxSize | Should -Be 3

        # F-2 regenerated with other bytes: it is another document now and goes out again.
        [IO.File]::AppendAllText((Join-Path $batch.Dir 'F-2.pdf'), "% corrected`n")
        $third = Import-Csv $batch.Csv | Send-G5Document -Subject 'Invoice {DocumentIds}' -JournalPath $batch.Journal
        ($third | Where-Object Status -eq 'Sent').DocumentIds | Should -Be @('F-2')
        @($third | Where-Object Status -eq 'Skipped').Count | Should -Be 2
        (Get-ArrivedCount)['F-2'] | Should -Be 2
        Get-InboxSize | Should -Be 4
    }

    It 'sends again on the rerun what failed because the server was down' {
        $batch = New-Batch 'D-1', 'D-2'
        Use-Settings -Port (Get-FreeTcpPort)
        $down = Import-Csv $batch.Csv | Send-G5Document -Subject 'Invoice {DocumentIds}' -JournalPath $batch.Journal -ErrorAction SilentlyContinue -ErrorVariable downErrors -InformationVariable downSummary
        $down.Status | Should -Be @('Failed', 'Failed')
        $downErrors[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionFailed,*'
        "$downSummary" | Should -Match ': 0 Sent, 2 Failed, 0 Skipped, 0 Uncertain in '
        (Get-Content $batch.Journal | ForEach-Object { ($_ | ConvertFrom-Json).status }) | Should -Not -Contain 'Sent'

        Use-Settings
        $rerun = Import-Csv $batch.Csv | Send-G5Document -Subject 'Invoice {DocumentIds}' -JournalPath $batch.Journal
        $rerun.Status | Should -Be @('Sent', 'Sent')
        Get-InboxSize | Should -Be 2
    }

    It 'with -WhatIf reads the journal to show what a rerun would skip, and writes nothing' {
        $batch = New-Batch 'W-1', 'W-2'
        Import-Csv $batch.Csv | Select-Object -First 1 | Send-G5Document -JournalPath $batch.Journal | Out-Null
        $before = Get-FileHash $batch.Journal
        $preview = Import-Csv $batch.Csv | Send-G5Document -JournalPath $batch.Journal -WhatIf -InformationVariable summary
        $preview.Status | Should -Be @('Skipped', 'WhatIf')
        "$summary" | Should -Match ': 0 Sent, 0 Failed, 1 Skipped, 0 Uncertain, 1 WhatIf in '
        (Get-FileHash $batch.Journal).Hash | Should -Be $before.Hash
        # 6>&1, as a scheduled task that logs only output would capture it: the summary is one line of text.
        $redirected = Import-Csv $batch.Csv | Send-G5Document -JournalPath $batch.Journal -WhatIf 6>&1
        $line = @($redirected | Where-Object { $_ -is [System.Management.Automation.InformationRecord] })
        $line.Count | Should -Be 1
        ($line | Out-String).Trim() | Should -Match '^Send-G5Document: 0 Sent, 0 Failed, 1 Skipped, 0 Uncertain, 1 WhatIf in \d+\.\d s$'
        Get-InboxSize | Should -Be 1

        # A journal that does not exist yet is not created by a preview.
        $fresh = Join-Path $batch.Dir 'new/preview.jsonl'
        (Import-Csv $batch.Csv | Send-G5Document -JournalPath $fresh -WhatIf).Status | Should -Be @('WhatIf', 'WhatIf')
        Test-Path (Split-Path $fresh) | Should -BeFalse
    }

    It 'refuses a second run on a journal another run holds, before sending anything' {
        $batch = New-Batch 'L-1'
        New-Item -ItemType Directory -Path (Split-Path $batch.Journal) -Force | Out-Null
        # The lock a running Send-G5Document holds (FileShare.None: flock on Unix, a share lock on Windows).
        $held = [IO.FileStream]::new("$($batch.Journal).lock", 'OpenOrCreate', 'ReadWrite', 'None')
        try {
            { Import-Csv $batch.Csv | Send-G5Document -JournalPath $batch.Journal } |
                Should -Throw -ErrorId 'JournalLocked,G5Mail.Commands.SendG5DocumentCommand' -ExpectedMessage '*in use by another Send-G5Document run*'
        }
        finally { $held.Dispose() }
        Get-InboxSize | Should -Be 0
        (Import-Csv $batch.Csv | Send-G5Document -JournalPath $batch.Journal).Status | Should -Be 'Sent'
    }

    It 'cannot be combined with -DraftDirectory: drafts are not sent, so they are not journaled' {
        $batch = New-Batch 'X-1'
        { Import-Csv $batch.Csv | Send-G5Document -DraftDirectory (Join-Path $batch.Dir 'drafts') -JournalPath $batch.Journal } |
            Should -Throw -ErrorId 'AmbiguousParameterSet,G5Mail.Commands.SendG5DocumentCommand'
        Test-Path $batch.Journal | Should -BeFalse
    }

    It 'names a journal line it cannot read in a warning and goes on' {
        $batch = New-Batch 'C-1', 'C-2'
        Import-Csv $batch.Csv | Send-G5Document -Subject 'Invoice {DocumentIds}' -JournalPath $batch.Journal | Out-Null
        # Half a record at the end, as a kill during a write leaves it.
        $line = (Get-Content $batch.Journal)[0]
        [IO.File]::AppendAllText($batch.Journal, $line.Substring(0, 50))
        $rerun = Import-Csv $batch.Csv | Send-G5Document -Subject 'Invoice {DocumentIds}' -JournalPath $batch.Journal -WarningVariable warnings -WarningAction SilentlyContinue
        $rerun.Status | Should -Be @('Skipped', 'Skipped')
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'line 5 ignored: it was cut off'
    }
}

Describe 'A nightly batch killed mid-run (kill -9) and run again with the same journal' {
    BeforeAll {
        Clear-Smtp4DevMessages $script:Server
        Use-Settings
        $script:Ids = 1..200 | ForEach-Object { 'INV-{0:000}' -f $_ }
        $script:Batch = New-Batch $script:Ids
        $script:ChildScript = Join-Path $script:Batch.Dir 'nightly.ps1'
        Set-Content -Path $script:ChildScript -Encoding utf8NoBOM -Value @'
param([string] $Manifest, [string] $Csv, [string] $Journal)
$ErrorActionPreference = 'Continue'
Import-Module $Manifest
Import-Csv $Csv | Send-G5Document -Subject 'Invoice {DocumentIds}' -JournalPath $Journal | ForEach-Object { "$($_.Status) $($_.DocumentIds)" }
'@
    }
    AfterAll { Remove-Item $script:Batch.Dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'delivers every document exactly once: duplicates 0, lost 0 (Uncertain ones at most once)' {
        $psi = [System.Diagnostics.ProcessStartInfo]::new($script:Pwsh)
        foreach ($a in @($script:PwshArgs) + @('-NoProfile', '-NonInteractive', '-File', $script:ChildScript,
                '-Manifest', $script:Manifest, '-Csv', $script:Batch.Csv, '-Journal', $script:Batch.Journal)) { if ($a) { $psi.ArgumentList.Add($a) } }
        $psi.Environment['G5MAIL_CONFIG_DIR'] = $env:G5MAIL_CONFIG_DIR
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $child = [System.Diagnostics.Process]::Start($psi)
        $stdout = $child.StandardOutput.ReadToEndAsync()
        $stderr = $child.StandardError.ReadToEndAsync()

        # Kill it (SIGKILL on Unix, TerminateProcess on Windows: no cleanup runs) once more than 50 messages arrived.
        $deadline = [DateTime]::UtcNow.AddSeconds(180)
        $arrivedAtKill = 0
        while (-not $child.HasExited -and [DateTime]::UtcNow -lt $deadline) {
            $arrivedAtKill = Get-InboxSize
            if ($arrivedAtKill -gt 50) { $child.Kill(); break }
            Start-Sleep -Milliseconds 20
        }
        $child.WaitForExit(30000) | Should -BeTrue
        $childOut = $stdout.GetAwaiter().GetResult()
        Write-Host "The killed child had reported $(@($childOut -split "`n" | Where-Object { $_ -like 'Sent *' }).Count) messages as Sent."
        $childErr = $stderr.GetAwaiter().GetResult()
        $arrivedAtKill | Should -BeGreaterThan 50 -Because "the child must still be sending when it is killed (stderr: $childErr)"
        $arrivedAtKill | Should -BeLessThan 200 -Because 'the kill must land mid-batch'
        $child.ExitCode | Should -Not -Be 0

        # A message the server was already taking when the client died is still stored: wait until the count settles.
        $settled = Get-InboxSize
        do { Start-Sleep -Milliseconds 500; $previous = $settled; $settled = Get-InboxSize } while ($settled -ne $previous)
        $journalLines = @(Get-Content $script:Batch.Journal).Count

        $rerun = Import-Csv $script:Batch.Csv | Send-G5Document -Subject 'Invoice {DocumentIds}' -JournalPath $script:Batch.Journal `
            -InformationVariable summary -ErrorVariable rerunErrors -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $sent = @($rerun | Where-Object Status -eq 'Sent')
        $skipped = @($rerun | Where-Object Status -eq 'Skipped')
        $uncertain = @($rerun | Where-Object Status -eq 'Uncertain')
        $failed = @($rerun | Where-Object Status -eq 'Failed')
        $uncertainIds = @($uncertain | ForEach-Object { $_.DocumentIds })

        $arrived = Get-ArrivedCount
        $duplicates = @($script:Ids | Where-Object { $arrived[$_] -gt 1 })
        $lost = @($script:Ids | Where-Object { -not $arrived[$_] -and $_ -notin $uncertainIds })
        $uncertainArrived = @($uncertainIds | Where-Object { $arrived[$_] -eq 1 }).Count
        Write-Host (("Crash test: 200 documents; child killed after {0} messages had arrived ({1} after settling, {2} journal lines); " -f $arrivedAtKill, $settled, $journalLines) +
            ("rerun: {0} Sent, {1} Skipped, {2} Uncertain ({3} of them had arrived), {4} Failed; inbox {5} messages; duplicates found: {6}; documents lost: {7}" -f
                $sent.Count, $skipped.Count, $uncertain.Count, $uncertainArrived, $failed.Count, (Get-InboxSize), $duplicates.Count, $lost.Count))

        $duplicates.Count | Should -Be 0 -Because "no document may arrive twice (duplicated: $($duplicates -join ', '))"
        $lost.Count | Should -Be 0 -Because "every document not reported Uncertain must have arrived (missing: $($lost -join ', '))"
        $failed.Count | Should -Be 0 -Because "$($rerunErrors | Select-Object -First 3)"
        ($sent.Count + $skipped.Count + $uncertain.Count) | Should -Be 200
        # One message at a time is in flight, so a kill leaves at most one document whose fate is unknown.
        $uncertain.Count | Should -BeLessOrEqual 1
        $skipped.Count | Should -BeGreaterOrEqual ($settled - 1)
        $skipped.Count | Should -BeLessOrEqual $settled
        foreach ($u in $uncertain) {
            $u.Reason | Should -Be 'PreviouslyUncertain'
            $u.Error | Should -Match '-Force'
        }
        @($rerunErrors | Where-Object { $_.FullyQualifiedErrorId -like 'DeliveryUncertain,*' }).Count | Should -Be $uncertain.Count
        @($script:Ids | Where-Object { $arrived[$_] -eq 1 }).Count | Should -Be (200 - $uncertain.Count + $uncertainArrived)

        $summary.Count | Should -Be 1
        $summary[0].MessageData.Sent | Should -Be $sent.Count
        $summary[0].MessageData.Skipped | Should -Be $skipped.Count
        $summary[0].MessageData.Uncertain | Should -Be $uncertain.Count
        "$summary" | Should -Match ("^Send-G5Document: {0} Sent, 0 Failed, {1} Skipped, {2} Uncertain in \d+\.\d s$" -f $sent.Count, $skipped.Count, $uncertain.Count)

        # And a third run has nothing left to send.
        $inbox = Get-InboxSize
        $third = Import-Csv $script:Batch.Csv | Send-G5Document -Subject 'Invoice {DocumentIds}' -JournalPath $script:Batch.Journal -ErrorAction SilentlyContinue
        @($third | Where-Object Status -eq 'Sent').Count | Should -Be 0
        Get-InboxSize | Should -Be $inbox
    }
}
