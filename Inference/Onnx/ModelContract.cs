namespace Mnist.Inference.Onnx;

/// <summary>
/// What a caller of the exported model must know, stored in the model's metadata: the square input side, the
/// normalisation baked into the graph, the class names (one per logit), how images are shaped (from the dataset),
/// and where the model came from.
/// </summary>
/// <param name="Provenance">Free key/value facts (dataset, study, trial, test accuracy, ...), written as metadata.</param>
internal sealed record ModelContract(
    int ImageSide,
    double Mean,
    double Std,
    IReadOnlyList<string> ClassNames,
    IReadOnlyDictionary<string, string> Provenance)
{
    /// <summary>
    /// How images are shaped for this model: the recipe its metadata records, else (exported before recipes were
    /// recorded) the one of its dataset or class names.
    /// </summary>
    public Images.ImageRecipe Preprocessing => Images.ImageRecipe.Of(
        Provenance.GetValueOrDefault(OnnxSchema.Keys.Preprocessing), Provenance.GetValueOrDefault(OnnxSchema.Keys.Dataset), ClassNames);
}
