namespace Mnist.Search.Reporting;

/// <summary>
/// One section of the report: a PNG written next to <c>index.html</c> (<see cref="FileName"/>), or, when the
/// study holds nothing to draw, the reason (<see cref="Missing"/>) shown in its place.
/// </summary>
/// <remarks>
/// A figure is an image, which a screen reader cannot read: <see cref="Alt"/> says what it shows (the best value's path,
/// how many trials were pruned) and <see cref="Data"/> holds the numbers behind it. Every <c>alt</c> repeated the
/// heading above it, so a screen reader heard each title twice and none of the data (audit 1207, finding 4a).
/// </remarks>
public sealed record ReportFigure(string Title, string? FileName, string Caption, string? Missing = null)
{
    /// <summary>The image's text alternative: what the figure shows, in a sentence or two.</summary>
    public string Alt { get; init; } = Title;

    /// <summary>The PNG's size in pixels, written on the <c>img</c> so the page does not shift as images load.</summary>
    public (int Width, int Height)? Size { get; init; }

    /// <summary>Paragraphs under the figure: what was left out of it and why.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Paragraphs under the figure, set apart: how little to trust it.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The numbers behind the figure, as a table under it.</summary>
    public ReportTable? Data { get; init; }

    public static ReportFigure Drawn(string title, string fileName, string caption, int width, int height, string alt) =>
        new(title, fileName, caption) { Size = (width, height), Alt = alt };

    public static ReportFigure Absent(string title, string reason) => new(title, null, "", reason);
}
