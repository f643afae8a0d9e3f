# Two processes running Set-G5MailSetting at once: both succeed or one waits, no update is lost,
# and a reader never sees a file that does not parse.
BeforeAll {
    Import-Module $env:G5MAIL_MODULE_PATH -Force
    $script:RepoRoot = if ($env:G5MAIL_REPO_ROOT) { $env:G5MAIL_REPO_ROOT } else { Split-Path -Parent (Split-Path -Parent $PSScriptRoot) }
    . (Join-Path $script:RepoRoot 'build/common.ps1')
    # The same pwsh that runs these tests (under `dotnet pwsh` that is dotnet + pwsh.dll).
    $script:Pwsh, $script:PwshArgs = Get-PwshCommand
    $script:Manifest = (Resolve-Path $env:G5MAIL_MODULE_PATH).ProviderPath

    # Starts a child pwsh running $ScriptFile with named arguments, in this test's G5MAIL_CONFIG_DIR.
    function Start-Child([string] $ScriptFile, [hashtable] $Arguments, [string] $Name) {
        $psi = [System.Diagnostics.ProcessStartInfo]::new($script:Pwsh)
        foreach ($a in @($script:PwshArgs) + @('-NoProfile', '-NonInteractive', '-File', $ScriptFile)) { if ($a) { $psi.ArgumentList.Add($a) } }
        foreach ($key in $Arguments.Keys) { $psi.ArgumentList.Add("-$key"); $psi.ArgumentList.Add([string] $Arguments[$key]) }
        $psi.Environment['G5MAIL_CONFIG_DIR'] = $env:G5MAIL_CONFIG_DIR
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $process = [System.Diagnostics.Process]::Start($psi)
        # Read both pipes asynchronously so a chatty child never blocks on a full pipe.
        [pscustomobject]@{ Name = $Name; Process = $process; Stdout = $process.StandardOutput.ReadToEndAsync(); Stderr = $process.StandardError.ReadToEndAsync() }
    }

    # The child's summary (the JSON on its last output line), after it has exited.
    function Receive-Child($Child, [int] $TimeoutSeconds = 60) {
        if (-not $Child.Process.WaitForExit($TimeoutSeconds * 1000)) {
            $Child.Process.Kill($true)
            throw "$($Child.Name) did not finish within $TimeoutSeconds s"
        }
        $out = $Child.Stdout.GetAwaiter().GetResult()
        $err = $Child.Stderr.GetAwaiter().GetResult()
        $Child.Process.ExitCode | Should -Be 0 -Because "$($Child.Name) must exit cleanly (stderr: $err)"
        $line = @($out -split "`r?`n" | Where-Object { $_.Trim() }) | Select-Object -Last 1
        $line | ConvertFrom-Json
    }

    # The settings file's bytes, opened as G5Mail's own reader does (FileShare ReadWrite + Delete, so a writer's
    # replace is never blocked by this read). $null when the file does not exist yet.
    function Read-SharedBytes([string] $Path) {
        try {
            $stream = [IO.FileStream]::new($Path, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]::ReadWrite -bor [IO.FileShare]::Delete)
        }
        catch [IO.FileNotFoundException], [IO.DirectoryNotFoundException] { return $null }
        try {
            $buffer = [IO.MemoryStream]::new()
            $stream.CopyTo($buffer)
            , $buffer.ToArray()
        }
        finally { $stream.Dispose() }
    }
}

Describe 'Set-G5MailSetting from two processes at once' {
    BeforeEach {
        $env:G5MAIL_CONFIG_DIR = Join-Path ([IO.Path]::GetTempPath()) ("g5mail-pester-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $env:G5MAIL_CONFIG_DIR | Out-Null
        $script:UserFile = Join-Path $env:G5MAIL_CONFIG_DIR 'user/settings.json'
        $script:WorkDir = Join-Path $env:G5MAIL_CONFIG_DIR 'test'
        New-Item -ItemType Directory -Path $script:WorkDir | Out-Null
    }

    AfterEach {
        Remove-Item -Recurse -Force $env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
        Remove-Item Env:G5MAIL_CONFIG_DIR -ErrorAction SilentlyContinue
    }

    It 'runs 100 Sets in each process: every Set succeeds, the file always parses, and no update is lost' {
        $rounds = 100
        # Each child imports the module once, says it is ready, waits for 'go' so both start together, then loops.
        $childScript = Join-Path $script:WorkDir 'writer.ps1'
        Set-Content -Path $childScript -Encoding utf8NoBOM -Value @'
param([string] $Manifest, [string] $Role, [int] $Rounds, [string] $SignalDir)
$ErrorActionPreference = 'Stop'
$WarningPreference = 'SilentlyContinue'  # cross-field findings (no Method yet) are warnings; not what this test is about
Import-Module $Manifest
New-Item -ItemType File -Path (Join-Path $SignalDir "$Role.ready") | Out-Null
$go = Join-Path $SignalDir 'go'
$deadline = [DateTime]::UtcNow.AddSeconds(60)
while (-not (Test-Path $go) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 5 }
$succeeded = 0
$errors = [Collections.Generic.List[string]]::new()
$watch = [Diagnostics.Stopwatch]::StartNew()
for ($n = 1; $n -le $Rounds; $n++) {
    try {
        if ($Role -eq 'A') { Set-G5MailSetting -Server "a-$n" -Port (10000 + $n) }
        else { Set-G5MailSetting -From "b$n@example.se" -Port (20000 + $n) }
        $succeeded++
    }
    catch { $errors.Add("round ${n}: $($_.FullyQualifiedErrorId): $($_.Exception.Message)") }
}
[pscustomobject]@{ Role = $Role; Succeeded = $succeeded; Errors = @($errors); Milliseconds = $watch.ElapsedMilliseconds } | ConvertTo-Json -Compress
'@
        $children = foreach ($role in 'A', 'B') {
            Start-Child $childScript @{ Manifest = $script:Manifest; Role = $role; Rounds = $rounds; SignalDir = $script:WorkDir } "writer $role"
        }
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not ((Test-Path (Join-Path $script:WorkDir 'A.ready')) -and (Test-Path (Join-Path $script:WorkDir 'B.ready')))) {
            if ([DateTime]::UtcNow -gt $deadline -or ($children | Where-Object { $_.Process.HasExited })) { break }
            Start-Sleep -Milliseconds 20
        }
        New-Item -ItemType File -Path (Join-Path $script:WorkDir 'go') | Out-Null

        # Read the file as fast as possible while both write. Every read must parse and hold only values the
        # writers wrote, and each writer's value may only move forward: a value going back is a lost update.
        $reads = 0
        $whileBothRan = 0
        $problems = [Collections.Generic.List[string]]::new()
        $lastA = 0
        $lastB = 0
        while ($children | Where-Object { -not $_.Process.HasExited }) {
            $bothRunning = -not ($children | Where-Object { $_.Process.HasExited })
            try { $bytes = Read-SharedBytes $script:UserFile }
            catch [IO.IOException] {
                # Only Windows may refuse an open for an instant while ReplaceFile swaps the file; never elsewhere.
                if (-not $IsWindows) { $problems.Add("read failed: $($_.Exception.Message)") }
                continue
            }
            if ($null -eq $bytes) { continue }
            $reads++
            if ($bothRunning) { $whileBothRan++ }
            try { $json = [Text.Encoding]::UTF8.GetString($bytes) | ConvertFrom-Json -ErrorAction Stop }
            catch { $problems.Add("read $reads does not parse: $([Text.Encoding]::UTF8.GetString($bytes))"); continue }
            if ($null -ne $json.Server) {
                if ($json.Server -notmatch '^a-(\d+)$') { $problems.Add("unexpected Server '$($json.Server)'"); continue }
                $a = [int] $Matches[1]
                if ($a -lt $lastA) { $problems.Add("Server went back from a-$lastA to a-$a (an update was lost)") }
                $lastA = $a
            }
            if ($null -ne $json.From) {
                if ($json.From -notmatch '^b(\d+)@example\.se$') { $problems.Add("unexpected From '$($json.From)'"); continue }
                $b = [int] $Matches[1]
                if ($b -lt $lastB) { $problems.Add("From went back from b$lastB to b$b (an update was lost)") }
                $lastB = $b
            }
            if ($json.Port -notin (10001..(10000 + $rounds)) -and $json.Port -notin (20001..(20000 + $rounds))) {
                $problems.Add("unexpected Port '$($json.Port)'")
            }
        }

        $results = foreach ($child in $children) { Receive-Child $child }
        foreach ($result in $results) {
            $result.Errors | Should -BeNullOrEmpty -Because "every Set of writer $($result.Role) must succeed"
            $result.Succeeded | Should -Be $rounds
        }
        $problems | Should -BeNullOrEmpty
        $reads | Should -BeGreaterThan 0
        $whileBothRan | Should -BeGreaterThan 0 -Because 'the file must have been read while both processes were writing'

        $final = [IO.File]::ReadAllText($script:UserFile) | ConvertFrom-Json
        $final.Server | Should -Be "a-$rounds"
        $final.From | Should -Be "b$rounds@example.se"
        $final.Port | Should -BeIn @((10000 + $rounds), (20000 + $rounds))
        $settings = Get-G5MailSetting -Scope User -WarningAction SilentlyContinue
        $settings.Server | Should -Be "a-$rounds"
        $settings.From | Should -Be "b$rounds@example.se"
        Write-Host ("    {0} reads ({1} while both wrote); writer A {2} ms, writer B {3} ms for {4} Sets each" -f `
                $reads, $whileBothRan, ($results | Where-Object Role -EQ 'A').Milliseconds, ($results | Where-Object Role -EQ 'B').Milliseconds, $rounds)
    }

    It 'makes a Set wait while another process holds the lock, then applies it on top of the other change' {
        Set-G5MailSetting -Server 'first.example.com' -WarningAction SilentlyContinue
        $lockFile = "$script:UserFile.lock"
        # Hold the lock the way another Set-G5MailSetting would, in this process.
        $held = [IO.FileStream]::new($lockFile, [IO.FileMode]::OpenOrCreate, [IO.FileAccess]::ReadWrite, [IO.FileShare]::None)
        try {
            $childScript = Join-Path $script:WorkDir 'waiter.ps1'
            Set-Content -Path $childScript -Encoding utf8NoBOM -Value @'
param([string] $Manifest, [string] $SignalDir)
$ErrorActionPreference = 'Stop'
$WarningPreference = 'SilentlyContinue'
Import-Module $Manifest
New-Item -ItemType File -Path (Join-Path $SignalDir 'waiter.ready') | Out-Null
$watch = [Diagnostics.Stopwatch]::StartNew()
Set-G5MailSetting -Port 2525
[pscustomobject]@{ Milliseconds = $watch.ElapsedMilliseconds } | ConvertTo-Json -Compress
'@
            $child = Start-Child $childScript @{ Manifest = $script:Manifest; SignalDir = $script:WorkDir } 'waiter'
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Test-Path (Join-Path $script:WorkDir 'waiter.ready')) -and -not $child.Process.HasExited -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 20
            }
            Start-Sleep -Milliseconds 1500
            $child.Process.HasExited | Should -BeFalse -Because 'the Set must wait while the lock is held'
            ([IO.File]::ReadAllText($script:UserFile) | ConvertFrom-Json).Port | Should -BeNullOrEmpty
        }
        finally { $held.Dispose() }

        $result = Receive-Child $child
        $result.Milliseconds | Should -BeGreaterOrEqual 1000
        $settings = Get-G5MailSetting -Scope User -WarningAction SilentlyContinue
        $settings.Server | Should -Be 'first.example.com'
        $settings.Port | Should -Be 2525
    }
}
