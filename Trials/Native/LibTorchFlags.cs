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

    /// <summary>Whether <see cref="OneDnnVariable"/> asks for oneDNN (it is used only where <see cref="OneDnnCheck"/> accepts it).</summary>
    public static bool OneDnnAsked => Environment.GetEnvironmentVariable(OneDnnVariable) == "1";

    /// <summary>
    /// Chooses the CPU convolution kernels for training and inference and returns whether oneDNN is on: only when
    /// <see cref="OneDnnAsked"/> and this process's <see cref="OneDnnCheck"/> accepted it for the network it runs;
    /// libtorch's own kernels otherwise. Off by default because on this machine (TorchSharp 0.107, libtorch 2.10, AMD
    /// EPYC) oneDNN's convolutions are wrong for most channel counts and read memory they never wrote (see
    /// <see cref="OneDnnCheck"/>); where it is right (channel counts that are multiples of 16) it trained 1.52x faster.
    /// </summary>
    public static bool ConfigureCpuKernels()
    {
        // NNPACK cannot initialise on x86 CPUs like this one, and libtorch retries (and logs a warning
        // to stderr) on every convolution it would have used it for: hundreds of lines per trial log.
        TrySetNnpackEnabled(false);
        bool wanted = OneDnnAsked && oneDnnAccepted && OneDnnRefusal is null;
        if (!TrySetMkldnnEnabled(wanted)) return MkldnnEnabled() ?? true;
        return wanted;
    }

    // The verdict is process-wide, like the switch itself: a worker process runs one network. A refusal is final and
    // wins over an acceptance (a later check of another network in the same process).
    private static volatile bool oneDnnAccepted;

    /// <summary>Why oneDNN was refused in this process, or null.</summary>
    internal static string? OneDnnRefusal { get; private set; }

    /// <summary>Records that <see cref="OneDnnCheck"/> found oneDNN right for the network this process runs.</summary>
    internal static void AcceptOneDnn() => oneDnnAccepted = true;

    /// <summary>Turns oneDNN off for the rest of the process, whatever <see cref="OneDnnVariable"/> says.</summary>
    internal static void RefuseOneDnn(string why)
    {
        OneDnnRefusal ??= why;
        TrySetMkldnnEnabled(false);
    }

    /// <summary>For tests that run checks in one process: forgets the verdict.</summary>
    internal static void ForgetOneDnnVerdict()
    {
        oneDnnAccepted = false;
        OneDnnRefusal = null;
    }

    private const string JunkFillSymbol = "FLAGS_caffe2_cpu_allocator_do_junk_fill";

    /// <summary>
    /// Sets c10's <c>caffe2_cpu_allocator_do_junk_fill</c>: every CPU tensor allocated while it is on starts filled with
    /// junk that reads as NaN, so a kernel reading memory it never wrote gives NaN. Returns false when libc10 does
    /// not export the flag (then nothing changed).
    /// </summary>
    public static bool TrySetJunkFill(bool on) => TrySetC10Flag(JunkFillSymbol, on);

    private const string ZeroFillSymbol = "FLAGS_caffe2_cpu_allocator_do_zero_fill";

    /// <summary>Sets c10's <c>caffe2_cpu_allocator_do_zero_fill</c> (new CPU tensors start zeroed; it wins over the junk fill).</summary>
    public static bool TrySetZeroFill(bool on) => TrySetC10Flag(ZeroFillSymbol, on);

    private static bool TrySetC10Flag(string symbol, bool on)
    {
        if (LibC10.Value == IntPtr.Zero || !NativeLibrary.TryGetExport(LibC10.Value, symbol, out var flag)) return false;
        Marshal.WriteByte(flag, on ? (byte)1 : (byte)0); // a C++ bool: one byte
        return true;
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

    private static readonly Lazy<IntPtr> LibC10 = new(() =>
    {
        foreach (var name in new[] { "libc10.so", "libc10" })
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
