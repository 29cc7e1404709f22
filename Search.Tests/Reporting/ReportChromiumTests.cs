using System.Text.RegularExpressions;
using Mnist.Search.Reporting;
using Mnist.Search.Tests.Support.Reporting;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Reporting;

/// <summary>Renders the report in headless Chromium (Debian's <c>chromium</c>) and checks that its images load.</summary>
[Trait(Needs.Name, Needs.Chromium)]
public sealed class ReportChromiumTests
{
    [Fact]
    public async Task WhenTheReportIsOpenedInABrowserThenEveryImageLoads()
    {
        // Given a report of a study with every kind of trial and a retrained model
        using var dir = new TempDirectory("report-chromium");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.FillMixedAsync(dir["best"]);
        var index = await study.WriteReportAsync(dir["report"]);

        // When headless Chromium loads the page and runs its load handler
        var page = await HeadlessChromium.DumpDomAsync(index);

        // Then all seven images decoded (natural width > 0), and the page shows the study's title
        Assert.Equal(7, page.ImagesTotal);
        Assert.Equal(7, page.ImagesLoaded);
        Assert.Contains("<h1>Study report-study</h1>", page.Dom);

        // And a screenshot of the page is a non-trivial PNG
        var shot = dir["shot.png"];
        await HeadlessChromium.ScreenshotAsync(index, shot);
        Assert.Equal((1280, 2400), PngFile.Size(shot));
        Assert.True(new FileInfo(shot).Length > 50_000, $"screenshot is only {new FileInfo(shot).Length} bytes");
    }

    [Fact]
    public async Task WhenThePageIsPrintedThenTheTrialsTablesLastColumnsAreOnThePaper()
    {
        // Given a report of a study with every kind of trial
        using var dir = new TempDirectory("report-chromium-print");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.FillMixedAsync(dir["best"]);
        var index = await study.WriteReportAsync(dir["report"]);

        // When Chromium prints it to PDF
        await HeadlessChromium.PrintToPdfAsync(index, dir["report.pdf"]);

        // Then the printed text holds the trials table's last columns (the table was 1463 CSS px wide and printing cut off
        // everything right of batch_size): their headings, and in every trial's row its device, start time and duration
        // cells in a row, then a FAIL trial's note. Cell contents, since the table's caption and a figcaption also say
        // "device" and "note" (review 1207b part 2, finding 6); the PDF's text has one line per cell.
        var text = PdfText.Extract(dir["report.pdf"]);
        Assert.Contains("learning curves", text, StringComparison.OrdinalIgnoreCase);
        foreach (var heading in new[] { "started (UTC)", "duration (s)" })
            Assert.Contains(heading, text);
        var data = (await StudyReportData.LoadAsync(study.Storage, study.Study.Name))!;
        foreach (var t in data.Trials)
        {
            var device = TrialStyle.Text(t.SystemAttrs, StudyAttributes.Device)!;
            var start = t.DatetimeStart!.Value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            var note = t.State == TrialState.FAIL ? "\nworker exited with code 134\n" : "\n";
            Assert.Matches($"(?m)^{Regex.Escape(device)}\n{Regex.Escape(start)}\n[0-9.]+{note}", text);
        }
    }

    [Fact]
    public async Task WhenAnImageFileIsMissingThenTheBrowserCheckCountsItAsNotLoaded()
    {
        // Given a written report from which one figure was then deleted
        using var dir = new TempDirectory("report-chromium-broken");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.FillMixedAsync(dir["best"]);
        var index = await study.WriteReportAsync(dir["report"]);
        File.Delete(dir["report/timeline.png"]);

        // When headless Chromium loads the page
        var page = await HeadlessChromium.DumpDomAsync(index);

        // Then the check sees one image fewer than the page links
        Assert.Equal(7, page.ImagesTotal);
        Assert.Equal(6, page.ImagesLoaded);
    }
}
