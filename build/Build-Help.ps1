#Requires -Version 7.4
<#
.SYNOPSIS
    Builds the module's help from the markdown in docs/en-US: one MAML file for all cmdlets and the about_ topics.
.DESCRIPTION
    platyPS is not available here, so this is the converter. It reads every docs/en-US/<Verb-Noun>.md and writes
    <OutputPath>/G5Mail.dll-Help.xml (the name PowerShell looks for next to a binary module's G5Mail.dll, in the
    culture folder under the module base), and turns every about_*.md into about_*.help.txt.

    Text comes from the markdown. Syntax, parameter types, Required, Position, pipeline input and aliases come
    from the compiled cmdlets: the built assembly is imported in a child pwsh (so the build's own session neither
    locks nor caches the assembly) and its metadata is read back as JSON. Only "Default value" and
    "Accept wildcard characters" are taken from a parameter's optional yaml block, because the compiled cmdlet
    cannot tell them. A doc for a cmdlet that does not exist (yet) still converts, using its yaml block.

    Markdown format (one file per cmdlet, as platyPS writes it):
        # Verb-Noun
        ## SYNOPSIS            required
        ## SYNTAX              optional, ignored (generated from the cmdlet)
        ## DESCRIPTION         required
        ## PARAMETERS          ### -Name, free text, then an optional ```yaml block
        ## EXAMPLES            ### Example N: Title, a ```powershell block, then remarks; at least two
        ## INPUTS / ## OUTPUTS ### TypeName, then text
        ## NOTES
        ## RELATED LINKS       - [text](https://...) or [about_Topic](about_Topic.md)

    The build fails, naming the file and what to change, when a doc breaks the format (no SYNOPSIS, no
    DESCRIPTION, fewer than two examples with code, an empty '### -Name', an unknown section, ...). A cmdlet
    without a doc, or a cmdlet parameter the doc does not describe, is only a warning here: cmdlets and docs are
    written in parallel, and tests/pester/Help.Tests.ps1 is where those fail.

    A translation (docs/sv-SE) is built with -FallbackDocsPath docs/en-US. PowerShell reads a binary module's help
    from the first folder of $PSUICulture, its parents and en-US that holds G5Mail.dll-Help.xml, and does not look
    further for a cmdlet that file lacks: with a sv-SE file holding only Send-G5Document, Get-Help Sync-G5Activity
    under sv-SE shows nothing but the syntax. So the translated MAML holds every cmdlet: the translated doc where
    there is one, else the fallback doc; a parameter the translated doc does not describe takes the fallback's
    description; an about_ topic without a translation is the fallback's.
.EXAMPLE
    ./build/Build-Help.ps1 -DocsPath docs/en-US -OutputPath artifacts/G5Mail/en-US
.EXAMPLE
    ./build/Build-Help.ps1 -DocsPath docs/sv-SE -FallbackDocsPath docs/en-US -OutputPath artifacts/G5Mail/sv-SE
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutputPath,

    # For a translation: the docs (docs/en-US) that fill in the cmdlets, parameters and about_ topics DocsPath lacks.
    [string] $FallbackDocsPath,

    # The built module assembly. Default: G5Mail.dll in the folder above OutputPath, where Publish-ModuleLayout puts it.
    [string] $AssemblyPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$ModuleName = 'G5Mail'
$MamlFileName = "$ModuleName.dll-Help.xml"
$Ns = @{
    Msh     = 'http://msh'
    Maml    = 'http://schemas.microsoft.com/maml/2004/10'
    Command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    Dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    MSHelp  = 'http://msdn.microsoft.com/mshelp'
}
$KnownSections = 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'PARAMETERS', 'EXAMPLES', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS'
$CodeLanguages = '', 'powershell', 'pwsh', 'ps', 'ps1', 'posh'

#region Markdown reading

# Splits markdown into headings with their body lines; '#' inside fenced code is not a heading.
function Get-MarkdownSection {
    param([string[]] $Lines)
    $sections = [System.Collections.Generic.List[object]]::new()
    $current = [pscustomobject]@{ Level = 0; Title = ''; Body = [System.Collections.Generic.List[string]]::new() }
    $sections.Add($current)
    $fence = $null
    $start = 0
    # platyPS front matter (--- ... ---) carries nothing PowerShell shows.
    if ($Lines.Count -gt 0 -and $Lines[0] -eq '---') {
        $end = [array]::IndexOf($Lines, '---', 1)
        if ($end -gt 0) { $start = $end + 1 }
    }
    for ($i = $start; $i -lt $Lines.Count; $i++) {
        $line = $Lines[$i]
        if ($null -eq $fence -and $line -match '^\s*(```+|~~~+)') { $fence = $Matches[1] }
        elseif ($null -ne $fence -and $line.Trim() -eq $fence) { $fence = $null }
        elseif ($null -eq $fence -and $line -match '^(#{1,6})\s+(.*?)\s*#*\s*$') {
            $current = [pscustomobject]@{ Level = $Matches[1].Length; Title = $Matches[2]; Body = [System.Collections.Generic.List[string]]::new() }
            $sections.Add($current)
            continue
        }
        $current.Body.Add($line)
    }
    $sections
}

# Turns body lines into blocks: paragraphs (runs of non-blank lines) and fenced code blocks.
function Get-MarkdownBlock {
    param([string[]] $Lines)
    $blocks = [System.Collections.Generic.List[object]]::new()
    $para = [System.Collections.Generic.List[string]]::new()
    $code = $null
    foreach ($line in $Lines) {
        if ($null -ne $code) {
            if ($line.Trim() -eq $code.Fence) { $blocks.Add($code); $code = $null }
            else { $code.Lines.Add($line) }
            continue
        }
        if ($line -match '^\s*(```+|~~~+)\s*([\w+-]*)') {
            if ($para.Count) { $blocks.Add([pscustomobject]@{ Kind = 'Para'; Lines = $para.ToArray() }); $para.Clear() }
            $code = [pscustomobject]@{ Kind = 'Code'; Fence = $Matches[1]; Language = $Matches[2].ToLowerInvariant(); Lines = [System.Collections.Generic.List[string]]::new() }
            continue
        }
        if ([string]::IsNullOrWhiteSpace($line)) {
            if ($para.Count) { $blocks.Add([pscustomobject]@{ Kind = 'Para'; Lines = $para.ToArray() }); $para.Clear() }
            continue
        }
        $para.Add($line)
    }
    if ($null -ne $code) { $blocks.Add($code) }  # an unclosed fence still keeps its text
    if ($para.Count) { $blocks.Add([pscustomobject]@{ Kind = 'Para'; Lines = $para.ToArray() }) }
    $blocks
}

# Inline markdown to plain text: help is read in a console, where **, ` and link syntax are noise.
function ConvertFrom-InlineMarkdown {
    param([string] $Text)
    $t = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)\s]+)\)', {
            param($m)
            $label = $m.Groups[1].Value; $target = $m.Groups[2].Value
            if ($target -notmatch '^https?://' -or $label -eq $target) { $label } else { "$label ($target)" }
        })
    $t = [regex]::Replace($t, '<(https?://[^>]+)>', '$1')
    $t = $t -replace '\*\*(.+?)\*\*', '$1' -replace '__(.+?)__', '$1'
    $t = $t -replace '``\s?(.+?)\s?``', '$1' -replace '`([^`]+)`', '$1'
    $t -replace '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1'
}

# Word-wraps one logical line; list items get a hanging indent so their text stays aligned.
# PowerShell's help view breaks long lines at the console edge, even mid-word, so text is wrapped here
# to fit an 80-column console at the indentation Get-Help gives it.
function Format-Wrapped {
    param([string] $Line, [int] $Width)
    if ($Line.Length -le $Width -or $Line -match '^\s*\|') { return $Line }
    $hang = if ($Line -match '^(\s*([-*+]|\d+[.)])\s+)') { ' ' * $Matches[1].Length } else { '' }
    $lines = [System.Collections.Generic.List[string]]::new()
    $current = ''
    foreach ($word in ($Line -split ' ')) {
        if ($current -and ($current.Length + 1 + $word.Length) -gt $Width) {
            $lines.Add($current)
            $current = $hang + $word
        }
        elseif ($current) { $current += ' ' + $word }
        else { $current = $word }
    }
    if ($current) { $lines.Add($current) }
    $lines -join "`n"
}

# Markdown table rows to aligned plain-text columns, the way Format-Table lays out a table in a console.
function Format-TextTable {
    param([string[]] $Rows)
    $cells = foreach ($r in $Rows) {
        $inner = $r.Trim() -replace '^\|', '' -replace '\|$', ''
        , @($inner -split '(?<!\\)\|' | ForEach-Object { ConvertFrom-InlineMarkdown $_.Trim() })
    }
    $isRule = { param($row) -not ($row | Where-Object { $_ -notmatch '^:?-+:?$' }) }
    $widths = @{}
    foreach ($row in $cells) {
        if (& $isRule $row) { continue }
        for ($i = 0; $i -lt $row.Count; $i++) { $widths[$i] = [Math]::Max([int] $widths[$i], $row[$i].Length) }
    }
    foreach ($row in $cells) {
        $parts = for ($i = 0; $i -lt $row.Count; $i++) {
            if (& $isRule $row) { '-' * $widths[$i] } else { $row[$i].PadRight($widths[$i]) }
        }
        ($parts -join '  ').TrimEnd()
    }
}

# One paragraph block to the text of one maml:para. Soft-wrapped lines are joined (markdown semantics);
# list items and table rows keep their own lines.
function ConvertTo-ParaText {
    param([string[]] $Lines, [int] $Width = 76)
    $out = [System.Collections.Generic.List[string]]::new()
    foreach ($raw in $Lines) {
        $line = $raw.TrimEnd()
        $startsLine = $line -match '^\s*([-*+]|\d+[.)])\s+' -or $line -match '^\s*\|'
        $previousEndsHard = $out.Count -and ($raw -match '  $' -or $out[-1] -match '^\s*\|')
        if ($line -match '^\s*\|') { $out.Add($line.Trim()) }  # cells are converted by Format-TextTable
        elseif ($out.Count -eq 0 -or $startsLine -or $previousEndsHard) { $out.Add((ConvertFrom-InlineMarkdown $line.Trim())) }
        else { $out[-1] = $out[-1] + ' ' + (ConvertFrom-InlineMarkdown $line.Trim()) }
    }
    $result = [System.Collections.Generic.List[string]]::new()
    $table = [System.Collections.Generic.List[string]]::new()
    foreach ($line in $out) {
        if ($line -match '^\s*\|') { $table.Add($line); continue }
        if ($table.Count) { $result.AddRange([string[]] @(Format-TextTable $table.ToArray())); $table.Clear() }
        $result.Add((Format-Wrapped $line $Width))
    }
    if ($table.Count) { $result.AddRange([string[]] @(Format-TextTable $table.ToArray())) }
    $result -join "`n"
}

function ConvertTo-CodeText {
    param([string[]] $Lines)
    # Keep indentation relative to the least indented line.
    $indent = ($Lines | Where-Object { $_.Trim() } | ForEach-Object { $_.Length - $_.TrimStart().Length } | Measure-Object -Minimum).Minimum
    if (-not $indent) { $indent = 0 }
    ($Lines | ForEach-Object { if ($_.Length -ge $indent) { $_.Substring($indent).TrimEnd() } else { $_.Trim() } }) -join "`n"
}

# Blocks to maml:para texts. A code block in prose becomes a paragraph of its own: PowerShell trims every para,
# so it cannot be indented, but it keeps its line breaks and inner indentation.
function ConvertTo-ParaList {
    param([object[]] $Blocks, [int] $Width = 76)
    foreach ($b in $Blocks) {
        if ($b.Kind -eq 'Para') { ConvertTo-ParaText $b.Lines $Width }
        elseif ($b.Lines.Count) { ConvertTo-CodeText $b.Lines.ToArray() }
    }
}

function Get-YamlField {
    param([string[]] $Lines)
    $map = @{}
    foreach ($l in $Lines) {
        if ($l -match '^\s*([^:#]+?)\s*:\s*(.*?)\s*$') { $map[$Matches[1].ToLowerInvariant()] = $Matches[2] }
    }
    $map
}

# Reads one cmdlet doc into an object; problems are added to $Problems with what to change.
function Read-CommandDoc {
    param([System.IO.FileInfo] $File, [System.Collections.Generic.List[string]] $Problems)
    $where = $File.Name
    $lines = (Get-Content -LiteralPath $File.FullName -Raw -Encoding utf8) -split '\r?\n'
    $sections = @(Get-MarkdownSection $lines)

    $h1 = @($sections | Where-Object Level -EQ 1)
    $name = $File.BaseName
    if ($h1.Count -ne 1) { $Problems.Add("${where}: needs exactly one '# $name' title line, found $($h1.Count).") }
    elseif ($h1[0].Title -cne $name) { $Problems.Add("${where}: title '# $($h1[0].Title)' must be '# $name', the file name without .md.") }

    $doc = [pscustomobject]@{
        Name = $name; File = $File.FullName; Synopsis = @(); Description = @(); Parameters = [ordered]@{}
        Examples = [System.Collections.Generic.List[object]]::new(); Inputs = @(); Outputs = @(); Notes = @(); Links = @()
    }
    $h2 = $null
    $h3Sections = @{}
    $h2Bodies = @{}
    foreach ($s in $sections) {
        if ($s.Level -eq 2) {
            $h2 = $s.Title.Trim().ToUpperInvariant()
            if ($h2 -notin $KnownSections) {
                $Problems.Add("${where}: unknown section '## $($s.Title)'. Sections are: $($KnownSections -join ', ').")
            }
            if ($h2Bodies.ContainsKey($h2)) { $Problems.Add("${where}: section '## $h2' appears twice.") }
            $h2Bodies[$h2] = $s.Body
            $h3Sections[$h2] = [System.Collections.Generic.List[object]]::new()
        }
        elseif ($s.Level -ge 3 -and $null -ne $h2) { $h3Sections[$h2].Add($s) }
        elseif ($s.Level -ge 3) { $Problems.Add("${where}: '### $($s.Title)' is not inside a '## ' section.") }
    }
    function Get-Body([string] $key) { if ($h2Bodies.ContainsKey($key)) { @(Get-MarkdownBlock $h2Bodies[$key].ToArray()) } else { @() } }
    function Get-Subs([string] $key) { if ($h3Sections.ContainsKey($key)) { $h3Sections[$key] } else { @() } }

    $doc.Synopsis = @(ConvertTo-ParaList (Get-Body 'SYNOPSIS'))
    if (-not ($doc.Synopsis -join '').Trim()) { $Problems.Add("${where}: '## SYNOPSIS' is missing or empty; write one sentence saying what $name does.") }

    $doc.Description = @(ConvertTo-ParaList (Get-Body 'DESCRIPTION'))
    if (-not ($doc.Description -join '').Trim()) { $Problems.Add("${where}: '## DESCRIPTION' is missing or empty; explain what $name does and when to use it.") }

    foreach ($p in (Get-Subs 'PARAMETERS')) {
        if ($p.Title -eq 'CommonParameters') { continue }
        if ($p.Title -notmatch '^-(\w+)$') {
            $Problems.Add("${where}: parameter heading '### $($p.Title)' must be '### -ParameterName'.")
            continue
        }
        $pname = $Matches[1]
        $blocks = @(Get-MarkdownBlock $p.Body.ToArray())
        $yaml = @($blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Language -in 'yaml', 'yml' })
        $text = @(ConvertTo-ParaList ($blocks | Where-Object { -not ($_.Kind -eq 'Code' -and $_.Language -in 'yaml', 'yml') }) 72)
        if (-not ($text -join '').Trim()) { $Problems.Add("${where}: '### -$pname' has no description; say what the parameter does.") }
        if ($doc.Parameters.Contains($pname)) { $Problems.Add("${where}: '### -$pname' appears twice.") }
        $doc.Parameters[$pname] = [pscustomobject]@{
            Name = $pname; Description = $text
            Yaml = if ($yaml.Count) { Get-YamlField $yaml[0].Lines.ToArray() } else { @{} }
        }
    }

    foreach ($e in (Get-Subs 'EXAMPLES')) {
        $blocks = @(Get-MarkdownBlock $e.Body.ToArray())
        $codeBlocks = @($blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Language -in $CodeLanguages })
        $code = ($codeBlocks | ForEach-Object { ConvertTo-CodeText $_.Lines.ToArray() }) -join "`n`n"
        $remarks = @(ConvertTo-ParaList ($blocks | Where-Object { -not ($_.Kind -eq 'Code' -and $_.Language -in $CodeLanguages) }))
        if (-not $code.Trim()) { $Problems.Add("${where}: '### $($e.Title)' has no ``````powershell code block.") }
        $doc.Examples.Add([pscustomobject]@{ Title = $e.Title.Trim(); Code = $code; Remarks = $remarks })
    }
    if ($doc.Examples.Count -lt 2) {
        $Problems.Add("${where}: '## EXAMPLES' has $($doc.Examples.Count) example(s); write at least two ('### Example 1: Title', a ``````powershell block, then what it does).")
    }

    # INPUTS/OUTPUTS: '### TypeName' then text; plain text without a type heading becomes one entry.
    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        $entries = [System.Collections.Generic.List[object]]::new()
        $intro = @(ConvertTo-ParaList (Get-Body $kind) 72)
        if (($intro -join '').Trim()) {
            $entries.Add([pscustomobject]@{ Type = ($intro[0] -split "`n")[0]; Description = @($intro | Select-Object -Skip 1) })
        }
        foreach ($t in (Get-Subs $kind)) {
            $entries.Add([pscustomobject]@{ Type = (ConvertFrom-InlineMarkdown $t.Title.Trim()); Description = @(ConvertTo-ParaList (Get-MarkdownBlock $t.Body.ToArray()) 72) })
        }
        if ($kind -eq 'INPUTS') { $doc.Inputs = $entries.ToArray() } else { $doc.Outputs = $entries.ToArray() }
    }

    $doc.Notes = @(ConvertTo-ParaList (Get-Body 'NOTES') 72)
    foreach ($s in (Get-Subs 'NOTES')) { $doc.Notes += @((ConvertFrom-InlineMarkdown $s.Title)) + @(ConvertTo-ParaList (Get-MarkdownBlock $s.Body.ToArray()) 72) }

    $links = [System.Collections.Generic.List[object]]::new()
    if ($h2Bodies.ContainsKey('RELATED LINKS')) {
        foreach ($l in $h2Bodies['RELATED LINKS']) {
            $item = $l.Trim() -replace '^([-*+]|\d+[.)])\s+', ''
            if (-not $item) { continue }
            if ($item -match '^\[([^\]]+)\]\(([^)\s]*)\)') {
                $text = $Matches[1]; $target = $Matches[2]
                # A link to another doc (about_G5Mail.md) is shown by name: Get-Help <name> finds it.
                $links.Add([pscustomobject]@{ Text = $text; Uri = $(if ($target -match '^https?://') { $target } else { '' }) })
            }
            elseif ($item -match '^<?(https?://[^>\s]+)>?$') { $links.Add([pscustomobject]@{ Text = ''; Uri = $Matches[1] }) }
            else { $links.Add([pscustomobject]@{ Text = (ConvertFrom-InlineMarkdown $item); Uri = '' }) }
        }
    }
    $doc.Links = $links.ToArray()
    $doc
}

#endregion

#region Cmdlet metadata from the built assembly

function Get-ChildPwsh {
    # Under `dotnet pwsh` (the repo's local tool) the process is dotnet itself and pwsh is pwsh.dll in $PSHOME.
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { , @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    else { , @($exe) }
}

function Get-CmdletMetadata {
    param([string] $Assembly)
    $script = @'
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# The module's dependency loader first, as the manifest's RequiredAssemblies and ScriptsToProcess do on a real import.
$loader = Join-Path (Split-Path -Parent '@@ASSEMBLY@@') 'G5Mail.Loader.dll'
if (Test-Path -LiteralPath $loader) { $null = [System.Reflection.Assembly]::LoadFrom($loader); [G5Mail.Loader.ModuleLoader]::Install() }
$module = Import-Module -Name '@@ASSEMBLY@@' -PassThru -DisableNameChecking
$common = [System.Management.Automation.Cmdlet]::CommonParameters
function Get-DisplayType([type] $t) {
    $array = ''
    while ($t.IsArray) { $array += '[]'; $t = $t.GetElementType() }
    $u = [Nullable]::GetUnderlyingType($t)
    if ($u) { $t = $u }
    $t.Name + $array
}
function Get-ValueSet([System.Management.Automation.ParameterMetadata] $p) {
    $t = $p.ParameterType
    while ($t.IsArray) { $t = $t.GetElementType() }
    $u = [Nullable]::GetUnderlyingType($t)
    if ($u) { $t = $u }
    if ($t.IsEnum) { return [Enum]::GetNames($t) }
    $set = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($set) { return @($set.ValidValues) }
    @()
}
$commands = foreach ($cmd in (Get-Command -Module $module.Name -CommandType Cmdlet)) {
    $parameters = foreach ($p in $cmd.Parameters.Values) {
        if ($common -contains $p.Name) { continue }
        [ordered]@{
            Name = $p.Name
            Type = Get-DisplayType $p.ParameterType
            IsSwitch = $p.SwitchParameter
            Aliases = @($p.Aliases)
            Values = @(Get-ValueSet $p)
            Sets = @(foreach ($kv in $p.ParameterSets.GetEnumerator()) {
                [ordered]@{
                    Set = $kv.Key
                    Mandatory = $kv.Value.IsMandatory
                    Position = $kv.Value.Position
                    ByValue = $kv.Value.ValueFromPipeline
                    ByPropertyName = $kv.Value.ValueFromPipelineByPropertyName
                    Remaining = $kv.Value.ValueFromRemainingArguments
                }
            })
        }
    }
    $sets = foreach ($s in $cmd.ParameterSets) {
        $ps = @($s.Parameters | Where-Object { $common -notcontains $_.Name })
        # PowerShell's own syntax order: positional by position, then named mandatory, then the rest.
        $ordered = @($ps | Where-Object Position -GE 0 | Sort-Object Position) +
                   @($ps | Where-Object { $_.Position -lt 0 -and $_.IsMandatory }) +
                   @($ps | Where-Object { $_.Position -lt 0 -and -not $_.IsMandatory })
        [ordered]@{ Name = $s.Name; IsDefault = $s.IsDefault; Parameters = @($ordered | ForEach-Object Name) }
    }
    [ordered]@{
        Name = $cmd.Name; Verb = $cmd.Verb; Noun = $cmd.Noun
        Parameters = @($parameters); ParameterSets = @($sets)
        OutputTypes = @($cmd.OutputType | ForEach-Object Name)
    }
}
ConvertTo-Json -InputObject @($commands) -Depth 8 -Compress
'@
    $script = $script.Replace('@@ASSEMBLY@@', $Assembly.Replace("'", "''"))
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))
    $pwsh = Get-ChildPwsh
    $exe = $pwsh[0]
    $prefix = @($pwsh | Select-Object -Skip 1)
    $stderrFile = [IO.Path]::GetTempFileName()
    try {
        $json = & $exe @prefix -NoProfile -NonInteractive -EncodedCommand $encoded 2> $stderrFile
        if ($LASTEXITCODE -ne 0) {
            throw "Build-Help: importing '$Assembly' in a child pwsh to read cmdlet metadata failed (exit $LASTEXITCODE): $(Get-Content -Raw $stderrFile)"
        }
    }
    finally { Remove-Item $stderrFile -ErrorAction SilentlyContinue }
    @(($json -join "`n") | ConvertFrom-Json)
}

#endregion

#region MAML writing

function Write-Paras {
    param([System.Xml.XmlWriter] $W, [string[]] $Paras)
    $any = $false
    foreach ($p in $Paras) {
        if ($null -eq $p -or -not $p.Trim()) { continue }
        $W.WriteElementString('maml', 'para', $Ns.Maml, $p)
        $any = $true
    }
    if (-not $any) { $W.WriteElementString('maml', 'para', $Ns.Maml, '') }
}

function Write-Description {
    param([System.Xml.XmlWriter] $W, [string[]] $Paras)
    $W.WriteStartElement('maml', 'description', $Ns.Maml)
    Write-Paras $W $Paras
    $W.WriteEndElement()
}

function Write-TypeEntry {
    param([System.Xml.XmlWriter] $W, [string] $TypeName)
    $W.WriteStartElement('dev', 'type', $Ns.Dev)
    $W.WriteElementString('maml', 'name', $Ns.Maml, $TypeName)
    $W.WriteElementString('maml', 'uri', $Ns.Maml, '')
    $W.WriteEndElement()
}

function Format-Pipeline {
    param([bool] $ByValue, [bool] $ByPropertyName)
    $how = @(if ($ByValue) { 'ByValue' }; if ($ByPropertyName) { 'ByPropertyName' })
    if ($how.Count) { "True ($($how -join ', '))" } else { 'False' }
}

function Format-Position {
    param([int] $Position)
    if ($Position -ge 0) { "$Position" } else { 'named' }
}

# One value for attributes that may differ per parameter set: the shared value, or "value (Set), ..." when they differ.
function Join-PerSet {
    param([object[]] $Sets, [scriptblock] $Value)
    $pairs = @($Sets | ForEach-Object { [pscustomobject]@{ Set = $_.Set; Value = (& $Value $_) } })
    $distinct = @($pairs.Value | Select-Object -Unique)
    if ($distinct.Count -le 1) { return [string] ($distinct | Select-Object -First 1) }
    ($pairs | ForEach-Object { "$($_.Value) ($($_.Set))" }) -join ', '
}

# Writes one command:parameter. $Set is the parameter-set entry for a syntax item, or $null for the PARAMETERS list.
function Write-Parameter {
    param([System.Xml.XmlWriter] $W, [object] $Meta, [object] $Doc, [object] $Set)
    $yaml = if ($Doc) { $Doc.Yaml } else { @{} }
    if ($Meta) {
        $sets = @($Meta.Sets)
        if ($Set) { $sets = @($Set) }
        $required = (Join-PerSet $sets { param($s) if ($s.Mandatory) { 'true' } else { 'false' } })
        $position = (Join-PerSet $sets { param($s) Format-Position $s.Position })
        $pipeline = (Join-PerSet $sets { param($s) Format-Pipeline $s.ByValue $s.ByPropertyName })
        $variableLength = [string] (@($sets | Where-Object Remaining).Count -gt 0 -or $Meta.Type.EndsWith('[]')).ToString().ToLowerInvariant()
        $aliases = if (@($Meta.Aliases).Count) { @($Meta.Aliases) -join ', ' } else { 'none' }
        $type = $Meta.Type; $isSwitch = $Meta.IsSwitch; $values = @($Meta.Values)
    }
    else {
        # No compiled cmdlet (yet): take what the doc's yaml block says.
        $required = if ($yaml['required']) { $yaml['required'].ToLowerInvariant() } else { 'false' }
        $position = if ($yaml['position']) { $yaml['position'] } else { 'named' }
        $pipeline = if ($yaml['accept pipeline input']) { $yaml['accept pipeline input'] } else { 'False' }
        $aliases = if ($yaml['aliases']) { $yaml['aliases'] } else { 'none' }
        $type = if ($yaml['type']) { $yaml['type'] } else { 'Object' }
        $isSwitch = $type -eq 'SwitchParameter'
        $variableLength = $type.EndsWith('[]').ToString().ToLowerInvariant()
        $values = @()
    }
    $globbing = if ($yaml['accept wildcard characters']) { $yaml['accept wildcard characters'].ToLowerInvariant() } else { 'false' }
    $default = if ($yaml['default value']) { $yaml['default value'] } elseif ($isSwitch) { 'False' } else { 'None' }

    $W.WriteStartElement('command', 'parameter', $Ns.Command)
    $W.WriteAttributeString('required', $required)
    $W.WriteAttributeString('variableLength', $variableLength)
    $W.WriteAttributeString('globbing', $globbing)
    $W.WriteAttributeString('pipelineInput', $pipeline)
    $W.WriteAttributeString('position', $position)
    $W.WriteAttributeString('aliases', $aliases)
    $W.WriteElementString('maml', 'name', $Ns.Maml, $(if ($Meta) { $Meta.Name } else { $Doc.Name }))
    Write-Description $W $(if ($Doc) { $Doc.Description } else { @() })
    if ($values.Count -and $Set) {
        # Shown in the syntax as -Method {Outlook | Exchange | Smtp | ExchangeOnline}.
        $W.WriteStartElement('command', 'parameterValueGroup', $Ns.Command)
        foreach ($v in $values) {
            $W.WriteStartElement('command', 'parameterValue', $Ns.Command)
            $W.WriteAttributeString('required', 'false')
            $W.WriteAttributeString('command', 'variableLength', $Ns.Command, 'false')
            $W.WriteString($v)
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }
    if (-not $isSwitch) {
        $W.WriteStartElement('command', 'parameterValue', $Ns.Command)
        $W.WriteAttributeString('required', 'true')
        $W.WriteAttributeString('variableLength', $variableLength)
        $W.WriteString($type)
        $W.WriteEndElement()
    }
    Write-TypeEntry $W $type
    $W.WriteElementString('dev', 'defaultValue', $Ns.Dev, $default)
    $W.WriteEndElement()
}

function Write-Command {
    param([System.Xml.XmlWriter] $W, [object] $Doc, [object] $Meta)
    $verb, $noun = $Doc.Name -split '-', 2
    $W.WriteStartElement('command', 'command', $Ns.Command)
    $W.WriteAttributeString('xmlns', 'maml', $null, $Ns.Maml)
    $W.WriteAttributeString('xmlns', 'command', $null, $Ns.Command)
    $W.WriteAttributeString('xmlns', 'dev', $null, $Ns.Dev)
    $W.WriteAttributeString('xmlns', 'MSHelp', $null, $Ns.MSHelp)

    $W.WriteStartElement('command', 'details', $Ns.Command)
    $W.WriteElementString('command', 'name', $Ns.Command, $Doc.Name)
    $W.WriteElementString('command', 'verb', $Ns.Command, $verb)
    $W.WriteElementString('command', 'noun', $Ns.Command, $noun)
    Write-Description $W $Doc.Synopsis
    $W.WriteEndElement()

    Write-Description $W $Doc.Description

    # Syntax: PowerShell shows only what the MAML says, so it is generated from the compiled parameter sets.
    $W.WriteStartElement('command', 'syntax', $Ns.Command)
    if ($Meta) {
        $byName = @{}
        foreach ($p in $Meta.Parameters) { $byName[$p.Name] = $p }
        $sets = @($Meta.ParameterSets | Sort-Object { -not $_.IsDefault })
        foreach ($s in $sets) {
            $W.WriteStartElement('command', 'syntaxItem', $Ns.Command)
            $W.WriteElementString('maml', 'name', $Ns.Maml, $Doc.Name)
            foreach ($pn in $s.Parameters) {
                $pm = $byName[$pn]
                $setEntry = $pm.Sets | Where-Object { $_.Set -eq $s.Name -or $_.Set -eq '__AllParameterSets' } | Select-Object -First 1
                Write-Parameter $W $pm $Doc.Parameters[$pn] $setEntry
            }
            $W.WriteEndElement()
        }
    }
    $W.WriteEndElement()

    # Parameters: in the doc's order, then any the doc does not describe (still listed with their metadata).
    $W.WriteStartElement('command', 'parameters', $Ns.Command)
    $names = [System.Collections.Generic.List[string]]::new()
    foreach ($n in $Doc.Parameters.Keys) { $names.Add($n) }
    if ($Meta) { foreach ($p in $Meta.Parameters) { if (-not $names.Contains($p.Name)) { $names.Add($p.Name) } } }
    foreach ($n in $names) {
        $pm = if ($Meta) { $Meta.Parameters | Where-Object Name -EQ $n | Select-Object -First 1 } else { $null }
        if ($Meta -and -not $pm) { continue }  # documented but not on the cmdlet: warned about, not shown
        Write-Parameter $W $pm $Doc.Parameters[$n] $null
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'inputTypes', $Ns.Command)
    foreach ($i in $Doc.Inputs) {
        $W.WriteStartElement('command', 'inputType', $Ns.Command)
        Write-TypeEntry $W $i.Type
        Write-Description $W $i.Description
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $outputs = @($Doc.Outputs)
    if (-not $outputs.Count -and $Meta) { $outputs = @($Meta.OutputTypes | ForEach-Object { [pscustomobject]@{ Type = $_; Description = @() } }) }
    $W.WriteStartElement('command', 'returnValues', $Ns.Command)
    foreach ($o in $outputs) {
        $W.WriteStartElement('command', 'returnValue', $Ns.Command)
        Write-TypeEntry $W $o.Type
        Write-Description $W $o.Description
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    if ($Doc.Notes.Count) {
        $W.WriteStartElement('maml', 'alertSet', $Ns.Maml)
        $W.WriteStartElement('maml', 'alert', $Ns.Maml)
        Write-Paras $W $Doc.Notes
        $W.WriteEndElement()
        $W.WriteEndElement()
    }

    $W.WriteStartElement('command', 'examples', $Ns.Command)
    foreach ($e in $Doc.Examples) {
        $W.WriteStartElement('command', 'example', $Ns.Command)
        # The dashed title is how PowerShell's own help sets examples apart in a console.
        $pad = [Math]::Max(2, [int] ((64 - $e.Title.Length - 2) / 2))
        $dashes = '-' * $pad
        $W.WriteElementString('maml', 'title', $Ns.Maml, "$dashes $($e.Title) $dashes")
        $W.WriteElementString('dev', 'code', $Ns.Dev, $e.Code)
        $W.WriteStartElement('dev', 'remarks', $Ns.Dev)
        Write-Paras $W $e.Remarks
        $W.WriteEndElement()
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'relatedLinks', $Ns.Command)
    foreach ($l in $Doc.Links) {
        $W.WriteStartElement('maml', 'navigationLink', $Ns.Maml)
        $W.WriteElementString('maml', 'linkText', $Ns.Maml, $l.Text)
        $W.WriteElementString('maml', 'uri', $Ns.Maml, $l.Uri)
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteEndElement()  # command:command
}

#endregion

#region about_ topics

# about_X.md to the classic about_X.help.txt layout. Get-Help takes line 5 as the topic's synopsis, so the
# first line of SHORT DESCRIPTION must land there: TOPIC / name / blank / SHORT DESCRIPTION / text.
function ConvertTo-AboutText {
    param([System.IO.FileInfo] $File, [System.Collections.Generic.List[string]] $Problems)
    $where = $File.Name
    $topic = $File.BaseName
    $lines = (Get-Content -LiteralPath $File.FullName -Raw -Encoding utf8) -split '\r?\n'
    $sections = @(Get-MarkdownSection $lines)
    $h1 = @($sections | Where-Object Level -EQ 1)
    if ($h1.Count -ne 1 -or $h1[0].Title -cne $topic) { $Problems.Add("${where}: the first line must be '# $topic'.") }
    $short = @($sections | Where-Object { $_.Level -eq 2 -and $_.Title -eq 'SHORT DESCRIPTION' })
    if (-not $short.Count -or -not (@(ConvertTo-ParaList (Get-MarkdownBlock $short[0].Body.ToArray())) -join '').Trim()) {
        $Problems.Add("${where}: needs a '## SHORT DESCRIPTION' section with one line of text (Get-Help shows it as the topic's synopsis).")
        return $null
    }

    $sb = [System.Text.StringBuilder]::new()
    [void] $sb.AppendLine('TOPIC').AppendLine("    $topic").AppendLine()
    $ordered = @($short[0]) + @($sections | Where-Object { $_.Level -ge 2 -and $_ -ne $short[0] })
    foreach ($s in $ordered) {
        if ($s.Level -eq 2) { [void] $sb.AppendLine($s.Title.ToUpperInvariant()) }
        else { [void] $sb.AppendLine('  ' + (ConvertFrom-InlineMarkdown $s.Title)) }
        $first = $true
        foreach ($b in (Get-MarkdownBlock $s.Body.ToArray())) {
            if (-not $first) { [void] $sb.AppendLine() }
            $first = $false
            if ($b.Kind -eq 'Code') {
                foreach ($l in ((ConvertTo-CodeText $b.Lines.ToArray()) -split "`n")) { [void] $sb.AppendLine(("        $l").TrimEnd()) }
            }
            else {
                # The short description stays on one line: it is line 5, the synopsis Get-Help lists.
                $width = if ($s -eq $short[0]) { [int]::MaxValue } else { 76 }
                foreach ($l in ((ConvertTo-ParaText $b.Lines $width) -split "`n")) { [void] $sb.AppendLine(("    $l").TrimEnd()) }
            }
        }
        [void] $sb.AppendLine()
    }
    $sb.ToString().TrimEnd() + [Environment]::NewLine
}

#endregion

$docsDir = Resolve-Path -LiteralPath $DocsPath -ErrorAction SilentlyContinue
if (-not $docsDir) { throw "Build-Help: docs folder '$DocsPath' does not exist." }
if (-not (Test-Path -LiteralPath $OutputPath)) { New-Item -ItemType Directory -Path $OutputPath | Out-Null }
$OutputPath = (Resolve-Path -LiteralPath $OutputPath).ProviderPath
if (-not $AssemblyPath) { $AssemblyPath = Join-Path (Split-Path -Parent $OutputPath) "$ModuleName.dll" }

$problems = [System.Collections.Generic.List[string]]::new()
$docs = [System.Collections.Generic.List[object]]::new()
$abouts = [System.Collections.Generic.List[object]]::new()
foreach ($f in (Get-ChildItem -LiteralPath $docsDir -Filter '*.md' -File | Sort-Object Name)) {
    if ($f.BaseName -like 'about_*') { $abouts.Add($f) }
    elseif ($f.BaseName -match '^[A-Za-z]+-[A-Za-z0-9]+$') { $docs.Add((Read-CommandDoc $f $problems)) }
    else { Write-Warning "Build-Help: skipping $($f.Name): neither <Verb-Noun>.md nor about_<Topic>.md." }
}

if ($FallbackDocsPath) {
    $fallbackDir = Resolve-Path -LiteralPath $FallbackDocsPath -ErrorAction SilentlyContinue
    if (-not $fallbackDir) { throw "Build-Help: fallback docs folder '$FallbackDocsPath' does not exist." }
    # The fallback docs' own problems are reported (and fail the build) where they are built themselves.
    $fallbackProblems = [System.Collections.Generic.List[string]]::new()
    foreach ($f in (Get-ChildItem -LiteralPath $fallbackDir -Filter '*.md' -File | Sort-Object Name)) {
        if ($f.BaseName -like 'about_*') {
            if (-not @($abouts | Where-Object BaseName -EQ $f.BaseName).Count) { $abouts.Add($f) }
            continue
        }
        if ($f.BaseName -notmatch '^[A-Za-z]+-[A-Za-z0-9]+$') { continue }
        $fallback = Read-CommandDoc $f $fallbackProblems
        $doc = $docs | Where-Object Name -EQ $fallback.Name | Select-Object -First 1
        if (-not $doc) { $docs.Add($fallback); continue }
        foreach ($n in $fallback.Parameters.Keys) {
            if (-not $doc.Parameters.Contains($n)) { $doc.Parameters[$n] = $fallback.Parameters[$n] }
        }
    }
}

$metadata = @()
$haveAssembly = Test-Path -LiteralPath $AssemblyPath
if ($haveAssembly) { $metadata = @(Get-CmdletMetadata (Resolve-Path -LiteralPath $AssemblyPath).ProviderPath) }
else { Write-Warning "Build-Help: $AssemblyPath not found; syntax and parameter metadata come only from the docs' yaml blocks." }

foreach ($m in $metadata) {
    $doc = $docs | Where-Object Name -EQ $m.Name | Select-Object -First 1
    if (-not $doc) { Write-Warning "Build-Help: cmdlet $($m.Name) has no $DocsPath/$($m.Name).md; Get-Help will show only its syntax."; continue }
    foreach ($p in $m.Parameters) {
        if (-not $doc.Parameters.Contains($p.Name)) { Write-Warning "Build-Help: $($m.Name).md does not describe -$($p.Name); add '### -$($p.Name)' under '## PARAMETERS'." }
    }
    foreach ($n in $doc.Parameters.Keys) {
        if (-not @($m.Parameters | Where-Object Name -EQ $n).Count) { Write-Warning "Build-Help: $($m.Name).md describes -$n, which $($m.Name) does not have; it is left out of the help." }
    }
}
foreach ($d in $docs) {
    if ($haveAssembly -and -not @($metadata | Where-Object Name -EQ $d.Name).Count) {
        Write-Warning "Build-Help: $($d.Name).md documents a cmdlet the module does not export (yet); converted from the doc alone."
    }
}

$aboutTexts = @{}
foreach ($a in $abouts) { $aboutTexts[$a.BaseName] = ConvertTo-AboutText $a $problems }

if ($problems.Count) {
    # One line per problem (an exception message is re-wrapped by the error view, which hides the list).
    foreach ($p in $problems) { Write-Host "  $DocsPath/$p" -ForegroundColor Red }
    throw "Build-Help: $($problems.Count) problem(s) in the help markdown (listed above); fix them and build again."
}

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$settings.NewLineChars = "`n"
$mamlPath = Join-Path $OutputPath $MamlFileName
$w = [System.Xml.XmlWriter]::Create($mamlPath, $settings)
try {
    $w.WriteStartDocument()
    $w.WriteStartElement('helpItems', $Ns.Msh)
    $w.WriteAttributeString('schema', 'maml')
    foreach ($d in ($docs | Sort-Object Name)) {
        Write-Command $w $d ($metadata | Where-Object Name -EQ $d.Name | Select-Object -First 1)
    }
    $w.WriteEndElement()
    $w.WriteEndDocument()
}
finally { $w.Dispose() }

foreach ($k in $aboutTexts.Keys) {
    [IO.File]::WriteAllText((Join-Path $OutputPath "$k.help.txt"), $aboutTexts[$k], [System.Text.UTF8Encoding]::new($false))
}
Write-Host "Help: $($docs.Count) cmdlet doc(s) -> $MamlFileName, $($aboutTexts.Count) about topic(s) in $OutputPath"
