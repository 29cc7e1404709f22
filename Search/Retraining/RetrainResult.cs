using System.Text.Json.Nodes;

namespace Mnist.Search.Retraining;

/// <summary>What a retrain produced: the folder holding checkpoint, sidecar and metrics, and the test figures.</summary>
public sealed record RetrainResult(int TrialNumber, string Directory, double TestAccuracy, double TestLoss, JsonObject Metrics);
