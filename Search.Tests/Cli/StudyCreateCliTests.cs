using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>study create</c> refuses what <c>study start</c> of the same file refuses, before it creates anything: it said
/// "Created study", and the start that followed was refused. A worker program missing on this machine is a warning
/// only: the machines that run <c>study worker</c> may have it.
/// </summary>
public sealed class StudyCreateCliTests
{
    [Fact]
    public async Task AmongAnEarlierStudysFilesCreateIsRefusedAsStartIsAndCreatesNothing()
    {
        // Given a study that ran and was deleted, its files kept in studies/cli-study
        using var dir = new TempDirectory("cli-create-earlier");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", config)).ExitCode);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "delete", "cli-study")).ExitCode);

        // When the same file's study is created again
        var create = await SearchCli.RunAsync(dir.Path, "study", "create", config);
        var list = await SearchCli.RunAsync(dir.Path, "study", "list", "--format", "json");

        // Then it is refused in the line `study start` gives, and no study was created
        Assert.Equal(2, create.ExitCode);
        Assert.Contains($"study folder {dir["studies/cli-study"]} holds the files of an earlier study 'cli-study'", Assert.Single(create.Stderr.Trim().Split('\n')));
        Assert.Equal("", create.Stdout);
        Assert.Empty(JsonNode.Parse(list.Stdout)!.AsArray());
    }

    [Fact]
    public async Task AWorkerProgramWithANulCharacterIsRefusedInOneLineBeforeAnythingIsCreated()
    {
        // Given a configuration whose worker program ends in a NUL character
        using var dir = new TempDirectory("cli-create-nul");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["worker"]!["command"] = new JsonArray("/bin/true\0"));

        // When the study is created
        var create = await SearchCli.RunAsync(dir.Path, "study", "create", config);

        // Then one line names the JSON path, exit 2, and nothing was created (it said "Created study", then exited 1 with a
        // .NET stack trace)
        Assert.Equal(2, create.ExitCode);
        Assert.Contains("$.worker.command[0]", Assert.Single(create.Stderr.Trim().Split('\n')));
        Assert.Equal("", create.Stdout);
        Assert.False(Directory.Exists(dir["studies"]));
    }

    [Fact]
    public async Task AWorkerProgramMissingHereIsCreatedWithAWarning()
    {
        // Given a configuration whose worker program this machine does not have
        using var dir = new TempDirectory("cli-create-worker");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["worker"]!["command"] = new JsonArray("./missing.sh", "{spec}"));

        // When the study is created, then started here
        var create = await SearchCli.RunAsync(dir.Path, "study", "create", config);
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it is created, with one warning naming the program and the JSON path, and the start here refuses it
        Assert.True(create.ExitCode == 0, create.Stderr);
        Assert.StartsWith("Created study 'cli-study' in sqlite:///", create.Stdout);
        Assert.Equal($"warning: {config}: $.worker.command[0]: {dir["missing.sh"]} is not an executable file on this machine; `study start` here refuses it, " +
            "and each machine that runs `study worker` needs it", create.Stderr.Trim());
        Assert.Equal(2, start.ExitCode);
        Assert.Contains($"$.worker.command[0]: {dir["missing.sh"]} is not an executable file", start.Stderr);
    }
}
