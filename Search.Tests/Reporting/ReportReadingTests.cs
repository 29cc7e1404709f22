using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Reporting;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Reporting;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Reporting;

/// <summary>
/// The report as a screen-reader user and an analyst read it (audit 1207, findings 3–6 and 12): text alternatives and
/// the numbers behind the figures, contrast, table semantics, one notation and one order for parameters, the confusion
/// matrix's reason, and trials written by another time zone's clock.
/// </summary>
public sealed partial class ReportReadingTests
{
    [Fact]
    public async Task EveryFigureHasATextAlternativeThatSaysWhatItShowsAndItsSize()
    {
        // Given a study with every kind of trial and a retrained model
        using var dir = new TempDirectory("report-alt");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.FillMixedAsync(dir["best"]);

        // When the report is written
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then no image's alt repeats its heading (a screen reader heard each title twice and none of the data), each
        // names its size, and the page's content is in a main landmark
        var images = ImagePattern().Matches(html);
        Assert.Equal(7, images.Count);
        foreach (Match image in images)
        {
            var heading = Regex.Match(html[..image.Index], "<h2>([^<]*)</h2>\n[^\n]*$").Groups[1].Value;
            Assert.NotEqual(heading, image.Groups["alt"].Value);
            Assert.True(image.Groups["alt"].Value.Length > 60, image.Groups["alt"].Value);
            var (width, height) = PngFile.Size(Path.Combine(dir["report"], image.Groups["src"].Value));
            Assert.Equal((width, height), (int.Parse(image.Groups["w"].Value), int.Parse(image.Groups["h"].Value)));
        }
        Assert.Contains("<main>", html);
        // And the alts state the data: the best value's path and what was pruned, the confusion matrix's diagonal
        Assert.Contains("Best objective value rose from 0.8809 (trial 0) to 0.99 (trial 3) over 8 COMPLETE trials; 3 PRUNED", html);
        Assert.Contains("995 of 1035 images on the diagonal (predicted correctly); most frequent errors: true 0 predicted as 4 (2 images)", html);
        // And the numbers behind the curves and the history are in tables a screen reader can read
        Assert.Contains("<caption id=\"table-", html);
        Assert.Contains("<summary>Data: objective value after each epoch, per trial</summary>", html);
        Assert.Contains("<summary>Data: Optimization history:", html);
    }

    [Fact]
    public async Task ImportanceIsATableThatNamesItsMethodTheParametersLeftOutAndWarnsOfFewTrials()
    {
        // Given a conditional study of 6 COMPLETE trials: momentum is suggested only when the optimizer is sgd
        using var dir = new TempDirectory("report-importance");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        for (var i = 0; i < 6; i++)
            await AddAsync(study, TrialState.COMPLETE, 0.8 + 0.02 * i,
                ("learning_rate", ReportStudy.LearningRate, Math.Pow(10, -3 + 0.3 * i)),
                ("optimizer", ReportStudy.Optimizer, i % 2),
                ("momentum", Momentum, i % 2 == 1 ? 0.9 : double.NaN));

        // When the report is written
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then the importances are a table under the figure whose caption names the method, with two decimals
        var section = html[html.IndexOf("<h2>Parameter importance</h2>", StringComparison.Ordinal)..html.IndexOf("<h2>Learning curves (objective", StringComparison.Ordinal)];
        Assert.Contains("<caption id=\"table-", section);
        Assert.Contains("permutation importance of a Gaussian-process surrogate, from 6 COMPLETE trials", section);
        Assert.Matches("<th scope=\"row\">learning_rate</th><td class=\"num\">[01]\\.\\d\\d</td>", section);
        Assert.Matches("<th scope=\"row\">optimizer</th><td class=\"num\">[01]\\.\\d\\d</td>", section);
        // And it says which parameter was left out and why, and that 6 trials are too few to trust
        Assert.Contains("Left out, as not in every COMPLETE trial (a conditional parameter, or one another client&#39;s trials lack): momentum.", section);
        Assert.Contains("<p class=\"warning\">Few trials: with 6 COMPLETE trials (fewer than 15), these importances are unreliable", section);
        Assert.Matches("alt=\"Bar chart of parameter importance from 6 COMPLETE trials, largest first: [a-z_]+ [01]\\.\\d\\d, [a-z_]+ [01]\\.\\d\\d\\.", section);
    }

    [Fact]
    public async Task TheStateColumnsTextMeetsWcagAaContrastOnWhite()
    {
        // Given a study with COMPLETE, PRUNED, FAIL and RUNNING trials
        using var dir = new TempDirectory("report-contrast");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.FillMixedAsync(dir["best"]);
        await study.AddTrialAsync(TrialState.RUNNING, 1e-3, 16, "adam", [0.5]);

        // When the report is written
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then every state's text colour has at least 4.5:1 against white (the palette's orange had 2.53, green 3.40)
        var colours = StatePattern().Matches(html).Select(m => (State: m.Groups[2].Value, Colour: m.Groups[1].Value)).Distinct().ToArray();
        Assert.Equal(["COMPLETE", "FAIL", "PRUNED", "RUNNING"], colours.Select(c => c.State).Distinct().Order());
        foreach (var (state, colour) in colours)
            Assert.True(ContrastOnWhite(colour) >= 4.5, $"{state} {colour}: {ContrastOnWhite(colour):0.00}:1");
    }

    [Fact]
    public async Task TablesHaveCaptionsAndScopesTheBestTrialsParametersAreGroupedAndAnUnusedOneIsSaidSo()
    {
        // Given a conditional study whose best trial does not use momentum
        using var dir = new TempDirectory("report-tables");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await AddAsync(study, TrialState.COMPLETE, 0.8, ("optimizer", ReportStudy.Optimizer, 1), ("momentum", Momentum, 0.9));
        await AddAsync(study, TrialState.COMPLETE, 0.9, ("optimizer", ReportStudy.Optimizer, 0), ("momentum", Momentum, double.NaN));

        // When the report is written
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then every table has a caption and every header cell a scope
        Assert.Equal(Regex.Count(html, "<table>"), Regex.Count(html, "<table>\n<caption id="));
        Assert.DoesNotContain("<th>", html);
        // And the best trial's parameters are a table named after it (not rows indented by spaces), momentum "not used"
        Assert.Contains("<caption id=\"table-2\">Parameters of the best trial (#1)</caption>", html);
        Assert.DoesNotContain("&nbsp;", html);
        Assert.Contains("<th scope=\"row\">momentum</th><td><span aria-hidden=\"true\">—</span><span class=\"sr-only\">not used</span></td>", html);
        // And the trials table scrolls on its own, from the keyboard, named by its caption
        Assert.Matches("<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-labelledby=\"(table-\\d+)\">\n<table>\n<caption id=\"\\1\">Every trial by number", html);
    }

    [Fact]
    public async Task AParameterColumnWritesEveryValueInOneNotation()
    {
        // Given trials whose learning rates need an exponent (1e-4) or not (0.003)
        using var dir = new TempDirectory("report-notation");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.FillMixedAsync(dir["best"]);

        // When the report is written
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then the lr column and the best trial's lr write both with one (6.849e-4 stood next to 0.00245)
        Assert.Contains("<td>1e-4</td>", html);
        Assert.Contains("<td>3e-3</td>", html);
        Assert.DoesNotContain("<td>0.003</td>", html);
        Assert.Contains("<th scope=\"row\">lr</th><td>3e-3</td>", html);
    }

    [Fact]
    public async Task ParametersAreInTheSearchSpacesOrderEverywhere()
    {
        // Given a conditional study whose first trial lacks conv3_channels (one conv layer): it appears later, yet comes
        // before optimizer in every trial that has it; alphabetically conv3_channels would also come first
        using var dir = new TempDirectory("report-order");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await AddAsync(study, TrialState.COMPLETE, 0.8, ("conv_layers", Layers, 2), ("conv3_channels", Channels, double.NaN), ("optimizer", ReportStudy.Optimizer, 0));
        await AddAsync(study, TrialState.COMPLETE, 0.9, ("conv_layers", Layers, 3), ("conv3_channels", Channels, 32), ("optimizer", ReportStudy.Optimizer, 1));
        await AddAsync(study, TrialState.COMPLETE, 0.85, ("conv_layers", Layers, 3), ("conv3_channels", Channels, 48), ("optimizer", ReportStudy.Optimizer, 2));

        // When the report is written
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then the trials table and the best trial's table list them in the order the trials were given them
        string[] order = ["conv_layers", "conv3_channels", "optimizer"];
        Assert.Contains(string.Concat(order.Select(n => $"<th scope=\"col\">{n}</th>")), html);
        Assert.Matches(string.Join("[^\n]*\n", order.Select(n => $"<tr><th scope=\"row\">{n}</th>")), html);

        // And with the stored space's order (as the report command passes it), that order
        var data = (await StudyReportData.LoadAsync(study.Storage, study.Study.Name))! with { SpaceNames = ["optimizer", "conv_layers", "conv3_channels"] };
        var spaced = await File.ReadAllTextAsync(StudyReportWriter.Write(data, dir["report2"]));
        Assert.Contains("<th scope=\"col\">optimizer</th><th scope=\"col\">conv_layers</th><th scope=\"col\">conv3_channels</th>", spaced);
    }

    [Fact]
    public async Task ARetrainWhoseWorkerRecordedNoConfusionMatrixIsNotCalledMissing()
    {
        // Given a study retrained by a custom worker that wrote no confusion_matrix: accuracy and trial stored, no metrics
        using var dir = new TempDirectory("report-no-matrix");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.9]);
        await study.Storage.SetStudyUserAttrAsync(study.Study.Id, StudyAttributes.RetrainTestAccuracy, 0.9628);
        await study.Storage.SetStudyUserAttrAsync(study.Study.Id, StudyAttributes.RetrainTrial, 0);

        // When the report is written
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then it does not say "no retrained model yet" beside the retrained accuracy, but why there is no matrix
        Assert.Contains("96.28 %", html);
        Assert.DoesNotContain("no retrained model", html);
        Assert.DoesNotContain("study retrain", html);
        Assert.Contains("Not drawn: the retrain&#39;s worker recorded no `confusion_matrix` in its metrics.json (optional there: see docs/worker-protocol.md)", html);
    }

    [Fact]
    public async Task ATrialWrittenByAnotherTimeZonesClockIsLeftOutOfTheTimelineAndNamed()
    {
        // Given a study of 13 trials over seconds, and a trial 13 an Optuna client in New York wrote: 5 hours earlier
        using var dir = new TempDirectory("report-time-zone");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.FillMixedAsync(dir["best"]);
        await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.9], device: null);
        await ShiftAsync(dir["study.db"], 13, TimeSpan.FromHours(-5));

        // When the report is written
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then the timeline spans the other trials only (it spanned 5 hours, every trial in its last pixel column) and
        // says which trial it left out and why; the trials table says so in that trial's row
        Assert.Matches("alt=\"Device timeline of 13 trials on 2 devices \\(cpu:0 ran 7, cuda:0 ran 6\\) over [\\d.]+ seconds", html);
        Assert.Contains("Left out of the timeline: trial 13, which started 5 hours before every trial numbered below it, though created after them: "
            + "its time looks like another time zone&#39;s clock", html);
        Assert.Contains("another time zone&#39;s clock (left out of the device timeline)</td></tr>", html);
    }

    [Fact]
    public async Task AStudyResumedHoursLaterKeepsItsWholeTimeline()
    {
        // Given a study whose last two trials ran 5 hours after the others (resumed later: higher numbers, later times)
        using var dir = new TempDirectory("report-resumed");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.FillMixedAsync(dir["best"]);
        await ShiftAsync(dir["study.db"], 11, TimeSpan.FromHours(5));
        await ShiftAsync(dir["study.db"], 12, TimeSpan.FromHours(5));

        // When the report is written
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then nothing is left out: the timeline spans the hours
        Assert.DoesNotContain("Left out of the timeline", html);
        Assert.Matches("alt=\"Device timeline of 13 trials on 2 devices [^\"]* over 5(\\.\\d)? hours", html);
    }

    [Fact]
    public async Task TheAltTextsCountInTheSingularAndSayWhatIsNotDrawn()
    {
        // Given a study of one COMPLETE trial at 0.9, one COMPLETE at +Infinity (Optuna allows it) and one PRUNED whose
        // last epoch's value is NaN
        using var dir = new TempDirectory("report-alt-edges");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await AddAsync(study, TrialState.COMPLETE, 0.9, ("optimizer", ReportStudy.Optimizer, 0));
        await AddAsync(study, TrialState.COMPLETE, double.PositiveInfinity, ("optimizer", ReportStudy.Optimizer, 1));
        await AddAsync(study, TrialState.PRUNED, double.NaN, ("optimizer", ReportStudy.Optimizer, 2));

        // When the report is written
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then one trial is "1 trial"; the infinite and the NaN trial, which the history leaves out, are not said to be
        // drawn (it said "over 1 COMPLETE trials" and "1 PRUNED (drawn at their last epoch's value)"); and the history's
        // table shows the infinite value as such (it showed "NaN (epoch 1)", the last epoch's value)
        Assert.Contains("Optimization history of 3 trials. Best objective value stayed at 0.9 (trial 0) over 1 COMPLETE trial; "
            + "1 COMPLETE with a value that is not finite (not drawn); 1 PRUNED without a finite last epoch&#39;s value (not drawn). ", html);
        Assert.Contains("one line per trial: 1 trial (1 COMPLETE)", html);
        Assert.Matches("<tr><th scope=\"row\">1</th><td>COMPLETE</td><td[^>]*>Infinity</td><td[^>]*>0.9</td></tr>", html);
    }

    [Fact]
    public async Task AWaitingTrialClaimedTheNextDayIsNotCalledAnotherTimeZones()
    {
        // Given a study another Optuna client wrote (no device attribute) of 16 trials, trial 3 of which was enqueued and
        // left WAITING until the next day, when it was claimed 20 hours later (start order is not number order)
        using var dir = new TempDirectory("report-waiting-late");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        for (var i = 0; i < 16; i++) await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.8 + 0.01 * i], device: null);
        await ShiftAsync(dir["study.db"], 3, TimeSpan.FromHours(20));

        // When the outliers are judged with day 1 the larger session, then with day 2 (trials 10-15 too) the larger one
        var dayOneLarger = ClockOutliers.Of((await StudyReportData.LoadAsync(study.Storage, study.Study.Name))!.Trials);
        for (var n = 10; n < 16; n++) await ShiftAsync(dir["study.db"], n, TimeSpan.FromHours(20));
        var html = await File.ReadAllTextAsync(await study.WriteReportAsync(dir["report"]));

        // Then no trial is called another time zone's: the late one was not (20 h after its session), nor were trials 4-9
        // of day 1 (the group rule hid these six, hours before trial 3 of the larger group); the timeline spans the day
        Assert.Empty(dayOneLarger);
        Assert.DoesNotContain("Left out of the timeline", html);
        Assert.DoesNotContain("another time zone", html);
        Assert.Matches("alt=\"Device timeline of 16 trials on 1 device [^\"]* over 20(\\.\\d)? hours", html);
    }

    private static readonly FloatDistribution Momentum = new(0.5, 0.99);
    private static readonly IntDistribution Layers = new(1, 3);
    private static readonly IntDistribution Channels = new(16, 64, Step: 16);

    /// <summary>A finished trial with the given parameters (NaN: not suggested), in that order, as the coordinator stores them.</summary>
    private static async Task AddAsync(ReportStudy study, TrialState state, double value, params (string Name, ParameterDistribution Distribution, double Value)[] parameters)
    {
        var given = parameters.Where(p => !double.IsNaN(p.Value)).ToDictionary(p => p.Name, p => (p.Distribution, p.Value));
        var trial = await study.Storage.CreateTrialAsync(study.Study.Id, TrialState.RUNNING, given, new Dictionary<string, object?> { [StudyAttributes.Device] = "cpu:0" });
        await study.Storage.ReportIntermediateValueAsync(trial.Id, 1, value);
        await study.Storage.FinishTrialAsync(trial.Id, state, double.IsNaN(value) ? null : value);
    }

    /// <summary>Moves a trial's start and end, as another clock would have written them.</summary>
    private static async Task ShiftAsync(string db, int number, TimeSpan by)
    {
        await using var c = new SqliteConnection($"Data Source={db};Pooling=false");
        var (start, end) = await c.QuerySingleAsync<(string, string)>("SELECT datetime_start, datetime_complete FROM trials WHERE number = @number", new { number });
        string Shift(string time) => DateTime.Parse(time, CultureInfo.InvariantCulture).Add(by).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        await c.ExecuteAsync("UPDATE trials SET datetime_start = @start, datetime_complete = @end WHERE number = @number",
            new { start = Shift(start), end = Shift(end), number });
    }

    /// <summary>WCAG 2's contrast ratio of a #rrggbb colour against white.</summary>
    private static double ContrastOnWhite(string hex)
    {
        double Channel(int i)
        {
            var c = Convert.ToInt32(hex.Substring(1 + 2 * i, 2), 16) / 255.0;
            return c <= 0.03928 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }
        var luminance = 0.2126 * Channel(0) + 0.7152 * Channel(1) + 0.0722 * Channel(2);
        return 1.05 / (luminance + 0.05);
    }

    [GeneratedRegex("<img src=\"(?<src>[^\"]+)\" alt=\"(?<alt>[^\"]*)\" width=\"(?<w>\\d+)\" height=\"(?<h>\\d+)\">")]
    private static partial Regex ImagePattern();

    [GeneratedRegex("class=\"state\" style=\"color:(#[0-9a-f]{6})\">([A-Z]+)<")]
    private static partial Regex StatePattern();
}
