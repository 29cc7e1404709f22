using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Storage;

public abstract partial class StudyStorageContract
{
    [Fact]
    public async Task AWriteToAFinishedTrialIsRefusedNamingTheTrialByItsNumberNotItsRowId()
    {
        // Given a database with another study first, so that trial 0 of the second study is row (trial_id) 2
        var other = (await Storage.CreateStudyAsync("other", StudyDirection.MAXIMIZE)).Study;
        await Storage.CreateTrialAsync(other.Id, TrialState.RUNNING);
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var t = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        await Storage.FinishTrialAsync(t.Id, TrialState.FAIL, null);
        Assert.NotEqual(t.Number, t.Id);

        // When its heartbeat is recorded after it was failed
        var e = await Assert.ThrowsAsync<TrialNotRunningException>(() => Storage.RecordHeartbeatAsync(t.Id));

        // Then the refusal names trial 0: it said "trial 2" (the row id), which is no trial of the study, and beside
        // "Trial 0" in the coordinator's line read as another trial
        Assert.Equal("cannot record a heartbeat of trial 0: it is FAIL (only RUNNING trials change)", e.Message);
    }
}
