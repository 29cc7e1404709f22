namespace Mnist.Search.Config;

/// <summary><c>sampler.kind</c>: Gaussian-process Bayesian optimisation or plain random search.</summary>
public enum SamplerKind
{
    Gp,
    Random,
}
