using System;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;

namespace G5Mail.Loader
{
    /// <summary>
    /// G5Mail.psm1 calls <see cref="Initialize"/> and imports the assembly it returns. Once per process (Remove-Module and
    /// Import-Module again get the same assembly: a binary module cannot be unloaded).
    /// <para>
    /// PowerShell 7: a private AssemblyLoadContext (<see cref="ModuleLoadContext"/>) holds the cmdlets (G5Mail.dll), the
    /// engine (G5Mail.Core) and every dependency of lib/ the platform does not provide (MailKit, MimeKit, BouncyCastle,
    /// MSAL). Each type exists once, in that context; another module's MSAL or MimeKit, in the default context before or
    /// after G5Mail, is never seen by G5Mail and never displaced by it. Only this loader is in the default context.
    /// </para>
    /// <para>
    /// Windows PowerShell 5.1 (.NET Framework has no load contexts): G5Mail.dll is loaded from lib/ and an
    /// AppDomain.AssemblyResolve handler serves G5Mail's copies from lib/ by simple name (<see cref="DesktopResolver"/>).
    /// Not exercised by the tests here (they run on Linux); its name-to-file logic (<see cref="DependencyFolder"/>) is.
    /// </para>
    /// </summary>
    public static class ModuleLoader
    {
        /// <summary>The cmdlet assembly's simple name; it lies in lib/ with the engine.</summary>
        public const string ModuleAssemblyName = "G5Mail";

        /// <summary>The engine's simple name: it holds most of the public types (enums, results).</summary>
        public const string EngineAssemblyName = "G5Mail.Core";

        private static readonly object Gate = new object();
        private static Assembly? _module;

        /// <summary>True on PowerShell 7 (.NET), false on Windows PowerShell 5.1 (.NET Framework).</summary>
        internal static bool IsCoreClr => typeof(object).Assembly.GetName().Name == "System.Private.CoreLib";

        /// <summary>Loads the cmdlet assembly in isolation (the first time) and returns it.</summary>
        public static Assembly Initialize()
        {
            Assembly? module = Volatile.Read(ref _module);
            if (module != null)
            {
                return module;
            }

            lock (Gate)
            {
                if (_module != null)
                {
                    return _module;
                }

                var folder = DependencyFolder.Beside(typeof(ModuleLoader).Assembly.Location);
                string path = folder.PathFor(new AssemblyName(ModuleAssemblyName))
                              ?? throw new FileNotFoundException($"G5Mail's lib folder {folder.Directory} has no {ModuleAssemblyName}.dll; reinstall the module.");
                module = IsCoreClr ? LoadCore(folder, path) : LoadDesktop(folder, path);
                Volatile.Write(ref _module, module);
                return module;
            }
        }

        /// <summary>
        /// The module's public types (namespace G5Mail) of the cmdlet and engine assemblies, for G5Mail.psm1 to register
        /// as type accelerators: PowerShell resolves a type literal only among the default context's assemblies.
        /// </summary>
        public static Type[] PublicTypes()
        {
            Assembly module = Initialize();
            AssemblyName? engineName = Array.Find(module.GetReferencedAssemblies(), a => a.Name == EngineAssemblyName);
            // Loaded through a type of the module, so it comes from the module's own context.
            Assembly engine = engineName != null ? LoadBeside(module, engineName) : module;
            var types = new System.Collections.Generic.List<Type>();
            foreach (Assembly assembly in new[] { module, engine })
            {
                types.AddRange(Array.FindAll(assembly.GetExportedTypes(), t => t.Namespace == ModuleAssemblyName));
            }

            return types.ToArray();
        }

        private static Assembly LoadBeside(Assembly module, AssemblyName name) =>
            IsCoreClr ? LoadInContextOf(module, name) : Assembly.Load(name);

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static Assembly LoadInContextOf(Assembly module, AssemblyName name) =>
            System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(module)!.LoadFromAssemblyName(name);

        // Separate methods, not inlined: the JIT resolves a method's types when it compiles it, and .NET Framework must
        // never compile one that names AssemblyLoadContext.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static Assembly LoadCore(DependencyFolder folder, string path) => new ModuleLoadContext(folder).LoadFromAssemblyPath(path);

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static Assembly LoadDesktop(DependencyFolder folder, string path)
        {
            DesktopResolver.Install(folder);
            return Assembly.LoadFrom(path);
        }
    }
}
