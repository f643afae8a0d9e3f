# Runs before PowerShell imports G5Mail.dll (ScriptsToProcess; RequiredAssemblies has loaded G5Mail.Loader.dll): the
# cmdlets' parameter types live in the engine, which must come from the module's private load context, and PowerShell
# loads those types while it reads G5Mail.dll, before the module's own initializer could run. Idempotent.
[G5Mail.Loader.ModuleLoader]::Install()
