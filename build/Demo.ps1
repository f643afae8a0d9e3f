# The main job, for real: starts smtp4dev on loopback, configures G5Mail in a throwaway settings folder,
# creates sample Monitor G5 order documents (valid PDFs plus XML, Swedish text), sends them with Combine so that
# at least one message is split, reads the mailbox back over IMAP (Receive-G5Mail) and finds a bounce about one of the
# invoices (Get-G5DeliveryReport), and shows where to read the mails.
param(
    [Parameter(Mandatory)] [string] $Root,
    [switch] $NoWait
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $Root 'tests/pester/TestHelpers.psm1') -Force
Import-Module (Join-Path $Root 'G5Mail.psd1') -Force

$work = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-demo-" + [guid]::NewGuid().ToString('N'))
$docs = Join-Path $work 'documents'
New-Item -ItemType Directory -Path $docs -Force | Out-Null
$env:G5MAIL_CONFIG_DIR = Join-Path $work 'config'

$server = Start-Smtp4Dev -Imap
try {
    Write-Host "smtp4dev is listening on 127.0.0.1:$($server.SmtpPort) (SMTP) and $($server.ImapPort) (IMAP); web page $($server.ApiUri)" -ForegroundColor Cyan

    # As Monitor G5's "Skicka flera order/fakturor i samma e-postmeddelande": quotes, orders and invoices to one customer
    # share a message (each type its own); the texts are the built-in Swedish ones (MessageLanguage sv).
    Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $server.SmtpPort -From 'Ölbryggeriet AB <order@olbryggeriet.example>' `
        -MaxAttachmentSizeMB 10 -CombineDocuments -CombineDocumentTypes Offert, Orderbekräftelse, Faktura -MessageLanguage sv -ImapPort $server.ImapPort
    Get-G5MailSetting | Format-List Method, Server, Port, UseSsl, From, MaxAttachmentSizeMB, CombineDocuments, CombineDocumentTypes, MessageLanguage

    # Four large orders to one customer (4 MiB each: 16 MiB in all, over the 10 MB limit -> split into parts),
    # and smaller documents with XML to two other customers.
    $customers = @(
        @{ Name = 'Åhus Trä AB'; Mail = 'inkop@ahustra.example' },
        @{ Name = 'Ölbryggeriet i Östersund'; Mail = 'ekonomi@olbryggeriet-ostersund.example' },
        @{ Name = 'Kvarnbäcken Möbler'; Mail = 'order@kvarnbacken.example' }
    )
    $rows = @()
    foreach ($n in 1001..1004) {
        $file = Join-Path $docs "Offert Åhus $n.pdf"
        New-TestPdf -Path $file -Lines @("Offert $n", "Kund: Åhus Trä AB", 'Virke, 48x148 mm, tryckimpregnerat') -PadToBytes 4MB | Out-Null
        $rows += [pscustomobject]@{ Path = $file; To = $customers[0].Mail; DocumentId = "$n"; Dokumenttyp = 'Offert'; Kundnamn = $customers[0].Name }
    }
    foreach ($n in 2001..2003) {
        $customer = $customers[1 + ($n % 2)]
        $pdf = Join-Path $docs "Beställning $n.pdf"
        $xml = Join-Path $docs "Beställning $n.xml"
        New-TestPdf -Path $pdf -Lines @("Beställning $n från Ölbryggeriet", "Kund: $($customer.Name)", 'Leverans: vecka 49') | Out-Null
        Set-Content -Path $xml -Encoding utf8 -Value "<?xml version=`"1.0`" encoding=`"utf-8`"?><Order number=`"$n`"><Customer>$($customer.Name)</Customer><Note>Beställning från Ölbryggeriet</Note></Order>"
        $rows += [pscustomobject]@{ Path = $pdf; To = $customer.Mail; DocumentId = "$n"; Dokumenttyp = 'Orderbekräftelse'; Kundnamn = $customer.Name }
        $rows += [pscustomobject]@{ Path = $xml; To = $customer.Mail; DocumentId = "$n"; Dokumenttyp = 'Orderbekräftelse'; Kundnamn = $customer.Name }
    }
    # Two invoices to one customer travel together; the reminder travels alone (Påminnelse is not in CombineDocumentTypes),
    # with its own text from the CSV and the customer's name from the Kundnamn column.
    foreach ($n in 3001..3002) {
        $pdf = Join-Path $docs "Faktura $n.pdf"
        New-TestPdf -Path $pdf -Lines @("Faktura $n", "Kund: $($customers[2].Name)", 'Att betala: 12 450,00 kr') | Out-Null
        $rows += [pscustomobject]@{ Path = $pdf; To = $customers[2].Mail; DocumentId = "$n"; Dokumenttyp = 'Faktura'; Kundnamn = $customers[2].Name }
    }
    $pdf = Join-Path $docs 'Påminnelse 2950.pdf'
    New-TestPdf -Path $pdf -Lines @('Påminnelse faktura 2950', "Kund: $($customers[2].Name)") | Out-Null
    $rows += [pscustomobject]@{ Path = $pdf; To = $customers[2].Mail; DocumentId = '2950'; Dokumenttyp = 'Påminnelse'; Kundnamn = $customers[2].Name
        Body = "Hej {Kundnamn}!`r`n`r`nVi har ännu inte fått betalt för faktura {DocumentIds}. Bifogat finns en påminnelse.`r`n`r`nMed vänliga hälsningar`r`nÖlbryggeriet AB" }
    # As Swedish Excel saves it: ';' between the fields.
    $csv = Join-Path $work 'documents.csv'
    $rows | Export-Csv -Path $csv -NoTypeInformation -Encoding utf8 -Delimiter ';'
    Write-Host "Sending $($rows.Count) files from $csv ..." -ForegroundColor Cyan

    $watch = [Diagnostics.Stopwatch]::StartNew()
    $journal = Join-Path $work 'journal.jsonl'
    $results = Import-Csv $csv -Delimiter ';' | Send-G5Document -JournalPath $journal
    $watch.Stop()
    $results | Format-Table -AutoSize | Out-Host
    $results | Format-Table Status, To, Subject -AutoSize | Out-Host

    $sent = @($results | Where-Object Status -eq 'Sent')
    $bytes = ($results | Measure-Object AttachmentBytes -Sum).Sum
    $split = @($results | Where-Object PartCount -gt 1)
    $arrived = @(Get-Smtp4DevMessageList $server)
    Write-Host ("{0} messages sent ({1} of them parts of a split message), {2:N1} MB of attachments, in {3:N2} s; smtp4dev holds {4} messages." -f `
            $sent.Count, $split.Count, ($bytes / 1MB), $watch.Elapsed.TotalSeconds, $arrived.Count) -ForegroundColor Green
    if ($sent.Count -ne $results.Count -or $split.Count -lt 2 -or $arrived.Count -ne $sent.Count) {
        throw 'The demo did not deliver every message as planned.'
    }

    # Two planned activities from Monitor G5 into the sales rep's calendar: iCalendar invitations (open one in
    # smtp4dev: the calendar part is what Outlook or Gmail puts into the calendar). A rerun with the same state
    # changes nothing and connects to nothing.
    $activities = @(
        [pscustomobject]@{ Aktivitetsnummer = 'A-5001'; Rubrik = 'Säljmöte Åhus Trä AB'; Starttid = '2027-04-15 14:30'; Sluttid = '2027-04-15 15:30'
            Plats = 'Åhus, Kajgatan 2'; Deltagare = 'inkop@ahustra.example'; Påminnelse = '15'; Handläggare = 'saljare@olbryggeriet.example' }
        [pscustomobject]@{ Aktivitetsnummer = 'A-5002'; Rubrik = 'Leverans till Kvarnbäcken Möbler'; Starttid = '2027-04-16 08:00'; DurationMinutes = 60
            Plats = 'Lastkaj 3'; Deltagare = 'order@kvarnbacken.example'; Handläggare = 'saljare@olbryggeriet.example' }
    )
    $state = Join-Path $work 'activities.jsonl'
    Write-Host "Syncing $($activities.Count) activities to calendars ..." -ForegroundColor Cyan
    $synced = $activities | Sync-G5Activity -StatePath $state -TimeZone 'Europe/Stockholm'
    $synced | Format-Table -AutoSize | Out-Host
    $again = $activities | Sync-G5Activity -StatePath $state -TimeZone 'Europe/Stockholm'
    $invitations = @(Get-Smtp4DevMessageList $server).Count - $arrived.Count
    Write-Host ("{0} invitations sent; a rerun found {1} of {2} unchanged and sent nothing." -f $invitations, @($again | Where-Object Status -eq 'Unchanged').Count, $again.Count) -ForegroundColor Green
    if (@($synced | Where-Object Status -eq 'Created').Count -ne 2 -or $invitations -ne 2 -or @($again | Where-Object Status -ne 'Unchanged').Count -ne 0) {
        throw 'The demo did not sync the activities as planned.'
    }

    # Reading mail with the same settings: smtp4dev serves everything it received over IMAP, as one mailbox. The documents
    # come back as attachments, saved under safe names and compared with the files sent.
    $imapAccount = [pscredential]::new('order@olbryggeriet.example', (ConvertTo-SecureString 'demo' -AsPlainText -Force))
    $inbox = Join-Path $work 'inkommande'
    Write-Host "Reading the mailbox back over IMAP ..." -ForegroundColor Cyan
    $received = @(Receive-G5Mail -Credential $imapAccount -SaveAttachmentsTo $inbox)
    $received | Format-Table -AutoSize | Out-Host
    $sentHashes = @{}
    foreach ($row in $rows) { $sentHashes[[IO.Path]::GetFileName($row.Path)] = (Get-FileHash -LiteralPath $row.Path -Algorithm SHA256).Hash.ToLowerInvariant() }
    $saved = @($received.Attachments | Where-Object { $sentHashes.ContainsKey($_.Name) })
    $same = @($saved | Where-Object { $sentHashes[$_.Name] -eq $_.Sha256 })
    Write-Host ("{0} messages read; {1} of the {2} document files came back byte for byte into {3}." -f $received.Count, $same.Count, $rows.Count, $inbox) -ForegroundColor Green
    if ($received.Count -ne $arrived.Count + $invitations -or $same.Count -ne $rows.Count) {
        throw 'The demo did not read back every message and file as planned.'
    }

    # A bounce: the customer's server refuses the address of the invoice message (RFC 3464, as Postfix writes it, with the
    # returned headers). Get-G5DeliveryReport ties it to the invoices through the journal.
    $invoice = $results | Where-Object { $_.DocumentIds -contains '3001' } | Select-Object -First 1
    $bounce = @"
From: Mail Delivery System <MAILER-DAEMON@mx.kvarnbacken.example>
To: order@olbryggeriet.example
Subject: Undelivered Mail Returned to Sender
Date: $([DateTimeOffset]::Now.ToString('r'))
Message-ID: <bounce.$([guid]::NewGuid().ToString('N'))@mx.kvarnbacken.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=utf-8

This is the mail system at host mx.kvarnbacken.example. Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.kvarnbacken.example

Final-Recipient: rfc822; order@kvarnbacken.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <order@kvarnbacken.example>: Recipient address rejected: User unknown

--B
Content-Type: text/rfc822-headers

From: order@olbryggeriet.example
To: order@kvarnbacken.example
Subject: $($invoice.Subject)
Message-ID: <$($invoice.MessageId.Trim('<', '>'))>

--B--
"@
    $null = Get-MimeKitType
    if (-not ('MailKit.Net.Smtp.SmtpClient' -as [type])) { Add-Type -Path (Join-Path $Root 'artifacts/G5Mail/lib/MailKit.dll') }
    $stream = [IO.MemoryStream]::new([Text.Encoding]::UTF8.GetBytes($bounce.Replace("`r`n", "`n").Replace("`n", "`r`n")))
    $smtp = [MailKit.Net.Smtp.SmtpClient]::new()
    try {
        $smtp.Connect('127.0.0.1', $server.SmtpPort, [MailKit.Security.SecureSocketOptions]::None)
        $null = $smtp.Send([MimeKit.MimeMessage]::Load($stream))
        $smtp.Disconnect($true)
    }
    finally { $smtp.Dispose(); $stream.Dispose() }
    Write-Host "Which documents bounced? ..." -ForegroundColor Cyan
    $reports = @(Get-G5DeliveryReport -JournalPath $journal -Credential $imapAccount)
    $reports | Format-Table -AutoSize | Out-Host
    if ($reports.Count -ne 1 -or $reports[0].Reason -ne 'MailboxUnknown' -or $reports[0].DocumentIds -notcontains '3001') {
        throw 'The demo did not find the bounce as planned.'
    }
    Write-Host ("Invoices {0} did not reach {1}: {2} ({3})." -f $reports[0].DocumentIds, $reports[0].Recipient, $reports[0].Reason, $reports[0].Status) -ForegroundColor Green

    Write-Host "Open $($server.ApiUri) in a browser to read the mails." -ForegroundColor Cyan
    if (-not $NoWait) {
        Read-Host 'Press Enter to stop smtp4dev and exit' | Out-Null
    }
}
finally {
    Stop-Smtp4Dev $server
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
