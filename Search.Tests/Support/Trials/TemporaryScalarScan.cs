using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// Finds, in an assembly's IL, the places that leave a temporary TorchSharp <c>Scalar</c> to the finalizer while
/// libtorch may still read it (see <c>Mnist.Trials.Native.HeldScalars</c>):
/// (1) a call to a TorchSharp method that makes one (<see cref="TorchSharpMakers"/>);
/// (2) a TorchSharp object made (by <c>new</c>, or returned by TorchSharp) or derived from, whose class answers a
///     virtual call with a method that makes one: a module's <c>forward</c> (a Sequential, a model, runs it), or any
///     virtual method the scanned code calls (<c>adam.step()</c> names <c>Optimizer.step</c> and runs
///     <c>Adam.step</c>); no call graph follows a virtual call, so the object itself is the offence;
/// (3) a temporary made by the scanned code itself: a Scalar conversion whose result is not stored straight away, or a
///     tensor read as a number (<c>(double)t</c>, <c>t.ToDouble()</c>).
/// A call the scan cannot match to TorchSharp.dll is an offence too (unresolved), lest a change in how signatures
/// decode leave every call unchecked and the scan clean.
/// </summary>
/// <remarks>
/// A Scalar stored in a local counts as held. That is so only while the local is read after the call, as the
/// <c>Dispose</c> at the end of a <c>using</c> does; the scan does not check it, so hold Scalars with <c>using</c>.
/// Lambdas, local functions and async methods are scanned where the compiler puts them (<c>&lt;Run&gt;b__0</c>).
/// </remarks>
internal sealed class TemporaryScalarScan
{
    private readonly MetadataReader reader;
    private readonly TorchSharpMakers torch;
    private readonly Dictionary<MethodDefinitionHandle, IReadOnlyList<IlInstruction>> bodies;

    /// <summary>The TorchSharp virtual methods the scanned code calls, by slot: those the objects it makes must answer safely.</summary>
    private readonly HashSet<MethodDefinitionHandle> calledSlots;

    private TemporaryScalarScan(PEReader pe, TorchSharpMakers torch)
    {
        reader = pe.GetMetadataReader();
        this.torch = torch;
        bodies = reader.MethodDefinitions
            .Select(handle => (Handle: handle, Rva: reader.GetMethodDefinition(handle).RelativeVirtualAddress))
            .Where(method => method.Rva != 0)
            .ToDictionary(method => method.Handle, method => IlReading.Instructions(pe.GetMethodBody(method.Rva)));
        calledSlots = bodies.Values.SelectMany(body => body).Select(VirtualCallSlot).OfType<MethodDefinitionHandle>().ToHashSet();
    }

    /// <summary>One line per offence, <c>Type.Method → TorchSharp method: reason</c>; empty when there are none.</summary>
    /// <param name="typeFilter">Which types of <paramref name="scannedDll"/> to scan, by full name
    /// (<c>Namespace.Outer+Nested</c>); all of them when null. The virtual calls that matter are read from all.</param>
    public static IReadOnlyList<string> Offences(string scannedDll, string torchSharpDll, Func<string, bool>? typeFilter = null)
    {
        using var torch = new TorchSharpMakers(torchSharpDll);
        using var pe = new PEReader(File.OpenRead(scannedDll));
        return new TemporaryScalarScan(pe, torch).Find(typeFilter);
    }

    private List<string> Find(Func<string, bool>? typeFilter)
    {
        var offences = new List<string>();
        foreach (var typeHandle in reader.TypeDefinitions)
        {
            string typeName = SignatureNames.FullName(reader, typeHandle).Replace('/', '+');
            if (typeFilter is not null && !typeFilter(typeName)) continue;
            offences.AddRange(InheritedMakers(typeHandle, Short(typeName)));
            foreach (var methodHandle in reader.GetTypeDefinition(typeHandle).GetMethods())
            {
                if (!bodies.TryGetValue(methodHandle, out var body)) continue;
                string where = $"{Short(typeName)}.{reader.GetString(reader.GetMethodDefinition(methodHandle).Name)}";
                for (int i = 0; i < body.Count; i++)
                {
                    if (body[i].InvokesMethod && Offence(body[i], Held(body, i + 1)) is { } offence)
                        offences.Add($"{where} → {offence}");
                }
            }
        }
        return offences.Distinct().ToList();
    }

    /// <summary>
    /// Whether the value a call returns is held by the instruction at <paramref name="next"/>: stored in a field, or in a
    /// local that is disposed later (a <c>using</c>). A local that is not read again is dead to the JIT in a Release build
    /// even though Debug IL still stores it, so a plain store is no hold.
    /// </summary>
    private bool Held(IReadOnlyList<IlInstruction> body, int next)
    {
        if (next >= body.Count) return false;
        if (body[next].StoresInField) return true;
        if (body[next].StoredLocal is not { } local) return false;
        for (int j = next + 1; j + 1 < body.Count; j++)
            if (body[j].LoadedLocal == local && body[j + 1].InvokesMethod
                && MethodName.Of(reader, MetadataTokens.EntityHandle(body[j + 1].Operand)) is { Name: "Dispose" })
                return true;
        return false;
    }

    /// <summary>The slot a virtual call to a TorchSharp method names; null for any other instruction.</summary>
    private MethodDefinitionHandle? VirtualCallSlot(IlInstruction instruction) =>
        (instruction.OpCode == OpCodes.Callvirt || instruction.OpCode == OpCodes.Ldvirtftn)
        && MethodName.Of(reader, MetadataTokens.EntityHandle(instruction.Operand)) is { } called
        && torch.Resolve(called) is { } method
            ? torch.Slots.SlotOf(method)
            : null;

    /// <summary>What is wrong with one call, <c>TorchSharp method: reason</c>, or null when nothing is.</summary>
    private string? Offence(IlInstruction call, bool resultStored)
    {
        var token = MetadataTokens.EntityHandle(call.Operand);
        if (MethodName.Of(reader, token) is not { } called)
            return $"{call.OpCode} 0x{call.Operand:X8}: a call the scan cannot decode, so it checks nothing there (unresolved)";
        bool intoTorchSharp = TypeChains.AssemblyOf(reader, token) == torch.AssemblyName;
        if (intoTorchSharp && torch.Resolve(called) is null)
            return $"TorchSharp {called}: not found in {torch.AssemblyName}.dll, so not checked (unresolved)";
        string? why = Why(called, call.OpCode == OpCodes.Newobj, resultStored, intoTorchSharp);
        return why is null ? null : $"TorchSharp {called}: {why}";
    }

    /// <summary>Why a call whose method is known is an offence (1), (2) or (3); null when it is not.</summary>
    private string? Why(MethodName called, bool isNewobj, bool resultStored, bool intoTorchSharp)
    {
        if (TorchSharpMakers.MakesScalar(called))
            return resultStored ? null : "a temporary Scalar made here and passed on without being held in a field or a using local (3)";
        if (TorchSharpMakers.ReadsThroughScalar(called))
            return "reads a tensor through a temporary Scalar (3)";
        if (torch.WhyMaker(called) is { } path)
            return $"makes a temporary Scalar inside TorchSharp: {path} (1)";
        // An object is made by its constructor or by a factory such as torch.nn.BatchNorm2d(...) or torch.optim.Adam(...).
        string made = isNewobj ? called.Type : SignatureNames.GenericDefinition(called.Signature.ReturnType);
        if (!intoTorchSharp || !torch.Defines(made)) return null;
        var making = torch.Slots.Implementations(made, null).Where(s => Matters(s.Slot) && torch.IsMaker(s.Method)).ToList();
        if (making.Count == 0) return null;
        var first = torch.NameOf(making[0].Method);
        string others = making.Count == 1 ? "" : $"; so do its {string.Join(", ", making.Skip(1).Select(s => torch.NameOf(s.Method).Name))}";
        return $"makes a {SignatureNames.Short(made)} whose {first.Name} is {first}, which makes a temporary Scalar: {torch.WhyMaker(first)}{others} (2)";
    }

    /// <summary>
    /// For a type deriving from a TorchSharp class, one line per method that matters it inherits from TorchSharp (does
    /// not override, by name and signature) and that makes a temporary.
    /// </summary>
    private IEnumerable<string> InheritedMakers(TypeDefinitionHandle type, string shortName)
    {
        var chain = TypeChains.Walk(reader, type, null, out var outside);
        if (outside is not { } torchBase || !torch.Defines(torchBase.Name)) yield break;
        var overridden = chain.SelectMany(link => TypeChains.VirtualMethods(reader, link.Type, link.Args))
            .Where(m => !m.NewSlot).Select(m => m.Key).ToHashSet();
        foreach (var (slot, method, key) in torch.Slots.Implementations(torchBase.Name, torchBase.Args))
        {
            if (overridden.Contains(key) || !Matters(slot) || !torch.IsMaker(method)) continue;
            var inherited = torch.NameOf(method);
            yield return $"{shortName} → TorchSharp {inherited}: inherited, and it makes a temporary Scalar: {torch.WhyMaker(inherited)} (2)";
        }
    }

    /// <summary>A module's forward always (a Sequential or a model runs it), any other virtual method when the scanned code calls it.</summary>
    private bool Matters(MethodDefinitionHandle slot) => calledSlots.Contains(slot) || torch.Slots.IsModuleForward(slot);

    /// <summary><c>Mnist.Trials.Training.Trainer+&lt;&gt;c</c> → <c>Trainer+&lt;&gt;c</c>.</summary>
    private static string Short(string typeName) =>
        typeName.Split('+') is var parts && parts[0].LastIndexOf('.') is var dot and >= 0
            ? string.Join("+", [parts[0][(dot + 1)..], .. parts[1..]])
            : typeName;
}
