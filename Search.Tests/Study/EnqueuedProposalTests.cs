using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// A claimed enqueued trial (`study enqueue`, Optuna's enqueue_trial) whose other hyperparameters are being proposed is
/// kept as a sampled one is: alive through a slow proposal, and failed when the sampler fails.
/// </summary>
public sealed class EnqueuedProposalTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASlowProposalKeepsItsTrialAliveForAnotherProcesssSweep(bool enqueued)
    {
        // Given a study of 1 trial with a 2 s heartbeat grace (room for a loaded machine to start the worker), a sampler that
        // takes twice that, and another process sweeping stale trials; its one trial sampled, or enqueued with batch_size
        // given and the rest to propose
        var grace = TimeSpan.FromSeconds(2);
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1, new FakeWorker { Directory = "", Epochs = 1, EpochSeconds = 0.1 },
            s => s with { HeartbeatGrace = grace, HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        var study = await EnqueueAsync(h, enqueued);
        using var stopSweep = new CancellationTokenSource();
        var sweeper = SweepAsync(h.Storage, study.Id, grace, stopSweep.Token);

        // When the study runs
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), new SlowSampler(2 * grace), ct: limit.Token);
        await stopSweep.CancelAsync();
        await sweeper;

        // Then its trial completes with every parameter: the enqueued one was swept as stale while proposed, retried and
        // swept again until its retries ran out, never trained
        Assert.True(trials.Count == 1, string.Join("; ", trials.Select(t => $"trial {t.Number} {t.State}: {t.SystemAttrs.GetValueOrDefault(StudyAttributes.FailReason)}")));
        var trial = trials[0];
        Assert.Equal((TrialState.COMPLETE, 3), (trial.State, trial.Params.Count));
        if (enqueued) Assert.Equal(128L, Convert.ToInt64(trial.ExternalParam("batch_size"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASamplerThatFailsLeavesItsTrialFailedNotRunning(bool enqueued)
    {
        // Given a study of 1 trial, sampled or enqueued with the rest to propose, and a sampler that throws
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1);
        var study = await EnqueueAsync(h, enqueued);

        // When the study runs
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => h.RunAsync(CoordinatorHarness.Cpu(), new BrokenSampler()));

        // Then the error is the sampler's and the trial is FAIL with the reason (the enqueued one stayed RUNNING, holding a
        // place of the budget until some later sweep); an enqueued configuration is queued again, not lost to the bug
        Assert.Equal("sampler bug", e.Message);
        var trials = await h.Storage.GetAllTrialsAsync(study.Id);
        Assert.Equal(TrialState.FAIL, trials[0].State);
        Assert.Contains("the sampler failed: sampler bug", trials[0].SystemAttrs[StudyAttributes.FailReason]);
        if (enqueued)
        {
            Assert.Equal(TrialState.WAITING, trials[1].State);
            Assert.Contains("batch_size", trials[1].SystemAttrs[StudyAttributes.FixedParams]);
        }
        Assert.Equal(enqueued ? 2 : 1, trials.Count);
    }

    private static async Task<StudyInfo> EnqueueAsync(CoordinatorHarness h, bool enqueued)
    {
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        if (enqueued)
            await h.Storage.CreateTrialAsync(study.Id, TrialState.WAITING, null, new Dictionary<string, object?>
            {
                [StudyAttributes.FixedParams] = EnqueuedConfiguration.ToAttribute(new Dictionary<string, object?> { ["batch_size"] = 128L }),
            });
        return study;
    }

    // Another process of the study, as far as stale trials go: its loop's sweep, with the same grace and retry rule, while
    // a trial is being proposed (a RUNNING trial without parameters). It stops then: from there on the trial's worker beats,
    // and the start of a worker on a loaded machine is no part of this test.
    private static async Task SweepAsync(IStudyStorage storage, int studyId, TimeSpan grace, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if ((await storage.GetAllTrialsAsync(studyId, ct: CancellationToken.None)).Any(t => t.State == TrialState.RUNNING && t.Params.Count > 0)) return;
            await storage.FailStaleTrialsAsync(studyId, grace,
                new Dictionary<string, object?> { [StudyAttributes.FailReason] = "stale heartbeat (another process)" }, Retries.Rule(2));
            try { await Task.Delay(100, ct); }
            catch (OperationCanceledException) { }
        }
    }

    private sealed class SlowSampler(TimeSpan delay) : ISampler
    {
        private readonly RandomSampler _inner = new(7);

        public IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials)
        {
            Thread.Sleep(delay);
            return _inner.Sample(space, direction, trials);
        }
    }

    private sealed class BrokenSampler : ISampler
    {
        public IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials) =>
            throw new InvalidOperationException("sampler bug");
    }
}
