using System.Diagnostics;
using Mnist.Inference.Onnx;
using Mnist.Search.Tests.Support.Onnx;
using SkiaSharp;

namespace Mnist.Search.Tests.Samples;

/// <summary>The README's C# deployment sample is the file the solution builds, and it classifies a real digit.</summary>
public sealed class OnnxDigitsSampleTests(TrainedCnns cnns) : IClassFixture<TrainedCnns>
{
    private static string SampleSource => Path.Combine(MnistFiles.RepositoryRoot, "samples", "OnnxDigits", "Program.cs");

    [Fact]
    public void TheReadmeShowsTheSampleVerbatim()
    {
        // Given the README and the sample's source
        var readme = File.ReadAllText(Path.Combine(MnistFiles.RepositoryRoot, "README.md")).ReplaceLineEndings("\n");
        var source = File.ReadAllText(SampleSource).ReplaceLineEndings("\n");

        // Then the README holds the whole file as one csharp block
        Assert.Contains($"```csharp\n{source}```\n", readme);
    }

    [Fact]
    public void TheReadmeNamesEachPackageOfTheSampleAtTheVersionItIsBuiltWith()
    {
        // Given the sample's packages and the versions the repository pins
        var project = System.Xml.Linq.XDocument.Load(Path.Combine(MnistFiles.RepositoryRoot, "samples", "OnnxDigits", "OnnxDigits.csproj"));
        var pins = System.Xml.Linq.XDocument.Load(Path.Combine(MnistFiles.RepositoryRoot, "Directory.Packages.props"))
            .Descendants("PackageVersion").ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);
        var packages = project.Descendants("PackageReference").Select(p => (string)p.Attribute("Include")!).ToList();
        var readme = File.ReadAllText(Path.Combine(MnistFiles.RepositoryRoot, "README.md")).ReplaceLineEndings(" ").Replace("\n", " ");

        // Then the README names each with that version (without versions, today's SkiaSharp 4 did not compile the sample)
        Assert.NotEmpty(packages);
        Assert.All(packages, p => Assert.Contains($"`{p}` {pins[p]}", readme));
    }

    [Fact]
    public async Task TheBuiltSampleNamesTheSameDigitAsTorchSharpWithOnnxRuntimeAndMlNet()
    {
        // Given an exported model and a real MNIST test digit as a 28×28 PNG
        using var dir = new TempDirectory("onnx-sample");
        var folder = cnns.Folder("2conv-k5-bn-fc2");
        var (images, _) = MnistFiles.TestImages(3);
        var image = images[2];
        using (var bitmap = new SKBitmap(28, 28, SKColorType.Gray8, SKAlphaType.Opaque))
        {
            for (var i = 0; i < image.Length; i++)
            {
                var v = (byte)Math.Round(image[i] * 255);
                bitmap.SetPixel(i % 28, i / 28, new SKColor(v, v, v));
            }
            using var png = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(dir["digit.png"], png.ToArray());
        }
        var logits = TrainedCnns.TorchSharpLogits(folder, [image])[0];
        var expected = Array.IndexOf(logits, logits.Max());

        // When the built sample runs on them
        var (exit, stdout, stderr) = await RunSampleAsync(Path.Combine(folder, OnnxSchema.FileName), dir["digit.png"]);

        // Then both runtimes name TorchSharp's digit
        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"onnxruntime: {expected} (", lines[0]);
        Assert.Equal($"ml.net: {expected}", lines[1]);
    }

    [Fact]
    public async Task WithoutItsArgumentsOrWithAFileThatIsNoImageTheSampleSaysSoInOneLine()
    {
        // (both were stack traces, exit 134)
        var none = await RunSampleAsync();
        Assert.Equal((2, "usage: OnnxDigits model.onnx digit.png"), (none.Exit, none.Stderr.Trim()));
        var model = Path.Combine(cnns.Folder("2conv-k5-bn-fc2"), OnnxSchema.FileName);
        var notImage = await RunSampleAsync(model, SampleSource);
        Assert.Equal((2, $"{SampleSource}: cannot be read as an image"), (notImage.Exit, notImage.Stderr.Trim()));
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunSampleAsync(params string[] args)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var sample = Path.Combine(MnistFiles.RepositoryRoot, "samples", "OnnxDigits", "bin", configuration, "net10.0", "OnnxDigits.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args.Prepend(sample)) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
