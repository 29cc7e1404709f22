using System.Text.Json.Nodes;
using Google.Protobuf;
using Mnist.Inference.Onnx;
using Mnist.Search.Models;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Onnx;
using Mnist.Trials.Data;
using Onnx;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>predict</c> on real test images of each dataset, written as PNG files, against the same model fed the images' raw
/// pixels: an image already in the model's input format must reach the model unchanged. MNIST's digit recipe (crop,
/// 20×20 box, centre of mass) on every model got a Fashion-MNIST model's own test images right 51 % of the time
/// against 87 % recorded, and re-placing MNIST's own digits cost a strong model 14 of 10,000 answers.
/// </summary>
public sealed class PredictAccuracyCliTests(DatasetCnns cnns) : IClassFixture<DatasetCnns>
{
    private const int Images = 1000;

    [Fact]
    public async Task OnMnistTestImagesPredictGivesTheRawPixelAnswerForEveryImage()
    {
        var (images, labels) = MnistFiles.TestImages(Images);
        await AssertPredictEqualsRawAsync(cnns.Folder(DatasetInfo.Mnist), images, labels, "mnist");
    }

    [Fact]
    public async Task OnFashionTestImagesPredictGivesTheRawPixelAnswerForEveryImage()
    {
        var (images, labels) = MnistFiles.TestImages(cnns.FashionData, Images);
        await AssertPredictEqualsRawAsync(cnns.Folder(DatasetInfo.FashionMnist), images, labels, "fashion");
    }

    [Fact]
    public async Task AFashionModelExportedBeforeRecipesWereRecordedIsStillShapedAsFashion()
    {
        // Given the Fashion model's ONNX file as exported before: 'preprocessing' held MNIST's recipe in words
        using var dir = new TempDirectory("predict-old-export");
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(cnns.OnnxPath(DatasetInfo.FashionMnist)));
        model.MetadataProps.Single(p => p.Key == OnnxSchema.Keys.Preprocessing).Value =
            "as MNIST: the digit scaled (aspect kept) to fit a 20x20 box, then placed by its centre of mass in a 28x28 canvas";
        Directory.CreateDirectory(dir["old"]);
        OnnxModelFile.Write(model, dir["old/model.onnx"]);
        var (images, labels) = MnistFiles.TestImages(cnns.FashionData, 300);

        // Then its dataset decides: the answers are those of its raw pixels
        await AssertPredictEqualsRawAsync(dir["old"], images, labels, "fashion-old");
    }

    [Fact]
    public async Task TheCheckpointPathShapesAFashionModelsImagesAsFashionToo()
    {
        // Given the Fashion model as a checkpoint folder only (TorchSharp, in the Trials process)
        using var dir = new TempDirectory("predict-fashion-checkpoint");
        Directory.CreateDirectory(dir["torch"]);
        foreach (var name in new[] { "model.bin", "model.json" }) File.Copy(Path.Combine(cnns.Folder(DatasetInfo.FashionMnist), name), dir[$"torch/{name}"]);
        var (images, labels) = MnistFiles.TestImages(cnns.FashionData, 200);

        // Then its answers are those of the ONNX session on the raw pixels
        await AssertPredictEqualsRawAsync(dir["torch"], images, labels, "fashion-torch", rawFrom: cnns.OnnxPath(DatasetInfo.FashionMnist));
    }

    private static async Task AssertPredictEqualsRawAsync(string modelFolder, float[][] images, int[] labels, string what, string? rawFrom = null)
    {
        // Given the test images as 28×28 PNG files, and the answers of the model's ONNX session on their raw pixels
        using var dir = new TempDirectory($"predict-{what}");
        for (var i = 0; i < images.Length; i++) OnnxPredictCliTests.SavePng(images[i], dir[$"{i:D5}.png"]);
        using var session = OnnxPredictor.Open(rawFrom ?? Path.Combine(modelFolder, OnnxSchema.FileName));
        var raw = session.Logits(images).Select(ArgMax).ToArray();

        // When predict answers the folder
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", modelFolder, "--format", "json", dir.Path);

        // Then every image gets the raw pixels' answer, so the accuracy is the raw accuracy
        Assert.True(result.ExitCode == 0, result.Stderr);
        var predicted = JsonNode.Parse(result.Stdout)!.AsArray().Select(a => (int)a!["digit"]!).ToArray();
        var (right, rawRight) = (predicted.Zip(labels).Count(p => p.First == p.Second), raw.Zip(labels).Count(p => p.First == p.Second));
        Assert.True(right >= rawRight, $"{what}: predict {right}/{images.Length} right, raw pixels {rawRight}/{images.Length}");
        Assert.Equal(raw, predicted);
    }

    private static int ArgMax(float[] logits) => Array.IndexOf(logits, logits.Max());
}
