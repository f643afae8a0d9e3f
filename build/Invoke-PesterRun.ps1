# Runs the Pester tests in this (fresh) pwsh and writes the counts to a JSON file for build.ps1.
param(
    [Parameter(Mandatory)] [string] $Root,
    [Parameter(Mandatory)] [string] $ResultPath,
    [string] $Filter = '*'
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'common.ps1')
Import-Module (Get-PesterModulePath) -Force

$env:G5MAIL_MODULE_PATH = Join-Path $Root 'G5Mail.psd1'
$env:G5MAIL_REPO_ROOT = $Root
# -Filter takes one or more name patterns separated by commas ('Send,Isolation').
$patterns = @($Filter -split ',' | ForEach-Object Trim | Where-Object { $_ })
$files = @(Get-ChildItem (Join-Path $Root 'tests/pester') -Filter '*.Tests.ps1' |
    Where-Object { $name = $_.Name; @($patterns | Where-Object { $name -like "*$_*" }).Count -gt 0 })
if ($files.Count -eq 0) { throw "No Pester file in tests/pester matches '$Filter'." }

$config = New-PesterConfiguration
$config.Run.Path = @($files.FullName)
$config.Run.PassThru = $true
$config.Output.Verbosity = if ($env:G5MAIL_PESTER_VERBOSITY) { $env:G5MAIL_PESTER_VERBOSITY } else { 'Normal' }
$config.Should.ErrorAction = 'Continue'
$result = Invoke-Pester -Configuration $config

[pscustomobject]@{
    Passed = $result.PassedCount
    # A container that failed in BeforeAll/discovery counts as failed, so a broken file never looks green.
    Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -Path $ResultPath
