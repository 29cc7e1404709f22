using Mnist.Search.Config;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Config;

namespace Mnist.Search.Tests.Config;

/// <summary>
/// The conditions a loaded space has between its searched hyperparameters come from the worker's table, and only there:
/// searched beside its condition's hyperparameter, a child is conditional; beside a fixed one, or for a custom worker, not.
/// </summary>
public sealed class ConditionalSpaceConfigTests : IDisposable
{
    private readonly TempDirectory _folder = new("conditional-config");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void AChildSearchedBesideItsSearchedParentIsConditionalAndNotBesideAFixedOneOrForACustomWorker()
    {
        // Given conv3/conv4 channels and momentum searched beside a searched conv_layers and optimizer; conv3 beside
        // conv_layers fixed to 3; and the first for a custom worker
        var searched = ConfigJson.Patch("space.conv4_channels", """{"type": "int", "low": 16, "high": 64}""",
            ConfigJson.Patch("space.conv3_channels", """{"type": "int", "low": 16, "high": 64}""",
            ConfigJson.Patch("space.momentum", """{"type": "float", "low": 0.5, "high": 0.99}""",
            ConfigJson.Patch("space.optimizer", """{"type": "categorical", "choices": ["adam", "sgd"]}""",
            ConfigJson.Patch("space.conv_layers", """{"type": "int", "low": 2, "high": 4}""",
            ConfigJson.Patch("fixed", """{"batch_norm": true}"""))))));
        var fixedTo3 = ConfigJson.Patch("space.conv3_channels", """{"type": "int", "low": 16, "high": 64}""", ConfigJson.Patch("fixed.conv_layers", "3"));
        var custom = ConfigJson.Patch("worker", """{"command": ["my-worker", "{spec}"]}""", searched);

        // When they are loaded
        var space = StudyConfigLoader.Load(Write(searched, "searched.json")).Space;

        // Then each child has the table's condition, and the others none
        // (conv2_channels too: read from 2 layers, always true here, which evaluating it per trial finds)
        Assert.Equal(["conv2_channels", "conv3_channels", "conv4_channels", "momentum"], space.Conditions.Keys.Order());
        Assert.Equal("`conv_layers` ≥ 4", space.Conditions["conv4_channels"].ToString());
        Assert.Equal("`optimizer` = `sgd`", space.Conditions["momentum"].ToString());
        Assert.Empty(StudyConfigLoader.Load(Write(fixedTo3, "fixed.json")).Space.Conditions);
        Assert.Empty(StudyConfigLoader.Load(Write(custom, "custom.json")).Space.Conditions);
        Assert.Empty(StudyConfigLoader.Load(Write(ConfigJson.IssueExample, "default.json")).Space.Conditions);
    }

    private string Write(string json, string name)
    {
        var path = Path.Combine(_folder.Path, name);
        File.WriteAllText(path, json);
        return path;
    }
}
