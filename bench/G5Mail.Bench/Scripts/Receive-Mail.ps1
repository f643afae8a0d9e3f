#Requires -Version 7.4
<#
    Benchmark child for lines 7 and 8: Receive-G5Mail over IMAP from a real server, smtp4dev (started here on loopback
    with its IMAP port, in its own process, so its memory is not counted), filled over SMTP first.
    -ImapPort N:   instead of smtp4dev, the harness's IMAP sink (line 7's target: the server is not the limit), already
                   holding the messages; nothing is sent.
    -Phase List:   -Count small messages; one Receive-G5Mail call lists them all (summaries only, no content). A warm-up
                   call with -First 1 runs first, so loading and JIT are not counted. Reports elapsedMs and the count.
    -Phase Memory: -Count messages of -SizeMB each (one attachment of random bytes); Receive-G5Mail -SaveAttachmentsTo
                   saves them all. As Measure-Memory.ps1: GC settled, working set sampled, the peak reset where the OS
                   allows it (Linux /proc/self/clear_refs 5), then the call, then the peak. Also checks every saved file's
                   SHA-256 against what was sent.
    Prints one JSON line.
#>
param(
    [Parameter(Mandatory)] [string] $Module,
    [Parameter(Mandatory)] [string] $Root,
    [Parameter(Mandatory)] [ValidateSet('List', 'Memory')] [string] $Phase,
    [int] $Count = 1000,
    [int] $SizeMB = 50,
    [int] $ImapPort
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$env:G5MAIL_REPO_ROOT = $Root
Import-Module (Join-Path $Root 'tests/pester/TestHelpers.psm1')
$work = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-bench-receive-' + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $work | Out-Null
$env:G5MAIL_CONFIG_DIR = Join-Path $work 'config'
$server = if (-not $ImapPort) { Start-Smtp4Dev -Imap }
try {
    Import-Module $Module
    # IMAP always signs in; smtp4dev (without --authenticationrequired) takes any account, over loopback without TLS.
    $credential = [pscredential]::new('ekonomi', (ConvertTo-SecureString $env:G5BENCH_PASSWORD -AsPlainText -Force))
    Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $(if ($server) { $server.SmtpPort } else { 25 }) `
        -ImapPort $(if ($server) { $server.ImapPort } else { $ImapPort }) -From 'ekonomi@bench.test' -Credential $credential
    # What each attachment must hash to: doc0001.pdf... hold -SizeMB random bytes seeded with their number (the harness's sink
    # makes them the same way).
    $hashes = @{}
    if ($Phase -eq 'Memory') {
        foreach ($i in 1..$Count) {
            $bytes = [byte[]]::new($SizeMB * 1MB)
            [Random]::new($i).NextBytes($bytes)
            $hashes["doc{0:D4}.pdf" -f $i] = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant()
        }
        $bytes = $null
    }
    if ($server) {
    # Fill the mailbox with G5Mail itself (one connection for the whole batch).
    $documents = foreach ($i in 1..$Count) {
        $path = Join-Path $work ("doc{0:D4}.pdf" -f $i)
        if ($Phase -eq 'List') {
            [IO.File]::WriteAllText($path, "%PDF-1.4 document $i")
        }
        else {
            $bytes = [byte[]]::new($SizeMB * 1MB)
            [Random]::new($i).NextBytes($bytes)
            [IO.File]::WriteAllBytes($path, $bytes)
            $bytes = $null
        }
        [pscustomobject]@{ Path = $path; To = 'ekonomi@bench.test'; DocumentId = "F$i" }
    }
    $sent = @($documents | Send-G5Document | Where-Object Status -eq 'Sent').Count
    if ($sent -ne $Count) { throw "Only $sent of $Count messages reached smtp4dev." }
    if ($Phase -eq 'Memory') { $documents.Path | Remove-Item }
    $deadline = [datetime]::UtcNow.AddSeconds(60)
    while (@(Get-Smtp4DevMessageList $server).Count -lt $Count -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
    }

    $null = Receive-G5Mail -First 1  # warm-up: load, JIT, first login
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    $process = [Diagnostics.Process]::GetCurrentProcess()
    $peakReset = $false
    if ($IsLinux) {
        try { [IO.File]::WriteAllText('/proc/self/clear_refs', '5'); $peakReset = $true } catch { $peakReset = $false }
    }
    $process.Refresh()
    $before = $process.WorkingSet64

    $saveTo = Join-Path $work 'saved'
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $messages = if ($Phase -eq 'List') { @(Receive-G5Mail) } else { @(Receive-G5Mail -SaveAttachmentsTo $saveTo) }
    $watch.Stop()
    $process.Refresh()

    $report = [ordered]@{
        phase     = $Phase
        messages  = $messages.Count
        elapsedMs = $watch.Elapsed.TotalMilliseconds
        before    = $before
        peak      = $process.PeakWorkingSet64
        after     = $process.WorkingSet64
        peakReset = $peakReset
    }
    if ($Phase -eq 'Memory') {
        $files = @($messages.Attachments | Where-Object Path)
        $report.bytes = ($files | Measure-Object -Property Size -Sum).Sum
        $report.filesSaved = $files.Count
        $report.hashesMatch = @($files | Where-Object { $hashes[$_.Name] -ne $_.Sha256 -or (Get-FileHash -LiteralPath $_.Path -Algorithm SHA256).Hash.ToLowerInvariant() -ne $_.Sha256 }).Count -eq 0
    }
    $report | ConvertTo-Json -Compress
}
finally {
    if ($server) { Stop-Smtp4Dev $server }
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
