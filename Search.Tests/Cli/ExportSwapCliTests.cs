using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Onnx;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Workers;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>study export</c> while a finishing retrain swaps <c>best/</c> by rename: the export is one model or none. The swap
/// is made deterministic by the real Trials program run through a wrapper (<c>MNIST_SEARCH_WORKER</c>) that renames the
/// folders, as a retrain's promotion does, when the export starts Trials' <c>check</c>: after export found the model,
/// before it reads the weights. Export once paired the other model's weights with the first one's trial and metrics.
/// </summary>
public sealed class ExportSwapCliTests(TrainedCnns cnns) : IClassFixture<TrainedCnns>
{
    [Fact]
    public async Task AModelSwappedInDuringTheExportIsRefusedAndNothingIsWritten()
    {
        // Given a retrained study whose best/ holds a real checkpoint, and another real checkpoint ready to be swapped in
        using var dir = new TempDirectory("cli-export-swap");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var best = dir["studies/cli-study/best"];
        Directory.CreateDirectory(dir["alt"]);
        foreach (var name in new[] { "model.bin", "model.json" })
        {
            File.Copy(Path.Combine(cnns.Folder("1conv-k3-fc1"), name), Path.Combine(best, name), overwrite: true);
            File.Copy(Path.Combine(cnns.Folder("2conv-k5-bn-fc2"), name), dir[$"alt/{name}"]);
        }

        // And the real Trials program behind a wrapper that swaps best/ for alt/ when it is asked to check a model
        var real = WorkerLocator.Locate(null, WorkerLocator.BuiltWorkerDirectory());
        var wrapper = dir["trials-swapping.sh"];
        File.WriteAllText(wrapper, $"""
            #!/bin/sh
            if [ "$1" = check ] && [ -d '{dir["alt"]}' ]; then mv '{best}' '{best}.old' && mv '{dir["alt"]}' '{best}'; fi
            exec '{real.FileName}' {string.Join(' ', real.Arguments.Select(a => $"'{a}'"))} "$@"
            """);
        Unprivileged.SetMode(wrapper, "755");
        var environment = new Dictionary<string, string> { [WorkerLocator.EnvironmentVariable] = wrapper };

        // When the study's model is exported as ONNX while the swap happens
        var export = await SearchCli.RunAsync(dir.Path, environment, "study", "export", "cli-study", "--out", dir["out"], "--format", "onnx");

        // Then it is refused in one line (exit 1: the machine's state, not bad input), and nothing was written
        Assert.True(Directory.Exists(dir["studies/cli-study/best.old"]), "the wrapper did not swap best/");
        Assert.Equal(1, export.ExitCode);
        Assert.Equal($"error: {best}: the model changed while it was being exported (a retrain finished?); nothing was written. Export again",
            Assert.Single(export.Stderr.Trim().Split('\n')));
        Assert.False(Directory.Exists(dir["out"]));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(dir.Path), e => Path.GetFileName(e).StartsWith(".out", StringComparison.Ordinal));

        // And run again, with best/ settled, the export is the model now in best/
        var again = await SearchCli.RunAsync(dir.Path, environment, "study", "export", "cli-study", "--out", dir["out"], "--format", "onnx");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(cnns.Folder("2conv-k5-bn-fc2"), "model.json"))[..40], File.ReadAllText(dir["out/model.json"])[..40]);
    }
}
