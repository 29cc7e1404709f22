using System.Text.Json;
using Google.Protobuf;
using Onnx;

namespace Mnist.Inference.Onnx;

/// <summary>
/// Writes our ONNX models (to a temporary name, then renamed) and reads them back with their contract checked,
/// so a truncated, corrupt or foreign file is refused with one line naming it before any runtime sees it.
/// </summary>
internal static class OnnxModelFile
{
    public static void Write(ModelProto model, string path) =>
        Mnist.Protocol.Files.Durable.Write(path, temporary =>
        {
            using var stream = File.Create(temporary);
            model.WriteTo(stream);
        });

    /// <summary>Reads and checks the model at <paramref name="path"/>.</summary>
    /// <exception cref="OnnxModelException">The file is missing, not ONNX, cut short, or not of our contract.</exception>
    public static OnnxModelInfo Read(string path)
    {
        ModelProto model;
        // Ours are a few MB; a device or pipe named model.onnx is not read (it was, until memory ran out).
        if (File.Exists(path) && Mnist.Protocol.Files.RegularFile.Problem(path, 1L << 31) is { } problem)
            throw new OnnxModelException($"{path}: {problem}");
        try
        {
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        // Before IOException: the parser's exception derives from it.
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxModelException($"{path}: not a valid ONNX model (truncated or corrupt: {e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxModelException($"{path}: cannot read the ONNX model ({(e is FileNotFoundException ? "file not found" : e.Message)})", e);
        }

        return Check(model, path);
    }

    // Float tensors keep their values in float_data, or (as other writers store them) little-endian in raw_data.
    private static bool Finite(TensorProto tensor)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float) return true;
        foreach (var v in tensor.FloatData)
            if (!float.IsFinite(v)) return false;
        var raw = tensor.RawData.Span;
        for (var i = 0; i + 4 <= raw.Length; i += 4)
            if (!float.IsFinite(System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(raw[i..]))) return false;
        return true;
    }

    private static OnnxModelInfo Check(ModelProto model, string path)
    {
        string Fail(string problem) => throw new OnnxModelException($"{path}: {problem}");
        if (model.Graph is null || model.Graph.Node.Count == 0) Fail("not a valid ONNX model (no graph; truncated or not an ONNX file)");
        if (!model.OpsetImport.Any(o => o.Domain.Length == 0 && o.Version > 0)) Fail("not a valid ONNX model (no opset import; truncated?)");
        if (model.IrVersion < 3) Fail($"ir_version {model.IrVersion} is not supported (expected 3 or later)");

        var input = model.Graph!.Input.FirstOrDefault(i => i.Name == OnnxSchema.Input);
        var inputDims = input?.Type?.TensorType?.Shape?.Dim.ToList();
        if (input?.Type?.TensorType is null || input.Type.TensorType.ElemType != (int)TensorProto.Types.DataType.Float
            || inputDims is not { Count: 4 } || inputDims[1].DimValue != 1 || inputDims[2].DimValue < 1 || inputDims[2].DimValue != inputDims[3].DimValue)
        {
            Fail($"graph input '{OnnxSchema.Input}' must be float32 [N,1,side,side]");
        }

        var logits = model.Graph.Output.FirstOrDefault(o => o.Name == OnnxSchema.Logits);
        var outputDims = logits?.Type?.TensorType?.Shape?.Dim.ToList();
        if (outputDims is not { Count: 2 } || outputDims[1].DimValue < 1)
            Fail($"graph output '{OnnxSchema.Logits}' must be float32 [N,classes]");

        // A diverged or corrupt model (NaN weights) used to get as far as the softmax: "logit 0 is NaN", naming no file.
        if (model.Graph.Initializer.FirstOrDefault(t => !Finite(t)) is { } bad)
            Fail($"initializer '{bad.Name}' holds NaN or infinite values (a diverged or corrupt model)");

        var metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        string Required(string key) => metadata.TryGetValue(key, out var v) ? v : Fail($"metadata '{key}' is missing (truncated, or not exported by Mnist.Search)");
        string[] classNames;
        double mean, std;
        try
        {
            classNames = JsonSerializer.Deserialize<string[]>(Required(OnnxSchema.Keys.ClassNames)) ?? [];
            using var normalization = JsonDocument.Parse(Required(OnnxSchema.Keys.Normalization));
            mean = normalization.RootElement.GetProperty("mean").GetDouble();
            std = normalization.RootElement.GetProperty("std").GetDouble();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new OnnxModelException($"{path}: metadata '{OnnxSchema.Keys.ClassNames}' or '{OnnxSchema.Keys.Normalization}' is not valid JSON ({e.Message})", e);
        }

        if (classNames.Length != outputDims![1].DimValue)
            Fail($"metadata '{OnnxSchema.Keys.ClassNames}' names {classNames.Length} classes but '{OnnxSchema.Logits}' has {outputDims[1].DimValue}");
        var provenance = metadata.Where(p => p.Key is not (OnnxSchema.Keys.ClassNames or OnnxSchema.Keys.Normalization)).ToDictionary();
        return new OnnxModelInfo(model, new ModelContract((int)inputDims![2].DimValue, mean, std, classNames, provenance));
    }
}
