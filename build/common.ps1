# Build helpers shared by build.ps1 tasks.

function Get-PesterModulePath {
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $psd1 = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $psd1)) { throw "Pester 5.7.1 not found at $psd1; run 'dotnet restore build/Tools.proj'." }
    $psd1
}

# The pwsh running this build, for child sessions. Under `dotnet pwsh` (the repo's local tool) the process is
# dotnet itself, so the child is `dotnet <PSHOME>/pwsh.dll`.
function Get-PwshCommand {
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { return @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    @($exe)
}

# Lays out artifacts/G5Mail/: manifest, binaries, formats and help, ready to copy into $env:PSModulePath.
function Publish-ModuleLayout {
    param([string] $Root, [string] $Configuration)
    $out = Join-Path $Root 'artifacts/G5Mail'
    if (Test-Path $out) { Remove-Item $out -Recurse -Force }
    New-Item -ItemType Directory -Path $out | Out-Null

    # Only the cmdlet assembly (G5Mail.dll: cmdlets, parameter and output types, the dependency loader) lies beside
    # the manifest and loads into PowerShell's default context; the engine and its dependencies (MailKit, MimeKit,
    # BouncyCastle, MSAL, System.* packages) go into lib/, which G5Mail.dll loads in isolation (src/G5Mail/Loading).
    $bin = Join-Path $Root "src/G5Mail/bin/$Configuration/netstandard2.0"
    $lib = Join-Path $out 'lib'
    New-Item -ItemType Directory -Path $lib | Out-Null
    $binaries = Get-ChildItem $bin -File | Where-Object { $_.Extension -in '.dll', '.pdb' -and $_.Name -ne 'System.Management.Automation.dll' }
    $binaries | Where-Object { $_.BaseName -eq 'G5Mail' } | Copy-Item -Destination $out
    $binaries | Where-Object { $_.BaseName -ne 'G5Mail' } | Copy-Item -Destination $lib

    Get-ChildItem (Join-Path $Root 'src/G5Mail/Formats') -Filter '*.ps1xml' -ErrorAction SilentlyContinue | Copy-Item -Destination $out

    $helpOut = Join-Path $out 'en-US'
    New-Item -ItemType Directory -Path $helpOut | Out-Null
    $helpBuilder = Join-Path $PSScriptRoot 'Build-Help.ps1'
    if (Test-Path $helpBuilder) { & $helpBuilder -DocsPath (Join-Path $Root 'docs/en-US') -OutputPath $helpOut }

    # `Import-Module ./G5Mail.psd1` makes the repository root the ModuleBase, and PowerShell looks for a binary
    # module's help (and about_ topics) only in ModuleBase/<culture>, not beside the dll: so the help goes there too.
    $rootHelp = Join-Path $Root 'en-US'
    if (Test-Path $rootHelp) { Remove-Item $rootHelp -Recurse -Force }
    Copy-Item $helpOut -Destination $rootHelp -Recurse

    # The artifacts manifest is the root manifest with paths made relative to the module folder.
    $manifest = Get-Content -Raw (Join-Path $Root 'G5Mail.psd1')
    $manifest = $manifest -replace "artifacts/G5Mail/", ''
    Set-Content -Path (Join-Path $out 'G5Mail.psd1') -Value $manifest -Encoding utf8NoBOM
}
