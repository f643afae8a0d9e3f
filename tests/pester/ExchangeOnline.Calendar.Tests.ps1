#Requires -Version 7.4
# Sync-G5Activity with Method ExchangeOnline (client secret), as a user runs it, against the local Entra ID and Graph
# stand-ins (tests/G5Mail.TestServers): every assertion about an event is about what the stand-in stored, read back
# through GET /_test/events (all events, deleted ones included, with their extended properties), and every count of
# calls comes from its per-route counters.

BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestServers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force

    $script:Pki = New-G5TestPki -Install
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-cal-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null

    # apps[0] gets Calendars.ReadWrite; apps[2] is an app that can send mail but not write calendars.
    $script:Config = New-G5TestServerConfig
    $script:Config.apps[0].roles += 'Calendars.ReadWrite'
    $script:Config.apps[1].scopes += 'Calendars.ReadWrite'
    $script:Config.apps += [ordered]@{
        clientId = [guid]::NewGuid().ToString(); tenant = $script:Config.tenants[0].id; displayName = 'mail only'; roles = @('Mail.Send', 'Mail.ReadWrite')
        secrets  = @(@{ keyId = [guid]::NewGuid().ToString(); displayName = 'only'; value = 'Mo' + [guid]::NewGuid().ToString('N')
                startDateTime = [datetimeoffset]::UtcNow.AddDays(-1).ToString('o'); endDateTime = [datetimeoffset]::UtcNow.AddDays(200).ToString('o') })
    }
    $script:Server = Start-G5TestServer -Config $script:Config -Pki $script:Pki
    $script:Organizer = $script:Config.users[0].userPrincipalName
    $script:Property = 'String {c67aab68-4eed-4a65-9af0-e81e7378ed02} Name G5MailActivityId'

    function script:Use-Graph([int] $App = 0, [switch] $User) {
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        if ($User) {
            # UsernamePassword (ROPC) as users[0] through the public client apps[1]: the organizer is the signed-in user (/me).
            Set-G5MailSetting -Scope System -Method ExchangeOnline -AuthenticationFlow UsernamePassword -ClientId $script:Config.apps[1].clientId `
                -TenantId $script:Config.tenants[0].id -AuthorityHost $script:Server.BaseUri -GraphEndpoint $script:Server.BaseUri -From $script:Organizer -WarningAction SilentlyContinue
            $account = $script:Config.users[0]
            Set-G5MailSetting -Scope User -Credential ([pscredential]::new($account.userPrincipalName, (ConvertTo-SecureString $account.password -AsPlainText -Force))) -WarningAction SilentlyContinue
            return
        }
        $registration = $script:Config.apps[$App]
        Set-G5MailSetting -Scope System -Method ExchangeOnline -AuthenticationFlow ClientSecret -ClientId $registration.clientId `
            -TenantId $script:Config.tenants[0].id -AuthorityHost $script:Server.BaseUri -GraphEndpoint $script:Server.BaseUri -From $script:Organizer `
            -ClientSecret (ConvertTo-SecureString $registration.secrets[0].value -AsPlainText -Force) -WarningAction SilentlyContinue
    }

    # Activities as a script builds them from Monitor: Stockholm time, a reminder, categories, attendees.
    function script:New-Activity([string] $Id, [string] $Subject = "Möte $Id", [string] $Start = '2027-04-15 14:30', [string] $End = '2027-04-15 15:30') {
        [pscustomobject]@{
            ActivityId = $Id; Subject = $Subject; Start = $Start; End = $End; TimeZone = 'Europe/Stockholm'
            Location = 'Storgatan 1, Växjö'; Description = "Gå igenom order $Id"; Attendees = @('kund@ahlens.example', 'Sälj <salj@olbryggeriet.example>')
            ReminderMinutes = 15; Categories = @('Monitor', 'Sälj'); ShowAs = 'Tentative'
        }
    }

    function script:Get-Events([switch] $IncludeDeleted) {
        # One JSON array: unrolled into its events.
        $all = @((Invoke-RestMethod -Uri "$($script:Server.BaseUri)/_test/events" -SkipCertificateCheck) | ForEach-Object { $_ })
        if ($IncludeDeleted) { $all } else { @($all | Where-Object { -not $_.deleted }) }
    }

    function script:Get-ActivityId($Event) { ($Event.singleValueExtendedProperties | Where-Object id -eq $script:Property).value }

    # Counters as a flat hashtable: routes, token requests, faults; Get-Delta gives what a run added.
    function script:Get-Counts {
        $s = Get-G5TestServerStats -Server $script:Server
        $counts = @{ graph = [int] $s.graphRequests.total; tokens = [int] $s.tokenRequests.total; faults = [int] $s.faultsInjected }
        foreach ($p in $s.byRoute.PSObject.Properties) { $counts[$p.Name] = [int] $p.Value }
        $counts
    }
    function script:Get-Delta([hashtable] $Before) {
        $after = Get-Counts
        $delta = @{}
        foreach ($k in $after.Keys) { $delta[$k] = $after[$k] - ($Before[$k] ?? 0) }
        foreach ($k in 'createEvent', 'listEvents', 'updateEvent', 'deleteEvent', 'cancelEvent', 'graph', 'tokens', 'faults') { $delta[$k] = $delta[$k] ?? 0 }
        $delta
    }
}

AfterAll {
    if ($script:Server) { Stop-G5TestServer -Server $script:Server }
    if ($script:Pki) { Remove-G5TestPki -Pki $script:Pki }
    Remove-Item $script:Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Sync-G5Activity with Exchange Online: events through Microsoft Graph' {
    BeforeAll {
        Reset-G5TestServer -Server $script:Server
        $script:State = Join-Path $script:Work 'state.jsonl'
        $script:Activities = @((New-Activity 'A-1'), (New-Activity 'A-2' -Start '2027-11-02 09:00' -End '2027-11-02 10:00'))
        Use-Graph
    }

    It 'creates each activity as an event in the organizer''s calendar: Windows time zone, the activity id as an extended property, nobody invited' {
        $before = Get-Counts
        $results = $script:Activities | Sync-G5Activity -StatePath $script:State

        $results.Status | Should -Be @('Created', 'Created')
        $results.Method | Should -Be @('ExchangeOnline', 'ExchangeOnline')
        $results.Mailbox | Should -Be @($script:Organizer, $script:Organizer)
        $events = Get-Events
        $events.Count | Should -Be 2
        $first = $events | Where-Object { (Get-ActivityId $_) -eq 'A-1' }
        $results[0].RemoteId | Should -Be $first.id
        $first.mailbox | Should -Be $script:Organizer
        $first.subject | Should -Be 'Möte A-1'
        $first.body.contentType | Should -Be 'text'
        $first.body.content | Should -Be 'Gå igenom order A-1'
        # ConvertFrom-Json reads the wall-clock dateTime as a [datetime] (kind Unspecified: no offset, the zone is timeZone).
        $first.start.dateTime | Should -Be ([datetime] '2027-04-15T14:30:00')
        $first.start.dateTime.Kind | Should -Be 'Unspecified'
        $first.start.timeZone | Should -Be 'W. Europe Standard Time'
        $first.end.dateTime | Should -Be ([datetime] '2027-04-15T15:30:00')
        $first.end.timeZone | Should -Be 'W. Europe Standard Time'
        $first.isAllDay | Should -BeFalse
        $first.location.displayName | Should -Be 'Storgatan 1, Växjö'
        $first.categories | Should -Be @('Monitor', 'Sälj')
        $first.showAs | Should -Be 'tentative'
        $first.isReminderOn | Should -BeTrue
        $first.reminderMinutesBeforeStart | Should -Be 15
        $first.transactionId | Should -Match '^g5mail-[0-9a-f]{32}$'
        @($first.attendees).Count | Should -Be 0 -Because 'without -InviteAttendees the event is in the organizer''s calendar alone'
        @($first.notifications).Count | Should -Be 0

        $delta = Get-Delta $before
        $delta.createEvent | Should -Be 2
        $delta.listEvents | Should -Be 2 -Because 'no event id is known yet, so each create first looks the activity id up'
        $delta.tokens | Should -Be 1
    }

    It 'an unchanged rerun makes no Graph call and asks for no token' {
        $before = Get-Counts
        $results = $script:Activities | Sync-G5Activity -StatePath $script:State
        $results.Status | Should -Be @('Unchanged', 'Unchanged')
        $delta = Get-Delta $before
        $delta.graph | Should -Be 0
        $delta.tokens | Should -Be 0
    }

    It 'updates one changed field with PATCH on the same event' {
        $id = ((Get-Events) | Where-Object { (Get-ActivityId $_) -eq 'A-2' }).id
        $script:Activities[1].Location = 'Lastkaj 3'
        $before = Get-Counts
        $results = $script:Activities | Sync-G5Activity -StatePath $script:State

        $results.Status | Should -Be @('Unchanged', 'Updated')
        $results[1].RemoteId | Should -Be $id
        $results[1].Sequence | Should -Be 1
        $events = Get-Events
        $events.Count | Should -Be 2
        ($events | Where-Object id -eq $id).location.displayName | Should -Be 'Lastkaj 3'
        $delta = Get-Delta $before
        $delta.updateEvent | Should -Be 1
        $delta.createEvent | Should -Be 0
        $delta.listEvents | Should -Be 0
    }

    It 'rebuilds a lost state file from the extended property: no duplicates, Updated FoundExisting' {
        Remove-Item $script:State
        $before = Get-Counts
        $results = $script:Activities | Sync-G5Activity -StatePath $script:State

        $results.Status | Should -Be @('Updated', 'Updated')
        $results.Reason | Should -Be @('FoundExisting', 'FoundExisting')
        (Get-Events).Count | Should -Be 2
        $delta = Get-Delta $before
        $delta.createEvent | Should -Be 0
        $delta.listEvents | Should -Be 2
        $delta.updateEvent | Should -Be 2
        # The rebuilt state knows the events again: the next run is unchanged.
        ($script:Activities | Sync-G5Activity -StatePath $script:State).Status | Should -Be @('Unchanged', 'Unchanged')
    }

    It 'cancels an event without attendees by deleting it' {
        $id = ((Get-Events) | Where-Object { (Get-ActivityId $_) -eq 'A-1' }).id
        $cancelled = $script:Activities[0].PSObject.Copy()
        $cancelled | Add-Member -NotePropertyName Status -NotePropertyValue 'Cancelled'
        $before = Get-Counts
        $result = $cancelled | Sync-G5Activity -StatePath $script:State

        $result.Status | Should -Be 'Cancelled'
        $result.RemoteId | Should -Be $id
        $delta = Get-Delta $before
        $delta.deleteEvent | Should -Be 1
        $delta.cancelEvent | Should -Be 0
        (Get-Events).id | Should -Not -Contain $id
        ((Get-Events -IncludeDeleted) | Where-Object id -eq $id).deleted | Should -BeTrue
    }
}

Describe 'Sync-G5Activity with Exchange Online: invitations, faults, permissions, many activities' {
    BeforeEach {
        Reset-G5TestServer -Server $script:Server
        Use-Graph
    }

    It '-InviteAttendees puts the attendees on the event, and a cancellation then goes through event: cancel with a comment' {
        $state = Join-Path $script:Work ('invite-' + [guid]::NewGuid().ToString('N') + '.jsonl')
        $activity = New-Activity 'M-1' -Subject 'Säljmöte'
        $created = $activity | Sync-G5Activity -StatePath $state -InviteAttendees
        $created.Status | Should -Be 'Created'
        $event = (Get-Events)[0]
        # (ForEach-Object: on an array, .Address would be the array's own Address method.)
        ($event.attendees | ForEach-Object { $_.emailAddress.address }) | Should -Be @('kund@ahlens.example', 'salj@olbryggeriet.example')
        ($event.attendees | ForEach-Object { $_.emailAddress.name }) | Should -Be @('kund@ahlens.example', 'Sälj')
        $event.attendees.type | Should -Be @('required', 'required')
        $event.notifications | Should -Be @('invite kund@ahlens.example', 'invite salj@olbryggeriet.example')

        $activity | Add-Member -NotePropertyName Status -NotePropertyValue 'Cancelled'
        $before = Get-Counts
        $cancelled = $activity | Sync-G5Activity -StatePath $state -InviteAttendees
        $cancelled.Status | Should -Be 'Cancelled'
        $delta = Get-Delta $before
        $delta.cancelEvent | Should -Be 1
        $delta.deleteEvent | Should -Be 0
        $stored = (Get-Events -IncludeDeleted)[0]
        $stored.deleted | Should -BeTrue
        $stored.cancelComment | Should -Match 'Säljmöte'
        $stored.notifications | Should -Contain 'cancel kund@ahlens.example'
    }

    It 'waits out a 429 (Retry-After) and succeeds on the one retry' {
        Set-G5TestServerFault -Server $script:Server -Path createEvent -Status 429 -RetryAfterSeconds 2 -Count 1 | Out-Null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $output = New-Activity 'T-1' | Sync-G5Activity -StatePath (Join-Path $script:Work ('t-' + [guid]::NewGuid().ToString('N') + '.jsonl')) -Verbose 4>&1
        $watch.Stop()
        $result = $output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $verbose = ($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"

        $result.Status | Should -Be 'Created'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 2 -Because 'Retry-After: 2 is honoured'
        $verbose | Should -Match 'retry 1 of \d+ in 2\.0 s \(the server asked for 2\.0 s\)'
        $counts = Get-Counts
        $counts.createEvent | Should -Be 2
        $counts.faults | Should -Be 1
        (Get-Events).Count | Should -Be 1
    }

    It 'a create whose answer is lost (<Answer>) is retried without a second event' -ForEach @(
        @{ Answer = 'brokenBody'; Created = 1 }  # Graph made the event, the answer came back unreadable
        @{ Answer = 'stall'; Created = 2 }       # no answer at all within TimeoutSeconds
    ) {
        Set-G5TestServerFault -Server $script:Server -Path createEvent -Method POST -Answer $Answer -Count 1 | Out-Null
        $result = New-Activity 'L-1' | Sync-G5Activity -StatePath (Join-Path $script:Work ('l-' + [guid]::NewGuid().ToString('N') + '.jsonl')) -TimeoutSeconds 2 -RetryDelaySeconds 0.2

        $result.Status | Should -Be 'Created'
        $events = Get-Events
        $events.Count | Should -Be 1
        $result.RemoteId | Should -Be $events[0].id
        $counts = Get-Counts
        $counts.createEvent | Should -Be $Created -Because 'after a lost answer the retry looks the activity id up first, and POSTs only when Graph has no event for it'
        $counts.listEvents | Should -Be 2
    }

    It 'an app without Calendars.ReadWrite fails each activity with PermissionDenied naming the permission; the run goes on trying (scope Message)' {
        Use-Graph -App 2
        $before = Get-Counts
        $errors = $null
        $results = @((New-Activity 'P-1'), (New-Activity 'P-2'), (New-Activity 'P-3')) |
            Sync-G5Activity -StatePath (Join-Path $script:Work ('p-' + [guid]::NewGuid().ToString('N') + '.jsonl')) -ErrorVariable errors -ErrorAction SilentlyContinue

        $results.Status | Should -Be @('Failed', 'Failed', 'Failed')
        $results.ErrorId | Should -Be @('PermissionDenied', 'PermissionDenied', 'PermissionDenied')
        $errors.Count | Should -Be 3
        $errors[0].FullyQualifiedErrorId | Should -Match '^PermissionDenied'
        "$($errors[0].CategoryInfo.Category)" | Should -Be 'PermissionDenied'
        $errors[0].Exception.Message | Should -Match 'application permission Calendars\.ReadWrite'
        $errors[0].Exception.Message | Should -Match 'Grant admin consent'
        # PermissionDenied is a failure of the one call (FailureClassification: scope Message), not of the account, so the
        # breaker stays closed: every activity is tried (one look-up each), none is retried.
        $delta = Get-Delta $before
        $delta.listEvents | Should -Be 3
        $delta.createEvent | Should -Be 0
        $delta.tokens | Should -Be 1
        (Get-Events).Count | Should -Be 0
    }

    It 'syncs 100 activities with -ThrottleLimit 4 over several connections with one token, results in input order' {
        $activities = foreach ($n in 1..100) { New-Activity ('N-{0:000}' -f $n) -Start ('2027-06-01 {0:00}:00' -f (8 + $n % 10)) -End ('2027-06-01 {0:00}:30' -f (8 + $n % 10)) }
        $output = $activities | Sync-G5Activity -StatePath (Join-Path $script:Work ('n-' + [guid]::NewGuid().ToString('N') + '.jsonl')) -ThrottleLimit 4 -Verbose 4>&1
        $results = @($output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $lines = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)

        $results.Count | Should -Be 100
        @($results | Where-Object Status -eq 'Created').Count | Should -Be 100
        ($results.ActivityId -join ',') | Should -Be (($activities.ActivityId) -join ',')
        @($lines | Where-Object { $_ -match 'Opening connection \d+ of at most 4' }).Count | Should -BeGreaterThan 1
        $counts = Get-Counts
        $counts.tokens | Should -Be 1
        $counts.createEvent | Should -Be 100
        $events = Get-Events
        $events.Count | Should -Be 100
        @($events | ForEach-Object { Get-ActivityId $_ } | Sort-Object -Unique).Count | Should -Be 100
    }

    It 'UsernamePassword: the signed-in organizer''s own calendar is /me' {
        Use-Graph -User
        $since = (Get-Content -Raw $script:Server.LogPath).Length
        $result = New-Activity 'U-1' | Sync-G5Activity -StatePath (Join-Path $script:Work ('u-' + [guid]::NewGuid().ToString('N') + '.jsonl')) -WarningAction SilentlyContinue

        $result.Status | Should -Be 'Created'
        $result.Mailbox | Should -Be $script:Organizer
        (Get-Events).mailbox | Should -Be $script:Organizer
        $log = (Get-Content -Raw $script:Server.LogPath).Substring($since)
        $log | Should -Match 'POST /v1\.0/me/events -> 201'
        $log | Should -Not -Match '/v1\.0/users/'
        (Get-Counts).tokens | Should -Be 1
    }

    It 'shows no secret, password or token in any output stream, error or the server log' {
        $Error.Clear()
        $state = Join-Path $script:Work ('s-' + [guid]::NewGuid().ToString('N') + '.jsonl')
        $all = @(
            Use-Graph
            New-Activity 'S-1' | Sync-G5Activity -StatePath $state -InviteAttendees -Verbose *>&1
            Use-Graph -App 2
            New-Activity 'S-2' | Sync-G5Activity -StatePath $state -Verbose -ErrorAction Continue *>&1
            Use-Graph -User
            New-Activity 'S-3' | Sync-G5Activity -StatePath $state -Verbose *>&1
        )
        @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -BeGreaterOrEqual 1
        $text = ((@($all) + @($Error) + @(Get-Content -Raw $script:Server.LogPath)) | Out-String -Width 8192) + (($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { $_.Exception.ToString() }) -join "`n")
        $secrets = @($script:Config.apps | ForEach-Object { if ($_.Contains('secrets')) { $_.secrets.value } }) + @($script:Config.users.password) | Where-Object { $_ }
        $secrets.Count | Should -BeGreaterOrEqual 5
        foreach ($secret in $secrets) { $text.Contains($secret) | Should -BeFalse -Because 'no secret or password may appear in any output' }
        $text | Should -Not -Match 'eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}' -Because 'no access token may appear in any output'
    }

    It 'Test-G5MailServer warns when the app lacks Calendars.ReadWrite (mail still works)' {
        Use-Graph -App 2
        $missing = Test-G5MailServer
        $missing.Success | Should -BeTrue -Because ($missing.Findings | Where-Object Severity -eq 'Error' | Out-String)
        $finding = $missing.Findings | Where-Object Code -eq 'CalendarPermissionMissing'
        $finding.Severity | Should -Be 'Warning'
        $finding.Setting | Should -Be 'ClientId'
        $finding.Message | Should -Match 'application permission Calendars\.ReadWrite'
        $finding.Message | Should -Match 'Sync-G5Activity'

        Use-Graph
        $granted = Test-G5MailServer
        $granted.Success | Should -BeTrue
        $granted.Findings.Code | Should -Not -Contain 'CalendarPermissionMissing'
    }
}
