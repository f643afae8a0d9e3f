# One coexistence scenario of Isolation.Tests.ps1, run in a fresh pwsh: G5Mail next to older Microsoft.Identity.Client
# and MimeKit in PowerShell's default load context, as Az.Accounts, Microsoft.Graph.Authentication or
# ExchangeOnlineManagement put them there. The inputs (paths, ports, the test app's secret) come as JSON on standard
# input, so no secret touches the disk; the last line of standard output is "RESULT:" + JSON of what happened. Each
# step records its error instead of stopping, so the test shows every step that failed.
#   OlderFirst  : load and use the older MSAL and MimeKit, then import G5Mail and send (SMTP, Graph).
#   G5MailFirst : import G5Mail and send, then load and use the older MSAL and MimeKit, then send again.
#   Reimport    : import G5Mail and send, Remove-Module, Import-Module again and send again (same session).
param([Parameter(Mandatory)] [ValidateSet('OlderFirst', 'G5MailFirst', 'Reimport')] [string] $Order)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$in = [Console]::In.ReadToEnd() | ConvertFrom-Json
$env:G5MAIL_CONFIG_DIR = $in.ConfigDir

$result = [ordered]@{
    Order  = $Order
    Steps  = [System.Collections.Generic.List[object]]::new()
    Sends  = [System.Collections.Generic.List[object]]::new()
    Older  = [ordered]@{}
}

function Invoke-Step([string] $Name, [scriptblock] $Body) {
    try {
        & $Body
        $result.Steps.Add([ordered]@{ Name = $Name; Error = $null })
    }
    catch {
        $result.Steps.Add([ordered]@{ Name = $Name; Error = "$($_.Exception.GetType().FullName): $($_.Exception.Message) at $($_.InvocationInfo.PositionMessage)" })
    }
}

# Loads the older assemblies the way a module does (Add-Type -Path: Assembly.LoadFrom into the default context) and
# uses them: a MimeMessage written out, and an app-only token from the Entra ID stand-in through MSAL.
function Use-OlderLibraries([string] $Tag) {
    Invoke-Step "$Tag load older MSAL and MimeKit" {
        # Each would fail with "Assembly with same name is already loaded" if G5Mail's copy were in the default context.
        Add-Type -Path $in.Abstractions
        Add-Type -Path $in.Msal
        Add-Type -Path $in.MimeKit
    }
    Invoke-Step "$Tag use older MimeKit" {
        $assembly = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { -not $_.IsDynamic -and $_.Location -eq $in.MimeKit }
        $messageType = $assembly.GetType('MimeKit.MimeMessage', $true)
        $message = $messageType::new()
        $message.From.Add($assembly.GetType('MimeKit.MailboxAddress', $true)::new('Other module', 'other@example.com'))
        $message.To.Add($assembly.GetType('MimeKit.MailboxAddress', $true)::new('Someone', 'someone@example.com'))
        $message.Subject = "older MimeKit $Tag"
        $body = $assembly.GetType('MimeKit.TextPart', $true)::new('plain')
        $body.Text = 'Written by MimeKit 4.18.0 in the default load context.'
        $message.Body = $body
        $stream = [IO.MemoryStream]::new()
        $message.WriteTo($stream)
        $text = [Text.Encoding]::UTF8.GetString($stream.ToArray())
        $result.Older["MimeWritten$Tag"] = $text.Contains("Subject: older MimeKit $Tag") -and $text.Contains('MimeKit 4.18.0')
    }
    Invoke-Step "$Tag use older MSAL" {
        $assembly = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { -not $_.IsDynamic -and $_.Location -eq $in.Msal }
        $builder = $assembly.GetType('Microsoft.Identity.Client.ConfidentialClientApplicationBuilder', $true)
        $app = $builder::Create($in.ClientId).WithClientSecret($in.ClientSecret).WithAuthority("$($in.BaseUri)/$($in.TenantId)", $false).WithInstanceDiscovery($false).Build()
        $token = $app.AcquireTokenForClient([string[]] @("$($in.BaseUri)/.default")).ExecuteAsync().GetAwaiter().GetResult()
        # Never the token itself: only that one came back, and from which MSAL.
        $result.Older["TokenAcquired$Tag"] = $token.AccessToken.Length -gt 100
        $result.Older["MsalVersion$Tag"] = $app.GetType().Assembly.GetName().Version.ToString()
    }
}

function Import-G5Mail([string] $Tag) {
    Invoke-Step "$Tag Import-Module G5Mail" { Import-Module $in.ModulePath }
}

function Send-Both([string] $Tag) {
    Invoke-Step "$Tag send SMTP" {
        Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $in.SmtpPort -From $in.From -WarningAction SilentlyContinue
        $r = Send-G5Document -Path $in.Pdf -To 'inkop@ahustra.example' -Subject "$($in.Tag) $Order $Tag Smtp" -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $result.Sends.Add([ordered]@{ Name = "$Tag Smtp"; Subject = "$($in.Tag) $Order $Tag Smtp"; Status = "$($r.Status)"; Error = $r.Error })
    }
    Invoke-Step "$Tag send Graph" {
        Set-G5MailSetting -Scope System -Method ExchangeOnline -ExchangeOnlineProtocol Graph -AuthenticationFlow ClientSecret `
            -ClientId $in.ClientId -TenantId $in.TenantId -AuthorityHost $in.BaseUri -GraphEndpoint $in.BaseUri -From $in.From `
            -ClientSecret (ConvertTo-SecureString $in.ClientSecret -AsPlainText -Force) -WarningAction SilentlyContinue
        $r = Send-G5Document -Path $in.Pdf -To 'inkop@ahustra.example' -Subject "$($in.Tag) $Order $Tag Graph" -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $result.Sends.Add([ordered]@{ Name = "$Tag Graph"; Subject = "$($in.Tag) $Order $Tag Graph"; Status = "$($r.Status)"; Error = $r.Error })
    }
}

switch ($Order) {
    'OlderFirst' {
        Use-OlderLibraries 'before'
        Import-G5Mail 'first'
        Send-Both 'first'
    }
    'G5MailFirst' {
        Import-G5Mail 'first'
        Send-Both 'first'
        Use-OlderLibraries 'after'
        Send-Both 'again'
    }
    'Reimport' {
        Import-G5Mail 'first'
        Send-Both 'first'
        $accelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')
        $result.TypeNamedWhileImported = $accelerators::Get.ContainsKey('G5Mail.SendResult')
        Invoke-Step 'Remove-Module G5Mail' { Remove-Module G5Mail }
        $result.TypeNamedAfterRemove = $accelerators::Get.ContainsKey('G5Mail.SendResult')
        Import-G5Mail 'again'
        Send-Both 'again'
        $result.CmdletsAfterReimport = @((Get-Module G5Mail).ExportedCmdlets.Keys | Sort-Object)
        # The type literal names the type the cmdlet returns, again after the reimport.
        $result.TypeLiteralAfterReimport = [object]::ReferenceEquals([G5Mail.SendResult], (Get-Command Send-G5Document).OutputType[0].Type)
    }
}

# Where every relevant assembly lives: its load context, version, file version and file.
$default = [System.Runtime.Loader.AssemblyLoadContext]::Default
$moduleFolder = Split-Path -Parent $in.ModulePath
$result.Assemblies = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { -not $_.IsDynamic -and $_.Location } | ForEach-Object {
        $context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_)
        [ordered]@{
            Name        = $_.GetName().Name
            Version     = $_.GetName().Version.ToString()
            FileVersion = [Diagnostics.FileVersionInfo]::GetVersionInfo($_.Location).FileVersion
            Location    = $_.Location
            InDefault   = [object]::ReferenceEquals($context, $default)
            Context     = "$($context.GetType().FullName) #$([System.Runtime.CompilerServices.RuntimeHelpers]::GetHashCode($context))"
            FromModule  = $_.Location.StartsWith($moduleFolder + [IO.Path]::DirectorySeparatorChar)
        }
    })
'RESULT:' + ($result | ConvertTo-Json -Depth 6 -Compress)
