# The module's root: loads G5Mail.Loader.dll (the only G5Mail assembly in PowerShell's default load context), which
# loads the cmdlets, the engine and their dependencies from lib/ in isolation, and imports the cmdlets from there.
# See README, "Design".

$loaderType = 'G5Mail.Loader.ModuleLoader' -as [type]
if (-not $loaderType) {
    Add-Type -Path ([System.IO.Path]::Combine($PSScriptRoot, 'G5Mail.Loader.dll'))
    $loaderType = [G5Mail.Loader.ModuleLoader]
}

$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core
$inner = & $importModule -Assembly ($loaderType::Initialize()) -PassThru -Force

# Import-Module -Assembly of an assembly imported before (Remove-Module, then Import-Module) returns the cached module
# without adding its cmdlets to this module's exports (PowerShell/PowerShell#20710), so they are added here.
$addCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
if ($addCmdlet) {
    foreach ($cmdlet in $inner.ExportedCmdlets.Values) {
        $addCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
    }
}

# PowerShell resolves a type literal such as [G5Mail.MailMethod] only among the assemblies of the default load context,
# so each public type of the module's own namespace is registered as a type accelerator of its full name while the
# module is imported (each type still exists once, in the private context).
$accelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')
$publicTypes = $loaderType::PublicTypes()
foreach ($type in $publicTypes) {
    $accelerators::Add($type.FullName, $type)
}
$ExecutionContext.SessionState.Module.OnRemove = {
    foreach ($type in $publicTypes) {
        $null = $accelerators::Remove($type.FullName)
    }
}.GetNewClosure()
