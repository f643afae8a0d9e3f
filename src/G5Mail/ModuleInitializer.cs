using System;
using System.Management.Automation;
using System.Reflection;
using G5Mail.Loader;

namespace G5Mail
{
    /// <summary>
    /// Runs when PowerShell imports G5Mail.dll, before any cmdlet runs: installs the dependency isolation
    /// (<see cref="ModuleLoader"/>) and registers the module's public types as type accelerators, since PowerShell
    /// resolves type literals such as [G5Mail.MailMethod] only in the default load context and the engine's types live in
    /// the private one. Remove-Module takes the accelerators away again.
    /// </summary>
    /// <remarks>
    /// PowerShell enumerates the exported types of G5Mail.dll before it calls <see cref="OnImport"/>, so no exported type
    /// may name an engine type in its base type or interfaces (those would load before the isolation is in place).
    /// </remarks>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        public void OnImport()
        {
            ModuleLoader.Install();
            MethodInfo add = TypeAccelerators.GetMethod("Add", new[] { typeof(string), typeof(Type) })
                             ?? throw new MissingMethodException(TypeAccelerators.FullName, "Add");
            foreach (Type type in ModuleTypes.All)
            {
                add.Invoke(null, new object[] { type.FullName!, type });
            }
        }

        public void OnRemove(PSModuleInfo module)
        {
            MethodInfo? remove = TypeAccelerators.GetMethod("Remove", new[] { typeof(string) });
            foreach (Type type in ModuleTypes.All)
            {
                remove?.Invoke(null, new object[] { type.FullName! });
            }
        }

        /// <summary>PowerShell's table of type accelerators (internal, stable since PowerShell 2; PSOpenAD and Yayaml use it too).</summary>
        private static Type TypeAccelerators =>
            typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators", throwOnError: true)!;
    }
}
