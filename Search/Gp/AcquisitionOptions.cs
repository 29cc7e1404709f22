namespace Mnist.Search.Gp;

/// <summary>
/// Effort of <see cref="AcquisitionOptimizer"/>: quasi-random candidates screened, local searches started from
/// the best of them (plus warm starts), BFGS iterations per search and alternation rounds between the
/// gradient step on continuous columns and the exhaustive/neighbour step on discrete and categorical ones.
/// </summary>
internal sealed record AcquisitionOptions(int Candidates = 2048, int LocalSearches = 10, int MaxIterations = 100, int Rounds = 3)
{
    /// <summary>
    /// Every acquisition value costs O(n²) (a triangular solve against n observations), so past
    /// <paramref name="fullEffortPoints"/> observations the candidate count and local searches shrink in
    /// proportion (not below a quarter), keeping a proposal's cost roughly flat as the study grows.
    /// </summary>
    public AcquisitionOptions ForObservations(int n, int fullEffortPoints = 100)
    {
        if (n <= fullEffortPoints) return this;
        var factor = Math.Max(0.25, (double)fullEffortPoints / n);
        return this with
        {
            Candidates = (int)Math.Ceiling(Candidates * factor),
            LocalSearches = (int)Math.Ceiling(LocalSearches * factor),
        };
    }
}
