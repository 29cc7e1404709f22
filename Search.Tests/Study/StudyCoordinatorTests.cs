using Mnist.Search.Pruning;
using Mnist.Search.Scheduling;
using Mnist.Search.Study;
using Mnist.Search.Workers;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Study;

public sealed class StudyCoordinatorTests
{
    [Fact]
    public async Task RunsExactlyTheBudgetAndStoresEveryEpoch()
    {
        // Given a study of 4 trials of 2 epochs on one CPU slot
        await using var h = await CoordinatorHarness.CreateAsync(trials: 4);

        // When it runs
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu());

        // Then there are exactly 4 COMPLETE trials numbered 0..3, each with both epochs and its final value
        Assert.Equal([0, 1, 2, 3], trials.Select(t => t.Number));
        Assert.All(trials, t => Assert.Equal(TrialState.COMPLETE, t.State));
        Assert.All(trials, t => Assert.Equal([1, 2], t.IntermediateValues.Keys.Order()));
        Assert.All(trials, t => Assert.Equal(0.5 + t.Number / 100.0 + 0.002, t.Value!.Value, 4));
        Assert.All(trials, t => Assert.True(File.Exists(Path.Combine(h.Settings.StudyDirectory, "trials", t.Number.ToString(), "spec.json"))));
        Assert.All(trials, t => Assert.Equal("\"cpu:0\"", t.SystemAttrs[StudyAttributes.Device]));
    }

    [Fact]
    public async Task FourFakeGpusAreAllBusyAndNeverShared()
    {
        // Given 4 fake GPUs and trials that record CUDA_VISIBLE_DEVICES and take about a second
        var worker = new FakeWorker { Directory = "", Epochs = 2, EpochSeconds = 0.5 };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 12, worker);

        // When the study runs
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Gpus(4));

        // Then every trial completed, each saw exactly one GPU, and no GPU ran two trials at once
        Assert.Equal(12, trials.Count(t => t.State == TrialState.COMPLETE));
        var intervals = h.Worker.Intervals();
        Assert.Equal(12, intervals.Count);
        Assert.Equal(["0", "1", "2", "3"], intervals.Select(i => i.Device).Distinct().Order());
        foreach (var device in intervals.GroupBy(i => i.Device))
        {
            var ordered = device.OrderBy(i => i.Start).ToList();
            for (var k = 1; k < ordered.Count; k++)
                Assert.True(ordered[k].Start >= ordered[k - 1].End, $"GPU {device.Key} ran trials {ordered[k - 1].Trial} and {ordered[k].Trial} at once");
        }
        // And all four were busy at the same time at some point
        var maxConcurrent = intervals.Max(i => intervals.Count(j => j.Start <= i.Start && j.End > i.Start));
        Assert.Equal(4, maxConcurrent);
    }

    [Fact]
    public async Task CrashesNaNErrorsAndTimeoutsAreFailuresAndTheStudyGoesOn()
    {
        // Given trials 1..4 crash, report NaN, print an error line, and hang past the trial timeout
        var worker = new FakeWorker
        {
            Directory = "",
            Behaviours = new()
            {
                [1] = FakeWorker.Behaviour.Crash,
                [2] = FakeWorker.Behaviour.NaN,
                [3] = FakeWorker.Behaviour.ErrorLine,
                [4] = FakeWorker.Behaviour.Hang,
            },
        };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 6, worker, s => s with { TrialTimeout = TimeSpan.FromSeconds(3) });

        // When the study runs
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(2));

        // Then those four are FAIL with their reasons, the others COMPLETE, and the budget is exactly 6
        Assert.Equal(6, trials.Count);
        string Reason(int n) => trials.Single(t => t.Number == n).SystemAttrs[StudyAttributes.FailReason];
        Assert.All(new[] { 1, 2, 3, 4 }, n => Assert.Equal(TrialState.FAIL, trials.Single(t => t.Number == n).State));
        Assert.Contains("code 7", Reason(1));
        Assert.Contains("boom: simulated crash", Reason(1));
        Assert.Contains("non-finite", Reason(2));
        Assert.Contains("simulated bad data", Reason(3));
        Assert.Contains("timed out after 3 s", Reason(4));
        Assert.All(new[] { 0, 5 }, n => Assert.Equal(TrialState.COMPLETE, trials.Single(t => t.Number == n).State));
    }

    [Fact]
    public async Task FailuresInARowStopTheStudyAndTheTrialsStillRunningAreQueuedAgainUncounted()
    {
        // Given a worker that hangs on trial 0 and crashes on every other trial, and a study of 10 that stops after 3
        // failures in a row, on two slots
        var worker = new FakeWorker
        {
            Directory = "",
            Behaviours = Enumerable.Range(0, 10).ToDictionary(n => n, n => n == 0 ? FakeWorker.Behaviour.Hang : FakeWorker.Behaviour.Crash),
        };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 10, worker, s => s with { MaxConsecutiveFailures = 3 });

        // When it runs
        var error = await Assert.ThrowsAsync<FailureStreakException>(() => h.RunAsync(CoordinatorHarness.Cpu(2)));

        // Then it stopped at the third failure with the last one's reason, and spent three trials of the budget: trial 0,
        // still running then, was stopped, recorded FAIL and queued again, its stop not counted as a failure
        Assert.StartsWith("3 trials in a row failed (budget.max_consecutive_failures: 3)", error.Message);
        Assert.Contains("worker exited with code 7", error.Message);
        Assert.False(error.AnyComplete);
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        var trials = await h.Storage.GetAllTrialsAsync(study.Id);
        Assert.Equal(3, Budget.Of(trials, 10).Used);
        Assert.Equal(3, trials.Count(t => t.State == TrialState.FAIL && t.SystemAttrs[StudyAttributes.FailReason].Contains("code 7")));
        Assert.DoesNotContain(trials, t => t.State == TrialState.RUNNING);
        Assert.Contains("interrupted", trials[0].SystemAttrs[StudyAttributes.FailReason]);
        Assert.Equal(0, Assert.Single(trials, t => t.State == TrialState.WAITING).SystemAttrs[StudyAttributes.RetryOf] is var of ? int.Parse(of) : -1);
    }

    [Fact]
    public async Task TheStreakIsTheStudysSoTwoCoordinatorsStopAfterTheMaximumTogether()
    {
        // Given a worker that crashes on every trial, and a study of 20 that stops after 3 failures in a row
        var worker = new FakeWorker { Directory = "", Behaviours = Enumerable.Range(0, 20).ToDictionary(n => n, _ => FakeWorker.Behaviour.Crash) };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 20, worker, s => s with { MaxConsecutiveFailures = 3 });

        // When two coordinators run it at once (two pods of a Job, two tasks of a Slurm array)
        var runs = new[] { h.RunAsync(CoordinatorHarness.Cpu()), h.RunAsync(CoordinatorHarness.Cpu()) };
        foreach (var run in runs) await Assert.ThrowsAsync<FailureStreakException>(() => run);

        // Then both stopped once the study had 3 failures in a row: at most one more, the other's trial in flight then
        // (each counting its own, they spent 3 each)
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        Assert.InRange(Budget.Of(await h.Storage.GetAllTrialsAsync(study.Id), 20).Used, 3, 4);
    }

    [Fact]
    public async Task AHealthyProcessGoesOnWhileAnotherHostsTrialsFailInARow()
    {
        // Given a study of 8 that stops after 3 failures in a row, run here by a healthy worker (a second per epoch)
        var worker = new FakeWorker { Directory = "", Epochs = 2, EpochSeconds = 1 };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 8, worker, s => s with { MaxConsecutiveFailures = 3 });
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        var run = h.RunAsync(CoordinatorHarness.Cpu());

        // When, while its first trial runs, another host's process fails four trials in a row
        await WaitUntilAsync(async () => (await h.Storage.GetAllTrialsAsync(study.Id)).Any(t => t.State == TrialState.RUNNING));
        var elsewhere = new Dictionary<string, object?> { [StudyAttributes.Host] = "another-host", [StudyAttributes.CoordinatorPid] = 4242 };
        for (var i = 0; i < 4; i++)
        {
            var t = await h.Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, null, elsewhere);
            await h.Storage.FailTrialAsync(t.Id, new Dictionary<string, object?> { [StudyAttributes.FailReason] = "worker exited with code 1" }, retry: null);
        }

        // Then this process, none of whose trials failed, runs the rest of the budget (it stopped with the broken host)
        var (_, trials) = await run;
        Assert.Equal(8, Budget.Of(trials, 8).Used);
        Assert.Equal(4, trials.Count(t => t.State == TrialState.COMPLETE));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); !await condition(); await Task.Delay(50))
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the condition never held");
    }

    [Fact]
    public async Task ACompleteTrialBetweenFailuresStartsTheCountAgain()
    {
        // Given trials 0, 1 and 3, 4 crash and 2 completes, in a study that stops after 3 failures in a row
        var worker = new FakeWorker
        {
            Directory = "",
            Behaviours = new[] { 0, 1, 3, 4 }.ToDictionary(n => n, _ => FakeWorker.Behaviour.Crash),
        };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 6, worker, s => s with { MaxConsecutiveFailures = 3 });

        // When it runs on one slot (the trials end in their order)
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu());

        // Then it never had three in a row and ran the whole budget
        Assert.Equal([TrialState.FAIL, TrialState.FAIL, TrialState.COMPLETE, TrialState.FAIL, TrialState.FAIL, TrialState.COMPLETE], trials.Select(t => t.State));
    }

    [Fact]
    public async Task AWorkerKilledBySigtermFromOutsideIsFailedAndItsConfigurationRunsAgain()
    {
        // Given trial 1's worker is terminated by a signal the coordinator did not send (as Slurm's scancel
        // or preemption signals every process of a job)
        var worker = new FakeWorker { Directory = "", Behaviours = new() { [1] = FakeWorker.Behaviour.Terminated } };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 3, worker);

        // When the study runs
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(1));

        // Then trial 1 is FAIL naming the signal, its configuration ran again as a retry, and 3 trials completed
        var killed = trials.Single(t => t.Number == 1);
        Assert.Equal(TrialState.FAIL, killed.State);
        Assert.Contains("killed by SIGTERM", killed.SystemAttrs[StudyAttributes.FailReason]);
        var retry = Assert.Single(trials, t => t.SystemAttrs.GetValueOrDefault(StudyAttributes.RetryOf) == "1");
        Assert.Equal(TrialState.COMPLETE, retry.State);
        Assert.Equal(killed.Params, retry.Params);
        Assert.Equal(3, trials.Count(t => t.State == TrialState.COMPLETE));
    }

    [Fact]
    public async Task ThePrunerStopsATrialThroughItsStdin()
    {
        // Given trials whose value rises with their number, 4 epochs each, and a median pruner that
        // judges against 1 completed trial: with direction MINIMIZE every later trial is worse
        var worker = new FakeWorker { Directory = "", Epochs = 4, EpochSeconds = 0.4 };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 3, worker, s => s with { Direction = StudyDirection.MINIMIZE });

        // When it runs on one slot
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), pruner: MedianPruner.Create(startupTrials: 1));

        // Then the first completes and the others are PRUNED early, with their last value recorded
        Assert.Equal(TrialState.COMPLETE, trials[0].State);
        Assert.All(trials.Skip(1), t => Assert.Equal(TrialState.PRUNED, t.State));
        Assert.All(trials.Skip(1), t => Assert.True(t.IntermediateValues.Count < 4));
        Assert.All(trials.Skip(1), t => Assert.Equal(t.LastIntermediate!.Value.Value, t.Value));

        // And each records how far it trained (the fidelity Optuna reads as user_attrs["fidelity"])
        Assert.All(trials, t =>
        {
            var fidelity = System.Text.Json.Nodes.JsonNode.Parse(t.UserAttrs[StudyAttributes.Fidelity])!;
            Assert.Equal(t.IntermediateValues.Count, (int)fidelity["epochs"]!);
            Assert.True((int)fidelity["max_epochs"]! >= 1);
            Assert.True((int)fidelity["train_images"]! >= 1);
        });
    }

    [Fact]
    public async Task ARetryIsNotPrunedAgainstItsOwnInterruptedFirstRun()
    {
        // Given a study of 2 trials of 6 epochs whose values rise with the trial number (so with MINIMIZE a retry, numbered
        // after its first run, scores worse at every epoch), interrupted once trial 0 has recorded its first epoch (with
        // seconds to spare before it would finish on a loaded machine)
        var worker = new FakeWorker { Directory = "", Epochs = 6, EpochSeconds = 0.5 };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 2, worker, s => s with { Direction = StudyDirection.MINIMIZE });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var interrupt = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                if (await h.Storage.GetStudyAsync(h.Settings.Name) is { } study
                    && (await h.Storage.GetAllTrialsAsync(study.Id)).Any(t => t.Number == 0 && t.IntermediateValues.ContainsKey(1)))
                {
                    await cts.CancelAsync();
                    return;
                }
                await Task.Delay(50);
            }
        });
        var (_, first) = await h.RunAsync(CoordinatorHarness.Cpu(), ct: cts.Token);
        await interrupt;
        Assert.Equal(TrialState.FAIL, first.Single(t => t.Number == 0).State);

        // When it runs again under ASHA with reduction factor 2 (the better half at each rung continues)
        var (_, second) = await h.RunAsync(CoordinatorHarness.Cpu(), pruner: new SuccessiveHalvingPruner(minResource: 1, reductionFactor: 2));

        // Then the retry runs to the end: its interrupted first run, which its retry stands in for, is no competitor
        // (it was pruned at epoch 1 against it)
        var retry = Assert.Single(second, t => t.SystemAttrs.GetValueOrDefault(StudyAttributes.RetryOf) == "0");
        Assert.Equal((TrialState.COMPLETE, 6), (retry.State, retry.IntermediateValues.Count));
    }

    [Fact]
    public async Task ThePrunerIsNotAskedAtTheLastEpochSinceTheTrialEndsCompleteAnyway()
    {
        // Given trials of 3 epochs and a pruner that would prune every trial at its third epoch, and records when it is asked
        var worker = new FakeWorker { Directory = "", Epochs = 3, EpochSeconds = 0.2 };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 2, worker);
        var pruner = new PruneAtStep(3);

        // When they run
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), pruner: pruner);

        // Then every trial ran its 3 epochs and is COMPLETE, and the pruner was asked after epochs 1 and 2 only
        // (asked at the last, it said 'prune' to a trial that then finished: the log read 'pruned at epoch 3' of a COMPLETE trial)
        Assert.All(trials, t => Assert.Equal((TrialState.COMPLETE, 3), (t.State, t.IntermediateValues.Count)));
        Assert.Equal([1, 1, 2, 2], pruner.AskedAt.Order());
    }

    /// <summary>Prunes a trial whose latest intermediate value is at <paramref name="step"/>; records every step it is asked at.</summary>
    private sealed class PruneAtStep(int step) : IPruner
    {
        public System.Collections.Concurrent.ConcurrentBag<int> AskedAt { get; } = [];

        public bool ShouldPrune(TrialSnapshot trial, IReadOnlyList<TrialSnapshot> trials, StudyDirection direction)
        {
            var latest = trial.LastIntermediate!.Value.Step;
            AskedAt.Add(latest);
            return latest == step;
        }
    }

    [Fact]
    public async Task TheLastTrialsRepeatTheBestConfigurationWithOtherSeedsUnprunedAndTheChoiceIsTheirMean()
    {
        // Given trials whose value rises with their number (worse, minimizing), 4 epochs each, a median pruner that
        // prunes every later trial, and a selection that repeats the best configuration twice at the end of 4 trials
        var worker = new FakeWorker { Directory = "", Epochs = 4, EpochSeconds = 0.3 };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 4, worker,
            s => s with { Direction = StudyDirection.MINIMIZE, Selection = new Mnist.Search.Config.SelectionConfig(1, 2) });

        // When it runs on one slot
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), pruner: MedianPruner.Create(startupTrials: 1));

        // Then trial 1 is pruned, and trials 2 and 3 repeat trial 0's configuration to the last epoch although they are worse
        Assert.Equal(4, trials.Count);
        Assert.Equal(TrialState.PRUNED, trials[1].State);
        foreach (var repeat in trials.Skip(2))
        {
            Assert.Equal("0", repeat.SystemAttrs[StudyAttributes.RepeatOf]);
            Assert.Equal(TrialState.COMPLETE, repeat.State);
            Assert.Equal(4, repeat.IntermediateValues.Count);
            Assert.Equal(trials[0].Params, repeat.Params);
        }
        // And each trained with its own seed (the study's seed + its number)
        int SeedOf(int n) => (int)System.Text.Json.Nodes.JsonNode.Parse(
            File.ReadAllText(Path.Combine(h.Settings.StudyDirectory, "trials", n.ToString(), "spec.json")))!["seed"]!;
        Assert.Equal([42, 44, 45], new[] { 0, 2, 3 }.Select(SeedOf));
        // And the study's choice is trial 0, by the mean of its three evaluations
        var choice = BestTrial.Choose(trials, StudyDirection.MINIMIZE)!;
        Assert.Equal(0, choice.Trial.Number);
        Assert.Equal(3, choice.Evaluations);
        Assert.Equal(new[] { 0, 2, 3 }.Average(n => trials[n].Value!.Value), choice.Value, 6);
    }

    [Fact]
    public async Task APlaceKeptForARepeatWaitsForARunningTrialThatMayBecomeItsCandidate()
    {
        // Given 4 trials on 2 slots whose values rise with their number, the last 2 kept for one repeat each of the top 2
        // configurations, and trial 1 slow: when trial 0 and its repeat have finished, trial 1 still runs
        var worker = new FakeWorker { Directory = "", Epochs = 2, EpochSeconds = 0.2, Behaviours = { [1] = FakeWorker.Behaviour.Slow } };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 4, worker,
            s => s with { Selection = new Mnist.Search.Config.SelectionConfig(2, 1) });

        // When it runs
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(2));

        // Then the last place waited for trial 1 and repeats it (it went to a new configuration, which could never be
        // chosen), and the choice is trial 1 by the mean of its two evaluations, not trial 0, the only one repeated
        Assert.Equal(["0", "1"], trials.Where(t => t.Number >= 2).Select(t => t.SystemAttrs.GetValueOrDefault(StudyAttributes.RepeatOf)));
        Assert.Equal((1, 2), BestTrial.Choose(trials, StudyDirection.MAXIMIZE) is { } c ? (c.Trial.Number, c.Evaluations) : default);
    }

    [Fact]
    public async Task ARepeatWhoseWorkerIsKilledRunsAgainAsARepeat()
    {
        // Given the last of 3 trials repeats the best one, and its worker is terminated from outside
        var worker = new FakeWorker { Directory = "", Behaviours = new() { [2] = FakeWorker.Behaviour.Terminated } };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 3, worker, s => s with { Selection = new Mnist.Search.Config.SelectionConfig(1, 1) });

        // When the study runs
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu());

        // Then trial 2 (a repeat of trial 1, the better of 0 and 1) failed, and its retry repeats trial 1 and completes
        Assert.Equal(TrialState.FAIL, trials.Single(t => t.Number == 2).State);
        Assert.Equal("1", trials.Single(t => t.Number == 2).SystemAttrs[StudyAttributes.RepeatOf]);
        var retry = Assert.Single(trials, t => t.SystemAttrs.GetValueOrDefault(StudyAttributes.RetryOf) == "2");
        Assert.Equal("1", retry.SystemAttrs[StudyAttributes.RepeatOf]);
        Assert.Equal(TrialState.COMPLETE, retry.State);
        // And the budget is exact: 3 trials count, and trial 1 is chosen by two evaluations
        Assert.Equal(3, trials.Count(t => t.State == TrialState.COMPLETE));
        Assert.Equal((1, 2), BestTrial.Choose(trials, StudyDirection.MAXIMIZE) is { } c ? (c.Trial.Number, c.Evaluations) : default);
    }

    [Fact]
    public async Task AnInterruptedStudyQueuesItsRunningTrialsAgainAndResumesToTheExactBudget()
    {
        // Given a study of 4 slow trials on 2 slots
        var worker = new FakeWorker { Directory = "", Epochs = 2, EpochSeconds = 1.0 };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 4, worker);

        // When it is interrupted while the first two trials run
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var (study, first) = await h.RunAsync(CoordinatorHarness.Cpu(2), ct: cts.Token);

        // Then they are FAIL ("interrupted") and each has a WAITING retry with the same parameters
        var failed = first.Where(t => t.State == TrialState.FAIL).ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, f => Assert.Contains("interrupted", f.SystemAttrs[StudyAttributes.FailReason]));
        var waiting = first.Where(t => t.State == TrialState.WAITING).ToList();
        Assert.Equal(2, waiting.Count);
        Assert.All(waiting, w => Assert.Equal(failed.Single(f => f.Number.ToString() == w.SystemAttrs[StudyAttributes.RetryOf]).Params, w.Params));

        // When it runs again
        var (_, second) = await h.RunAsync(CoordinatorHarness.Cpu(2));

        // Then exactly 4 trials count (the retries stand in for the interrupted ones), numbers are unique
        var budget = Budget.Of(second, 4);
        Assert.True(budget.IsSpent);
        Assert.Equal(4, budget.Used);
        Assert.Equal(4, second.Count(t => t.State == TrialState.COMPLETE));
        Assert.Equal(second.Count, second.Select(t => t.Number).Distinct().Count());
    }

    [Fact]
    public async Task AnErrorThatBreaksTheLoopStopsTheRunningTrialsAndQueuesThemAgainBeforeItIsReported()
    {
        // Given a study of slow trials on 2 slots whose sampler fails on its second proposal
        var worker = new FakeWorker { Directory = "", Epochs = 3, EpochSeconds = 2.0 };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 4, worker);

        // When the coordinator runs it, the sampler's error comes out
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => h.RunAsync(CoordinatorHarness.Cpu(2), new FailingSampler(calls: 1)));
        Assert.Equal("sampler bug", error.Message);

        // And the trial that was running is no longer RUNNING nor its worker alive: recorded FAIL (interrupted) and queued again
        var (study, _) = await Mnist.Search.Study.StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        var trials = await h.Storage.GetAllTrialsAsync(study.Id);
        Assert.DoesNotContain(trials, t => t.State == TrialState.RUNNING);
        var failed = Assert.Single(trials, t => t.State == TrialState.FAIL && t.SystemAttrs[StudyAttributes.FailReason].Contains("interrupted"));
        // (the trial the sampler could not propose for is FAIL with the reason, not left RUNNING without parameters)
        Assert.Single(trials, t => t.State == TrialState.FAIL && t.SystemAttrs[StudyAttributes.FailReason] == "\"the sampler failed: sampler bug\"");
        var pid = int.Parse(failed.SystemAttrs[StudyAttributes.WorkerPid], System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}"), $"worker {pid} of the failed trial still runs");
        var waiting = Assert.Single(trials, t => t.State == TrialState.WAITING);
        Assert.Equal(failed.Params, waiting.Params);
    }

    [Fact]
    public async Task AWorkerThatCannotBeStartedStopsTheStudyAfterOneTrialWhichIsQueuedAgain()
    {
        // Given a study of 5 trials whose worker program disappeared after the study was checked
        var worker = new FakeWorker { Directory = "" };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 5, worker);

        // When it runs with a command whose program is gone
        var error = await Assert.ThrowsAsync<Mnist.Search.Workers.WorkerStartException>(() => h.RunAsync(CoordinatorHarness.Cpu(2), command: [Path.Combine(h.Root, "gone"), "{spec}"]));

        // Then it stops with the reason instead of failing the whole budget one trial after another
        Assert.Contains("no such executable file", error.Message);
        var (study, _) = await Mnist.Search.Study.StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        var trials = await h.Storage.GetAllTrialsAsync(study.Id);
        Assert.True(trials.Count(t => t.State == TrialState.FAIL) <= 2, string.Join(", ", trials.Select(t => t.State)));
        Assert.All(trials.Where(t => t.State == TrialState.FAIL), t => Assert.Contains("worker did not start", t.SystemAttrs[StudyAttributes.FailReason]));
        // Every failed trial was queued again (the second slot may have claimed the first one's retry before the stop, and
        // failed it in turn: then one retry waits for two failures, each the retry of the one before)
        Assert.Equal(trials.Where(t => t.State == TrialState.FAIL).Select(t => t.Number).Order(), Budget.Retried(trials).Order());
        Assert.Contains(trials, t => t.State == TrialState.WAITING);
        Assert.Equal(0, Budget.Of(trials, 5).Used);
    }

    [Fact]
    public async Task AWorkerThatCannotUseItsDeviceStopsTheStudyWithTheTrialQueuedAgain()
    {
        // Given a study of 5 trials whose worker says its device is unusable (a GPU listed on a machine without CUDA)
        const string noCuda = """
            echo '{"event":"error","message":"spec.json: $.device: \"cuda\" was requested but CUDA is not available to this worker"}'
            exit 4
            """;
        var worker = new FakeWorker { Directory = "", Custom = { [0] = noCuda, [1] = noCuda } };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 5, worker);

        // When it runs on a (fake) GPU
        var error = await Assert.ThrowsAsync<Mnist.Search.Workers.WorkerStartException>(() => h.RunAsync(CoordinatorHarness.Gpus(1)));

        // Then it stops, naming the device and the reason, with its trial queued again: each trial failed in turn (the
        // budget of a shared study went in seconds)
        Assert.StartsWith("cuda:0: spec.json: $.device: \"cuda\" was requested but CUDA is not available", error.Message);
        var (study, _) = await Mnist.Search.Study.StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        var trials = await h.Storage.GetAllTrialsAsync(study.Id);
        Assert.Equal([TrialState.FAIL, TrialState.WAITING], trials.Select(t => t.State));
        Assert.Contains("the worker cannot run here: cuda:0:", trials[0].SystemAttrs[StudyAttributes.FailReason]);
        Assert.Equal(0, Budget.Of(trials, 5).Used);
        // And its retries are not spent on it: the machine's problem, not the configuration's
        Assert.Equal("0", trials[1].SystemAttrs.GetValueOrDefault(StudyAttributes.RetryCount) ?? "0");
    }

    [Fact]
    public async Task ACustomWorkersExitFourOnACpuSlotFailsOnlyItsTrial()
    {
        // Given a custom worker that exits 4 for trial 0 on a CPU slot (no device to lack: its own meaning of 4)
        var worker = new FakeWorker { Directory = "", Custom = { [0] = "echo '{\"event\":\"error\",\"message\":\"no network\"}'; exit 4" } };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 2, worker);

        // When the study runs
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu());

        // Then that trial failed and the study went on
        Assert.Equal([TrialState.FAIL, TrialState.COMPLETE], trials.Select(t => t.State));
    }

    [Fact]
    public async Task ABudgetChangedInStorageWhileTheStudyRunsIsTheOneItStopsAt()
    {
        // Given a study of 6 trials of about 1 s on one slot
        var worker = new FakeWorker { Directory = "", Epochs = 2, EpochSeconds = 0.5 };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 6, worker);
        var (study, _) = await Mnist.Search.Study.StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");

        // When another process lowers the budget to 2 (`study start` with a changed budget.trials) once trial 0 has ended
        var run = h.RunAsync(CoordinatorHarness.Cpu());
        while ((await h.Storage.GetAllTrialsAsync(study.Id, [TrialState.COMPLETE])).Count == 0) await Task.Delay(100);
        await h.Storage.SetStudySystemAttrAsync(study.Id, StudyAttributes.BudgetTrials, 2);
        var (_, trials) = await run;

        // Then this process, which read 6 at its start, ends with exactly 2 (it used to run all 6)
        Assert.Equal(2, trials.Count(t => t.State == TrialState.COMPLETE));
        Assert.True(Budget.Of(trials, 2).IsSpent);
    }

    [Fact]
    public async Task ALateResultOfATrialFailedWithNoRetriesLeftIsRecordedOnAStandInThatTheBudgetCountsOnce()
    {
        // Given a study of one trial, retried at most 0 times, whose worker finishes only when the test says so
        var release = Path.Combine(Path.GetTempPath(), $"late-release-{Guid.NewGuid():N}");
        var worker = new FakeWorker
        {
            Directory = "", Epochs = 2,
            Custom = { [0] = $$$"""
                echo '{"event":"start","config":{}}'
                while [ ! -f "{{{release}}}" ]; do sleep 0.05; done
                echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":0.61}'
                echo '{"event":"epoch","epoch":2,"train_loss":0.4,"val_accuracy":0.62}'
                echo '{"event":"result","state":"complete","val_accuracy":0.62}'
                exit 0
                """ },
        };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1, worker, s => s with { MaxRetries = 0 });
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        var run = h.RunAsync(CoordinatorHarness.Cpu());
        try
        {
            TrialSnapshot? running = null;
            while (running is null || !running.SystemAttrs.ContainsKey(StudyAttributes.WorkerPid))
            {
                await Task.Delay(50);
                running = (await h.Storage.GetAllTrialsAsync(study.Id, [TrialState.RUNNING])).SingleOrDefault();
            }

            // When another process fails it as stale with the study's rule (no retry is left to queue), and then its worker finishes
            var failed = await h.Storage.FailTrialAsync(running.Id, new Dictionary<string, object?> { [StudyAttributes.FailReason] = "stale heartbeat (test)" },
                Retries.Rule(h.Settings.MaxRetries));
            Assert.Null(failed!.Retry);
        }
        finally
        {
            File.WriteAllText(release, "");
        }
        var (_, trials) = await run;
        File.Delete(release);

        // Then the result is not dropped: a stand-in names the failed trial as its retry and holds the late result,
        // and the budget counts the configuration once (it was dropped, "kept only in the trial's folder")
        Assert.Equal(TrialState.FAIL, trials.Single(t => t.Number == 0).State);
        var standIn = Assert.Single(trials, t => t.Number != 0);
        Assert.Equal(TrialState.COMPLETE, standIn.State);
        Assert.Equal(0.62, standIn.Value!.Value, 6);
        Assert.Equal("0", standIn.SystemAttrs[StudyAttributes.RetryOf]);
        Assert.Equal("0", standIn.SystemAttrs[StudyAttributes.LateResultOf]);
        Assert.Equal(trials.Single(t => t.Number == 0).Params, standIn.Params);
        Assert.Equal(2, standIn.IntermediateValues.Count);
        // ...with how far it trained, as every trial says (README; Optuna users read user_attrs["fidelity"]): it had none
        Assert.True(standIn.UserAttrs.TryGetValue(StudyAttributes.Fidelity, out var fidelity),
            $"the stand-in has no {StudyAttributes.Fidelity}: {string.Join(",", standIn.UserAttrs.Keys)}");
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(fidelity),
            System.Text.Json.JsonSerializer.SerializeToNode(h.Settings.FidelityAt(2))), fidelity);
        var budget = Budget.Of(trials, 1);
        Assert.True(budget.IsSpent);
        Assert.Equal(1, budget.Used);
    }

    [Fact]
    public async Task AProposalWaitsForTheParametersOfATrialAnotherProcessCreatedJustBeforeIt()
    {
        // Given a study of 2 trials where another coordinator has just created trial 0 and is still proposing its
        // parameters (a grace of a minute: the wait for them is that long at most, longer than any stall of the runner)
        await using var h = await CoordinatorHarness.CreateAsync(trials: 2, new FakeWorker { Directory = "", Epochs = 1, EpochSeconds = 0.1 },
            s => s with { HeartbeatGrace = TimeSpan.FromMinutes(1) });
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        var other = await h.Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, null, new Dictionary<string, object?>
        {
            [StudyAttributes.Host] = "other-host", [StudyAttributes.CoordinatorPid] = 1,
        });

        // When this coordinator has created trial 1 and read, for its proposal, a study in which trial 0 has no
        // parameters yet, and only then the other one's proposal lands
        var sawTrialZeroWithout = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var storage = ObservedReads.Of(h.Storage, trials =>
        {
            if (trials.Any(t => t.Number == 1) && trials.Any(t => t.Number == 0 && t.Params.Count == 0)) sawTrialZeroWithout.TrySetResult();
        });
        var sampler = new RecordingSampler();
        var coordinator = new StudyCoordinator(h.Settings, storage, sampler, NopPruner.Instance, new DevicePool(CoordinatorHarness.Cpu()),
            new ProcessWorkerLauncher(TimeSpan.FromSeconds(2)), new TrialCommand(h.Worker.Command), Serilog.Core.Logger.None);
        var run = coordinator.RunAsync(study, default);
        await Task.WhenAny(sawTrialZeroWithout.Task, run).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(sawTrialZeroWithout.Task.IsCompleted, "the coordinator never read the study with its own trial 1 and trial 0 without parameters");
        var proposal = new Mnist.Search.Sampling.RandomSampler(3).Sample(CoordinatorHarness.Space, StudyDirection.MAXIMIZE, []);
        await h.Storage.SetTrialParamsAsync(other.Id, CoordinatorHarness.Space.Parameters.ToDictionary(p => p.Key, p => (p.Value, proposal[p.Key])));
        await h.Storage.FinishTrialAsync(other.Id, TrialState.COMPLETE, 0.9);
        await run;

        // Then trial 1 was proposed from a history in which trial 0 has its parameters (a pending point), not from the one
        // read without them (both processes then propose from the same data: the same configuration twice)
        var seen = Assert.Single(sampler.Histories);
        var zero = Assert.Single(seen, t => t.Number == 0);
        Assert.Equal(CoordinatorHarness.Space.Parameters.Count, zero.Params.Count);
    }

    [Fact]
    public async Task AStudyWaitingOnATrialNoProcessOfThisToolRunsSaysWhyOnce()
    {
        // Given a study of one trial whose place an Optuna client took (ask without tell: RUNNING, no host of ours,
        // no heartbeat), on a study whose trials may run 1 s
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1, tweak: s => s with
        {
            TrialTimeout = TimeSpan.FromSeconds(1), HeartbeatGrace = TimeSpan.FromSeconds(1),
        });
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        var proposal = new Mnist.Search.Sampling.RandomSampler(3).Sample(CoordinatorHarness.Space, StudyDirection.MAXIMIZE, []);
        var foreign = await h.Storage.CreateTrialAsync(study.Id, TrialState.RUNNING,
            CoordinatorHarness.Space.Parameters.ToDictionary(p => p.Key, p => (p.Value, proposal[p.Key])));
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(h.Settings.StudyDirectory, "study.db")};Pooling=false"))
        {
            await c.OpenAsync();
            using var delete = c.CreateCommand();
            delete.CommandText = $"DELETE FROM trial_heartbeats WHERE trial_id = {foreign.Id}";
            await delete.ExecuteNonQueryAsync();
        }

        // When this coordinator runs for 5 s
        var (log, sink) = Mnist.Search.Tests.Support.Scheduling.CollectingSink.Create();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), ct: cts.Token, log: log);

        // Then it says, once, which trial it waits for and why (it waited with no word), and leaves that trial alone
        var warning = Assert.Single(sink.Messages(Serilog.Events.LogEventLevel.Warning), m => m.Contains("Waiting for trial"));
        Assert.Contains("not started by this tool", warning);
        Assert.Equal(TrialState.RUNNING, Assert.Single(trials).State);
    }

    private sealed class RecordingSampler : Mnist.Search.Sampling.ISampler
    {
        private readonly Mnist.Search.Sampling.RandomSampler _inner = new(7);
        public List<IReadOnlyList<TrialSnapshot>> Histories { get; } = [];

        public IReadOnlyDictionary<string, double> Sample(Mnist.Search.Space.SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials)
        {
            Histories.Add(trials);
            return _inner.Sample(space, direction, trials);
        }
    }

    private sealed class FailingSampler(int calls) : Mnist.Search.Sampling.ISampler
    {
        private readonly Mnist.Search.Sampling.RandomSampler _inner = new(7);
        private int _left = calls;

        public IReadOnlyDictionary<string, double> Sample(Mnist.Search.Space.SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials) =>
            Interlocked.Decrement(ref _left) >= 0 ? _inner.Sample(space, direction, trials) : Fail();

        // Late enough that the first trial's worker runs.
        private static IReadOnlyDictionary<string, double> Fail()
        {
            Thread.Sleep(1500);
            throw new InvalidOperationException("sampler bug");
        }
    }
}
