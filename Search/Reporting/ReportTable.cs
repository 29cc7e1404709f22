namespace Mnist.Search.Reporting;

/// <summary>
/// A table of the numbers a figure shows. The first column heads its row (<c>scope="row"</c>). <see cref="Collapsed"/>:
/// inside a closed <c>details</c> element (long per-trial data a sighted reader rarely needs), else shown as is.
/// </summary>
public sealed record ReportTable(string Caption, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows, bool Collapsed = true);
