namespace Mnist.Search.Gp;

/// <summary>
/// How hard <see cref="GpFitter"/> works. <see cref="Restarts"/> random starts besides the default one (they
/// run on the coarse subsample, so they stay cheap on long studies). Past <see cref="MaxFitPoints"/> observations the hyperparameters are fitted on a
/// subsample (the best quarter plus a random rest), because each likelihood evaluation costs O(n³) and the
/// hyperparameters settle long before n does; the GP itself is conditioned on more
/// (every point up to <see cref="Sampling.GpConditioning.MaxObservations"/>). Starts are
/// first optimized on <see cref="CoarseFitPoints"/> points, then the winner is polished on the fitting set
/// for at most <see cref="MaxPolishIterations"/> iterations (it starts close to the optimum; this bounds the
/// proposal latency on long studies). The prior rates (<see cref="HyperparameterPrior"/>) are options only so
/// that bench/search can measure other priors.
/// </summary>
internal sealed record GpFitOptions(
    int Restarts = 2,
    int CoarseFitPoints = 50,
    int MaxFitPoints = 100,
    int MaxIterations = 200,
    int MaxPolishIterations = 20,
    double MinNoiseVariance = 1e-6,
    double MaxNoiseVariance = 1.0,
    double MinInverseSquaredLengthscale = 1e-4,
    double MaxInverseSquaredLengthscale = 1e4,
    double MinScale = 1e-2,
    double MaxScale = 1e2,
    double LengthscalePriorRate = HyperparameterPrior.LengthscaleRate,
    double NoisePriorRate = HyperparameterPrior.NoiseRate);
