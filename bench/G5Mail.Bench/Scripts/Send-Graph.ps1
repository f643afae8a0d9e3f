#Requires -Version 7.4
<#
    Benchmark child for line 5: Exchange Online over Microsoft Graph against the local stand-ins for Entra ID and Graph
    (tests/G5Mail.TestServers over HTTPS, started with tests/pester/TestServers.psm1, a throw-away CA trusted in
    CurrentUser\Root for the run, as the ExchangeOnline Pester tests do). Graph "sends" by relaying to the harness's
    plain SMTP sink on -RelayPort.

    Run 1: -Count one-document messages (the same PDF to r1..rN) in ONE Send-G5Document pipeline.
    Run 2: one message with the -Large attachment (over 3 MB, so a draft and an upload session), in another
           Send-G5Document call.
    The stand-in's counters are reset before each run and read after it. Prints one JSON line:
      tokenRequests, sent, graphCalls, documentedCallsSmall, medianMs, byRoute             (run 1)
      largeTokenRequests, largeGraphCalls, documentedCallsLarge, largeElapsedMs, largeByRoute, largeSent (run 2)
    or { error } when the run could not be measured.

    The documented number of Graph calls per message (learn.microsoft.com):
    - user: sendMail (https://learn.microsoft.com/graph/api/user-sendmail) sends a message with its file attachments in
      one request; a file attached in the request must be under 3 MB and no request may exceed 4 MB
      (https://learn.microsoft.com/graph/outlook-large-attachments): 1 call for a message with one 100 KB PDF.
    - A file of 3 MB to 150 MB: create a draft (https://learn.microsoft.com/graph/api/user-post-messages), create an
      upload session on it (https://learn.microsoft.com/graph/api/attachment-createuploadsession), PUT byte ranges of
      "up to 4 MB each time", each but the last a multiple of 320 KiB
      (https://learn.microsoft.com/graph/api/driveitem-createuploadsession), then send the draft
      (https://learn.microsoft.com/graph/api/message-send): 1 + 1 + ceil(size / 3.75 MiB) + 1 calls.
#>
param(
    [Parameter(Mandatory)] [string] $Module,
    [Parameter(Mandatory)] [string] $Root,
    [Parameter(Mandatory)] [string] $Pdf,
    [Parameter(Mandatory)] [string] $Large,
    [Parameter(Mandatory)] [int] $RelayPort,
    [int] $Count = 100
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

$env:G5MAIL_REPO_ROOT = $Root
$env:G5MAIL_CONFIG_DIR = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-bench-config-' + [guid]::NewGuid().ToString('N'))
$pki = $null
$server = $null
try {
    Import-Module (Join-Path $Root 'tests/pester/TestServers.psm1') -Force
    Import-Module $Module

    $pki = New-G5TestPki -Install
    $config = New-G5TestServerConfig -SmtpPort $RelayPort
    $server = Start-G5TestServer -Config $config -Pki $pki -TimeoutSeconds 120

    $app = $config.apps[0]
    $sender = $config.users[0].userPrincipalName
    Set-G5MailSetting -Scope System -Method ExchangeOnline -ExchangeOnlineProtocol Graph -AuthenticationFlow ClientSecret `
        -ClientId $app.clientId -TenantId $config.tenants[0].id -AuthorityHost $server.BaseUri -GraphEndpoint $server.BaseUri `
        -ClientSecret (ConvertTo-SecureString $app.secrets[0].value -AsPlainText -Force) -From $sender -WarningAction SilentlyContinue

    function Get-Counts($Stats) {
        $routes = [ordered]@{}
        foreach ($p in $Stats.byRoute.PSObject.Properties) { $routes[$p.Name] = [int] $p.Value }
        [pscustomobject]@{ Tokens = [int] $Stats.tokenRequests.total; Graph = [int] $Stats.graphRequests.total; Routes = $routes; Delivered = [int] $Stats.messagesDelivered }
    }

    # Run 1: -Count one-document messages in one pipeline; a timestamp as each result comes out.
    Reset-G5TestServer -Server $server
    $documents = foreach ($i in 1..$Count) { [pscustomobject]@{ Path = $Pdf; To = "r$i@bench.test"; DocumentId = "INV$i" } }
    $stamps = [Collections.Generic.List[long]]::new()
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $results = @($documents | Send-G5Document -ErrorAction SilentlyContinue | ForEach-Object { $stamps.Add([Diagnostics.Stopwatch]::GetTimestamp()); $_ })
    $watch.Stop()
    $small = Get-Counts (Get-G5TestServerStats -Server $server)
    $failed = @($results | Where-Object Status -ne 'Sent')
    $intervals = for ($i = 1; $i -lt $stamps.Count; $i++) { ($stamps[$i] - $stamps[$i - 1]) * 1000.0 / [Diagnostics.Stopwatch]::Frequency }
    $sorted = @($intervals | Sort-Object)
    $median = if ($sorted.Count -eq 0) { [double]::NaN } elseif ($sorted.Count % 2) { $sorted[[int][math]::Floor($sorted.Count / 2)] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }

    # Run 2: one message with the large attachment, in another Send-G5Document call.
    Reset-G5TestServer -Server $server
    $largeWatch = [Diagnostics.Stopwatch]::StartNew()
    $largeResult = Send-G5Document -Path $Large -To 'large@bench.test' -DocumentId 'LARGE' -ErrorAction SilentlyContinue
    $largeWatch.Stop()
    $big = Get-Counts (Get-G5TestServerStats -Server $server)

    $size = (Get-Item -LiteralPath $Large).Length
    $range = [math]::Floor(4MB / 320KB) * 320KB   # the largest range "up to 4 MB" that is a multiple of 320 KiB
    [ordered]@{
        sent                 = $results.Count - $failed.Count
        failed               = $failed.Count
        firstError           = if ($failed.Count) { "$($failed[0].Error)" } else { $null }
        elapsedMs            = $watch.Elapsed.TotalMilliseconds
        medianMs             = $median
        tokenRequests        = $small.Tokens
        graphCalls           = $small.Graph
        delivered            = $small.Delivered
        byRoute              = $small.Routes
        documentedCallsSmall = 1
        largeSent            = [int] ($null -ne $largeResult -and $largeResult.Status -eq 'Sent')
        largeError           = if ($null -eq $largeResult -or $largeResult.Status -ne 'Sent') { "$($largeResult.Error)" } else { $null }
        largeBytes           = $size
        largeElapsedMs       = $largeWatch.Elapsed.TotalMilliseconds
        largeTokenRequests   = $big.Tokens
        largeGraphCalls      = $big.Graph
        largeDelivered       = $big.Delivered
        largeByRoute         = $big.Routes
        documentedCallsLarge = 1 + 1 + [int] [math]::Ceiling($size / $range) + 1
    } | ConvertTo-Json -Compress -Depth 4
}
catch {
    [ordered]@{ error = "$($_.Exception.Message) ($($_.InvocationInfo.PositionMessage -replace '\s+', ' '))" } | ConvertTo-Json -Compress
}
finally {
    if ($server) { Stop-G5TestServer -Server $server }
    if ($pki) { Remove-G5TestPki -Pki $pki }
    Remove-Item -LiteralPath $env:G5MAIL_CONFIG_DIR -Recurse -Force -ErrorAction SilentlyContinue
}
