using System.Diagnostics;
using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Trials;
using Mnist.Search.Tests.Support.Workers;

namespace Mnist.Search.Tests.Trials.Native;

/// <summary>The Trials worker on a machine where libtorch cannot be loaded.</summary>
[Collection(WorkerProcessCollection.Name)]
public sealed class LibTorchLoadFailureTests
{
    [Fact]
    public async Task ATrialWhoseLibTorchCannotBeLoadedEndsWithTheMachinesExitCodeFour()
    {
        // Given the worker without one of libtorch's libraries, and a CPU spec
        using var worker = new WorkerWithoutLibTorch();
        using var dir = new TempDirectory("trials-no-libtorch");
        var spec = dir["spec.json"];
        File.WriteAllText(spec, new JsonObject
        {
            ["hyperparameters"] = new JsonObject { ["conv1_channels"] = 8, ["batch_size"] = 32 },
            ["epochs"] = 1, ["seed"] = 1, ["data_dir"] = dir["data"], ["out_dir"] = dir["out"], ["device"] = "cpu", ["threads"] = 1,
        }.ToJsonString());

        // When it runs the trial
        var psi = new ProcessStartInfo(worker.Executable) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "run", "--spec", spec }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in worker.Environment) psi.Environment[k] = v;
        using var run = Process.Start(psi)!;
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = run.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await run.WaitForExitAsync(timeout.Token);

        // Then it exits 4, the machine's problem (it was 1, an ordinary failure of the trial, so a study failed one trial
        // after another), with an error event that says so, and the whole trace on stderr
        Assert.True(run.ExitCode == 4, $"exit {run.ExitCode}: {await stderr}");
        var error = (await stdout).Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!).Single(e => (string?)e["event"] == "error");
        Assert.StartsWith("libtorch cannot be loaded on this machine: ", (string)error["message"]!);
        Assert.Contains("TypeInitializationException", await stderr);
    }
}
