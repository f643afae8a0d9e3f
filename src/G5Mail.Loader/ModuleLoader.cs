using System;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;

namespace G5Mail.Loader
{
    /// <summary>
    /// Makes the engine (G5Mail.Core) and its dependencies load from the module's lib/ folder without clashing with other
    /// modules' copies (Az.Accounts, Microsoft.Graph.Authentication and ExchangeOnlineManagement each ship their own
    /// Microsoft.Identity.Client). The cmdlet assembly calls <see cref="Install"/> when PowerShell imports it; once per
    /// process (Remove-Module and Import-Module again find it in place: assemblies stay loaded for the process's life).
    /// <para>
    /// PowerShell 7: a private AssemblyLoadContext (<see cref="ModuleLoadContext"/>) holds G5Mail.Core and every assembly
    /// of lib/ the platform does not provide (MailKit, MimeKit, BouncyCastle, MSAL). The default context, where
    /// PowerShell loads the cmdlet assembly, is served G5Mail.Core from there through its Resolving event, which fires
    /// only after its own lookup failed. Each type exists once: the engine's public types (G5Mail.MailMethod,
    /// G5Mail.SendResult, ...) in the private context, the cmdlets in the default one.
    /// </para>
    /// <para>
    /// Windows PowerShell 5.1 (.NET Framework has no load contexts): an AppDomain.AssemblyResolve handler serves G5Mail's
    /// copies from lib/ by simple name (<see cref="DesktopResolver"/>). Not exercised by the tests here (they run on
    /// Linux); its name-to-file logic (<see cref="DependencyFolder"/>) is.
    /// </para>
    /// </summary>
    public static class ModuleLoader
    {
        /// <summary>The engine's simple name: the one assembly of lib/ the cmdlet assembly references.</summary>
        public const string EngineAssemblyName = "G5Mail.Core";

        private static readonly object Gate = new object();
        private static DependencyFolder? _folder;

        /// <summary>True on PowerShell 7 (.NET), false on Windows PowerShell 5.1 (.NET Framework).</summary>
        internal static bool IsCoreClr => typeof(object).Assembly.GetName().Name == "System.Private.CoreLib";

        /// <summary>Installs the isolation (the first time) for the lib/ folder beside this assembly.</summary>
        public static void Install()
        {
            if (Volatile.Read(ref _folder) != null)
            {
                return;
            }

            lock (Gate)
            {
                if (_folder != null)
                {
                    return;
                }

                var folder = DependencyFolder.Beside(typeof(ModuleLoader).Assembly.Location);
                if (IsCoreClr)
                {
                    InstallCore(folder);
                }
                else
                {
                    InstallDesktop(folder);
                }

                Volatile.Write(ref _folder, folder);
            }
        }

        // Separate methods, not inlined: the JIT resolves a method's types when it compiles it, and .NET Framework must
        // never compile one that names AssemblyLoadContext.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void InstallCore(DependencyFolder folder) => ModuleLoadContext.Install(folder);

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void InstallDesktop(DependencyFolder folder) => DesktopResolver.Install(folder);
    }
}
