namespace Mnist.Search.Config;

/// <summary>After the search, retrain the best configuration on the whole training split for <see cref="Epochs"/> epochs.</summary>
public sealed record RetrainConfig(bool Enabled, int Epochs);
