using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// The progress line counts the study's trials as stored, against the stored budget: it counted only the trials of the
/// process that printed it, so a worker ended a spent study saying "3/6 done", and a budget another `study create`
/// changed under it was never shown ("4/20 done" at the end of a study of 8).
/// </summary>
public sealed class StudyProgressCountsCliTests
{
    [Fact]
    public async Task EachOfTwoWorkersEndsSayingTheWholeStudyIsDone()
    {
        // Given a study of 6 trials in one SQLite file
        using var dir = new TempDirectory("cli-progress-two");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 0.3 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 6);
        var url = "sqlite:" + dir["studies/cli-study/study.db"];
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);

        // When two worker processes run it together
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", url, "--devices", "cpu")));

        // Then each one's last progress line says the study's 6 of 6, and what that process ran is said apart (together, 6)
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));
        var last = results.Select(r => (r.Stdout + r.Stderr).Split('\n').Last(l => l.Contains("Progress:"))).ToList();
        Assert.All(last, l => Assert.Contains("6/6 done (6 complete, 0 pruned, 0 failed), 0 running", l));
        Assert.Equal(6, last.Sum(l => int.Parse(System.Text.RegularExpressions.Regex.Match(l, @"this process ran (\d+)").Groups[1].Value)));
    }

    [Fact]
    public async Task ABudgetLoweredByAnotherProcessIsSaidAndCountedTo()
    {
        // Given a worker running a study of 20 trials of about three seconds each, with one trial done (with one-second
        // trials, a `study create` slowed by a loaded machine could come after the fifth had started)
        using var dir = new TempDirectory("cli-progress-budget");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 1.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 20);
        var db = dir["studies/cli-study/study.db"];
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        var run = SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", "sqlite:" + db, "--devices", "cpu");
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            while (await CompleteAsync(db) < 1) await Task.Delay(200, wait.Token);

        // When another process lowers the study's budget to 4 trials
        var lowered = StudyFiles.WriteConfig(dir.Path, worker, trials: 4);
        var create = await SearchCli.RunAsync(dir.Path, "study", "create", lowered);
        Assert.True(create.ExitCode == 0, create.Stderr);

        // Then the worker stops at 4, says the budget changed, and its last progress line counts to the new budget
        var r = await run;
        Assert.True(r.ExitCode == 0, r.Stderr);
        var output = r.Stdout + r.Stderr;
        Assert.Contains("budget now 4 trials (was 20)", output);
        Assert.Contains("4/4 done (4 complete, 0 pruned, 0 failed), 0 running", output.Split('\n').Last(l => l.Contains("Progress:")));
        Assert.Equal(4, await CompleteAsync(db));
    }

    private static async Task<int> CompleteAsync(string db)
    {
        if (!File.Exists(db)) return 0;
        await using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=false");
        await c.OpenAsync();
        return await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'");
    }
}
