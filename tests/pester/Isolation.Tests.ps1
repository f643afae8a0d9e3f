#Requires -Version 7.4
# Dependency isolation: G5Mail works next to modules that bring their own, older Microsoft.Identity.Client
# and MimeKit into the session (Az.Accounts, Microsoft.Graph.Authentication, ExchangeOnlineManagement), whichever is
# loaded first, and does not break them. Each scenario runs in a fresh pwsh (Isolation.Scenario.ps1) and sends for
# real: SMTP into smtp4dev, Exchange Online through the Graph stand-in (which relays into the same smtp4dev), with the
# older MSAL acquiring its own token from the Entra ID stand-in. Windows PowerShell 5.1 (the AssemblyResolve handler)
# cannot run here; its name-to-file logic is covered by xunit (DependencyFolderTests).

BeforeAll {
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestHelpers.psm1') -Force
    Import-Module (Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/TestServers.psm1') -Force
    Import-Module $env:G5MAIL_MODULE_PATH -Force

    $script:Artifacts = Join-Path $env:G5MAIL_REPO_ROOT 'artifacts/G5Mail'
    $script:ModuleDll = Join-Path $script:Artifacts 'G5Mail.dll'
    $script:EngineDll = Join-Path $script:Artifacts 'lib/G5Mail.Core.dll'
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    # The older versions, restored by build/Tools.proj (PackageDownload).
    $script:Older = @{
        Msal         = Join-Path $packages 'microsoft.identity.client/4.61.3/lib/net6.0/Microsoft.Identity.Client.dll'
        Abstractions = Join-Path $packages 'microsoft.identitymodel.abstractions/6.35.0/lib/net6.0/Microsoft.IdentityModel.Abstractions.dll'
        MimeKit      = Join-Path $packages 'mimekit/4.18.0/lib/net8.0/MimeKit.dll'
    }
    foreach ($path in $script:Older.Values) {
        if (-not (Test-Path $path)) { throw "$path is missing: run 'dotnet restore build/Tools.proj'." }
    }

    $script:Pki = New-G5TestPki -Install
    $script:Docs = Join-Path ([IO.Path]::GetTempPath()) ('g5mail-iso-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Docs | Out-Null
    $script:Pdf = (New-TestPdf -Path (Join-Path $script:Docs 'Order 7001.pdf') -Lines 'Order 7001').FullName

    $exe = [Environment]::ProcessPath
    $script:Pwsh = $exe
    $script:PwshArgs = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    $script:ScenarioScript = Join-Path $env:G5MAIL_REPO_ROOT 'tests/pester/Isolation.Scenario.ps1'

    # Runs one scenario in a fresh pwsh; the inputs (with the test app's secret) go over standard input.
    function script:Invoke-Scenario([string] $Order) {
        $tag = 'iso-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $inputs = [ordered]@{
            Order = $Order; Tag = $tag; ModulePath = (Join-Path $script:Artifacts 'G5Mail.psd1'); ConfigDir = (New-TestConfigDir)
            SmtpPort = $script:Smtp.SmtpPort; BaseUri = $script:Server.BaseUri; TenantId = $script:Config.tenants[0].id
            ClientId = $script:Config.apps[0].clientId; ClientSecret = $script:Config.apps[0].secrets[0].value
            From = $script:Config.users[0].userPrincipalName; Pdf = $script:Pdf
            Msal = $script:Older.Msal; Abstractions = $script:Older.Abstractions; MimeKit = $script:Older.MimeKit
        }
        $output = $inputs | ConvertTo-Json -Compress | & $script:Pwsh @script:PwshArgs -NoProfile -NonInteractive -File $script:ScenarioScript -Order $Order
        $LASTEXITCODE | Should -Be 0 -Because "the scenario's pwsh must finish: $($output -join "`n")"
        $line = @($output | Where-Object { $_ -like 'RESULT:*' })[-1]
        $line | Should -Not -BeNullOrEmpty -Because "the scenario must report: $($output -join "`n")"
        $result = $line.Substring('RESULT:'.Length) | ConvertFrom-Json
        Remove-Item $inputs.ConfigDir -Recurse -Force -ErrorAction SilentlyContinue
        $result
    }

    function script:Assert-AllStepsSucceeded($Result) {
        $failed = @($Result.Steps | Where-Object Error | ForEach-Object { "$($_.Name): $($_.Error)" })
        $failed | Should -BeNullOrEmpty -Because 'every step of the scenario must work'
        @($Result.Steps).Count | Should -BeGreaterThan 3
    }

    # Each send reports Sent, and its message arrived in smtp4dev (Graph relays into it too).
    function script:Assert-Delivered($Result, [int] $Expected) {
        @($Result.Sends).Count | Should -Be $Expected
        $arrived = @(Get-Smtp4DevMessageList $script:Smtp).subject
        foreach ($send in $Result.Sends) {
            $send.Status | Should -Be 'Sent' -Because "$($send.Name) must send ($($send.Error))"
            $arrived | Should -Contain $send.Subject -Because "$($send.Name) must arrive"
        }
    }

    # G5Mail's engine and dependencies are in one private context; of the module's files only the cmdlets and the loader
    # are in the default context, and the older MSAL/MimeKit there are still the 4.61.3/4.18.0 ones.
    function script:Assert-Isolated($Result, [switch] $OlderLoaded) {
        $assemblies = @($Result.Assemblies)
        $fromModule = @($assemblies | Where-Object FromModule)
        @($fromModule | Where-Object InDefault | ForEach-Object Name | Sort-Object) | Should -Be @('G5Mail', 'G5Mail.Loader') -Because 'only G5Mail.dll and G5Mail.Loader.dll may be in the default load context'
        foreach ($name in 'G5Mail.Core', 'MailKit', 'MimeKit', 'Microsoft.Identity.Client', 'Microsoft.IdentityModel.Abstractions') {
            $mine = @($fromModule | Where-Object Name -eq $name)
            $mine.Count | Should -Be 1 -Because "G5Mail loads its $name once"
            $mine[0].InDefault | Should -BeFalse -Because "G5Mail's $name must be in its private load context"
            $mine[0].Context | Should -BeLike 'G5Mail.Loader.ModuleLoadContext *'
            $mine[0].Location | Should -Be (Join-Path $script:Artifacts "lib/$name.dll")
        }
        @($fromModule | Where-Object { -not $_.InDefault } | ForEach-Object Context | Sort-Object -Unique).Count | Should -Be 1 -Because 'one private context per process'

        if ($OlderLoaded) {
            $msal = @($assemblies | Where-Object { $_.Name -eq 'Microsoft.Identity.Client' -and $_.InDefault })
            $msal.Count | Should -Be 1
            $msal[0].Version | Should -Be '4.61.3.0'
            $msal[0].Location | Should -Be $script:Older.Msal
            $mime = @($assemblies | Where-Object { $_.Name -eq 'MimeKit' -and $_.InDefault })
            $mime.Count | Should -Be 1
            $mime[0].FileVersion | Should -Be '4.18.0.0'
            $mime[0].Location | Should -Be $script:Older.MimeKit
            $Result.Older.PSObject.Properties.Value | Should -Not -Contain $false
        }
    }
}

AfterAll {
    if ($script:Pki) { Remove-G5TestPki -Pki $script:Pki }
    Remove-Item $script:Docs -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The older dependency versions used by the scenarios' {
    It 'really differ from the ones G5Mail ships' {
        $mine = Join-Path $script:Artifacts 'lib'
        $msal = [Reflection.AssemblyName]::GetAssemblyName($script:Older.Msal).Version
        $msal | Should -Be ([version] '4.61.3.0')
        [Reflection.AssemblyName]::GetAssemblyName((Join-Path $mine 'Microsoft.Identity.Client.dll')).Version | Should -BeGreaterThan $msal
        # MimeKit keeps its assembly version at 4.18.0.0 for 4.18.x: the same identity, the hardest case for a load
        # context ("Assembly with same name is already loaded"); the files differ.
        $olderMime = [Diagnostics.FileVersionInfo]::GetVersionInfo($script:Older.MimeKit).FileVersion
        $olderMime | Should -Be '4.18.0.0'
        [Diagnostics.FileVersionInfo]::GetVersionInfo((Join-Path $mine 'MimeKit.dll')).FileVersion | Should -Not -Be $olderMime
        (Get-FileHash $script:Older.MimeKit).Hash | Should -Not -Be (Get-FileHash (Join-Path $mine 'MimeKit.dll')).Hash
    }
}

Describe 'G5Mail next to other versions of MSAL and MimeKit' {
    BeforeAll {
        $script:Smtp = Start-Smtp4Dev
        $script:Config = New-G5TestServerConfig -SmtpPort $script:Smtp.SmtpPort
        $script:Server = Start-G5TestServer -Config $script:Config -Pki $script:Pki
    }
    AfterAll {
        if ($script:Server) { Stop-G5TestServer -Server $script:Server }
        Stop-Smtp4Dev $script:Smtp
    }

    It 'sends through SMTP and Graph when MSAL 4.61.3 and MimeKit 4.18.0 were loaded and used first' {
        $result = Invoke-Scenario 'OlderFirst'
        Assert-AllStepsSucceeded $result
        $result.Older.MimeWrittenbefore | Should -BeTrue
        $result.Older.TokenAcquiredbefore | Should -BeTrue
        $result.Older.MsalVersionbefore | Should -Be '4.61.3.0'
        Assert-Delivered $result 2
        Assert-Isolated $result -OlderLoaded
    }

    It 'leaves MSAL 4.61.3 and MimeKit 4.18.0 working when G5Mail was imported and sent first, and sends again' {
        $result = Invoke-Scenario 'G5MailFirst'
        Assert-AllStepsSucceeded $result
        $result.Older.MimeWrittenafter | Should -BeTrue
        $result.Older.TokenAcquiredafter | Should -BeTrue
        $result.Older.MsalVersionafter | Should -Be '4.61.3.0'
        Assert-Delivered $result 4
        Assert-Isolated $result -OlderLoaded
    }

    It 'sends again after Remove-Module and Import-Module in the same session' {
        $result = Invoke-Scenario 'Reimport'
        Assert-AllStepsSucceeded $result
        Assert-Delivered $result 4
        Assert-Isolated $result
        $result.CmdletsAfterReimport | Should -Be @('Get-G5MailSetting', 'Get-G5SecretExpiry', 'Send-G5Document', 'Set-G5MailSetting', 'Sync-G5Activity', 'Test-G5MailServer')
        @($result.Assemblies | Where-Object Name -eq 'G5Mail').Count | Should -Be 1
        # The psm1 names the public types while the module is imported, and forgets them with Remove-Module.
        $result.TypeNamedWhileImported | Should -BeTrue
        $result.TypeNamedAfterRemove | Should -BeFalse
        $result.TypeLiteralAfterReimport | Should -BeTrue
    }
}

Describe 'What the cmdlets show the session' {
    BeforeAll {
        $script:Bcl = @(
            [IO.Path]::GetFullPath([Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()).TrimEnd([IO.Path]::DirectorySeparatorChar)
            [IO.Path]::GetFullPath($PSHOME).TrimEnd([IO.Path]::DirectorySeparatorChar)
        )
        # G5Mail's own assemblies (cmdlets and engine), .NET's and PowerShell's: never MailKit's, MimeKit's or MSAL's.
        function script:Test-PublicAssembly([Reflection.Assembly] $Assembly) {
            if ($Assembly.Location -in $script:ModuleDll, $script:EngineDll) { return $true }
            $folder = [IO.Path]::GetDirectoryName($Assembly.Location)
            return $script:Bcl -contains $folder
        }
    }

    It 'uses only G5Mail''s own, .NET''s and PowerShell''s types in parameters and output, each G5Mail type once and reachable by its name' {
        $commands = @(Get-Command -Module G5Mail -CommandType Cmdlet)
        $commands.Count | Should -Be 8
        $seen = [Collections.Generic.HashSet[type]]::new()
        $queue = [Collections.Generic.Queue[object]]::new()
        foreach ($command in $commands) {
            $command.ImplementingType.Assembly.Location | Should -Be $script:ModuleDll
            foreach ($parameter in $command.Parameters.Values) { $queue.Enqueue(@($parameter.ParameterType, "$($command.Name) -$($parameter.Name)")) }
            foreach ($output in $command.OutputType) { $queue.Enqueue(@($output.Type, "$($command.Name) output")) }
        }
        $offenders = [Collections.Generic.List[string]]::new()
        while ($queue.Count) {
            $type, $where = $queue.Dequeue()
            if ($null -eq $type) { continue }
            if ($type.HasElementType) { $queue.Enqueue(@($type.GetElementType(), $where)); continue }
            if ($type.IsGenericType) { foreach ($argument in $type.GetGenericArguments()) { $queue.Enqueue(@($argument, $where)) } }
            if (-not $seen.Add($type)) { continue }
            if (-not (Test-PublicAssembly $type.Assembly)) { $offenders.Add("$where : $($type.FullName) from $($type.Assembly.Location)"); continue }
            # Properties of G5Mail's types, recursively; .NET's and PowerShell's types are the platform's business.
            if ($type.Assembly.Location -in $script:ModuleDll, $script:EngineDll) {
                foreach ($property in $type.GetProperties([Reflection.BindingFlags] 'Public, Instance, Static')) {
                    $queue.Enqueue(@($property.PropertyType, "$where .$($property.Name) ($($type.Name))"))
                }
            }
        }
        $offenders | Should -BeNullOrEmpty
        $loaded = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { -not $_.IsDynamic })
        foreach ($name in 'G5Mail.MailMethod', 'G5Mail.SettingsScope', 'G5Mail.AuthenticationFlow', 'G5Mail.CopyToSelf',
            'G5Mail.ExchangeOnlineProtocol', 'G5Mail.FindingSeverity', 'G5Mail.Finding', 'G5Mail.SendResult', 'G5Mail.SecretExpiry',
            'G5Mail.ServerTestResult', 'G5Mail.MailSettings') {
            $type = @($seen | Where-Object FullName -eq $name)
            $type.Count | Should -Be 1 -Because "$name is a parameter or output type"
            # One type of that name in the whole process (nothing mirrored), and the type literal names that very type.
            @($loaded | ForEach-Object { $_.GetType($name, $false) } | Where-Object { $_ }).Count | Should -Be 1 -Because "$name exists once"
            [object]::ReferenceEquals(($name -as [type]), $type[0]) | Should -BeTrue -Because "[$name] must resolve to the cmdlets' own type"
            if ($type[0].Assembly.Location -eq $script:EngineDll) {
                [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($type[0].Assembly) |
                    Should -Not -Be ([System.Runtime.Loader.AssemblyLoadContext]::Default) -Because "$name lives in the engine, in G5Mail's private context"
            }
        }
    }

    It 'shows where each effective setting comes from with G5Mail.SettingSource values' {
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        try {
            Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -WarningAction SilentlyContinue
            $settings = Get-G5MailSetting
            $settings.Method | Should -BeOfType ([G5Mail.MailMethod])
            $settings.Source.Method | Should -BeOfType ([G5Mail.SettingSource])
            "$($settings.Source.Method)" | Should -Be 'System'
            "$($settings.Source.Port)" | Should -Be 'Default'
        }
        finally { Remove-Item $env:G5MAIL_CONFIG_DIR -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'puts a G5Mail.G5MailErrorException with the stable id into every error record, never a dependency''s exception' {
        $env:G5MAIL_CONFIG_DIR = New-TestConfigDir
        try {
            $port = Get-FreeTcpPort  # nobody listens there: MailKit's connect fails inside the engine
            Set-G5MailSetting -Scope System -Method Smtp -Server 127.0.0.1 -Port $port -From 'order@example.com' -WarningAction SilentlyContinue
            $result = Send-G5Document -Path $script:Pdf -To 'kund@example.se' -RetryCount 0 -ErrorVariable errs -ErrorAction SilentlyContinue
            $result.Status | Should -Be 'Failed'
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionFailed,*'
            $errs[0].CategoryInfo.Category | Should -Be 'ConnectionError'
            $errs[0].Exception | Should -BeOfType ([G5Mail.G5MailErrorException])
            $errs[0].Exception.ErrorId | Should -Be 'ConnectionFailed'
            $errs[0].Exception.Message | Should -Be $result.Error
            $result.ErrorId | Should -Be 'ConnectionFailed'
            for ($e = $errs[0].Exception.InnerException; $e; $e = $e.InnerException) {
                Test-PublicAssembly $e.GetType().Assembly | Should -BeTrue -Because "$($e.GetType().FullName) must be G5Mail's or .NET's"
            }

            # A bad call: the terminating error of a setting keeps its id, category and target.
            $err = $null
            try { Set-G5MailSetting -Scope System -Port 70000 -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'InvalidSetting,*'
            $err.Exception | Should -BeOfType ([G5Mail.G5MailErrorException])
            $err.TargetObject | Should -Be $err.Exception.Target
        }
        finally { Remove-Item $env:G5MAIL_CONFIG_DIR -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
