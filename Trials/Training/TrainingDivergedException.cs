namespace Mnist.Trials.Training;

/// <summary>The training loss became NaN or infinite; the worker reports it and exits with code 3.</summary>
internal sealed class TrainingDivergedException(string message) : Exception(message);
