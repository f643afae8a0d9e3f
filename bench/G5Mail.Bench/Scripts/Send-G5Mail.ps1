#Requires -Version 7.4
<#
    Benchmark child: sends -Count one-document messages (the same PDF to r1..rN@bench.test) with Send-G5Document in
    ONE call through the pipeline, STARTTLS + AUTH, the sink's certificate pinned by thumbprint. The password comes in
    G5BENCH_PASSWORD (a throw-away one made for this run). Prints one JSON line.
#>
param(
    [Parameter(Mandatory)] [string] $Module,
    [Parameter(Mandatory)] [int] $Port,
    [Parameter(Mandatory)] [string] $Thumbprint,
    [Parameter(Mandatory)] [string] $User,
    [Parameter(Mandatory)] [string] $Pdf,
    [int] $Count = 500,
    [int] $ThrottleLimit = 0
)
$ErrorActionPreference = 'Stop'
$env:G5MAIL_CONFIG_DIR = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-bench-config-' + [guid]::NewGuid().ToString('N'))
try {
    Import-Module $Module
    $credential = [pscredential]::new($User, (ConvertTo-SecureString $env:G5BENCH_PASSWORD -AsPlainText -Force))
    Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $Port -UseSsl -CertificateThumbprint $Thumbprint `
        -From 'g5mail@bench.test' -Credential $credential -WarningAction SilentlyContinue
    $documents = foreach ($i in 1..$Count) { [pscustomobject]@{ Path = $Pdf; To = "r$i@bench.test"; DocumentId = "INV$i" } }
    $extra = @{}
    if ($ThrottleLimit -gt 0) { $extra.ThrottleLimit = $ThrottleLimit }

    $watch = [Diagnostics.Stopwatch]::StartNew()
    $results = $documents | Send-G5Document @extra -ErrorAction SilentlyContinue
    $watch.Stop()

    $failed = @($results | Where-Object Status -ne 'Sent')
    [ordered]@{
        elapsedMs  = $watch.Elapsed.TotalMilliseconds
        sent       = @($results).Count - $failed.Count
        failed     = $failed.Count
        firstError = if ($failed.Count) { "$($failed[0].Error)" } else { $null }
    } | ConvertTo-Json -Compress
}
finally {
    Remove-Item -LiteralPath $env:G5MAIL_CONFIG_DIR -Recurse -Force -ErrorAction SilentlyContinue
}
