namespace Mnist.Inference.Onnx;

/// <summary>
/// Everything the ONNX graph needs from a trained network of the searched family: its conv blocks in order, then
/// flatten, the hidden fully connected layers (each followed by ReLU; dropout is the identity at inference) and the
/// output layer (logits). Trials fills it from a TorchSharp model; the layer shapes carry the architecture.
/// </summary>
internal sealed record CnnWeights(
    IReadOnlyList<ConvBlockWeights> ConvBlocks,
    IReadOnlyList<DenseWeights> HiddenLayers,
    DenseWeights Output);
