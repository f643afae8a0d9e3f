# Sync-G5Activity over SMTP against a real smtp4dev on loopback: every invitation that arrived is read back through its
# REST API, parsed with MimeKit, and its iCalendar object checked line by line. smtp4dev's session list shows how many
# connections a run opened (an unchanged rerun must open none).
BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-sync-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:Server = Start-Smtp4Dev
    $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
    Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $script:Server.SmtpPort -From 'planering@olbryggeriet.example' -WarningAction SilentlyContinue

    # A Monitor G5 export as Swedish Excel saves it: ';' between columns, ',' between addresses, sv-SE dates.
    function script:New-Export {
        param([object[]] $Rows)
        $path = Join-Path $script:Work ("export-" + [guid]::NewGuid().ToString('N') + '.csv')
        $lines = @('Aktivitetsnummer;Rubrik;Starttid;Sluttid;Plats;Beskrivning;Deltagare;Påminnelse;TimeZone;Status')
        foreach ($r in $Rows) {
            # Every field quoted, as Excel quotes one that holds the delimiter.
            $fields = $r.Id, $r.Subject, $r.Start, $r.End, $r.Location, $r.Description, $r.Attendees, $r.Reminder, 'Europe/Stockholm', $r.Status
            $lines += ($fields | ForEach-Object { '"' + ("$_" -replace '"', '""') + '"' }) -join ';'
        }
        [IO.File]::WriteAllLines($path, $lines, [Text.UTF8Encoding]::new($true))
        $path
    }

    # SMTP sessions (connections) smtp4dev recorded since $Since; it records a session when the connection ends, so wait
    # up to a few seconds for -Expected of them (0: a short settle, then the count).
    function script:Get-SessionCount {
        param([datetime] $Since, [int] $Expected = 0)
        $deadline = [datetime]::UtcNow.AddSeconds(5)
        if ($Expected -eq 0) { Start-Sleep -Milliseconds 500 }
        do {
            $sessions = @((Invoke-RestMethod "$($script:Server.ApiUri)/api/sessions?pageSize=1000").results |
                    Where-Object { $start = $_.startDate  # ConvertFrom-Json may already have made it a [datetime]
                    if ($start -is [string]) { $start = [datetime]::Parse($start, [cultureinfo]::InvariantCulture, 'AdjustToUniversal') }
                    $start.ToUniversalTime() -gt $Since })
            if ($sessions.Count -ge $Expected -and $Expected -gt 0) { break }
            Start-Sleep -Milliseconds 100
        } while ($Expected -gt 0 -and [datetime]::UtcNow -lt $deadline)
        $sessions.Count
    }

    # Each invitation that arrived: the MIME message, its text/calendar part's method and text, and the .ics attachment's text.
    function script:Get-Invitation {
        foreach ($m in @(Get-Smtp4DevMessage $script:Server)) {
            $calendar = $m.BodyParts | Where-Object { $_.ContentType.MimeType -eq 'text/calendar' } | Select-Object -First 1
            $ics = $m.Attachments | Where-Object { $_.FileName -like '*.ics' } | Select-Object -First 1
            $text = { param($part) $ms = [IO.MemoryStream]::new(); $part.Content.DecodeTo($ms); [Text.Encoding]::UTF8.GetString($ms.ToArray()) }
            $body = & $text $calendar
            [pscustomobject]@{
                Message  = $m
                Method   = $calendar.ContentType.Parameters['method']
                Calendar = $body
                # Unfolded (RFC 5545 3.1), so a test can match whole properties.
                Lines    = @(($body -replace "`r`n[ `t]", '') -split "`r`n")
                Ics      = & $text $ics
                IcsName  = $ics.FileName
            }
        }
    }

    $script:Rows = @(
        @{ Id = 'A-1001'; Subject = 'Säljmöte Åhléns, Växjö'; Start = '2027-04-15 14:30'; End = '2027-04-15 15:30'; Location = 'Storgatan 1; Växjö'; Description = 'Gå igenom årets order'; Attendees = 'kund@ahlens.example, sälj@olbryggeriet.example'; Reminder = '15'; Status = '' },
        @{ Id = 'A-1002'; Subject = 'Leverans öl'; Start = '2027-11-02 09:00'; End = '2027-11-02 10:00'; Location = 'Lager'; Description = ''; Attendees = ''; Reminder = ''; Status = '' }
    )
}

AfterAll {
    Stop-Smtp4Dev $script:Server
    Remove-Item $script:Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Sync-G5Activity: invitations over SMTP with a sync state' {
    BeforeAll {
        $script:State = Join-Path $script:Work 'state.jsonl'
        $script:Export = New-Export $script:Rows
    }
    BeforeEach { Clear-Smtp4DevMessages $script:Server }

    It 'creates: one iMIP REQUEST per activity that a calendar accepts, with Swedish text intact' {
        $info = $null
        $results = Import-Csv $script:Export -Delimiter ';' | Sync-G5Activity -StatePath $script:State -InformationVariable info
        $results.Status | Should -Be @('Created', 'Created')
        $results.Sequence | Should -Be @(0, 0)
        $results[0].Uid | Should -Be 'monitor-activity-A-1001@olbryggeriet.example'
        $results[0].Mailbox | Should -Be 'planering@olbryggeriet.example'
        $results[0].Start | Should -Be ([DateTimeOffset]::new(2027, 4, 15, 14, 30, 0, [TimeSpan]::FromHours(2)))
        $results[1].Start | Should -Be ([DateTimeOffset]::new(2027, 11, 2, 9, 0, 0, [TimeSpan]::FromHours(1)))
        ($info | Where-Object { $_.Tags -contains 'Summary' }).MessageData.Created | Should -Be 2

        $invitations = @(Get-Invitation)
        $invitations.Count | Should -Be 2
        $first = $invitations | Where-Object { $_.Lines -contains 'UID:monitor-activity-A-1001@olbryggeriet.example' }
        $first.Method | Should -Be 'REQUEST'
        $first.Lines | Should -Contain 'METHOD:REQUEST'
        $first.Lines | Should -Contain 'SEQUENCE:0'
        $first.Lines | Should -Contain 'DTSTART;TZID=Europe/Stockholm:20270415T143000'
        $first.Lines | Should -Contain 'DTEND;TZID=Europe/Stockholm:20270415T153000'
        $first.Lines | Should -Contain 'SUMMARY:Säljmöte Åhléns\, Växjö'
        $first.Lines | Should -Contain 'LOCATION:Storgatan 1\; Växjö'
        $first.Lines | Should -Contain 'DESCRIPTION:Gå igenom årets order'
        $first.Lines | Should -Contain 'BEGIN:VTIMEZONE'
        $first.Lines | Should -Contain 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU'
        $first.Lines | Should -Contain 'TRIGGER:-PT15M'
        $first.Lines | Should -Contain 'ORGANIZER:mailto:planering@olbryggeriet.example'
        $first.Lines | Should -Contain 'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:kund@ahlens.example'
        $first.Lines | Should -Contain 'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:sälj@olbryggeriet.example'
        $first.Ics | Should -Be $first.Calendar
        $first.IcsName | Should -Be 'invite.ics'
        $first.Message.Subject | Should -Be 'Säljmöte Åhléns, Växjö'
        @($first.Message.To.Mailboxes.Address) | Should -Be @('planering@olbryggeriet.example', 'kund@ahlens.example', 'sälj@olbryggeriet.example')
        ($first.Calendar -split "`r`n" | Where-Object { [Text.Encoding]::UTF8.GetByteCount($_) -gt 75 }) | Should -BeNullOrEmpty
    }

    It 'changes nothing on an unchanged rerun: Status Unchanged, not one connection' {
        $since = [datetime]::UtcNow
        $info = $null
        $results = Import-Csv $script:Export -Delimiter ';' | Sync-G5Activity -StatePath $script:State -InformationVariable info
        $results.Status | Should -Be @('Unchanged', 'Unchanged')
        $results.Reason | Should -Be @('NoChange', 'NoChange')
        $results.Sequence | Should -Be @(0, 0)
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0
        Get-SessionCount -Since $since | Should -Be 0
        "$(($info | Where-Object { $_.Tags -contains 'Summary' }).MessageData)" | Should -Match '^Sync-G5Activity: 0 Created, 0 Updated, 0 Cancelled, 2 Unchanged, 0 Failed in '
    }

    It 'updates a changed activity: the same UID, SEQUENCE 1, only that one sent' {
        $rows = @($script:Rows[0].Clone(), $script:Rows[1].Clone())
        $rows[1].Location = 'Lastkaj 3'
        $results = Import-Csv (New-Export $rows) -Delimiter ';' | Sync-G5Activity -StatePath $script:State
        $results.Status | Should -Be @('Unchanged', 'Updated')
        $results[1].Sequence | Should -Be 1
        $invitations = @(Get-Invitation)
        $invitations.Count | Should -Be 1
        $invitations[0].Lines | Should -Contain 'UID:monitor-activity-A-1002@olbryggeriet.example'
        $invitations[0].Lines | Should -Contain 'SEQUENCE:1'
        $invitations[0].Lines | Should -Contain 'LOCATION:Lastkaj 3'
        $invitations[0].Message.Subject | Should -Be 'Updated: Leverans öl'
        $script:Rows[1].Location = 'Lastkaj 3'
    }

    It 'cancels an activity whose Status is Cancelled: METHOD:CANCEL, STATUS:CANCELLED, a higher SEQUENCE; then leaves it alone' {
        $rows = @($script:Rows[0].Clone(), $script:Rows[1].Clone())
        $rows[0].Status = 'Cancelled'
        $export = New-Export $rows
        $results = Import-Csv $export -Delimiter ';' | Sync-G5Activity -StatePath $script:State
        $results.Status | Should -Be @('Cancelled', 'Unchanged')
        $results[0].Sequence | Should -Be 1
        $invitations = @(Get-Invitation)
        $invitations.Count | Should -Be 1
        $invitations[0].Method | Should -Be 'CANCEL'
        $invitations[0].Lines | Should -Contain 'METHOD:CANCEL'
        $invitations[0].Lines | Should -Contain 'STATUS:CANCELLED'
        $invitations[0].Lines | Should -Contain 'SEQUENCE:1'
        $invitations[0].Lines | Should -Not -Contain 'BEGIN:VALARM'
        $invitations[0].Message.Subject | Should -Be 'Cancelled: Säljmöte Åhléns, Växjö'

        Clear-Smtp4DevMessages $script:Server
        (Import-Csv $export -Delimiter ';' | Sync-G5Activity -StatePath $script:State).Status | Should -Be @('Unchanged', 'Unchanged')
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0
    }

    It '-RemoveMissing cancels what the state has and the export no longer holds, and nothing when the export is empty' {
        $state = Join-Path $script:Work 'remove.jsonl'
        (Import-Csv (New-Export $script:Rows) -Delimiter ';' | Sync-G5Activity -StatePath $state).Status | Should -Be @('Created', 'Created')
        Clear-Smtp4DevMessages $script:Server

        # An empty export (Monitor failed to write it) must not empty the calendars.
        $warnings = $null
        @() | Sync-G5Activity -StatePath $state -RemoveMissing -WarningVariable warnings -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        "$warnings" | Should -Match 'cancelled nothing'
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0

        $results = Import-Csv (New-Export @($script:Rows[0])) -Delimiter ';' | Sync-G5Activity -StatePath $state -RemoveMissing
        $results.ActivityId | Should -Be @('A-1001', 'A-1002')
        $results.Status | Should -Be @('Unchanged', 'Cancelled')
        $results[1].Reason | Should -Be 'Missing'
        $invitations = @(Get-Invitation)
        $invitations.Count | Should -Be 1
        $invitations[0].Lines | Should -Contain 'METHOD:CANCEL'
        $invitations[0].Lines | Should -Contain 'UID:monitor-activity-A-1002@olbryggeriet.example'
    }

    It '-WhatIf says what would change and changes nothing (no mail, state untouched)' {
        $before = Get-Content $script:State -Raw
        $rows = @($script:Rows[0].Clone(), $script:Rows[1].Clone(), @{ Id = 'A-1003'; Subject = 'Ny'; Start = '2027-05-01 08:00'; End = '2027-05-01 09:00' })
        $rows[0].Status = ''; $rows[0].Subject = 'Säljmöte, flyttat'
        $results = Import-Csv (New-Export $rows) -Delimiter ';' | Sync-G5Activity -StatePath $script:State -WhatIf
        $results.Status | Should -Be @('WhatIf', 'Unchanged', 'WhatIf')
        $results[0].Reason | Should -Be 'Create' -Because 'A-1001 was cancelled by the test before: active again, its event is created anew (same UID, higher SEQUENCE)'
        $results[0].Uid | Should -Be 'monitor-activity-A-1001@olbryggeriet.example'
        $results[0].Sequence | Should -Be 2
        $results[2].Reason | Should -Be 'Create'
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0
        Get-Content $script:State -Raw | Should -Be $before
    }

    It 'holds the state lock: a second run on the same state stops with StateLocked and sends nothing' {
        $lock = [IO.File]::Open("$($script:State).lock", 'OpenOrCreate', 'ReadWrite', 'None')
        try {
            { Import-Csv $script:Export -Delimiter ';' | Sync-G5Activity -StatePath $script:State -ErrorAction Stop } |
                Should -Throw -ErrorId 'StateLocked,G5Mail.Commands.SyncG5ActivityCommand'
        }
        finally { $lock.Dispose() }
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0
    }
}

Describe 'Sync-G5Activity: many activities, bad input, files' {
    BeforeEach { Clear-Smtp4DevMessages $script:Server }

    It 'sends 200 activities in one run over one connection, in input order' {
        $since = [datetime]::UtcNow
        $activities = 1..200 | ForEach-Object {
            [pscustomobject]@{ ActivityId = "B-$_"; Subject = "Servicebesök $_"; Start = [datetime]::new(2027, 2, 1, 8, 0, 0).AddHours($_); DurationMinutes = 45; TimeZone = 'Europe/Stockholm'; Organizer = 'tekniker@olbryggeriet.example' }
        }
        $results = $activities | Sync-G5Activity -StatePath (Join-Path $script:Work 'many.jsonl')
        $results.Count | Should -Be 200
        @($results | Where-Object Status -ne 'Created').Count | Should -Be 0
        $results.ActivityId | Should -Be @($activities.ActivityId)
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 200
        Get-SessionCount -Since $since -Expected 1 | Should -Be 1
    }

    It 'reports each bad activity with its own error id and still sends the good ones' {
        $activities = @(
            [pscustomobject]@{ ActivityId = ''; Subject = 'Utan id'; Start = '2027-04-01 10:00'; End = '2027-04-01 11:00' }
            [pscustomobject]@{ ActivityId = 'C-2'; Subject = 'Baklänges'; Start = '2027-04-01 10:00'; End = '2027-04-01 09:00' }
            [pscustomobject]@{ ActivityId = 'C-3'; Subject = 'Okänd zon'; Start = '2027-04-01 10:00'; End = '2027-04-01 11:00'; TimeZone = 'Mars/Olympus' }
            [pscustomobject]@{ ActivityId = 'C-4'; Subject = 'Fel adress'; Start = '2027-04-01 10:00'; End = '2027-04-01 11:00'; Attendees = 'kund@@example' }
            [pscustomobject]@{ ActivityId = 'C-5'; Subject = 'Sommartid'; Start = '2027-03-28 02:30'; End = '2027-03-28 04:00'; TimeZone = 'Europe/Stockholm' }
            [pscustomobject]@{ ActivityId = 'C-6'; Subject = 'Bra'; Start = '2027-04-01 10:00'; End = '2027-04-01 11:00'; TimeZone = 'Europe/Stockholm' }
        )
        $errors = $null
        $results = $activities | Sync-G5Activity -ErrorVariable errors -ErrorAction SilentlyContinue
        $results.Status | Should -Be @('Failed', 'Failed', 'Failed', 'Failed', 'Failed', 'Updated')
        $results[0..4].ErrorId | Should -Be @('InvalidActivity', 'InvalidActivity', 'InvalidActivity', 'InvalidAddress', 'InvalidActivity')
        $results[5].ErrorId | Should -BeNullOrEmpty
        $results[5].Reason | Should -Be 'NoState'
        $errors.Count | Should -Be 5
        $errors[0].FullyQualifiedErrorId | Should -Be 'InvalidActivity,G5Mail.Commands.SyncG5ActivityCommand'
        $errors[1].Exception.Message | Should -Match 'ends .* before it starts'
        $errors[2].Exception.Message | Should -Match 'Mars/Olympus'
        $errors[4].Exception.Message | Should -Match 'does not exist in Europe/Stockholm.*02:00 to 03:00'
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 1
    }

    It 'takes [datetime] values from Get-Date, variables and calculated properties (PSObject-wrapped), as wall-clock times in the zone' {
        $start = Get-Date -Year 2027 -Month 9 -Day 6 -Hour 13 -Minute 15 -Second 0 -Millisecond 0
        $one = Sync-G5Activity -ActivityId 'F-1' -Subject 'Från Get-Date' -Start $start -End $start.AddMinutes(30) -TimeZone 'Europe/Stockholm' -IcsDirectory (Join-Path $script:Work 'dates')
        $one.Status | Should -Be 'Draft'
        $one.Start | Should -Be ([DateTimeOffset]::new(2027, 9, 6, 13, 15, 0, [TimeSpan]::FromHours(2)))
        $calculated = [pscustomobject]@{ Id = 'F-2'; When = $start } |
            Select-Object @{ n = 'ActivityId'; e = { $_.Id } }, @{ n = 'Start'; e = { $_.When } }, @{ n = 'DurationMinutes'; e = { 45 } }, @{ n = 'AllDay'; e = { $false } } |
            Sync-G5Activity -TimeZone 'Europe/Stockholm' -IcsDirectory (Join-Path $script:Work 'dates')
        $calculated.Status | Should -Be 'Draft'
        $calculated.End | Should -Be ([DateTimeOffset]::new(2027, 9, 6, 14, 0, 0, [TimeSpan]::FromHours(2)))
    }

    It 'writes all-day activities as DATE values, the End being the last day' {
        $results = [pscustomobject]@{ ActivityId = 'D-1'; Subject = 'Inventering'; Start = '2027-06-01'; End = '2027-06-02'; AllDay = 'Ja' } | Sync-G5Activity
        $results.Status | Should -Be 'Updated'
        $lines = (Get-Invitation).Lines
        $lines | Should -Contain 'DTSTART;VALUE=DATE:20270601'
        $lines | Should -Contain 'DTEND;VALUE=DATE:20270603'
        $lines | Should -Contain 'X-MICROSOFT-CDO-ALLDAYEVENT:TRUE'
        $lines | Should -Not -Contain 'BEGIN:VTIMEZONE'
    }

    It '-IcsDirectory writes one .ics per activity (Status Draft) and connects to nothing' {
        $since = [datetime]::UtcNow
        $dir = Join-Path $script:Work 'ics'
        $results = Import-Csv (New-Export $script:Rows) -Delimiter ';' | Sync-G5Activity -IcsDirectory $dir -Method Outlook
        $results.Status | Should -Be @('Draft', 'Draft')
        $results.Method | Should -Be @('Ics', 'Ics')
        @(Get-ChildItem $dir -Filter *.ics).Name | Sort-Object | Should -Be @('A-1001.ics', 'A-1002.ics')
        $results[0].Path | Should -Be (Join-Path $dir 'A-1001.ics')
        Get-Content $results[0].Path -Raw | Should -Match 'UID:monitor-activity-A-1001@olbryggeriet.example'
        Get-SessionCount -Since $since | Should -Be 0
    }

    It 'stops with MethodNotSupported for Outlook where there is no Outlook (not Windows), naming -IcsDirectory, before any activity' -Skip:$IsWindows {
        $caught = $null
        try { [pscustomobject]@{ ActivityId = 'E-1'; Start = '2027-04-01 10:00'; DurationMinutes = 30 } | Sync-G5Activity -Method Outlook -ErrorAction Stop }
        catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'MethodNotSupported,G5Mail.Commands.SyncG5ActivityCommand'
        $caught.Exception.Message | Should -Match '-IcsDirectory'
    }

    It '-RemoveMissing without -StatePath is refused before anything is sent' {
        { [pscustomobject]@{ ActivityId = 'E-2'; Start = '2027-04-01 10:00'; DurationMinutes = 30 } | Sync-G5Activity -RemoveMissing -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidSetting,G5Mail.Commands.SyncG5ActivityCommand'
        @(Get-Smtp4DevMessageList $script:Server).Count | Should -Be 0
    }
}
