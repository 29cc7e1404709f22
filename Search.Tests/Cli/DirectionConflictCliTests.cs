using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A configuration whose direction contradicts the existing study's (an Optuna study made to minimize, taken over with
/// "maximize") was refused without naming the file or the JSON path, unlike every other configuration error
/// (audit-optuna 10).
/// </summary>
public sealed class DirectionConflictCliTests
{
    [Fact]
    public async Task ADirectionAgainstTheStudysIsRefusedNamingTheFileAndItsJsonPath()
    {
        // Given a study made to maximize, and a configuration of that name that minimizes
        using var dir = new TempDirectory("cli-direction-conflict");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", StudyFiles.WriteConfig(dir.Path, worker, trials: 1));
        Assert.True(created.ExitCode == 0, created.Stderr);
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["objective"] = new System.Text.Json.Nodes.JsonObject { ["metric"] = "val_accuracy", ["direction"] = "minimize" });

        // When it is created again
        var refused = await SearchCli.RunAsync(dir.Path, "study", "create", config);

        // Then it is refused in one line naming the file, $.objective.direction and both directions, exit 2
        Assert.Equal(2, refused.ExitCode);
        var line = Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {config}: $.objective.direction: ", line);
        Assert.Contains("minimize", line, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("maximize", line, StringComparison.OrdinalIgnoreCase);
    }
}
