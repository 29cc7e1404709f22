using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// The database goes down while the coordinator proposes a configuration for a trial it has just created (RUNNING,
/// no parameters yet). The proposal's write failed, the loop rode out the outage, and the parameterless trial was left
/// to this process's own sweep: one grace later it was failed as stale and queued again, so the study ran one trial
/// more than its budget and recorded a FAIL that no configuration earned (SharedStudyCliTests' PostgreSQL restart
/// ended so in CI under load, when the restart fell into a proposal).
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class OutageDuringProposalTests(PostgresServerFixture server)
{
    [Fact]
    public async Task WhenTheServerGoesDownDuringAProposalTheTrialGetsItsConfigurationOnceItIsBackAndRuns()
    {
        // Given a PostgreSQL study of 3 trials whose sampler, asked for the second trial, waits until the server is down
        Assert.True(server.OwnsServer, $"the test restarts the server: unset {PostgresServerFixture.UrlVariable}, or set {PostgresServerFixture.DataVariable}");
        var url = await server.CreateDatabaseAsync();
        await using var harness = await CoordinatorHarness.CreateAsync(3, new FakeWorker { Directory = "", Epochs = 1, EpochSeconds = 0.05 },
            storageUrl: url);
        Task? restart = null;
        var sampler = new StopServerOnAsk(new RandomSampler(7), ask: 2, () =>
        {
            restart = server.RestartAsync(TimeSpan.FromSeconds(15));
            server.WaitUntilDownAsync().GetAwaiter().GetResult();
        });

        // When the study runs through that outage
        var (_, trials) = await harness.RunAsync(CoordinatorHarness.Cpu(), sampler);
        await restart!;

        // Then it ends with its 3 trials complete, each with a configuration, and none failed and run again
        Assert.True(trials.Count == 3, string.Join("; ", trials.Select(t =>
            $"{t.Number} {t.State} {t.SystemAttrs.GetValueOrDefault(StudyAttributes.FailReason)}")));
        Assert.All(trials, t => Assert.Equal(TrialState.COMPLETE, t.State));
        Assert.All(trials, t => Assert.Equal(CoordinatorHarness.Space.Names.Order(), t.Params.Keys.Order()));
    }

    /// <summary>The sampler given, but its <paramref name="ask"/>-th call first runs <paramref name="outage"/>.</summary>
    private sealed class StopServerOnAsk(ISampler inner, int ask, Action outage) : ISampler
    {
        private int _asked;

        public IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials)
        {
            if (Interlocked.Increment(ref _asked) == ask) outage();
            return inner.Sample(space, direction, trials);
        }
    }
}
