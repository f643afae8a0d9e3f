# The default views as a person reads them: Out-String -Width 120 of Test-G5MailServer's and Send-G5Document's
# results (the width of a usual console and of a scheduled task's log). Each test reads the rendered text, not the
# objects: the verdict and the endpoint first, findings ordered by severity, every line within 120 columns and the
# messages and errors there in full, wrapped at spaces.

BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
    Set-G5MailSetting -Scope System -From 'order@olbryggeriet.example' -WarningAction SilentlyContinue

    # The rendered lines, without the blank lines around them.
    function script:Get-ViewLines($InputObject) {
        $text = $InputObject | Out-String -Width 120
        @(($text -split '\r?\n' | ForEach-Object TrimEnd) -join "`n" -replace '^\n+|\n+$' -split '\n')
    }

    # Text compared without its line breaks and spaces: what wrapping may change.
    function script:Compress([string] $Text) { $Text -replace '\s+' }

    # The findings table's rows: severity and code of each first line, the message joined from its column.
    function script:Get-FindingRows([string[]] $Lines) {
        $header = [array]::IndexOf($Lines, ($Lines -match '^Severity\s+Code\s+Message$')[0])
        $header | Should -BeGreaterThan -1 -Because 'the findings are a table with Severity, Code and Message'
        $Lines[$header + 1] | Should -Match '^-+\s+-+\s+-+$'
        $column = $Lines[$header].IndexOf('Message')
        $rows = [System.Collections.Generic.List[object]]::new()
        foreach ($line in $Lines[($header + 2)..($Lines.Count - 1)]) {
            if ($line -match '^(Error|Warning|Information)\s+(\S+)') {
                $rows.Add([pscustomobject]@{ Severity = $Matches[1]; Code = $Matches[2]; Message = $line.Substring($column) })
            }
            else {
                $line.Substring(0, [Math]::Min($column, $line.Length)).Trim() | Should -BeNullOrEmpty -Because "a continuation line holds only message text: '$line'"
                $rows[-1].Message += ' ' + $line.Substring($column)
            }
        }
        $rows
    }

    $script:LongMessage = 'smtp.olbryggeriet.example presented a certificate for mail.hosting.example, not for ' +
        'smtp.olbryggeriet.example: connecting by another name than the certificate''s is what an attacker in the ' +
        'middle would do. Set Server to a name the certificate lists (mail.hosting.example), or pin this certificate ' +
        'with Set-G5MailSetting -CertificateThumbprint 0123456789ABCDEF0123456789ABCDEF01234567 when it is yours.'
}

Describe 'Test-G5MailServer default view' {
    It 'shows the verdict and the endpoint first, then the findings as a table, errors first, warnings next' {
        $r = [G5Mail.ServerTestResult]::new([G5Mail.MailMethod]::Smtp)
        $r.Endpoint = 'smtp.olbryggeriet.example:587, STARTTLS required'
        $r.Reachable = $true
        $r.LatencyMs = 12
        $findings = @(
            @('Information', 'ServerGreeting', 'The server greets as ESMTP Postfix.'),
            @('Error', 'CertificateNameMismatch', $script:LongMessage),
            @('Warning', 'CertificateExpiringSoon', 'The certificate expires on 2027-01-05, in 30 days.'),
            @('Information', 'MaxMessageSize', 'The server accepts messages up to 10,240,000 bytes.'),
            @('Error', 'AuthenticationFailed', 'The server rejected the user name or the password.')
        )
        foreach ($f in $findings) { $r.Findings.Add([G5Mail.Finding]::new($f[0], $f[1], $null, $f[2])) }

        $lines = Get-ViewLines $r
        $lines[0] | Should -Be 'Success        : False (2 errors, 1 warning)'
        $lines[1] | Should -Be 'Endpoint       : smtp.olbryggeriet.example:587, STARTTLS required'
        $lines | Should -Contain 'Connection     : connected in 12 ms'
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual 120 -Because "'$line' must fit 120 columns" }

        $rows = @(Get-FindingRows $lines)
        $rows.Severity | Should -Be @('Error', 'Error', 'Warning', 'Information', 'Information')
        $rows.Code | Should -Be @('CertificateNameMismatch', 'AuthenticationFailed', 'CertificateExpiringSoon', 'ServerGreeting', 'MaxMessageSize') -Because 'the order within a severity is the order found'
        for ($i = 0; $i -lt $rows.Count; $i++) {
            $expected = ($findings | Where-Object { $_[1] -eq $rows[$i].Code })[2]
            Compress $rows[$i].Message | Should -Be (Compress $expected) -Because 'the message is there in full'
        }
        # Wrapped at spaces: every word of the long message is whole on one line.
        foreach ($word in $script:LongMessage -split ' ') { ($lines -join "`n") | Should -Match ([regex]::Escape($word)) }
        @($lines | Where-Object { $_ -match '^\s{20,}\S' }).Count | Should -BeGreaterThan 0 -Because 'the long message continues under the Message column'
    }

    It 'shows a real result against a closed port: not connected, the refusal in full' {
        $port = Get-FreeTcpPort
        $r = Test-G5MailServer -Method Smtp -Server 127.0.0.1 -Port $port -TimeoutSeconds 5
        $r.Success | Should -BeFalse
        $lines = Get-ViewLines $r
        $lines[0] | Should -Match '^Success        : False \(\d+ errors?(, \d+ warnings?)?\)$'
        $lines[1] | Should -Match ('^Endpoint       : 127\.0\.0\.1:{0}\b' -f $port)
        $lines | Should -Contain 'Connection     : not connected'
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual 120 -Because "'$line' must fit 120 columns" }
        $rows = @(Get-FindingRows $lines)
        $rows.Count | Should -Be $r.Findings.Count
        $rows[0].Severity | Should -Be 'Error'
        $ordered = foreach ($s in 'Error', 'Warning', 'Information') { $r.Findings | Where-Object { "$($_.Severity)" -eq $s } }
        $rows.Code | Should -Be @($ordered.Code)
        for ($i = 0; $i -lt $rows.Count; $i++) { Compress $rows[$i].Message | Should -Be (Compress $ordered[$i].Message) }
    }

    It 'says so when there are no findings' {
        $r = [G5Mail.ServerTestResult]::new([G5Mail.MailMethod]::Smtp)
        $r.Endpoint = 'smtp.olbryggeriet.example:587, STARTTLS required'
        $lines = Get-ViewLines $r
        $lines[0] | Should -Be 'Success        : True'
        $lines[-1] | Should -Be 'Findings       : none'
    }
}

Describe 'Send-G5Document default table' {
    BeforeAll {
        $docs = Join-Path $TestDrive 'docs'
        New-Item -ItemType Directory -Path $docs | Out-Null
        $pdf = (New-TestPdf -Path (Join-Path $docs 'Faktura Åhus 1001.pdf')).FullName
        $drafts = Join-Path $TestDrive 'drafts'
        $script:Results = @(
            Send-G5Document -Path $pdf -To 'Örjan Ärlig <orjan@ahustra.example>, Åsa Öberg <asa.oberg@ahustra.example>' -DocumentId 'F-2026-000101' -DraftDirectory $drafts
            Send-G5Document -Path (Join-Path $docs 'Följesedel saknas 1002.pdf') -To 'kund@ahustra.example' -DraftDirectory $drafts -ErrorAction SilentlyContinue
            Send-G5Document -Path $pdf -To 'inte en adress' -DocumentId '1003' -DraftDirectory $drafts -ErrorAction SilentlyContinue
        )
        $script:Results.Status | Should -Be @('Draft', 'Failed', 'Failed')
        $script:Lines = Get-ViewLines $script:Results
        # Each row's cells by the header's column starts (the header labels are left-aligned, Part and Size right-aligned).
        $header = $script:Lines[0]
        $script:ErrorColumn = $header.IndexOf('Error')
        $script:Rows = [System.Collections.Generic.List[object]]::new()
        foreach ($line in $script:Lines[2..($script:Lines.Count - 1)]) {
            $cell = { param($from, $to) if ($line.Length -le $from) { '' } else { $line.Substring($from, [Math]::Min($to, $line.Length) - $from).Trim() } }
            $err = & $cell $script:ErrorColumn $line.Length
            if ($line -match '^(Draft|Failed)\s') {
                $script:Rows.Add([pscustomobject]@{ Status = $Matches[1]; To = @(& $cell 10 $header.IndexOf('DocumentIds')); Ids = & $cell $header.IndexOf('DocumentIds') $header.IndexOf('Part'); Part = & $cell $header.IndexOf('Part') ($header.IndexOf('Size')); Error = $err })
            }
            else {
                $to = & $cell 10 $header.IndexOf('DocumentIds')
                if ($to) { $script:Rows[-1].To += $to }
                $script:Rows[-1].Ids += ' ' + (& $cell $header.IndexOf('DocumentIds') $header.IndexOf('Part'))
                $script:Rows[-1].Error += ' ' + $err
            }
        }
    }

    It 'has Status, To, DocumentIds, Part and Error within 120 columns, the error column at least 50 wide' {
        $script:Lines[0] | Should -Match '^Status\s+To\s+DocumentIds\s+Part\s+Size\(MB\)\s+Error$'
        foreach ($line in $script:Lines) { $line.Length | Should -BeLessOrEqual 120 -Because "'$line' must fit 120 columns" }
        (120 - $script:ErrorColumn) | Should -BeGreaterOrEqual 50
        $script:Rows.Status | Should -Be @('Draft', 'Failed', 'Failed')
    }

    It 'shows each error in full, wrapped at spaces, and the draft''s path' {
        $script:Lines -join "`n" | Should -Not -Match '…|\.\.\.' -Because 'nothing is cut off'
        for ($i = 0; $i -lt 3; $i++) {
            $expected = if ($script:Results[$i].Error) { $script:Results[$i].Error } else { $script:Results[$i].Path }
            Compress $script:Rows[$i].Error | Should -Be (Compress $expected)
        }
        foreach ($word in ($script:Results[2].Error -split ' ')) { $script:Lines -join "`n" | Should -Match ([regex]::Escape($word)) }
    }

    It 'shows the addresses without names, one a line, the document ids and the part' {
        $script:Rows[0].To | Should -Be @('orjan@ahustra.example', 'asa.oberg@ahustra.example')
        $script:Rows[0].Ids.Trim() | Should -Be 'F-2026-000101'
        $script:Rows[0].Part | Should -Be '1/1'
        $script:Rows[1].To | Should -Be @('kund@ahustra.example')
        Compress $script:Rows[1].Ids | Should -Be (Compress 'Följesedel saknas 1002')
        $script:Rows[2].To | Should -Be @('inte en adress')
    }
}
