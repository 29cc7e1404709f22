namespace Mnist.Search.Config;

/// <summary>
/// After the search, retrain the best configuration on the whole training split for <see cref="Epochs"/> epochs,
/// or fewer when <see cref="MaxTime"/> is set and the epochs so far say they would not end within it (the worker
/// re-plans after each epoch, and the learning-rate schedule anneals over the new total).
/// </summary>
public sealed record RetrainConfig(bool Enabled, int Epochs, TimeSpan? MaxTime = null);
