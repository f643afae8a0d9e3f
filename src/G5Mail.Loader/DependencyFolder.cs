using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;

namespace G5Mail.Loader
{
    /// <summary>
    /// The module's dependency folder (lib/ beside G5Mail.Loader.dll and G5Mail.dll): the engine (G5Mail.Core),
    /// MailKit, MimeKit, BouncyCastle, MSAL and their packages. Answers which file serves an assembly name, by simple name only (the requested version is
    /// ignored, as a binding redirect would). Pure file-name logic: no loading, no PowerShell types, so it is unit-tested.
    /// </summary>
    internal sealed class DependencyFolder
    {
        /// <summary>The folder's name beside G5Mail.Loader.dll; build/common.ps1 lays the module's assemblies out there.</summary>
        public const string FolderName = "lib";

        private readonly Dictionary<string, string> _files;

        public DependencyFolder(string directory)
        {
            Directory = Path.GetFullPath(directory);
            _files = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (System.IO.Directory.Exists(Directory))
            {
                foreach (string file in System.IO.Directory.GetFiles(Directory, "*.dll"))
                {
                    _files[Path.GetFileNameWithoutExtension(file)] = file;
                }
            }
        }

        /// <summary>The dependency folder beside the given assembly file (G5Mail.Loader.dll).</summary>
        public static DependencyFolder Beside(string assemblyPath) =>
            new DependencyFolder(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(assemblyPath)) ?? ".", FolderName));

        public string Directory { get; }

        /// <summary>Simple names of the assemblies the folder holds.</summary>
        public IEnumerable<string> Names => _files.Keys;

        public bool Contains(string simpleName) => _files.ContainsKey(simpleName);

        /// <summary>
        /// The file that serves this assembly name, or null when the folder has no assembly of that simple name, or when
        /// a culture-specific (satellite resource) assembly is asked for: the folder holds neutral assemblies only.
        /// </summary>
        public string? PathFor(AssemblyName name)
        {
            if (string.IsNullOrEmpty(name.Name))
            {
                return null;
            }

            string? culture = name.CultureName;
            if (!string.IsNullOrEmpty(culture) && !string.Equals(culture, "neutral", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            return _files.TryGetValue(name.Name!, out string? path) ? path : null;
        }

        /// <summary>
        /// <see cref="PathFor(AssemblyName)"/> for a display name as AppDomain.AssemblyResolve gives it ("MimeKit,
        /// Version=4.18.2.0, Culture=neutral, PublicKeyToken=..."); null for a name that does not parse.
        /// </summary>
        public string? PathFor(string? displayName)
        {
            if (string.IsNullOrWhiteSpace(displayName))
            {
                return null;
            }

            AssemblyName name;
            try
            {
                name = new AssemblyName(displayName);
            }
            catch (Exception ex) when (ex is ArgumentException || ex is FileLoadException)
            {
                return null;
            }

            return PathFor(name);
        }

        /// <summary>
        /// PowerShell 7: whether an assembly the platform (the runtime and PowerShell's own files) provides should be
        /// taken from there instead of from the folder: when its version is at least the requested one. The folder holds
        /// netstandard2.0 builds of packages such as System.Memory or System.Text.Json that .NET itself contains in a
        /// newer version; loading those copies would split types like Span&lt;T&gt; in two.
        /// </summary>
        public static bool PreferPlatform(Version? platformVersion, Version? requestedVersion) =>
            platformVersion != null && (requestedVersion == null || platformVersion >= requestedVersion);
    }
}
