using Microsoft.Data.Sqlite;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

public sealed class StudyStartCliTests
{
    [Fact]
    public async Task AKilledCoordinatorRestartedFinishesWithExactlyTheBudget()
    {
        // Given a study of 6 trials of about a second each, run by the real command line
        using var dir = new TempDirectory("cli-kill");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 0.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 6);
        var db = dir["studies/cli-study/study.db"];

        // When the coordinator is SIGKILLed after two trials completed
        using (var first = SearchCli.Start(dir.Path, "study", "start", config))
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (await CountAsync(db, "COMPLETE") < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the first run never completed two trials");
                Assert.False(first.HasExited, "the first run ended early: " + await first.StandardError.ReadToEndAsync());
                await Task.Delay(100);
            }
            first.Kill(entireProcessTree: false);
            await first.WaitForExitAsync();
        }
        var before = await TrialsAsync(db);
        var completedBefore = before.Where(t => t.State == TrialState.COMPLETE).ToDictionary(t => t.Number, t => t.Value);

        // And the same command runs again
        var second = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it succeeds, and the study holds exactly 6 budgeted trials with unique numbers,
        // every trial completed before the kill unchanged
        Assert.True(second.ExitCode == 0, second.Stderr + second.Stdout);
        var after = await TrialsAsync(db);
        Assert.Equal(after.Count, after.Select(t => t.Number).Distinct().Count());
        var budget = Budget.Of(after, 6);
        Assert.True(budget.IsSpent);
        Assert.Equal(6, budget.Used);
        Assert.Equal(6, after.Count(t => t.State == TrialState.COMPLETE));
        foreach (var (number, value) in completedBefore)
            Assert.Equal(value, after.Single(t => t.Number == number).Value);
        Assert.Contains("Best trial", second.Stdout);

        // And Optuna 4 reads the study the coordinator wrote: the same trials and best value
        var optuna = await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            s = optuna.load_study(study_name="cli-study", storage="sqlite:///" + sys.argv[1])
            print(len(s.trials), s.best_trial.number, repr(s.best_value), sorted(s.best_params))
            """, db);
        var best = after.Where(t => t.State == TrialState.COMPLETE).MaxBy(t => t.Value)!;
        Assert.Equal($"{after.Count} {best.Number} {best.Value!.Value:R} ['batch_size', 'conv1_channels', 'learning_rate']", optuna.Trim());
    }

    [Fact]
    public async Task AChangedSearchSpaceIsRefusedWithExitCode2()
    {
        // Given a finished study
        using var dir = new TempDirectory("cli-conflict");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", config)).ExitCode);
        var before = File.ReadAllBytes(dir["studies/cli-study/study.db"]);

        // When the configuration's space changes and the study is started again
        StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["space"]!["conv1_channels"]!["high"] = 128);
        var result = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it is refused, naming the parameter, and no trial was added
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("conv1_channels", result.Stderr);
        Assert.Single(await TrialsAsync(dir["studies/cli-study/study.db"]));
    }

    [Fact]
    public async Task AnInvalidConfigurationExitsWith2AndCreatesNothing()
    {
        using var dir = new TempDirectory("cli-bad");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["space"]!["learning_rate"]!["low"] = -1);

        var result = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("$.space.learning_rate", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir["studies"]));
    }

    private static async Task<int> CountAsync(string db, string state)
    {
        if (!File.Exists(db)) return 0;
        await using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM trials WHERE state = '{state}'";
        try { return Convert.ToInt32(await cmd.ExecuteScalarAsync()); }
        catch (SqliteException) { return 0; }
    }

    private static async Task<IReadOnlyList<TrialSnapshot>> TrialsAsync(string db)
    {
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + db, Path.GetDirectoryName(db)!);
        var study = await storage.GetStudyAsync("cli-study");
        return await storage.GetAllTrialsAsync(study!.Id);
    }
}
