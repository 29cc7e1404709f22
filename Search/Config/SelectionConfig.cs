namespace Mnist.Search.Config;

/// <summary>
/// The <c>selection</c> section: how the configuration to retrain is chosen. The last
/// <see cref="Candidates"/> × <see cref="Repeats"/> trials of the budget train the best <see cref="Candidates"/>
/// configurations again, <see cref="Repeats"/> times each with other training seeds, unpruned; the retrain then takes the
/// one with the best mean (see <see cref="Vocabulary.BestTrial"/>). <see cref="None"/> (the default): the best single value.
/// </summary>
public sealed record SelectionConfig(int Candidates, int Repeats)
{
    public static readonly SelectionConfig None = new(0, 0);

    /// <summary>Trials of the budget kept for repeated evaluations.</summary>
    public int Trials => Candidates * Repeats;
}
