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
        var silent = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        await Task.Delay(1200);

        // When the sweep fails it with a reason
        var failed = await Storage.FailStaleTrialsAsync(study.Id, TimeSpan.FromSeconds(1),
            new Dictionary<string, object?> { [StudyAttributes.FailReason] = "stale heartbeat" });

        // Then the FAIL trial carries the reason (it could not be set afterwards: FAIL trials are read-only)
        var f = Assert.Single(failed);
        Assert.Equal(TrialState.FAIL, f.State);
        Assert.Equal("\"stale heartbeat\"", f.SystemAttrs[StudyAttributes.FailReason]);
        Assert.Equal("\"stale heartbeat\"", (await Storage.GetTrialAsync(silent.Id)).SystemAttrs[StudyAttributes.FailReason]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Storage.SetTrialSystemAttrAsync(silent.Id, "x", 1));
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
}
