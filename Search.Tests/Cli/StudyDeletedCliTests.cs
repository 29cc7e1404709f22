using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A study another client deletes (Optuna's <c>delete_study</c>) while a process runs it ends that process with one line
/// naming the study and its storage, exit 1: it was "error: no study with id 1" and two stack traces.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class StudyDeletedCliTests
{
    [Fact]
    public async Task AStudyOptunaDeletesUnderARunningProcessEndsItInOneLine()
    {
        // Given a study of 3 trials of four one-second epochs, running
        using var dir = new TempDirectory("cli-study-deleted");
        using var running = await RunningStudy.StartAsync(dir, trials: 3);
        var study = running.Process;

        // When Optuna deletes the study
        var db = dir["studies/cli-study/study.db"];
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.delete_study(study_name="cli-study", storage=sys.argv[1])
            """, $"sqlite:///{db}");

        // Then the process ends with one line naming the study and the storage, exit 1, and no stack trace
        Assert.True(study.WaitForExit(60_000), "the process did not end");
        await running.Stdout;
        var err = await running.Stderr;
        Assert.True(study.ExitCode == 1, $"exit {study.ExitCode}: {err}");
        Assert.Equal($"error: study 'cli-study' was deleted from sqlite:///{db} while this process ran it (by another client)",
            err.Trim().Split('\n')[^1]);
        Assert.False(err.Contains("   at "), err);
    }
}
