using Mnist.Protocol.Hyperparameters;
using Mnist.Protocol.Specs;
using Mnist.Search.Tests.Support.Trials;

namespace Mnist.Search.Tests.Protocol.Specs;

public sealed class TrialSpecTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private TrialSpec Parse(string json) => TrialSpec.Parse(json, "spec.json", dir.Path);

    private string ParseError(string json) => Assert.Throws<SpecException>(() => Parse(json)).Message;

    [Fact]
    public void WhenOnlyPathsAreGivenThenEveryOtherValueIsTheDocumentedDefault()
    {
        // When
        var spec = Parse("""{"data_dir": "d", "out_dir": "o"}""");

        // Then
        Assert.Empty(spec.Hyperparameters);
        Assert.Equal(HyperparameterTable.Defaults, spec.ResolvedHyperparameters);
        Assert.Equal(2L, spec.ResolvedHyperparameters["conv_layers"]);
        Assert.Equal(128L, spec.ResolvedHyperparameters["batch_size"]);
        Assert.Equal((2, 42, "mnist", "cpu", 2, 5000), (spec.Epochs, spec.Seed, spec.Dataset, spec.Device, spec.Threads, spec.Validation));
        Assert.Null(spec.TrainSubset);
        Assert.False(spec.FullTrain);
        Assert.False(spec.EvaluateTest);
    }

    [Fact]
    public void WhenPathsAreRelativeThenTheyResolveAgainstTheSpecFolderAndOverridesWin()
    {
        // Given
        string specPath = dir.File("spec.json");
        File.WriteAllText(specPath, """{"data_dir": "../data/mnist", "out_dir": "out/1"}""");

        // When
        var fromFile = TrialSpec.Load(specPath);
        var overridden = TrialSpec.Load(specPath, dataDirOverride: "/tmp/x", outDirOverride: "/tmp/y");

        // Then
        Assert.Equal(Path.GetFullPath(Path.Combine(dir.Path, "..", "data", "mnist")), fromFile.DataDir);
        Assert.Equal(Path.Combine(dir.Path, "out", "1"), fromFile.OutDir);
        Assert.Equal(("/tmp/x", "/tmp/y"), (overridden.DataDir, overridden.OutDir));
    }

    [Fact]
    public void WhenIntegersArriveAsIntegralFloatsThenTheyAreAccepted()
    {
        // When
        var spec = Parse("""{"data_dir": "d", "out_dir": "o", "hyperparameters": {"conv1_channels": 48.0, "batch_size": 64}, "train_subset": 0}""");

        // Then
        Assert.Equal(48L, spec.Hyperparameters["conv1_channels"]);
        Assert.Null(spec.TrainSubset);
    }

    [Fact]
    public void WhenAHyperparameterIsUnknownThenTheErrorGivesFileAndJsonPath()
    {
        Assert.StartsWith("spec.json: $.hyperparameters.conv_layer: unknown hyperparameter",
            ParseError("""{"data_dir": "d", "out_dir": "o", "hyperparameters": {"conv_layer": 2}}"""));
    }

    [Theory]
    [InlineData("""{"hyperparameters": {"conv_layers": 5}}""", "$.hyperparameters.conv_layers: 5 is not valid (expected an integer in 1..4)")]
    [InlineData("""{"hyperparameters": {"optimizer": "rmsprop"}}""", "$.hyperparameters.optimizer: \"rmsprop\" is not valid (expected one of \"adam\", \"sgd\")")]
    [InlineData("""{"hyperparameters": {"dropout": "x"}}""", "$.hyperparameters.dropout: \"x\" is not valid")]
    [InlineData("""{"hyperparameters": {"kernel_size": 4}}""", "$.hyperparameters.kernel_size: 4 is not valid (expected an odd integer in 1..7)")]
    [InlineData("""{"hyperparameters": {"batch_size": 12.5}}""", "$.hyperparameters.batch_size: 12.5 is not valid")]
    [InlineData("""{"epochs": 0}""", "$.epochs: 0 is not valid")]
    [InlineData("""{"dataset": "cifar"}""", "$.dataset: \"cifar\" is not valid")]
    [InlineData("""{"full_train": "yes"}""", "$.full_train: \"yes\" is not valid (expected true or false)")]
    [InlineData("""{"validation": 0}""", "$.validation: 0 images leaves nothing to validate on")]
    [InlineData("""{"epoch": 3}""", "$.epoch: unknown spec key")]
    public void WhenAValueIsInvalidThenTheErrorNamesThePathAndValue(string overrides, string expected)
    {
        // Given a valid spec with one bad value merged in
        var node = System.Text.Json.Nodes.JsonNode.Parse(overrides)!.AsObject();
        node["data_dir"] = "d";
        node["out_dir"] = "o";

        // When
        string message = ParseError(node.ToJsonString());

        // Then
        Assert.StartsWith("spec.json: " + expected, message);
    }

    [Fact]
    public void AWrittenSpecReadsBackAsTheSameSpec()
    {
        // Given a spec as the coordinator builds it
        var spec = new TrialSpec
        {
            Hyperparameters = new Dictionary<string, object> { ["conv1_channels"] = 48L, ["dropout"] = 0.3, ["batch_norm"] = false, ["optimizer"] = "sgd" },
            Epochs = 3, Seed = 7, SplitSeed = 42, Dataset = "fashion-mnist", DataDir = dir.File("data"), Device = "auto",
            Threads = 4, OutDir = dir.File("out"), TrainSubset = 1000, Validation = 500, EvaluateTest = true, EvalBatchSize = 32,
        };

        // When it is written and the worker loads it
        var read = TrialSpec.Load(spec.Write(dir.File("spec.json")));

        // Then every field survives, and nothing else is left in the folder
        Assert.Equal(spec.Hyperparameters, read.Hyperparameters);
        Assert.Equal(spec with { Hyperparameters = read.Hyperparameters }, read);
        Assert.False(File.Exists(dir.File("spec.json.tmp")));
    }

    [Fact]
    public void WhenTheJsonIsMalformedThenTheErrorSaysSo()
    {
        Assert.StartsWith("spec.json: not valid JSON", ParseError("{\"epochs\": "));
    }

    [Theory]
    [InlineData("""{"data_dir": "d", "out_dir": "o", "epochs": 1, "epochs": 50}""", "$.epochs")]
    [InlineData("""{"data_dir": "d", "out_dir": "o", "hyperparameters": {"fc_width": 8, "fc_width": 512}}""", "$.hyperparameters.fc_width")]
    public void WhenAKeyIsGivenTwiceThenTheSpecIsRefusedRatherThanReadAsOneOfThem(string json, string path)
    {
        Assert.Equal($"spec.json: {path}: key appears more than once", ParseError(json));
    }

    [Theory]
    [InlineData("", null, "--data-dir: empty")]
    [InlineData(null, " ", "--out: empty")]
    public void WhenAnOverrideIsEmptyThenTheErrorNamesTheOptionNotTheSpec(string? dataDir, string? outDir, string expected)
    {
        var ex = Assert.Throws<SpecException>(() => TrialSpec.Parse("""{"data_dir": "d", "out_dir": "o"}""", "spec.json", dir.Path, dataDir, outDir));
        Assert.StartsWith(expected, ex.Message);
    }

    [Fact]
    public void WhenDataDirIsMissingThenTheErrorPointsToTheOption()
    {
        Assert.Equal("spec.json: $.data_dir: missing (set it in the spec or pass --data-dir)", ParseError("""{"out_dir": "o"}"""));
    }

    [Fact]
    public void WhenTheSpecFileIsMissingThenTheErrorNamesIt()
    {
        var ex = Assert.Throws<SpecException>(() => TrialSpec.Load(dir.File("none.json")));
        Assert.Equal($"{dir.File("none.json")}: spec file not found", ex.Message);
    }
}
