using Google.Protobuf;
using Mnist.Inference.Onnx;
using Onnx;

namespace Mnist.Search.Tests.Inference.Onnx;

/// <summary>The graph builder and reader on their own, without libtorch: random weights, real protobuf files.</summary>
public sealed class OnnxModelFileTests : IDisposable
{
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    private readonly TempDirectory _dir = new("onnx-file");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AWrittenModelReadsBackWithItsContractAndProvenance()
    {
        // Given a small CNN's weights and a contract
        var path = _dir["model.onnx"];
        var contract = new ModelContract(28, 0.1307, 0.3081, Digits, new Dictionary<string, string> { ["study"] = "s", ["test_accuracy"] = "0.99" });

        // When it is written and read back
        OnnxModelFile.Write(CnnOnnxGraph.Build(TinyWeights(), contract), path);
        var read = OnnxModelFile.Read(path);

        // Then the contract is the one written, and no temporary file is left
        Assert.Equal((28, 0.1307, 0.3081), (read.Contract.ImageSide, read.Contract.Mean, read.Contract.Std));
        Assert.Equal(Digits, read.Contract.ClassNames);
        Assert.Equal("0.99", read.Contract.Provenance["test_accuracy"]);
        Assert.Equal("light_on_dark", read.Contract.Provenance[OnnxSchema.Keys.Polarity]);
        Assert.Equal(["model.onnx"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Theory]
    // Every model's metadata said "light digit … as MNIST" and gave MNIST's digit recipe, a Fashion-MNIST model's too.
    [InlineData("mnist", "mnist-digit", "light digit on dark, as mnist")]
    [InlineData("fashion-mnist", "resize", "light object on dark, as fashion-mnist")]
    public void TheMetadataStatesThePreprocessingOfTheModelsDataset(string dataset, string recipe, string contractWords)
    {
        // Given a model of the dataset
        var path = _dir["model.onnx"];
        var names = dataset == "mnist" ? Digits : ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
        OnnxModelFile.Write(CnnOnnxGraph.Build(TinyWeights(), new ModelContract(28, 0.2860, 0.3530, names, new Dictionary<string, string> { ["dataset"] = dataset })), path);

        // When it is read back
        var read = OnnxModelFile.Read(path).Contract;

        // Then its recipe is the dataset's, in the metadata and in the contract's words
        Assert.Equal(recipe, read.Provenance[OnnxSchema.Keys.Preprocessing]);
        Assert.Equal(recipe, read.Preprocessing.Name);
        Assert.Contains(contractWords, read.Provenance[OnnxSchema.Keys.InputContract]);
        Assert.Contains($"preprocessing '{recipe}'", read.Provenance[OnnxSchema.Keys.InputContract]);
    }

    [Fact]
    public async Task TwoProcessesExportingToOnePathAtOnceEachPutAWholeModelThere()
    {
        // Given two writers of one path (two exports of one study to the same file): each has its own temporary
        // file. With one fixed name they wrote into one file, and one renamed the other's half-written model into place.
        var path = _dir["model.onnx"];
        var models = Enumerable.Range(0, 2).Select(i => CnnOnnxGraph.Build(TinyWeights(),
            new ModelContract(28, 0.1307, 0.3081, Digits, new Dictionary<string, string> { ["writer"] = i.ToString() }))).ToArray();

        // When both write it over and over at once
        using var start = new Barrier(2);
        var writers = models.Select(model => Task.Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 40; i++) OnnxModelFile.Write(model, path);
        })).ToArray();
        await Task.WhenAll(writers);

        // Then neither failed, the file is one whole model, and no temporary is left
        Assert.Contains(OnnxModelFile.Read(path).Contract.Provenance["writer"], new[] { "0", "1" });
        Assert.Equal(["model.onnx"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AFileCutShortIsRefusedWithAMessageNamingIt()
    {
        // Given a valid export
        var bytes = CnnOnnxGraph.Build(TinyWeights(), new ModelContract(28, 0.5, 0.5, Digits, new Dictionary<string, string>())).ToByteArray();
        var path = _dir["cut.onnx"];

        // When it is cut at, just before and just after every boundary between its top-level fields (where a cut
        // leaves a well-formed but incomplete message) and at 100 points through it, Then each prefix is refused, naming the file
        var boundaries = new List<int>();
        var input = new CodedInputStream(bytes);
        while (!input.IsAtEnd)
        {
            input.ReadTag();
            input.SkipLastField();
            boundaries.Add((int)input.Position);
        }
        var cuts = boundaries.SelectMany(b => new[] { b - 1, b, b + 1 })
            .Concat(Enumerable.Range(0, 100).Select(i => i * bytes.Length / 100))
            .Where(n => n >= 0 && n < bytes.Length).Distinct().ToList();
        Assert.True(boundaries.Count > 8, $"{boundaries.Count} top-level fields");
        foreach (var length in cuts)
        {
            File.WriteAllBytes(path, bytes[..length]);
            var error = Assert.Throws<OnnxModelException>(() => OnnxModelFile.Read(path));
            Assert.StartsWith($"{path}: ", error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }
    }

    [Theory]
    [InlineData("png")]
    [InlineData("text")]
    [InlineData("missing")]
    public void AFileThatIsNotAnOnnxModelIsRefused(string kind)
    {
        // Given
        var path = _dir["model.onnx"];
        if (kind == "png") File.WriteAllBytes(path, [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82]);
        if (kind == "text") File.WriteAllText(path, "{\"not\": \"onnx\"}");

        // When
        var error = Assert.Throws<OnnxModelException>(() => OnnxModelFile.Read(path));

        // Then
        Assert.StartsWith($"{path}: ", error.Message);
    }

    [Fact]
    public void AModelWhoseClassNamesDoNotMatchItsOutputIsRefused()
    {
        // Given a model whose metadata names 9 classes for 10 logits
        var model = CnnOnnxGraph.Build(TinyWeights(), new ModelContract(28, 0.5, 0.5, Digits, new Dictionary<string, string>()));
        model.MetadataProps.Single(p => p.Key == OnnxSchema.Keys.ClassNames).Value = "[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\"]";
        var path = _dir["model.onnx"];
        File.WriteAllBytes(path, model.ToByteArray());

        // When, Then
        var error = Assert.Throws<OnnxModelException>(() => OnnxModelFile.Read(path));
        Assert.Contains("names 9 classes but 'logits' has 10", error.Message);
    }

    [Fact]
    public void TheBuilderRefusesClassNamesThatDoNotMatchTheOutputLayer()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            CnnOnnxGraph.Build(TinyWeights(), new ModelContract(28, 0.5, 0.5, ["a", "b"], new Dictionary<string, string>())));
        Assert.Contains("10 rows but there are 2 class names", error.Message);
    }

    // One conv block (2 channels, k3) + one hidden layer: a few kilobytes, random but fixed values.
    private static CnnWeights TinyWeights()
    {
        var random = new Random(5);
        WeightTensor T(params long[] shape) =>
            new(shape, Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)random.NextDouble() - 0.5f).ToArray());
        var conv = new ConvBlockWeights(T(2, 1, 3, 3), T(2), null, 1, 2);
        return new CnnWeights([conv], [new DenseWeights(T(4, 2 * 14 * 14), T(4))], new DenseWeights(T(10, 4), T(10)));
    }
}
