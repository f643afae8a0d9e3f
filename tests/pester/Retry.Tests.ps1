# Send-G5Document against the test SMTP server with faults armed (tests/G5Mail.TestSmtp, loaded into this process): for each
# injected fault, what arrived at the server (each document exactly once, or not at all) and each result's Status,
# error id and the retries -Verbose shows. Prints the figures: scenarios injected, documents sent, duplicates, lost.
BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    Import-TestSmtpServer

    $script:Docs = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-retry-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Docs | Out-Null
    $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
    Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port 25 -From 'order@olbryggeriet.example' -WarningAction SilentlyContinue

    $script:Small = New-TestPdf -Path (Join-Path $script:Docs '2001.pdf') -Lines 'Faktura 2001'
    $script:Other = New-TestPdf -Path (Join-Path $script:Docs '2002.pdf') -Lines 'Faktura 2002'
    # Larger than any socket buffer on the way, so a drop in the middle of the data lands before the final dot.
    $script:Large = Join-Path $script:Docs '2003.pdf'
    $bytes = [byte[]]::new(12MB); [Random]::new(7).NextBytes($bytes); [IO.File]::WriteAllBytes($script:Large, $bytes)

    $script:Figures = @{ Scenarios = 0; Documents = 0; Sent = 0; Uncertain = 0; Failed = 0; Duplicates = 0; Lost = 0 }

    # Sends the first document (hit by the fault) and a second one (after it); returns results, errors, verbose text and the server's record.
    function script:Invoke-FaultScenario {
        param([string] $Stage, [int] $Code, [int] $Times, [string] $First, [int] $RetryCount = 3)
        $server = [G5Mail.TestSmtp.TestSmtpServer]::Start()
        try {
            if ($Code -eq 0) { [void] $server.Drop($Stage, $Times) } else { [void] $server.Reply($Stage, $Code, $Times) }
            Set-G5MailSetting -Scope System -Port $server.Port -WarningAction SilentlyContinue
            $errors = $null
            $all = @(
                [pscustomobject] @{ Path = $First; To = 'kund1@example.se' },
                [pscustomobject] @{ Path = $script:Other.FullName; To = 'kund2@example.se' }
            ) | Send-G5Document -RetryCount $RetryCount -RetryDelaySeconds 0 -ErrorAction SilentlyContinue -ErrorVariable errors -Verbose 4>&1
            [pscustomobject] @{
                Results  = @($all | Where-Object { $_ -is [G5Mail.SendResult] })
                Verbose  = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
                Errors   = @($errors)
                Accepted = @($server.Accepted)
                Events   = @($server.Events)
                Sessions = $server.Sessions
            }
        }
        finally { $server.Dispose() }
    }

    function script:Add-Figures {
        param($Run)
        $script:Figures.Scenarios++
        foreach ($r in $Run.Results) {
            $script:Figures.Documents += $r.DocumentIds.Count
            $script:Figures[[string] $r.Status] += $r.DocumentIds.Count
            $arrived = @($Run.Accepted | Where-Object MessageId -eq $r.MessageId).Count
            if ($arrived -gt 1) { $script:Figures.Duplicates += $arrived - 1 }
            # Lost: reported Sent (or Uncertain after the server kept it) but not at the server.
            if ($r.Status -in 'Sent', 'Uncertain' -and $arrived -eq 0) { $script:Figures.Lost++ }
        }
    }
}

AfterAll {
    Remove-Item $script:Docs -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Send-G5Document retries transient SMTP failures and never sends twice' {
    It '<Name>: first document <Expected>' -ForEach @(
        @{ Name = 'drop after connect (x2)'; Stage = 'Connect'; Code = 0; Times = 2; Expected = 'Sent'; ErrorId = $null }
        @{ Name = 'drop after EHLO'; Stage = 'Ehlo'; Code = 0; Times = 1; Expected = 'Sent'; ErrorId = $null }
        @{ Name = 'drop after MAIL FROM'; Stage = 'MailFrom'; Code = 0; Times = 1; Expected = 'Sent'; ErrorId = $null }
        @{ Name = 'drop after RCPT TO'; Stage = 'RcptTo'; Code = 0; Times = 1; Expected = 'Sent'; ErrorId = $null }
        @{ Name = 'drop mid-DATA'; Stage = 'MidData'; Code = 0; Times = 1; Expected = 'Sent'; ErrorId = $null; Large = $true }
        @{ Name = 'drop after the final dot, before the reply'; Stage = 'EndOfData'; Code = 0; Times = 1; Expected = 'Uncertain'; ErrorId = 'DeliveryUncertain' }
        @{ Name = '421 greeting (x2)'; Stage = 'Connect'; Code = 421; Times = 2; Expected = 'Sent'; ErrorId = $null }
        @{ Name = '421 at MAIL FROM'; Stage = 'MailFrom'; Code = 421; Times = 1; Expected = 'Sent'; ErrorId = $null }
        @{ Name = '450 at MAIL FROM'; Stage = 'MailFrom'; Code = 450; Times = 1; Expected = 'Sent'; ErrorId = $null }
        @{ Name = '451 at RCPT TO'; Stage = 'RcptTo'; Code = 451; Times = 1; Expected = 'Sent'; ErrorId = $null }
        @{ Name = '452 at RCPT TO (x3)'; Stage = 'RcptTo'; Code = 452; Times = 3; Expected = 'Sent'; ErrorId = $null }
        @{ Name = '451 at DATA'; Stage = 'Data'; Code = 451; Times = 1; Expected = 'Sent'; ErrorId = $null }
        @{ Name = '451 after the final dot (x2)'; Stage = 'EndOfData'; Code = 451; Times = 2; Expected = 'Sent'; ErrorId = $null }
        @{ Name = '452 after the final dot'; Stage = 'EndOfData'; Code = 452; Times = 1; Expected = 'Sent'; ErrorId = $null }
        @{ Name = '550 at RCPT TO'; Stage = 'RcptTo'; Code = 550; Times = 1; Expected = 'Failed'; ErrorId = 'InvalidAddress' }
        @{ Name = '552 after the final dot'; Stage = 'EndOfData'; Code = 552; Times = 1; Expected = 'Failed'; ErrorId = 'MessageTooLarge' }
        @{ Name = '554 after the final dot'; Stage = 'EndOfData'; Code = 554; Times = 1; Expected = 'Failed'; ErrorId = 'SendFailed' }
        @{ Name = '554 at MAIL FROM'; Stage = 'MailFrom'; Code = 554; Times = 1; Expected = 'Failed'; ErrorId = 'SendFailed' }
    ) {
        $first = if ($_.Large) { $script:Large } else { $script:Small.FullName }
        $run = Invoke-FaultScenario -Stage $Stage -Code $Code -Times $Times -First $first
        Add-Figures $run
        $because = "server events: $($run.Events -join "; "); verbose: $($run.Verbose -join " | ")"

        $run.Results.Count | Should -Be 2
        $one, $two = $run.Results
        $one.Status | Should -Be $Expected -Because $because
        $one.ErrorId | Should -Be $ErrorId
        $two.Status | Should -Be 'Sent'

        # What arrived: every Message-Id at most once; the first document once unless it failed for good.
        @($run.Accepted | Group-Object MessageId | Where-Object Count -gt 1).Count | Should -Be 0
        @($run.Accepted | Where-Object MessageId -eq $one.MessageId).Count | Should -Be ($(if ($Expected -eq 'Failed') { 0 } else { 1 }))
        @($run.Accepted | Where-Object MessageId -eq $two.MessageId).Count | Should -Be 1

        $retries = @($run.Verbose | Where-Object { $_ -match '^Message \S+ \(200[13]\): retry \d of 3 in \d+\.\d s after ' })
        if ($Expected -eq 'Sent') {
            $retries.Count | Should -Be $Times -Because $because
            $run.Errors.Count | Should -Be 0
        }
        else {
            # Not retried: the fault strikes once, so a retry would have got through and shown up here.
            $retries.Count | Should -Be 0
            $run.Errors.Count | Should -Be 1
            $run.Errors[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        }

        if ($Expected -eq 'Uncertain') {
            $one.Error | Should -Match 'may or may not have'
            $one.Error | Should -Match '-JournalPath'
            $one.Error | Should -BeLike "*$($one.MessageId)*"
            $run.Errors[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        }
    }

    It 'fails a message once its retries run out, says how often it tried, and goes on with the next' {
        $run = Invoke-FaultScenario -Stage 'RcptTo' -Code 451 -Times 3 -First $script:Small.FullName -RetryCount 2
        Add-Figures $run
        $one, $two = $run.Results
        $one.Status | Should -Be 'Failed'
        $one.ErrorId | Should -Be 'SendFailed'
        $one.Error | Should -Match 'tried 3 times'
        $two.Status | Should -Be 'Sent'
        @($run.Accepted).Count | Should -Be 1
        $run.Sessions | Should -Be 4 # three attempts for the first, then a new connection for the second
    }

    It '-RetryCount 0 turns retries off' {
        $run = Invoke-FaultScenario -Stage 'MailFrom' -Code 451 -Times 1 -First $script:Small.FullName -RetryCount 0
        Add-Figures $run
        $run.Results[0].Status | Should -Be 'Failed'
        $run.Results[0].Error | Should -Match 'temporarily refused'
        @($run.Verbose | Where-Object { $_ -match 'retry ' }).Count | Should -Be 0
    }

    It 'rejects a retry count above 10 and a negative delay' {
        { Send-G5Document -Path $script:Small.FullName -To a@example.se -RetryCount 11 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,G5Mail.Commands.SendG5DocumentCommand'
        { Send-G5Document -Path $script:Small.FullName -To a@example.se -RetryDelaySeconds -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,G5Mail.Commands.SendG5DocumentCommand'
    }

    It 'over all scenarios: no document arrived twice and none was lost' {
        $f = $script:Figures
        Write-Host ("Fault scenarios injected: {0}; documents sent through them: {1} (Sent {2}, Uncertain {3}, Failed {4}); duplicates found: {5}; documents lost: {6}" -f `
                $f.Scenarios, $f.Documents, $f.Sent, $f.Uncertain, $f.Failed, $f.Duplicates, $f.Lost)
        $f.Scenarios | Should -BeGreaterOrEqual 20
        $f.Duplicates | Should -Be 0
        $f.Lost | Should -Be 0
    }
}
