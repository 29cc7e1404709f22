using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// MNIST_SEARCH_STORAGE_OUTAGE_MINUTES that is not a number of minutes (0, "5m", negative) was a silent 30-minute window:
/// an operator who set 0 for a CI job found it waiting half an hour on a down database. Real CLI processes.
/// </summary>
public sealed class StorageOutageVariableCliTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("5m")]
    [InlineData("-1")]
    public async Task AWindowThatIsNotMinutesIsRefusedInOneLineBeforeAnythingIsMade(string value)
    {
        // Given a study's configuration
        using var dir = new TempDirectory("cli-outage-variable");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 1);

        // When it is started with that window
        var r = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { [StorageOutage.WindowVariable] = value }, "study", "start", config);

        // Then one line names the variable, its value and the range, exit 2, and no study was made
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: {StorageOutage.WindowVariable}: \"{value}\" is not minutes in (0, 71582] (fractions allowed, e.g. 0.5)", r.Stderr.Trim());
        Assert.False(Directory.Exists(dir["studies"]));
    }
}
