using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Support.Study;

/// <summary>Builds <see cref="TrialSnapshot"/>s for tests that need a history but no storage.</summary>
internal static class SomeTrials
{
    private static long _nextId = 1;

    public static TrialSnapshot With(TrialState state, params double[] curve) =>
        With(state, curve.Select((v, i) => (i + 1, v)).ToArray());

    public static TrialSnapshot With(TrialState state, (int Step, double Value)[] curve, double? value = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        return new TrialSnapshot(
            id, (int)id, state,
            value ?? (state == TrialState.COMPLETE && curve.Length > 0 ? curve[^1].Value : null),
            new Dictionary<string, double>(), new Dictionary<string, ParameterDistribution>(),
            curve.ToDictionary(c => c.Step, c => c.Value),
            DateTime.UtcNow, state.IsFinished() ? DateTime.UtcNow : null,
            new Dictionary<string, string>(), new Dictionary<string, string>());
    }
}
