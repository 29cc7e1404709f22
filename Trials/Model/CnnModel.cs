using Mnist.Trials.Data;
using Mnist.Trials.Protocol;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Mnist.Trials.Model;

/// <summary>
/// The searched CNN: <c>conv_layers</c> blocks of Conv2d (same padding) → [BatchNorm2d] → ReLU →
/// MaxPool2d(2), then <c>fc_layers</c> hidden Linear → ReLU → Dropout layers and a final Linear to
/// the 10 classes. Input <c>[N,1,28,28]</c> normalised images, output <c>[N,10]</c> logits.
/// Parameter names are stable (<c>features.conv1.weight</c>, <c>classifier.fc1.bias</c>, ...) so a
/// state dict saved by one build loads into another built from the same hyperparameters.
/// </summary>
internal sealed class CnnModel : Module<Tensor, Tensor>
{
    /// <summary>Max-pooling window (and stride) after every conv block.</summary>
    public const int PoolSize = 2;

    private readonly Sequential features;
    private readonly Sequential classifier;
    private readonly List<(Conv2d Conv, GcSafeBatchNorm2d? Norm)> convBlocks = [];
    private readonly List<Linear> denseLayers = [];

    public CnnModel(Hyperparameters hp, int numClasses = IdxReader.ClassCount, int imageSide = IdxReader.ImageSide)
        : base(nameof(CnnModel))
    {
        Hyperparameters = hp;
        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        int inChannels = 1;
        int side = imageSide;
        for (int i = 0; i < hp.ConvLayers; i++)
        {
            int n = i + 1;
            int outChannels = hp.ConvChannels[i];
            // BatchNorm has its own shift, so the conv bias would be redundant.
            var conv = Conv2d(inChannels, outChannels, hp.KernelSize, padding: Padding(hp.KernelSize), bias: !hp.BatchNorm);
            var norm = hp.BatchNorm ? new GcSafeBatchNorm2d(outChannels) : null;
            convBlocks.Add((conv, norm));
            blocks.Add(($"conv{n}", conv));
            if (norm is not null) blocks.Add(($"bn{n}", norm));
            blocks.Add(($"relu{n}", ReLU()));
            blocks.Add(($"pool{n}", MaxPool2d(PoolSize)));
            inChannels = outChannels;
            side /= 2;
        }
        if (side < 1)
            throw new ArgumentException($"{hp.ConvLayers} pooling blocks shrink a {imageSide}x{imageSide} image to nothing");
        features = Sequential(blocks);

        var head = new List<(string, Module<Tensor, Tensor>)> { ("flatten", Flatten()) };
        long inFeatures = (long)inChannels * side * side;
        for (int i = 0; i < hp.FcWidths.Count; i++)
        {
            int n = i + 1;
            var fc = Linear(inFeatures, hp.FcWidths[i]);
            denseLayers.Add(fc);
            head.Add(($"fc{n}", fc));
            head.Add(($"relu{n}", ReLU()));
            if (hp.Dropout > 0) head.Add(($"dropout{n}", Dropout(hp.Dropout)));
            inFeatures = hp.FcWidths[i];
        }
        var output = Linear(inFeatures, numClasses);
        denseLayers.Add(output);
        head.Add(("out", output));
        classifier = Sequential(head);
        RegisterComponents();
    }

    public Hyperparameters Hyperparameters { get; }

    /// <summary>The conv layers in order, each with its BatchNorm (null without <c>batch_norm</c>); for exporters.</summary>
    public IReadOnlyList<(Conv2d Conv, GcSafeBatchNorm2d? Norm)> ConvBlocks => convBlocks;

    /// <summary>The fully connected layers in order, the output layer last; for exporters.</summary>
    public IReadOnlyList<Linear> DenseLayers => denseLayers;

    /// <summary>Zero padding on each side of a conv layer: "same" size for odd kernels.</summary>
    public static int Padding(int kernelSize) => kernelSize / 2;

    public override Tensor forward(Tensor input)
    {
        // NOTE: do not dispose the feature map here. Autograd still needs it for the backward pass, and
        // disposing it early freed memory that the backward read back as garbage: NaN gradients in the first
        // layers at random steps. The training step's dispose scope frees it after the step.
        return classifier.forward(features.forward(input));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            features.Dispose();
            classifier.Dispose();
        }
        base.Dispose(disposing);
    }
}
