namespace Mnist.Search.Gp;

/// <summary>
/// Effort of <see cref="AcquisitionOptimizer"/>: quasi-random candidates screened, local searches started from
/// the best of them (plus warm starts), BFGS iterations per search and alternation rounds between the
/// gradient step on continuous columns and the exhaustive/neighbour step on discrete and categorical ones.
/// </summary>
internal sealed record AcquisitionOptions(int Candidates = 2048, int LocalSearches = 10, int MaxIterations = 100, int Rounds = 3);
