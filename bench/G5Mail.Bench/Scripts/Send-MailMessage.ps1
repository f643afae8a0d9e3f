#Requires -Version 7.4
<#
    Benchmark child: sends -Count messages with PowerShell's own Send-MailMessage (-UseSsl -Credential), one call per
    message as a script would. It cannot pin a certificate: the harness trusts the sink's CA in CurrentUser\Root for
    the run. Send-MailMessage is obsolete (it warns on every call); the warning is silenced. Prints one JSON line.
#>
param(
    [Parameter(Mandatory)] [int] $Port,
    [Parameter(Mandatory)] [string] $User,
    [Parameter(Mandatory)] [string] $Pdf,
    [int] $Count = 500
)
$ErrorActionPreference = 'Stop'
$WarningPreference = 'SilentlyContinue'
$credential = [pscredential]::new($User, (ConvertTo-SecureString $env:G5BENCH_PASSWORD -AsPlainText -Force))
$watch = [Diagnostics.Stopwatch]::StartNew()
$sent = 0
for ($i = 1; $i -le $Count; $i++) {
    Send-MailMessage -SmtpServer 127.0.0.1 -Port $Port -UseSsl -Credential $credential -From 'smm@bench.test' -To "r$i@bench.test" `
        -Subject "Invoice INV$i" -Body "Invoice INV$i is attached." -Attachments $Pdf
    $sent++
}
$watch.Stop()
[ordered]@{ elapsedMs = $watch.Elapsed.TotalMilliseconds; sent = $sent; failed = 0; firstError = $null } | ConvertTo-Json -Compress
