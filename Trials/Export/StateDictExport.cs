using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Trials.Export;

/// <summary>Converts a TorchSharp module's <c>state_dict</c> to and from safetensors tensors, keeping its keys.</summary>
/// <remarks>
/// Keys are written exactly as TorchSharp reports them, so a module whose children are named like PyTorch's
/// (<c>features.0.weight</c>, <c>features.1.running_mean</c>, <c>classifier.1.weight</c>) loads into the
/// equivalent PyTorch network unchanged. Float32 tensors become F32, Int64 tensors (BatchNorm's
/// <c>num_batches_tracked</c>) become I64, Float64 becomes F64; anything else is refused by name.
/// </remarks>
internal static class StateDictExport
{
    /// <summary>Copies every entry of <c>module.state_dict()</c> to CPU bytes, in state_dict order.</summary>
    /// <exception cref="NotSupportedException">An entry has a dtype other than Float32, Float64 or Int64.</exception>
    public static IReadOnlyList<SafetensorsTensor> ToSafetensors(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = NewDisposeScope();
        var result = new List<SafetensorsTensor>();
        foreach (var (name, tensor) in module.state_dict())
        {
            var cpu = tensor.detach().cpu().contiguous();
            var shape = cpu.shape.ToArray();
            result.Add(cpu.dtype switch
            {
                ScalarType.Float32 => SafetensorsTensor.FromFloats(name, shape, cpu.data<float>().ToArray()),
                ScalarType.Int64 => SafetensorsTensor.FromInt64s(name, shape, cpu.data<long>().ToArray()),
                ScalarType.Float64 => FromDoubles(name, shape, cpu.data<double>().ToArray()),
                var other => throw new NotSupportedException(
                    $"state_dict entry '{name}' has dtype {other}; only Float32, Float64 and Int64 are exported"),
            });
        }

        return result;
    }

    /// <summary>Writes <c>module.state_dict()</c> to <paramref name="path"/> atomically.</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
        => SafetensorsWriter.Write(path, ToSafetensors(module), metadata);

    /// <summary>
    /// Copies the file's tensors into the module's parameters and buffers in place. Every state_dict key must be
    /// present with the same shape and dtype, and the file must hold no other tensor.
    /// </summary>
    /// <exception cref="SafetensorsFormatException">A key is missing or extra, or a shape or dtype differs;
    /// the message names the key.</exception>
    public static void LoadInto(nn.Module module, SafetensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(file);
        var targets = module.state_dict();
        var extra = file.Tensors.Select(t => t.Name).Where(n => !targets.ContainsKey(n)).ToList();
        if (extra.Count > 0)
        {
            throw new SafetensorsFormatException(
                $"tensor '{extra[0]}' has no counterpart in the model ({extra.Count} unexpected in all)");
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, target) in targets)
        {
            var source = file.Tensors.FirstOrDefault(t => t.Name == name)
                         ?? throw new SafetensorsFormatException($"tensor '{name}' is missing from the file");
            if (!source.Shape.SequenceEqual(target.shape))
            {
                throw new SafetensorsFormatException(
                    $"tensor '{name}': file shape [{string.Join(", ", source.Shape)}] differs from model shape [{string.Join(", ", target.shape)}]");
            }

            var value = (target.dtype, source.Dtype) switch
            {
                (ScalarType.Float32, SafetensorsDtype.F32) => tensor(source.ToFloats(), source.Shape),
                (ScalarType.Int64, SafetensorsDtype.I64) => tensor(source.ToInt64s(), source.Shape),
                _ => throw new SafetensorsFormatException(
                    $"tensor '{name}': file dtype {source.Dtype} cannot be loaded into a {target.dtype} model tensor"),
            };
            target.copy_(value);
        }
    }

    private static SafetensorsTensor FromDoubles(string name, long[] shape, double[] values)
    {
        var bytes = new byte[values.Length * sizeof(double)];
        for (var i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * sizeof(double)), values[i]);
        }

        return new SafetensorsTensor(name, SafetensorsDtype.F64, shape, bytes);
    }
}
