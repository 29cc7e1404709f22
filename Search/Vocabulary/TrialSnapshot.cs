using Mnist.Search.Space;

namespace Mnist.Search.Vocabulary;

/// <summary>
/// An immutable view of one trial as storage held it when read (Optuna's <c>FrozenTrial</c>).
/// <see cref="Params"/> holds internal representations (a categorical's index, a number otherwise);
/// <see cref="ExternalParam"/> turns one back into the user-facing value.
/// Attribute values are JSON texts, as Optuna stores them.
/// </summary>
public sealed record TrialSnapshot(
    long Id,
    int Number,
    TrialState State,
    double? Value,
    IReadOnlyDictionary<string, double> Params,
    IReadOnlyDictionary<string, ParameterDistribution> Distributions,
    IReadOnlyDictionary<int, double> IntermediateValues,
    DateTime? DatetimeStart,
    DateTime? DatetimeComplete,
    IReadOnlyDictionary<string, string> UserAttrs,
    IReadOnlyDictionary<string, string> SystemAttrs)
{
    /// <summary>The user-facing value of parameter <paramref name="name"/> (long, double, string, bool or null).</summary>
    public object? ExternalParam(string name) => Distributions[name].ToExternal(Params[name]);

    /// <summary>
    /// The terms of the study the trial was read from (set by the storage that read it; null for a study another Optuna
    /// client made, or a snapshot made by hand): what <see cref="BestTrial"/> judges it by.
    /// </summary>
    public StudyTerms? Terms { get; init; }

    /// <summary>Why this trial is no configuration of its study (<see cref="StudyTerms.Excludes"/>), else null.</summary>
    /// <remarks>Judged once, when the storage gives the snapshot its <see cref="Terms"/> (with them): judged on every
    /// access, ranking 3,000 trials took 7.1 ms instead of 1.5 (review 1207 part 2, 6).</remarks>
    public string? NotOfStudy { get; init; }

    /// <summary>The last reported intermediate value, if any.</summary>
    public (int Step, double Value)? LastIntermediate =>
        IntermediateValues.Count == 0 ? null : IntermediateValues.MaxBy(kv => kv.Key) is var kv ? (kv.Key, kv.Value) : null;

    public TimeSpan? Duration => DatetimeStart is { } s && DatetimeComplete is { } c ? c - s : null;
}
