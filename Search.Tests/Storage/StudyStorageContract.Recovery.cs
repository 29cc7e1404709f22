using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Storage;

/// <summary>The recovery part of the contract: failing stale trials and handing their retries out (issue 11).</summary>
public abstract partial class StudyStorageContract
{
    [Fact]
    public async Task WhenAStaleTrialIsFailedThenItsFailReasonIsWrittenInTheSameChange()
    {
        // Given a trial whose worker went silent
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var silent = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, null, Ours);
        await SilenceAsync(silent.Id);

        // When the sweep fails it with a reason
        var failed = await Storage.FailStaleTrialsAsync(study.Id, Grace,
            new Dictionary<string, object?> { [StudyAttributes.FailReason] = "stale heartbeat" });

        // Then the FAIL trial carries the reason (it could not be set afterwards: FAIL trials are read-only)
        var f = Assert.Single(failed).Trial;
        Assert.Equal(TrialState.FAIL, f.State);
        Assert.Equal("\"stale heartbeat\"", f.SystemAttrs[StudyAttributes.FailReason]);
        Assert.Equal("\"stale heartbeat\"", (await Storage.GetTrialAsync(silent.Id)).SystemAttrs[StudyAttributes.FailReason]);
        await Assert.ThrowsAsync<TrialNotRunningException>(() => Storage.SetTrialSystemAttrAsync(silent.Id, "x", 1));
    }

    private static Func<TrialSnapshot, WaitingTrial?> RetryOf => failed => new WaitingTrial(
        failed.Params.ToDictionary(p => p.Key, p => (failed.Distributions[p.Key], p.Value)),
        new Dictionary<string, object?> { [StudyAttributes.RetryOf] = failed.Number, ["seen_reason"] = System.Text.Json.Nodes.JsonNode.Parse(failed.SystemAttrs[StudyAttributes.FailReason]) });

    [Fact]
    public async Task WhenATrialIsFailedWithARetryThenBothAreWrittenInOneChange()
    {
        // Given a running trial with parameters
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var running = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams(0.003));

        // When it is failed with a reason and a retry
        var result = await Storage.FailTrialAsync(running.Id, new Dictionary<string, object?> { [StudyAttributes.FailReason] = "interrupted" }, RetryOf);

        // Then it is FAIL with its reason, and the retry (made from the trial as failed, reason included) is WAITING with its parameters
        Assert.NotNull(result);
        Assert.Equal((TrialState.FAIL, "\"interrupted\""), (result.Trial.State, result.Trial.SystemAttrs[StudyAttributes.FailReason]));
        var retry = Assert.IsType<TrialSnapshot>(result.Retry);
        Assert.Equal((TrialState.WAITING, 1, "0", "\"interrupted\""), (retry.State, retry.Number, retry.SystemAttrs[StudyAttributes.RetryOf], retry.SystemAttrs["seen_reason"]));
        Assert.Equal(running.Params, retry.Params);
        Assert.Equal(2, (await Storage.GetAllTrialsAsync(study.Id)).Count);

        // And failing it again changes nothing
        Assert.Null(await Storage.FailTrialAsync(running.Id, null, RetryOf));
        Assert.Equal(2, (await Storage.GetAllTrialsAsync(study.Id)).Count);
    }

    [Fact]
    public async Task WhenMakingTheRetryFailsThenTheTrialIsNotFailedEither()
    {
        // Given a running trial
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var running = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams());

        // When the retry cannot be made (as a crash between the two writes would leave it: before, FAIL without a retry)
        await Assert.ThrowsAsync<InvalidOperationException>(() => Storage.FailTrialAsync(running.Id,
            new Dictionary<string, object?> { [StudyAttributes.FailReason] = "interrupted" }, _ => throw new InvalidOperationException("crash")));

        // Then nothing was written: the trial still runs (a later sweep fails and queues it, in one change), and no retry exists
        var trials = await Storage.GetAllTrialsAsync(study.Id);
        var only = Assert.Single(trials);
        Assert.Equal(TrialState.RUNNING, only.State);
        Assert.False(only.SystemAttrs.ContainsKey(StudyAttributes.FailReason));
    }

    [Fact]
    public async Task WhenStaleTrialsAreFailedWithARetryRuleThenEachGetsItsRetryAndAFailWithoutOneGetsNone()
    {
        // Given two silent trials
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var first = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams(0.001), Ours);
        var second = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams(0.002), Ours);
        await SilenceAsync(first.Id, second.Id);

        // When the sweep fails them with a rule that retries the first only
        var failed = await Storage.FailStaleTrialsAsync(study.Id, Grace,
            new Dictionary<string, object?> { [StudyAttributes.FailReason] = "stale heartbeat" }, t => t.Id == first.Id ? RetryOf(t) : null);

        // Then both are FAIL, the first with a WAITING retry of its parameters, the second with none
        Assert.Equal([first.Id, second.Id], failed.Select(f => f.Trial.Id));
        Assert.Equal(first.Params, Assert.IsType<TrialSnapshot>(failed[0].Retry).Params);
        Assert.Null(failed[1].Retry);
        var trials = await Storage.GetAllTrialsAsync(study.Id);
        Assert.Equal([TrialState.FAIL, TrialState.FAIL, TrialState.WAITING], trials.Select(t => t.State));
    }

    [Fact]
    public async Task WhenAGivenWaitingTrialIsClaimedThenItRunsAndNobodyElseGetsIt()
    {
        // Given two queued trials
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var first = await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);
        var second = await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);

        // When the second is claimed by id, from two storage instances at once
        await using var other = await OpenStorageAsync();
        var claims = await Task.WhenAll(Storage.ClaimWaitingTrialAsync(second.Id), other.ClaimWaitingTrialAsync(second.Id));

        // Then exactly one claim wins, the trial is RUNNING, and popping still hands out the first
        var won = Assert.Single(claims, c => c is not null)!;
        Assert.Equal((second.Id, TrialState.RUNNING), (won.Id, won.State));
        Assert.NotNull(won.DatetimeStart);
        Assert.Equal(first.Id, (await Storage.PopWaitingTrialAsync(study.Id))!.Id);
        Assert.Null(await Storage.ClaimWaitingTrialAsync(first.Id));
    }

    [Fact]
    public async Task AGivenWaitingTrialClaimedWithTheClaimersAttributesCarriesThemFromTheClaimOn()
    {
        // Given a queued trial (a late result's stand-in is claimed this way)
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var waiting = await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);

        // When it is claimed with the claimer's attributes
        var claimed = await Storage.ClaimWaitingTrialAsync(waiting.Id, new Dictionary<string, object?> { ["host"] = "h", ["coordinator_pid"] = 7 });

        // Then they are there with the claim, so the heartbeat sweep (which judges only trials that carry a host) can fail
        // it: claimed without them, a stand-in whose process died stayed RUNNING for good and its study never ended
        Assert.Equal(("\"h\"", "7"), (claimed!.SystemAttrs["host"], claimed.SystemAttrs["coordinator_pid"]));
        await SilenceAsync(waiting.Id);
        var swept = await Storage.FailStaleTrialsAsync(study.Id, Grace, new Dictionary<string, object?>(), retry: null);
        Assert.Equal([waiting.Id], swept.Select(f => f.Trial.Id));
    }

    [Fact]
    public async Task ARetryIsClaimedBeforeAnEarlierQueuedTrial()
    {
        // Given a trial an Optuna client queued, then one of this tool's retries queued after it
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);
        var retry = await Storage.CreateTrialAsync(study.Id, TrialState.WAITING, systemAttrs: new Dictionary<string, object?> { ["retry_of"] = 0 });

        // When the next queued trial is claimed
        var claimed = await Storage.PopWaitingTrialAsync(study.Id);

        // Then it is the retry: with the lowest number first, an enqueue made once the budget was full took the last
        // place, and the retry was left WAITING
        Assert.Equal(retry.Id, claimed!.Id);
    }

    [Fact]
    public async Task ClaimsTakeWaitingTrialsInTheOrderClaimOrderGivesOverSnapshots()
    {
        // Given queued trials and retries interleaved, and a trial that is not WAITING among them
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var retryAttrs = new Dictionary<string, object?> { [StudyAttributes.RetryOf] = 0 };
        await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);
        await Storage.CreateTrialAsync(study.Id, TrialState.WAITING, systemAttrs: retryAttrs);
        await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);
        await Storage.CreateTrialAsync(study.Id, TrialState.WAITING, systemAttrs: retryAttrs);
        var expected = ClaimOrder.Of(await Storage.GetAllTrialsAsync(study.Id)).Select(t => t.Number).ToList();

        // When every queued trial is claimed
        var claimed = new List<int>();
        while (await Storage.PopWaitingTrialAsync(study.Id) is { } t) claimed.Add(t.Number);

        // Then in the order the warning about trials left beyond the budget names them by (the SQL and the C# are one rule)
        Assert.Equal([1, 4, 0, 3], expected);
        Assert.Equal(expected, claimed);
    }

    [Fact]
    public async Task DeletingAStudyRemovesEveryRowOfItAndNothingOfAnotherAndNotWhileItRunsUnlessAsked()
    {
        // Given a study with a finished trial carrying every kind of row, a RUNNING trial, and a second study
        var study = (await Storage.CreateStudyAsync("gone", StudyDirection.MAXIMIZE, new Dictionary<string, object?> { ["config"] = "x" })).Study;
        await Storage.SetStudyUserAttrAsync(study.Id, "note", "n");
        var done = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams(), new Dictionary<string, object?> { ["host"] = "h" });
        await Storage.ReportIntermediateValueAsync(done.Id, 0, 0.5);
        await Storage.SetTrialUserAttrAsync(done.Id, "checkpoint", "c");
        await Storage.RecordHeartbeatAsync(done.Id);
        await Storage.FinishTrialAsync(done.Id, TrialState.COMPLETE, 0.5);
        await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, SomeParams(0.02));
        var kept = (await Storage.CreateStudyAsync("kept", StudyDirection.MINIMIZE)).Study;
        var keptTrial = await Storage.CreateTrialAsync(kept.Id, TrialState.RUNNING, SomeParams(0.03));
        await Storage.ReportIntermediateValueAsync(keptTrial.Id, 0, 0.7);

        // When it is deleted without, then with, consent to its running trial
        var refused = await Storage.DeleteStudyAsync(study.Id);
        var stillThere = await Storage.GetStudyAsync("gone");
        var deleted = await Storage.DeleteStudyAsync(study.Id, evenIfRunning: true);

        // Then the first changed nothing, the second removed the study (its name free again), and the other is whole
        Assert.Null(refused);
        Assert.NotNull(stillThere);
        Assert.Equal(2, deleted);
        Assert.Null(await Storage.GetStudyAsync("gone"));
        Assert.Equal(["kept"], (await Storage.GetAllStudiesAsync()).Select(s => s.Name));
        await Assert.ThrowsAsync<RowNotFoundException>(() => Storage.GetTrialAsync(done.Id));
        await Assert.ThrowsAsync<RowNotFoundException>(() => Storage.DeleteStudyAsync(study.Id));
        var keptNow = Assert.Single(await Storage.GetAllTrialsAsync(kept.Id));
        Assert.Equal((TrialState.RUNNING, 0.7), (keptNow.State, keptNow.IntermediateValues[0]));
        var again = await Storage.CreateStudyAsync("gone", StudyDirection.MAXIMIZE);
        Assert.True(again.Created);
        Assert.Empty(await Storage.GetAllTrialsAsync(again.Study.Id));
        Assert.Empty(await Storage.GetStudyUserAttributesAsync(again.Study.Id));
    }

    [Fact]
    public async Task WhenTwoProcessesCompareAndSetTheSameAbsentAttributeThenExactlyOneWins()
    {
        // Given a study without the claim attribute, and a second storage instance (another process)
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        await using var other = await OpenStorageAsync();

        // When both try to set it from absent at once
        var wins = await Task.WhenAll(
            Storage.CompareAndSetStudySystemAttrAsync(study.Id, "claim", null, "a"),
            other.CompareAndSetStudySystemAttrAsync(study.Id, "claim", null, "b"));

        // Then exactly one wins and its value stands; a stale expectation fails, the right one succeeds
        Assert.Single(wins, w => w);
        var value = (await Storage.GetStudySystemAttributesAsync(study.Id))["claim"];
        Assert.Equal(wins[0] ? "\"a\"" : "\"b\"", value);
        Assert.False(await Storage.CompareAndSetStudySystemAttrAsync(study.Id, "claim", null, "c"));
        Assert.True(await Storage.CompareAndSetStudySystemAttrAsync(study.Id, "claim", value, "d"));
        Assert.Equal("\"d\"", (await Storage.GetStudySystemAttributesAsync(study.Id))["claim"]);
    }

    [Fact]
    public async Task FinishedTrialsReadAgainAreTheDatabasesEvenWhenAStudyWasMadeAgainWithTheSameIds()
    {
        // Given a study with a finished trial and a running one, read whole once by this storage (which keeps the
        // finished trials it has read), and one whose trial finishes after that read
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var done = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        await Storage.FinishTrialAsync(done.Id, TrialState.COMPLETE, 0.5);
        var running = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        Assert.Equal([TrialState.COMPLETE, TrialState.RUNNING], (await Storage.GetAllTrialsAsync(study.Id)).Select(t => t.State));

        // When the running one finishes, then the study is deleted by another process and made again there, its
        // trials numbered from 0 again (on SQLite with the same row ids), finished with other values
        await Storage.FinishTrialAsync(running.Id, TrialState.PRUNED, 0.25);
        Assert.Equal([0.5, 0.25], (await Storage.GetAllTrialsAsync(study.Id)).Select(t => t.Value!.Value));
        await using var other = await OpenStorageAsync();
        await other.DeleteStudyAsync(study.Id, evenIfRunning: true);
        var again = (await other.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        foreach (var value in new[] { 0.75, 0.125 })
        {
            var t = await other.CreateTrialAsync(again.Id, TrialState.RUNNING);
            await other.FinishTrialAsync(t.Id, TrialState.COMPLETE, value);
        }

        // Then this storage reads what the database holds now, not the trials it read before
        var read = await Storage.GetAllTrialsAsync(again.Id);
        Assert.Equal([0.75, 0.125], read.Select(t => t.Value!.Value));
        Assert.Equal([TrialState.COMPLETE, TrialState.COMPLETE], read.Select(t => t.State));
    }
}
