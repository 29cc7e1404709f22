namespace Mnist.Inference.Onnx;

/// <summary>
/// What a caller of the exported model must know, stored in the model's metadata: the square input side, the
/// normalisation baked into the graph, the class names (one per logit), and where the model came from.
/// </summary>
/// <param name="Provenance">Free key/value facts (dataset, study, trial, test accuracy, ...), written as metadata.</param>
internal sealed record ModelContract(
    int ImageSide,
    double Mean,
    double Std,
    IReadOnlyList<string> ClassNames,
    IReadOnlyDictionary<string, string> Provenance);
