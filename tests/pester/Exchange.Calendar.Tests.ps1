#Requires -Version 7.4
# Sync-G5Activity with Method Exchange (EWS calendar items) against the local EWS stand-in (tests/G5Mail.TestServers,
# HTTPS on 127.0.0.1 with a test CA trusted while these tests run). What the calendar holds is read back from the
# stand-in's /_test/ews/calendar, the meeting requests and cancellations it would have sent from /_test/ews/meetingMessages,
# and how often each EWS operation was called from /_test/stats.

BeforeAll {
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TestServers.psm1') -Force

    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-ewscal-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $script:Login = 'G5TEST\anna'
    $script:Mailbox = 'anna@olbryggeriet.example'
    $script:Password = 'Ews-' + [guid]::NewGuid().ToString('N').Substring(0, 14) + '!x'
    $script:SetId = 'c67aab68-4eed-4a65-9af0-e81e7378ed02'

    $script:Pki = New-G5TestPki -Install
    $script:Server = Start-G5TestServer -Pki $script:Pki -Config ([ordered]@{
            port = 0
            ews  = @{ users = @(
                    @{ userName = $script:Login; password = $script:Password; emailAddress = $script:Mailbox; displayName = 'Anna Ölbryggare' }
                    # A second mailbox whose calendar anna has no delegate access to.
                    @{ userName = 'G5TEST\erik'; password = 'Erik-' + [guid]::NewGuid().ToString('N'); emailAddress = 'erik@olbryggeriet.example'; displayName = 'Erik' }
                ) }
        })
    $script:EwsUrl = "$($script:Server.BaseUri)/EWS/Exchange.asmx"

    function script:Use-ExchangeSettings([string] $Password = $script:Password) {
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        Set-G5MailSetting -Scope System -Method Exchange -Server $script:EwsUrl -From $script:Mailbox -WarningAction SilentlyContinue
        Set-G5MailSetting -Scope User -Credential ([pscredential]::new($script:Login, (ConvertTo-SecureString $Password -AsPlainText -Force))) -WarningAction SilentlyContinue
    }

    function script:Invoke-Ews([string] $Method, [string] $Path, $Body) {
        $params = @{ Method = $Method; Uri = "$($script:Server.BaseUri)$Path"; SkipCertificateCheck = $true }
        if ($null -ne $Body) { $params.Body = ($Body | ConvertTo-Json -Depth 5 -Compress); $params.ContentType = 'application/json' }
        $response = Invoke-RestMethod @params
        $response
    }

    function script:Reset-Ews {
        Invoke-Ews Post '/_test/ews/reset' | Out-Null
        Reset-G5TestServer -Server $script:Server
    }

    function script:Get-Calendar { @(Invoke-Ews Get '/_test/ews/calendar') }
    function script:Get-MeetingMessage { @(Invoke-Ews Get '/_test/ews/meetingMessages') }

    # Calls per EWS operation since the last reset (ews.FindItem, ews.CreateItem, ...); -Total: every EWS request, 401s included.
    function script:Get-EwsCount([string] $Route, [switch] $Total) {
        $byRoute = (Get-G5TestServerStats -Server $script:Server).byRoute
        if ($Total) {
            $sum = 0
            foreach ($p in $byRoute.PSObject.Properties) { if ($p.Name -like 'ews*') { $sum += $p.Value } }
            return $sum
        }
        $value = $byRoute.$Route
        if ($null -eq $value) { 0 } else { $value }
    }

    function script:New-Activity([string] $Id = 'A-1001', [hashtable] $Change = @{}) {
        $activity = [ordered]@{
            ActivityId      = $Id
            Subject         = 'Säljmöte Åhléns, Växjö'
            Start           = '2027-04-15 14:30'
            End             = '2027-04-15 15:30'
            TimeZone        = 'Europe/Stockholm'
            Location        = 'Storgatan 1, Växjö'
            Description     = 'Gå igenom årets order'
            Attendees       = @('kund@ahlens.example')
            ReminderMinutes = 15
            Categories      = @('Monitor')
        }
        foreach ($k in $Change.Keys) { $activity[$k] = $Change[$k] }
        [pscustomobject] $activity
    }

    Use-ExchangeSettings
}

AfterAll {
    if ($script:Server) { Stop-G5TestServer -Server $script:Server }
    if ($script:Pki) { Remove-G5TestPki -Pki $script:Pki }
    Remove-Item $script:Work -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item Env:\G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
}

Describe 'Sync-G5Activity through Exchange (EWS calendar items)' {
    BeforeEach {
        Reset-Ews
        $script:State = Join-Path $script:Work ('state-' + [guid]::NewGuid().ToString('N') + '.jsonl')
    }

    It 'creates the calendar item in UTC with the Windows time zone and the activity id, and invites nobody' {
        $result = New-Activity | Sync-G5Activity -StatePath $script:State
        $result.Status | Should -Be 'Created'
        $result.Method | Should -Be 'Exchange'
        $result.Mailbox | Should -Be $script:Mailbox

        $items = Get-Calendar
        $items.Count | Should -Be 1
        $item = $items[0]
        $result.RemoteId | Should -Be $item.id
        $item.folder | Should -Be 'calendar'
        $item.mailbox | Should -Be $script:Mailbox
        $item.subject | Should -Be 'Säljmöte Åhléns, Växjö'
        $item.body | Should -Be 'Gå igenom årets order'
        # 14:30 in Stockholm in April is CEST (UTC+2).
        # Stored as EWS got them: UTC (ConvertFrom-Json reads the 'Z' strings as UTC dates).
        $item.start.ToUniversalTime() | Should -Be ([datetime]::new(2027, 4, 15, 12, 30, 0, [DateTimeKind]::Utc))
        $item.end.ToUniversalTime() | Should -Be ([datetime]::new(2027, 4, 15, 13, 30, 0, [DateTimeKind]::Utc))
        $item.startTimeZone | Should -Be 'W. Europe Standard Time'
        $item.endTimeZone | Should -Be 'W. Europe Standard Time'
        $item.isAllDayEvent | Should -BeFalse
        $item.location | Should -Be 'Storgatan 1, Växjö'
        $item.categories | Should -Be @('Monitor')
        $item.reminderIsSet | Should -BeTrue
        $item.reminderMinutesBeforeStart | Should -Be 15
        $item.legacyFreeBusyStatus | Should -Be 'Busy'
        $item.extendedProperties.Count | Should -Be 1
        $item.extendedProperties[0].propertySetId | Should -Be $script:SetId
        $item.extendedProperties[0].propertyName | Should -Be 'G5MailActivityId'
        $item.extendedProperties[0].propertyType | Should -Be 'String'
        $item.extendedProperties[0].value | Should -Be 'A-1001'
        # Without -InviteAttendees the attendees are not even on the item: no meeting, no meeting request.
        @($item.requiredAttendees).Count | Should -Be 0
        @(Get-MeetingMessage).Count | Should -Be 0
        Get-EwsCount 'ews.FindItem' | Should -Be 1 -Because 'a create without a known item looks it up by the activity id first'
        Get-EwsCount 'ews.CreateItem' | Should -Be 1
    }

    It 'updates one field in place (same item id, a new change key), and a rerun without changes makes no EWS call' {
        $created = New-Activity | Sync-G5Activity -StatePath $script:State
        $before = (Get-Calendar)[0]
        Reset-G5TestServer -Server $script:Server

        $updated = New-Activity -Change @{ Location = 'Lagret, Växjö' } | Sync-G5Activity -StatePath $script:State
        $updated.Status | Should -Be 'Updated'
        $updated.RemoteId | Should -Be $created.RemoteId
        $items = Get-Calendar
        $items.Count | Should -Be 1
        $items[0].id | Should -Be $before.id
        $items[0].location | Should -Be 'Lagret, Växjö'
        $items[0].subject | Should -Be $before.subject
        $items[0].version | Should -Be 2
        $items[0].changeKey | Should -Not -Be $before.changeKey
        Get-EwsCount 'ews.GetItem' | Should -Be 1 -Because 'the state keeps the item id only: the change key comes from GetItem'
        Get-EwsCount 'ews.UpdateItem' | Should -Be 1
        Get-EwsCount 'ews.CreateItem' | Should -Be 0

        Reset-G5TestServer -Server $script:Server
        $again = New-Activity -Change @{ Location = 'Lagret, Växjö' } | Sync-G5Activity -StatePath $script:State
        $again.Status | Should -Be 'Unchanged'
        Get-EwsCount -Total | Should -Be 0
    }

    It 'cancels with DeleteItem (to Deleted Items, no cancellation sent)' {
        New-Activity | Sync-G5Activity -StatePath $script:State | Out-Null
        Reset-G5TestServer -Server $script:Server
        $result = New-Activity -Change @{ Status = 'Cancelled' } | Sync-G5Activity -StatePath $script:State
        $result.Status | Should -Be 'Cancelled'
        $items = Get-Calendar
        $items.Count | Should -Be 1
        $items[0].folder | Should -Be 'deleteditems'
        Get-EwsCount 'ews.DeleteItem' | Should -Be 1
        Get-EwsCount 'ews.CreateItem' | Should -Be 0
        @(Get-MeetingMessage).Count | Should -Be 0
    }

    It 'with -InviteAttendees sends the meeting request on create and cancels with CancelCalendarItem' {
        $created = New-Activity | Sync-G5Activity -StatePath $script:State -InviteAttendees
        $created.Status | Should -Be 'Created'
        $item = (Get-Calendar)[0]
        $item.requiredAttendees | Should -Be @('kund@ahlens.example')
        $item.isMeeting | Should -BeTrue
        $requests = @(Get-MeetingMessage)
        $requests.Count | Should -Be 1
        $requests[0].kind | Should -Be 'Request'
        $requests[0].to | Should -Be @('kund@ahlens.example')

        Reset-G5TestServer -Server $script:Server
        $cancelled = New-Activity -Change @{ Status = 'Cancelled' } | Sync-G5Activity -StatePath $script:State -InviteAttendees
        $cancelled.Status | Should -Be 'Cancelled'
        $messages = @(Get-MeetingMessage)
        $messages.Count | Should -Be 2
        $messages[1].kind | Should -Be 'Cancellation'
        $messages[1].operation | Should -Be 'CancelCalendarItem'
        $messages[1].to | Should -Be @('kund@ahlens.example')
        (Get-Calendar)[0].folder | Should -Be 'deleteditems'
        (Get-Calendar)[0].isCancelled | Should -BeTrue
        Get-EwsCount 'ews.DeleteItem' | Should -Be 0
    }

    It 'finds the item by the activity id when the state file is lost: updated, no duplicate' {
        $first = New-Activity | Sync-G5Activity -StatePath $script:State
        Remove-Item $script:State
        Reset-G5TestServer -Server $script:Server
        $rerun = New-Activity -Change @{ Subject = 'Säljmöte Åhléns (flyttat)' } | Sync-G5Activity -StatePath $script:State
        $rerun.Status | Should -Be 'Updated'
        $rerun.Reason | Should -Be 'FoundExisting'
        $rerun.RemoteId | Should -Be $first.RemoteId
        $items = Get-Calendar
        $items.Count | Should -Be 1
        $items[0].subject | Should -Be 'Säljmöte Åhléns (flyttat)'
        Get-EwsCount 'ews.CreateItem' | Should -Be 0
        Get-EwsCount 'ews.FindItem' | Should -Be 1
    }

    It 'waits out ErrorServerBusy for the BackOffMilliseconds Exchange asks for, then creates (one retry)' {
        Invoke-Ews Post '/_test/ews/faults' @{ operation = 'CreateItem'; responseCode = 'ErrorServerBusy'; backOffMilliseconds = 300; count = 1 } | Out-Null
        $output = New-Activity | Sync-G5Activity -StatePath $script:State -Verbose 4>&1
        $result = $output | Where-Object { $_ -is [G5Mail.ActivityResult] }
        $result.Status | Should -Be 'Created'
        @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'retry 1 of 3 in 0\.3 s \(the server asked for 0\.3 s\) after ErrorServerBusy' }).Count | Should -Be 1
        Get-EwsCount 'ews.CreateItem' | Should -Be 2
        (Get-Calendar).Count | Should -Be 1
    }

    It 'does not create a second item when the answer to CreateItem is lost: the retry finds the first by the activity id' {
        # FindItem goes through; the CreateItem is carried out, then its answer is cut off (a proxy in between).
        Invoke-Ews Post '/_test/ews/faults' @{ operation = 'CreateItem'; answer = 'brokenBody'; count = 1 } | Out-Null
        $result = New-Activity | Sync-G5Activity -StatePath $script:State -RetryDelaySeconds 0.1
        $result.Status | Should -BeIn 'Created', 'Updated'
        $result.Reason | Should -Be 'FoundExisting'
        $items = Get-Calendar
        $items.Count | Should -Be 1
        $result.RemoteId | Should -Be $items[0].id
        Get-EwsCount 'ews.CreateItem' | Should -Be 1
        Get-EwsCount 'ews.FindItem' | Should -Be 2
    }

    It 'reports a wrong password once as AuthenticationFailed and does not try the other activities' {
        Use-ExchangeSettings -Password ('Wr0ng-' + [guid]::NewGuid().ToString('N'))
        try {
            $results = @(New-Activity 'A-1'; New-Activity 'A-2'; New-Activity 'A-3') |
                Sync-G5Activity -StatePath $script:State -ErrorVariable errs -ErrorAction SilentlyContinue
        }
        finally { Use-ExchangeSettings }
        $results.Count | Should -Be 3
        $results | ForEach-Object { $_.Status | Should -Be 'Failed' }
        $results[0].ErrorId | Should -Be 'AuthenticationFailed'
        $results[1].Reason | Should -Be 'NotAttempted'
        $results[2].Reason | Should -Be 'NotAttempted'
        @($results | Where-Object Reason -NE 'NotAttempted').Count | Should -Be 1 -Because 'the sign-in was tried for the first activity only'
        Get-EwsCount 'ews.FindItem' | Should -Be 0
        (Get-Calendar).Count | Should -Be 0
    }

    It 'fails an activity in a calendar the account may not write with PermissionDenied, and the others go on' {
        $results = @(New-Activity 'P-1' @{ Organizer = 'erik@olbryggeriet.example' }; New-Activity 'P-2') |
            Sync-G5Activity -StatePath $script:State -ErrorVariable errs -ErrorAction SilentlyContinue
        $results.Status | Should -Be @('Failed', 'Created')
        $results[0].ErrorId | Should -Be 'PermissionDenied'
        $errs[0].FullyQualifiedErrorId | Should -Be 'PermissionDenied,G5Mail.Commands.SyncG5ActivityCommand'
        @(Get-Calendar).Count | Should -Be 1
    }
}
