using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// A stop (Ctrl+C, SIGTERM) while the sampler proposes ends the proposal, and the trial made for it is recorded FAIL and
/// queued again as a stopped trial is: a long gp proposal went unheard until the process was quit 60 s later, its trial
/// left RUNNING (audit-scale 5). Real coordinator, real SQLite.
/// </summary>
public sealed class StopDuringProposalTests
{
    /// <summary>Proposes nothing until stopped, as a long proposal that watches its token.</summary>
    private sealed class UntilStopped : ISampler
    {
        public IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials) =>
            throw new InvalidOperationException("the coordinator must pass its token");

        public IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials, CancellationToken cancellation)
        {
            cancellation.WaitHandle.WaitOne(TimeSpan.FromSeconds(60));
            cancellation.ThrowIfCancellationRequested();
            throw new TimeoutException("not stopped within 60 s");
        }
    }

    [Fact]
    public async Task AStopDuringAProposalEndsItAndQueuesItsTrialAgain()
    {
        // Given a study whose sampler proposes until stopped
        await using var h = await CoordinatorHarness.CreateAsync(trials: 3);

        // When the coordinator is stopped a second into the first proposal
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (study, _) = await h.RunAsync(CoordinatorHarness.Cpu(), sampler: new UntilStopped(), ct: stop.Token).WaitAsync(TimeSpan.FromSeconds(30));

        // Then it ended within seconds, its trial is FAIL saying why, and a WAITING trial runs that configuration again
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the run took {clock.Elapsed}");
        var trials = await h.Storage.GetAllTrialsAsync(study.Id);
        Assert.Equal([TrialState.FAIL, TrialState.WAITING], trials.Select(t => t.State));
        Assert.Contains("stopped while its configuration was being proposed", trials[0].SystemAttrs[StudyAttributes.FailReason]);
        Assert.Equal("0", trials[1].SystemAttrs[StudyAttributes.RetryOf]);
    }
}
