using Mnist.Search.Config;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Config;

public sealed class HyperparameterResolverTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private StudyConfig LoadExample()
    {
        var path = _folder.Combine("search.json");
        File.WriteAllText(path, ConfigJson.IssueExample);
        return StudyConfigLoader.Load(path);
    }

    private static Dictionary<string, object?> Sample() => new()
    {
        ["conv1_channels"] = 16L,
        ["conv2_channels"] = 32L,
        ["fc_width"] = 128L,
        ["dropout"] = 0.25,
        ["learning_rate"] = 0.001,
        ["batch_size"] = 128L,
        ["rotation_degrees"] = 5L,
        ["translate_fraction"] = 0.1,
    };

    [Fact]
    public void WhenValuesAreSampledThenTheSpecHoldsFixedAndSampledValuesWithTheWorkersKinds()
    {
        // Given the example config and one sampled value per parameter
        var config = LoadExample();
        var sampled = Sample();
        sampled["fc_width"] = 128.0; // as a double, the way a numeric sampler might hand it over

        // When the hyperparameters are resolved
        var json = config.ResolveHyperparameters(sampled).ToJsonString();

        // Then fixed values come first, then the space in order, integers as integers and floats as floats
        Assert.Equal(
            """{"optimizer":"adam","batch_norm":true,"conv1_channels":16,"conv2_channels":32,"fc_width":128,"dropout":0.25,"learning_rate":0.001,"batch_size":128,"rotation_degrees":5,"translate_fraction":0.1}""",
            json);
    }

    [Fact]
    public void WhenASpaceValueIsMissingThenResolvingThrows()
    {
        // Given a sample without fc_width
        var config = LoadExample();
        var sampled = Sample();
        sampled.Remove("fc_width");

        // When / Then
        var error = Assert.Throws<ArgumentException>(() => config.ResolveHyperparameters(sampled));
        Assert.Contains("fc_width", error.Message);
    }

    [Fact]
    public void WhenAValueOutsideTheSpaceIsGivenThenResolvingThrows()
    {
        // Given a sample with an extra name
        var config = LoadExample();
        var sampled = Sample();
        sampled["momentum"] = 0.9;

        // When / Then
        var error = Assert.Throws<ArgumentException>(() => config.ResolveHyperparameters(sampled));
        Assert.Contains("momentum", error.Message);
    }

    [Fact]
    public void WhenAnIntegerHyperparameterGetsAFractionThenResolvingThrows()
    {
        // Given a fractional channel count
        var config = LoadExample();
        var sampled = Sample();
        sampled["conv1_channels"] = 16.5;

        // When / Then
        Assert.Throws<ArgumentException>(() => config.ResolveHyperparameters(sampled));
    }

    [Fact]
    public void WhenAStoredTrialIsResolvedThenCategoricalIndicesBecomeTheirValues()
    {
        // Given a trial snapshot as storage holds it (batch_size stored as the index 2)
        var config = LoadExample();
        var sampled = Sample();
        var internals = config.Space.Parameters.ToDictionary(p => p.Key, p => p.Value.ToInternal(sampled[p.Key]));
        internals["batch_size"] = 2;
        var trial = new TrialSnapshot(1, 0, TrialState.COMPLETE, 0.97, internals,
            config.Space.Parameters.ToDictionary(p => p.Key, p => p.Value),
            new Dictionary<int, double>(), null, null, new Dictionary<string, string>(), new Dictionary<string, string>());

        // When its hyperparameters are resolved
        var json = config.ResolveHyperparameters(trial);

        // Then the choice is the external value
        Assert.Equal(256L, (long)json["batch_size"]!);
        Assert.Equal(16L, (long)json["conv1_channels"]!);
        Assert.Equal("adam", (string)json["optimizer"]!);
    }

    [Fact]
    public void HyperparameterNamesListsEveryWorkerName()
    {
        // Given the worker protocol's hyperparameter names
        string[] protocol =
        [
            "conv_layers", "conv1_channels", "conv2_channels", "conv3_channels", "conv4_channels", "kernel_size", "batch_norm",
            "fc_layers", "fc_width", "fc2_width", "dropout", "optimizer", "learning_rate", "momentum", "weight_decay",
            "lr_schedule", "lr_step_size", "lr_gamma", "batch_size", "rotation_degrees", "translate_fraction", "scale_fraction",
        ];

        // Then the list matches exactly, and each name's kind is the one in the protocol's example
        Assert.Equal(protocol, HyperparameterNames.All.Select(p => p.Key));
        Assert.Equal(HyperparameterKind.Bool, HyperparameterNames.Find("batch_norm")!.Kind);
        Assert.Equal(HyperparameterKind.String, HyperparameterNames.Find("lr_schedule")!.Kind);
        Assert.Equal(HyperparameterKind.Int, HyperparameterNames.Find("lr_step_size")!.Kind);
        Assert.Equal(HyperparameterKind.Float, HyperparameterNames.Find("weight_decay")!.Kind);
        Assert.Null(HyperparameterNames.Find("epochs"));
    }
}
