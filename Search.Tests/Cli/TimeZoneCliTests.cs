using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// Optuna's tables hold the machine's local time without a zone; the query commands showed it as UTC ("…Z") and
/// subtracted it from the UTC clock, so off UTC a trial running for seconds was −32,000 s old (Tokyo).
/// </summary>
public sealed class TimeZoneCliTests
{
    private static readonly Dictionary<string, string> Tokyo = new() { ["TZ"] = "Asia/Tokyo" };

    [Fact]
    public async Task OffUtcARunningTrialsAgeAndItsStartAreTheTrueOnes()
    {
        // Given a study in Tokyo time whose one trial runs for a minute
        using var dir = new TempDirectory("cli-tz");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 60 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, name: "tz");
        var before = DateTime.UtcNow;
        using var study = SearchCli.Start(dir.Path, Tokyo, "study", "start", config, "--no-retrain");
        study.OutputDataReceived += (_, _) => { };
        study.ErrorDataReceived += (_, _) => { };
        study.BeginOutputReadLine();
        study.BeginErrorReadLine();
        try
        {
            // When it is queried in Tokyo time while the trial runs
            JsonNode? running = null;
            for (var wait = System.Diagnostics.Stopwatch.StartNew(); running is null && wait.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(300))
            {
                var status = await SearchCli.RunAsync(dir.Path, Tokyo, "study", "status", "tz", "--format", "json");
                if (status.ExitCode == 0 && JsonNode.Parse(status.Stdout)!["running_trials"]!.AsArray() is [var first, ..]) running = first;
            }
            Assert.NotNull(running);
            var shown = await SearchCli.RunAsync(dir.Path, Tokyo, "trials", "show", "tz", "0", "--format", "json");

            // Then its age is seconds, and its start, marked UTC, is the UTC time it started
            var elapsed = (double)running!["elapsed_s"]!;
            Assert.InRange(elapsed, 0, (DateTime.UtcNow - before).TotalSeconds + 1);
            Assert.True(shown.ExitCode == 0, shown.Stderr);
            var started = (string)JsonNode.Parse(shown.Stdout)!["started"]!;
            // ISO 8601 as jq's fromdateiso8601 reads it ("2026-12-06T12:12:38Z"; it was "2026-12-06 12:12:38Z")
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", started);
            var startedUtc = DateTime.Parse(started, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            Assert.InRange(startedUtc, before.AddSeconds(-1), DateTime.UtcNow);
        }
        finally
        {
            study.Kill(entireProcessTree: true);
            await study.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task OffUtcTheReportShowsTrialStartsInUtcAsItSays()
    {
        // Given a study run in Tokyo time
        using var dir = new TempDirectory("cli-tz-report");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, name: "tzr");
        var before = DateTime.UtcNow;
        var start = await SearchCli.RunAsync(dir.Path, Tokyo, "study", "start", config, "--no-retrain");
        Assert.True(start.ExitCode == 0, start.Stderr);

        // When its report is made in Tokyo time
        var report = await SearchCli.RunAsync(dir.Path, Tokyo, "study", "report", "tzr");
        Assert.True(report.ExitCode == 0, report.Stderr);

        // Then the trials table's "started (UTC)" is the UTC time the trial started (it was Tokyo's, 9 hours on)
        var html = File.ReadAllText(report.Stdout.Trim());
        Assert.Contains("started (UTC)", html);
        var cell = System.Text.RegularExpressions.Regex.Match(html, @"<td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</td>");
        Assert.True(cell.Success, "no start time in the trials table");
        var started = DateTime.ParseExact(cell.Groups[1].Value, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        Assert.InRange(started, before.AddSeconds(-1), DateTime.UtcNow);
    }
}
