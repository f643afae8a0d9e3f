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

        /// <summary>The cmdlet assembly's list of its public types (see <see cref="PublicTypes"/>).</summary>
        private const string ModuleTypesName = "G5Mail.ModuleTypes";

        private static readonly object Gate = new object();
        private static Assembly? _module;

        /// <summary>True once <see cref="Initialize"/> has loaded the module (a second Import-Module in the same process).</summary>
        public static bool IsInitialized => Volatile.Read(ref _module) != null;

        /// <summary>
        /// Registers <see cref="PublicTypes"/> as PowerShell type accelerators of their full names (G5Mail.psm1 calls it on
        /// import; reflection here costs far less than a PowerShell loop over the accelerator table).
        /// </summary>
        public static void RegisterTypeAccelerators(Type typeAccelerators)
        {
            MethodInfo add = typeAccelerators.GetMethod("Add", new[] { typeof(string), typeof(Type) })
                             ?? throw new MissingMethodException(typeAccelerators.FullName, "Add");
            foreach (Type type in PublicTypes())
            {
                add.Invoke(null, new object[] { type.FullName!, type });
            }
        }

        /// <summary>Removes what <see cref="RegisterTypeAccelerators"/> added (Remove-Module).</summary>
        public static void UnregisterTypeAccelerators(Type typeAccelerators)
        {
            MethodInfo remove = typeAccelerators.GetMethod("Remove", new[] { typeof(string) })
                                ?? throw new MissingMethodException(typeAccelerators.FullName, "Remove");
            foreach (Type type in PublicTypes())
            {
                remove.Invoke(null, new object[] { type.FullName! });
            }
        }

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
        /// The module's public types, as the cmdlet assembly lists them (G5Mail.ModuleTypes.All), for the type accelerators
        /// PowerShell needs to resolve type literals of types in a private load context.
        /// </summary>
        public static Type[] PublicTypes()
        {
            Type list = Initialize().GetType(ModuleTypesName, throwOnError: true)!;
            return (Type[])(list.GetField("All", BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
                            ?? throw new MissingFieldException(ModuleTypesName, "All"));
        }

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
