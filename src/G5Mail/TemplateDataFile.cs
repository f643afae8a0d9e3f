using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation.Language;
using G5Mail.Core.Messages;

namespace G5Mail
{
    /// <summary>
    /// Reads a .psd1 template file for the engine (<see cref="MessageTemplates.DataFileReader"/>) with PowerShell's parser,
    /// as Import-PowerShellDataFile does: only a literal hashtable is accepted, no code runs.
    /// </summary>
    internal static class TemplateDataFile
    {
        public static void Install()
        {
            MessageTemplates.DataFileReader ??= Read;
        }

        private static object? Read(string path)
        {
            ScriptBlockAst ast = Parser.ParseFile(path, out _, out ParseError[] errors);
            if (errors.Length > 0)
            {
                ParseError first = errors[0];
                throw new InvalidOperationException($"line {first.Extent.StartLineNumber}, column {first.Extent.StartColumnNumber}: {first.Message}");
            }

            if (!(ast.Find(a => a is HashtableAst, searchNestedScriptBlocks: false) is HashtableAst hashtable)
                || ast.EndBlock == null || ast.EndBlock.Statements.Count != 1)
            {
                throw new InvalidOperationException("it must hold one hashtable, @{ nb = @{ Invoice = @{ Subject = 'Faktura {DocumentIds}' } } }");
            }

            // SafeGetValue refuses anything but constants, arrays and hashtables (and $true, $false, $null).
            return Convert(hashtable.SafeGetValue());
        }

        private static object? Convert(object? value)
        {
            switch (value)
            {
                case IDictionary map:
                    var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                    foreach (DictionaryEntry entry in map)
                    {
                        result[System.Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty] = Convert(entry.Value);
                    }

                    return result;
                case string s:
                    return s;
                case IEnumerable list:
                    return list.Cast<object?>().Select(Convert).ToList();
                default:
                    return value;
            }
        }
    }
}
