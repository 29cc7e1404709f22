using System.Diagnostics;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Support.Cli;

/// <summary>How a process that retrains a study ends when <c>study delete --force</c> deletes it (its claim's renewal sees it).</summary>
internal static class DeletedWhileRetraining
{
    /// <summary>Waits a minute for <paramref name="process"/> to end, killing it, tree and all, if it does not.</summary>
    public static bool Ended(Process process)
    {
        bool ended = process.WaitForExit(60_000);
        if (!ended) process.Kill(entireProcessTree: true); // not left retraining for minutes when the test fails
        return ended;
    }

    /// <summary>
    /// Asserts that <paramref name="process"/> <paramref name="ended"/> (<see cref="Ended"/>) with exit 1 and one line
    /// naming the study and <paramref name="db"/>, no stack trace, and its retrain's worker gone. It retrained on, to
    /// end with "error: no study with id 1" and a stack trace at its first write.
    /// </summary>
    public static async Task AssertEndedInOneLineAsync(Process process, bool ended, Task<string> stdout, Task<string> stderr, FakeWorker worker, string db)
    {
        Assert.True(ended, "the process did not end within a minute of the delete");
        await stdout;
        var err = await stderr;
        var retrainPid = int.Parse(File.ReadAllText(worker.RetrainsLogPath).Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{retrainPid}"), $"the retrain's worker (pid {retrainPid}) still runs");
        Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}: {err}");
        Assert.Equal($"error: study 'cli-study' was deleted from sqlite:///{db} while this process ran it (by another client)",
            err.Trim().Split('\n')[^1]);
        Assert.False(err.Contains("   at "), err);
    }
}
