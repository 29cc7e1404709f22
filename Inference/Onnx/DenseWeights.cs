namespace Mnist.Inference.Onnx;

/// <summary>A fully connected layer as PyTorch and TorchSharp store it: <c>y = x·Weightᵀ + Bias</c>, Weight <c>[out, in]</c>.</summary>
internal sealed record DenseWeights(WeightTensor Weight, WeightTensor Bias);
