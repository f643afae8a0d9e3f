using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace G5Mail.Loader
{
    /// <summary>
    /// PowerShell 7 only: the private load context of G5Mail's engine and dependencies (see <see cref="ModuleLoader"/>).
    /// Serves every assembly of lib/ from lib/, except those the platform provides in the same or a newer version
    /// (System.Memory, System.Text.Json, ...: the netstandard2.0 copies in lib/ are for Windows PowerShell), which it
    /// leaves to the default context by returning null, as it does for PowerShell's own assemblies. Not collectible: a
    /// binary module cannot be unloaded anyway.
    /// </summary>
    internal sealed class ModuleLoadContext : AssemblyLoadContext
    {
        private static ModuleLoadContext? _instance;

        private readonly DependencyFolder _folder;
        private readonly Lazy<Dictionary<string, string>> _platform = new Lazy<Dictionary<string, string>>(ReadPlatformAssemblies);

        internal ModuleLoadContext(DependencyFolder folder)
        {
            _folder = folder;
        }

        /// <summary>Called once per process, under <see cref="ModuleLoader"/>'s lock.</summary>
        internal static void Install(DependencyFolder folder)
        {
            _instance = new ModuleLoadContext(folder);
            Default.Resolving += OnDefaultResolving;
        }

        /// <summary>The default context asks for G5Mail.Core (which the cmdlet assembly references): it comes from here.</summary>
        private static Assembly? OnDefaultResolving(AssemblyLoadContext context, AssemblyName name)
        {
            ModuleLoadContext? isolated = _instance;
            // Only when lib/ has the engine: otherwise Load returns null, the runtime falls back to the default context
            // and this handler would be asked again, endlessly.
            if (isolated == null || !string.Equals(name.Name, ModuleLoader.EngineAssemblyName, StringComparison.OrdinalIgnoreCase)
                || isolated._folder.PathFor(name) == null)
            {
                return null;
            }

            return isolated.LoadFromAssemblyName(name);
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            string? path = _folder.PathFor(assemblyName);
            if (path == null)
            {
                return null; // framework and PowerShell assemblies: the default context's
            }

            if (!string.Equals(assemblyName.Name, ModuleLoader.EngineAssemblyName, StringComparison.OrdinalIgnoreCase)
                && _platform.Value.TryGetValue(assemblyName.Name!, out string? platformPath)
                && DependencyFolder.PreferPlatform(VersionOf(platformPath), assemblyName.Version))
            {
                return null;
            }

            return LoadFromAssemblyPath(path);
        }

        /// <summary>The assemblies the host puts in the default context by itself: .NET's and PowerShell's own.</summary>
        private static Dictionary<string, string> ReadPlatformAssemblies()
        {
            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string list)
            {
                foreach (string path in list.Split(new[] { Path.PathSeparator }, StringSplitOptions.RemoveEmptyEntries))
                {
                    result[Path.GetFileNameWithoutExtension(path)] = path;
                }
            }

            return result;
        }

        private static Version? VersionOf(string path)
        {
            try
            {
                return AssemblyName.GetAssemblyName(path).Version;
            }
            catch (Exception ex) when (ex is IOException || ex is BadImageFormatException || ex is UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
