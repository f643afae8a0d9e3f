# Every command G5Mail suggests must run as written: a sysadmin copies it from a finding, an error message, the
# help or the README. Each suggested command is checked with PowerShell's own parser and, for G5Mail's cmdlets, with
# their parameter metadata (names, switches, values, enum and ValidateSet values). Commands of other modules are
# checked by the parser only. Sources:
#   Findings  - produced by Get-G5MailSetting / Test-G5MailServer from settings that trigger every settings code;
#               server-probe codes are collected from their message templates in the C# source.
#   Messages  - string literals of src/**/*.cs (adjacent literals joined by + count as one).
#   Help      - docs/en-US/*.md: powershell code blocks, untagged blocks that start with a G5Mail cmdlet, inline code.
#   README    - README.md likewise.

BeforeAll {
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Cmdlets = @{}
    foreach ($c in Get-Command -Module G5Mail -CommandType Cmdlet) { $script:Cmdlets[$c.Name] = $c }
    $script:CmdletPattern = '(?:' + (($script:Cmdlets.Keys | Sort-Object -Descending { $_.Length }) -join '|') + ')'

    # Placeholders in advice ("<guid>", "…", "...") stand for a value the reader fills in: a variable, so the
    # command still parses and the value counts as given but not as a literal to validate.
    function ConvertFrom-Placeholder([string] $Text) {
        $t = $Text -replace '<[^<>\r\n]{1,60}>', '$placeholder'
        $t = $t -replace '(?<=\s)(?:…|\.\.\.)(?=\s|$|\)|,)', '$placeholder'
        $t
    }

    # "-Method Smtp|ExchangeOnline|Exchange|Outlook" in prose offers alternatives: one command per alternative.
    function Expand-Alternative([string] $Text) {
        $m = [regex]::Match($Text, '(?<=\s)([A-Za-z0-9]+(?:\|[A-Za-z0-9]+)+)(?=\s|$)')
        if (-not $m.Success) { return , $Text }
        foreach ($choice in $m.Groups[1].Value.Split('|')) {
            Expand-Alternative ($Text.Substring(0, $m.Index) + $choice + $Text.Substring($m.Index + $m.Length))
        }
    }

    # The commands in a sentence: from a G5Mail cmdlet name (or, after "with: "/"run: ", any Verb-Noun command) to
    # the end of the sentence, a ';', a ", or"-style clause, or a parenthesis that opens prose.
    function Get-ProseCommand([string] $Text) {
        # A cmdlet name followed by a prose word ("Get-G5SecretExpiry signs in as the app") names the cmdlet; a command
        # goes on with a parameter, a placeholder or nothing.
        $starts = [regex]::Matches($Text, "(?<![\w-])(?:$script:CmdletPattern)(?=\s+[-<…]|\s*$|\s*[.;,)|])|(?<=\b(?:with|run):\s)[A-Z][a-z]+-[A-Za-z]+(?=\s+[-<]|\s*$|\s*[.;,)])")
        foreach ($s in $starts) {
            $rest = $Text.Substring($s.Index)
            $end = [regex]::Match($rest, '\.(?=\s|$|["''])|;\s|,\s+(?=[a-z])|\s\((?![A-Z][a-z]+-[A-Za-z]|\$|\[|'')|\s(?:or|and|then)\s(?=[A-Z][a-z]+-[A-Za-z])|"|$')
            $cmd = $rest.Substring(0, $end.Index).TrimEnd()
            # A command written inside parentheses in prose ends at the parenthesis that closes them.
            $depth = 0
            for ($k = 0; $k -lt $cmd.Length; $k++) {
                if ($cmd[$k] -eq '(') { $depth++ }
                elseif ($cmd[$k] -eq ')') { if ($depth -eq 0) { $cmd = $cmd.Substring(0, $k).TrimEnd(); break }; $depth-- }
            }
            # Another command that starts inside this one (a nested "(Set-G5MailSetting ...)") is found on its own.
            if ($cmd) { $cmd }
        }
    }

    # Why a command would not parse or bind; nothing when it runs.
    function Test-SuggestedCommand([string] $Command) {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput((ConvertFrom-Placeholder $Command), [ref] $tokens, [ref] $errors)
        if ($errors) { return $errors | ForEach-Object { "does not parse: $($_.Message)" } }
        $calls = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true)
        foreach ($call in $calls) {
            $name = $call.GetCommandName()
            if (-not $name -or -not $script:Cmdlets.ContainsKey($name)) { continue }
            Test-Binding $script:Cmdlets[$name] $call
        }
    }

    function Resolve-Parameter($Cmdlet, [string] $Name) {
        $all = $Cmdlet.Parameters.Values
        $exact = @($all | Where-Object { $_.Name -eq $Name -or $_.Aliases -contains $Name })
        if ($exact.Count -eq 1) { return $exact[0] }
        $prefix = @($all | Where-Object { $_.Name -like "$Name*" -or @($_.Aliases | Where-Object { $_ -like "$Name*" }).Count })
        if ($prefix.Count -eq 1) { return $prefix[0] }
        if ($prefix.Count -gt 1) { throw "-$Name is ambiguous on $($Cmdlet.Name) (matches $(($prefix.Name | Sort-Object) -join ', '))" }
        throw "$($Cmdlet.Name) has no parameter -$Name"
    }

    function Test-Literal($Cmdlet, $Parameter, $ValueAst) {
        $values = if ($ValueAst -is [System.Management.Automation.Language.ArrayLiteralAst]) { $ValueAst.Elements } else { @($ValueAst) }
        $type = $Parameter.ParameterType
        if ($type.IsArray) { $type = $type.GetElementType() }
        $type = [Nullable]::GetUnderlyingType($type) ?? $type
        $set = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
        foreach ($v in $values) {
            if ($v -isnot [System.Management.Automation.Language.StringConstantExpressionAst]) { continue }
            $text = $v.Value
            if ($type.IsEnum -and -not ([Enum]::GetNames($type) -contains $text) -and $text -notmatch '^\d+$') {
                "-$($Parameter.Name) '$text' is not one of $([Enum]::GetNames($type) -join ', ')"
            }
            if ($set -and -not ($set.ValidValues -contains $text)) {
                "-$($Parameter.Name) '$text' is not one of $($set.ValidValues -join ', ')"
            }
        }
    }

    function Test-Binding($Cmdlet, $Call) {
        $elements = $Call.CommandElements
        $positional = [System.Collections.Generic.List[string]]::new()
        for ($i = 1; $i -lt $elements.Count; $i++) {
            $e = $elements[$i]
            # A message template whose parameters are made by code ("Set-G5MailSetting {scopeArg}{example}",
            # "-{name} …"): the names are not known here; the rest of the command is still checked.
            if ($e.Extent.Text -match '^-?(\$placeholder)+$') {
                if ($e.Extent.Text.StartsWith('-')) { $i++ }
                continue
            }
            if ($e -isnot [System.Management.Automation.Language.CommandParameterAst]) { $positional.Add($e.Extent.Text); continue }
            try { $p = Resolve-Parameter $Cmdlet $e.ParameterName } catch { "$_"; continue }
            $isSwitch = $p.SwitchParameter
            if ($e.Argument) {
                if (-not $isSwitch) { Test-Literal $Cmdlet $p $e.Argument }
                continue
            }
            if ($isSwitch) {
                $next = if ($i + 1 -lt $elements.Count) { $elements[$i + 1] } else { $null }
                if ($next -and $next -isnot [System.Management.Automation.Language.CommandParameterAst] -and $next.Extent.Text -match '^\$(true|false)$|^[01]$') {
                    "-$($p.Name) is a switch: '$($e.Extent.Text) $($next.Extent.Text)' passes $($next.Extent.Text) as a positional value; write -$($p.Name) or -$($p.Name):`$false"
                    $i++
                }
                continue
            }
            $value = if ($i + 1 -lt $elements.Count) { $elements[$i + 1] } else { $null }
            if (-not $value -or $value -is [System.Management.Automation.Language.CommandParameterAst]) {
                "-$($p.Name) needs a value"
                continue
            }
            Test-Literal $Cmdlet $p $value
            $i++
        }
        $slots = @($Cmdlet.Parameters.Values | Where-Object { $_.ParameterSets.Values | Where-Object { $_.Position -ge 0 } }).Count
        if ($positional.Count -gt $slots) {
            "$($Cmdlet.Name) takes $slots positional value(s) but is given $($positional.Count): $($positional -join ' ')"
        }
    }

    # One entry per suggested command: where it came from, the command, and what is wrong with it.
    function New-Check([string] $Source, [string] $Where, [string] $Command) {
        foreach ($c in Expand-Alternative $Command) {
            [pscustomobject]@{ Source = $Source; Where = $Where; Command = $c; Problems = @(Test-SuggestedCommand $c) }
        }
    }

    function Format-Failure($Checks) {
        $bad = @($Checks | Where-Object { $_.Problems.Count })
        foreach ($b in $bad) { "[$($b.Source)] $($b.Where): $($b.Command)`n      -> $($b.Problems -join '; ')" }
    }

    # --- Markdown: code blocks and inline code ---
    function Get-MarkdownCommand([string] $Path, [string] $Source) {
        $lines = Get-Content -LiteralPath $Path
        $file = [IO.Path]::GetFileName($Path)
        $section = ''
        $inBlock = $false; $lang = ''; $start = 0; $block = [System.Collections.Generic.List[string]]::new()
        for ($n = 0; $n -lt $lines.Count; $n++) {
            $line = $lines[$n]
            if ($line -match '^```(\w*)') {
                if (-not $inBlock) { $inBlock = $true; $lang = $Matches[1]; $start = $n + 1; $block.Clear(); continue }
                $inBlock = $false
                $first = ($block | Where-Object { $_.Trim() -and -not $_.Trim().StartsWith('#') } | Select-Object -First 1)
                $isCode = $lang -in 'powershell', 'ps', 'pwsh', 'ps1' -or ($lang -eq '' -and $first -match "^\s*(PS [^>]*>\s*)?$script:CmdletPattern(?![\w-])")
                # platyPS SYNTAX blocks show the grammar ([-Scope <SettingsScope>]), not a command to run.
                if ($isCode -and $section -ne 'SYNTAX' -and ($block -join "`n") -match $script:CmdletPattern) {
                    $text = ($block | ForEach-Object { $_ -replace '^\s*PS [^>]*>\s?', '' }) -join "`n"
                    New-Check $Source "$file line $start (code block)" $text
                }
                continue
            }
            if ($inBlock) { $block.Add($line); continue }
            if ($line -match '^##\s+(.+?)\s*$') { $section = $Matches[1] }
            foreach ($m in [regex]::Matches($line, '`([^`]+)`')) {
                $code = $m.Groups[1].Value
                # Inline code that starts with a cmdlet and is not a grammar line or an output line ("Send-G5Document: 3 Sent").
                if ($code -match "^$script:CmdletPattern(?![\w:-])" -and $code -notmatch '\[-') {
                    New-Check $Source "$file line $($n + 1) (inline)" $code
                }
            }
        }
    }

    # --- C# string literals (regular and interpolated; adjacent literals joined with + are one text) ---
    function Get-SourceLiteral([string] $Path) {
        $text = [IO.File]::ReadAllText($Path)
        # An interpolated literal's holes may hold quotes ({n.ToString("0.#")}).
        $literal = '(?:\$"(?:[^"\\\r\n{]|\\.|\{\{|\{[^{}\r\n]*\})*"|"(?:[^"\\\r\n]|\\.)*")'
        $chains = [regex]::Matches($text, "$literal(?:\s*\+\s*$literal)*")
        foreach ($chain in $chains) {
            $parts = [regex]::Matches($chain.Value, $literal) | ForEach-Object {
                $v = $_.Value
                $interpolated = $v.StartsWith('$')
                $v = $v.Substring($(if ($interpolated) { 2 } else { 1 })).TrimEnd('"')
                $v = $v -replace '\\"', '"' -replace '\\n', ' ' -replace '\\\\', '\'
                # An interpolation hole is a value the code fills in: a placeholder here.
                if ($interpolated) { $v = $v -replace '\{\{', '{' -replace '\}\}', '}' -replace '\{[^{}]+\}', '<value>' }
                $v
            }
            [pscustomobject]@{ Text = ($parts -join ''); Index = $chain.Index; Source = $text }
        }
    }

    # --- Settings that trigger each settings finding code. A new code without a case here fails the test. ---
    $script:Secret = ConvertTo-SecureString 'not-a-real-secret' -AsPlainText -Force
    $script:Cred = [pscredential]::new('relay@contoso.com', (ConvertTo-SecureString 'not-a-real-password' -AsPlainText -Force))
    $script:FindingCases = [ordered]@{
        MethodMissing             = { }
        ServerMissing             = { Set-G5MailSetting -Scope System -Method Exchange }
        ServerUrlNotExchange      = { Set-G5MailSetting -Scope System -Method Smtp -Server 'https://mail.example.com/EWS/Exchange.asmx' }
        ClientIdMissing           = { Set-G5MailSetting -Scope System -Method ExchangeOnline }
        TenantIdMissing           = { Set-G5MailSetting -Scope System -Method ExchangeOnline }
        ClientSecretMissing       = { Set-G5MailSetting -Scope System -Method ExchangeOnline }
        CredentialMissing         = { Set-G5MailSetting -Scope System -Method ExchangeOnline -AuthenticationFlow UsernamePassword }
        UsernamePasswordFlow      = { Set-G5MailSetting -Scope System -Method ExchangeOnline -AuthenticationFlow UsernamePassword }
        FromMissing               = { Set-G5MailSetting -Scope System -Method Smtp -Server mail.example.com }
        Port25WithSsl             = { Set-G5MailSetting -Scope System -Method Smtp -Server mail.example.com -Port 25 -UseSsl }
        Port587WithoutSsl         = { Set-G5MailSetting -Scope System -Method Smtp -Server mail.example.com -Port 587 }
        Port465WithoutSsl         = { Set-G5MailSetting -Scope System -Method Smtp -Server mail.example.com -Port 465 }
        OutlookNotAvailable       = { Set-G5MailSetting -Scope System -Method Outlook }
        SkipCertificateCheck      = { Set-G5MailSetting -Scope System -Method Smtp -Server mail.example.com -SkipCertificateCheck }
        ClientSecretExpiringSoon  = { Set-G5MailSetting -Scope System -Method ExchangeOnline -ClientSecretExpiresOn ([datetime]::UtcNow.AddDays(10)) }
        ClientSecretExpired       = { Set-G5MailSetting -Scope System -Method ExchangeOnline -ClientSecretExpiresOn ([datetime]::UtcNow.AddDays(-10)) }
        CopyToSelfIgnored         = { Set-G5MailSetting -Scope System -Method Outlook -SendCopyToSelf Bcc }
        SmtpBasicAuthRetiring     = { Set-G5MailSetting -Scope System -Method Smtp -Server smtp.office365.com -Port 587 -UseSsl -Credential $script:Cred }
        EwsRetiring               = { Set-G5MailSetting -Scope System -Method Exchange -Server 'https://outlook.office365.com/EWS/Exchange.asmx' }
        CombineDocumentTypesIgnored = { Set-G5MailSetting -Scope System -Method Smtp -Server mail.example.com -CombineDocumentTypes Order, Invoice }
    }
    # Codes a platform cannot produce (the template is still checked from the source).
    $script:Untriggerable = @{}
    if ($IsWindows -or $PSVersionTable.PSEdition -eq 'Desktop') { $script:Untriggerable['OutlookNotAvailable'] = 'Outlook can be available on Windows' }

    $script:SettingsCodes = [regex]::Matches(
        [IO.File]::ReadAllText((Join-Path $script:RepoRoot 'src/G5Mail.Core/Settings/SettingsFindings.cs')),
        'public const string (\w+) = "\w+";') | ForEach-Object { $_.Groups[1].Value }
}

Describe 'Suggested commands parse and bind' {
    BeforeAll {
        $script:Checks = [System.Collections.Generic.List[object]]::new()
        $script:Triggered = @{}
        $script:Missing = [System.Collections.Generic.List[string]]::new()

        # (a) Findings: drive Get-G5MailSetting (and Test-G5MailServer, which reports the same settings findings
        # first) with settings that trigger each code.
        foreach ($code in $script:SettingsCodes) {
            if ($script:Untriggerable.ContainsKey($code)) { continue }
            if (-not $script:FindingCases.Contains($code)) { $script:Missing.Add($code); continue }
            $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
            try {
                & $script:FindingCases[$code] 3>$null
                $findings = @((Get-G5MailSetting -WarningAction SilentlyContinue).Findings)
                if ($findings.Code -contains $code) { $script:Triggered[$code] = $true }
                foreach ($f in $findings) {
                    foreach ($cmd in Get-ProseCommand $f.Message) { $script:Checks.AddRange(@(New-Check 'Findings' "Get-G5MailSetting finding $($f.Code)" $cmd)) }
                }
            }
            finally {
                Remove-Item -Recurse -Force $env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
                Remove-Item Env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
            }
        }

        # Test-G5MailServer findings that need no server: no method, a method it cannot test, a closed port.
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        try {
            $closed = Get-FreeTcpPort
            $results = @(
                Test-G5MailServer -Server 127.0.0.1 -TimeoutSeconds 5
                Test-G5MailServer -Method Outlook -TimeoutSeconds 5
                Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $closed -TimeoutSeconds 5
                Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $closed -UseSsl -TimeoutSeconds 5
                Test-G5MailServer -Method Exchange -Server 127.0.0.1 -Port $closed -TimeoutSeconds 5
            )
            foreach ($f in $results.Findings) {
                foreach ($cmd in Get-ProseCommand $f.Message) { $script:Checks.AddRange(@(New-Check 'Findings' "Test-G5MailServer finding $($f.Code)" $cmd)) }
            }
        }
        finally {
            Remove-Item -Recurse -Force $env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
            Remove-Item Env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
        }

        # Server-probe findings that need a real server in a given state: every code must have a message template in
        # the source (result.Error/Warning/Information(ServerFindingCodes.X, ...)); those templates are checked below.
        $sources = Get-ChildItem -Recurse -File -Path (Join-Path $script:RepoRoot 'src') -Filter *.cs |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' }
        $allSource = ($sources | ForEach-Object { [IO.File]::ReadAllText($_.FullName) }) -join "`n"
        $script:ServerCodes = [regex]::Matches(
            [IO.File]::ReadAllText((Join-Path $script:RepoRoot 'src/G5Mail.Core/Diagnostics/ServerFindingCodes.cs')),
            'public const string (\w+) = "\w+";') | ForEach-Object { $_.Groups[1].Value }
        $script:ServerCodesWithoutTemplate = @($script:ServerCodes | Where-Object {
                $allSource -notmatch "ServerFindingCodes\.$_\b"
            })

        # (b) Messages: every literal of the engine and the cmdlets.
        foreach ($file in $sources) {
            $rel = [IO.Path]::GetRelativePath($script:RepoRoot, $file.FullName) -replace '\\', '/'
            foreach ($lit in Get-SourceLiteral $file.FullName) {
                foreach ($cmd in Get-ProseCommand $lit.Text) {
                    $line = $lit.Source.Substring(0, $lit.Index).Split("`n").Count
                    $script:Checks.AddRange(@(New-Check 'Messages' "$($rel):$line" $cmd))
                }
            }
        }

        # (c) Help and (d) README.
        foreach ($md in Get-ChildItem -File -Path (Join-Path $script:RepoRoot 'docs/en-US') -Filter *.md) {
            $script:Checks.AddRange(@(Get-MarkdownCommand $md.FullName 'Help'))
        }
        $script:Checks.AddRange(@(Get-MarkdownCommand (Join-Path $script:RepoRoot 'README.md') 'README'))

        # G5MAIL_ADVICE_LIST=<file> writes every checked command with its origin, to see what the extraction found.
        if ($env:G5MAIL_ADVICE_LIST) {
            $script:Checks | ForEach-Object { "[$($_.Source)] $($_.Where): $($_.Command)" } | Set-Content -LiteralPath $env:G5MAIL_ADVICE_LIST
        }
        foreach ($g in $script:Checks | Group-Object Source | Sort-Object Name) {
            $bad = @($g.Group | Where-Object { $_.Problems.Count }).Count
            Write-Host "Advice: $($g.Name): $($g.Count) commands checked, $bad failing"
        }
        Write-Host "Advice: settings finding codes triggered: $($script:Triggered.Count) of $(@($script:SettingsCodes).Count); server finding codes with a template: $(@($script:ServerCodes).Count - $script:ServerCodesWithoutTemplate.Count) of $(@($script:ServerCodes).Count)"
    }

    It 'has a triggering case for every settings finding code' {
        $script:Missing -join ', ' | Should -BeNullOrEmpty -Because 'every code in FindingCodes needs a case in $FindingCases of Advice.Tests.ps1, so its advice is checked'
        $notRaised = @($script:FindingCases.Keys | Where-Object { $script:SettingsCodes -contains $_ -and -not $script:Untriggerable.ContainsKey($_) -and -not $script:Triggered[$_] })
        $notRaised -join ', ' | Should -BeNullOrEmpty -Because 'the settings of these cases no longer produce their finding code'
    }

    It 'has a message template for every server finding code' {
        $script:ServerCodesWithoutTemplate -join ', ' | Should -BeNullOrEmpty -Because 'every code in ServerFindingCodes should be reported somewhere with a message'
    }

    It 'checked commands from every source' {
        foreach ($source in 'Findings', 'Messages', 'Help', 'README') {
            @($script:Checks | Where-Object Source -EQ $source).Count | Should -BeGreaterThan 0 -Because "the $source source should suggest commands"
        }
    }

    It 'every command suggested by <_> parses and binds' -ForEach 'Findings', 'Messages', 'Help', 'README' {
        $failures = @(Format-Failure ($script:Checks | Where-Object Source -EQ $_))
        $failures -join "`n" | Should -BeNullOrEmpty
    }
}

Describe 'The checker itself' {
    # A checker that accepts everything would pass the test above; these show it rejects what it must.
    It 'rejects <Command>' -ForEach @(
        @{ Command = 'Set-G5MailSetting -UseSsl $true'; Why = 'is a switch' }
        @{ Command = 'Set-G5MailSetting -Port'; Why = 'needs a value' }
        @{ Command = 'Set-G5MailSetting -NoSuchSetting 1'; Why = 'has no parameter' }
        @{ Command = 'Set-G5MailSetting -Method Smtpp'; Why = 'is not one of' }
        @{ Command = 'Set-G5MailSetting -Scope Machine'; Why = 'is not one of' }
        @{ Command = 'Set-G5MailSetting -Server a.example.com or b.example.com'; Why = 'positional' }
        @{ Command = 'Set-G5MailSetting -Server (a.example.com'; Why = 'does not parse' }
    ) {
        (Test-SuggestedCommand $Command) -join '; ' | Should -BeLike "*$Why*"
    }

    It 'accepts <_>' -ForEach @(
        'Set-G5MailSetting -UseSsl'
        'Set-G5MailSetting -UseSsl:$false -Port 587'
        'Set-G5MailSetting -Scope System -ClientId <guid> -ClientSecret (Read-Host -AsSecureString)'
        'Set-G5MailSetting -Cred (Get-Credential)'
        'Connect-ExchangeOnline -UserPrincipalName admin@contoso.com'
    ) {
        Test-SuggestedCommand $_ | Should -BeNullOrEmpty
    }

    It 'finds the commands in a sentence' {
        $found = @(Get-ProseCommand 'Method Exchange needs a server: Set-G5MailSetting -Server mail.example.com (or the EWS URL: Set-G5MailSetting -Server https://mail.example.com/EWS/Exchange.asmx).')
        $found | Should -Be @('Set-G5MailSetting -Server mail.example.com', 'Set-G5MailSetting -Server https://mail.example.com/EWS/Exchange.asmx')
        @(Get-ProseCommand 'Use TLS (Set-G5MailSetting -Port 587 -UseSsl, or the server''s TLS port).') | Should -Be @('Set-G5MailSetting -Port 587 -UseSsl')
        @(Expand-Alternative 'Set-G5MailSetting -Method Smtp|Exchange') | Should -Be @('Set-G5MailSetting -Method Smtp', 'Set-G5MailSetting -Method Exchange')
    }
}

Describe 'Microsoft 365 retirements' {
    BeforeEach { $env:G5MAIL_CONFIG_DIR = New-TestConfigDir }
    AfterEach {
        Remove-Item -Recurse -Force $env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
        Remove-Item Env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
    }

    It 'Get-G5MailSetting warns about password SMTP AUTH to Exchange Online, with the date and the command to switch' {
        Set-G5MailSetting -Scope System -Method Smtp -Server SMTP.Office365.com -Port 587 -UseSsl -From sales@contoso.com -Credential $script:Cred -WarningAction SilentlyContinue
        $f = @((Get-G5MailSetting).Findings | Where-Object Code -EQ 'SmtpBasicAuthRetiring')
        $f.Count | Should -Be 1
        # A Warning on both sides of the date: an administrator may turn Basic SMTP AUTH back on for the tenant.
        "$($f[0].Severity)" | Should -Be 'Warning'
        $f[0].Message | Should -BeLike '*December 2026*-Method ExchangeOnline*'
    }

    It 'Get-G5MailSetting says nothing about a look-alike host or SMTP without a password' {
        Set-G5MailSetting -Scope System -Method Smtp -Server smtp.office365.com.evil.example -Port 587 -UseSsl -From sales@contoso.com -Credential $script:Cred -WarningAction SilentlyContinue
        (Get-G5MailSetting).Findings.Code | Should -Not -Contain 'SmtpBasicAuthRetiring'
        Set-G5MailSetting -Scope System -Server smtp.office365.com -Clear Credential -WarningAction SilentlyContinue
        (Get-G5MailSetting).Findings.Code | Should -Not -Contain 'SmtpBasicAuthRetiring'
    }

    It 'Get-G5MailSetting warns about EWS in Exchange Online with both dates' {
        Set-G5MailSetting -Scope System -Method Exchange -Server 'https://outlook.office365.com/EWS/Exchange.asmx' -From sales@contoso.com -WarningAction SilentlyContinue
        $f = @((Get-G5MailSetting).Findings | Where-Object Code -EQ 'EwsRetiring')
        $f.Count | Should -Be 1
        $f[0].Message | Should -BeLike '*2026-10-01*2027-04-01*-Method ExchangeOnline*'
        Set-G5MailSetting -Scope System -Server 'https://mail.contoso.com/EWS/Exchange.asmx' -WarningAction SilentlyContinue
        (Get-G5MailSetting).Findings.Code | Should -Not -Contain 'EwsRetiring'
    }

    # That Test-G5MailServer puts these settings findings first is checked in xunit (ServerTestTests) with a probe that
    # connects nowhere: from here a Test-G5MailServer against smtp.office365.com would look up Microsoft's host, and
    # the tests reach nothing but servers they start on 127.0.0.1.
}
