using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A reader whose TZ is west of the study's writer (Optuna's times carry no zone) reads a running trial's start in the
/// future: `study status` gave it a negative elapsed_s (-17991.9 for New York reading a study run in UTC, audit-ops 12).
/// Its age is now 0, never negative, with one warning line saying the times look like another time zone's.
/// </summary>
public sealed class ReaderTimeZoneCliTests
{
    [Fact]
    public async Task AReaderWestOfTheWriterGetsNoNegativeElapsedAndOneWarning()
    {
        // Given a study run with TZ=UTC whose one trial is running
        using var dir = new TempDirectory("cli-reader-tz");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 40, EpochSeconds = 0.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        using var study = SearchCli.Start(dir.Path, new Dictionary<string, string> { ["TZ"] = "UTC" }, "study", "start", config, "--no-retrain");
        var stderr = study.StandardError.ReadToEndAsync();
        var stdout = study.StandardOutput.ReadToEndAsync();
        try
        {
            await worker.UntilStartedAsync(study, stderr);

            // When `study status --format json` runs with TZ=America/New_York (5 h west of UTC)
            var status = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["TZ"] = "America/New_York" },
                "study", "status", "cli-study", "--format", "json");

            // Then the running trial's elapsed_s is 0, not about -18000, and stderr has one warning naming the time zones
            Assert.True(status.ExitCode == 0, status.Stderr);
            var running = Assert.Single(JsonNode.Parse(status.Stdout)!["running_trials"]!.AsArray())!;
            Assert.Equal(0.0, (double)running["elapsed_s"]!);
            var warning = Assert.Single(status.Stderr.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("warning: a running trial started ", warning);
            Assert.Contains("look like another time zone's", warning);
        }
        finally
        {
            if (!study.HasExited) study.Kill(entireProcessTree: true);
            await study.WaitForExitAsync();
            await stdout;
        }
    }
}
