using Mnist.Protocol.Outputs;

namespace Mnist.Inference.Onnx;

/// <summary>The fixed names and versions of our ONNX models: file, graph inputs and outputs, opset, metadata keys.</summary>
internal static class OnnxSchema
{
    public const string FileName = ArtifactNames.Onnx;

    /// <summary>Graph input: float32 <c>[N, 1, side, side]</c>, pixels in [0, 1], light digit or object on dark (as the dataset's images).</summary>
    public const string Input = "input";

    /// <summary>Graph output: float32 <c>[N, classes]</c>, the network's raw scores.</summary>
    public const string Logits = "logits";

    /// <summary>Graph output: float32 <c>[N, classes]</c>, softmax of the logits.</summary>
    public const string Probabilities = "probabilities";

    /// <summary>
    /// Opset 13 with IR version 7 (ONNX 1.8): every operator used here exists in it, ONNX Runtime 1.31 runs it
    /// and Debian 12's python3-onnx 1.12 (opsets up to 17, IR up to 8) checks it.
    /// </summary>
    public const long Opset = 13;

    public const long IrVersion = 7;

    public const string Producer = "Mnist.Search";

    /// <summary>Metadata keys (<c>metadata_props</c>); each value is a string, JSON where it is structured.</summary>
    public static class Keys
    {
        /// <summary>What the input tensor holds, in words.</summary>
        public const string InputContract = "input_contract";

        /// <summary><c>"0..1"</c>: a pixel byte divided by 255.</summary>
        public const string PixelRange = "pixel_range";

        /// <summary><c>"light_on_dark"</c>: 0 is the background, 1 full ink (the polarity of MNIST and Fashion-MNIST).</summary>
        public const string Polarity = "polarity";

        /// <summary>JSON <c>{"mean":..,"std":..,"in_graph":true}</c>: the graph itself computes <c>(x - mean) / std</c>.</summary>
        public const string Normalization = "normalization";

        /// <summary>
        /// How an arbitrary image becomes the input: an <see cref="Images.ImageRecipe"/> name (<c>mnist-digit</c>,
        /// <c>resize</c>), decided by the dataset. Exports before it was a name held MNIST's recipe in words, for every dataset.
        /// </summary>
        public const string Preprocessing = "preprocessing";

        /// <summary>The dataset the model was trained on (<c>mnist</c>, <c>fashion-mnist</c>).</summary>
        public const string Dataset = "dataset";

        /// <summary>JSON array of strings, one per logit.</summary>
        public const string ClassNames = "class_names";
    }
}
