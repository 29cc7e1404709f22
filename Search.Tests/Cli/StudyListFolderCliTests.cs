using Mnist.Search.Tests.Support.Cli;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `study list --studies-dir` of a folder that does not exist is bad input, one line naming the option and the path,
/// exit 2: a mistyped path listed `[]`, exit 0, as "no studies" (audit-ops 7). An existing empty folder still lists none.
/// </summary>
public sealed class StudyListFolderCliTests
{
    [Fact]
    public async Task AMissingStudiesDirIsBadInputAndAnEmptyOneListsNothing()
    {
        // Given an empty folder and the name of one that does not exist
        using var dir = new TempDirectory("cli-list-folder");
        Directory.CreateDirectory(dir["studies"]);

        // When both are listed as JSON
        var missing = await SearchCli.RunAsync(dir.Path, "study", "list", "--studies-dir", "studeis", "--format", "json");
        var empty = await SearchCli.RunAsync(dir.Path, "study", "list", "--studies-dir", "studies", "--format", "json");

        // Then the missing one is refused in one line naming the option and the path, and the empty one is `[]`
        Assert.True(missing.ExitCode == 2, missing.Stderr);
        Assert.Equal("", missing.Stdout);
        Assert.Equal($"error: --studies-dir studeis: no such folder ({dir["studeis"]})", missing.Stderr.TrimEnd('\n'));
        Assert.True(empty.ExitCode == 0, empty.Stderr);
        Assert.Equal("[]", empty.Stdout.Trim());
    }
}
