using System.Buffers.Binary;

namespace Mnist.Trials.Export;

/// <summary>One named tensor as stored in a safetensors file: dtype name, shape and raw little-endian bytes.</summary>
/// <param name="Name">The key, e.g. <c>features.0.weight</c> (PyTorch <c>state_dict</c> naming).</param>
/// <param name="Dtype">A safetensors dtype name: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.</param>
/// <param name="Shape">Dimensions, outermost first; empty for a scalar.</param>
/// <param name="Data">Row-major element bytes, little-endian.</param>
internal sealed record SafetensorsTensor(string Name, string Dtype, long[] Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>Number of elements the shape describes (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);

    public static SafetensorsTensor FromFloats(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        return new SafetensorsTensor(name, SafetensorsDtype.F32, shape, bytes);
    }

    public static SafetensorsTensor FromInt64s(string name, long[] shape, ReadOnlySpan<long> values)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }

        return new SafetensorsTensor(name, SafetensorsDtype.I64, shape, bytes);
    }

    /// <summary>The values of an F32 tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not F32.</exception>
    public float[] ToFloats()
    {
        RequireDtype(SafetensorsDtype.F32);
        var span = Data.Span;
        var values = new float[span.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(i * sizeof(float))..]);
        }

        return values;
    }

    /// <summary>The values of an I64 tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not I64.</exception>
    public long[] ToInt64s()
    {
        RequireDtype(SafetensorsDtype.I64);
        var span = Data.Span;
        var values = new long[span.Length / sizeof(long)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(span[(i * sizeof(long))..]);
        }

        return values;
    }

    private void RequireDtype(string dtype)
    {
        if (Dtype != dtype)
        {
            throw new InvalidOperationException($"tensor '{Name}' has dtype {Dtype}, not {dtype}");
        }
    }
}
