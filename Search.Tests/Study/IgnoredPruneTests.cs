using System.Globalization;
using Mnist.Search.Pruning;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Scheduling;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support.Workers;
using Mnist.Search.Vocabulary;
using Serilog.Events;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// Once the pruner has sent <c>prune</c> at epoch e the trial is PRUNED, whatever the worker then says, unless it was
/// already in its last planned epoch when it could read the line (the Trials worker's documented exception; epochs read
/// before the prune was sent were printed before it); one that reports a later epoch is stopped. A worker ignoring the prune was recorded COMPLETE, silently (walkthrough-worker finding 1). Real coordinator,
/// real SQLite, real bash workers that never read their stdin.
/// </summary>
public sealed class IgnoredPruneTests
{
    private const string Start = """echo '{"event":"start","config":{}}'""";

    private static string EpochLine(int n) => $$"""{"event":"epoch","epoch":{{n}},"train_loss":0.5,"val_accuracy":0.{{n}}}""";

    private static string Epoch(int n) => $"echo '{EpochLine(n)}'";

    /// <summary>Prunes every trial at its first epoch.</summary>
    private sealed class PruneAtFirstEpoch : IPruner
    {
        public bool ShouldPrune(TrialSnapshot trial, IReadOnlyList<TrialSnapshot> trials, StudyDirection direction) =>
            trial.LastIntermediate!.Value.Step == 1;
    }

    private static async Task<(TrialSnapshot Trial, IReadOnlyList<string> Warnings)> RunAsync(int epochs, string script)
    {
        var worker = new FakeWorker { Directory = "", Epochs = epochs, Custom = { [0] = script } };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1, worker, s => s with { TrialTimeout = TimeSpan.FromSeconds(30) });
        var (logger, sink) = CollectingSink.Create();
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), pruner: new PruneAtFirstEpoch(), log: logger).WaitAsync(TimeSpan.FromSeconds(60));
        return (Assert.Single(trials), sink.Messages(LogEventLevel.Warning).ToList());
    }

    [Theory]
    // Ignores the prune and runs on (its epochs 1.5 s apart): stopped at the epoch after the prune's, with a warning.
    [InlineData(3, "1 2 3", 1.5, "PRUNED", 0.2, "1 2", 1)]
    // The same with short epochs (0.5 s apart): a grace of a second after the prune let it complete.
    [InlineData(3, "1 2 3", 0.5, "PRUNED", 0.2, "1 2", 1)]
    // Stops at the epoch after the prune's (the prune came while it trained) but says complete: PRUNED, no warning.
    [InlineData(3, "1 2", 0, "PRUNED", 0.2, "1 2", 0)]
    // Was in its last planned epoch when the prune came: the trial completes (the documented exception).
    [InlineData(2, "1 2", 0, "COMPLETE", 0.2, "1 2", 0)]
    // Had printed every epoch before the coordinator judged the first (a worker faster than the coordinator): it could
    // not have seen the prune, so it completes, no warning. It was told it "did not stop" and lost its last epoch.
    [InlineData(3, "1 2 3", 0, "COMPLETE", 0.3, "1 2 3", 0)]
    public async Task AfterAPruneATrialIsPrunedUnlessTheWorkerWasInItsLastEpoch(int epochs, string printed, double secondsApart, string state, double value,
        string recorded, int warnings)
    {
        // Given a worker that never reads its stdin, prints the epochs given (so many seconds apart), then a complete
        // result, and a pruner that prunes at epoch 1
        // (all at once: in one write, so every line is read before the coordinator has judged the first)
        var numbers = printed.Split(' ').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToList();
        var epochLines = secondsApart > 0
            ? string.Join($"\nsleep {secondsApart.ToString(CultureInfo.InvariantCulture)}\n", numbers.Select(Epoch))
            // coreutils' printf, not bash's builtin: bash writes each line on its own (its stdout is line buffered), and
            // a pump reading the first alone let the coordinator judge it before the others were read (flaky under load)
            : "/usr/bin/printf '%s\\n' " + string.Join(' ', numbers.Select(n => $"'{EpochLine(n)}'"));
        var script = string.Join("\n", [Start, epochLines,
            """echo '{"event":"result","state":"complete","val_accuracy":0.3}'""", "exit 0"]);

        // When the coordinator runs it
        var (trial, warned) = await RunAsync(epochs, script);

        // Then the trial's state and value are those of the epochs the prune allows, and no later epoch is recorded
        Assert.True(trial.State.ToString() == state, $"{trial.State}: {trial.SystemAttrs.GetValueOrDefault(StudyAttributes.FailReason)}");
        Assert.Equal(value, trial.Value!.Value, 6);
        Assert.Equal(recorded.Split(' ').Select(n => int.Parse(n, CultureInfo.InvariantCulture)), trial.IntermediateValues.Keys.Order());
        var said = warned.Where(m => m.Contains("after `prune` was sent", StringComparison.Ordinal)).ToList();
        Assert.Equal(warnings, said.Count);
        if (warnings == 1)
            Assert.Matches(@"^Trial 0 reported epoch 3 \d+\.\d\d s after `prune` was sent at epoch 1: it is stopped \(its process group killed after 5 s\) and recorded PRUNED at epoch 2$", said[0]);
    }

    [Fact]
    public async Task AWorkerStillTrainingAfterAPruneIsKilled()
    {
        // Given a worker that never reads its stdin and runs on after the prune at epoch 1: three epochs 1.5 s apart, then
        // long training
        using var pidDir = new Support.TempDirectory("ignored-prune");
        var pidFile = pidDir["worker.pid"];
        var script = string.Join("\n", [$"echo $$ > \"{pidFile}\"", Start, Epoch(1), "sleep 1.5", Epoch(2), "sleep 1.5", Epoch(3), "sleep 120",
            """echo '{"event":"result","state":"complete","val_accuracy":0.3}'""", "exit 0"]);

        // When the coordinator runs it (trial timeout 30 s)
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (trial, warned) = await RunAsync(epochs: 4, script);

        // Then it was stopped about 5 s after it reported epoch 3 (it held its slot to the trial timeout and failed), its
        // group is dead, and the trial is PRUNED at epoch 2
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        try
        {
            Assert.True(trial.State == TrialState.PRUNED, $"{trial.State}: {trial.SystemAttrs.GetValueOrDefault(StudyAttributes.FailReason)}");
            Assert.Equal(0.2, trial.Value!.Value, 6);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the trial took {clock.Elapsed}");
            Assert.Single(warned, m => m.StartsWith("Trial 0 reported epoch 3 ", StringComparison.Ordinal) && m.Contains("after `prune` was sent at epoch 1"));
            Assert.True(await ProcessProbe.WaitGoneAsync(pid, TimeSpan.FromSeconds(5)), $"worker {pid} outlived its trial");
        }
        finally
        {
            Signals.SendToGroup(pid, UnixSignal.Kill);
        }
    }
}
