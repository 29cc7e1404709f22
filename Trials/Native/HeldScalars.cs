using TorchSharp;

namespace Mnist.Trials.Native;

/// <summary>
/// Scalars that live as long as the process, for the calls where TorchSharp 0.107 would otherwise make a temporary
/// one: <c>t.add_(other)</c> is <c>t.add_(other, alpha: 1)</c> with a new <see cref="Scalar"/> for the 1, and so are
/// <c>add(s)</c>, <c>add_(s)</c> and <c>BatchNorm</c>'s step count.
/// </summary>
/// <remarks>
/// A temporary Scalar owns a native object that its finalizer frees, and no one references it once its handle has
/// been read: a garbage collection started by another thread during the native call can finalize it, and libtorch
/// then reads freed memory. The test host crashed so twice: in TorchSharp's <c>Adam.step</c> (CI 2026-12-04,
/// <c>Expected false to be true … toFloat</c>, see <see cref="Training.GcSafeOptimizer"/>) and in
/// <c>BatchNorm.forward</c>'s <c>(double)num_batches_tracked</c> (CI 2026-12-06, <c>… toDouble</c>, see
/// <see cref="Model.GcSafeBatchNorm2d"/>). A static field is never finalized, so these are safe anywhere.
/// </remarks>
internal static class HeldScalars
{
    /// <summary>The integer 1, the <c>alpha</c> TorchSharp passes when none is given.</summary>
    public static readonly Scalar One = 1;
}
