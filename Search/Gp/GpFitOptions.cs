namespace Mnist.Search.Gp;

/// <summary>
/// How hard <see cref="GpFitter"/> works. Restarts beyond the default start are random; past
/// <see cref="MaxFitPoints"/> observations the hyperparameters are fitted on a subsample (the best quarter
/// plus a random rest), because each likelihood evaluation costs O(n³) and the hyperparameters settle long
/// before n does; the GP itself is still conditioned on every point.
/// </summary>
internal sealed record GpFitOptions(
    int Restarts = 2,
    int RestartsAbove100 = 0,
    int MaxFitPoints = 160,
    int MaxIterations = 200,
    double MinNoiseVariance = 1e-6,
    double MaxNoiseVariance = 1.0,
    double MinInverseSquaredLengthscale = 1e-4,
    double MaxInverseSquaredLengthscale = 1e4,
    double MinScale = 1e-2,
    double MaxScale = 1e2);
