using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Mnist.Inference.Images;
using Mnist.Inference.Onnx;
using Mnist.Inference.Predictions;

namespace Mnist.Search.Models;

/// <summary>
/// <c>predict</c> on an exported <c>model.onnx</c> with ONNX Runtime, in the coordinator's own process (which never
/// loads libtorch). Images are preprocessed exactly as for the TorchSharp path (<see cref="DigitImagePreprocessor"/>, with
/// the recipe of the model's dataset), in parallel, and scored <see cref="BatchSize"/> at a time; the JSON entries are those of the TorchSharp path.
/// </summary>
internal sealed class OnnxPredictor : IDisposable
{
    /// <summary>Images per ONNX Runtime call: large enough to amortise the call, small enough to keep memory flat.</summary>
    public const int BatchSize = 256;

    private readonly InferenceSession _session;
    private readonly string _path;

    private OnnxPredictor(InferenceSession session, ModelContract contract, string path)
    {
        _session = session;
        Contract = contract;
        _path = path;
    }

    public ModelContract Contract { get; }

    /// <summary>Reads and checks the model, then opens an ONNX Runtime session on it.</summary>
    /// <exception cref="OnnxModelException">The file is missing, corrupt, or not a model of ours.</exception>
    public static OnnxPredictor Open(string path)
    {
        var info = OnnxModelFile.Read(path);
        if (info.Contract.ImageSide != DigitImagePreprocessor.CanvasSize)
            throw new OnnxModelException($"{path}: the model takes {info.Contract.ImageSide}x{info.Contract.ImageSide} images; predict makes {DigitImagePreprocessor.CanvasSize}x{DigitImagePreprocessor.CanvasSize}");
        try
        {
            return new OnnxPredictor(new InferenceSession(path), info.Contract, path);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxModelException($"{path}: ONNX Runtime cannot load the model ({e.Message.Split('\n')[0]})", e);
        }
    }

    /// <summary>The logits of each image (row-major <c>side×side</c> pixels in [0, 1]), in order.</summary>
    public float[][] Logits(IReadOnlyList<float[]> images)
    {
        var side = Contract.ImageSide;
        var pixels = side * side;
        var classes = Contract.ClassNames.Count;
        var result = new float[images.Count][];
        for (var start = 0; start < images.Count; start += BatchSize)
        {
            var count = Math.Min(BatchSize, images.Count - start);
            var batch = new float[count * pixels];
            for (var i = 0; i < count; i++) images[start + i].AsSpan().CopyTo(batch.AsSpan(i * pixels, pixels));
            using var input = OrtValue.CreateTensorValueFromMemory(batch, [count, 1, side, side]);
            using var options = new RunOptions();
            IDisposableReadOnlyCollection<OrtValue> outputs;
            // A graph that passes the contract but fails when run (a reshape to the wrong size) is the model's fault.
            try { outputs = _session.Run(options, [OnnxSchema.Input], [input], [OnnxSchema.Logits]); }
            catch (OnnxRuntimeException e) { throw new OnnxModelException($"{_path}: ONNX Runtime could not run the model ({e.Message.Split('\n')[0]})", e); }
            using var owned = outputs;
            var logits = outputs[0].GetTensorDataAsSpan<float>();
            if (logits.Length < count * classes)
                throw new OnnxModelException($"{_path}: the model gave {logits.Length} logits for {count} images of {classes} classes");
            for (var i = 0; i < count; i++) result[start + i] = logits.Slice(i * classes, classes).ToArray();
        }

        return result;
    }

    /// <summary>One JSON entry per image path, in order; an image that cannot be read gets an <c>error</c> entry.</summary>
    public JsonArray Predict(IReadOnlyList<string> paths)
    {
        var results = new JsonArray();
        for (var start = 0; start < paths.Count; start += BatchSize)
        {
            var batch = paths.Skip(start).Take(BatchSize).ToArray();
            var pixels = new float[batch.Length][];
            var recipe = Contract.Preprocessing;
            var errors = new string?[batch.Length];
            // Decoding dominates for small models; images are independent, so use every core.
            Parallel.For(0, batch.Length, i =>
            {
                try { pixels[i] = DigitImagePreprocessor.Load(batch[i], recipe); }
                catch (ImageInputException e) { errors[i] = e.Message; }
            });
            var readable = Enumerable.Range(0, batch.Length).Where(i => errors[i] is null).ToArray();
            var logits = Logits(readable.Select(i => pixels[i]).ToArray());
            var next = 0;
            for (var i = 0; i < batch.Length; i++)
            {
                results.Add(errors[i] is { } error
                    ? PredictionJson.Error(batch[i], error)
                    : PredictionJson.Entry(batch[i], Prediction.FromLogits(logits[next++]), Contract.ClassNames));
            }
        }

        return results;
    }

    public void Dispose() => _session.Dispose();
}
