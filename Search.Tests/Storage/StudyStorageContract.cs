using System.Text.Json.Nodes;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support.Storage;

namespace Mnist.Search.Tests.Storage;

/// <summary>
/// The <see cref="IStudyStorage"/> contract, run against every implementation (as Optuna's StorageTestCase).
/// Each test gets a fresh, empty database; <see cref="OpenStorageAsync"/> opens another instance on it (another
/// connection pool, as another process would have).
/// </summary>
public abstract partial class StudyStorageContract : IAsyncLifetime
{
    protected IStudyStorage Storage { get; private set; } = null!;

    /// <summary>A new storage instance on this test's database.</summary>
    protected abstract Task<IStudyStorage> OpenStorageAsync();

    /// <summary>Prepares this test's empty database.</summary>
    protected abstract Task CreateDatabaseAsync();

    protected virtual Task DropDatabaseAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        await CreateDatabaseAsync();
        Storage = await OpenStorageAsync();
    }

    public async Task DisposeAsync()
    {
        await Storage.DisposeAsync();
        await DropDatabaseAsync();
    }

    internal static readonly IntDistribution Units = new(16, 256, 16);
    internal static readonly FloatDistribution Lr = new(1e-4, 1e-1, Log: true);
    internal static readonly CategoricalDistribution Optimizer = new(["adam", "sgd", null, 3L, true]);

    /// <summary>The system attribute a coordinator of this tool gives each trial it runs: only such trials are swept.</summary>
    internal static readonly Dictionary<string, object?> Ours = new() { [StudyAttributes.Host] = "this-host" };

    /// <summary>
    /// The sweep's grace in the stale tests, and how far back a silent trial's heartbeat is put
    /// (<see cref="HeartbeatClock"/>): a beat an hour old is stale by any grace of minutes, a fresh one is not until
    /// minutes pass, so no stall of the runner between the writes and the sweep can change what the sweep finds.
    /// </summary>
    internal static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);
    internal static readonly TimeSpan LongAgo = TimeSpan.FromHours(1);

    /// <summary>Puts the heartbeats of these trials <see cref="LongAgo"/> back, as a worker silent for an hour leaves them.</summary>
    protected Task SilenceAsync(params long[] trialIds) => HeartbeatClock.BackdateAsync(Storage, LongAgo, trialIds);

    internal static Dictionary<string, (ParameterDistribution, double)> SomeParams(double lr = 0.01) => new()
    {
        ["units"] = (Units, 128),
        ["lr"] = (Lr, lr),
        ["optimizer"] = (Optimizer, 2),
    };

    [Fact]
    public async Task WhenAStudyIsCreatedWithSystemAttributesThenItNeverExistsWithoutThemAndASecondCreateLeavesThem()
    {
        // Given / When a study is created with its attributes, and created again with others
        var (study, created) = await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE,
            new Dictionary<string, object?> { ["config"] = "first", ["space"] = new System.Text.Json.Nodes.JsonArray(1, 2) });
        var (again, createdAgain) = await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE, new Dictionary<string, object?> { ["config"] = "second" });

        // Then the first call wrote them with the study; the second changed nothing
        Assert.Equal((true, false, study), (created, createdAgain, again));
        var attrs = await Storage.GetStudySystemAttributesAsync(study.Id);
        Assert.Equal("\"first\"", attrs["config"]);
        Assert.Equal("[1,2]", attrs["space"].Replace(" ", ""));
    }

    [Fact]
    public async Task WhenAStudyIsCreatedTwiceThenTheSecondCallReturnsTheFirst()
    {
        // Given / When
        var (first, created1) = await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE);
        var (second, created2) = await Storage.CreateStudyAsync("s", StudyDirection.MINIMIZE);

        // Then
        Assert.True(created1);
        Assert.False(created2);
        Assert.Equal(first, second);
        Assert.Equal(StudyDirection.MAXIMIZE, second.Direction);
        Assert.Equal(first, await Storage.GetStudyAsync("s"));
        Assert.Null(await Storage.GetStudyAsync("missing"));
    }

    [Fact]
    public async Task WhenSeveralStudiesExistThenAllAreListedInCreationOrder()
    {
        // Given
        var a = (await Storage.CreateStudyAsync("a", StudyDirection.MINIMIZE)).Study;
        var b = (await Storage.CreateStudyAsync("b", StudyDirection.MAXIMIZE)).Study;

        // When
        var all = await Storage.GetAllStudiesAsync();

        // Then
        Assert.Equal([a, b], all);
    }

    [Fact]
    public async Task WhenStudyAttributesAreSetThenTheyReadBackAndLaterValuesReplaceEarlierOnes()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;

        // When
        await Storage.SetStudyUserAttrAsync(study.Id, "note", "first");
        await Storage.SetStudyUserAttrAsync(study.Id, "note", "second");
        await Storage.SetStudySystemAttrAsync(study.Id, "search_space", new JsonObject { ["units"] = new JsonArray(16, 256) });

        // Then
        Assert.Equal(new Dictionary<string, string> { ["note"] = "\"second\"" }, await Storage.GetStudyUserAttributesAsync(study.Id));
        Assert.Equal(new Dictionary<string, string> { ["search_space"] = "{\"units\":[16,256]}" }, await Storage.GetStudySystemAttributesAsync(study.Id));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.SetStudyUserAttrAsync(study.Id, "bad", double.NaN));
        await Assert.ThrowsAsync<RowNotFoundException>(() => Storage.SetStudyUserAttrAsync(study.Id + 99, "k", 1));
    }

    [Fact]
    public async Task WhenARunningTrialIsCreatedThenItHasTheNextNumberParamsAttributesAndAStartTime()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var before = DateTime.Now.AddSeconds(-1);

        // When
        var t0 = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams(), new Dictionary<string, object?> { ["pid"] = 1234 });
        var t1 = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);

        // Then
        Assert.Equal((0, 1), (t0.Number, t1.Number));
        Assert.Equal(TrialState.RUNNING, t0.State);
        Assert.InRange(t0.DatetimeStart!.Value, before, DateTime.Now.AddSeconds(1));
        Assert.Null(t0.DatetimeComplete);
        Assert.Equal(128L, t0.ExternalParam("units"));
        Assert.Equal(0.01, t0.ExternalParam("lr"));
        Assert.Null(t0.ExternalParam("optimizer"));
        Assert.Equal(Units, t0.Distributions["units"]);
        Assert.Equal(Lr, t0.Distributions["lr"]);
        Assert.Equal(Optimizer, t0.Distributions["optimizer"]);
        Assert.Equal("1234", t0.SystemAttrs["pid"]);
        Assert.Equal(t0, await Storage.GetTrialAsync(t0.Id), new SnapshotComparer());
    }

    [Fact]
    public async Task WhenAParameterLiesOutsideItsDistributionThenCreatingTheTrialFailsAndNothingIsStored()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;

        // When / Then
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams(lr: 5)));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.CreateTrialAsync(study.Id, TrialState.COMPLETE));
        await Assert.ThrowsAsync<RowNotFoundException>(() => Storage.CreateTrialAsync(study.Id + 99, TrialState.RUNNING));
        Assert.Empty(await Storage.GetAllTrialsAsync(study.Id));
    }

    [Fact]
    public async Task WhenWaitingTrialsArePoppedThenTheOldestIsClaimedFirstAndThenNone()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var w0 = await Storage.CreateTrialAsync(study.Id, TrialState.WAITING, SomeParams(0.001));
        var w1 = await Storage.CreateTrialAsync(study.Id, TrialState.WAITING, SomeParams(0.002));
        Assert.Null(w0.DatetimeStart);

        // When
        var p0 = await Storage.PopWaitingTrialAsync(study.Id);
        var p1 = await Storage.PopWaitingTrialAsync(study.Id);
        var none = await Storage.PopWaitingTrialAsync(study.Id);

        // Then
        Assert.Equal((w0.Id, w1.Id), (p0!.Id, p1!.Id));
        Assert.Equal(TrialState.RUNNING, p0.State);
        Assert.NotNull(p0.DatetimeStart);
        Assert.Equal(0.001, p0.Params["lr"]);
        Assert.Null(none);
    }

    [Fact]
    public async Task AnEnqueuedTrialGetsItsParametersOnceWhenRunningAndNeverOutsideTheirDistributionOrAfterItEnds()
    {
        // Given a trial enqueued without parameters (as Optuna's enqueue_trial writes it), then claimed
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var waiting = await Storage.CreateTrialAsync(study.Id, TrialState.WAITING, null, new Dictionary<string, object?> { ["fixed_params"] = new Dictionary<string, object> { ["lr"] = 0.02 } });
        await Assert.ThrowsAsync<TrialNotRunningException>(() => Storage.SetTrialParamsAsync(waiting.Id, SomeParams()));
        var running = (await Storage.PopWaitingTrialAsync(study.Id))!;

        // When its parameters are set; then set again, set out of range, and set after it ended
        var set = await Storage.SetTrialParamsAsync(running.Id, SomeParams(0.02));
        var again = await Record.ExceptionAsync(() => Storage.SetTrialParamsAsync(running.Id, One("lr", 0.03)));
        var outside = await Record.ExceptionAsync(() => Storage.SetTrialParamsAsync(running.Id, One("other", 5.0)));
        await Storage.FinishTrialAsync(running.Id, TrialState.COMPLETE, 0.9);
        var ended = await Record.ExceptionAsync(() => Storage.SetTrialParamsAsync(running.Id, One("late", 0.03)));

        // Then the first write holds, as stored, and the others change nothing
        Assert.Equal(0.02, set.ExternalParam("lr"));
        Assert.Equal(Units, set.Distributions["units"]);
        Assert.Equal("{\"lr\":0.02}", set.SystemAttrs["fixed_params"]);
        Assert.IsType<InvalidOperationException>(again);
        Assert.IsType<ArgumentException>(outside);
        Assert.IsType<TrialNotRunningException>(ended);
        var stored = await Storage.GetTrialAsync(running.Id);
        Assert.Equal(set.Params.OrderBy(p => p.Key), stored.Params.OrderBy(p => p.Key));
    }

    private static Dictionary<string, (ParameterDistribution, double)> One(string name, double lr) => new() { [name] = (Lr, lr) };

    [Fact]
    public async Task WhenAWaitingTrialIsChangedOtherThanClaimedThenTheChangeIsRefused()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var w = await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);

        // When / Then
        await Assert.ThrowsAsync<TrialNotRunningException>(() => Storage.SetTrialUserAttrAsync(w.Id, "k", 1));
        await Assert.ThrowsAsync<TrialNotRunningException>(() => Storage.ReportIntermediateValueAsync(w.Id, 0, 0.5));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Storage.FinishTrialAsync(w.Id, TrialState.COMPLETE, 0.5));
        Assert.Equal(TrialState.WAITING, (await Storage.GetTrialAsync(w.Id)).State);
    }

    [Fact]
    public async Task WhenIntermediateValuesAreReportedThenOnePerStepIsKeptAndLaterReplacesEarlier()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var t = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);

        // When
        await Storage.ReportIntermediateValueAsync(t.Id, 0, 0.5);
        await Storage.ReportIntermediateValueAsync(t.Id, 1, 0.7);
        await Storage.ReportIntermediateValueAsync(t.Id, 1, 0.8);
        await Storage.ReportIntermediateValueAsync(t.Id, 2, double.NaN);
        await Storage.ReportIntermediateValueAsync(t.Id, 3, double.NegativeInfinity);

        // Then
        var read = await Storage.GetTrialAsync(t.Id);
        Assert.Equal([0, 1, 2, 3], read.IntermediateValues.Keys.Order());
        Assert.Equal((0.5, 0.8), (read.IntermediateValues[0], read.IntermediateValues[1]));
        Assert.True(double.IsNaN(read.IntermediateValues[2]));
        Assert.Equal(double.NegativeInfinity, read.IntermediateValues[3]);
        Assert.Equal((3, double.NegativeInfinity), read.LastIntermediate);
    }

    [Fact]
    public async Task WhenATrialIsFinishedThenItKeepsItsValueAndFurtherFinishesReturnFalse()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var t = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);

        // When
        var first = await Storage.FinishTrialAsync(t.Id, TrialState.COMPLETE, 0.97);
        var second = await Storage.FinishTrialAsync(t.Id, TrialState.FAIL, null);

        // Then
        Assert.True(first);
        Assert.False(second);
        var read = await Storage.GetTrialAsync(t.Id);
        Assert.Equal((TrialState.COMPLETE, 0.97), (read.State, read.Value));
        Assert.NotNull(read.DatetimeComplete);
        Assert.True(read.Duration >= TimeSpan.Zero);
    }

    [Fact]
    public async Task WhenATrialIsFinishedThenItIsReadOnly()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var t = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        await Storage.FinishTrialAsync(t.Id, TrialState.PRUNED, 0.4);

        // When / Then
        await Assert.ThrowsAsync<TrialNotRunningException>(() => Storage.SetTrialUserAttrAsync(t.Id, "k", 1));
        await Assert.ThrowsAsync<TrialNotRunningException>(() => Storage.SetTrialSystemAttrAsync(t.Id, "k", 1));
        await Assert.ThrowsAsync<TrialNotRunningException>(() => Storage.ReportIntermediateValueAsync(t.Id, 5, 0.1));
        await Assert.ThrowsAsync<TrialNotRunningException>(() => Storage.RecordHeartbeatAsync(t.Id));
        var read = await Storage.GetTrialAsync(t.Id);
        Assert.Equal((TrialState.PRUNED, 0.4), (read.State, read.Value));
        Assert.Empty(read.UserAttrs);
        Assert.Empty(read.IntermediateValues);
    }

    [Fact]
    public async Task WhenFinishArgumentsContradictTheStateThenTheyAreRejected()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var t = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);

        // When / Then
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.FinishTrialAsync(t.Id, TrialState.COMPLETE, null));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.FinishTrialAsync(t.Id, TrialState.FAIL, 1.0));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.FinishTrialAsync(t.Id, TrialState.RUNNING, 1.0));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.FinishTrialAsync(t.Id, TrialState.COMPLETE, double.NaN));
        await Assert.ThrowsAsync<RowNotFoundException>(() => Storage.FinishTrialAsync(t.Id + 99, TrialState.FAIL, null));
        Assert.True(await Storage.FinishTrialAsync(t.Id, TrialState.COMPLETE, double.PositiveInfinity));
        Assert.Equal(double.PositiveInfinity, (await Storage.GetTrialAsync(t.Id)).Value);
    }

    [Fact]
    public async Task WhenTrialAttributesAreSetThenTheyReadBack()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var t = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);

        // When
        await Storage.SetTrialUserAttrAsync(t.Id, "accuracy_curve", new[] { 0.9, 0.95 });
        await Storage.SetTrialSystemAttrAsync(t.Id, "device", "cpu:0");
        await Storage.SetTrialSystemAttrAsync(t.Id, "device", "cuda:1");

        // Then
        var read = await Storage.GetTrialAsync(t.Id);
        Assert.Equal("[0.9,0.95]", read.UserAttrs["accuracy_curve"]);
        Assert.Equal("\"cuda:1\"", read.SystemAttrs["device"]);
    }

    [Fact]
    public async Task WhenATrialIsMissingThenGetTrialThrowsKeyNotFound()
    {
        await Assert.ThrowsAsync<RowNotFoundException>(() => Storage.GetTrialAsync(12345));
        await Assert.ThrowsAsync<RowNotFoundException>(() => Storage.RecordHeartbeatAsync(12345));
    }

    [Fact]
    public async Task WhenTrialsAreFilteredByStateThenOnlyThoseReturnInNumberOrder()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MINIMIZE)).Study;
        var other = (await Storage.CreateStudyAsync("other", StudyDirection.MINIMIZE)).Study;
        var a = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams());
        var b = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        var c = await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);
        await Storage.CreateTrialAsync(other.Id, TrialState.RUNNING);
        await Storage.FinishTrialAsync(a.Id, TrialState.COMPLETE, 1.5);
        await Storage.FinishTrialAsync(b.Id, TrialState.FAIL, null);

        // When
        var all = await Storage.GetAllTrialsAsync(study.Id);
        var finished = await Storage.GetAllTrialsAsync(study.Id, [TrialState.COMPLETE, TrialState.FAIL]);
        var waiting = await Storage.GetAllTrialsAsync(study.Id, [TrialState.WAITING]);

        // Then
        Assert.Equal([0, 1, 2], all.Select(t => t.Number));
        Assert.Equal([a.Id, b.Id], finished.Select(t => t.Id));
        Assert.Equal(1.5, finished[0].Value);
        Assert.Equal(3, finished[0].Params.Count);
        Assert.Equal([c.Id], waiting.Select(t => t.Id));
        Assert.Empty(await Storage.GetAllTrialsAsync(study.Id, []));
    }

    [Fact]
    public async Task WhenTheTrialChangesLaterThenAnEarlierSnapshotDoesNot()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var t = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        await Storage.ReportIntermediateValueAsync(t.Id, 0, 0.1);
        var snapshot = await Storage.GetTrialAsync(t.Id);

        // When
        await Storage.ReportIntermediateValueAsync(t.Id, 1, 0.2);
        await Storage.SetTrialUserAttrAsync(t.Id, "k", 1);
        await Storage.FinishTrialAsync(t.Id, TrialState.COMPLETE, 0.3);

        // Then
        Assert.Equal(TrialState.RUNNING, snapshot.State);
        Assert.Single(snapshot.IntermediateValues);
        Assert.Empty(snapshot.UserAttrs);
        Assert.Throws<NotSupportedException>(() => ((IDictionary<int, double>)snapshot.IntermediateValues)[5] = 1);
    }

    [Fact]
    public async Task WhenEightWritersRaceForACappedNumberThenExactlyTheCapIsCreated()
    {
        // Given eight writers each trying to create trials while numbers up to 11 are allowed
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var writers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => OpenStorageAsync()));
        var created = 0;

        // When each tries five times
        try
        {
            await Task.WhenAll(writers.Select(w => Task.Run(async () =>
            {
                for (var k = 0; k < 5; k++)
                    if (await w.TryCreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams(), null, maxNumber: 11) is not null)
                        Interlocked.Increment(ref created);
            })));
        }
        finally
        {
            foreach (var w in writers) await w.DisposeAsync();
        }

        // Then exactly twelve trials exist, numbered 0..11, and the refused calls wrote nothing
        Assert.Equal(12, created);
        Assert.Equal(Enumerable.Range(0, 12), (await Storage.GetAllTrialsAsync(study.Id)).Select(t => t.Number));
    }

    [Fact]
    public async Task WhenEightWritersCreateTrialsConcurrentlyThenNumbersAreDenseAndUnique()
    {
        // Given: eight storage instances (own pools), as eight processes
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var writers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => OpenStorageAsync()));
        const int perWriter = 10;

        // When
        try
        {
            await Task.WhenAll(writers.Select((w, i) => Task.Run(async () =>
            {
                for (var k = 0; k < perWriter; k++)
                {
                    var t = await w.CreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams());
                    await w.ReportIntermediateValueAsync(t.Id, 0, i);
                    await w.FinishTrialAsync(t.Id, TrialState.COMPLETE, i * 100 + k);
                }
            })));
        }
        finally
        {
            foreach (var w in writers) await w.DisposeAsync();
        }

        // Then
        var trials = await Storage.GetAllTrialsAsync(study.Id);
        Assert.Equal(Enumerable.Range(0, 8 * perWriter), trials.Select(t => t.Number));
        Assert.All(trials, t => Assert.Equal(TrialState.COMPLETE, t.State));
        Assert.Equal(8 * perWriter, trials.Select(t => t.Value).Distinct().Count());
    }

    [Fact]
    public async Task WhenManyWorkersPopWaitingTrialsConcurrentlyThenEachTrialIsClaimedExactlyOnce()
    {
        // Given
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        for (var i = 0; i < 24; i++) await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);
        var workers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => OpenStorageAsync()));

        // When
        List<long>[] claimed;
        try
        {
            claimed = await Task.WhenAll(workers.Select(w => Task.Run(async () =>
            {
                var mine = new List<long>();
                while (await w.PopWaitingTrialAsync(study.Id) is { } t) mine.Add(t.Id);
                return mine;
            })));
        }
        finally
        {
            foreach (var w in workers) await w.DisposeAsync();
        }

        // Then
        var all = claimed.SelectMany(x => x).ToList();
        Assert.Equal(24, all.Count);
        Assert.Equal(24, all.Distinct().Count());
        Assert.Empty(await Storage.GetAllTrialsAsync(study.Id, [TrialState.WAITING]));
    }

    [Fact]
    public async Task WhenAHeartbeatIsOlderThanTheGraceThenTheTrialIsFailedAndItsWorkerCannotFinishIt()
    {
        // Given: one trial whose worker went silent, one whose worker was silent as long and then beat, one waiting
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var silent = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, null, Ours);
        var alive = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, null, Ours);
        await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);
        await SilenceAsync(silent.Id, alive.Id);
        await Storage.RecordHeartbeatAsync(alive.Id);

        // When
        var failed = await Storage.FailStaleTrialsAsync(study.Id, Grace);

        // Then
        var f = Assert.Single(failed).Trial;
        Assert.Equal((silent.Id, TrialState.FAIL), (f.Id, f.State));
        Assert.NotNull(f.DatetimeComplete);
        Assert.False(await Storage.FinishTrialAsync(silent.Id, TrialState.COMPLETE, 0.9));
        Assert.Equal(TrialState.RUNNING, (await Storage.GetTrialAsync(alive.Id)).State);
        Assert.Empty(await Storage.FailStaleTrialsAsync(study.Id, Grace));
    }

    [Fact]
    public async Task HeartbeatAgesAreThoseOfTheStudysRunningTrialsByTheDatabaseClock()
    {
        // Given: a trial silent for an hour, one silent as long that just beat, one finished, and a running trial of another study
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var other = (await Storage.CreateStudyAsync("other", StudyDirection.MAXIMIZE)).Study;
        var silent = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, null, Ours);
        var alive = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, null, Ours);
        var finished = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, null, Ours);
        await Storage.FinishTrialAsync(finished.Id, TrialState.COMPLETE, 0.5);
        await Storage.CreateTrialAsync(other.Id, TrialState.RUNNING, null, Ours);
        await SilenceAsync(silent.Id, alive.Id);
        await Storage.RecordHeartbeatAsync(alive.Id);

        // When
        var ages = await Storage.GetHeartbeatAgesAsync(study.Id);

        // Then only this study's running trials are there, each with its own age (an hour and the seconds since; a zone
        // read wrongly is off by hours)
        Assert.Equal(new[] { silent.Id, alive.Id }.Order(), ages.Keys.Order());
        Assert.InRange(ages[silent.Id].TotalSeconds, LongAgo.TotalSeconds, LongAgo.TotalSeconds + Grace.TotalSeconds);
        Assert.InRange(ages[alive.Id].TotalSeconds, 0, Grace.TotalSeconds);
    }
}
