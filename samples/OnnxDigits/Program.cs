// Usage: OnnxDigits model.onnx image.png  (an image already in the dataset's format: 28x28, light on a black background)
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

if (args.Length != 2) { Console.Error.WriteLine("usage: OnnxDigits model.onnx digit.png"); return 2; }
string modelPath = args[0], imagePath = args[1];

// Input float32 [N,1,28,28]: pixels in [0,1], light on a black background as in the model's dataset (MNIST: a light
// digit, Fashion-MNIST: a light garment; a dark-on-light image must be inverted first, which this sample does not do);
// the model normalises them itself. `predict` shapes any image as the metadata's "preprocessing" says.
using var decoded = SKBitmap.Decode(imagePath);
if (decoded is null) { Console.Error.WriteLine($"{imagePath}: cannot be read as an image"); return 2; }
using var bitmap = decoded.Resize(new SKImageInfo(28, 28, SKColorType.Gray8), SKFilterQuality.High);
float[] pixels = bitmap.Bytes.Select(b => b / 255f).ToArray();

// ONNX Runtime
using var session = new InferenceSession(modelPath);
string[] classes = JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["class_names"])!;
using var input = OrtValue.CreateTensorValueFromMemory(pixels, [1, 1, 28, 28]);
using var runOptions = new RunOptions();
using var outputs = session.Run(runOptions, ["input"], [input], ["probabilities"]);
float[] probabilities = outputs[0].GetTensorDataAsSpan<float>().ToArray();
int best = Array.IndexOf(probabilities, probabilities.Max());
Console.WriteLine($"onnxruntime: {classes[best]} ({probabilities[best]:P1})");

// ML.NET
var ml = new MLContext();
var data = ml.Data.LoadFromEnumerable(new[] { new Digit { Pixels = pixels } });
var transformer = ml.Transforms.ApplyOnnxModel(["probabilities"], ["input"], modelPath).Fit(data);
float[] scores = ml.Data.CreateEnumerable<Scores>(transformer.Transform(data), reuseRowObject: false).Single().Probabilities;
Console.WriteLine($"ml.net: {classes[Array.IndexOf(scores, scores.Max())]}");
return 0;

class Digit
{
    [ColumnName("input"), VectorType(1, 1, 28, 28)]
    public float[] Pixels { get; set; } = [];
}

class Scores
{
    [ColumnName("probabilities"), VectorType(10)]
    public float[] Probabilities { get; set; } = [];
}
