using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A worker that dies while writing its checkpoint (killed, stopped past its grace) leaves no half-written file in
/// the trial's folder: it was kept for ever (79 MB seen).
/// </summary>
public sealed class PartialCheckpointCliTests
{
    [Fact]
    public async Task WhatAWorkerWasWritingWhenItDiedIsRemovedFromTheTrialFolder()
    {
        // Given a study whose trial 0 dies (SIGKILL) in the middle of writing its checkpoint and metrics
        using var dir = new TempDirectory("partial-checkpoint");
        const string dies = """
            out=$(dirname "$1")
            echo '{"event":"start","config":{}}'
            head -c 100000 /dev/zero > "$out/model.bin.tmp"; echo '{' > "$out/model.json.tmp"; echo '{' > "$out/metrics.json.tmp"
            kill -KILL $$
            """;
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01, Custom = { [0] = dies } }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);

        // When the study runs
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then the trial failed and its folder holds no partial file
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(Directory.Exists(dir["studies/cli-study/trials/0"]));
        Assert.Empty(Directory.GetFiles(dir["studies/cli-study/trials/0"], "*.tmp"));
    }
}
