namespace Mnist.Search.Reporting;

/// <summary>
/// One section of the report: a PNG written next to <c>index.html</c> (<see cref="FileName"/>), or, when the
/// study holds nothing to draw, the reason (<see cref="Missing"/>) shown in its place.
/// </summary>
public sealed record ReportFigure(string Title, string? FileName, string Caption, string? Missing = null)
{
    public static ReportFigure Drawn(string title, string fileName, string caption) => new(title, fileName, caption);

    public static ReportFigure Absent(string title, string reason) => new(title, null, "", reason);
}
