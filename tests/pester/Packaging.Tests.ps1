# The module as it is shipped: one version source, a manifest the PowerShell Gallery would accept, the license,
# help and format views for everything the cmdlets write, and a .nupkg that PSResourceGet installs from a local
# folder repository. Everything a user would do runs in fresh child pwsh sessions whose HOME and XDG folders are
# a temporary folder, so the real user profile (PSResourceGet's repository list, CurrentUser modules) is not touched.

BeforeDiscovery {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $cmdletCases = @(Get-Command -Module G5Mail -CommandType Cmdlet | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } })

    # Every type a user can see: the cmdlets' [OutputType] types, the G5Mail records inside them (e.g. Finding),
    # and what a real Send-G5Document run writes, including the MessageData of its Information summary.
    $types = [System.Collections.Generic.Dictionary[string, type]]::new()
    $queue = [System.Collections.Generic.Queue[type]]::new()
    foreach ($t in (Get-Command -Module G5Mail -CommandType Cmdlet).OutputType.Type) { $queue.Enqueue($t) }
    $configDir = New-TestConfigDir
    $saved = $env:G5MAIL_CONFIG_DIR
    try {
        $env:G5MAIL_CONFIG_DIR = $configDir
        Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -From 'order@olbryggeriet.example' -WarningAction SilentlyContinue
        $pdf = New-TestPdf -Path (Join-Path $configDir '1001.pdf')
        $sent = @(Send-G5Document -Path $pdf.FullName -To 'inkop@ahustra.example' -DraftDirectory (Join-Path $configDir 'drafts') -InformationVariable info)
        foreach ($o in $sent + @($info.MessageData)) { if ($null -ne $o) { $queue.Enqueue($o.GetType()) } }
    }
    finally { $env:G5MAIL_CONFIG_DIR = $saved; Remove-Item $configDir -Recurse -Force -ErrorAction SilentlyContinue }
    while ($queue.Count) {
        $t = $queue.Dequeue()
        if ($t.IsArray) { $t = $t.GetElementType() }
        if ([Nullable]::GetUnderlyingType($t)) { $t = [Nullable]::GetUnderlyingType($t) }
        # Enums and System types format themselves; only G5Mail's own records need views. A collection (DeliveryReport's
        # DocumentIdList) is shown by its items: Out-Default enumerates it, so a view of its own would never be used.
        if (-not $t.IsClass -or "$($t.Namespace)" -notlike 'G5Mail*' -or $types.ContainsKey($t.FullName)) { continue }
        if ([System.Collections.IEnumerable].IsAssignableFrom($t)) { continue }
        $types[$t.FullName] = $t
        foreach ($p in $t.GetProperties()) { $queue.Enqueue($p.PropertyType) }
    }
    $typeCases = @($types.Keys | Sort-Object | ForEach-Object { @{ TypeName = $_ } })
}

BeforeAll {
    . (Join-Path $env:G5MAIL_REPO_ROOT 'build/common.ps1')  # Invoke-IsolatedPwsh
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $script:Root = $env:G5MAIL_REPO_ROOT
    $script:ModuleDir = Join-Path $Root 'artifacts/G5Mail'
    $script:SourceManifest = Import-PowerShellDataFile (Join-Path $Root 'G5Mail.psd1')
    $script:Version = $SourceManifest.ModuleVersion
    $script:BuiltManifestPath = Join-Path $ModuleDir 'G5Mail.psd1'
    $script:BuiltManifest = Import-PowerShellDataFile $BuiltManifestPath
    $script:Package = Join-Path $Root "artifacts/packages/G5Mail.$Version.nupkg"
    $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters

    # What Get-Help -Full shows in a session: one object per exported cmdlet, plus about_G5Mail. Written to a file
    # that the child sessions dot-source.
    $script:HelpFacts = Join-Path $TestDrive 'HelpFacts.ps1'
    Set-Content -LiteralPath $HelpFacts -Encoding utf8NoBOM -Value @'
function Get-G5HelpFacts {
    $module = Get-Module G5Mail
    $common = [System.Management.Automation.Cmdlet]::CommonParameters
    $text = { param($v) ((@($v) | ForEach-Object { if ($_ -is [string]) { $_ } else { $_.Text } }) -join "`n").Trim() }
    [pscustomobject]@{
        ModuleBase = $module.ModuleBase
        Version    = "$($module.Version)"
        About      = [pscustomobject]@{
            Name = "$((Get-Help about_G5Mail -ErrorAction SilentlyContinue).Name)"
            Text = (Get-Help about_G5Mail -ErrorAction SilentlyContinue | Out-String)
        }
        Cmdlets    = @(foreach ($name in ($module.ExportedCmdlets.Keys | Sort-Object)) {
                $help = Get-Help -Name $name -Full
                $params = @((Get-Command $name).Parameters.Keys | Where-Object { $common -notcontains $_ } | Sort-Object)
                [pscustomobject]@{
                    Name        = $name
                    Synopsis    = "$($help.Synopsis)".Trim()
                    Description = & $text $help.description
                    Parameters  = @(foreach ($p in $params) {
                            $entry = @($help.parameters.parameter) | Where-Object { $_.name -eq $p } | Select-Object -First 1
                            [pscustomobject]@{ Name = $p; Description = if ($entry) { & $text $entry.description } else { '' } }
                        })
                    Examples    = @(@($help.examples.example) | Where-Object { $_ } | ForEach-Object {
                            [pscustomobject]@{ Title = "$($_.title)".Trim(); Code = "$($_.code)".Trim() }
                        })
                }
            })
    }
}
'@

    # Runs a script in a fresh, isolated child pwsh and returns what it wrote as JSON.
    function script:Invoke-Child {
        param([string] $Name, [string] $Script, [string[]] $Arguments = @())
        $dir = Join-Path $TestDrive $Name
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        $file = Join-Path $dir 'child.ps1'
        Set-Content -LiteralPath $file -Encoding utf8NoBOM -Value $Script
        $r = Invoke-IsolatedPwsh -File $file -HomePath (Join-Path $dir 'home') -Arguments $Arguments -TimeoutSeconds 240
        if ($r.ExitCode -ne 0) { throw "child '$Name' failed (exit $($r.ExitCode)):`n$($r.Errors)`n$($r.Output)" }
        $r.Output | ConvertFrom-Json
    }

    function script:Get-RelativeFile([string] $Dir) {
        Get-ChildItem -LiteralPath $Dir -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($Dir, $_.FullName).Replace('\', '/') } | Sort-Object
    }
}

Describe 'One version source' {
    It 'G5Mail.psd1 has a three-part ModuleVersion and artifacts/G5Mail/G5Mail.psd1 carries the same' {
        $Version | Should -Match '^\d+\.\d+\.\d+$'
        $BuiltManifest.ModuleVersion | Should -Be $Version
    }

    It 'every G5Mail assembly in artifacts/G5Mail has that version (assembly and file version)' {
        # Recursively: wherever the build puts the assemblies inside the module folder.
        $dlls = @(Get-ChildItem -LiteralPath $ModuleDir -Recurse -File -Filter 'G5Mail*.dll')
        $dlls.Name | Should -Contain 'G5Mail.dll'
        $dlls.Name | Should -Contain 'G5Mail.Core.dll'
        foreach ($dll in $dlls) {
            $v = [Reflection.AssemblyName]::GetAssemblyName($dll.FullName).Version
            "$($v.Major).$($v.Minor).$($v.Build)" | Should -Be $Version -Because "$($dll.Name) must be built from ModuleVersion"
            [Diagnostics.FileVersionInfo]::GetVersionInfo($dll.FullName).FileVersion | Should -Be "$Version.0" -Because $dll.Name
        }
    }

    It 'MSBuild reads the version from G5Mail.psd1 (Directory.Build.props has no number of its own)' {
        $props = Get-Content -Raw (Join-Path $Root 'Directory.Build.props')
        $props | Should -Not -Match '<G5MailVersion>\s*\d' -Because 'a literal version there would be a second source'
        $json = & dotnet msbuild (Join-Path $Root 'src/G5Mail/G5Mail.csproj') -nologo '-getProperty:G5MailVersion' '-getProperty:AssemblyVersion' '-getProperty:Version'
        $LASTEXITCODE | Should -Be 0
        $p = ($json -join "`n" | ConvertFrom-Json).Properties
        $p.G5MailVersion | Should -Be $Version
        $p.Version | Should -Be $Version
        $p.AssemblyVersion | Should -Be "$Version.0"
    }
}

Describe 'The manifest of artifacts/G5Mail' {
    It 'passes Test-ModuleManifest (and so does the repository root manifest)' {
        foreach ($path in $BuiltManifestPath, (Join-Path $Root 'G5Mail.psd1')) {
            $errors = $null
            $info = Test-ModuleManifest -Path $path -ErrorAction SilentlyContinue -ErrorVariable errors
            @($errors) | Should -BeNullOrEmpty -Because "Test-ModuleManifest $path"
            $info.Name | Should -Be 'G5Mail'
            "$($info.Version)" | Should -Be $Version
        }
    }

    It 'is the root manifest with paths relative to the module folder' {
        $BuiltManifest.RootModule | Should -Not -Match 'artifacts'
        foreach ($key in 'GUID', 'Description', 'CompatiblePSEditions', 'CmdletsToExport', 'PowerShellVersion') {
            $BuiltManifest[$key] | Should -Be $SourceManifest[$key] -Because $key
        }
        $BuiltManifest.PrivateData.PSData.ReleaseNotes | Should -BeExactly $SourceManifest.PrivateData.PSData.ReleaseNotes
    }

    It 'has ProjectUri and LicenseUri (absolute https), Tags without spaces and CompatiblePSEditions' {
        $psData = $BuiltManifest.PrivateData.PSData
        foreach ($key in 'ProjectUri', 'LicenseUri') {
            $uri = $null
            [Uri]::TryCreate($psData[$key], [UriKind]::Absolute, [ref] $uri) | Should -BeTrue -Because "$key must be an absolute URI"
            $uri.Scheme | Should -Be 'https'
        }
        $psData.LicenseUri | Should -Match '/LICENSE$'
        @($psData.Tags).Count | Should -BeGreaterOrEqual 3
        foreach ($tag in $psData.Tags) { $tag | Should -Match '^\S+$' -Because 'the PowerShell Gallery rejects tags with spaces' }
        @($BuiltManifest.CompatiblePSEditions) | Should -Not -BeNullOrEmpty
        foreach ($e in $BuiltManifest.CompatiblePSEditions) { $e | Should -BeIn 'Core', 'Desktop' }
        $BuiltManifest.CompatiblePSEditions | Should -Contain $PSEdition
    }

    It 'has release notes for this version' {
        $notes = $BuiltManifest.PrivateData.PSData.ReleaseNotes
        $notes | Should -Match "(^|\s)$([regex]::Escape($Version))\b" -Because 'the release notes must say what this ModuleVersion brings'
        $notes.Length | Should -BeGreaterThan 200
        # Current: they name every cmdlet the module exports.
        foreach ($c in $BuiltManifest.CmdletsToExport) { $notes | Should -Match ([regex]::Escape($c)) }
    }

    It 'exports exactly the cmdlets the module has, by name (no wildcards, so PSResourceGet can list them)' {
        $exported = @((Get-Module G5Mail).ExportedCmdlets.Keys | Sort-Object)
        @($BuiltManifest.CmdletsToExport | Sort-Object) | Should -Be $exported
        $BuiltManifest.CmdletsToExport | Should -Not -Match '\*'
    }

    It 'lists every format file of the module folder in FormatsToProcess, and each exists' {
        $listed = @($BuiltManifest.FormatsToProcess)
        foreach ($f in $listed) { Join-Path $ModuleDir $f | Should -Exist }
        $present = @(Get-ChildItem -LiteralPath $ModuleDir -Recurse -Filter '*.Format.ps1xml' | ForEach-Object { [IO.Path]::GetRelativePath($ModuleDir, $_.FullName).Replace('\', '/') })
        @($present | Sort-Object) | Should -Be @($listed | ForEach-Object { $_.Replace('\', '/') } | Sort-Object)
    }

    It 'ships the MIT LICENSE of the repository' {
        $license = Join-Path $Root 'LICENSE'
        $license | Should -Exist
        $text = Get-Content -Raw $license
        $text | Should -Match '^MIT License'
        $text | Should -Match 'Permission is hereby granted, free of charge'
        Join-Path $ModuleDir 'LICENSE' | Should -Exist
        (Get-FileHash (Join-Path $ModuleDir 'LICENSE')).Hash | Should -Be (Get-FileHash $license).Hash
    }
}

Describe 'A format view for <TypeName>' -ForEach $typeCases {
    BeforeAll {
        $data = @(Get-FormatData -TypeName $TypeName)
        $type = $TypeName -as [type]
    }

    It 'exists (Get-FormatData, loaded through FormatsToProcess)' {
        $data.Count | Should -BeGreaterThan 0 -Because "add a view for $TypeName to src/G5Mail/Formats and list the file in FormatsToProcess"
    }

    It 'shows only properties the type has' {
        $type | Should -Not -BeNullOrEmpty
        $names = [System.Collections.Generic.List[string]]::new()
        foreach ($view in $data.FormatViewDefinition) {
            $c = $view.Control
            $entries = @()
            if ($c -is [System.Management.Automation.TableControl]) { $entries = $c.Rows.Columns.DisplayEntry }
            elseif ($c -is [System.Management.Automation.ListControl]) { $entries = $c.Entries.Items.DisplayEntry }
            elseif ($c -is [System.Management.Automation.WideControl]) { $entries = $c.Entries.DisplayEntry }
            foreach ($e in @($entries)) { if ($e -and "$($e.ValueType)" -eq 'Property') { $names.Add($e.Value) } }
        }
        foreach ($n in $names) { $type.GetProperty($n) | Should -Not -BeNullOrEmpty -Because "a view of $TypeName shows property $n" }
    }
}

Describe 'Help of the built module in a fresh session (artifacts/G5Mail)' {
    BeforeAll {
        $script:Facts = Invoke-Child -Name 'help' -Arguments '-Manifest', $BuiltManifestPath, '-HelpFacts', $HelpFacts -Script @'
param([string] $Manifest, [string] $HelpFacts)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. $HelpFacts
Import-Module $Manifest
Get-G5HelpFacts | ConvertTo-Json -Depth 6
'@
    }

    It 'comes from artifacts/G5Mail and exports every cmdlet' {
        $Facts.ModuleBase | Should -Be (Resolve-Path $ModuleDir).ProviderPath
        $Facts.Version | Should -Be $Version
        @($Facts.Cmdlets.Name) | Should -Be @((Get-Module G5Mail).ExportedCmdlets.Keys | Sort-Object)
    }

    It 'Get-Help <Name> -Full has a synopsis, a description, every parameter and examples' -ForEach $cmdletCases {
        $c = @($Facts.Cmdlets) | Where-Object Name -EQ $Name
        $c | Should -Not -BeNullOrEmpty
        $c.Synopsis | Should -Not -BeNullOrEmpty
        $c.Synopsis | Should -Not -Match "^$([regex]::Escape($Name))(\s|$)" -Because 'a synopsis made up from the syntax means the MAML was not found'
        $c.Description | Should -Not -BeNullOrEmpty
        @($c.Parameters).Count | Should -BeGreaterThan 0
        foreach ($p in $c.Parameters) { $p.Description | Should -Not -BeNullOrEmpty -Because "Get-Help $Name -Full must describe -$($p.Name)" }
        @($c.Examples).Count | Should -BeGreaterOrEqual 1
        foreach ($e in $c.Examples) { $e.Code | Should -Not -BeNullOrEmpty -Because "example '$($e.Title)' of $Name" }
    }

    It 'Get-Help about_G5Mail works' {
        $Facts.About.Name | Should -Be 'about_G5Mail'
        $Facts.About.Text | Should -Match 'G5MAIL_CONFIG_DIR'
    }
}

Describe 'The .nupkg' {
    BeforeAll {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        # NuGet's own parts of the package; everything else is module content.
        $script:NuGetParts = '^(_rels/|package/|\[Content_Types\]\.xml$|G5Mail\.nuspec$)'
        $script:Entries = @{}
        $zip = [IO.Compression.ZipFile]::OpenRead($Package)
        try {
            foreach ($e in $zip.Entries) {
                if ($e.FullName.EndsWith('/')) { continue }
                $ms = [IO.MemoryStream]::new()
                $s = $e.Open(); try { $s.CopyTo($ms) } finally { $s.Dispose() }
                $Entries[[Uri]::UnescapeDataString($e.FullName)] = $ms.ToArray()
            }
        }
        finally { $zip.Dispose() }
        $script:Content = @($Entries.Keys | Where-Object { $_ -notmatch $NuGetParts } | Sort-Object)
    }

    It 'is artifacts/packages/G5Mail.(ModuleVersion).nupkg, the only package there' {
        $Package | Should -Exist
        @(Get-ChildItem (Split-Path -Parent $Package) -Filter '*.nupkg').Name | Should -Be @("G5Mail.$Version.nupkg")
    }

    It 'has a nuspec made from the manifest' {
        [xml] $nuspec = [Text.Encoding]::UTF8.GetString($Entries['G5Mail.nuspec']).TrimStart([char] 0xFEFF)
        $m = $nuspec.package.metadata
        $m.id | Should -Be 'G5Mail'
        $m.version | Should -Be $Version
        $m.projectUrl | Should -Be $SourceManifest.PrivateData.PSData.ProjectUri
        $m.licenseUrl | Should -Be $SourceManifest.PrivateData.PSData.LicenseUri
        $m.description | Should -Be $SourceManifest.Description
        ($m.releaseNotes -replace '\r\n', "`n") | Should -Be ($SourceManifest.PrivateData.PSData.ReleaseNotes -replace '\r\n', "`n")
        $tags = $m.tags -split '\s+'
        foreach ($t in $SourceManifest.PrivateData.PSData.Tags) { $tags | Should -Contain $t }
    }

    It 'holds exactly the module folder without debug symbols, byte for byte' {
        $expected = @(Get-RelativeFile $ModuleDir | Where-Object { $_ -notmatch '\.pdb$' })
        $Content | Should -Be $expected
        foreach ($rel in $expected) {
            $bytes = [IO.File]::ReadAllBytes((Join-Path $ModuleDir $rel))
            [Convert]::ToBase64String([Security.Cryptography.SHA256]::HashData($Entries[$rel])) |
                Should -Be ([Convert]::ToBase64String([Security.Cryptography.SHA256]::HashData($bytes))) -Because "$rel in the package must be the built file"
        }
    }

    It 'has what an installed module needs and nothing of the repository' {
        foreach ($need in @('G5Mail.psd1', 'LICENSE', 'en-US/G5Mail.dll-Help.xml', 'en-US/about_G5Mail.help.txt', 'sv-SE/G5Mail.dll-Help.xml', 'sv-SE/about_G5Mail.help.txt') + @($BuiltManifest.FormatsToProcess)) {
            $Content | Should -Contain $need
        }
        $Content | Should -Contain ($BuiltManifest.RootModule.Replace('\', '/'))
        # Every assembly of the module folder, in whichever subfolder the build put it.
        foreach ($dll in (Get-RelativeFile $ModuleDir | Where-Object { $_ -match '\.dll$' })) { $Content | Should -Contain $dll }
        # The one script the module has is the manifest's ScriptsToProcess (it installs the dependency loader).
        $Content | Where-Object { $_ -notin @($BuiltManifest.ScriptsToProcess) } | Should -Not -Match '\.(pdb|cs|csproj|sln|ps1|psm1)$|Tests|^tests/|^src/|^docs/|^build/'
        $Content | Should -Not -Match '(^|/)System\.Management\.Automation\.dll$' -Because 'PowerShell supplies it'
    }
}

Describe 'Installing the .nupkg with PSResourceGet from a local folder repository' {
    BeforeAll {
        $script:Repo = Join-Path $TestDrive 'repo'
        New-Item -ItemType Directory -Path $Repo | Out-Null
        Copy-Item $Package -Destination $Repo

        $script:Saved = Invoke-Child -Name 'save' -Arguments '-Repo', $Repo, '-SavePath', (Join-Path $TestDrive 'saved'), '-ConfigDir', (Join-Path $TestDrive 'config-save') -Script @'
param([string] $Repo, [string] $SavePath, [string] $ConfigDir)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$r = [ordered]@{}
Register-PSResourceRepository -Name G5MailLocal -Uri $Repo -Trusted
$r.Registered = @(Get-PSResourceRepository -Name G5MailLocal | ForEach-Object { $_.Uri.LocalPath })
$found = @(Find-PSResource -Name G5Mail -Repository G5MailLocal)
$r.Found = @($found | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Version = "$($_.Version)"; Cmdlets = @($_.Includes.Cmdlet) } })
New-Item -ItemType Directory -Path $SavePath | Out-Null
Save-PSResource -Name G5Mail -Repository G5MailLocal -Path $SavePath
$r.SavedFiles = @(Get-ChildItem -LiteralPath $SavePath -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($SavePath, $_.FullName).Replace('\', '/') } | Sort-Object)
$manifest = Get-ChildItem -LiteralPath $SavePath -Recurse -Filter 'G5Mail.psd1' | Select-Object -First 1
Import-Module $manifest.FullName
$r.ModuleBase = (Get-Module G5Mail).ModuleBase
$env:G5MAIL_CONFIG_DIR = $ConfigDir
$s = Get-G5MailSetting
$r.SettingType = $s.GetType().FullName
$r.SettingPath = $s.Path
$r.SettingText = ($s | Out-String)
Unregister-PSResourceRepository -Name G5MailLocal
$r.RepositoriesAfter = @(Get-PSResourceRepository | ForEach-Object Name)
[pscustomobject] $r | ConvertTo-Json -Depth 5
'@

        $script:Installed = Invoke-Child -Name 'install' -Arguments '-Repo', $Repo, '-HelpFacts', $HelpFacts, '-ConfigDir', (Join-Path $TestDrive 'config-install') -Script @'
param([string] $Repo, [string] $HelpFacts, [string] $ConfigDir)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. $HelpFacts
$r = [ordered]@{ Home = $HOME }
Register-PSResourceRepository -Name G5MailLocal -Uri $Repo -Trusted
Install-PSResource -Name G5Mail -Repository G5MailLocal -Scope CurrentUser
$r.InstalledResources = @(Get-InstalledPSResource -Name G5Mail -Scope CurrentUser | ForEach-Object { [pscustomobject]@{ Version = "$($_.Version)"; Location = $_.InstalledLocation } })
$r.Available = @(Get-Module -ListAvailable G5Mail | ForEach-Object ModuleBase)
Import-Module G5Mail
$r.Help = Get-G5HelpFacts
$env:G5MAIL_CONFIG_DIR = $ConfigDir
$r.SettingPath = (Get-G5MailSetting).Path
$r.Views = @('G5Mail.MailSettings', 'G5Mail.SendResult', 'G5Mail.SendSummary', 'G5Mail.ServerTestResult', 'G5Mail.SecretExpiry', 'G5Mail.Finding', 'G5Mail.ActivityResult', 'G5Mail.ActivitySummary', 'G5Mail.ReceivedMessage', 'G5Mail.ReceivedAttachment', 'G5Mail.DeliveryReport' |
        Where-Object { Get-FormatData -TypeName $_ })
Unregister-PSResourceRepository -Name G5MailLocal
$r.RepositoriesAfter = @(Get-PSResourceRepository | ForEach-Object Name)
[pscustomobject] $r | ConvertTo-Json -Depth 7
'@
    }

    It 'Find-PSResource finds G5Mail at the ModuleVersion with its cmdlets' {
        $Saved.Registered | Should -Be @((Resolve-Path $Repo).ProviderPath)
        @($Saved.Found).Count | Should -Be 1
        $Saved.Found[0].Name | Should -Be 'G5Mail'
        $Saved.Found[0].Version | Should -Be $Version
        @($Saved.Found[0].Cmdlets | Sort-Object) | Should -Be @($BuiltManifest.CmdletsToExport | Sort-Object)
    }

    It 'Save-PSResource -Path writes the module folder, and the saved module imports and runs Get-G5MailSetting' {
        $expected = @(Get-RelativeFile $ModuleDir | Where-Object { $_ -notmatch '\.pdb$' } | ForEach-Object { "G5Mail/$Version/$_" })
        @($Saved.SavedFiles) | Should -Be $expected
        $Saved.ModuleBase | Should -Be (Join-Path $TestDrive "saved/G5Mail/$Version")
        $Saved.SettingType | Should -Be 'G5Mail.MailSettings'
        $Saved.SettingPath | Should -BeLike ((Join-Path $TestDrive 'config-save') + '*')
        $Saved.SettingText | Should -Match 'MethodMissing' -Because 'an empty configuration says how to set the method'
    }

    It 'Install-PSResource -Scope CurrentUser installs into the (temporary) user module folder' {
        @($Installed.InstalledResources).Count | Should -Be 1
        $Installed.InstalledResources[0].Version | Should -Be $Version
        $Installed.InstalledResources[0].Location | Should -BeLike "$($Installed.Home)*"
        @($Installed.Available) | Should -Be @($Installed.Help.ModuleBase) -Because 'only the installed copy is visible to the child'
    }

    It 'Import-Module G5Mail by name loads the installed module with all its cmdlets, help, views and a working cmdlet' {
        $h = $Installed.Help
        $h.ModuleBase | Should -BeLike "$($Installed.Home)*"
        $h.Version | Should -Be $Version
        @($h.Cmdlets.Name) | Should -Be @($BuiltManifest.CmdletsToExport | Sort-Object)
        foreach ($c in $h.Cmdlets) {
            $c.Synopsis | Should -Not -Match "^$([regex]::Escape($c.Name))(\s|$)" -Because "the installed module must carry the MAML for $($c.Name)"
            $c.Description | Should -Not -BeNullOrEmpty
            foreach ($p in $c.Parameters) { $p.Description | Should -Not -BeNullOrEmpty -Because "$($c.Name) -$($p.Name)" }
            @($c.Examples).Count | Should -BeGreaterOrEqual 1
        }
        $h.About.Name | Should -Be 'about_G5Mail'
        @($Installed.Views).Count | Should -Be 11
        $Installed.SettingPath | Should -BeLike ((Join-Path $TestDrive 'config-install') + '*')
    }

    It 'the test repository is unregistered afterwards' {
        $Saved.RepositoriesAfter | Should -Not -Contain 'G5MailLocal'
        $Installed.RepositoriesAfter | Should -Not -Contain 'G5MailLocal'
    }
}

Describe 'Installing by copying artifacts/G5Mail (the README commands)' {
    BeforeAll {
        $script:Copied = Invoke-Child -Name 'copy' -Arguments '-ModuleDir', $ModuleDir, '-ConfigDir', (Join-Path $TestDrive 'config-copy') -Script @'
param([string] $ModuleDir, [string] $ConfigDir)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$modules = ($env:PSModulePath -split [IO.Path]::PathSeparator)[0]
New-Item -ItemType Directory -Force $modules | Out-Null
Copy-Item $ModuleDir -Destination (Join-Path $modules 'G5Mail') -Recurse
Import-Module G5Mail
$env:G5MAIL_CONFIG_DIR = $ConfigDir
[pscustomobject]@{
    Home       = $HOME
    ModuleBase = (Get-Module G5Mail).ModuleBase
    Cmdlets    = @((Get-Module G5Mail).ExportedCmdlets.Keys | Sort-Object)
    Synopsis   = "$((Get-Help Send-G5Document).Synopsis)".Trim()
    Examples   = @((Get-Help Send-G5Document -Examples).examples.example).Count
    Setting    = (Get-G5MailSetting).Path
} | ConvertTo-Json
'@
    }

    It 'Import-Module G5Mail by name finds the copy in the user module folder, with help and a working cmdlet' {
        $Copied.ModuleBase | Should -BeLike "$($Copied.Home)*G5Mail"
        @($Copied.Cmdlets) | Should -Be @($BuiltManifest.CmdletsToExport | Sort-Object)
        $Copied.Synopsis | Should -Not -Match '^Send-G5Document(\s|$)'
        $Copied.Examples | Should -BeGreaterOrEqual 1
        $Copied.Setting | Should -BeLike ((Join-Path $TestDrive 'config-copy') + '*')
    }
}
