namespace Mnist.Search.Config;

/// <summary><c>sampler.kind</c>: Gaussian-process Bayesian optimisation, Optuna's TPE, or plain random search.</summary>
public enum SamplerKind
{
    Gp,
    Random,
    Tpe,
}
