namespace Mnist.Inference.Onnx;

/// <summary>An inference-mode BatchNorm: <c>(x - RunningMean) / sqrt(RunningVariance + Epsilon) * Scale + Shift</c> per channel.</summary>
internal sealed record BatchNormWeights(
    WeightTensor Scale,
    WeightTensor Shift,
    WeightTensor RunningMean,
    WeightTensor RunningVariance,
    double Epsilon);
