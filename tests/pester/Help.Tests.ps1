# Help a user can read: every exported cmdlet has real help (from docs/en-US, compiled to MAML by the build),
# and about_G5Mail is found. The cases come from the cmdlets the module exports, so a new cmdlet without a doc,
# or a new parameter without a description, fails here.

BeforeDiscovery {
    $env:G5MAIL_CONFIG_DIR = Join-Path ([IO.Path]::GetTempPath()) "g5mail-help-discovery-$([guid]::NewGuid())"
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    # WhatIf and Confirm are not in this list: a user needs their description too.
    $common = [System.Management.Automation.Cmdlet]::CommonParameters
    $cmdletCases = @(Get-Command -Module G5Mail -CommandType Cmdlet | ForEach-Object {
            $cmd = $_
            @{
                Name       = $cmd.Name
                Parameters = @($cmd.Parameters.Keys | Where-Object { $common -notcontains $_ } | Sort-Object |
                        ForEach-Object { @{ Cmdlet = $cmd.Name; Parameter = $_ } })
            }
        })
}

BeforeAll {
    $env:G5MAIL_CONFIG_DIR = Join-Path $TestDrive 'config'
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $script:module = Get-Module G5Mail

    function Get-HelpText([object] $Value) {
        # MAML text comes back as objects with a Text property (one per paragraph).
        (@($Value) | ForEach-Object { if ($_ -is [string]) { $_ } else { $_.Text } }) -join "`n"
    }
}

Describe 'Help for <Name>' -ForEach $cmdletCases {
    BeforeAll {
        $help = Get-Help -Name $Name -Full -ErrorAction Stop
        $command = Get-Command -Name $Name -Module G5Mail
    }

    It 'comes from docs/en-US/<Name>.md (a synopsis, not the generated syntax)' {
        # Without a help file PowerShell makes the synopsis up from the syntax ("Verb-Noun [-Param] ...").
        $synopsis = "$($help.Synopsis)".Trim()
        $synopsis | Should -Not -BeNullOrEmpty -Because "docs/en-US/$Name.md needs '## SYNOPSIS'"
        $synopsis | Should -Not -Match "^$([regex]::Escape($Name))(\s|$)" -Because "the help file for $Name was not found or has no entry for it; write docs/en-US/$Name.md and build"
    }

    It 'has a description' {
        (Get-HelpText $help.description).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples, each with code' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($e in $examples) {
            "$($e.code)".Trim() | Should -Not -BeNullOrEmpty -Because "example '$($e.title)' needs a ```powershell block"
        }
    }

    It 'shows one syntax per parameter set of the compiled cmdlet' {
        # The syntax is generated from the built cmdlet; a mismatch means the help is stale or incomplete.
        @($help.syntax.syntaxItem).Count | Should -Be @($command.ParameterSets).Count
    }

    It 'describes -<Parameter>' -ForEach $Parameters {
        $entry = @($help.parameters.parameter) | Where-Object { $_.name -eq $Parameter }
        $entry | Should -Not -BeNullOrEmpty -Because "Get-Help $Cmdlet -Full must list -$Parameter"
        (Get-HelpText $entry.description).Trim() | Should -Not -BeNullOrEmpty -Because "docs/en-US/$Cmdlet.md needs '### -$Parameter' with a description"
    }
}

Describe 'about_G5Mail' {
    It 'is found by Get-Help and is the G5Mail topic' {
        $topic = Get-Help about_G5Mail -ErrorAction Stop
        @($topic).Count | Should -Be 1
        $topic.Name | Should -Be 'about_G5Mail'
        $text = $topic | Out-String
        $text | Should -Match 'SHORT DESCRIPTION'
        $text | Should -Match 'G5MAIL_CONFIG_DIR'
        # Get-Help lists a topic with line 5 of its file as the synopsis.
        $topic.Synopsis | Should -Match 'Monitor G5'
    }
}

Describe 'Help in the copyable module folder' {
    It 'is found when artifacts/G5Mail/G5Mail.psd1 is imported in a fresh session' {
        # The folder a user copies into $env:PSModulePath has its own ModuleBase, so its help must be beside its
        # manifest; checked in a new process because a module cannot be imported twice from two places at once.
        $manifest = Join-Path $module.ModuleBase 'artifacts/G5Mail/G5Mail.psd1'
        if (-not (Test-Path $manifest)) { $manifest = Join-Path $module.ModuleBase 'G5Mail.psd1' }
        $manifest | Should -Exist
        $exe = [Environment]::ProcessPath
        $pwshArgs = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        $script = {
            param($Manifest)
            $ProgressPreference = 'SilentlyContinue'  # Get-Help's progress would reach our console as CLIXML
            Import-Module $Manifest -ErrorAction Stop
            $m = Get-Module G5Mail
            [pscustomobject]@{
                ModuleBase = $m.ModuleBase
                About      = (Get-Help about_G5Mail -ErrorAction SilentlyContinue | Out-String)
                Synopses   = @($m.ExportedCmdlets.Keys | ForEach-Object { "$_=$((Get-Help $_).Synopsis)" })
            } | ConvertTo-Json -Compress
        }
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes(
                "& { $script } -Manifest '$($manifest.Replace("'", "''"))'"))
        $json = & $exe @pwshArgs -NoProfile -NonInteractive -EncodedCommand $encoded
        $LASTEXITCODE | Should -Be 0
        $result = ($json -join "`n") | ConvertFrom-Json
        $result.ModuleBase | Should -Be (Split-Path -Parent (Resolve-Path $manifest).ProviderPath)
        $result.About | Should -Match 'G5MAIL_CONFIG_DIR'
        foreach ($pair in $result.Synopses) {
            $name, $synopsis = $pair -split '=', 2
            $synopsis.Trim() | Should -Not -Match "^$([regex]::Escape($name))(\s|$)" -Because "Get-Help $name must find the MAML in $($result.ModuleBase)/en-US"
            $synopsis.Trim() | Should -Not -BeNullOrEmpty
        }
    }
}
