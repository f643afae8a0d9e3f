using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace G5Mail.Bench;

/// <summary>One numbered line of the benchmark: a small table, the target and whether it was met.</summary>
public sealed class ReportSection
{
    public ReportSection(string number, string title)
    {
        Number = number;
        Title = title;
    }

    public string Number { get; }

    public string Title { get; }

    public List<string[]> Rows { get; } = new();

    public List<string> Notes { get; } = new();

    public string? Target { get; set; }

    /// <summary>null: informational (no target); true/false: PASS/FAIL.</summary>
    public bool? Pass { get; set; }

    public void Row(params string[] cells) => Rows.Add(cells);

    public string Render()
    {
        var text = new StringBuilder();
        text.AppendLine($"{Number}. {Title}");
        if (Rows.Count > 0)
        {
            int columns = Rows.Max(r => r.Length);
            var widths = new int[columns];
            foreach (string[] row in Rows)
            {
                for (int c = 0; c < row.Length; c++)
                {
                    widths[c] = Math.Max(widths[c], row[c].Length);
                }
            }

            foreach (string[] row in Rows)
            {
                text.Append("   ");
                for (int c = 0; c < row.Length; c++)
                {
                    // First column left-aligned (labels), the numbers right-aligned.
                    text.Append(c == 0 ? row[c].PadRight(widths[c]) : row[c].PadLeft(widths[c]));
                    text.Append(c < row.Length - 1 ? "  " : string.Empty);
                }

                text.AppendLine();
            }
        }

        foreach (string note in Notes)
        {
            text.AppendLine("   " + note);
        }

        if (Target != null)
        {
            string verdict = Pass switch { true => "PASS", false => "FAIL", null => "n/a" };
            text.AppendLine($"   {verdict}  target: {Target}");
        }

        return text.ToString();
    }
}
