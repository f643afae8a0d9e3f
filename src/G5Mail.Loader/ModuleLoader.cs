using System;
using System.Collections.Generic;
using System.Linq;
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

        /// <summary>
        /// Public types the contract names that no parameter or output leads to: the exception of every error record, the
        /// summary record's data, and the values of MailSettings.Source.
        /// </summary>
        private static readonly string[] ContractTypes = { "G5Mail.G5MailErrorException", "G5Mail.SendSummary", "G5Mail.SettingSource" };

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
        /// The public types of namespace G5Mail a user meets, for G5Mail.psm1 to register as type accelerators (PowerShell
        /// resolves a type literal only among the default context's assemblies): the cmdlets' parameter and output types
        /// and, recursively, the types of their properties. Found by walking from the cmdlets rather than by listing the
        /// engine's exported types, which would load MailKit, System.Text.Json and more at import for nothing.
        /// </summary>
        public static Type[] PublicTypes()
        {
            var found = new List<Type>();
            var seen = new HashSet<Type>();
            var queue = new Queue<Type>();
            foreach (Type type in Initialize().GetExportedTypes())
            {
                bool isCmdlet = false;
                foreach (CustomAttributeData attribute in type.GetCustomAttributesData())
                {
                    isCmdlet |= attribute.AttributeType.FullName == "System.Management.Automation.CmdletAttribute";
                    if (attribute.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute")
                    {
                        foreach (CustomAttributeTypedArgument argument in attribute.ConstructorArguments)
                        {
                            if (argument.Value is IEnumerable<CustomAttributeTypedArgument> types)
                            {
                                foreach (CustomAttributeTypedArgument item in types)
                                {
                                    Enqueue(item.Value as Type);
                                }
                            }
                        }
                    }
                }

                if (isCmdlet)
                {
                    foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                    {
                        Enqueue(property.PropertyType);
                    }
                }
            }

            foreach (Assembly assembly in new HashSet<Assembly>(queue.Select(t => t.Assembly)))
            {
                foreach (string name in ContractTypes)
                {
                    Enqueue(assembly.GetType(name, throwOnError: false));
                }
            }

            while (queue.Count > 0)
            {
                Type type = queue.Dequeue();
                found.Add(type);
                if (!type.IsEnum)
                {
                    foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                    {
                        Enqueue(property.PropertyType);
                    }
                }
            }

            return found.ToArray();

            void Enqueue(Type? type)
            {
                while (type != null && (type.HasElementType || (type.IsGenericType && type.GetGenericArguments().Length == 1)))
                {
                    type = type.HasElementType ? type.GetElementType() : type.GetGenericArguments()[0]; // arrays, Nullable<T>, lists
                }

                if (type != null && type.Namespace == ModuleAssemblyName && seen.Add(type))
                {
                    queue.Enqueue(type);
                }
            }
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
