using System.Reflection.Metadata;

namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// TorchSharp's virtual methods grouped by slot. A virtual call names the method that opened the slot (C# names the
/// first class that declares it: <c>adam.step()</c> calls <c>Optimizer.step</c>) and runs the override of the object
/// at hand, which a call graph cannot follow; so the scan asks, per type made, which method each slot runs there.
/// </summary>
internal sealed class TorchSharpSlots
{
    private const string ModuleClass = "TorchSharp.torch/nn/Module";

    private readonly MetadataReader reader;
    private readonly IReadOnlyDictionary<string, TypeDefinitionHandle> types;

    /// <summary>Each virtual method's slot: the method that opened it (itself, or the one it overrides).</summary>
    private readonly Dictionary<MethodDefinitionHandle, MethodDefinitionHandle> slotOf = [];

    private readonly Dictionary<MethodDefinitionHandle, List<MethodDefinitionHandle>> overrides = [];
    private readonly Dictionary<(TypeDefinitionHandle, string), Dictionary<string, (MethodDefinitionHandle Method, bool NewSlot)>> declared = [];
    private readonly Dictionary<TypeDefinitionHandle, HashSet<string>> ancestries = [];
    private readonly Dictionary<string, List<(MethodDefinitionHandle Slot, MethodDefinitionHandle Method, string Key)>> implementations = [];

    public TorchSharpSlots(MetadataReader reader, IReadOnlyDictionary<string, TypeDefinitionHandle> types)
    {
        this.reader = reader;
        this.types = types;
        foreach (var typeHandle in reader.TypeDefinitions)
        {
            List<(TypeDefinitionHandle Type, string[]? Args)>? chain = null;
            foreach (var (key, (method, newSlot)) in Declared(typeHandle, null))
            {
                chain ??= TypeChains.Walk(reader, typeHandle, null, out _);
                // An override's slot was opened further up; none there means it overrides object's (ToString).
                if ((newSlot ? method : Opener(chain, key)) is not { } slot) continue;
                slotOf[method] = slot;
                if (!overrides.TryGetValue(slot, out var list)) overrides[slot] = list = [];
                list.Add(method);
            }
        }
    }

    /// <summary>The slot a virtual TorchSharp method belongs to; null for a method that is not virtual.</summary>
    public MethodDefinitionHandle? SlotOf(MethodDefinitionHandle method) => slotOf.TryGetValue(method, out var slot) ? slot : null;

    /// <summary>Every TorchSharp method that a virtual call on the slot may run.</summary>
    public IReadOnlyList<MethodDefinitionHandle> Overrides(MethodDefinitionHandle slot) => overrides.GetValueOrDefault(slot) ?? [];

    /// <summary>
    /// What a virtual call on the slot may run on an object declared as <paramref name="receiver"/>: the method that
    /// class has or inherits, and the overrides in classes deriving from it; every override when the class is unknown.
    /// </summary>
    public IEnumerable<MethodDefinitionHandle> Runnable(MethodDefinitionHandle slot, string? receiver)
    {
        var all = Overrides(slot);
        if (receiver is null || !types.ContainsKey(receiver)) return all;
        var own = Implementations(receiver, null).Where(s => s.Slot == slot).Select(s => s.Method).ToList();
        if (own.Count == 0) return all; // not a class with that slot after all: trust nothing
        return own.Concat(all.Where(o => Ancestry(reader.GetMethodDefinition(o).GetDeclaringType()).Contains(receiver))).Distinct();
    }

    /// <summary>
    /// A module's <c>forward</c>: Sequential and every model run it through a virtual call, so which one runs is decided
    /// by the modules made, not by the call.
    /// </summary>
    public bool IsModuleForward(MethodDefinitionHandle slot)
    {
        var method = reader.GetMethodDefinition(slot);
        if (reader.GetString(method.Name) != "forward") return false;
        return Ancestry(method.GetDeclaringType()).Contains(ModuleClass);
    }

    /// <summary>
    /// For a TorchSharp type (generic arguments <paramref name="args"/>, null for its own), the method each of its slots
    /// runs (its own or the nearest inherited one), with the slot's name and signature in terms of those arguments.
    /// </summary>
    public IReadOnlyList<(MethodDefinitionHandle Slot, MethodDefinitionHandle Method, string Key)> Implementations(string typeName, string[]? args)
    {
        string cacheKey = args is null ? typeName : $"{typeName}<{string.Join(",", args)}>";
        if (implementations.TryGetValue(cacheKey, out var found)) return found;
        found = implementations[cacheKey] = [];
        if (!types.TryGetValue(typeName, out var type)) return found;
        var seen = new HashSet<MethodDefinitionHandle>();
        foreach (var (link, linkArgs) in TypeChains.Walk(reader, type, args, out _))
        {
            foreach (var (key, (method, _)) in Declared(link, linkArgs))
            {
                if (slotOf.TryGetValue(method, out var slot) && seen.Add(slot)) found.Add((slot, method, key));
            }
        }
        return found;
    }

    /// <summary>A TorchSharp type's full name and those of its TorchSharp base types.</summary>
    private HashSet<string> Ancestry(TypeDefinitionHandle type)
    {
        if (!ancestries.TryGetValue(type, out var names))
            ancestries[type] = names = TypeChains.Walk(reader, type, null, out _).Select(link => SignatureNames.FullName(reader, link.Type)).ToHashSet();
        return names;
    }

    /// <summary>The slot opener an override with this key overrides: the nearest base method with the key that opens one.</summary>
    private MethodDefinitionHandle? Opener(List<(TypeDefinitionHandle Type, string[]? Args)> chain, string key)
    {
        foreach (var (type, args) in chain.Skip(1))
        {
            if (Declared(type, args).TryGetValue(key, out var match) && match.NewSlot) return match.Method;
        }
        return null;
    }

    /// <summary>A type's virtual methods by name and signature, the type's generic arguments filled in.</summary>
    private Dictionary<string, (MethodDefinitionHandle Method, bool NewSlot)> Declared(TypeDefinitionHandle type, string[]? args)
    {
        var cacheKey = (type, args is null ? "" : string.Join(",", args));
        if (declared.TryGetValue(cacheKey, out var methods)) return methods;
        declared[cacheKey] = methods = [];
        foreach (var (key, method, newSlot) in TypeChains.VirtualMethods(reader, type, args)) methods.TryAdd(key, (method, newSlot));
        return methods;
    }
}
