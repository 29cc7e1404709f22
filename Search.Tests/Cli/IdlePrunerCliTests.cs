using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>A pruner that can prune nothing with the study's epochs, by default values, is warned of (audit-cli 15).</summary>
public sealed class IdlePrunerCliTests
{
    [Fact]
    public async Task AshaWithOneEpochIsWarnedOfOnceNamingTheFileAndRunsAndWithTwoEpochsItIsNot()
    {
        // Given a study of one epoch whose pruner is asha with its default min_resource (1)
        using var dir = new TempDirectory("cli-idle-pruner");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["pruner"] = new JsonObject { ["kind"] = "asha" });

        // When it is started
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it runs (refusing it would strand studies already stored), and one warning names the file and $.pruner
        // (it ran without a word that it could never prune)
        Assert.True(run.ExitCode == 0, run.Stderr);
        var warning = Assert.Single(run.Stderr.Split('\n'), l => l.Contains("prunes nothing"));
        Assert.Contains($"{config}: $.pruner: \"asha\" prunes nothing: a trial is first judged after min_resource (1) epoch(s), never at its last, and budget.epochs is 1", warning);

        // When a study of two epochs with the same pruner is created
        var two = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, name: "two", tweak: c =>
        {
            c["pruner"] = new JsonObject { ["kind"] = "asha" };
            c["budget"]!["epochs"] = 2;
        });
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", two);

        // Then nothing is said of the pruner
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.DoesNotContain("prunes nothing", created.Stderr);
    }

    [Fact]
    public async Task MedianWithOneEpochIsWarnedOfWhenTheStudyIsCreated()
    {
        // Given a configuration of one epoch whose pruner is median (warmup_epochs 0 by default)
        using var dir = new TempDirectory("cli-idle-median");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["pruner"] = new JsonObject { ["kind"] = "median" });

        // When the study is created
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", config);

        // Then one warning line says so, naming the file
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Equal($"warning: {config}: $.pruner: \"median\" prunes nothing: its first 0 epoch(s) (warmup_epochs) and its last are never judged, and budget.epochs is 1 (raise budget.epochs, or set pruner.kind \"none\")",
            Assert.Single(created.Stderr.Split('\n'), l => l.Contains("prunes nothing")));
    }
}
