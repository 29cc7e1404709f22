using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Storage;

/// <summary>A trial to create WAITING, in the transaction that fails another, to run its configuration again.</summary>
public sealed record WaitingTrial(
    IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)> Parameters,
    IReadOnlyDictionary<string, object?> SystemAttrs);

/// <summary>A trial as failed, and the WAITING trial created with it to run it again (null when none was).</summary>
public sealed record FailedTrial(TrialSnapshot Trial, TrialSnapshot? Retry);
