using Mnist.Inference.Onnx;
using Mnist.Trials.Data;
using Mnist.Trials.Export;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;
using Mnist.Trials.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Search.Tests.Support.Onnx;

/// <summary>
/// Tiny CNNs of the searched family, each trained for one real epoch on 8,192 MNIST training images (so BatchNorm's
/// running statistics are real), saved as a checkpoint folder with the ONNX export beside it. Trained once per
/// architecture and test class, on first use.
/// Why 8,192: on 2,048 images they scored 0.36–0.80 on 200 test images, and since other test classes draw from
/// TorchSharp's process-wide generator in parallel, the seed does not pin the result: a CI run once got only 5 of 12
/// digits right. On 8,192 they score 0.80–0.93, at about 1.5 s of training each.
/// </summary>
public sealed class TrainedCnns : IDisposable
{
    // Declared before Architectures: static fields initialise in text order.
    private static readonly Hyperparameters Base = new() { Optimizer = "adam", LearningRate = 0.003, BatchSize = 32 };

    /// <summary>1–4 conv blocks, with and without BatchNorm, 1–2 hidden FC layers, odd kernels 1–7, with and without dropout.</summary>
    internal static readonly IReadOnlyDictionary<string, Hyperparameters> Architectures = new Dictionary<string, Hyperparameters>
    {
        ["1conv-k3-fc1"] = Base with { ConvLayers = 1, Conv1Channels = 6, KernelSize = 3, BatchNorm = false, FcLayers = 1, FcWidth = 16, Dropout = 0 },
        ["2conv-k5-bn-fc2"] = Base with { ConvLayers = 2, Conv1Channels = 4, Conv2Channels = 8, KernelSize = 5, BatchNorm = true, FcLayers = 2, FcWidth = 24, Fc2Width = 12, Dropout = 0.25 },
        ["3conv-k7-fc2"] = Base with { ConvLayers = 3, Conv1Channels = 4, Conv2Channels = 6, Conv3Channels = 8, KernelSize = 7, BatchNorm = false, FcLayers = 2, FcWidth = 16, Fc2Width = 8, Dropout = 0 },
        ["4conv-k3-bn-fc1"] = Base with { ConvLayers = 4, Conv1Channels = 4, Conv2Channels = 6, Conv3Channels = 8, Conv4Channels = 10, KernelSize = 3, BatchNorm = true, FcLayers = 1, FcWidth = 16, Dropout = 0.5 },
        ["2conv-k1-bn-fc1"] = Base with { ConvLayers = 2, Conv1Channels = 5, Conv2Channels = 7, KernelSize = 1, BatchNorm = true, FcLayers = 1, FcWidth = 12, Dropout = 0 },
    };

    private readonly TempDirectory _dir = new("onnx-cnns");
    private readonly Dictionary<string, string> _folders = [];
    private readonly object _gate = new();

    /// <summary>The checkpoint folder (model.bin, model.json) with model.onnx beside it, for one architecture.</summary>
    public string Folder(string name)
    {
        lock (_gate)
        {
            if (!_folders.TryGetValue(name, out var folder))
            {
                folder = _dir[name];
                Train(Architectures[name], folder, DatasetInfo.Mnist, MnistFiles.Directory);
                _folders[name] = folder;
            }

            return folder;
        }
    }

    /// <summary>TorchSharp's logits for images of [0, 1] pixels, normalised as the sidecar says, from the saved checkpoint.</summary>
    public static float[][] TorchSharpLogits(string folder, float[][] images)
    {
        var (model, sidecar) = CheckpointIO.Load(folder);
        using (model)
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var input = tensor(images.SelectMany(i => i).ToArray(), [images.Length, 1, 28, 28]);
            using Scalar mean = sidecar.Normalization.Mean, std = sidecar.Normalization.Std; // held (see HeldScalars)
            var logits = model.forward((input - mean) / std);
            var flat = logits.data<float>().ToArray();
            return Enumerable.Range(0, images.Length).Select(i => flat[(i * 10)..((i + 1) * 10)]).ToArray();
        }
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Trains <paramref name="hp"/> on the first 8,192 training images of <paramref name="dataset"/> (IDX files in <paramref name="dataDir"/>).</summary>
    internal static void Train(Hyperparameters hp, string folder, DatasetInfo dataset, string dataDir)
    {
        const int count = 8192;
        var (pixels, labels) = MnistFiles.Read(dataDir, train: true, count);
        using var train = DatasetLoader.FromBytes(pixels, labels, count, dataset.Mean, dataset.Std);
        torch.set_num_threads(1);
        torch.manual_seed(11);
        using var model = new CnnModel(hp);
        using (var trainer = new Trainer(model, train, hp, epochs: 1, seed: 11, background: -dataset.Mean / dataset.Std))
            trainer.TrainEpoch(1, () => false);
        model.eval();
        var sidecar = new ModelSidecar
        {
            Architecture = hp,
            InputShape = [1, 28, 28],
            Normalization = new NormalizationInfo(dataset.Mean, dataset.Std),
            ClassNames = dataset.ClassNames,
            Dataset = dataset.Name,
            EpochsRun = 1,
            CreatedUtc = DateTimeOffset.UtcNow,
        };
        CheckpointIO.Save(folder, model, sidecar);
        OnnxModelFile.Write(OnnxExport.Build(model, sidecar, new Dictionary<string, string> { ["study"] = "unit", ["trial"] = "0" }), Path.Combine(folder, OnnxSchema.FileName));
    }
}
