using Mnist.Search.Reporting;
using Mnist.Search.Tests.Support.Reporting;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Reporting;

public sealed class StudyReportWriterTests
{
    private static readonly string[] AllFigures =
    [
        "history.png", "parallel_coordinates.png", "importance.png", "learning_curves.png", "loss_curves.png", "timeline.png", "confusion_matrix.png",
    ];

    [Fact]
    public async Task WhenTheWriteIsCancelledThenItStopsAndLeavesNothing()
    {
        // Given a study, and a Ctrl+C that has already arrived
        using var dir = new TempDirectory("report-cancelled");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.FillMixedAsync(dir["best"]);
        var data = (await StudyReportData.LoadAsync(study.Storage, study.Study.Name))!;
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        // When the report is written
        // Then it stops (it was drawn to the end, exit 0) and leaves no report, staging or parent folder behind
        Assert.Throws<OperationCanceledException>(() => StudyReportWriter.Write(data, dir["out/report"], cancelled.Token));
        Assert.False(Directory.Exists(dir["out"]));
    }

    [Fact]
    public async Task WhenAStudyHasEveryKindOfTrialThenEveryFigureIsWrittenAndLinked()
    {
        // Given a study with COMPLETE, PRUNED and FAIL trials on two devices and a retrained model
        using var dir = new TempDirectory("report-mixed");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.FillMixedAsync(dir["best"]);

        // When the report is written
        var data = (await StudyReportData.LoadAsync(study.Storage, study.Study.Name))!;
        var index = StudyReportWriter.Write(data, dir["report"]);

        // Then every figure is a real PNG next to index.html, linked by a relative path, and nothing is missing
        Assert.Equal(Path.Combine(dir["report"], "index.html"), index);
        var html = await File.ReadAllTextAsync(index);
        foreach (var figure in AllFigures)
        {
            var (width, height) = PngFile.Size(Path.Combine(dir["report"], figure));
            Assert.True(width >= 400 && height >= 200, $"{figure} is {width}x{height}");
            Assert.Contains($"<img src=\"{figure}\"", html);
        }
        Assert.DoesNotContain("Not drawn:", html);
        Assert.Contains("Trials without any epoch (no line): 1 FAIL.", html);
        // And the page names the best trial, the retrained accuracy, every trial and the importance method
        Assert.Contains("#3: objective value 0.99", html);
        Assert.Contains("Retrained test accuracy</th><td>", html);
        Assert.DoesNotContain("not retrained", html);
        Assert.Equal(13, CountOf(html, "<tr><td class=\"num\">"));
        Assert.Contains("Permutation importance of a Gaussian-process surrogate", html);
        Assert.Contains("worker exited with code 134", html);
        // And it loads nothing from elsewhere
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("src=\"/", html);
    }

    [Fact]
    public async Task WhenEveryTrialFailedThenTheReportExplainsWhatCannotBeDrawn()
    {
        // Given a study whose two trials both failed, one before reporting any epoch, and no retrain
        using var dir = new TempDirectory("report-failed");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.AddTrialAsync(TrialState.FAIL, 1e-3, 16, "adam", [0.4]);
        await study.AddTrialAsync(TrialState.FAIL, 1e-2, 32, "sgd", []);

        // When the report is written
        var index = await study.WriteReportAsync(dir["report"]);

        // Then the timeline and the failed trial's curve are drawn, and the rest says why not
        var html = await File.ReadAllTextAsync(index);
        Assert.True(File.Exists(dir["report/timeline.png"]));
        Assert.True(File.Exists(dir["report/learning_curves.png"]));
        Assert.False(File.Exists(dir["report/history.png"]));
        Assert.False(File.Exists(dir["report/confusion_matrix.png"]));
        Assert.Contains("Not drawn: no trial has a value yet (2 failed, 2 in all).", html);
        Assert.Contains("Not drawn: no COMPLETE trial yet.", html);
        Assert.Contains("Not drawn: needs at least 3 COMPLETE trials, the study has 0.", html);
        // (and, with no COMPLETE trial, says so rather than hint at `study retrain`, which refuses such a study)
        Assert.Contains("Not drawn: no retrained model: the study has no COMPLETE trial to retrain yet.", html);
        Assert.DoesNotContain("study retrain", html);
        Assert.Contains("Trials without any epoch (no line): 1 FAIL.", html);
        Assert.Contains("none (no COMPLETE trial)", html);
        Assert.Contains("not retrained", html);
    }

    [Fact]
    public async Task WhenTheStudyHasASingleTrialThenItIsDrawnAndImportanceIsExplained()
    {
        // Given a study with one COMPLETE trial with a categorical parameter
        using var dir = new TempDirectory("report-single");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "rmsprop", [0.9]);

        // When the report is written
        var index = await study.WriteReportAsync(dir["report"]);

        // Then history, parallel coordinates, curves and timeline exist; importance says it needs more trials
        var html = await File.ReadAllTextAsync(index);
        foreach (var figure in new[] { "history.png", "parallel_coordinates.png", "learning_curves.png", "loss_curves.png", "timeline.png" })
            Assert.True(PngFile.Size(Path.Combine(dir["report"], figure)).Width > 0, figure);
        Assert.Contains("Not drawn: needs at least 3 COMPLETE trials, the study has 1.", html);
        // And, having a COMPLETE trial to retrain but no retrained model, it says how to make one
        Assert.Contains("Not drawn: no retrained model yet (run `study retrain report-study`).", html);
        Assert.Contains("<td>rmsprop</td>", html);
        Assert.Contains("#0: objective value 0.9", html);
    }

    [Fact]
    public async Task WhenTheStudyHasNoTrialThenThePageStillRenders()
    {
        // Given a study that was created but never ran a trial
        using var dir = new TempDirectory("report-empty");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);

        // When the report is written
        var index = await study.WriteReportAsync(dir["report"]);

        // Then the page exists without images and says there are no trials
        var html = await File.ReadAllTextAsync(index);
        Assert.DoesNotContain("<img", html);
        Assert.Contains("<th scope=\"row\">Trials</th><td>none</td>", html);
        Assert.Contains("Not drawn: no trial has started.", html);
    }

    [Fact]
    public async Task WhenTheReportIsWrittenAgainThenTheFolderIsReplacedWholeAndNoTemporaryFolderRemains()
    {
        // Given an earlier report folder holding a stale figure (one this study no longer draws)
        using var dir = new TempDirectory("report-replace");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.9, 0.95]);
        Directory.CreateDirectory(dir["studies/report"]);
        await File.WriteAllTextAsync(dir["studies/report/confusion_matrix.png"], "old");

        // When the report is written twice
        var data = (await StudyReportData.LoadAsync(study.Storage, study.Study.Name))!;
        StudyReportWriter.Write(data, dir["studies/report"]);
        StudyReportWriter.Write(data, dir["studies/report"]);

        // Then only the new report is there, and the parent holds nothing else
        Assert.False(File.Exists(dir["studies/report/confusion_matrix.png"]));
        Assert.True(File.Exists(dir["studies/report/index.html"]));
        Assert.Equal(new[] { "report" }, Directory.GetFileSystemEntries(dir["studies"]).Select(p => Path.GetFileName(p)!).ToArray());
        Assert.Empty(Directory.GetFiles(dir["studies/report"], "*.tmp*"));
    }

    [Fact]
    public async Task WhenARunningTrialHasNoEndThenTheTimelineDrawsItUpToTheReportTime()
    {
        // Given a finished trial on cpu:0 and a still running one on cuda:1
        using var dir = new TempDirectory("report-running");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"], direction: StudyDirection.MINIMIZE);
        await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.3, 0.2], device: "cpu:0");
        await study.AddTrialAsync(TrialState.RUNNING, 1e-2, 16, "sgd", [0.5], device: "cuda:1");

        // When the report is written
        var index = await study.WriteReportAsync(dir["report"]);

        // Then the timeline is drawn and the table lists both devices and the running state
        var html = await File.ReadAllTextAsync(index);
        Assert.True(PngFile.Size(dir["report/timeline.png"]).Height >= 260);
        Assert.Contains("<td>cuda:1</td>", html);
        Assert.Contains(">RUNNING</td>", html);
        Assert.Contains("<th scope=\"row\">Direction</th><td>MINIMIZE</td>", html);
    }

    [Fact]
    public async Task WhenATrialHasJustStartedWithoutADeviceThenTheTimelineLeavesItOutInsteadOfDrawingANoDeviceRow()
    {
        // Given trials on four devices, and a RUNNING trial that has no device yet (the coordinator creates it
        // before its worker writes the device attribute; a report made in that moment drew a "(no device)" row)
        using var dir = new TempDirectory("report-no-device-yet");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        foreach (var device in new[] { "cpu:0", "cuda:0", "cuda:1" })
            await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.9], device: device);
        await study.AddTrialAsync(TrialState.RUNNING, 1e-2, 16, "sgd", [0.5], device: "cuda:2");
        await study.AddTrialAsync(TrialState.RUNNING, 3e-3, 24, "adam", [], device: null);

        // When the report is written
        var index = await study.WriteReportAsync(dir["report"]);

        // Then the timeline has the four device rows only (the height is 120 + 60 px a row: a fifth row made it 420),
        // its caption says what was left out, and the trial table still lists both RUNNING trials
        var html = await File.ReadAllTextAsync(index);
        Assert.Equal(120 + 60 * 4, PngFile.Size(dir["report/timeline.png"]).Height);
        Assert.Contains("Left out: 1 RUNNING trial not yet given a device.", html);
        Assert.Equal(2, CountOf(TrialsTable(html), ">RUNNING</td>"));
        Assert.Equal(5, CountOf(html, "<tr><td class=\"num\">"));
    }

    [Fact]
    public async Task WhenTheOnlyTrialHasJustStartedWithoutADeviceThenTheTimelineSaysSo()
    {
        // Given a study whose only trial is RUNNING and has no device yet
        using var dir = new TempDirectory("report-only-no-device");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.AddTrialAsync(TrialState.RUNNING, 1e-3, 16, "adam", [], device: null);

        // When the report is written
        var index = await study.WriteReportAsync(dir["report"]);

        // Then no timeline is drawn (it was one "(no device)" row), and the page says why; the trial is still listed
        var html = await File.ReadAllTextAsync(index);
        Assert.False(File.Exists(dir["report/timeline.png"]));
        Assert.Contains("Not drawn: no trial is on a device yet (1 RUNNING just started).", html);
        Assert.Contains(">RUNNING</td>", html);
    }

    // The trials table, the page's last section (the figures' data tables list trials too).
    private static string TrialsTable(string html) => html[html.IndexOf("<h2>Trials (", StringComparison.Ordinal)..];

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    [Fact]
    public async Task ARepeatsAndARetrysRowsNameTheTrialTheyRunAgain()
    {
        // Given a study whose trial 1 repeats trial 0 (selection) and trial 2 retries it
        using var dir = new TempDirectory("report-repeat");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.9]);
        await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.8], systemAttrs: new Dictionary<string, object?> { [StudyAttributes.RepeatOf] = 0 });
        await study.AddTrialAsync(TrialState.FAIL, 1e-3, 16, "adam", [], systemAttrs: new Dictionary<string, object?> { [StudyAttributes.RetryOf] = 0 });

        // When the report is written
        var index = await study.WriteReportAsync(dir["report"]);

        // Then their rows say so (a repeat's note was empty), the retry's with its failure
        var html = await File.ReadAllTextAsync(index);
        Assert.Contains("<td>repeat of trial 0</td>", html);
        Assert.Contains("<td>retry of trial 0; worker exited with code 134</td>", html);
    }
}
