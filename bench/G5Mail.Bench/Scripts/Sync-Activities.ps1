#Requires -Version 7.4
<#
    Benchmark child for line 6: Sync-G5Activity with a sync state, -Count activities to the harness's SMTP sink (STARTTLS offered and used, its
    certificate pinned by thumbprint, no AUTH).
    -Phase Setup:   the first sync (every activity Created), which fills -StatePath.
    -Phase Measure: the nightly rerun: the same activities, -Changed of them with a new location. The harness resets the
                    sink between the phases, so what it counts after this phase is this run's network traffic alone.
    Prints one JSON line: elapsedMs (the Sync-G5Activity call, measured in this process), and the count per Status.
#>
param(
    [Parameter(Mandatory)] [string] $Module,
    [Parameter(Mandatory)] [int] $Port,
    [Parameter(Mandatory)] [string] $Thumbprint,
    [Parameter(Mandatory)] [string] $StatePath,
    [Parameter(Mandatory)] [string] $ConfigDir,
    [Parameter(Mandatory)] [ValidateSet('Setup', 'Measure')] [string] $Phase,
    [int] $Count = 1000,
    [int] $Changed = 10
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$env:G5MAIL_CONFIG_DIR = $ConfigDir
Import-Module $Module
if ($Phase -eq 'Setup') {
    Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $Port -CertificateThumbprint $Thumbprint -From 'planering@bench.test' -WarningAction SilentlyContinue
}

$start = [datetime]::new(2027, 1, 4, 8, 0, 0)
$activities = foreach ($i in 1..$Count) {
    $isChanged = $Phase -eq 'Measure' -and $i -le $Changed  # (not $changed: PowerShell names are case-insensitive)
    [pscustomobject]@{
        ActivityId      = "A-$i"
        Subject         = "Servicebesök $i"
        Start           = $start.AddHours($i).ToString('yyyy-MM-dd HH:mm')
        DurationMinutes = 45
        TimeZone        = 'Europe/Stockholm'
        Location        = if ($isChanged) { 'Ny plats' } else { 'Kundens lokal' }
        Attendees       = "kund$i@bench.test"
        ReminderMinutes = 15
    }
}

$watch = [Diagnostics.Stopwatch]::StartNew()
$results = $activities | Sync-G5Activity -StatePath $StatePath -ErrorAction SilentlyContinue
$watch.Stop()
$byStatus = [ordered]@{}
foreach ($group in $results | Group-Object Status) { $byStatus[$group.Name] = $group.Count }
$failed = @($results | Where-Object Status -eq 'Failed')
[ordered]@{
    elapsedMs  = $watch.Elapsed.TotalMilliseconds
    results    = @($results).Count
    byStatus   = $byStatus
    firstError = if ($failed.Count) { "$($failed[0].Error)" } else { $null }
} | ConvertTo-Json -Compress
