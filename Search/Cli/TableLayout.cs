using Spectre.Console;

namespace Mnist.Search.Cli;

/// <summary>
/// Lays out and writes a table so that no number, state, header or other word is ever broken inside its cell.
/// Spectre.Console squeezed every column of a table wider than the terminal to a few letters: at 80 columns
/// <c>trials list</c> showed the value 0.1534 as <c>0.1</c> over <c>534</c>, COMPLETE as <c>COM</c>/<c>PLE</c>/<c>TE</c>,
/// and headers as <c>num…</c> (audit-cli 2).
/// </summary>
/// <remarks>
/// The rule, in order:
/// <list type="number">
/// <item>A table that fits the width is written as it is.</item>
/// <item>Otherwise only text with spaces (an error reason, a sentence) wraps, between its words, down to its longest
/// word; the widest such column gives way first.</item>
/// <item>If the words still do not fit, the table is as wide as it needs to be, and the terminal wraps its lines, as
/// <c>kubectl get</c>, <c>docker ps</c> and <c>psql</c> do with rows wider than the screen.</item>
/// </list>
/// Why not the other ways out: moving the parameters into one <c>k=v</c> column, or dropping columns, loses what a
/// trials table is for, comparing a parameter down its column across trials; and neither helps a table with one long
/// value (a storage URL, a path). Whole values in a wide table lose nothing: a wider window shows the columns aligned,
/// <c>less -S</c> scrolls them, and <c>--format csv</c> or <c>json</c> is there for programs.
/// </remarks>
internal static class TableLayout
{
    // Spectre's rounded border with its default padding: one border character before each column and after the last,
    // and one space of padding on each side of every cell.
    private static int Frame(int columns) => 3 * columns + 1;

    /// <summary>Writes <paramref name="header"/> and <paramref name="rows"/> (display text, one line per cell) to the console.</summary>
    public static void Write(IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in header) table.AddColumn(new TableColumn(Markup.Escape(h)));
        foreach (var r in rows) table.AddRow(r.Select(Markup.Escape).ToArray());
        var available = AnsiConsole.Profile.Width;
        var widths = Widths(header, rows, available);
        if (widths is null)
        {
            AnsiConsole.Write(table);
            return;
        }
        for (var i = 0; i < widths.Count; i++) table.Columns[i].Width = widths[i];
        var needed = widths.Sum() + Frame(widths.Count);
        // Spectre renders a table no wider than the console's profile (Table.Width is capped by it too): a table that
        // needs more is drawn with the profile widened for it, then the width is put back.
        AnsiConsole.Profile.Width = Math.Max(available, needed);
        try { AnsiConsole.Write(table); }
        finally { AnsiConsole.Profile.Width = available; }
    }

    /// <summary>
    /// Each column's width (without padding) for a table written in <paramref name="available"/> columns, or null when
    /// it fits as it is. Never less than a column's header or its longest word.
    /// </summary>
    internal static IReadOnlyList<int>? Widths(IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows, int available)
    {
        var natural = new int[header.Count];
        var least = new int[header.Count];
        for (var i = 0; i < header.Count; i++)
        {
            natural[i] = least[i] = header[i].GetCellWidth();
            foreach (var row in rows)
            {
                natural[i] = Math.Max(natural[i], row[i].GetCellWidth());
                least[i] = Math.Max(least[i], LongestWord(row[i]));
            }
        }
        var excess = natural.Sum() + Frame(header.Count) - available;
        if (excess <= 0) return null;
        var widths = natural.ToArray();
        while (excess > 0)
        {
            // The widest column that can still give way loses one character (ties: the first).
            var widest = -1;
            for (var i = 0; i < widths.Length; i++)
                if (widths[i] > least[i] && (widest < 0 || widths[i] > widths[widest])) widest = i;
            if (widest < 0) break;
            widths[widest]--;
            excess--;
        }
        return widths;
    }

    // Spectre wraps a cell between words (at spaces) and folds a word longer than its column: a word is what may not be cut.
    private static int LongestWord(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.GetCellWidth()).DefaultIfEmpty(0).Max();
}
