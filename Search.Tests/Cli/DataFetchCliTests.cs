using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Config;

namespace Mnist.Search.Tests.Cli;

/// <summary><c>data fetch</c> through the real command line: a target it cannot use is bad input on one line.</summary>
public sealed class DataFetchCliTests
{
    [Theory]
    // (an empty --dir gave .NET's "The value cannot be an empty string. (Parameter 'path')")
    [InlineData("", "error: --dir: empty; give the folder for the dataset's files (default: data/<dataset>)")]
    [InlineData("/proc/self", "error: cannot write in /proc/self: ")]
    public async Task ATargetFolderThatCannotBeUsedIsBadInputOnOneLine(string dir, string expected)
    {
        using var cwd = new TempDirectory("cli-fetch");

        var r = await SearchCli.RunAsync(cwd.Path, "data", "fetch", "fashion-mnist", "--dir", dir);

        Assert.Equal(2, r.ExitCode);
        // (the log says which files are missing first; the error is the last line, and no stack trace follows)
        var lines = r.Stderr.Trim().Split('\n');
        Assert.StartsWith(expected, lines[^1]);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cwd.Path));
    }

    [Fact]
    public async Task AFolderNameWithANewlineIsPrintedOnOneLine()
    {
        // Given a folder name holding a newline (Fashion-MNIST comes from Debian's package, no network)
        using var cwd = new TempDirectory("cli-fetch-newline");

        // When the dataset is fetched into it
        var r = await SearchCli.RunAsync(cwd.Path, "data", "fetch", "fashion-mnist", "--dir", "a\nb");

        // Then the result is one line, the newline shown escaped
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal($"fashion-mnist: verified in {cwd.Path}/a\\nb", Assert.Single(r.Stdout.Trim().Split('\n')));
    }

    [Fact]
    public async Task AStudysDataFolderThatIsAFileIsNamedByItsJsonPath()
    {
        // Given a configuration whose dataset.dir is a file
        using var dir = new TempDirectory("cli-fetch-config");
        File.WriteAllText(dir["search.json"], ConfigJson.Patch("dataset.dir", "\"search.json\""));

        // When the study starts
        var r = await SearchCli.RunAsync(dir.Path, "study", "start", "search.json");

        // Then the error names the file and $.dataset.dir (it named only the folder), and nothing was made
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"error: {dir["search.json"]}: $.dataset.dir: cannot write in {dir["search.json"]}", r.Stderr.Trim().Split('\n')[^1]);
        Assert.Equal(["search.json"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }
}
