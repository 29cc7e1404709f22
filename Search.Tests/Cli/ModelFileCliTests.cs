using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Study;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;

namespace Mnist.Search.Tests.Cli;

/// <summary>`study export` and `predict` on unusable model files, through the real command line (issue 11, item 9).</summary>
public sealed class ModelFileCliTests
{
    [Fact]
    public async Task ExportOfAnUnusableRetrainedModelFailsWithOneLineAndWritesNothing()
    {
        // Given a study whose retrain left a junk model.bin and a sidecar with nothing in it
        using var dir = new TempDirectory("cli-export-junk");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(File.Exists(dir["studies/cli-study/best/model.bin"]));

        // When it is exported as a TorchSharp checkpoint
        var export = await SearchCli.RunAsync(dir.Path, "study", "export", "cli-study", "--out", dir["out"], "--format", "torchsharp");

        // Then it fails with exit 2 and one line naming the sidecar, and nothing was exported
        Assert.Equal(2, export.ExitCode);
        Assert.Contains("model.json", export.Stderr);
        Assert.Single(export.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir["out"]) && Directory.EnumerateFileSystemEntries(dir["out"]).Any());
    }

    [Fact]
    public async Task PredictWithAnAbsurdSidecarIsRefusedBeforeAllocating()
    {
        // Given a real checkpoint whose sidecar asks for 100,000,000 channels
        using var dir = new TempDirectory("cli-predict-absurd");
        var model = Support.Trials.UntrainedCheckpoint.Write(dir["model"]);
        var sidecar = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "model.json")))!;
        sidecar["architecture"]!["conv1_channels"] = 100_000_000;
        FileFaults.Replace(Path.Combine(model, "model.json"), sidecar.ToJsonString());
        File.WriteAllBytes(dir["digit.png"], [0x89, 0x50]);

        // When it predicts
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", model, dir["digit.png"]);

        // Then exit 2 with one line naming the key and the allowed range, no crash
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("$.architecture.conv1_channels: 100000000 is not valid (expected an integer in 1..1024)", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("Unhandled", result.Stderr);
    }
}
