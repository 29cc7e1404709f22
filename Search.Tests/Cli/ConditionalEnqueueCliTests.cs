using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `study enqueue --from-study` into a study that searches <c>conv_layers</c> beside <c>conv2_channels</c> and
/// <c>conv3_channels</c>: an older study's trials carry every child (stored before conditional spaces, here by a custom
/// worker's study, which has none); the children their values leave out are dropped, not refused.
/// </summary>
public sealed class ConditionalEnqueueCliTests
{
    [Fact]
    public async Task AnOlderStudysChildrenThatItsValuesLeaveOutAreDroppedWhenItSeedsAConditionalStudy()
    {
        // Given an earlier study whose 3 trials store conv2 and conv3 whatever their conv_layers, and a new study of the
        // built-in worker over the same space (conditional: created only, never run)
        using var dir = new TempDirectory("cli-enqueue-conditional");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var space = new JsonObject
        {
            ["conv_layers"] = new JsonObject { ["type"] = "int", ["low"] = 1, ["high"] = 3 },
            ["conv2_channels"] = new JsonObject { ["type"] = "int", ["low"] = 4, ["high"] = 16 },
            ["conv3_channels"] = new JsonObject { ["type"] = "int", ["low"] = 4, ["high"] = 16 },
        };
        var earlier = StudyFiles.WriteConfig(dir.Path, worker, trials: 3, name: "old", tweak: c =>
        {
            c["space"] = space.DeepClone();
            c["sampler"] = new JsonObject { ["kind"] = "random", ["seed"] = 1 };
        });
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", earlier)).ExitCode);
        var old = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "old", "--format", "json")).Stdout)!.AsArray();
        Assert.All(old, t => Assert.Equal(3, t!["params"]!.AsObject().Count));
        Assert.Contains(old, t => (long)t!["params"]!["conv_layers"]! < 3);
        var next = StudyFiles.WriteConfig(dir.Path, worker, trials: 6, name: "new", tweak: c =>
        {
            c["space"] = space.DeepClone();
            c.Remove("worker");
            c["dataset"]!["dir"] = "data/mnist";
        });
        var create = await SearchCli.RunAsync(dir.Path, "study", "create", next);
        Assert.True(create.ExitCode == 0, create.Stderr);

        // When the new study is seeded with all three
        var r = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "new", "--from-study", "old", "--top", "3", "--format", "json");

        // Then each queued configuration gives conv_layers and exactly the channels it reads; none is sampled later
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var q in JsonNode.Parse(r.Stdout)!["trials"]!.AsArray())
        {
            var given = q!["fixed_params"]!.AsObject();
            var layers = (long)given["conv_layers"]!;
            Assert.Equal(new[] { "conv_layers" }.Concat(layers >= 2 ? ["conv2_channels"] : []).Concat(layers >= 3 ? ["conv3_channels"] : []).Order(),
                given.Select(p => p.Key).Order());
            Assert.Empty(q["sampled"]!.AsArray());
        }
    }
}
