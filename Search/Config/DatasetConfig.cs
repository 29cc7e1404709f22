namespace Mnist.Search.Config;

/// <summary>
/// Which data trials train on. <see cref="Dir"/> is absolute. <see cref="Validation"/> images are held
/// out of the training split; <see cref="TrainSubset"/> caps the rest (null = all).
/// </summary>
public sealed record DatasetConfig(string Name, string Dir, int Validation, int? TrainSubset);
