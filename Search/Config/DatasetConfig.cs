namespace Mnist.Search.Config;

/// <summary>
/// Which data trials train on. <see cref="Dir"/> is absolute. <see cref="Validation"/> images are held
/// out of the training split; <see cref="TrainSubset"/> caps the rest (null = all). <see cref="SplitSeed"/> picks
/// which images are held out (null = the study's <c>sampler.seed</c>).
/// </summary>
public sealed record DatasetConfig(string Name, string Dir, int Validation, int? TrainSubset, int? SplitSeed = null);
