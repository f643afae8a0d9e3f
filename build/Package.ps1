#Requires -Version 7.4
<#
.SYNOPSIS
    Packs the laid-out module folder (artifacts/G5Mail/) into artifacts/packages/G5Mail.<ModuleVersion>.nupkg.
.DESCRIPTION
    The package is what Install-PSResource / Save-PSResource install from a folder repository (or a feed): the whole
    module folder, whatever its inner layout (dlls in subfolders included), except debug symbols (*.pdb). The
    symbols stay in artifacts/G5Mail/ for debugging a build; an installed module has no use for them without the
    matching sources, and they would only grow every install.

    The manifest is checked with Test-ModuleManifest first, then Compress-PSResource (Microsoft.PowerShell.PSResourceGet,
    shipped with PowerShell 7.4+) writes the .nupkg; its nuspec comes from the manifest (id, version, description,
    tags, project and license URIs, release notes). Both run in a child pwsh whose HOME and XDG folders are a temporary
    folder, because PSResourceGet creates its repository store in the user's profile on first use.
.EXAMPLE
    ./build/Package.ps1 -Root .
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Root,
    [string] $ModulePath,
    [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot 'common.ps1')

if (-not $ModulePath) { $ModulePath = Join-Path $Root 'artifacts/G5Mail' }
if (-not $OutputPath) { $OutputPath = Join-Path $Root 'artifacts/packages' }
$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$manifestPath = Join-Path $ModulePath 'G5Mail.psd1'
if (-not (Test-Path -LiteralPath $manifestPath)) { throw "Package: $manifestPath not found; lay the module out first (build.ps1 -Task Build)." }
$version = (Import-PowerShellDataFile -LiteralPath $manifestPath).ModuleVersion

if (Test-Path -LiteralPath $OutputPath) { Remove-Item -LiteralPath $OutputPath -Recurse -Force }
New-Item -ItemType Directory -Path $OutputPath | Out-Null
$OutputPath = (Resolve-Path -LiteralPath $OutputPath).ProviderPath

$work = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-package-" + [guid]::NewGuid().ToString('N'))
try {
    # Stage a copy without the symbols; the folder must be named like the module for PSResourceGet.
    $stage = Join-Path $work 'G5Mail'
    foreach ($f in (Get-ChildItem -LiteralPath $ModulePath -Recurse -File | Where-Object Extension -NE '.pdb')) {
        $target = Join-Path $stage ([IO.Path]::GetRelativePath($ModulePath, $f.FullName))
        New-Item -ItemType Directory -Path (Split-Path -Parent $target) -Force | Out-Null
        Copy-Item -LiteralPath $f.FullName -Destination $target
    }

    $script = Join-Path $work 'pack.ps1'
    Set-Content -LiteralPath $script -Encoding utf8NoBOM -Value @'
param([string] $Stage, [string] $Destination)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Test-ModuleManifest -Path (Join-Path $Stage 'G5Mail.psd1') | Out-Null
Compress-PSResource -Path $Stage -DestinationPath $Destination
'@
    $homePath = Join-Path $work 'home'
    New-Item -ItemType Directory -Path $homePath | Out-Null
    $r = Invoke-IsolatedPwsh -File $script -HomePath $homePath -Arguments '-Stage', $stage, '-Destination', $OutputPath
    if ($r.ExitCode -ne 0) { throw "Package: Compress-PSResource failed (exit $($r.ExitCode)):`n$($r.Errors)$($r.Output)" }

    $package = Join-Path $OutputPath "G5Mail.$version.nupkg"
    if (-not (Test-Path -LiteralPath $package)) {
        throw "Package: expected $package, found: $((Get-ChildItem -LiteralPath $OutputPath).Name -join ', ')"
    }
    Write-Host "Package: $package ($([math]::Round((Get-Item -LiteralPath $package).Length / 1MB, 1)) MB)"
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
