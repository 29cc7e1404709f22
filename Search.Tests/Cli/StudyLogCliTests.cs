using System.Text.RegularExpressions;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// study.log is shared by every process of a study, and its <c>(pid)</c> column is how their lines are told apart:
/// it is the writing process's. A message that names another process (a trial's worker, a dead coordinator) took
/// the column over: "(7849) Trial 16 was left RUNNING by dead process 7849" read as if the killed process wrote it.
/// </summary>
public sealed partial class StudyLogCliTests
{
    [Fact]
    public async Task EachLineOfStudyLogCarriesThePidOfTheProcessThatWroteIt()
    {
        // Given a study of two trials, each run by a worker process of its own
        using var dir = new TempDirectory("cli-study-log");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);

        // When the study runs
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then every line of study.log has one pid in its column, the coordinator's; the lines that name a worker's pid
        // keep it in their message
        Assert.True(run.ExitCode == 0, run.Stderr);
        var lines = File.ReadAllLines(dir["studies/cli-study/study.log"]).Where(l => LogLine().IsMatch(l)).ToList();
        var started = lines.Where(l => l.Contains(" started on ")).ToList();
        Assert.Equal(2, started.Count);
        var writers = lines.Select(l => LogLine().Match(l).Groups["pid"].Value).Distinct().ToList();
        var coordinator = Assert.Single(writers);
        Assert.All(started, l => Assert.Matches(WorkerPid(), l));
        Assert.All(started, l => Assert.NotEqual(coordinator, WorkerPid().Match(l).Groups["pid"].Value));
    }

    [Fact]
    public async Task TheLineThatSaysTheStudyWasCreatedCarriesNoArgumentItsTemplateDoesNotName()
    {
        // Given a new study of one trial
        using var dir = new TempDirectory("cli-study-log-created");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);

        // When it runs
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then study.log's "created" line ends with the storage: the trial count passed to its two-placeholder template
        // was written after it as {"__2":0} (audit-cli 11)
        Assert.True(run.ExitCode == 0, run.Stderr);
        var created = Assert.Single(File.ReadAllLines(dir["studies/cli-study/study.log"]), l => l.Contains(" Study cli-study created in "));
        Assert.DoesNotContain("__2", created);
    }

    [Fact]
    public async Task StudyLogLinesCarryNoEmptyPropertiesAndSayTheTrialStateUnquoted()
    {
        // Given a study of two trials
        using var dir = new TempDirectory("cli-study-log-lines");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);

        // When the study runs
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then no line of study.log ends in an empty "{}" (every line did), and a trial's end reads as on the console:
        // "Trial 0 COMPLETE: …", not "Trial 0 'COMPLETE'" with JSON quotes
        Assert.True(run.ExitCode == 0, run.Stderr);
        var lines = File.ReadAllLines(dir["studies/cli-study/study.log"]).Where(l => LogLine().IsMatch(l)).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.False(l.EndsWith(" {}", StringComparison.Ordinal), l));
        Assert.Equal(2, lines.Count(l => TrialEnd().IsMatch(l)));
        Assert.Contains(run.Stderr.Split('\n'), l => TrialEnd().IsMatch(l));
    }

    [GeneratedRegex(@"\) Trial \d+ COMPLETE: val_accuracy = 0\.\d{4}$|INF Trial \d+ COMPLETE: val_accuracy = 0\.\d{4}$")]
    private static partial Regex TrialEnd();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[[A-Z]{3}\] \((?<pid>\d+)\) ")]
    private static partial Regex LogLine();

    [GeneratedRegex(@"started on \S+ \(pid (?<pid>\d+)\)")]
    private static partial Regex WorkerPid();
}
