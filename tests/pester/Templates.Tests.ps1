# Subjects and texts per document (issue 18): document types, the recipient's language, a template file, placeholders
# from the input, and the combine rule by type. Sent over SMTP to smtp4dev and read back decoded with MimeKit.
BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $script:Docs = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-texts-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Docs | Out-Null
    $script:Server = Start-Smtp4Dev

    function script:Use-Settings {
        param([hashtable] $Extra = @{})
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        $common = @{ Scope = 'System'; Method = 'Smtp'; Server = '127.0.0.1'; Port = $script:Server.SmtpPort; From = 'Ölbryggeriet AB <order@olbryggeriet.example>' }
        Set-G5MailSetting @common @Extra -WarningAction SilentlyContinue
    }

    function script:New-Doc {
        param([string] $Name)
        (New-TestPdf -Path (Join-Path $script:Docs $Name)).FullName
    }

    # What arrived, oldest first, as Subject / Text / Html / Files / To.
    function script:Get-Arrived {
        $messages = @(Get-Smtp4DevMessage $script:Server)
        [array]::Reverse($messages)
        foreach ($m in $messages) {
            [pscustomobject]@{
                Subject = $m.Subject
                Text    = if ($m.TextBody) { $m.TextBody.Replace("`r`n", "`n").TrimEnd("`n") } else { $null }
                Html    = $m.HtmlBody
                Files   = @($m.Attachments | ForEach-Object FileName)
                To      = $m.To.ToString()
            }
        }
    }

    function script:Write-Csv {
        param([string] $Name, [string] $Text)
        $path = Join-Path $script:Docs $Name
        # As Swedish Excel saves "CSV UTF-8": ';' between fields, a byte order mark.
        [IO.File]::WriteAllText($path, $Text, [Text.UTF8Encoding]::new($true))
        $path
    }
}

AfterAll {
    Stop-Smtp4Dev $script:Server
    Remove-Item $script:Docs -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Built-in texts' {
    BeforeAll { Use-Settings }
    BeforeEach { Clear-Smtp4DevMessages $script:Server }

    It 'writes <Type> in Swedish by default and in English for Language en' -ForEach @(
        @{ Type = 'Quote'; Sv = 'Offert'; En = 'Quote' }
        @{ Type = 'Order'; Sv = 'Order'; En = 'Order' }
        @{ Type = 'OrderConfirmation'; Sv = 'Orderbekräftelse'; En = 'Order confirmation' }
        @{ Type = 'PurchaseOrder'; Sv = 'Inköpsorder'; En = 'Purchase order' }
        @{ Type = 'DeliveryNote'; Sv = 'Följesedel'; En = 'Delivery note' }
        @{ Type = 'Invoice'; Sv = 'Faktura'; En = 'Invoice' }
        @{ Type = 'Reminder'; Sv = 'Påminnelse'; En = 'Payment reminder' }
        @{ Type = 'Other'; Sv = 'Dokument'; En = 'Document' }
    ) {
        $pdf = New-Doc "7001.pdf"
        $inSwedish = Send-G5Document -Path $pdf -To 'kund@ahus.example' -DocumentType $Type
        $inEnglish = Send-G5Document -Path $pdf -To 'customer@bergen.example' -DocumentType $Type -Language en
        $inSwedish.Status, $inEnglish.Status | Should -Be 'Sent', 'Sent'
        $inSwedish.Subject | Should -Be "$Sv 7001"
        $m = @(Get-Arrived)
        $m.Subject | Should -Be "$Sv 7001", "$En 7001"
        $svWord = $Sv.Substring(0, 1).ToLowerInvariant() + $Sv.Substring(1)
        $enWord = $En.Substring(0, 1).ToLowerInvariant() + $En.Substring(1)
        $m[0].Text | Should -Be "Hej!`n`nBifogat finns $svWord 7001 (7001.pdf)."
        $m[1].Text | Should -Be "Hello,`n`nPlease find attached $enWord 7001 (7001.pdf)."
    }

    It 'takes type and language from a Monitor export by their Swedish column names and words, with the part suffix in Swedish' {
        $a = New-Doc 'F1.pdf'; $b = New-Doc 'F2.pdf'
        $csv = Write-Csv 'typer.csv' @"
Sökväg;E-post;Dokumenttyp;Språk;Fakturanummer
$a;kund@ahus.example;Faktura;SV;1001
$b;kund@ahus.example;faktura;sv;1002
"@
        $rows = Import-Csv $csv -Delimiter ';' | Select-Object @{ n = 'Path'; e = { $_.'Sökväg' } }, @{ n = 'Email'; e = { $_.'E-post' } }, Dokumenttyp, Språk, @{ n = 'InvoiceNumber'; e = { $_.Fakturanummer } }
        $r = $rows | Send-G5Document -Combine -MaxAttachmentSizeMB 0.001
        $r.Status | Should -Be 'Sent', 'Sent'
        (Get-Arrived).Subject | Should -Be 'Faktura 1001 (del 1 av 2)', 'Faktura 1002 (del 2 av 2)'
    }

    It 'combines invoices into one message with the plural subject and a body that lists the files' {
        $a = New-Doc '2001.pdf'; $b = New-Doc '2002.pdf'
        $r = @(
            [pscustomobject]@{ Path = $a; To = 'kund@ahus.example'; Type = 'Invoice' }
            [pscustomobject]@{ Path = $b; To = 'kund@ahus.example'; Type = 'Invoice' }
        ) | Send-G5Document -Combine
        $r.Status | Should -Be 'Sent'
        $m = Get-Arrived
        $m.Subject | Should -Be 'Fakturor 2001, 2002'
        $m.Text | Should -Be "Hej!`n`nBifogat finns fakturor 2001, 2002 (2001.pdf, 2002.pdf)."
    }
}

Describe 'Per-document subjects and bodies from a CSV' {
    BeforeAll { Use-Settings }
    BeforeEach { Clear-Smtp4DevMessages $script:Server }

    It 'uses each row''s Subject and Body, the call''s -Subject for rows without one, and input properties as placeholders' {
        $a = New-Doc '3001.pdf'; $b = New-Doc '3002.pdf'; $c = New-Doc '3003.pdf'
        $csv = Write-Csv 'per-dokument.csv' @"
Path;Email;DocumentType;CustomerName;Förfallodag;Subject;Body
$a;a@ahus.example;Faktura;Åhus Trä AB;2026-12-31;Din faktura {DocumentIds} från {From};Hej {CustomerName}! Fakturan förfaller {Förfallodag}.
$b;b@vaxjo.example;Faktura;Växjö Bygg;2027-01-15;;
$c;c@lund.example;Order;Lunds Café;;;
"@
        $r = Import-Csv $csv -Delimiter ';' | Send-G5Document -Subject '{DocumentType} {DocumentIds} till {CustomerName}'
        $r.Status | Should -Be 'Sent', 'Sent', 'Sent'
        $m = @(Get-Arrived)
        $m.Subject | Should -Be 'Din faktura 3001 från Ölbryggeriet AB', 'Faktura 3002 till Växjö Bygg', 'Order 3003 till Lunds Café'
        $m[0].Text | Should -Be 'Hej Åhus Trä AB! Fakturan förfaller 2026-12-31.'
        # Rows without a Body get the built-in Swedish text.
        $m[1].Text | Should -Be "Hej!`n`nBifogat finns faktura 3002 (3002.pdf)."
        $m[2].Text | Should -Be "Hej!`n`nBifogat finns order 3003 (3003.pdf)."
    }

    It 'sends a row''s Body as HTML when its BodyAsHtml column says so' {
        $a = New-Doc '3101.pdf'; $b = New-Doc '3102.pdf'
        $csv = Write-Csv 'html.csv' @"
Path;Email;Body;BodyAsHtml
$a;a@ahus.example;<p>Hej <b>{Email}</b></p>;Ja
$b;b@ahus.example;<b>inte html</b>;False
"@
        Import-Csv $csv -Delimiter ';' | Send-G5Document | Out-Null
        $m = @(Get-Arrived)
        $m[0].Html | Should -Match '<p>Hej <b>a@ahus.example</b></p>'
        $m[1].Html | Should -BeNullOrEmpty
        $m[1].Text | Should -Be '<b>inte html</b>'
    }

    It 'fails only the document whose input lacks a placeholder''s value (MissingPlaceholderValue)' {
        $a = New-Doc '3201.pdf'; $b = New-Doc '3202.pdf'
        $in = @(
            [pscustomobject]@{ Path = $a; To = 'a@ahus.example'; CustomerName = 'Åhus Trä AB' }
            [pscustomobject]@{ Path = $b; To = 'b@ahus.example'; CustomerName = '' }
        )
        $r = $in | Send-G5Document -Subject 'Till {CustomerName}' -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Sent', 'Failed'
        $r[1].Error | Should -Match "'3202'.*\{CustomerName\}"
        @($errs).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Match '^MissingPlaceholderValue,'
        (Get-Arrived).Subject | Should -Be 'Till Åhus Trä AB'
    }

    It 'fails only the document with an unknown DocumentType (InvalidDocumentType)' {
        $a = New-Doc '3301.pdf'; $b = New-Doc '3302.pdf'
        $r = @(
            [pscustomobject]@{ Path = $a; To = 'a@ahus.example'; DocType = 'Kvitto' }
            [pscustomobject]@{ Path = $b; To = 'b@ahus.example'; DocType = 'Följesedel' }
        ) | Send-G5Document -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed', 'Sent'
        $errs[0].FullyQualifiedErrorId | Should -Match '^InvalidDocumentType,'
        (Get-Arrived).Subject | Should -Be 'Följesedel 3302'
    }
}

Describe 'A template file' {
    BeforeEach { Clear-Smtp4DevMessages $script:Server }

    It 'adds Norwegian (nb) from a .psd1 file, shown by Get-G5MailSetting and used for documents in nb and by MessageLanguage' {
        Use-Settings
        $file = Join-Path $script:Docs 'texter.psd1'
        Set-Content -Path $file -Encoding utf8 -Value @'
@{
    Placeholders = @('CustomerName')
    nb = @{
        PartSuffix = ' (del {Part} av {PartCount})'
        Invoice    = @{ Subject = 'Faktura {DocumentIds} fra {From}'; Body = "Hei {CustomerName}!`nVedlagt er faktura {DocumentIds}." }
        Other      = @{ Subject = 'Dokument {DocumentIds}'; Body = '<p>Vedlagt: {Attachments}</p>'; BodyAsHtml = $true }
    }
    sv = @{ Reminder = @{ Subject = 'Vänlig påminnelse {DocumentIds}' } }
}
'@
        Set-G5MailSetting -TemplatePath $file -WarningAction SilentlyContinue
        $s = Get-G5MailSetting
        $s.TemplatePath | Should -Be (Resolve-Path $file).ProviderPath
        $s.MessageLanguage | Should -Be 'sv'
        $s.Source.MessageLanguage | Should -Be 'Default'

        $a = New-Doc '4001.pdf'; $b = New-Doc '4002.pdf'; $c = New-Doc '4003.pdf'
        $r = @(
            [pscustomobject]@{ Path = $a; To = 'kunde@bergen.example'; Type = 'Invoice'; LanguageCode = 'nb'; CustomerName = 'Bergen Fisk AS' }
            [pscustomobject]@{ Path = $b; To = 'kunde@bergen.example'; LanguageCode = 'NB' }
            [pscustomobject]@{ Path = $c; To = 'kund@ahus.example'; Type = 'Påminnelse' }
        ) | Send-G5Document
        $r.Status | Should -Be 'Sent', 'Sent', 'Sent'
        $m = @(Get-Arrived)
        $m.Subject | Should -Be 'Faktura 4001 fra Ölbryggeriet AB', 'Dokument 4002', 'Vänlig påminnelse 4003'
        $m[0].Text | Should -Be "Hei Bergen Fisk AS!`nVedlagt er faktura 4001."
        $m[1].Html | Should -Match '<p>Vedlagt: 4002.pdf</p>'
        $m[2].Text | Should -Be "Hej!`n`nBifogat finns påminnelse 4003 (4003.pdf)."

        Clear-Smtp4DevMessages $script:Server
        Set-G5MailSetting -MessageLanguage nb -WarningAction SilentlyContinue
        (Get-G5MailSetting).MessageLanguage | Should -Be 'nb'
        # A document without a language now gets the nb texts (here the file's Other); nb's Invoice text needs {CustomerName}.
        Send-G5Document -Path $a -To 'kunde@bergen.example' | Out-Null
        $r = Send-G5Document -Path $b -To 'kunde@bergen.example' -DocumentType Faktura -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $errs[0].FullyQualifiedErrorId | Should -Match '^MissingPlaceholderValue,'
        (Get-Arrived).Subject | Should -Be 'Dokument 4001'
    }

    It 'reads the same texts from a JSON file' {
        Use-Settings
        $file = Join-Path $script:Docs 'texter.json'
        Set-Content -Path $file -Encoding utf8 -Value '{ "nb": { "Order": { "Subject": "Ordre {DocumentIds}" } } }'
        Set-G5MailSetting -TemplatePath $file -WarningAction SilentlyContinue
        Send-G5Document -Path (New-Doc '4101.pdf') -To 'kunde@bergen.example' -DocumentType Order -Language nb | Out-Null
        (Get-Arrived).Subject | Should -Be 'Ordre 4101'
    }

    It 'is refused by Set-G5MailSetting with InvalidSetting naming the key when it has an unknown placeholder, and the setting stays unset' {
        Use-Settings
        $file = Join-Path $script:Docs 'fel.json'
        Set-Content -Path $file -Encoding utf8 -Value '{ "nb": { "Invoice": { "Subject": "Faktura {Kundnamn}" } } }'
        { Set-G5MailSetting -TemplatePath $file } | Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SetG5MailSettingCommand' -ExpectedMessage "*'nb.Invoice.Subject'*{Kundnamn}*"
        { Set-G5MailSetting -TemplatePath (Join-Path $script:Docs 'finns-inte.json') } | Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SetG5MailSettingCommand' -ExpectedMessage '*does not exist*'
        Set-Content -Path $file -Encoding utf8 -Value '{ "nb": { "Invoice": '
        { Set-G5MailSetting -TemplatePath $file } | Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SetG5MailSettingCommand' -ExpectedMessage '*not valid JSON*'
        (Get-G5MailSetting).TemplatePath | Should -BeNullOrEmpty
    }

    It 'stops Send-G5Document when the stored template file no longer reads, rather than sending the built-in texts' {
        Use-Settings
        $file = Join-Path $script:Docs 'senare-fel.json'
        Set-Content -Path $file -Encoding utf8 -Value '{ "sv": { "Invoice": { "Subject": "Faktura {DocumentIds}" } } }'
        Set-G5MailSetting -TemplatePath $file -WarningAction SilentlyContinue
        Set-Content -Path $file -Encoding utf8 -Value '{ "sv": { "Invoice": { "Subject": "Faktura {Fakturanr}" } } }'
        { Send-G5Document -Path (New-Doc '4150.pdf') -To 'a@ahus.example' -DocumentType Invoice -ErrorAction SilentlyContinue } |
            Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SendG5DocumentCommand' -ExpectedMessage '*{Fakturanr}*'
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0
    }

    It 'refuses a MessageLanguage that has no texts when sending' {
        Use-Settings @{ MessageLanguage = 'fi' }
        { Send-G5Document -Path (New-Doc '4201.pdf') -To 'a@ahus.example' } | Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SendG5DocumentCommand' -ExpectedMessage "*MessageLanguage 'fi'*"
    }
}

Describe 'The combine rule by document type' {
    BeforeEach { Clear-Smtp4DevMessages $script:Server }

    BeforeAll {
        $script:Input = @(
            [pscustomobject]@{ Path = (New-Doc 'P1.pdf'); To = 'lev@bryggmalt.example'; Type = 'Inköpsorder' }
            [pscustomobject]@{ Path = (New-Doc 'F1.pdf'); To = 'lev@bryggmalt.example'; Type = 'Faktura' }
            [pscustomobject]@{ Path = (New-Doc 'P2.pdf'); To = 'lev@bryggmalt.example'; Type = 'PurchaseOrder' }
            [pscustomobject]@{ Path = (New-Doc 'F2.pdf'); To = 'lev@bryggmalt.example'; Type = 'Invoice' }
        )
    }

    It 'combines purchase orders and sends invoices alone with CombineDocumentTypes PurchaseOrder' {
        Use-Settings @{ CombineDocuments = $true; CombineDocumentTypes = 'Inköpsorder' }
        (Get-G5MailSetting).CombineDocumentTypes | Should -Be ([G5Mail.DocumentType]::PurchaseOrder)
        $r = $script:Input | Send-G5Document
        $r.Status | Should -Be 'Sent', 'Sent', 'Sent'
        (Get-Arrived).Subject | Should -Be 'Inköpsorder P1, P2', 'Faktura F1', 'Faktura F2'
    }

    It 'combines each type separately with CombineDocumentTypes Order, Invoice (Monitor''s "flera order/fakturor")' {
        Use-Settings @{ CombineDocuments = $true; CombineDocumentTypes = 'Order', 'Invoice' }
        $r = $script:Input | Send-G5Document
        (Get-Arrived).Subject | Should -Be 'Inköpsorder P1', 'Fakturor F1, F2', 'Inköpsorder P2'
    }

    It 'combines every type (each in its own message) when CombineDocumentTypes is not set, and none without CombineDocuments' {
        Use-Settings @{ CombineDocuments = $true }
        $script:Input | Send-G5Document | Out-Null
        (Get-Arrived).Subject | Should -Be 'Inköpsorder P1, P2', 'Fakturor F1, F2'
        Clear-Smtp4DevMessages $script:Server
        Set-G5MailSetting -Scope System -CombineDocuments:$false -CombineDocumentTypes PurchaseOrder -WarningAction SilentlyContinue
        @($script:Input | Send-G5Document).Count | Should -Be 4
    }

    It 'refuses an unknown type name in CombineDocumentTypes' {
        Use-Settings
        { Set-G5MailSetting -CombineDocumentTypes Kvitto } | Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SetG5MailSettingCommand' -ExpectedMessage "*CombineDocumentTypes 'Kvitto'*"
    }
}
