#Requires -Version 7.4
<#
    Benchmark child: the floor, a hand-written MailKit loop as a sysadmin would write it in PowerShell. One
    connection, STARTTLS + AUTH once, then per recipient a new MimeMessage with the PDF and Send. MailKit and MimeKit
    are loaded from -LibraryPath (the same versions G5Mail ships). The certificate is pinned by thumbprint, as
    G5Mail's is. -NoDelay connects the socket itself with TCP_NODELAY (a tuned loop). Prints one JSON line.
#>
param(
    [Parameter(Mandatory)] [string] $LibraryPath,
    [Parameter(Mandatory)] [int] $Port,
    [Parameter(Mandatory)] [string] $Thumbprint,
    [Parameter(Mandatory)] [string] $User,
    [Parameter(Mandatory)] [string] $Pdf,
    [int] $Count = 500,
    [switch] $NoDelay,
    [switch] $Async
)
$ErrorActionPreference = 'Stop'
# The module folder, or any folder below it (the module may keep its dependencies in a subfolder).
foreach ($name in 'BouncyCastle.Cryptography', 'MimeKit', 'MailKit') {
    $dll = Get-ChildItem -LiteralPath $LibraryPath -Recurse -File -Filter "$name.dll" | Select-Object -First 1
    if (-not $dll) { throw "$name.dll is not under $LibraryPath." }
    Add-Type -Path $dll.FullName
}

$client = [MailKit.Net.Smtp.SmtpClient]::new()
$client.CheckCertificateRevocation = $false
$pin = $Thumbprint
$client.ServerCertificateValidationCallback = { param($sender, $certificate, $chain, $errors) $certificate.GetCertHashString() -eq $pin }.GetNewClosure()
if ($NoDelay) {
    $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::InterNetwork, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Tcp)
    $socket.NoDelay = $true
    $socket.Connect([Net.IPAddress]::Loopback, $Port)
    $client.Connect($socket, '127.0.0.1', $Port, [MailKit.Security.SecureSocketOptions]::StartTls)
}
else {
    $client.Connect('127.0.0.1', $Port, [MailKit.Security.SecureSocketOptions]::StartTls)
}
$client.Authenticate($User, $env:G5BENCH_PASSWORD)

$process = [Diagnostics.Process]::GetCurrentProcess()
$cpu = $process.TotalProcessorTime
$watch = [Diagnostics.Stopwatch]::StartNew()
for ($i = 1; $i -le $Count; $i++) {
    $message = [MimeKit.MimeMessage]::new()
    $message.From.Add([MimeKit.MailboxAddress]::Parse('mailkit@bench.test'))
    $message.To.Add([MimeKit.MailboxAddress]::Parse("r$i@bench.test"))
    $message.Subject = "Invoice INV$i"
    $body = [MimeKit.BodyBuilder]::new()
    $body.TextBody = "Invoice INV$i is attached."
    $null = $body.Attachments.Add($Pdf)
    $message.Body = $body.ToMessageBody()
    if ($Async) { $null = $client.SendAsync($message).GetAwaiter().GetResult() } else { $null = $client.Send($message) }
}
$watch.Stop()
$client.Disconnect($true)
$process.Refresh()
[ordered]@{ elapsedMs = $watch.Elapsed.TotalMilliseconds; cpuMs = ($process.TotalProcessorTime - $cpu).TotalMilliseconds; sent = $Count; failed = 0; firstError = $null } | ConvertTo-Json -Compress
