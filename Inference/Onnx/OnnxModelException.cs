namespace Mnist.Inference.Onnx;

/// <summary>An ONNX file that is not a model of ours: missing, truncated, corrupt or with another contract. One line, naming the file.</summary>
internal sealed class OnnxModelException(string message, Exception? inner = null) : Exception(message, inner);
