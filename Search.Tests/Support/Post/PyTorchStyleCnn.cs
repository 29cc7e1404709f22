using Mnist.Trials.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Search.Tests.Support.Post;

/// <summary>
/// A small CNN laid out exactly as <c>Trials/Export/python/load_safetensors.py</c> documents (features /
/// classifier Sequentials with PyTorch child indices), standing in for the Trials model in export tests.
/// </summary>
internal static class PyTorchStyleCnn
{
    /// <param name="NamedChildren">Name children conv1/bn1/…/fc1/out instead of 0, 1, 2 (a tolerated variant).</param>
    /// <param name="TrimmedLayers">Drop the conv bias before BatchNorm and the Dropout module when dropout is 0
    /// (tolerated variants).</param>
    public sealed record Architecture(
        int[] ConvChannels,
        int KernelSize,
        bool BatchNorm,
        int[] FcWidths,
        double Dropout,
        int Classes = 10,
        bool NamedChildren = false,
        bool TrimmedLayers = false);

    public static nn.Module<Tensor, Tensor> Build(Architecture arch)
    {
        var features = new List<(string, nn.Module<Tensor, Tensor>)>();
        long channels = 1, size = 28;
        for (var i = 1; i <= arch.ConvChannels.Length; i++)
        {
            var outChannels = arch.ConvChannels[i - 1];
            var bias = !(arch.TrimmedLayers && arch.BatchNorm);
            Add(features, $"conv{i}", nn.Conv2d(channels, outChannels, arch.KernelSize, padding: arch.KernelSize / 2, bias: bias));
            if (arch.BatchNorm)
            {
                // The worker's BatchNorm: TorchSharp's own leaves temporary Scalars to the finalizer in training (see HeldScalars).
                Add(features, $"bn{i}", new GcSafeBatchNorm2d(outChannels));
            }

            Add(features, $"relu{i}", nn.ReLU());
            Add(features, $"pool{i}", nn.MaxPool2d(2));
            channels = outChannels;
            size /= 2;
        }

        var classifier = new List<(string, nn.Module<Tensor, Tensor>)>();
        Add(classifier, "flatten", nn.Flatten());
        var last = channels * size * size;
        for (var i = 1; i <= arch.FcWidths.Length; i++)
        {
            Add(classifier, $"fc{i}", nn.Linear(last, arch.FcWidths[i - 1]));
            Add(classifier, $"relu{i}", nn.ReLU());
            if (!(arch.TrimmedLayers && arch.Dropout == 0))
            {
                Add(classifier, $"dropout{i}", nn.Dropout(arch.Dropout));
            }

            last = arch.FcWidths[i - 1];
        }

        Add(classifier, "out", nn.Linear(last, arch.Classes));
        return nn.Sequential(
            ("features", nn.Sequential(features)),
            ("classifier", nn.Sequential(classifier)));

        void Add(List<(string, nn.Module<Tensor, Tensor>)> list, string name, nn.Module<Tensor, Tensor> module)
            => list.Add((arch.NamedChildren ? name : list.Count.ToString(), module));
    }

    /// <summary>The sidecar JSON the Python loader reads for this architecture.</summary>
    public static string SidecarJson(Architecture arch, double mean, double std, string normalisationKey = "normalisation")
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
            [normalisationKey] = new Dictionary<string, double> { ["mean"] = mean, ["std"] = std },
            ["class_names"] = Enumerable.Range(0, arch.Classes).Select(i => i.ToString()).ToArray(),
        });
    }

}
