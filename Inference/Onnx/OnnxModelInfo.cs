using Onnx;

namespace Mnist.Inference.Onnx;

/// <summary>A checked ONNX model of ours and the contract read from its metadata (other metadata in <c>Provenance</c>).</summary>
internal sealed record OnnxModelInfo(ModelProto Model, ModelContract Contract);
