using System.Text.RegularExpressions;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>A fixed boolean has one form in every table, JSON's: study start's summary showed True, study status true.</summary>
public sealed class FixedBooleanCliTests
{
    [Fact]
    public async Task StudyStartAndStudyStatusShowAFixedBooleanAlike()
    {
        // Given a study that fixes batch_norm to true
        using var dir = new TempDirectory("cli-fixed-bool");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["fixed"]!["batch_norm"] = true);

        // When it runs and its status is asked for
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        var status = await SearchCli.RunAsync(dir.Path, "study", "status", "cli-study");

        // Then both tables show it as true
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(status.ExitCode == 0, status.Stderr);
        foreach (var table in new[] { run.Stdout, status.Stdout })
            Assert.Matches(new Regex(@"batch_norm \(fixed\)\s*│\s*true\s*│"), table);
    }
}
