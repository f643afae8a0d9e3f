using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace G5Mail.Loader
{
    /// <summary>
    /// PowerShell 7 only: the private load context of G5Mail's cmdlets, engine and dependencies (see <see cref="ModuleLoader"/>).
    /// Serves every assembly of lib/ from lib/, except those the platform provides in the same or a newer version
    /// (System.Memory, System.Text.Json, ...: the netstandard2.0 copies in lib/ are for Windows PowerShell), which it
    /// leaves to the default context by returning null, as it does for PowerShell's own assemblies. Not collectible: a
    /// binary module cannot be unloaded anyway.
    /// </summary>
    internal sealed class ModuleLoadContext : AssemblyLoadContext
    {
        private readonly DependencyFolder _folder;
        private readonly Lazy<Dictionary<string, string>> _platform = new Lazy<Dictionary<string, string>>(ReadPlatformAssemblies);

        internal ModuleLoadContext(DependencyFolder folder)
        {
            _folder = folder;
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            string? path = _folder.PathFor(assemblyName);
            if (path == null)
            {
                return null; // framework and PowerShell assemblies: the default context's
            }

            if (_platform.Value.TryGetValue(assemblyName.Name!, out string? platformPath)
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
