using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A file where a folder should be, or a folder where a database should be: the messages said "Could not find a part
/// of the path" or "does not exist", and a storage folder from search.json was not traced to it.
/// </summary>
public sealed class PathInTheWayCliTests
{
    [Fact]
    public async Task AFileNamedStudiesIsNamedAsTheFileInTheWay()
    {
        // Given a file called studies beside search.json
        using var dir = new TempDirectory("cli-in-the-way");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 1);
        File.WriteAllText(dir["studies"], "notes");

        // When the study is created
        var r = await SearchCli.RunAsync(dir.Path, "study", "create", config);

        // Then one line says that file is in the way
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{dir["studies"]} is a file, not a folder", Assert.Single(r.Stderr.Trim().Split('\n')));
    }

    [Fact]
    public async Task AStorageFolderFromTheConfigurationIsTracedToItsJsonPath()
    {
        // Given a search.json whose storage lies under a file
        using var dir = new TempDirectory("cli-storage-in-the-way");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 1,
            tweak: c => c["storage"] = "sqlite:taken/study.db");
        File.WriteAllText(dir["taken"], "x");

        // When the study is created
        var r = await SearchCli.RunAsync(dir.Path, "study", "create", config);

        // Then the one line names the file and $.storage, and the file in the way; no study folder is left
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith($"error: {config}: $.storage: storage sqlite:///{dir["taken/study.db"]}: cannot create its folder", line);
        Assert.Contains($"{dir["taken"]} is a file, not a folder", line);
        Assert.False(Directory.Exists(dir["studies"]));
    }

    [Fact]
    public async Task AStudyDatabaseThatIsAFolderIsCalledOne()
    {
        // Given studies/q/study.db made as a folder
        using var dir = new TempDirectory("cli-db-folder");
        Directory.CreateDirectory(dir["studies/q/study.db"]);

        // When the study's status is asked for
        var r = await SearchCli.RunAsync(dir.Path, "study", "status", "q");

        // Then it is called a folder (it was said not to exist)
        Assert.Equal((2, $"error: study 'q': {dir["studies/q/study.db"]} is a folder, not a study database"), (r.ExitCode, r.Stderr.Trim()));
    }
}
