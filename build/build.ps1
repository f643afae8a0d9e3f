#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and demonstrates G5Mail.
.DESCRIPTION
    Build : compiles the solution (Release), lays out the copyable module folder artifacts/G5Mail/ and packs it into
            artifacts/packages/G5Mail.<version>.nupkg (build/Package.ps1).
    Test  : Build, then the xunit tests, then the Pester tests against the built module in a fresh child pwsh.
            Ends with one line "N passed, N failed" (both runners added up); exits non-zero when anything failed.
    Demo  : Build, start smtp4dev on loopback and really send sample documents to it (see build/Demo.ps1).
    Bench : Build (Release), build bench/G5Mail.Bench and run it: the sink's ceiling (0), throughput against
            Send-MailMessage and the MailKit floor (1), memory (2), import (3), planning (4), Exchange Online over
            Graph (5), side by side in one run. Prints a table with PASS/FAIL per target; exits non-zero when a
            line FAILs. Takes 5-10 minutes on two cores. See "Benchmarks" in the README.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build/build.ps1 -Task Test
.EXAMPLE
    dotnet pwsh ./build/build.ps1 -Task Bench -BenchLines 1 -BenchMessages 200 -ThrottleLimit 2, 4
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Demo only: exit right after sending instead of waiting for Enter.
    [switch] $NoWait,

    # Test only: run only the Pester files whose name contains one of these comma-separated patterns (e.g. 'Send,Isolation').
    [string] $PesterFilter = '*',

    [switch] $SkipXunit,
    [switch] $SkipPester,

    # Bench only: which lines to run (0-8; default all): -BenchLines 1,3 (also as one string '1,3' from a shell).
    [ValidatePattern('^[0-8](,[0-8])*$')]
    [string[]] $BenchLines = @('0', '1', '2', '3', '4', '5', '6', '7', '8'),

    # Bench only: messages per client in lines 0 and 1 (default 500).
    [ValidateRange(10, 100000)]
    [int] $BenchMessages = 500,

    # Bench only: interleaved rounds of the MailKit floor and G5Mail in line 1 (default 3; the median is reported).
    [ValidateRange(1, 20)]
    [int] $BenchRounds = 3,

    # Bench only: the latency proxy's delay each way in ms (default 5, a 10 ms round trip).
    [ValidateRange(0, 1000)]
    [int] $BenchDelayMs = 5,

    # Bench only: also run line 1 with Send-G5Document -ThrottleLimit N and MailKit on N connections, for each N
    # (informational rows, no target; they show whether -ThrottleLimit beats the one-connection floor). Default 2,4;
    # -ThrottleLimit 1 leaves them out. Also as one string '2,4' from a shell.
    [ValidatePattern('^\d+(,\d+)*$')]
    [string[]] $ThrottleLimit = @('2', '4'),

    # Bench only: also write every measurement as JSON to this file.
    [string] $BenchJson
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$Root = Split-Path -Parent $PSScriptRoot
. (Join-Path $PSScriptRoot 'common.ps1')

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "'$File $($Arguments -join ' ')' failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
    Write-Host "== Build ($Configuration)" -ForegroundColor Cyan
    Invoke-Native dotnet @('build', (Join-Path $Root 'G5Mail.sln'), '-c', $Configuration, '--nologo', '-v', 'q', '-clp:NoSummary')
    Invoke-Native dotnet @('restore', (Join-Path $PSScriptRoot 'Tools.proj'), '--nologo', '-v', 'q')
    Publish-ModuleLayout -Root $Root -Configuration $Configuration
    # artifacts/packages/G5Mail.<ModuleVersion>.nupkg, for Install-PSResource from a folder repository or a feed.
    & (Join-Path $PSScriptRoot 'Package.ps1') -Root $Root
}

function Invoke-Test {
    Invoke-Build
    $resultsDir = Join-Path $Root 'artifacts/test-results'
    if (Test-Path $resultsDir) { Remove-Item $resultsDir -Recurse -Force }
    New-Item -ItemType Directory -Path $resultsDir | Out-Null
    $passed = 0; $failed = 0

    if (-not $SkipXunit) {
        Write-Host '== xunit' -ForegroundColor Cyan
        $testProjects = Get-ChildItem (Join-Path $Root 'tests') -Recurse -Filter '*.Tests.csproj'
        foreach ($proj in $testProjects) {
            $trx = Join-Path $resultsDir "$($proj.BaseName).trx"
            & dotnet test $proj.FullName -c $Configuration --no-build --nologo -v q --logger "trx;LogFileName=$trx" --logger 'console;verbosity=minimal'
            $exit = $LASTEXITCODE
            if (Test-Path $trx) {
                [xml] $x = Get-Content -Raw $trx
                $c = $x.TestRun.ResultSummary.Counters
                $passed += [int] $c.passed
                $failed += [int] $c.failed + [int] $c.error + [int] $c.timeout + [int] $c.aborted
            }
            else {
                Write-Host "xunit produced no results for $($proj.Name) (exit $exit)" -ForegroundColor Red
                $failed += 1
            }
            if ($exit -ne 0 -and $failed -eq 0) { $failed += 1 }
        }
    }

    if (-not $SkipPester) {
        Write-Host '== Pester' -ForegroundColor Cyan
        $pesterJson = Join-Path $resultsDir 'pester.json'
        $runner = Join-Path $PSScriptRoot 'Invoke-PesterRun.ps1'
        # A fresh child pwsh: the tests see the built module exactly as a user would import it.
        $pwsh, $pwshArgs = Get-PwshCommand
        & $pwsh $pwshArgs -NoProfile -NonInteractive -File $runner -Root $Root -ResultPath $pesterJson -Filter "$PesterFilter" # quoted: PowerShell globs a bare * for native commands
        if (Test-Path $pesterJson) {
            $p = Get-Content -Raw $pesterJson | ConvertFrom-Json
            $passed += [int] $p.Passed
            $failed += [int] $p.Failed
        }
        else {
            Write-Host 'Pester produced no results' -ForegroundColor Red
            $failed += 1
        }
    }

    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Bench {
    if ($Configuration -ne 'Release') {
        Write-Host "Bench measures Release builds; ignoring -Configuration $Configuration." -ForegroundColor Yellow
        $script:Configuration = 'Release'
    }
    Invoke-Build
    Write-Host '== Bench build' -ForegroundColor Cyan
    $project = Join-Path $Root 'bench/G5Mail.Bench/G5Mail.Bench.csproj'
    Invoke-Native dotnet @('build', $project, '-c', 'Release', '--nologo', '-v', 'q', '-clp:NoSummary')
    $benchDll = Join-Path $Root 'bench/G5Mail.Bench/bin/Release/net10.0/G5Mail.Bench.dll'

    $pwsh, $pwshArgs = Get-PwshCommand
    $arguments = @($benchDll, 'run', '--root', $Root, '--pwsh', $pwsh)
    foreach ($a in $pwshArgs) { $arguments += '--pwsh-arg', $a }
    $arguments += '--module', (Join-Path $Root 'artifacts/G5Mail/G5Mail.psd1')
    # From a shell "1,3" arrives as one string; from PowerShell 1,3 is an array: both become "1,3".
    $arguments += '--lines', ((($BenchLines -join ',') -split ',' | Sort-Object -Unique) -join ',')
    $arguments += '--messages', "$BenchMessages", '--rounds', "$BenchRounds", '--delay-ms', "$BenchDelayMs"
    if ($ThrottleLimit) { $arguments += '--throttle', ((($ThrottleLimit -join ',') -split ',' | ForEach-Object { [int] $_ } | Where-Object { $_ -ge 2 } | Sort-Object -Unique) -join ',') }
    if ($BenchJson) { $arguments += '--json', [IO.Path]::GetFullPath($BenchJson, (Get-Location).Path) }
    Write-Host "== Bench: dotnet $($arguments -join ' ')" -ForegroundColor Cyan
    & dotnet @arguments
    $exit = $LASTEXITCODE
    if ($exit -ne 0) { Write-Host "Bench: a line missed its target or could not be measured (exit code $exit)." -ForegroundColor Red }
    exit $exit
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' {
        Invoke-Build
        $pwsh, $pwshArgs = Get-PwshCommand
        & $pwsh $pwshArgs -NoProfile -File (Join-Path $PSScriptRoot 'Demo.ps1') -Root $Root -NoWait:$NoWait
        exit $LASTEXITCODE
    }
    'Bench' { Invoke-Bench }
}
