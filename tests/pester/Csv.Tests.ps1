# CSV files as Swedish Excel writes them, piped into Send-G5Document: ';' between columns (the Swedish list
# separator), several addresses separated by ',' inside one column, Swedish letters in file names, document ids and
# recipients' names, in the three encodings Excel saves: "CSV UTF-8 (kommaavgränsad)" (UTF-8 with BOM), UTF-8
# without BOM (other tools, Monitor G5 exports) and "CSV (kommaavgränsad)" (Windows-1252 on a Swedish Windows).
# -DraftDirectory writes .eml files without a server; each draft is parsed back with MimeKit.

BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $script:MimeMessage = Get-MimeKitType
    $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
    Set-G5MailSetting -Scope System -From 'order@olbryggeriet.example' -WarningAction SilentlyContinue

    $script:Docs = Join-Path $TestDrive 'Dokument från Ölbryggeriet'
    New-Item -ItemType Directory -Path $script:Docs | Out-Null
    $script:Invoice = (New-TestPdf -Path (Join-Path $script:Docs 'Faktura Åhus 1001.pdf') -Lines 'Faktura 1001', 'Åhus Trä AB').FullName
    $script:DeliveryNote = (New-TestPdf -Path (Join-Path $script:Docs 'Följesedel Ärlig 1002.pdf') -Lines 'Följesedel 1002').FullName

    # The rows as Excel writes them: CRLF line ends, ';' between columns, ',' between addresses, no quotes needed.
    $script:CsvText = (
        'Path;To;DocumentId;Kund',
        "$($script:Invoice);Örjan Ärlig <orjan@ahustra.example>, Åsa Öberg <asa@ahustra.example>;Å-1001;Åhus Trä AB",
        "$($script:DeliveryNote);Märta Ärlig <marta@arlig.example>;Ö-1002;Ärlig & Söner"
    ) -join "`r`n"

    function script:New-Csv([string] $Name, [Text.Encoding] $Encoding) {
        $path = Join-Path $TestDrive $Name
        [IO.File]::WriteAllBytes($path, [byte[]] ($Encoding.GetPreamble() + $Encoding.GetBytes($script:CsvText + "`r`n")))
        $path
    }

    function script:Read-Draft([string] $Path) {
        $stream = [IO.File]::OpenRead($Path)
        try { $script:MimeMessage::Load($stream) } finally { $stream.Dispose() }
    }

    # What every encoding must give: the rows, the drafts written from them, and what the drafts say.
    function script:Assert-SwedishRows($Rows) {
        $Rows.Count | Should -Be 2
        $Rows[0].PSObject.Properties.Name | Should -Be @('Path', 'To', 'DocumentId', 'Kund') -Because 'a BOM must not end up in the first column name'
        $Rows.Path | Should -Be @($script:Invoice, $script:DeliveryNote)
        $Rows.DocumentId | Should -Be @('Å-1001', 'Ö-1002')
        $Rows.Kund | Should -Be @('Åhus Trä AB', 'Ärlig & Söner')
        $Rows[0].To | Should -Be 'Örjan Ärlig <orjan@ahustra.example>, Åsa Öberg <asa@ahustra.example>'

        $drafts = Join-Path $TestDrive ('drafts-' + [guid]::NewGuid().ToString('N'))
        $results = @($Rows | Send-G5Document -DraftDirectory $drafts)
        $results.Status | Should -Be @('Draft', 'Draft')
        @($results | Where-Object Error).Error | Should -BeNullOrEmpty
        $results[0].DocumentIds | Should -Be @('Å-1001')
        $results[1].DocumentIds | Should -Be @('Ö-1002')

        $first = Read-Draft $results[0].Path
        $first.To.Mailboxes.Address | Should -Be @('orjan@ahustra.example', 'asa@ahustra.example')
        $first.To.Mailboxes.Name | Should -Be @('Örjan Ärlig', 'Åsa Öberg')
        @(Get-MimeAttachment $first).Name | Should -Be @('Faktura Åhus 1001.pdf')
        Get-BytesHash (Get-MimeAttachment $first).Bytes | Should -Be (Get-BytesHash ([IO.File]::ReadAllBytes($script:Invoice)))

        $second = Read-Draft $results[1].Path
        $second.To.Mailboxes.Address | Should -Be @('marta@arlig.example')
        $second.To.Mailboxes.Name | Should -Be @('Märta Ärlig')
        @(Get-MimeAttachment $second).Name | Should -Be @('Följesedel Ärlig 1002.pdf')
    }
}

Describe 'Import-Csv -Delimiter ";" into Send-G5Document' {
    It 'reads "CSV UTF-8" (UTF-8 with BOM) with no -Encoding' {
        $csv = New-Csv 'utf8-bom.csv' ([Text.UTF8Encoding]::new($true))
        [IO.File]::ReadAllBytes($csv)[0..2] | Should -Be @(0xEF, 0xBB, 0xBF)
        Assert-SwedishRows @(Import-Csv -Path $csv -Delimiter ';')
    }

    It 'reads UTF-8 without BOM with no -Encoding (or -Encoding utf8)' {
        $csv = New-Csv 'utf8.csv' ([Text.UTF8Encoding]::new($false))
        [IO.File]::ReadAllBytes($csv)[0] | Should -Be ([byte][char]'P')
        Assert-SwedishRows @(Import-Csv -Path $csv -Delimiter ';')
        Assert-SwedishRows @(Import-Csv -Path $csv -Delimiter ';' -Encoding utf8)
    }

    Context 'Windows-1252, as "CSV (kommaavgränsad)" of a Swedish Excel' {
        BeforeAll {
            $script:Csv1252 = New-Csv 'ansi.csv' ([Text.Encoding]::GetEncoding(1252))
        }

        It 'is one byte per Swedish letter (the file really is Windows-1252)' {
            $bytes = [IO.File]::ReadAllBytes($script:Csv1252)
            $bytes | Should -Contain 0xC5 -Because 'Å is 0xC5 in Windows-1252'
            $bytes | Should -Contain 0xD6 -Because 'Ö is 0xD6 in Windows-1252'
            { [Text.UTF8Encoding]::new($false, $true).GetString($bytes) } | Should -Throw -Because 'it is not valid UTF-8'
        }

        It 'is garbled without -Encoding: PowerShell 7 reads UTF-8 by default' {
            $rows = @(Import-Csv -Path $script:Csv1252 -Delimiter ';')
            $rows[0].Kund | Should -Not -Be 'Åhus Trä AB'
            $rows[0].Kund | Should -Match ([char] 0xFFFD)
        }

        It 'reads with -Encoding 1252 (a code page number, PowerShell 7.4 and later, also on Linux and macOS)' {
            Assert-SwedishRows @(Import-Csv -Path $script:Csv1252 -Delimiter ';' -Encoding 1252)
        }

        It 'reads with -Encoding ([Text.Encoding]::GetEncoding(1252))' {
            Assert-SwedishRows @(Import-Csv -Path $script:Csv1252 -Delimiter ';' -Encoding ([Text.Encoding]::GetEncoding(1252)))
        }

        It "reads with -Encoding 'windows-1252' (the encoding's name)" {
            Assert-SwedishRows @(Import-Csv -Path $script:Csv1252 -Delimiter ';' -Encoding 'windows-1252')
        }
    }
}
