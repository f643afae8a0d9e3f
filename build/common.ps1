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

# Runs a script file in a child pwsh whose profile folders are all under $HomePath: HOME, the XDG folders (and on
# Windows USERPROFILE, APPDATA, LOCALAPPDATA), so PSResourceGet's repository list, CurrentUser installs and
# PowerShell's caches land there and the real user profile is not touched. PSModulePath is reset to PowerShell's
# own modules; the child adds its (isolated) user module folder itself. Returns ExitCode, Output and Errors (text).
function Invoke-IsolatedPwsh {
    param(
        [Parameter(Mandatory)] [string] $File,
        [Parameter(Mandatory)] [string] $HomePath,
        [string[]] $Arguments = @(),
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 300
    )
    $cmd = @(Get-PwshCommand)
    $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
    foreach ($a in @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $File) + $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.WorkingDirectory = $HomePath
    $folders = @{
        HOME = $HomePath; XDG_CONFIG_HOME = Join-Path $HomePath '.config'; XDG_DATA_HOME = Join-Path $HomePath '.local/share'
        XDG_CACHE_HOME = Join-Path $HomePath '.cache'; USERPROFILE = $HomePath
        APPDATA = Join-Path $HomePath 'AppData/Roaming'; LOCALAPPDATA = Join-Path $HomePath 'AppData/Local'
    }
    foreach ($f in $folders.GetEnumerator()) {
        New-Item -ItemType Directory -Path $f.Value -Force | Out-Null
        $psi.Environment[$f.Key] = $f.Value
    }
    $psi.Environment['PSModulePath'] = Join-Path $PSHOME 'Modules'
    $psi.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
    $psi.Environment['POWERSHELL_UPDATECHECK'] = 'Off'
    $psi.Environment['DOTNET_CLI_TELEMETRY_OPTOUT'] = '1'
    foreach ($e in $Environment.GetEnumerator()) { $psi.Environment[$e.Key] = [string] $e.Value }

    $p = [System.Diagnostics.Process]::Start($psi)
    try {
        $out = $p.StandardOutput.ReadToEndAsync()
        $err = $p.StandardError.ReadToEndAsync()
        if (-not $p.WaitForExit($TimeoutSeconds * 1000)) {
            $p.Kill($true)
            throw "Invoke-IsolatedPwsh: $File did not finish within $TimeoutSeconds s."
        }
        $p.WaitForExit()
        [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $out.GetAwaiter().GetResult(); Errors = $err.GetAwaiter().GetResult() }
    }
    finally { $p.Dispose() }
}

# Lays out artifacts/G5Mail/: manifest, binaries, formats and help, ready to copy into $env:PSModulePath.
function Publish-ModuleLayout {
    param([string] $Root, [string] $Configuration)
    $out = Join-Path $Root 'artifacts/G5Mail'
    if (Test-Path $out) { Remove-Item $out -Recurse -Force }
    New-Item -ItemType Directory -Path $out | Out-Null

    # Only the cmdlets (G5Mail.dll, the RootModule) and the loader (G5Mail.Loader.dll) lie beside the manifest and load
    # into PowerShell's default context; the engine and its dependencies (MailKit, MimeKit, BouncyCastle, MSAL, System.*
    # packages) go into lib/, which the loader loads in isolation (src/G5Mail.Loader).
    $bin = Join-Path $Root "src/G5Mail/bin/$Configuration/netstandard2.0"
    $lib = Join-Path $out 'lib'
    New-Item -ItemType Directory -Path $lib | Out-Null
    $binaries = Get-ChildItem $bin -File | Where-Object { $_.Extension -in '.dll', '.pdb' -and $_.Name -ne 'System.Management.Automation.dll' }
    $binaries | Where-Object { $_.BaseName -in 'G5Mail', 'G5Mail.Loader' } | Copy-Item -Destination $out
    $binaries | Where-Object { $_.BaseName -notin 'G5Mail', 'G5Mail.Loader' } | Copy-Item -Destination $lib
    Copy-Item (Join-Path $Root 'src/G5Mail.Loader/G5Mail.Loader.ps1') -Destination $out

    Get-ChildItem (Join-Path $Root 'src/G5Mail/Formats') -Filter '*.ps1xml' -ErrorAction SilentlyContinue | Copy-Item -Destination $out

    # en-US is the fallback; every other docs/<culture> (sv-SE) is built over it, so that its MAML holds every
    # cmdlet (PowerShell does not fall back to en-US per cmdlet once it has found a culture's help file).
    $helpBuilder = Join-Path $PSScriptRoot 'Build-Help.ps1'
    $docsRoot = Join-Path $Root 'docs'
    $cultures = @('en-US') + @(Get-ChildItem -LiteralPath $docsRoot -Directory | Where-Object Name -NE 'en-US' | Sort-Object Name | ForEach-Object Name)
    foreach ($culture in $cultures) {
        $helpOut = Join-Path $out $culture
        New-Item -ItemType Directory -Path $helpOut | Out-Null
        if (Test-Path $helpBuilder) {
            $helpArgs = @{ DocsPath = (Join-Path $docsRoot $culture); OutputPath = $helpOut }
            if ($culture -ne 'en-US') { $helpArgs.FallbackDocsPath = Join-Path $docsRoot 'en-US' }
            & $helpBuilder @helpArgs
        }

        # `Import-Module ./G5Mail.psd1` makes the repository root the ModuleBase, and PowerShell looks for a binary
        # module's help (and about_ topics) only in ModuleBase/<culture>, not beside the dll: so the help goes there too.
        $rootHelp = Join-Path $Root $culture
        if (Test-Path $rootHelp) { Remove-Item $rootHelp -Recurse -Force }
        Copy-Item $helpOut -Destination $rootHelp -Recurse
    }

    # The artifacts manifest is the root manifest (the one version source, see Directory.Build.props) with paths
    # made relative to the module folder; the license travels with the module.
    $manifest = Get-Content -Raw (Join-Path $Root 'G5Mail.psd1')
    $manifest = $manifest -replace "artifacts/G5Mail/", ''
    Set-Content -Path (Join-Path $out 'G5Mail.psd1') -Value $manifest -Encoding utf8NoBOM -NoNewline
    Copy-Item (Join-Path $Root 'LICENSE') -Destination $out
}
