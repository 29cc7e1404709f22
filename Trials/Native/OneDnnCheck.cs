using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Trials.Native;

/// <summary>
/// Verifies libtorch's oneDNN CPU kernels on the very network about to run before they are trusted with it: the same
/// module, input and dropout masks run once on oneDNN and once on libtorch's own kernels, and oneDNN is refused unless
/// every output (and, for training, every parameter's gradient) agrees within <see cref="Tolerance"/>. oneDNN's pass
/// runs with c10's junk fill on (every new CPU tensor filled with NaN), so a kernel that reads memory it never wrote
/// shows as NaN rather than as whatever the heap happened to hold.
/// </summary>
/// <remarks>
/// Why (bench/onednn-probe, 2026-12-06, TorchSharp 0.107 / libtorch 2.10 on this machine's AMD EPYC): oneDNN's AVX2 and
/// AVX-512 convolutions compute wrong results whenever a channel count is not a multiple of their vector width (16
/// floats; 8 under AVX2): input gradients off by 16-67 % of their largest value (11 to 78 channels, 8 to 24, ...), the
/// forward pass of 22 to 45 channels off by 38 %, and they read memory they never wrote, which gave the "loss is NaN at
/// random steps" of earlier measurements whenever the heap held NaN bit patterns there. 16 to 80 channels, and oneDNN
/// held to SSE4.1 (slower than libtorch's own kernels), agree. The search space is full of such channel counts, so a
/// fixed list of shapes would prove little: the network itself, at the batch sizes it will see, is what is checked.
/// </remarks>
internal static class OneDnnCheck
{
    /// <summary>
    /// Largest difference allowed, relative to the largest magnitude of the tensor compared. Kernels that sum in another
    /// order differ by about 1e-6 here; the wrong ones by 0.16 and more.
    /// </summary>
    public const double Tolerance = 1e-2;

    /// <summary>
    /// <see cref="LibTorchFlags.ConfigureCpuKernels"/>, then, where that keeps oneDNN (asked for with
    /// <see cref="LibTorchFlags.OneDnnVariable"/>), <see cref="Compare"/>: oneDNN stays on only if the network agrees,
    /// and a refusal holds for the rest of the process. Returns whether oneDNN is on and, if it was refused, why.
    /// </summary>
    public static (bool OneDnn, string? Refused) ConfigureCpuKernels(Func<nn.Module<Tensor, Tensor>> make, long[] sampleShape,
        int classes, IEnumerable<int> batchSizes, bool training)
    {
        if (!LibTorchFlags.ConfigureCpuKernels()) return (false, null);
        string? why = Compare(make, sampleShape, classes, batchSizes, training);
        if (why is not null)
        {
            LibTorchFlags.RefuseOneDnn();
            return (false, why);
        }
        LibTorchFlags.TrySetMkldnnEnabled(true);
        return (true, null);
    }

    /// <summary>
    /// Runs <paramref name="make"/>'s network on oneDNN and on libtorch's own kernels, for each of
    /// <paramref name="batchSizes"/>, and returns null when every output agrees (with <paramref name="training"/>, also
    /// the loss's gradient of every parameter, dropout and BatchNorm in training mode), else one line naming the first
    /// tensor that differs. <paramref name="make"/> must build the same network each time it is called after the same
    /// seed. Leaves oneDNN off, the junk and zero fills off and the global random generator as it found it.
    /// </summary>
    public static string? Compare(Func<nn.Module<Tensor, Tensor>> make, long[] sampleShape, int classes,
        IEnumerable<int> batchSizes, bool training)
    {
        using var scope = NewDisposeScope();
        var rng = get_rng_state();
        try
        {
            foreach (int batch in batchSizes.Where(b => b > 0).Distinct().Order())
            {
                using var batchScope = NewDisposeScope();
                using var generator = new Generator(20261206);
                var x = randn([batch, .. sampleShape], generator: generator);
                var y = randint(classes, [batch], generator: generator);
                var oneDnn = Run(make, x, y, training, oneDnn: true);
                var own = Run(make, x, y, training, oneDnn: false);
                foreach (var (name, tensor) in own)
                {
                    string? difference = Difference(oneDnn[name], tensor);
                    if (difference is not null)
                        return $"the {name} {difference} at batch size {batch}";
                }
            }
            return null;
        }
        finally
        {
            LibTorchFlags.TrySetMkldnnEnabled(false);
            LibTorchFlags.TrySetJunkFill(false);
            LibTorchFlags.TrySetZeroFill(false);
            set_rng_state(rng);
        }
    }

    private static Dictionary<string, Tensor> Run(Func<nn.Module<Tensor, Tensor>> make, Tensor x, Tensor y, bool training, bool oneDnn)
    {
        // The same weights and dropout masks on both passes: the same seed before building and before each forward.
        manual_seed(1);
        using var module = make();
        LibTorchFlags.TrySetMkldnnEnabled(oneDnn);
        // oneDNN's pass reads NaN where it reads memory it never wrote; the reference pass reads zeros there, so memory
        // the first pass freed (and junk filled) cannot make the reference look as wrong.
        LibTorchFlags.TrySetJunkFill(oneDnn);
        LibTorchFlags.TrySetZeroFill(!oneDnn);
        try
        {
            var found = new Dictionary<string, Tensor>();
            module.eval();
            using (no_grad())
                found["inference output"] = module.forward(x).detach();
            if (!training) return found;
            module.train();
            manual_seed(2);
            var output = module.forward(x);
            found["training output"] = output.detach();
            F.cross_entropy(output, y).backward();
            foreach (var (name, parameter) in module.named_parameters())
                if (parameter.grad is { } grad) found[$"gradient of {name}"] = grad.detach().clone();
            return found;
        }
        finally
        {
            LibTorchFlags.TrySetJunkFill(false);
            LibTorchFlags.TrySetZeroFill(false);
        }
    }

    private static string? Difference(Tensor oneDnn, Tensor own)
    {
        if (!isfinite(oneDnn).all().item<bool>())
            return isfinite(own).all().item<bool>() ? "holds NaN or infinite values on oneDNN (none on libtorch's own kernels)" : null;
        double scale = own.abs().max().item<float>();
        double worst = oneDnn.sub(own).abs().max().item<float>();
        if (worst <= Tolerance * Math.Max(scale, 1e-12)) return null;
        return $"differs by {worst / Math.Max(scale, 1e-12):P0} of its largest value between oneDNN and libtorch's own kernels";
    }
}
