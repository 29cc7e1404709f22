using System.Text.Json.Nodes;
using Mnist.Inference.Onnx;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Onnx;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>predict</c> reads what a symbolic link points to, on both of its paths (ONNX Runtime in <c>Search</c>, the
/// checkpoint in the Trials program): a link's own size is the length of its target's name, and sizing files by it
/// refused every linked image ("not a readable image") and a checkpoint whose model.bin was a link ("truncated").
/// Dataset folders built with <c>ln -s</c> and DVC or git-annex caches are made of such links.
/// </summary>
public sealed class LinkedFilesPredictCliTests(TrainedCnns cnns) : IClassFixture<TrainedCnns>
{
    [Theory]
    [InlineData("onnx")]
    [InlineData("checkpoint")]
    public async Task LinkedImagesAndALinkedCheckpointAreAnsweredAsTheFilesTheyPointTo(string kind)
    {
        // Given a real digit as a PNG, a relative link to it, and a folder holding an absolute link to it
        using var dir = new TempDirectory("predict-links-" + kind);
        var (images, _) = MnistFiles.TestImages(1);
        OnnxPredictCliTests.SavePng(images[0], dir["digit.png"]);
        File.CreateSymbolicLink(dir["relative.png"], "digit.png");
        Directory.CreateDirectory(dir["nest"]);
        File.CreateSymbolicLink(dir["nest/absolute.png"], dir["digit.png"]);

        // And a model folder whose files are all absolute links: model.onnx, or model.bin and model.json (the checkpoint path)
        var trained = cnns.Folder("1conv-k3-fc1");
        Directory.CreateDirectory(dir["model"]);
        foreach (var name in kind == "onnx" ? [OnnxSchema.FileName] : new[] { "model.bin", "model.json" })
            File.CreateSymbolicLink(dir[$"model/{name}"], Path.Combine(trained, name));

        // When predict answers the file, its relative link and the folder as JSON
        var result = await SearchCli.RunAsync(dir.Path, "predict", "--model", dir["model"], "--format", "json",
            dir["digit.png"], dir["relative.png"], dir["nest"]);

        // Then every link is answered, with exit code 0, exactly as the file it points to
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        var answers = JsonNode.Parse(result.Stdout)!.AsArray();
        Assert.Equal([dir["digit.png"], dir["relative.png"], dir["nest/absolute.png"]], answers.Select(a => (string)a!["image"]!));
        Assert.All(answers, a => Assert.Null(a!["error"]));
        Assert.All(answers, a => Assert.Equal((int)answers[0]!["digit"]!, (int)a!["digit"]!));
        Assert.All(answers, a => Assert.Equal((double)answers[0]!["probability"]!, (double)a!["probability"]!));
    }
}
