using Mnist.Protocol.Hyperparameters;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Retraining;

/// <summary>
/// The searched hyperparameters a trial has no value for, each with the value a retrain of it trains with instead. An
/// Optuna client's trial suggests only the parameters its code asks for (define-by-run), so the best trial may have some
/// of the study's: the retrain then trained the worker's defaults for the others and said so nowhere (its log line listed
/// the trial's own values), though no trial of the study ran with them. Its refusal would leave a study whose best is such
/// a trial without any model, and a parameter an Optuna objective did not suggest is one its code left at a default of its
/// own: the worker's default is the same reading here, so the retrain goes on and names each value it fills in.
/// </summary>
public static class MissingHyperparameters
{
    /// <summary>One searched hyperparameter the trial lacks: the value trained with (null: one only a custom worker knows), and where it comes from.</summary>
    public sealed record Filled(string Name, object? Value, string Source)
    {
        public override string ToString() => Value is null ? $"{Name} ({Source})" : $"{Name}={Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture)} ({Source})";
    }

    /// <summary>
    /// The searched hyperparameters <paramref name="trial"/> has no value for and the model reads given the values in
    /// effect: one it does not read (momentum when the optimizer is adam) is absent as in an Optuna conditional space, and
    /// nothing is filled in for it.
    /// </summary>
    /// <param name="trialsWorker">Whether the Trials worker trains it, whose defaults are the table's; another worker
    /// program has defaults of its own, which this does not know (the retrain's spec leaves the value out either way).</param>
    public static IReadOnlyList<Filled> Of(StudySettings settings, TrialSnapshot trial, bool trialsWorker)
    {
        var used = settings.HyperparametersOf(trial);
        var inEffect = new Dictionary<string, object>(HyperparameterTable.Defaults, StringComparer.Ordinal);
        foreach (var (name, value) in used) inEffect[name] = value;
        return [.. settings.Space.Names
            .Where(name => !trial.Params.ContainsKey(name) && HyperparameterTable.IsRead(name, inEffect))
            // A searched hyperparameter is never fixed too (the configuration refuses both), so a default fills it.
            .Select(name => trialsWorker && HyperparameterTable.Find(name) is { } row ? new Filled(name, row.Default, "the worker's default")
                : new Filled(name, null, "the worker's own default"))];
    }
}
