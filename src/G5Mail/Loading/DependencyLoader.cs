using System;
using System.IO;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using System.Threading;

namespace G5Mail.Loading
{
    /// <summary>
    /// Runs when PowerShell imports G5Mail.dll, before any cmdlet runs: makes the engine (G5Mail.Core) and its
    /// dependencies (MailKit, MimeKit, BouncyCastle, MSAL, ...) load from the module's lib/ folder without clashing with
    /// other modules' copies (Az.Accounts, Microsoft.Graph.Authentication and ExchangeOnlineManagement each ship their
    /// own Microsoft.Identity.Client). See <see cref="DependencyLoader"/>.
    /// </summary>
    public sealed class G5MailModuleInitializer : IModuleAssemblyInitializer
    {
        public void OnImport() => DependencyLoader.EnsureInstalled();
    }

    /// <summary>
    /// Installs the dependency isolation once per process (Remove-Module and Import-Module again find it in place: the
    /// assemblies stay loaded for the life of the process, and so do the hooks).
    /// <para>
    /// PowerShell 7: a private AssemblyLoadContext (<see cref="IsolatedLoadContext"/>) holds G5Mail.Core and every
    /// assembly of lib/ that the platform does not provide; the default context is only asked (through its Resolving
    /// event, which fires only after its own lookup failed) for G5Mail.Core, which G5Mail.dll references. Another
    /// module's MSAL or MimeKit, in the default context before or after G5Mail, is then never seen by G5Mail and never
    /// displaced by it. Only G5Mail.dll (the cmdlets and their parameter and output types) is in the default context.
    /// </para>
    /// <para>
    /// Windows PowerShell 5.1 (.NET Framework has no load contexts): an AppDomain.AssemblyResolve handler serves G5Mail's
    /// copies from lib/ by simple name, for names present there only, ignoring the requested version as a binding
    /// redirect would (<see cref="DesktopResolver"/>). It is not exercised by the tests here (they run on Linux); its
    /// name-to-file logic (<see cref="DependencyFolder"/>) is unit-tested.
    /// </para>
    /// <para>
    /// Why one netstandard2.0 G5Mail.dll that references the System.Runtime.Loader 4.3.0 reference assembly, rather
    /// than a build per edition (net8.0 + net472): one file serves both editions, so the manifest names it directly as
    /// RootModule and no script loader (which would cost import time, issue 9) has to choose a build; the engine stays
    /// one netstandard2.0 build shared by both. The AssemblyLoadContext types are touched only in
    /// <see cref="IsolatedLoadContext"/>, which is reached only on .NET (Core), so .NET Framework never has to resolve
    /// System.Runtime.Loader; the reference is compile-time only and PowerShell 7's runtime supplies the type.
    /// </para>
    /// </summary>
    internal static class DependencyLoader
    {
        private static readonly object Gate = new object();
        private static DependencyFolder? _folder;

        /// <summary>The dependency folder, once installed (null before the first import).</summary>
        internal static DependencyFolder? Folder => Volatile.Read(ref _folder);

        /// <summary>True on PowerShell 7 (.NET), false on Windows PowerShell 5.1 (.NET Framework).</summary>
        internal static bool IsCoreClr => typeof(object).Assembly.GetName().Name == "System.Private.CoreLib";

        public static void EnsureInstalled()
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

                // PowerShell imports a binary module from its file, so Location is set; a host that loaded G5Mail.dll from
                // bytes gets no dependency folder (the engine then fails to load with a FileNotFoundException naming it).
                string location = typeof(DependencyLoader).Assembly.Location;
                var folder = location.Length > 0
                    ? DependencyFolder.Beside(location)
                    : new DependencyFolder(Path.Combine(AppContext.BaseDirectory, DependencyFolder.FolderName));
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
        private static void InstallCore(DependencyFolder folder) => IsolatedLoadContext.Install(folder);

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void InstallDesktop(DependencyFolder folder) => DesktopResolver.Install(folder);
    }
}
