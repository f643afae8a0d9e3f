using System;
using System.Collections.Concurrent;
using System.Reflection;

namespace G5Mail.Loader
{
    /// <summary>
    /// Windows PowerShell 5.1 only: serves G5Mail's copies from lib/ when .NET Framework cannot bind an assembly, by simple
    /// name and for names present in lib/ only (the requested version is ignored, as a binding redirect would).
    /// AssemblyResolve fires only after normal binding failed, so assemblies that other modules loaded from their own
    /// folders keep resolving as before. Not exercised by the tests here (they run on Linux); see DependencyFolder's tests.
    /// </summary>
    internal static class DesktopResolver
    {
        private static DependencyFolder? _folder;
        private static readonly ConcurrentDictionary<string, Assembly> Loaded = new ConcurrentDictionary<string, Assembly>(StringComparer.OrdinalIgnoreCase);

        /// <summary>Called once per process, under <see cref="ModuleLoader"/>'s lock.</summary>
        internal static void Install(DependencyFolder folder)
        {
            _folder = folder;
            AppDomain.CurrentDomain.AssemblyResolve += OnAssemblyResolve;
        }

        private static Assembly? OnAssemblyResolve(object? sender, ResolveEventArgs args)
        {
            DependencyFolder? folder = _folder;
            string? path = folder?.PathFor(args.Name);
            if (path == null)
            {
                return null;
            }

            // One load per file: LoadFrom returns the same assembly for the same path, the cache avoids re-entry.
            return Loaded.GetOrAdd(path, p => Assembly.LoadFrom(p));
        }
    }
}
