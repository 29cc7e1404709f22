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
/// Why (`dotnet run -c Release --project bench/onednn`, bench/onednn/results/20261206T054100-onednn.txt; TorchSharp 0.107,
/// libtorch 2.10, this machine's AMD EPYC): oneDNN's AVX-512 convolutions are wrong when a layer's input channel count
/// is not a multiple of 16 — input gradients of 11→78, 11→22, 22→45 and 8→24 channels off by 16-42 % of their largest
/// value, the output of 22→45 by 35 % — and held to AVX2 (8 floats wide) the outputs of 11→78, 11→22 and 22→45 by
/// 27-37 %; every wrong one also reads memory it never wrote, which gave the "loss is NaN at random steps" of earlier
/// measurements whenever the heap held NaN bit patterns there. 16→80 and 32→64 come out right (and 1.4-3.9x faster
/// than libtorch's own kernels), so does oneDNN held to SSE4.1 (slower). The search space draws any channel count, so
/// a fixed list of shapes would prove little: the network itself, at the batch sizes it will run, is what is checked.
/// </remarks>
internal static class OneDnnCheck
{
    /// <summary>
    /// Largest difference allowed, relative to the largest magnitude of the tensor compared. Kernels that sum in another
    /// order differ by about 1e-6 per convolution; through a network with BatchNorm, whose backward subtracts large
    /// sums, oneDNN's SSE4.1 kernels (right per convolution) left a conv weight's gradient 1 % off at a batch of 256
    /// (a test run of 2026-12-06 at a 1 % tolerance refused them). The wrong kernels are 13 % and more off per
    /// convolution, less once diluted through a network; the junk fill is the first line against them: every wrong
    /// kernel measured also reads memory it never wrote, which it turns into NaN.
    /// </summary>
    public const double Tolerance = 0.05;

    /// <summary>
    /// Where <see cref="LibTorchFlags.OneDnnAsked"/>, <see cref="Compare"/>s the network and records the verdict (a
    /// refusal holds for the rest of the process; a check that throws refuses); then
    /// <see cref="LibTorchFlags.ConfigureCpuKernels"/>. Returns whether oneDNN is on and, when it was refused, why (also
    /// written to <paramref name="notes"/> as a one-line note).
    /// The verdict is the process's, not the network's: call it once, for the one network the process runs (a worker
    /// process runs one trial or one command).
    /// </summary>
    public static (bool OneDnn, string? Refused) ConfigureCheckedCpuKernels(Func<nn.Module<Tensor, Tensor>> make, long[] sampleShape,
        int classes, IEnumerable<int> trainingBatchSizes, IEnumerable<int> inferenceBatchSizes, TextWriter notes,
        IEnumerable<int>? trainingForwardBatchSizes = null)
    {
        string? why = null;
        if (LibTorchFlags.OneDnnAsked)
        {
            why = LibTorchFlags.OneDnnRefusal;
            if (why is null)
            {
                try { why = Compare(make, sampleShape, classes, trainingBatchSizes, inferenceBatchSizes, trainingForwardBatchSizes); }
                catch (Exception e) { why = $"the check itself failed ({e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")})"; }
            }
            if (why is null) LibTorchFlags.AcceptOneDnn();
            else LibTorchFlags.RefuseOneDnn(why);
        }
        bool on = LibTorchFlags.ConfigureCpuKernels();
        if (why is not null)
            notes.WriteLine(on
                ? $"note: {LibTorchFlags.OneDnnVariable}=1 and oneDNN stays on unchecked (libtorch's default): {why}"
                : $"note: {LibTorchFlags.OneDnnVariable}=1 but oneDNN is not used: {why}; running on libtorch's own kernels");
        return (on, why);
    }

    /// <summary>
    /// Runs <paramref name="make"/>'s network on oneDNN and on libtorch's own kernels at each batch size, in inference;
    /// at <paramref name="trainingForwardBatchSizes"/> also forward in training mode (dropout, BatchNorm on the batch's
    /// statistics: BatchNorm re-estimation), and at <paramref name="trainingBatchSizes"/> a whole training step (that
    /// forward and the loss's gradient of every parameter); returns null when every output and gradient agrees, else one line naming the
    /// first tensor that differs. <paramref name="make"/> must build the same network each time it is called after the
    /// same seed. Leaves oneDNN off, the junk and zero fills off and the global random generator as it found it.
    /// </summary>
    public static string? Compare(Func<nn.Module<Tensor, Tensor>> make, long[] sampleShape, int classes,
        IEnumerable<int> trainingBatchSizes, IEnumerable<int> inferenceBatchSizes, IEnumerable<int>? trainingForwardBatchSizes = null)
    {
        // A check whose switches do nothing would compare libtorch's kernels with themselves and accept.
        if (!LibTorchFlags.TrySetMkldnnEnabled(false) || !LibTorchFlags.TrySetJunkFill(false) || !LibTorchFlags.TrySetZeroFill(false))
            return "it cannot be checked: libtorch does not export the oneDNN switch or c10's fill flags";
        var steps = trainingBatchSizes.Where(b => b > 0).ToHashSet();
        var forwards = (trainingForwardBatchSizes ?? []).Where(b => b > 0).ToHashSet();
        var sizes = steps.Concat(forwards).Concat(inferenceBatchSizes.Where(b => b > 0)).Distinct().Order().ToList();
        if (sizes.Count == 0) return "it cannot be checked: no batch size to check it at";
        using var scope = NewDisposeScope();
        var rng = get_rng_state();
        try
        {
            foreach (int batch in sizes)
            {
                using var batchScope = NewDisposeScope();
                using var generator = new Generator(20261206);
                var x = randn([batch, .. sampleShape], generator: generator);
                var y = randint(classes, [batch], generator: generator);
                var mode = steps.Contains(batch) ? Mode.Step : forwards.Contains(batch) ? Mode.Forward : Mode.Inference;
                var oneDnn = Run(make, x, y, mode, oneDnn: true);
                var own = Run(make, x, y, mode, oneDnn: false);
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

    private enum Mode { Inference, Forward, Step }

    private static Dictionary<string, Tensor> Run(Func<nn.Module<Tensor, Tensor>> make, Tensor x, Tensor y, Mode mode, bool oneDnn)
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
            if (mode == Mode.Inference) return found;
            module.train();
            manual_seed(2);
            if (mode == Mode.Forward)
            {
                using (no_grad()) found["training output"] = module.forward(x).detach(); // as BatchNormCalibration runs it
                return found;
            }
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
        if (!isfinite(own).all().item<bool>())
            return "is NaN or infinite on libtorch's own kernels too, so oneDNN's cannot be checked against it";
        if (!isfinite(oneDnn).all().item<bool>())
            return "holds NaN or infinite values on oneDNN (none on libtorch's own kernels)";
        double scale = Math.Max(own.abs().max().item<float>(), 1e-12);
        double worst = oneDnn.sub(own).abs().max().item<float>();
        if (worst <= Tolerance * scale) return null;
        return $"differs by {worst / scale:P0} of its largest value between oneDNN and libtorch's own kernels";
    }
}
