using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Search.Tests.Support.Post;

/// <summary>
/// A small CNN laid out exactly as <c>Trials/Export/python/load_safetensors.py</c> documents (features /
/// classifier Sequentials with PyTorch child indices), standing in for the Trials model in export tests.
/// </summary>
internal static class PyTorchStyleCnn
{
    public sealed record Architecture(
        int[] ConvChannels, int KernelSize, bool BatchNorm, int[] FcWidths, double Dropout, int Classes = 10);

    public static nn.Module<Tensor, Tensor> Build(Architecture arch)
    {
        var features = new List<(string, nn.Module<Tensor, Tensor>)>();
        long channels = 1, size = 28;
        foreach (var outChannels in arch.ConvChannels)
        {
            Add(features, nn.Conv2d(channels, outChannels, arch.KernelSize, padding: arch.KernelSize / 2));
            if (arch.BatchNorm)
            {
                Add(features, nn.BatchNorm2d(outChannels));
            }

            Add(features, nn.ReLU());
            Add(features, nn.MaxPool2d(2));
            channels = outChannels;
            size /= 2;
        }

        var classifier = new List<(string, nn.Module<Tensor, Tensor>)>();
        Add(classifier, nn.Flatten());
        var last = channels * size * size;
        foreach (var width in arch.FcWidths)
        {
            Add(classifier, nn.Linear(last, width));
            Add(classifier, nn.ReLU());
            Add(classifier, nn.Dropout(arch.Dropout));
            last = width;
        }

        Add(classifier, nn.Linear(last, arch.Classes));
        return nn.Sequential(
            ("features", nn.Sequential(features)),
            ("classifier", nn.Sequential(classifier)));
    }

    /// <summary>The sidecar JSON the Python loader reads for this architecture.</summary>
    public static string SidecarJson(Architecture arch, double mean, double std)
    {
        var hyper = new Dictionary<string, object>
        {
            ["conv_layers"] = arch.ConvChannels.Length,
            ["kernel_size"] = arch.KernelSize,
            ["batch_norm"] = arch.BatchNorm,
            ["fc_layers"] = arch.FcWidths.Length,
            ["fc_width"] = arch.FcWidths[0],
            ["fc2_width"] = arch.FcWidths.Length > 1 ? arch.FcWidths[1] : 64,
            ["dropout"] = arch.Dropout,
        };
        for (var i = 0; i < arch.ConvChannels.Length; i++)
        {
            hyper[$"conv{i + 1}_channels"] = arch.ConvChannels[i];
        }

        return System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["architecture"] = hyper,
            ["input_shape"] = new[] { 1, 28, 28 },
            ["normalisation"] = new Dictionary<string, double> { ["mean"] = mean, ["std"] = std },
            ["class_names"] = Enumerable.Range(0, arch.Classes).Select(i => i.ToString()).ToArray(),
        });
    }

    private static void Add(List<(string, nn.Module<Tensor, Tensor>)> list, nn.Module<Tensor, Tensor> module)
        => list.Add((list.Count.ToString(), module));
}
