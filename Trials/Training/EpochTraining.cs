namespace Mnist.Trials.Training;

/// <summary>What one pass over the training data produced: mean loss, images seen, and whether it was stopped early.</summary>
internal sealed record EpochTraining(double TrainLoss, long Images, bool Stopped);
