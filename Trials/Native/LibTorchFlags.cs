using System.Runtime.InteropServices;

namespace Mnist.Trials.Native;

/// <summary>
/// Global libtorch switches that TorchSharp 0.107 does not expose, set through libtorch's own
/// exported C++ entry points (<c>at::globalContext()</c> and <c>at::Context</c> members).
/// </summary>
internal static class LibTorchFlags
{
    /// <summary>Set to 1 to keep libtorch's oneDNN CPU kernels (off by default, see <see cref="ConfigureCpuKernels"/>).</summary>
    public const string OneDnnVariable = "MNIST_SEARCH_ONEDNN";

    /// <summary>
    /// Chooses the CPU convolution kernels for training and inference and returns whether oneDNN is on.
    /// oneDNN is off unless <see cref="OneDnnVariable"/> is 1, because training on it diverges at random
    /// (TorchSharp 0.107, libtorch 2.10, this AMD EPYC): bench/trials/onednn.sh (2026-12-06, 4 seeds) ended
    /// 1 of 4 runs of conv 11/78 and 2 of 4 of the default space's middle model with "loss is NaN", none with
    /// ATen's kernels. The NaN shows in the gradients of the first convolution (18-72 of its weights) and of its
    /// BatchNorm, and in the forward pass too (a NaN loss with every gradient before it finite, so inference is
    /// not safe either); the same batch recomputed is finite and which seed fails changes between invocations: it reads memory
    /// it should not; it is not AVX-512 code (oneDNN held to AVX2 failed 6 of 8 runs) nor glibc's heap tuning
    /// (<see cref="ProcessMemory.TuneNativeHeap"/> off: still NaN). oneDNN is the faster, 1.26-1.37x on one
    /// thread: the price of the workaround, to win back once a TorchSharp upgrade passes that benchmark.
    /// </summary>
    public static bool ConfigureCpuKernels()
    {
        // NNPACK cannot initialise on x86 CPUs like this one, and libtorch retries (and logs a warning
        // to stderr) on every convolution it would have used it for: hundreds of lines per trial log.
        TrySetNnpackEnabled(false);
        bool wanted = Environment.GetEnvironmentVariable(OneDnnVariable) == "1";
        if (!TrySetMkldnnEnabled(wanted)) return MkldnnEnabled() ?? true;
        return wanted;
    }

    private const string GlobalContextSymbol = "_ZN2at13globalContextEv";
    private const string SetUserEnabledMkldnnSymbol = "_ZN2at7Context20setUserEnabledMkldnnEb";
    private const string UserEnabledMkldnnSymbol = "_ZNK2at7Context17userEnabledMkldnnEv";
    private const string SetUserEnabledNnpackSymbol = "_ZN2at7Context20setUserEnabledNNPACKEb";
    private const string UserEnabledNnpackSymbol = "_ZNK2at7Context17userEnabledNNPACKEv";

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContextFn();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetBoolFn(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool value);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.I1)]
    private delegate bool GetBoolFn(IntPtr context);

    /// <summary>
    /// Turns libtorch's oneDNN (MKLDNN) CPU kernels on or off, like PyTorch's
    /// <c>torch.backends.mkldnn.enabled</c>. Returns false when libtorch's symbols cannot be found
    /// (then nothing changed). Call after TorchSharp has loaded libtorch (any <c>torch.*</c> call).
    /// </summary>
    public static bool TrySetMkldnnEnabled(bool enabled) => TrySet(SetUserEnabledMkldnnSymbol, enabled);

    /// <summary>Whether oneDNN kernels are enabled, or null when libtorch's symbols cannot be found.</summary>
    public static bool? MkldnnEnabled() => TryGet(UserEnabledMkldnnSymbol);

    /// <summary>Turns libtorch's NNPACK convolutions on or off (<c>torch.backends.nnpack</c>); false when the symbols are missing.</summary>
    public static bool TrySetNnpackEnabled(bool enabled) => TrySet(SetUserEnabledNnpackSymbol, enabled);

    /// <summary>Whether NNPACK is enabled, or null when libtorch's symbols cannot be found.</summary>
    public static bool? NnpackEnabled() => TryGet(UserEnabledNnpackSymbol);

    private static bool TrySet(string setter, bool value)
    {
        if (!TryExport(GlobalContextSymbol, out var globalContext) || !TryExport(setter, out var set))
            return false;
        var context = Marshal.GetDelegateForFunctionPointer<GlobalContextFn>(globalContext)();
        Marshal.GetDelegateForFunctionPointer<SetBoolFn>(set)(context, value);
        return true;
    }

    private static bool? TryGet(string getter)
    {
        if (!TryExport(GlobalContextSymbol, out var globalContext) || !TryExport(getter, out var get))
            return null;
        var context = Marshal.GetDelegateForFunctionPointer<GlobalContextFn>(globalContext)();
        return Marshal.GetDelegateForFunctionPointer<GetBoolFn>(get)(context);
    }

    // libtorch_cpu is already loaded by TorchSharp; loading it again by name returns the same handle.
    private static readonly Lazy<IntPtr> LibTorchCpu = new(() =>
    {
        foreach (var name in new[] { "libtorch_cpu.so", "libtorch_cpu" })
        {
            if (NativeLibrary.TryLoad(name, typeof(TorchSharp.torch).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out var library))
                return library;
        }
        return IntPtr.Zero;
    });

    private static bool TryExport(string symbol, out IntPtr address)
    {
        address = IntPtr.Zero;
        return LibTorchCpu.Value != IntPtr.Zero && NativeLibrary.TryGetExport(LibTorchCpu.Value, symbol, out address);
    }
}
