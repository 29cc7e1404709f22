using Mnist.Search.Tests.Support.Cli;

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
}
