using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Settings
{
    /// <summary>A scope's or the effective settings, with where each value came from, the findings and any load problems.</summary>
    public sealed class SettingsView
    {
        internal SettingsView(SettingsScope scope, string path, SettingsPaths paths, SettingValues settings,
            IReadOnlyDictionary<string, SettingSource> sources, IReadOnlyList<Finding> findings, IReadOnlyList<SettingsProblem> problems)
        {
            Scope = scope;
            Path = path;
            SystemPath = paths.SystemFile;
            UserPath = paths.UserFile;
            Settings = settings;
            Sources = sources;
            Findings = findings;
            Problems = problems;
        }

        public SettingsScope Scope { get; }

        /// <summary>The scope's file; for Effective the User file (the one whose values win and that Set writes by default).</summary>
        public string Path { get; }
        public string SystemPath { get; }
        public string UserPath { get; }

        /// <summary>For System/User the values set in that scope; for Effective every value, defaults filled in.</summary>
        public SettingValues Settings { get; }

        /// <summary>Setting name → where its value comes from. Effective: every setting; a scope: the settings it sets.</summary>
        public IReadOnlyDictionary<string, SettingSource> Sources { get; }

        /// <summary>Cross-field findings of the effective settings (those are what a send uses).</summary>
        public IReadOnlyList<Finding> Findings { get; }

        /// <summary>Values that could not be loaded (SecretUnreadable, invalid hand edits, unreadable file).</summary>
        public IReadOnlyList<SettingsProblem> Problems { get; }

        public bool IsComplete => SettingsFindings.IsComplete(Findings);

        /// <summary>Throws SettingsIncomplete when an Error-severity finding remains (Send-G5Document, Test-G5MailServer).</summary>
        public void EnsureComplete() => SettingsFindings.EnsureComplete(Findings, Problems);
    }

    /// <summary>A validated change of one scope, ready to be written (after ShouldProcess) with <see cref="SettingsService.Apply"/>.</summary>
    public sealed class SettingsChangePlan
    {
        internal SettingsChangePlan(SettingsScope scope, string path, IReadOnlyDictionary<SettingDefinition, object> values,
            IReadOnlyList<SettingDefinition> cleared, IReadOnlyList<Finding> findingsAfter)
        {
            Scope = scope;
            Path = path;
            Values = values;
            Cleared = cleared;
            FindingsAfter = findingsAfter;
        }

        public SettingsScope Scope { get; }
        public string Path { get; }
        public IReadOnlyDictionary<SettingDefinition, object> Values { get; }
        public IReadOnlyList<SettingDefinition> Cleared { get; }

        /// <summary>The findings of the effective settings as they will be after the change.</summary>
        public IReadOnlyList<Finding> FindingsAfter { get; }

        public bool IsEmpty => Values.Count == 0 && Cleared.Count == 0;

        /// <summary>What will change, by setting name only (no values: some are secrets), for ShouldProcess and verbose output.</summary>
        public string Description
        {
            get
            {
                var parts = new List<string>();
                if (Values.Count > 0)
                {
                    parts.Add("set " + string.Join(", ", SettingDefinitions.All.Where(Values.ContainsKey).Select(d => d.Name)));
                }

                if (Cleared.Count > 0)
                {
                    parts.Add("clear " + string.Join(", ", Cleared.Select(d => d.Name)));
                }

                return parts.Count == 0 ? "no change" : string.Join("; ", parts);
            }
        }
    }

    /// <summary>
    /// The settings as the cmdlets see them: Get (a scope or the effective settings), and Set in two steps (Plan
    /// validates every value and reads both files, Apply writes), so nothing is written unless everything is valid.
    /// Effective = defaults &lt; System &lt; User, field by field.
    /// </summary>
    public sealed class SettingsService
    {
        public SettingsService()
            : this(new SettingsStore(SettingsPaths.FromEnvironment()))
        {
        }

        public SettingsService(SettingsStore store)
        {
            Store = store;
        }

        public SettingsStore Store { get; }

        internal bool IsWindows { get; set; } = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        internal Func<DateTime> UtcNow { get; set; } = () => DateTime.UtcNow;

        /// <summary>The effective settings (with the User credential and secrets decrypted), sources, findings and problems.</summary>
        public SettingsView LoadEffective() => Get(SettingsScope.Effective);

        public SettingsView Get(SettingsScope scope)
        {
            ScopeSettings system = Store.Load(SettingsScope.System);
            ScopeSettings user = Store.Load(SettingsScope.User);
            var (effective, sources) = Merge(system.Settings, user.Settings);
            IReadOnlyList<Finding> findings = Evaluate(effective, sources);
            switch (scope)
            {
                case SettingsScope.Effective:
                    return new SettingsView(scope, user.Path, Store.Paths, effective, sources, findings,
                        system.Problems.Concat(user.Problems).ToList());
                case SettingsScope.System:
                    return ScopeView(system, findings);
                case SettingsScope.User:
                    return ScopeView(user, findings);
                default:
                    throw new ArgumentOutOfRangeException(nameof(scope), scope, null);
            }
        }

        /// <summary>
        /// Validates a change of <paramref name="scope"/> (System or User): every value in <paramref name="values"/>
        /// (setting name → raw value) and every name in <paramref name="clear"/>. Throws InvalidSetting on the first bad
        /// one; reads (and so checks) both files, but writes nothing.
        /// </summary>
        public SettingsChangePlan Plan(SettingsScope scope, IEnumerable<KeyValuePair<string, object?>> values, IEnumerable<string> clear)
        {
            if (scope == SettingsScope.Effective)
            {
                throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                    "Settings are written to the System or the User scope; Effective is what they add up to. Use -Scope System or -Scope User.",
                    scope);
            }

            var validated = new Dictionary<SettingDefinition, object>();
            foreach (var pair in values)
            {
                SettingDefinition definition = SettingDefinitions.Find(pair.Key);
                validated[definition] = SettingsValidator.Normalize(definition, pair.Value);
            }

            var cleared = new List<SettingDefinition>();
            foreach (string name in clear)
            {
                SettingDefinition definition = SettingDefinitions.Find(name);
                if (validated.ContainsKey(definition))
                {
                    throw new G5MailErrorException(ErrorIds.InvalidSetting, ErrorKind.InvalidArgument,
                        $"{definition.Name} is both given a value and named in -Clear; do one or the other.", definition.Name);
                }

                if (!cleared.Contains(definition))
                {
                    cleared.Add(definition);
                }
            }

            // Loading both scopes refuses a corrupt file before anything is written and gives the findings after the change.
            ScopeSettings system = Store.Load(SettingsScope.System);
            ScopeSettings user = Store.Load(SettingsScope.User);
            SettingValues changed = Copy(scope == SettingsScope.System ? system.Settings : user.Settings);
            foreach (var pair in validated)
            {
                pair.Key.SetValue(changed, pair.Value);
            }

            foreach (SettingDefinition definition in cleared)
            {
                definition.SetValue(changed, null);
            }

            var (effective, sources) = scope == SettingsScope.System ? Merge(changed, user.Settings) : Merge(system.Settings, changed);
            return new SettingsChangePlan(scope, Store.PathOf(scope), validated, cleared, Evaluate(effective, sources));
        }

        /// <summary>
        /// Writes a plan atomically. Stored values the plan does not name stay exactly as they were, including values
        /// another process wrote after <see cref="Plan"/> read the file: the file is read again and rewritten under
        /// its exclusive lock, waiting up to 10 s for another writer (SettingsLocked after that).
        /// </summary>
        public void Apply(SettingsChangePlan plan, CancellationToken cancellationToken = default)
        {
            if (plan.IsEmpty)
            {
                return;
            }

            Store.Update(plan.Scope, plan.Values, plan.Cleared, cancellationToken);
        }

        /// <summary>System overlaid with User, then defaults; with the source of every setting.</summary>
        public static (SettingValues Effective, IReadOnlyDictionary<string, SettingSource> Sources) Merge(SettingValues system, SettingValues user)
        {
            var effective = new SettingValues();
            var sources = new Dictionary<string, SettingSource>(StringComparer.OrdinalIgnoreCase);
            foreach (SettingDefinition definition in SettingDefinitions.All)
            {
                object? value = definition.GetValue(user);
                SettingSource source = SettingSource.User;
                if (value is null)
                {
                    value = definition.GetValue(system);
                    source = SettingSource.System;
                }

                if (value is null)
                {
                    value = definition.DefaultValue;
                    source = SettingSource.Default;
                }

                definition.SetValue(effective, value);
                sources[definition.Name] = source;
            }

            return (effective, sources);
        }

        private SettingsView ScopeView(ScopeSettings loaded, IReadOnlyList<Finding> effectiveFindings)
        {
            var source = loaded.Scope == SettingsScope.System ? SettingSource.System : SettingSource.User;
            var sources = SettingDefinitions.All
                .Where(d => d.GetValue(loaded.Settings) != null)
                .ToDictionary(d => d.Name, _ => source, StringComparer.OrdinalIgnoreCase);
            return new SettingsView(loaded.Scope, loaded.Path, Store.Paths, loaded.Settings, sources, effectiveFindings, loaded.Problems);
        }

        private IReadOnlyList<Finding> Evaluate(SettingValues effective, IReadOnlyDictionary<string, SettingSource> sources) =>
            SettingsFindings.Evaluate(effective, sources, IsWindows, UtcNow());

        private static SettingValues Copy(SettingValues source)
        {
            var copy = new SettingValues();
            foreach (SettingDefinition definition in SettingDefinitions.All)
            {
                definition.SetValue(copy, definition.GetValue(source));
            }

            return copy;
        }
    }
}
