
namespace Mnist.Search.Vocabulary;

/// <summary>
/// The configuration a study found: what the retrain takes, the report and <c>study best</c> show.
/// <para>Without repeated evaluations it is Optuna's <c>study.best_trial</c>: the COMPLETE trial with the best value
/// (ties: the lowest number), except that a non-finite value (an Optuna client may store ±Infinity) never competes: see
/// <see cref="Competes"/>; nor does a trial another Optuna client ran with parameters the study neither searches nor fixes,
/// or against its <c>fixed</c> values (<see cref="StudyTerms.Excludes"/>): retraining it would train what the study says it
/// does not. When some configurations were evaluated again (trials naming another in
/// <see cref="StudyAttributes.RepeatOf"/>; see <c>selection</c> in search.json), only those compete, by the mean of their
/// COMPLETE evaluations: an unrepeated value is one training seed's, and on this objective the best of 30 such values is
/// mostly luck (issue 9: a study's best, 0.9832, was 0.9744–0.9772 with three other seeds). The trial returned is the
/// original one, whose parameters (and checkpoint) stand for the configuration.</para>
/// </summary>
public static class BestTrial
{
    /// <summary>The chosen trial, the value it is chosen by (a mean when repeated) and how many evaluations that is.</summary>
    public sealed record Choice(TrialSnapshot Trial, double Value, int Evaluations)
    {
        /// <summary>What <see cref="Value"/> is when it is not one run's: "mean of 3"; null for a single value.</summary>
        public string? Basis => Evaluations > 1 ? $"mean of {Evaluations}" : null;
    }

    /// <summary>
    /// Whether a trial can be a study's best: COMPLETE with a finite value, and a configuration of its study
    /// (<see cref="TrialSnapshot.NotOfStudy"/> is null). The one rule every command ranks by (the
    /// progress line, <c>trials list --top</c>, repeated evaluation): they took an Optuna-written Infinity for the best
    /// while <c>study best</c> and <c>status</c>, which left it out, named another trial.
    /// </summary>
    public static bool Competes(TrialSnapshot trial) => trial.State == TrialState.COMPLETE && IsRankable(trial.Value) && trial.NotOfStudy is null;

    /// <summary>
    /// The COMPLETE trials with a finite value that would rank above <paramref name="chosen"/> (or that would be chosen,
    /// when nothing is) but are no configuration of the study, best first: what a view says it left out, and why.
    /// </summary>
    public static IEnumerable<TrialSnapshot> Skipped(IReadOnlyList<TrialSnapshot> trials, StudyDirection direction, double? chosen)
    {
        var skipped = trials.Where(t => t.State == TrialState.COMPLETE && IsRankable(t.Value) && t.NotOfStudy is not null
            && (chosen is not { } c || (direction == StudyDirection.MINIMIZE ? t.Value < c : t.Value > c)));
        return direction == StudyDirection.MINIMIZE ? skipped.OrderBy(t => t.Value) : skipped.OrderByDescending(t => t.Value);
    }

    /// <summary>A value that can rank trials: finite (NaN and ±Infinity, which Optuna stores, say nothing about a configuration).</summary>
    public static bool IsRankable(double? value) => value is { } v && double.IsFinite(v);

    public static TrialSnapshot? Of(IReadOnlyList<TrialSnapshot> trials, StudyDirection direction) => Choose(trials, direction)?.Trial;

    public static Choice? Choose(IReadOnlyList<TrialSnapshot> trials, StudyDirection direction) => Ranked(trials, direction).FirstOrDefault();

    /// <summary>The candidates <see cref="Choose"/> picks from, best first (e.g. to seed another study with the best few).</summary>
    public static IEnumerable<Choice> Ranked(IReadOnlyList<TrialSnapshot> trials, StudyDirection direction)
    {
        var complete = trials.Where(Competes).ToList();
        var originals = complete.Where(t => RepeatOf(t) is null).ToDictionary(t => t.Number);
        var repeated = complete
            .GroupBy(t => RepeatOf(t) ?? t.Number)
            .Where(g => g.Count() >= 2 && originals.ContainsKey(g.Key))
            .Select(g => new Choice(originals[g.Key], g.Average(t => t.Value!.Value), g.Count()))
            .ToList();
        var candidates = repeated.Count > 0 ? repeated : complete.Select(t => new Choice(t, t.Value!.Value, 1)).ToList();
        return direction == StudyDirection.MINIMIZE
            ? candidates.OrderBy(c => c.Value).ThenBy(c => c.Trial.Number)
            : candidates.OrderByDescending(c => c.Value).ThenBy(c => c.Trial.Number);
    }

    /// <summary>The trial a repeated evaluation repeats (<see cref="StudyAttributes.RepeatOf"/>), else null.</summary>
    public static int? RepeatOf(TrialSnapshot trial) =>
        trial.SystemAttrs.TryGetValue(StudyAttributes.RepeatOf, out var of) && int.TryParse(of, out var n) ? n : null;
}
