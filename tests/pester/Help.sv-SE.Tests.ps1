# Help in Swedish: docs/sv-SE is built into <module>/sv-SE over docs/en-US (build/Build-Help.ps1 -FallbackDocsPath),
# so that Get-Help shows the Swedish text under a sv-SE UI culture and English for everything without a Swedish doc.
# PowerShell reads $PSUICulture once, when the session starts, and takes a binary module's help from the first of
# <culture>, its parents and en-US that holds G5Mail.dll-Help.xml; it does not fall back to en-US per cmdlet. Each
# case therefore runs in a child pwsh started under the culture: LANG/LC_ALL for .NET on Linux and macOS, and the
# thread's UI culture set before the module is imported (the way that also works on Windows, where LANG is ignored).

BeforeDiscovery {
    $root = $env:G5MAIL_REPO_ROOT
    $script:manifestCases = @(
        @{ Where = 'the repository root (G5Mail.psd1)'; Manifest = $env:G5MAIL_MODULE_PATH }
        @{ Where = 'the copyable module folder (artifacts/G5Mail)'; Manifest = (Join-Path $root 'artifacts/G5Mail/G5Mail.psd1') }
    )
}

BeforeAll {
    # Runs Get-Help in a fresh pwsh under $Culture and returns what it showed.
    function Get-ChildHelp {
        param([string] $Manifest, [string] $Culture)
        $out = Join-Path $TestDrive "help-$Culture-$([guid]::NewGuid().ToString('N')).json"
        $script = Join-Path $TestDrive 'child-help.ps1'
        Set-Content -LiteralPath $script -Encoding utf8NoBOM -Value @'
param([string] $Manifest, [string] $Culture, [string] $Out)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[cultureinfo]::CurrentUICulture = $Culture
[cultureinfo]::DefaultThreadCurrentUICulture = $Culture
$ui = "$PSUICulture"
Import-Module $Manifest
$module = Get-Module G5Mail
$common = [System.Management.Automation.Cmdlet]::CommonParameters
$text = { param($v) ((@($v) | ForEach-Object { if ($_ -is [string]) { $_ } else { $_.Text } }) -join "`n").Trim() }
[pscustomobject]@{
    PSUICulture = $ui
    ModuleBase  = $module.ModuleBase
    SendFull    = Get-Help Send-G5Document -Full | Out-String -Width 200
    SetFull     = Get-Help Set-G5MailSetting -Full | Out-String -Width 200
    SyncFull    = Get-Help Sync-G5Activity -Full | Out-String -Width 200
    About       = Get-Help about_G5Mail | Out-String -Width 200
    Cmdlets     = @(foreach ($name in ($module.ExportedCmdlets.Keys | Sort-Object)) {
            $help = Get-Help $name -Full
            [pscustomobject]@{
                Name        = $name
                Synopsis    = "$($help.Synopsis)".Trim()
                Undescribed = @((Get-Command $name).Parameters.Keys | Where-Object { $common -notcontains $_ } | Where-Object {
                        $p = $_
                        $entry = @($help.parameters.parameter) | Where-Object { $_.name -eq $p } | Select-Object -First 1
                        -not $entry -or -not (& $text $entry.description)
                    })
            }
        })
} | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $Out -Encoding utf8NoBOM
'@
        $exe = [Environment]::ProcessPath
        $psi = [System.Diagnostics.ProcessStartInfo]::new($exe)
        if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', $script, '-Manifest', $Manifest, '-Culture', $Culture, '-Out', $out) { $psi.ArgumentList.Add($a) }
        $psi.UseShellExecute = $false
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $locale = $Culture.Replace('-', '_') + '.UTF-8'
        $psi.Environment['LANG'] = $locale
        $psi.Environment['LC_ALL'] = $locale
        $psi.Environment['G5MAIL_CONFIG_DIR'] = Join-Path $TestDrive 'config'
        $p = [System.Diagnostics.Process]::Start($psi)
        $stdout = $p.StandardOutput.ReadToEndAsync()
        $stderr = $p.StandardError.ReadToEndAsync()
        if (-not $p.WaitForExit(120000)) { $p.Kill($true); throw "Get-Help under $Culture did not finish within 120 s." }
        $p.WaitForExit()
        if ($p.ExitCode -ne 0 -or -not (Test-Path -LiteralPath $out)) {
            throw "Get-Help under $Culture failed (exit $($p.ExitCode)): $($stderr.Result)$($stdout.Result)"
        }
        Get-Content -LiteralPath $out -Raw -Encoding utf8 | ConvertFrom-Json
    }
}

Describe 'Help in Swedish from <Where>' -ForEach $manifestCases {
    BeforeAll {
        $Manifest | Should -Exist
        $script:sv = Get-ChildHelp -Manifest $Manifest -Culture 'sv-SE'
        $script:en = Get-ChildHelp -Manifest $Manifest -Culture 'en-US'
        $script:svFolder = Join-Path (Split-Path -Parent $Manifest) 'sv-SE'
    }

    It 'has the sv-SE help files beside the manifest' {
        Join-Path $svFolder 'G5Mail.dll-Help.xml' | Should -Exist
        Join-Path $svFolder 'about_G5Mail.help.txt' | Should -Exist
    }

    It 'runs the child under sv-SE' {
        $sv.PSUICulture | Should -Be 'sv-SE'
    }

    It 'shows Send-G5Document in Swedish' {
        $sv.SendFull | Should -Match 'Skickar utskrifter av Monitor G5-dokument'
        $sv.SendFull | Should -Match 'Exempel 1: Skicka en faktura med dess XML-fil'
        $sv.SendFull | Should -Match 'Import-Csv .* -Delimiter'
        $sv.SendFull | Should -Match 'Som i Monitor G5 får varje dokumenttyp sitt eget ämne'
        # Placeholders and the per-document properties of issue 18 are described in Swedish.
        foreach ($word in '{DocumentIds}', '{DocumentType}', '{PartCount}', '{From}', 'MessageLanguage', 'TemplatePath', 'CombineDocumentTypes') {
            $sv.SendFull | Should -Match ([regex]::Escape($word))
        }
        $sv.SendFull | Should -Not -Match 'Sends Monitor G5 document printouts'
    }

    It 'shows Set-G5MailSetting in Swedish, with the Monitor G5 field table' {
        $sv.SetFull | Should -Match 'Ändrar G5Mails inställningar'
        $sv.SetFull | Should -Match 'Metod för e-post\s+Method'
        $sv.SetFull | Should -Match 'Lösenord \(SMTP\)\s+Credential \(lösenordet\)'
    }

    It 'shows about_G5Mail in Swedish, with the Monitor G5 field table' {
        $about = $sv.About
        $about | Should -Match 'Skickar Monitor G5-dokument med e-post'
        $about | Should -Match 'G5MAIL_CONFIG_DIR'
        $rows = [ordered]@{
            'Metod för e-post'                                     = 'Method: Outlook, Exchange, Smtp eller ExchangeOnline'
            'Serveradress'                                         = 'Server'
            'Program-ID \(klient\)'                                = 'ClientId'
            'Katalog-ID \(klientorganisation\)'                    = 'TenantId'
            'Autentiseringsflöde'                                  = 'AuthenticationFlow'
            'Klienthemlighet'                                      = 'ClientSecret'
            'Port \(Exchange/SMTP\)'                               = 'Port'
            'Användarnamn \(SMTP\)'                                = 'Credential \(användarnamnet\)'
            'Lösenord \(SMTP\)'                                    = 'Credential \(lösenordet\)'
            'Använda SSL'                                          = 'UseSsl'
            'Maximal storlek för filer i e-post'                   = 'MaxAttachmentSizeMB'
            'Skicka flera order i samma e-postmeddelande'          = 'CombineDocuments, och PurchaseOrder i CombineDocumentTypes'
            'Skicka flera order/fakturor i samma e-postmeddelande' = 'CombineDocuments, och Order och Invoice i CombineDocumentTypes'
        }
        foreach ($r in $rows.GetEnumerator()) {
            $about | Should -Match "(?m)^\s*$($r.Key)\s+$($r.Value)" -Because "about_G5Mail (sv-SE) maps Monitor G5's field to the G5Mail setting"
        }
    }

    It 'falls back to the English help for a cmdlet without a Swedish doc (Sync-G5Activity)' {
        $sv.SyncFull | Should -Match 'Makes calendars match Monitor G5 activities'
        $sv.SyncFull | Should -Match 'EXAMPLES|EXEMPEL|Example'
    }

    It 'has real help for every cmdlet under sv-SE, every parameter described' {
        foreach ($c in $sv.Cmdlets) {
            $c.Synopsis | Should -Not -BeNullOrEmpty
            $c.Synopsis | Should -Not -Match "^$([regex]::Escape($c.Name))(\s|$)" -Because "the sv-SE MAML must hold $($c.Name) (PowerShell does not fall back to en-US per cmdlet)"
            @($c.Undescribed) | Should -BeNullOrEmpty -Because "Get-Help $($c.Name) -Full under sv-SE must describe every parameter (from docs/sv-SE or docs/en-US)"
        }
    }

    It 'still shows English under en-US' {
        $en.PSUICulture | Should -Be 'en-US'
        $en.SendFull | Should -Match 'Sends Monitor G5 document printouts'
        $en.SendFull | Should -Not -Match 'Skickar utskrifter'
        $en.SetFull | Should -Match 'Changes G5Mail settings in the System or the User scope'
        $en.About | Should -Match 'Sends Monitor G5 documents by e-mail'
        $en.About | Should -Not -Match 'Metod för e-post\s+Method'
    }
}
