using Mnist.Search.Tests.Support.Trials;
using Mnist.Search.Tests.Trials.Model;
using Mnist.Search.Tests.Trials.Training;
using Mnist.Trials.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Search.Tests.Trials.Native;

/// <summary>
/// Guards against temporary TorchSharp <see cref="Scalar"/>s. A Scalar owns a native object that its finalizer frees;
/// one made for a single call (<c>t.add_(u)</c> passes a new Scalar 1 as <c>alpha</c>) is referenced by no one once its
/// handle is read, so a garbage collection started by another thread during the native call can finalize it and
/// libtorch reads freed memory. The test host aborted so twice: in TorchSharp's <c>Adam.step</c> (CI 2026-12-04,
/// <c>Expected false to be true … toFloat</c>) and in <c>BatchNorm.forward</c>'s <c>(double)num_batches_tracked</c>
/// (CI 2026-12-06, <c>… toDouble</c>). The crash needs a collection at the wrong instant, so only a scan of the IL
/// finds these deterministically (see <see cref="TemporaryScalarScan"/>).
/// </summary>
public sealed class TemporaryScalarTests
{
    private static readonly string TorchSharpDll = typeof(Scalar).Assembly.Location;

    [Fact]
    public void NoTrialsCodeLeavesATemporaryScalarToTheFinalizer()
    {
        // When
        var offences = TemporaryScalarScan.Offences(typeof(CnnModel).Assembly.Location, TorchSharpDll);

        // Then: hold the Scalar in a using local or a (static) field and pass it, e.g. add_(u, alpha: HeldScalars.One)
        Assert.True(offences.Count == 0, $"{offences.Count} temporary Scalars:\n{string.Join("\n", offences)}");
    }

    [Fact]
    public void NoTestCodeLeavesATemporaryScalarToTheFinalizerButWhereItComparesWithTorchSharpsOwn()
    {
        // Given the classes that make them on purpose: they compare with TorchSharp's own optimizers and BatchNorm, and
        // run alone (TorchRandomCollection), so no other test's allocations set off a collection meanwhile; and the
        // fixture below, which is never run
        string[] onPurpose = [typeof(GcSafeOptimizerTests).FullName!, typeof(GcSafeBatchNorm2dTests).FullName!, typeof(Offender).FullName!];

        // When
        var offences = TemporaryScalarScan.Offences(typeof(Offender).Assembly.Location, TorchSharpDll,
            name => !onPurpose.Any(type => name == type || name.StartsWith(type + "+", StringComparison.Ordinal)));

        // Then: the test host, where both crashes happened, makes none elsewhere
        Assert.True(offences.Count == 0, $"{offences.Count} temporary Scalars:\n{string.Join("\n", offences)}");
    }

    [Fact]
    public void WhenCodeMakesTemporaryScalarsThenTheScanListsEachOne()
    {
        // Given the Offender class below, compiled into this assembly
        string offender = typeof(Offender).FullName!;

        // When
        var offences = TemporaryScalarScan.Offences(typeof(Offender).Assembly.Location, TorchSharpDll,
            name => name == offender || name.StartsWith(offender + "+", StringComparison.Ordinal));

        // Then: the compiler's own names (<Lambda>b__0, <Async>d__3) are matched on their stable part
        Assert.Contains(offences, o => o.StartsWith("TemporaryScalarTests+Offender.Offend → TorchSharp torch.Tensor.add_(Tensor):") && o.EndsWith("(1)"));
        Assert.Contains(offences, o => o.StartsWith("TemporaryScalarTests+Offender.Offend → TorchSharp Scalar.op_Implicit(double):") && o.EndsWith("(3)"));
        Assert.Contains(offences, o => o.StartsWith("TemporaryScalarTests+Offender.Offend → TorchSharp torch.Tensor.op_Explicit(Tensor):") && o.EndsWith("(3)"));
        Assert.Contains(offences, o => o.StartsWith("TemporaryScalarTests+Offender.Offend → TorchSharp torch.nn.BatchNorm2d(") && o.EndsWith("(2)"));
        Assert.Contains(offences, o => o.StartsWith("TemporaryScalarTests+Offender+InheritedNorm → TorchSharp BatchNorm.forward(Tensor):") && o.EndsWith("(2)"));
        Assert.Contains(offences, o => o.StartsWith("TemporaryScalarTests+Offender.Optimise → TorchSharp torch.optim.Adam(") && o.Contains("whose step is Adam.step(") && o.EndsWith("(2)"));
        Assert.Contains(offences, o => o.StartsWith("TemporaryScalarTests+Offender+<>c__DisplayClass") && o.Contains(".<Lambda>b__") && o.Contains(" → TorchSharp torch.Tensor.add(Tensor):") && o.EndsWith("(1)"));
        Assert.Contains(offences, o => o.StartsWith("TemporaryScalarTests+Offender+<Async>d__") && o.Contains(".MoveNext → TorchSharp torch.Tensor.add_(Tensor):") && o.EndsWith("(1)"));
        Assert.Contains(offences, o => o.StartsWith("TemporaryScalarTests+Offender.<LocalFunction>g__Add|") && o.Contains(" → TorchSharp torch.Tensor.add(Tensor):") && o.EndsWith("(1)"));
        Assert.Contains(offences, o => o.StartsWith("TemporaryScalarTests+Offender.Unheld → TorchSharp Scalar.op_Implicit(double):") && o.EndsWith("(3)"));
        Assert.Equal(10, offences.Count); // and nothing in Holds
    }

    /// <summary>
    /// The scan's fixture: never run, only read. Offend, Optimise and InheritedNorm make each kind of temporary; Lambda,
    /// Async and LocalFunction one where the compiler moves the code; Unheld one in a local no using holds; Holds none.
    /// </summary>
    private static class Offender
    {
        public static double Offend(Tensor t, Tensor u)
        {
            t.add_(u); // (1): TorchSharp makes the Scalar 1 for alpha
            using var doubled = t.mul(2.0); // (3): the 2.0 becomes a Scalar that no one holds
            using var norm = torch.nn.BatchNorm2d(4); // (2): BatchNorm.forward makes temporaries
            return (double)doubled.sum(); // (3): read through Tensor.ToScalar()
        }

        public static void Optimise(nn.Module<Tensor, Tensor> model)
        {
            using var adam = torch.optim.Adam(model.parameters()); // (2): step names Optimizer.step and runs Adam.step
            adam.step();
        }

        public static Func<Tensor, Tensor> Lambda(Tensor u) => x => x.add(u); // (1), in a closure class

        public static async Task Async(Tensor t, Tensor u)
        {
            await Task.Yield();
            t.add_(u); // (1), in the state machine's MoveNext
        }

        public static Tensor LocalFunction(Tensor t, Tensor u)
        {
            return Add();

            Tensor Add() => t.add(u); // (1), in a method of its own
        }

        public static Tensor Unheld(Tensor t)
        {
            Scalar three = 3.0; // (3): a local without using is dead to the JIT once read, in a Release build
            return t.mul(three);
        }

        public static Tensor Holds(Tensor t, Tensor u)
        {
            using Scalar two = 2.0, one = 1;
            using var doubled = t.mul(two);
            return doubled.add_(u, one).mul(two);
        }

        // (2): a Sequential would run the forward it inherits from BatchNorm
        private sealed class InheritedNorm() : TorchSharp.Modules.BatchNorm(4, 1e-5, 0.1, true, true, null, null, "bn")
        {
            // An overload, not an override: forward(Tensor) is still BatchNorm's.
            public Tensor forward(Tensor input, Tensor other) => input;

            protected override void ValidateInputDimensions(Tensor input)
            {
            }
        }
    }
}
