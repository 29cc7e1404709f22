namespace Mnist.Inference.Onnx;

/// <summary>
/// One conv block of the searched CNN: Conv2d (<paramref name="Kernel"/> <c>[out, in, k, k]</c>, stride 1, zero
/// padding <paramref name="Padding"/> on every side) → optional BatchNorm → ReLU → MaxPool (<paramref name="PoolSize"/>,
/// stride = size, floor). <paramref name="Bias"/> is null when BatchNorm follows (its shift makes a bias redundant).
/// </summary>
internal sealed record ConvBlockWeights(
    WeightTensor Kernel,
    WeightTensor? Bias,
    BatchNormWeights? BatchNorm,
    int Padding,
    int PoolSize);
