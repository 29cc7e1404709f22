using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Models;

/// <summary>
/// <c>study export</c> of a model another worker program (<c>worker.command</c>) trained says plainly that export serves
/// only the built-in Trials worker's models (walkthrough finding 6: it blamed "$.architecture.lr: unknown hyperparameter"
/// in the user's file). Real command line, real Trials check.
/// </summary>
public sealed class ForeignWorkerExportTests
{
    [Fact]
    public async Task ExportOfAModelAnotherWorkerProgramTrainedIsRefusedSayingWhy()
    {
        // Given a study retrained by a worker script of its own, whose model files are not Trials' checkpoint
        using var dir = new TempDirectory("export-foreign");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(start.ExitCode == 0, start.Stderr);

        // When it is exported
        var r = await SearchCli.RunAsync(dir.Path, "study", "export", "cli-study", "--out", "exported", "--format", "onnx");

        // Then it is refused as bad input, in one line naming the study's worker program and what export serves, and
        // nothing is written
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith($"error: cannot export {dir["studies/cli-study/best"]}: study 'cli-study' was trained by its own worker program "
            + $"(worker.command: /bin/bash {worker.ScriptPath} {{spec}}), and export and predict serve only models of the built-in Trials worker", line);
        Assert.False(Directory.Exists(dir["exported"]));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path, "exported*"));
    }
}
