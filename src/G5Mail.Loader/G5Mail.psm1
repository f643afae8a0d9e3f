# The module's root: loads G5Mail.Loader.dll (the only G5Mail assembly in PowerShell's default load context), which
# loads the cmdlets, the engine and their dependencies from lib/ in isolation, and imports the cmdlets from there.
# See README, "Design". Every line here counts towards the import time the benchmark holds to 250 ms.

# Assembly.LoadFrom rather than Add-Type: the same load (into the default context, once per process: a second call
# returns the loaded assembly), without the ~120 ms Add-Type spends setting itself up on first use.
$loader = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($PSScriptRoot, 'G5Mail.Loader.dll')).GetType('G5Mail.Loader.ModuleLoader', $true)
$isReload = $loader::IsInitialized

# Module-qualified, so no function or alias named Import-Module can stand in (Get-Command would cost a lookup).
$inner = Microsoft.PowerShell.Core\Import-Module -Assembly ($loader::Initialize()) -PassThru:$isReload

if ($isReload) {
    # Import-Module -Assembly of an assembly imported before (Remove-Module, then Import-Module) returns the cached
    # module without adding its cmdlets to this module's exports (PowerShell/PowerShell#20710), so they are added here.
    $addCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    if ($addCmdlet) {
        foreach ($cmdlet in $inner.ExportedCmdlets.Values) {
            $addCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
        }
    }
}

# PowerShell resolves a type literal such as [G5Mail.MailMethod] only among the assemblies of the default load context,
# so the module's public types are type accelerators of their full names while it is imported (each type still exists
# once, in the private context).
$accelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')
$loader::RegisterTypeAccelerators($accelerators)
$ExecutionContext.SessionState.Module.OnRemove = { $loader::UnregisterTypeAccelerators($accelerators) }
