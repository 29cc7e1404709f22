using Mnist.Search.Cli;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Scheduling;
using Mnist.Search.Tests.Support.Study;
using Serilog.Events;

namespace Mnist.Search.Tests.Cli;

public sealed class StudyProgressViewTests
{
    [Fact]
    public async Task AfterAResumeAFailedAndRetriedTrialIsNotCountedAsDone()
    {
        // Given a real SQLite study of 3 trials: 0 COMPLETE, 1 FAIL (its coordinator died) and queued again as 2, 2 COMPLETE
        using var dir = new TempDirectory("progress");
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + dir["study.db"], dir.Path);
        var study = (await storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        await storage.FinishTrialAsync((await storage.CreateTrialAsync(study.Id, TrialState.RUNNING)).Id, TrialState.COMPLETE, 0.9);
        var died = await storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        var (log, sink) = CollectingSink.Create();
        Retries.Log((await storage.FailTrialAsync(died.Id, null, Retries.Rule(2)))!, log);
        await storage.FinishTrialAsync((await storage.PopWaitingTrialAsync(study.Id))!.Id, TrialState.COMPLETE, 0.8);
        var settings = new StudySettings
        {
            Name = "s", Direction = StudyDirection.MAXIMIZE, Metric = "val_accuracy", Space = CoordinatorHarness.Space,
            Trials = 3, Epochs = 1, StudyDirectory = dir.Path, Data = new TrialDataSettings("mnist", dir.Path, 10, null),
        };

        // When the resumed run's view is seeded from storage and the last budgeted trial finishes
        var view = new StudyProgressView(settings, CoordinatorHarness.Cpu(), log);
        view.SeedFrom(await storage.GetAllTrialsAsync(study.Id));
        var last = await storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        await storage.FinishTrialAsync(last.Id, TrialState.COMPLETE, 0.7);
        view.TrialFinished(await storage.GetTrialAsync(last.Id));

        // Then the progress line says 3/3 (it said 4/3), and names the retried failure
        var progress = Assert.Single(sink.Messages(LogEventLevel.Information), m => m.StartsWith("Progress:", StringComparison.Ordinal));
        Assert.Contains("3/3 done (3 complete, 0 pruned, 0 failed, 1 failed and retried)", progress);
    }

    [Fact]
    public async Task ATrialsEndAlreadyToldByAReadOfTheStudyIsNotToldAgain()
    {
        // Given a view of a 2-trial study, and trial 0 COMPLETE in storage
        using var dir = new TempDirectory("progress-once");
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + dir["study.db"], dir.Path);
        var study = (await storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var trial = await storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        var (log, sink) = CollectingSink.Create();
        var settings = new StudySettings
        {
            Name = "s", Direction = StudyDirection.MAXIMIZE, Metric = "val_accuracy", Space = CoordinatorHarness.Space,
            Trials = 2, Epochs = 1, StudyDirectory = dir.Path, Data = new TrialDataSettings("mnist", dir.Path, 10, null),
        };
        var view = new StudyProgressView(settings, CoordinatorHarness.Cpu(), log);
        view.SeedFrom(await storage.GetAllTrialsAsync(study.Id));
        await storage.FinishTrialAsync(trial.Id, TrialState.COMPLETE, 0.9);

        // When the coordinator's loop reads the study before the trial's own end is told, and then it is
        view.StudyRead(await storage.GetAllTrialsAsync(study.Id), 2);
        view.TrialFinished(await storage.GetTrialAsync(trial.Id));

        // Then one progress line says it (the trial's end printed the same line again)
        var progress = Assert.Single(sink.Messages(LogEventLevel.Information), m => m.StartsWith("Progress:", StringComparison.Ordinal));
        Assert.Contains("1/2 done (1 complete, 0 pruned, 0 failed)", progress);
    }
}
