#Requires -Version 7.4
<#
    Benchmark child: one message with several large attachments, sent by -Tool G5Mail or SendMailMessage, and how
    much this process's working set grew for it. A small message is sent first, so loading and JIT of the mail code
    is not counted; then the GC is settled, the working set sampled, the peak reset where the OS allows it (Linux:
    /proc/self/clear_refs 5 resets VmHWM, which .NET reports as PeakWorkingSet64), the big message sent and the peak
    read. Growth = peak after - working set before. Prints one JSON line.
#>
param(
    [Parameter(Mandatory)] [ValidateSet('G5Mail', 'SendMailMessage')] [string] $Tool,
    [Parameter(Mandatory)] [int] $Port,
    [Parameter(Mandatory)] [string] $User,
    # The attachments, separated by [IO.Path]::PathSeparator (pwsh -File cannot bind several arguments to one parameter).
    [Parameter(Mandatory)] [string] $FileList,
    [Parameter(Mandatory)] [string] $WarmupFile,
    [string] $Module,
    [string] $Thumbprint
)
$ErrorActionPreference = 'Stop'
$Files = $FileList.Split([IO.Path]::PathSeparator, [StringSplitOptions]::RemoveEmptyEntries)
$WarningPreference = 'SilentlyContinue'
$ProgressPreference = 'SilentlyContinue'
$credential = [pscredential]::new($User, (ConvertTo-SecureString $env:G5BENCH_PASSWORD -AsPlainText -Force))
$env:G5MAIL_CONFIG_DIR = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-bench-config-' + [guid]::NewGuid().ToString('N'))

function Send-One([string[]] $Paths, [string] $Id) {
    if ($Tool -eq 'G5Mail') {
        $r = Send-G5Document -Path $Paths -To 'big@bench.test' -DocumentId $Id -ErrorAction Stop
        if ($r.Status -ne 'Sent') { throw "G5Mail: $($r.Status) $($r.Error)" }
    }
    else {
        Send-MailMessage -SmtpServer 127.0.0.1 -Port $Port -UseSsl -Credential $credential -From 'smm@bench.test' -To 'big@bench.test' `
            -Subject "Documents $Id" -Body 'Attached.' -Attachments $Paths
    }
}

try {
    if ($Tool -eq 'G5Mail') {
        Import-Module $Module
        Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $Port -UseSsl -CertificateThumbprint $Thumbprint `
            -From 'g5mail@bench.test' -Credential $credential
    }
    Send-One @($WarmupFile) 'WARMUP'

    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    $process = [Diagnostics.Process]::GetCurrentProcess()
    $peakReset = $false
    if ($IsLinux) {
        try { [IO.File]::WriteAllText('/proc/self/clear_refs', '5'); $peakReset = $true } catch { $peakReset = $false }
    }
    $process.Refresh()
    $before = $process.WorkingSet64
    $peakBefore = $process.PeakWorkingSet64
    $bytes = ($Files | ForEach-Object { (Get-Item -LiteralPath $_).Length } | Measure-Object -Sum).Sum

    $watch = [Diagnostics.Stopwatch]::StartNew()
    Send-One $Files 'BIG'
    $watch.Stop()

    $process.Refresh()
    [ordered]@{
        tool       = $Tool
        bytes      = $bytes
        elapsedMs  = $watch.Elapsed.TotalMilliseconds
        before     = $before
        peakBefore = $peakBefore
        peak       = $process.PeakWorkingSet64
        after      = $process.WorkingSet64
        peakReset  = $peakReset
    } | ConvertTo-Json -Compress
}
finally {
    Remove-Item -LiteralPath $env:G5MAIL_CONFIG_DIR -Recurse -Force -ErrorAction SilentlyContinue
}
