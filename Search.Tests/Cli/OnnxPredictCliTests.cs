using System.Text.Json.Nodes;
using Mnist.Inference.Onnx;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Onnx;
using SkiaSharp;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>predict</c> through the real command line on a folder with <c>model.onnx</c>: ONNX Runtime in the coordinator's
/// process, which the dynamic loader's own log (<c>LD_DEBUG=libs</c>) shows never loads libtorch; the answers equal the
/// TorchSharp path's on the same real MNIST digits.
/// </summary>
public sealed class OnnxPredictCliTests(TrainedCnns cnns) : IClassFixture<TrainedCnns>
{
    [Fact]
    public async Task PredictOnAnOnnxFolderMatchesTheTorchSharpPathAndNeverLoadsLibtorch()
    {
        // Given an ONNX-only model folder, a checkpoint-only folder with the network it came from, and a folder of 12 real test digits as PNGs
        using var dir = new TempDirectory("onnx-predict");
        var checkpoint = cnns.Folder("2conv-k5-bn-fc2");
        Directory.CreateDirectory(dir["onnx"]);
        File.Copy(Path.Combine(checkpoint, OnnxSchema.FileName), dir["onnx/model.onnx"]);
        Directory.CreateDirectory(dir["torch"]);
        foreach (var name in new[] { "model.bin", "model.json" }) File.Copy(Path.Combine(checkpoint, name), dir[$"torch/{name}"]);
        var (images, labels) = MnistFiles.TestImages(12);
        Directory.CreateDirectory(dir["digits"]);
        for (var i = 0; i < images.Length; i++) SavePng(images[i], dir[$"digits/{i:D2}.png"]);

        // When both paths predict the folder, each under the dynamic loader's log
        var onnx = await PredictAsync(dir, dir["onnx"], "ld-onnx");
        var torch = await PredictAsync(dir, dir["torch"], "ld-torch");

        // Then the ONNX path loaded ONNX Runtime and no libtorch, while the check does see libtorch in the TorchSharp path
        Assert.True(onnx.Loaded.Any(l => l.Contains("libonnxruntime.so")), string.Join("\n", onnx.Loaded));
        Assert.DoesNotContain(onnx.Loaded, l => l.Contains("libtorch"));
        Assert.True(torch.Loaded.Any(l => l.Contains("libtorch")), string.Join("\n", torch.Loaded));

        // And both answer every image in folder order with the same digit and probabilities within 1e-4
        Assert.Equal(images.Length, onnx.Results.Count);
        for (var i = 0; i < images.Length; i++)
        {
            var (a, b) = (onnx.Results[i]!, torch.Results[i]!);
            Assert.Equal(dir[$"digits/{i:D2}.png"], (string)a["image"]!);
            Assert.Equal((string)b["image"]!, (string)a["image"]!);
            Assert.Equal((int)b["digit"]!, (int)a["digit"]!);
            Assert.Equal((string)b["class_name"]!, (string)a["class_name"]!);
            Assert.True(Math.Abs((double)a["probability"]! - (double)b["probability"]!) < 1e-4, $"image {i}: {a} vs {b}");
            Assert.Equal(3, a["top"]!.AsArray().Count);
        }
        Assert.True(onnx.Results.Zip(labels).Count(p => (int)p.First!["digit"]! == p.Second) >= 6, onnx.Results.ToJsonString());
    }

    [Fact]
    public async Task TheTableShowsEveryImageAndABadImageIsAnsweredWithExitCodeTwo()
    {
        // Given an ONNX folder, two real digits and a file that is not an image
        using var dir = new TempDirectory("onnx-table");
        var model = cnns.Folder("1conv-k3-fc1");
        var (images, _) = MnistFiles.TestImages(2);
        SavePng(images[0], dir["a.png"]);
        SavePng(images[1], dir["b.png"]);
        File.WriteAllText(dir["c.png"], "not a png");

        // When
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", model, dir["a.png"], dir["b.png"], dir["c.png"]);

        // Then the table lists the three, and the unreadable one is an error line and exit code 2
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("class", result.Stdout);
        Assert.Contains("a.png", result.Stdout);
        Assert.Contains("b.png", result.Stdout);
        Assert.Contains($"error: {dir["c.png"]}: not a readable image", result.Stderr);
    }

    [Fact]
    public async Task AFolderWithoutImagesIsOneErrorEntryAndTheOtherImagesAreStillAnsweredInJson()
    {
        // Given an ONNX folder, two real digits and, between them, a folder holding no image (only a text file):
        // such a folder ended the whole command, answering neither digit, and --format json printed nothing
        using var dir = new TempDirectory("onnx-empty-folder");
        var model = cnns.Folder("1conv-k3-fc1");
        var (images, _) = MnistFiles.TestImages(2);
        SavePng(images[0], dir["a.png"]);
        SavePng(images[1], dir["b.png"]);
        Directory.CreateDirectory(dir["no-images"]);
        File.WriteAllText(dir["no-images/notes.txt"], "not an image");

        // When predict answers them as JSON
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", model, "--format", "json", dir["a.png"], dir["no-images"], dir["b.png"]);

        // Then stdout is one JSON array answering every argument in order, the folder as an error entry naming it,
        // with one error line on stderr and exit code 2
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        var answers = JsonNode.Parse(result.Stdout)!.AsArray();
        Assert.Equal([dir["a.png"], dir["no-images"], dir["b.png"]], answers.Select(a => (string)a!["image"]!));
        Assert.InRange((int)answers[0]!["digit"]!, 0, 9);
        Assert.InRange((int)answers[2]!["digit"]!, 0, 9);
        var expected = $"{dir["no-images"]}: folder holds no image (.png, .jpg, .jpeg, .bmp, .gif, .webp)";
        Assert.Equal(expected, (string)answers[1]!["error"]!);
        // Every entry has every key, null where it has none, answered or not (an answered one had no "error", a
        // failed one only "image" and "error")
        string[] keys = ["image", "digit", "class_name", "probability", "top", "error"];
        Assert.All(answers, a => Assert.Equal(keys, a!.AsObject().Select(kv => kv.Key)));
        Assert.All(keys[1..5], k => Assert.Null(answers[1]![k]));
        Assert.Null(answers[0]!["error"]);
        Assert.Null(answers[1]!["digit"]);
        Assert.Equal($"error: {expected}", result.Stderr.Trim());
    }

    [Fact]
    public async Task AFolderThatCannotBeListedIsOneErrorEntryAndTheOtherImagesAreStillAnswered()
    {
        // Given an ONNX folder, a real digit, and a folder of images its user may not list (mode 000)
        using var dir = new TempDirectory("onnx-locked-folder");
        Directory.CreateDirectory(dir["model"]);
        File.Copy(Path.Combine(cnns.Folder("1conv-k3-fc1"), OnnxSchema.FileName), dir["model/model.onnx"]);
        var (images, _) = MnistFiles.TestImages(2);
        SavePng(images[0], dir["a.png"]);
        Directory.CreateDirectory(dir["locked"]);
        SavePng(images[1], dir["locked/b.png"]);
        Unprivileged.OpenToAll(dir.Path);
        Unprivileged.SetMode(dir["locked"], "000");
        try
        {
            // When predict, run as a user the mode applies to, answers the locked folder and the digit as JSON
            var result = await Unprivileged.RunAsync(dir.Path, "predict", "--model", dir["model"], "--format", "json", dir["locked"], dir["a.png"]);

            // Then the locked folder is one error entry naming it, the digit is answered, and the exit code is 2
            Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
            var answers = JsonNode.Parse(result.Stdout)!.AsArray();
            Assert.Equal([dir["locked"], dir["a.png"]], answers.Select(a => (string)a!["image"]!));
            Assert.Equal($"{dir["locked"]}: folder cannot be read (permission denied)", (string)answers[0]!["error"]!);
            Assert.InRange((int)answers[1]!["digit"]!, 0, 9);
        }
        finally
        {
            Unprivileged.SetMode(dir["locked"], "755");
        }
    }

    [Fact]
    public async Task ATruncatedOnnxModelIsRefusedWithOneLineNamingItAndExitCodeTwo()
    {
        // Given a model.onnx cut in half
        using var dir = new TempDirectory("onnx-cut");
        var bytes = File.ReadAllBytes(Path.Combine(cnns.Folder("1conv-k3-fc1"), OnnxSchema.FileName));
        File.WriteAllBytes(dir["model.onnx"], bytes[..(bytes.Length / 2)]);
        var (images, _) = MnistFiles.TestImages(1);
        SavePng(images[0], dir["digit.png"]);

        // When
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", dir.Path, dir["digit.png"]);

        // Then
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {dir["model.onnx"]}: not a valid ONNX model", result.Stderr.Trim().Split(" (")[0]);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("table")]
    [InlineData("json")]
    public async Task AnOnnxModelWithNaNWeightsIsRefusedWithOneLineNamingTheFileAndTheTensor(string format)
    {
        // Given a trained model whose first hidden layer holds NaN (a diverged or corrupt model; the protobuf is valid):
        // predict failed in the softmax with "error: logit 0 is NaN (Parameter 'logits')", naming neither file nor cause
        using var dir = new TempDirectory("onnx-nan");
        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(cnns.Folder("1conv-k3-fc1"), OnnxSchema.FileName)));
        var weights = model.Graph.Initializer.Single(t => t.Name == "fc1.weight");
        for (var i = 0; i < 100; i++) weights.FloatData[i] = float.NaN;
        OnnxModelFile.Write(model, dir["model.onnx"]);
        var (images, _) = MnistFiles.TestImages(1);
        SavePng(images[0], dir["digit.png"]);

        // When
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", dir.Path, "--format", format, dir["digit.png"]);

        // Then one line names the file, the tensor and what is wrong, with exit code 2
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {dir["model.onnx"]}: initializer 'fc1.weight' holds NaN or infinite values (a diverged or corrupt model)",
            Assert.Single(result.Stderr.Trim().Split('\n')));
    }

    [Fact]
    public async Task FilesOfAFolderThatAreNotImagesOfAReadTypeAreSkippedWithAWarningNamingThem()
    {
        // Given a folder with a PNG, a TIFF and a text file: the TIFF was skipped without a word
        using var dir = new TempDirectory("onnx-skip");
        var (images, _) = MnistFiles.TestImages(1);
        Directory.CreateDirectory(dir["imgs"]);
        SavePng(images[0], dir["imgs/a.png"]);
        File.WriteAllBytes(dir["imgs/b.tiff"], [0x49, 0x49, 0x2A, 0x00]);
        File.WriteAllText(dir["imgs/notes.txt"], "hello");

        // When
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", cnns.Folder("1conv-k3-fc1"), "--format", "json", dir["imgs"]);

        // Then the PNG is answered, and one warning line names the two skipped files
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Single(JsonNode.Parse(result.Stdout)!.AsArray());
        Assert.Equal($"warning: {dir["imgs"]}: skipped 2 files that are not PNG, JPEG, BMP, GIF or WebP (b.tiff, notes.txt)", Assert.Single(result.Stderr.Trim().Split('\n')));
    }

    [Fact]
    public async Task TheTablesProbabilityHasFourDecimalsAsTop3Does()
    {
        // Given a real model whose output layer is made to answer 7 with probability 1 - 9e^-20: the table showed "1"
        // for such a probability (a number rounded to 4 places) while its top3 showed "7:1.0000"
        using var dir = new TempDirectory("onnx-table-decimals");
        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(cnns.Folder("1conv-k3-fc1"), OnnxSchema.FileName)));
        var weights = model.Graph.Initializer.Single(t => t.Name == "out.weight");
        for (var i = 0; i < weights.FloatData.Count; i++) weights.FloatData[i] = 0;
        var bias = model.Graph.Initializer.Single(t => t.Name == "out.bias");
        for (var i = 0; i < bias.FloatData.Count; i++) bias.FloatData[i] = i == 7 ? 20 : 0;
        OnnxModelFile.Write(model, dir["model.onnx"]);
        var (images, _) = MnistFiles.TestImages(1);
        SavePng(images[0], dir["digit.png"]);

        // When predict shows its table
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", dir.Path, dir["digit.png"]);

        // Then the row's probability is written as top3's are, to four decimals
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        var row = result.Stdout.Split('\n').Single(l => l.Contains("digit.png"));
        var cells = row.Split('│', '|').Select(c => c.Trim()).ToArray();
        Assert.Equal(["7", "1.0000"], cells[2..4]);
        Assert.StartsWith("7:1.0000  ", cells[4]);
    }

    [Fact]
    public async Task SubfoldersOfAFolderAreNotSearchedAndTheWarningOrErrorNamesThem()
    {
        // Given a folder with a PNG and two subfolders of PNGs, and a class-per-folder layout (only subfolders):
        // subfolders were skipped without a word, and the layout got only "folder holds no image"
        using var dir = new TempDirectory("onnx-subfolders");
        var (images, _) = MnistFiles.TestImages(1);
        foreach (var path in new[] { "imgs/a.png", "imgs/sub/b.png", "imgs/zz/c.png", "test/0/d.png" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir[path])!);
            SavePng(images[0], dir[path]);
        }

        // When predict is given both folders
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", cnns.Folder("1conv-k3-fc1"), "--format", "json", dir["imgs"], dir["test"]);

        // Then only the folder's own PNG is answered; one warning names the skipped subfolders, and the layout's
        // error entry names its subfolder too (exit code 2: one argument gave no image)
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        var answers = JsonNode.Parse(result.Stdout)!.AsArray();
        Assert.Equal([dir["imgs/a.png"], dir["test"]], answers.Select(a => (string)a!["image"]!));
        var expected = $"{dir["test"]}: folder holds no image (.png, .jpg, .jpeg, .bmp, .gif, .webp); skipped 1 subfolder, whose images are not read (0)";
        Assert.Equal(expected, (string)answers[1]!["error"]!);
        Assert.Equal(
            [$"warning: {dir["imgs"]}: skipped 2 subfolders, whose images are not read (sub, zz)", $"error: {expected}"],
            result.Stderr.Trim().Split('\n'));
    }

    private static async Task<(JsonArray Results, string[] Loaded)> PredictAsync(TempDirectory dir, string model, string logName)
    {
        Directory.CreateDirectory(dir[logName]);
        var environment = new Dictionary<string, string> { ["LD_DEBUG"] = "libs", ["LD_DEBUG_OUTPUT"] = dir[$"{logName}/ld"] };
        var result = await SearchCli.RunAsync(dir.Path, environment, "predict", "--model", model, "--format", "json", dir["digits"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        // One log file per process (ld.PID): the Search process, and for the TorchSharp path its Trials child.
        var loaded = Directory.GetFiles(dir[logName]).SelectMany(File.ReadAllLines).Where(l => l.Contains("calling init:")).ToArray();
        return (JsonNode.Parse(result.Stdout)!.AsArray(), loaded);
    }

    // MNIST's own bytes, light on dark, as a 28×28 grayscale PNG.
    internal static void SavePng(float[] pixels, string path)
    {
        using var bitmap = new SKBitmap(28, 28, SKColorType.Gray8, SKAlphaType.Opaque);
        for (var i = 0; i < pixels.Length; i++)
        {
            var v = (byte)Math.Round(pixels[i] * 255);
            bitmap.SetPixel(i % 28, i / 28, new SKColor(v, v, v));
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
    }
}
