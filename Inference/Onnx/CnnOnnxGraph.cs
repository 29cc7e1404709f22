using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Onnx;

namespace Mnist.Inference.Onnx;

/// <summary>
/// Builds the ONNX model of a trained CNN of the searched family from its weights: normalisation → conv blocks →
/// flatten → fully connected layers → logits, plus softmax probabilities. Pure protobuf, no libtorch.
/// </summary>
/// <remarks>
/// The normalisation is inside the graph (<c>Sub</c>, <c>Div</c>) so callers feed plain [0, 1] pixels and cannot get
/// the mean/std wrong. BatchNorm stays a <c>BatchNormalization</c> node with the running statistics rather than being
/// folded into the convolution: the graph then mirrors the checkpoint one layer for one, and ONNX Runtime fuses it
/// anyway when it optimises the session. Dropout is the identity at inference and has no node.
/// </remarks>
internal static class CnnOnnxGraph
{
    public static ModelProto Build(CnnWeights weights, ModelContract contract)
    {
        var classes = weights.Output.Weight.Shape[0];
        if (classes != contract.ClassNames.Count)
            throw new ArgumentException($"the output layer has {classes} rows but there are {contract.ClassNames.Count} class names");

        var graph = new GraphProto { Name = "mnist_search_cnn" };
        graph.Input.Add(TensorInfo(OnnxSchema.Input, ["N", 1L, contract.ImageSide, contract.ImageSide]));
        var builder = new NodeBuilder(graph);

        var x = builder.Add("Sub", [OnnxSchema.Input, builder.Constant("norm_mean", (float)contract.Mean)], "centred");
        x = builder.Add("Div", [x, builder.Constant("norm_std", (float)contract.Std)], "normalized");
        for (var i = 0; i < weights.ConvBlocks.Count; i++)
            x = ConvBlock(builder, weights.ConvBlocks[i], $"conv{i + 1}", x);

        x = builder.Add("Flatten", [x], "flat", Int("axis", 1));
        for (var i = 0; i < weights.HiddenLayers.Count; i++)
        {
            var name = $"fc{i + 1}";
            x = Dense(builder, weights.HiddenLayers[i], name, x, name);
            x = builder.Add("Relu", [x], $"{name}_relu");
        }

        Dense(builder, weights.Output, "out", x, OnnxSchema.Logits);
        builder.Add("Softmax", [OnnxSchema.Logits], OnnxSchema.Probabilities, Int("axis", 1));
        graph.Output.Add(TensorInfo(OnnxSchema.Logits, ["N", classes]));
        graph.Output.Add(TensorInfo(OnnxSchema.Probabilities, ["N", classes]));

        var model = new ModelProto
        {
            IrVersion = OnnxSchema.IrVersion,
            ProducerName = OnnxSchema.Producer,
            ProducerVersion = typeof(CnnOnnxGraph).Assembly.GetName().Version?.ToString() ?? "0",
            Domain = "mnist_search",
            ModelVersion = 1,
            DocString = "Image classifier (CNN) from an Mnist.Search study; see the metadata for the input contract and the dataset.",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxSchema.Opset });
        foreach (var (key, value) in Metadata(contract))
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static string ConvBlock(NodeBuilder builder, ConvBlockWeights block, string name, string x)
    {
        var k = block.Kernel.Shape[2];
        List<string> inputs = [x, builder.Initializer($"{name}.weight", block.Kernel)];
        if (block.Bias is not null) inputs.Add(builder.Initializer($"{name}.bias", block.Bias));
        x = builder.Add("Conv", inputs, name,
            Ints("kernel_shape", k, k), Ints("pads", block.Padding, block.Padding, block.Padding, block.Padding),
            Ints("strides", 1, 1), Ints("dilations", 1, 1), Int("group", 1));
        if (block.BatchNorm is { } bn)
        {
            x = builder.Add("BatchNormalization",
                [x, builder.Initializer($"{name}.bn.scale", bn.Scale), builder.Initializer($"{name}.bn.shift", bn.Shift),
                 builder.Initializer($"{name}.bn.running_mean", bn.RunningMean), builder.Initializer($"{name}.bn.running_var", bn.RunningVariance)],
                $"{name}_bn", new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = (float)bn.Epsilon });
        }

        x = builder.Add("Relu", [x], $"{name}_relu");
        return builder.Add("MaxPool", [x], $"{name}_pool",
            Ints("kernel_shape", block.PoolSize, block.PoolSize), Ints("strides", block.PoolSize, block.PoolSize));
    }

    private static string Dense(NodeBuilder builder, DenseWeights layer, string name, string x, string output) =>
        builder.Add("Gemm", [x, builder.Initializer($"{name}.weight", layer.Weight), builder.Initializer($"{name}.bias", layer.Bias)],
            output, Int("transB", 1));

    private static IEnumerable<(string Key, string Value)> Metadata(ModelContract contract)
    {
        var side = contract.ImageSide.ToString(CultureInfo.InvariantCulture);
        var recipe = contract.Preprocessing;
        var dataset = contract.Provenance.GetValueOrDefault(OnnxSchema.Keys.Dataset) ?? "the training images";
        yield return (OnnxSchema.Keys.InputContract,
            $"float32 [N,1,{side},{side}], NCHW; pixels in [0,1] (byte/255), 0 = background, 1 = full ink (light {recipe.Subject} on dark, as {dataset}); " +
            $"normalisation is inside the graph: feed plain [0,1] pixels; preprocessing '{recipe.Name}': {recipe.Description}");
        yield return (OnnxSchema.Keys.PixelRange, "0..1");
        yield return (OnnxSchema.Keys.Polarity, "light_on_dark");
        yield return (OnnxSchema.Keys.Normalization, new JsonObject { ["mean"] = contract.Mean, ["std"] = contract.Std, ["in_graph"] = true }.ToJsonString());
        yield return (OnnxSchema.Keys.Preprocessing, recipe.Name);
        // The provenance's own recipe (a contract read back from a file) was just written as decided.
        foreach (var (key, value) in contract.Provenance.Where(p => p.Key != OnnxSchema.Keys.Preprocessing).OrderBy(p => p.Key, StringComparer.Ordinal))
            yield return (key, value);
        // Last, so that a file cut short loses it and is refused (it is required).
        yield return (OnnxSchema.Keys.ClassNames, JsonSerializer.Serialize(contract.ClassNames));
    }

    private static ValueInfoProto TensorInfo(string name, IEnumerable<object> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string p ? new TensorShapeProto.Types.Dimension { DimParam = p } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, CultureInfo.InvariantCulture) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>Adds nodes and initializers to one graph, naming each node after its output.</summary>
    private sealed class NodeBuilder(GraphProto graph)
    {
        public string Add(string op, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = output };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            graph.Node.Add(node);
            return output;
        }

        public string Initializer(string name, WeightTensor tensor)
        {
            var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            proto.Dims.AddRange(tensor.Shape);
            proto.FloatData.AddRange(tensor.Values);
            graph.Initializer.Add(proto);
            return name;
        }

        public string Constant(string name, float value) => Initializer(name, new WeightTensor([1], [value]));
    }
}
