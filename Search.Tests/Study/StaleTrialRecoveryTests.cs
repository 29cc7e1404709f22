using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// Two real coordinators on one study; one is SIGSTOPped past the heartbeat grace while its worker finishes
/// (issue 11, item 2). On PostgreSQL the server is also restarted under the survivor.
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class StaleTrialRecoveryTests(PostgresServerFixture server)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public Task OnSqliteAStoppedCoordinatorsTrialIsFailedAndQueuedAndItsLateResultIsRecordedOnTheRetry() =>
        RunAsync(storageUrl: null, restartDatabase: false);

    [Fact]
    public async Task OnPostgresTheSameHoldsThroughAServerRestart() =>
        await RunAsync(await server.CreateDatabaseAsync(), restartDatabase: true);

    private async Task RunAsync(string? storageUrl, bool restartDatabase)
    {
        // Given a study of 2 trials whose workers each wait for the test's go-ahead (so machine load cannot reorder
        // anything): A runs trial 0, B, started next, trial 1
        using var dir = new TempDirectory("stale-sweep");
        string Held(int trial) => HeldScript(dir["release-" + trial]);
        static string HeldScript(string release) => $$$"""
            echo '{"event":"start","config":{}}'
            while [ ! -f "{{{release}}}" ]; do sleep 0.05; done
            for e in 1 2 3 4; do
              echo "{\"event\":\"epoch\",\"epoch\":$e,\"train_loss\":0.5,\"val_accuracy\":0.50$e}"
            done
            echo '{"event":"result","state":"complete","val_accuracy":0.504}'
            exit 0
            """;
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 4, Custom = { [0] = Held(0), [1] = Held(1) } }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        var url = storageUrl ?? "sqlite:" + dir["studies/cli-study/study.db"];
        string[] start = ["study", "start", config, "--no-retrain", "--storage", url];
        // Only B sweeps on a short grace: A, the stopped one, waits long enough never to take B's trial for dead while
        // B's heartbeats cannot be written during the PostgreSQL restart (that would fail and queue trial 1 as well).
        await using var a = SearchCli.Watch("coordinator A", dir.Path, heartbeatGraceSeconds: 60, start);
        await a.WaitForOutputAsync("Trial 0 started", Patience);
        await using var b = SearchCli.Watch("coordinator B", dir.Path, heartbeatGraceSeconds: 2, start);
        await b.WaitForOutputAsync("Trial 1 started", Patience);

        // When A is stopped (SIGSTOP), and B sweeps A's silent trial (through a server restart on PostgreSQL)
        a.Signal(UnixSignal.Stop);
        var restart = restartDatabase
            ? DatabaseFaults.RestartPostgresWhen(server, b, "Trial 0 has no heartbeat", Patience, TimeSpan.FromMilliseconds(300))
            : Task.CompletedTask;
        await b.WaitForOutputAsync("Trial 0 queued again", Patience);
        await restart;
        // And A is continued and its worker finishes while B's only slot is still busy with trial 1, so the retry waits
        a.Signal(UnixSignal.Cont);
        File.WriteAllText(dir["release-0"], "");
        await a.WaitForOutputAsync("is recorded as its retry", Patience);
        File.WriteAllText(dir["release-1"], "");

        // Then both exit 0: B survives the sweep, A neither crashes nor loses what its worker finished
        Assert.True(await b.WaitForExitAsync(Patience) == 0, b.Output);
        Assert.True(await a.WaitForExitAsync(Patience) == 0, a.Output);
        Assert.DoesNotContain("could not be supervised", a.Output + b.Output);
        Assert.DoesNotContain("cannot set attribute", b.Output);
        Assert.DoesNotContain(" ERR ", a.Output + b.Output);

        // And trial 0 is FAIL with its reason, its retry holds A's late result, and the budget is exactly spent
        await using var storage = await StorageFactory.OpenAsync(url, dir.Path);
        var trials = await storage.GetAllTrialsAsync((await storage.GetStudyAsync("cli-study"))!.Id);
        var failed = trials.Single(t => t.Number == 0);
        Assert.Equal(TrialState.FAIL, failed.State);
        Assert.Contains("stale heartbeat", failed.SystemAttrs[StudyAttributes.FailReason]);
        var retry = trials.Single(t => t.SystemAttrs.GetValueOrDefault(StudyAttributes.RetryOf) == "0");
        Assert.Equal(TrialState.COMPLETE, retry.State);
        Assert.True(retry.SystemAttrs.GetValueOrDefault(StudyAttributes.LateResultOf) == "0", $"A:\n{a.Output}\nB:\n{b.Output}");
        Assert.Equal(0.504, retry.Value!.Value, 6);
        Assert.Equal(4, retry.IntermediateValues.Count);
        var budget = Budget.Of(trials, 2);
        Assert.True(budget.IsSpent);
        Assert.Equal(2, budget.Used);
        Assert.True(trials.Count == 3, string.Join("\n", trials.Select(t => $"trial {t.Number} {t.State} " +
            string.Join(",", t.SystemAttrs.Select(kv => $"{kv.Key}={kv.Value}")))) + $"\nA:\n{a.Output}\nB:\n{b.Output}");
    }
}
