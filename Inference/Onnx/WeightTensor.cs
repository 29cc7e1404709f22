namespace Mnist.Inference.Onnx;

/// <summary>One trained float32 tensor, row-major, as the graph builder takes it (no libtorch types).</summary>
internal sealed record WeightTensor
{
    public WeightTensor(long[] shape, float[] values)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (shape.Any(d => d < 1) || count != values.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] does not hold {values.Length} values");
        Shape = shape;
        Values = values;
    }

    public long[] Shape { get; }

    public float[] Values { get; }
}
