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
        // Given a study made to maximize, and a configuration of that name that minimizes val_loss
        using var dir = new TempDirectory("cli-direction-conflict");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", StudyFiles.WriteConfig(dir.Path, worker, trials: 1));
        Assert.True(created.ExitCode == 0, created.Stderr);
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["objective"] = new System.Text.Json.Nodes.JsonObject { ["metric"] = "val_loss", ["direction"] = "minimize" });

        // When it is created again
        var refused = await SearchCli.RunAsync(dir.Path, "study", "create", config);

        // Then it is refused in one line naming the file, $.objective.direction, the value and the study's direction, exit 2
        Assert.Equal(2, refused.ExitCode);
        var line = Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(line.Contains($"{config}: $.objective.direction: \"minimize\", but study 'cli-study' exists with direction MAXIMIZE", StringComparison.Ordinal), line);
    }
}
