using System.Globalization;
using Mnist.Inference.Onnx;
using Mnist.Trials.Model;
using Onnx;
using static TorchSharp.torch;

namespace Mnist.Trials.Export;

/// <summary>
/// Turns a loaded <see cref="CnnModel"/> and its sidecar into the ONNX model (<see cref="CnnOnnxGraph"/>): copies the
/// trained tensors out of libtorch and states the input contract, dataset and accuracy in the metadata.
/// </summary>
internal static class OnnxExport
{
    /// <param name="provenance">Extra metadata, e.g. the study and trial the caller exports (added to the sidecar's own).</param>
    public static ModelProto Build(CnnModel model, ModelSidecar sidecar, IReadOnlyDictionary<string, string>? provenance = null)
    {
        var facts = new Dictionary<string, string>
        {
            ["dataset"] = sidecar.Dataset,
            ["full_train"] = sidecar.FullTrain ? "true" : "false",
            ["epochs_run"] = sidecar.EpochsRun.ToString(CultureInfo.InvariantCulture),
        };
        if (sidecar.ValAccuracy is { } val) facts["val_accuracy"] = val.ToString("R", CultureInfo.InvariantCulture);
        foreach (var (key, value) in provenance ?? new Dictionary<string, string>()) facts[key] = value;

        var contract = new ModelContract(sidecar.InputShape[^1], sidecar.Normalization.Mean, sidecar.Normalization.Std, sidecar.ClassNames, facts);
        return CnnOnnxGraph.Build(Weights(model), contract);
    }

    /// <summary>The trained tensors of <paramref name="model"/>, copied to managed arrays (BatchNorm in inference form).</summary>
    public static CnnWeights Weights(CnnModel model)
    {
        var padding = CnnModel.Padding(model.Hyperparameters.KernelSize);
        var blocks = model.ConvBlocks.Select(b => new ConvBlockWeights(
            Copy(b.Conv.weight!),
            b.Conv.bias is { } bias ? Copy(bias) : null,
            b.Norm is { } bn ? new BatchNormWeights(Copy(bn.weight!), Copy(bn.bias!), Copy(bn.running_mean!), Copy(bn.running_var!), bn.eps) : null,
            padding,
            CnnModel.PoolSize)).ToList();
        var dense = model.DenseLayers.Select(l => new DenseWeights(Copy(l.weight!), Copy(l.bias!))).ToList();
        return new CnnWeights(blocks, dense[..^1], dense[^1]);
    }

    private static WeightTensor Copy(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return new WeightTensor(cpu.shape, cpu.data<float>().ToArray());
    }
}
