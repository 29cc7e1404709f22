using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// Which of TorchSharp.dll's methods leave a temporary <c>Scalar</c> to the finalizer: those that convert to or from a
/// Scalar without handing it back (<c>add_(other)</c> passes <c>alpha: 1</c>, <c>BatchNorm.forward</c> reads
/// <c>(double)num_batches_tracked</c>), and every TorchSharp method that calls one of those, directly or through a
/// virtual call that an override in the class of the object called may answer with one (<c>Adagrad</c>'s constructor
/// calls <c>Initialize</c> on an <c>Adagrad.State</c>). Computed from the DLL the tests load, so a TorchSharp upgrade
/// is checked as it is.
/// </summary>
internal sealed class TorchSharpMakers : IDisposable
{
    private const string ScalarClass = "TorchSharp.Scalar";
    private const string TensorClass = "TorchSharp.torch/Tensor";

    /// <summary>The TensorExtensionMethods that read a one-element tensor through <c>Tensor.ToScalar()</c>.</summary>
    private static readonly HashSet<string> TensorReads =
    [
        "ToBoolean", "ToByte", "ToSByte", "ToInt16", "ToInt32", "ToInt64", "ToHalf", "ToBFloat16", "ToSingle", "ToDouble",
        "ToComplex32", "ToComplex64", "ToComplexFloat32", "ToComplexFloat64",
    ];

    private readonly PEReader pe;
    private readonly MetadataReader reader;
    private readonly Dictionary<string, MethodDefinitionHandle> methods = [];
    private readonly Dictionary<string, TypeDefinitionHandle> types = [];

    /// <summary>Each maker with the next step towards its temporary: a method it calls, or the conversion itself.</summary>
    private readonly Dictionary<MethodDefinitionHandle, MethodName> makers = [];

    public TorchSharpMakers(string torchSharpDll)
    {
        pe = new PEReader(File.OpenRead(torchSharpDll));
        reader = pe.GetMetadataReader();
        foreach (var typeHandle in reader.TypeDefinitions)
        {
            types[SignatureNames.FullName(reader, typeHandle)] = typeHandle;
            foreach (var methodHandle in reader.GetTypeDefinition(typeHandle).GetMethods())
                methods[MethodName.Of(reader, methodHandle)!.Key] = methodHandle;
        }
        Slots = new TorchSharpSlots(reader, types);
        FindMakers();
    }

    /// <summary>The name a scanned assembly's references to TorchSharp.dll give.</summary>
    public string AssemblyName => reader.GetString(reader.GetAssemblyDefinition().Name);

    public TorchSharpSlots Slots { get; }

    /// <summary>A conversion that returns a new Scalar: fine only while the caller holds what it returns.</summary>
    public static bool MakesScalar(MethodName m) =>
        (m.Type == ScalarClass && m.Name == "op_Implicit")
        || (m.Type == "TorchSharp.ScalarExtensionMethods" && m.Name == "ToScalar")
        || (m.Type == TensorClass && m.Name == "ToScalar");

    /// <summary>A conversion of a tensor to a number, which makes a Scalar and drops it: <c>(double)t</c>, <c>t.ToDouble()</c>.</summary>
    public static bool ReadsThroughScalar(MethodName m) =>
        (m.Type == TensorClass && m.Name == "op_Explicit")
        || (m.Type == "TorchSharp.TensorExtensionMethods" && TensorReads.Contains(m.Name));

    /// <summary>The TorchSharp method a call names, looked up on base types too; null when it is not TorchSharp's.</summary>
    public MethodDefinitionHandle? Resolve(MethodName called)
    {
        for (string? type = called.Type; type is not null; type = BaseOf(type))
        {
            if (methods.TryGetValue((called with { Type = type }).Key, out var found)) return found;
        }
        return null;
    }

    /// <summary>For a maker, the calls from it down to the conversion (<c>add_(Tensor) → Scalar.op_Implicit(int)</c>).</summary>
    public string? WhyMaker(MethodName called)
    {
        if (Resolve(called) is not { } start || !makers.ContainsKey(start)) return null;
        var steps = new List<string>();
        for (var handle = start; makers.TryGetValue(handle, out var next) && steps.Count < 8;)
        {
            steps.Add(next.ToString());
            if (Resolve(next) is not { } callee || callee == handle) break;
            handle = callee;
        }
        return string.Join(" → ", steps);
    }

    public bool IsMaker(MethodDefinitionHandle method) => makers.ContainsKey(method);

    /// <summary>Whether a type is defined in TorchSharp.dll (<c>TorchSharp.Modules.Adam</c>, by its full name).</summary>
    public bool Defines(string typeName) => types.ContainsKey(typeName);

    public MethodName NameOf(MethodDefinitionHandle method) => MethodName.Of(reader, method)!;

    /// <summary>The TorchSharp base type of a TorchSharp type, null at the first type outside TorchSharp.dll.</summary>
    private string? BaseOf(string typeName)
    {
        if (!types.TryGetValue(typeName, out var handle)) return null;
        var baseType = reader.GetTypeDefinition(handle).BaseType;
        if (baseType.IsNil) return null;
        string name = SignatureNames.GenericDefinition(SignatureNames.NameOf(reader, baseType));
        return types.ContainsKey(name) ? name : null;
    }

    public void Dispose() => pe.Dispose();

    private void FindMakers()
    {
        var callers = new Dictionary<MethodDefinitionHandle, List<(MethodDefinitionHandle Caller, MethodName Callee)>>();
        var pending = new Queue<MethodDefinitionHandle>();
        foreach (var (_, handle) in methods)
        {
            var method = reader.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue; // abstract, extern (the native calls) or runtime-provided
            // A method that returns a Scalar hands the one it makes to its caller, who is then the one to hold it.
            bool returnsScalar = MethodName.Of(reader, handle)!.Signature.ReturnType == ScalarClass;
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            var il = IlReading.Instructions(body);
            for (int i = 0; i < il.Count; i++)
            {
                var instruction = il[i];
                if (!instruction.InvokesMethod || MethodName.Of(reader, MetadataTokens.EntityHandle(instruction.Operand)) is not { } called) continue;
                if ((MakesScalar(called) && !returnsScalar) || ReadsThroughScalar(called))
                {
                    if (makers.TryAdd(handle, called)) pending.Enqueue(handle);
                }
                else if (Resolve(called) is { } callee)
                {
                    foreach (var target in Targets(callee, instruction.OpCode, () => Receivers.TypeAt(reader, handle, body, il, i)))
                    {
                        if (!callers.TryGetValue(target, out var list)) callers[target] = list = [];
                        list.Add((handle, target == callee ? called : NameOf(target)));
                    }
                }
            }
        }
        // Whoever calls a maker makes the same temporary: close over TorchSharp's own call graph.
        while (pending.TryDequeue(out var maker))
        {
            if (!callers.TryGetValue(maker, out var list)) continue;
            foreach (var (caller, callee) in list)
            {
                if (makers.TryAdd(caller, callee)) pending.Enqueue(caller);
            }
        }
    }

    /// <summary>
    /// What a call may run: the method it names, and for a virtual call the overrides that the object it is made on
    /// may have (<see cref="Receivers"/>); but a module's forward only as named, as otherwise every forward call would
    /// count as every module's (the scan checks the modules made instead).
    /// </summary>
    private IEnumerable<MethodDefinitionHandle> Targets(MethodDefinitionHandle callee, OpCode opCode, Func<string?> receiver)
    {
        bool isVirtualCall = opCode == OpCodes.Callvirt || opCode == OpCodes.Ldvirtftn;
        if (!isVirtualCall || Slots.SlotOf(callee) is not { } slot || Slots.IsModuleForward(slot)) return [callee];
        return Slots.Runnable(slot, receiver()).Append(callee).Distinct();
    }
}
