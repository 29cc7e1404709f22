using Mnist.Search.Tests.Support.Cli;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A command run with its stdout or stderr closed (<c>&gt;&amp;-</c>, <c>2&gt;&amp;-</c>, as some cron and daemon wrappers
/// run it) ends with a code from README's table, and says which stream failed where stderr is there to say it: a closed
/// stdout ended "error: Access to the path is denied.", naming nothing, and a closed stderr aborted the process (exit
/// 134) when the error line could not be written (audit-ops 11).
/// </summary>
public sealed class ClosedConsoleCliTests
{
    [Fact]
    public async Task AClosedStdoutIsAFailureNamingStandardOutput()
    {
        // Given an empty studies folder, whose list is `[]` on stdout
        using var dir = new TempDirectory("cli-closed-stdout");
        Directory.CreateDirectory(dir["studies"]);

        // When `study list --format json` runs with its stdout closed
        using var cli = SearchCli.StartRedirected(dir.Path, ">&-", "study", "list", "--studies-dir", dir["studies"], "--format", "json");
        var stderr = await cli.StandardError.ReadToEndAsync();
        Assert.True(cli.WaitForExit(60_000), "it did not end");

        // Then it fails (1) with one line that names standard output
        Assert.True(cli.ExitCode == 1, $"exit {cli.ExitCode}: {stderr}");
        Assert.StartsWith("error: cannot write to standard output: ", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task AClosedStderrStillGivesTheErrorsExitCode()
    {
        // Given a folder without the study asked for
        using var dir = new TempDirectory("cli-closed-stderr");
        Directory.CreateDirectory(dir["studies"]);

        // When `study status` of an unknown study runs with its stderr closed
        using var cli = SearchCli.StartRedirected(dir.Path, "2>&-", "study", "status", "nope", "--studies-dir", dir["studies"], "--format", "json");
        var stdout = await cli.StandardOutput.ReadToEndAsync();
        Assert.True(cli.WaitForExit(60_000), "it did not end");

        // Then it exits 2, bad input, as with a stderr to write to (not 134, the runtime's abort), nothing on stdout
        Assert.True(cli.ExitCode == 2, $"exit {cli.ExitCode}: {stdout}");
        Assert.Equal("", stdout);
    }
    [Fact]
    public async Task AWarningWithStderrClosedDoesNotFailTheCommand()
    {
        // Given a studies folder holding a file that is no study database (study list warns about it on stderr)
        using var dir = new TempDirectory("cli-closed-stderr-warning");
        Directory.CreateDirectory(dir["studies/junk"]);
        File.WriteAllText(dir["studies/junk/study.db"], "not a database");

        // When the studies are listed with stderr closed
        using var cli = SearchCli.StartRedirected(dir.Path, "2>&-", "study", "list", "--studies-dir", dir["studies"], "--format", "json");
        var stdout = await cli.StandardOutput.ReadToEndAsync();
        Assert.True(cli.WaitForExit(60_000), "it did not end");

        // Then the warning, with nowhere to go, is dropped and the command succeeds with its result (the warning's failed
        // write failed the command, exit 1)
        Assert.True(cli.ExitCode == 0, $"exit {cli.ExitCode}: {stdout}");
        Assert.Equal("[]", stdout.Trim());
    }
}
