namespace Mnist.Trials.Export;

/// <summary>The contents of a safetensors file: tensors in data order, and the free-form string metadata.</summary>
internal sealed record SafetensorsFile(
    IReadOnlyList<SafetensorsTensor> Tensors,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The tensor with the given name.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public SafetensorsTensor this[string name]
        => Tensors.FirstOrDefault(t => t.Name == name)
           ?? throw new KeyNotFoundException($"no tensor named '{name}'");
}
