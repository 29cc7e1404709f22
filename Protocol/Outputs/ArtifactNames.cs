namespace Mnist.Protocol.Outputs;

/// <summary>File names a worker run leaves in its folder (docs/worker-protocol.md, "Outputs").</summary>
public static class ArtifactNames
{
    /// <summary>The spec the coordinator writes for the worker.</summary>
    public const string Spec = "spec.json";

    /// <summary>TorchSharp state dict of the model after the last completed epoch.</summary>
    public const string Weights = "model.bin";

    /// <summary>The checkpoint's sidecar: architecture, normalisation, class names.</summary>
    public const string Sidecar = "model.json";

    /// <summary>Test-split evaluation (with <c>evaluate_test</c>).</summary>
    public const string Metrics = "metrics.json";

    /// <summary>The weights converted by <c>Trials export</c>.</summary>
    public const string Safetensors = "model.safetensors";

    /// <summary>The ONNX model written by <c>Trials export --format onnx</c>; <c>predict</c> runs it with ONNX Runtime.</summary>
    public const string Onnx = "model.onnx";

    /// <summary>The worker's stdout and stderr, kept by the coordinator.</summary>
    public const string StdoutLog = "stdout.log";

    public const string StderrLog = "stderr.log";

    /// <summary>
    /// The name a worker writes <paramref name="name"/> under before renaming it into place; what remains of it
    /// when the worker is stopped or killed mid-write.
    /// </summary>
    public static string Partial(string name) => name + ".tmp";

    /// <summary>The files a worker writes under <see cref="Partial"/> names in its folder.</summary>
    public static readonly IReadOnlyList<string> WrittenWhole = [Weights, Sidecar, Metrics];
}
