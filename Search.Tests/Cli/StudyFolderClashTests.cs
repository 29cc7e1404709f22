using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// Two studies of the same name in different storages do not share `studies/NAME/` (issue 11): the folder is
/// tied to the first; the second is refused (exit 2, one line naming both) before it writes or reads anything there.
/// </summary>
public sealed class StudyFolderClashTests
{
    [Fact]
    public async Task WhenASameNamedStudyInAnotherStorageStartsThenItIsRefusedAndTheFirstOnesFilesAreKept()
    {
        // Given study "twin" run in its default SQLite file
        using var dir = new TempDirectory("cli-twin");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, name: "twin");
        var first = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var spec = await File.ReadAllTextAsync(dir["studies/twin/trials/0/spec.json"]);
        var log = await File.ReadAllTextAsync(dir["studies/twin/study.log"]);

        // When a study of the same name is created in another database (from another folder, whose studies/twin is free),
        // then started and exported from here; and created from here in a third database
        Directory.CreateDirectory(dir["elsewhere"]);
        File.Copy(config, dir["elsewhere/search.json"]);
        var create = await SearchCli.RunAsync(dir["elsewhere"], "study", "create", "search.json", "--storage", $"sqlite:{dir["other/twin.db"]}");
        var second = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--storage", "sqlite:other/twin.db");
        var export = await SearchCli.RunAsync(dir.Path, "study", "export", "twin", "--storage", "sqlite:other/twin.db", "--out", "exported");
        var createHere = await SearchCli.RunAsync(dir.Path, "study", "create", config, "--storage", "sqlite:third/twin.db");

        // Then the start, the export and the create here are refused naming the folder and the storage it belongs to (the
        // create, as the start of its file is: it said "Created", then the start was refused, and it leaves no database),
        // and the first study's files are as they were
        Assert.True(create.ExitCode == 0, create.Stderr);
        Assert.Equal(2, second.ExitCode);
        var line = Assert.Single(second.Stderr.Trim().Split('\n'));
        Assert.Contains(dir["studies/twin"], line);
        Assert.Contains(dir["studies/twin/study.db"], line);
        Assert.Equal(2, createHere.ExitCode);
        Assert.StartsWith($"error: study folder {dir["studies/twin"]} belongs to study 'twin' in sqlite:///{dir["studies/twin/study.db"]}", createHere.Stderr.Trim());
        Assert.False(Directory.Exists(dir["third"]), "the refused create left its database");
        Assert.Equal(2, export.ExitCode);
        Assert.Contains("belongs to study 'twin'", export.Stderr);
        Assert.Equal(spec, await File.ReadAllTextAsync(dir["studies/twin/trials/0/spec.json"]));
        Assert.Equal(log, await File.ReadAllTextAsync(dir["studies/twin/study.log"]));
        Assert.False(Directory.Exists(dir["exported"]));
        Assert.False(Directory.Exists(dir["studies/twin/trials/1"]));
    }

    [Fact]
    public async Task WhenTheFolderIsTakenThenARefusedStartLeavesNoDatabaseBehind()
    {
        // Given study "twin" run in its default SQLite file
        using var dir = new TempDirectory("cli-twin-new");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, name: "twin");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", config)).ExitCode);

        // When the same configuration is started against a database that does not exist yet, in a new folder
        var second = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--storage", "sqlite:other/other.db");

        // Then it is refused, and the database it created for that is gone again with its folder (it stayed, empty,
        // with its -reserve file)
        Assert.Equal(2, second.ExitCode);
        Assert.Contains("belongs to study 'twin'", second.Stderr);
        Assert.False(Directory.Exists(dir["other"]), "left behind: " + string.Join(", ", Directory.Exists(dir["other"]) ? Directory.GetFiles(dir["other"]) : []));
    }
}
