using Mnist.Trials.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mnist.Trials.Training;

/// <summary>
/// Adam and SGD (with momentum and weight decay) computed op for op as TorchSharp 0.107's <c>torch.optim.Adam</c> and
/// <c>torch.optim.SGD</c> compute them, so training gives the same parameters bit for bit (a test checks it), but with
/// every <see cref="Scalar"/> alive until the native call that reads it has returned.
/// </summary>
/// <remarks>
/// TorchSharp's own step passes doubles where libtorch takes a Scalar (<c>mul_(beta1)</c>, <c>add_(grad, alpha: 1 -
/// beta1)</c>, …): each becomes a temporary <see cref="Scalar"/> that owns a native object and frees it in its
/// finalizer, and that no one references once its handle has been read. A garbage collection started by another
/// thread during the native call can then finalize it, and libtorch reads freed memory: CI (2026-12-04) failed in
/// Adam.step of a test fixture training in the test host, <c>Expected false to be true … toFloat</c>; a reused block
/// would instead give a wrong coefficient silently. Here the constant coefficients live as long as the optimizer and a
/// step's own are disposed after the step, so no Scalar is ever left to a finalizer.
/// </remarks>
internal sealed class GcSafeOptimizer : IDisposable
{
    private readonly Parameter[] parameters;
    private readonly Tensor?[] first;   // Adam: exp_avg; SGD: the momentum buffer (made from the first gradient)
    private readonly Tensor?[] second;  // Adam: exp_avg_sq
    private readonly bool adam;
    private readonly double beta1, beta2, eps, momentum, weightDecay;
    private readonly Scalar beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, epsScalar, momentumScalar, oneMinusDampening, weightDecayScalar;
    private readonly long[] steps; // per parameter, counted only when it has a gradient (as TorchSharp's Adam counts)

    private GcSafeOptimizer(IEnumerable<Parameter> parameters, bool adam, double learningRate, double momentum, double weightDecay)
    {
        if (learningRate < 0) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be >= 0");
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be >= 0");
        if (weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "must be >= 0");
        this.parameters = [.. parameters];
        this.adam = adam;
        LearningRate = learningRate;
        (beta1, beta2, eps) = (0.9, 0.999, 1e-8); // TorchSharp's and PyTorch's defaults, which the worker always used
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        beta1Scalar = beta1.ToScalar();
        oneMinusBeta1 = (1 - beta1).ToScalar();
        beta2Scalar = beta2.ToScalar();
        oneMinusBeta2 = (1 - beta2).ToScalar();
        epsScalar = eps.ToScalar();
        momentumScalar = momentum.ToScalar();
        oneMinusDampening = (1 - 0.0).ToScalar();
        weightDecayScalar = weightDecay.ToScalar();
        steps = new long[this.parameters.Length];
        first = new Tensor?[this.parameters.Length];
        second = new Tensor?[this.parameters.Length];
        if (adam)
            for (var i = 0; i < this.parameters.Length; i++)
            {
                first[i] = zeros_like(this.parameters[i]).DetachFromDisposeScope();
                second[i] = zeros_like(this.parameters[i]).DetachFromDisposeScope();
            }
    }

    public static GcSafeOptimizer Adam(IEnumerable<Parameter> parameters, double learningRate, double weightDecay = 0) =>
        new(parameters, adam: true, learningRate, momentum: 0, weightDecay);

    public static GcSafeOptimizer Sgd(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0, double weightDecay = 0) =>
        new(parameters, adam: false, learningRate, momentum, weightDecay);

    /// <summary>The rate the next <see cref="Step"/> uses (the schedule sets it before every step).</summary>
    public double LearningRate { get; set; }

    public void ZeroGrad()
    {
        foreach (var p in parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    public void Step()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        if (adam) AdamStep();
        else SgdStep();
    }

    private void AdamStep()
    {
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var grad = p.grad;
            if (grad is null) continue;
            steps[i]++;
            var biasCorrection1 = 1 - Math.Pow(beta1, steps[i]);
            var biasCorrection2 = 1 - Math.Pow(beta2, steps[i]);
            using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
            using var stepSize = (-(LearningRate / biasCorrection1)).ToScalar();
            if (weightDecay != 0) grad = grad.add(p, alpha: weightDecayScalar);
            first[i]!.mul_(beta1Scalar).add_(grad, alpha: oneMinusBeta1);
            second[i]!.mul_(beta2Scalar).addcmul_(grad, grad.conj(), value: oneMinusBeta2);
            var denom = second[i]!.sqrt().div(sqrtBiasCorrection2).add_(epsScalar, alpha: HeldScalars.One);
            p.addcdiv_(first[i]!, denom, value: stepSize);
        }
    }

    private void SgdStep()
    {
        using var minusRate = (-LearningRate).ToScalar();
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var grad = p.grad;
            if (grad is null) continue;
            if (weightDecay != 0) grad = grad.add(p, alpha: weightDecayScalar);
            if (momentum != 0)
            {
                if (first[i] is null) first[i] = grad.clone().detach().DetachFromDisposeScope();
                else first[i]!.mul_(momentumScalar).add_(grad, alpha: oneMinusDampening);
                grad = first[i]!;
            }
            p.add_(grad, alpha: minusRate);
        }
    }

    public void Dispose()
    {
        foreach (var t in first.Concat(second)) t?.Dispose();
        foreach (var s in new[] { beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, epsScalar, momentumScalar, oneMinusDampening, weightDecayScalar })
            s.Dispose();
    }
}
