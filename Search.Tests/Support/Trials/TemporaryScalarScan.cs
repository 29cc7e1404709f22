using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// Finds, in an assembly's IL, the places that leave a temporary TorchSharp <c>Scalar</c> to the finalizer while
/// libtorch may still read it (see <c>Mnist.Trials.Native.HeldScalars</c>):
/// (1) a call to a TorchSharp method that makes one (<see cref="TorchSharpMakers"/>);
/// (2) a TorchSharp module whose <c>forward</c> makes one, made or inherited from: a <c>Sequential</c> runs it through
///     a virtual call, which no call graph follows, so the module itself is the offence;
/// (3) a temporary made by the scanned code itself: a Scalar conversion whose result is not stored straight away, or a
///     tensor read as a number (<c>(double)t</c>, <c>t.ToDouble()</c>).
/// </summary>
/// <remarks>
/// A Scalar stored in a local counts as held. That is so only while the local is read after the call, as the
/// <c>Dispose</c> at the end of a <c>using</c> does; the scan does not check it, so hold Scalars with <c>using</c>.
/// </remarks>
internal static class TemporaryScalarScan
{
    /// <summary>One line per offence, <c>Type.Method → TorchSharp method: reason</c>; empty when there are none.</summary>
    /// <param name="typeFilter">Which types of <paramref name="trialsDll"/> to scan, by full name
    /// (<c>Namespace.Outer+Nested</c>); all of them when null.</param>
    public static IReadOnlyList<string> Offences(string trialsDll, string torchSharpDll, Func<string, bool>? typeFilter = null)
    {
        using var torch = new TorchSharpMakers(torchSharpDll);
        using var pe = new PEReader(File.OpenRead(trialsDll));
        var reader = pe.GetMetadataReader();
        var offences = new List<string>();
        foreach (var typeHandle in reader.TypeDefinitions)
        {
            string typeName = SignatureNames.FullName(reader, typeHandle).Replace('/', '+');
            if (typeFilter is not null && !typeFilter(typeName)) continue;
            if (InheritedMakingForward(reader, typeHandle, torch) is { } inherited)
                offences.Add($"{Short(typeName)} → TorchSharp {inherited}: derives from a module whose forward makes a temporary Scalar ({torch.WhyMaker(inherited)}) (2)");
            foreach (var methodHandle in reader.GetTypeDefinition(typeHandle).GetMethods())
            {
                var method = reader.GetMethodDefinition(methodHandle);
                if (method.RelativeVirtualAddress == 0) continue;
                string where = $"{Short(typeName)}.{reader.GetString(method.Name)}";
                var body = IlReading.Instructions(pe.GetMethodBody(method.RelativeVirtualAddress));
                for (int i = 0; i < body.Count; i++)
                {
                    if (!body[i].InvokesMethod || MethodName.Of(reader, MetadataTokens.EntityHandle(body[i].Token)) is not { } called) continue;
                    if (Offence(called, body[i].OpCode == OpCodes.Newobj, i + 1 < body.Count && body[i + 1].Stores, torch) is { } why)
                        offences.Add($"{where} → TorchSharp {called}: {why}");
                }
            }
        }
        return offences.Distinct().ToList();
    }

    /// <summary>Why one call is an offence, or null when it is not.</summary>
    private static string? Offence(MethodName called, bool isNewobj, bool resultStored, TorchSharpMakers torch)
    {
        if (TorchSharpMakers.MakesScalar(called))
            return resultStored ? null : "a temporary Scalar made here and passed on without being held in a local or field (3)";
        if (TorchSharpMakers.ReadsThroughScalar(called))
            return "reads a tensor through a temporary Scalar (3)";
        if (torch.WhyMaker(called) is { } path)
            return $"makes a temporary Scalar inside TorchSharp: {path} (1)";
        // A module is made by its constructor or by a factory such as torch.nn.BatchNorm2d(...).
        string made = isNewobj ? called.Type : SignatureNames.GenericDefinition(called.Signature.ReturnType);
        return torch.MakingForward(made) is { } forward
            ? $"makes a {SignatureNames.Short(made)} whose forward {forward} makes a temporary Scalar: {torch.WhyMaker(forward)} (2)"
            : null;
    }

    /// <summary>For a type that does not declare forward, the making forward it inherits from a TorchSharp module.</summary>
    private static MethodName? InheritedMakingForward(MetadataReader reader, TypeDefinitionHandle handle, TorchSharpMakers torch)
    {
        while (true)
        {
            var type = reader.GetTypeDefinition(handle);
            if (type.GetMethods().Any(m => reader.GetString(reader.GetMethodDefinition(m).Name) == "forward")) return null;
            if (type.BaseType.IsNil) return null;
            if (type.BaseType.Kind != HandleKind.TypeDefinition)
                return torch.MakingForward(SignatureNames.GenericDefinition(SignatureNames.NameOf(reader, type.BaseType)));
            handle = (TypeDefinitionHandle)type.BaseType; // a base type in the same assembly: look on up
        }
    }

    /// <summary><c>Mnist.Trials.Training.Trainer+&lt;&gt;c</c> → <c>Trainer+&lt;&gt;c</c>.</summary>
    private static string Short(string typeName) =>
        typeName.Split('+') is var parts && parts[0].LastIndexOf('.') is var dot and >= 0
            ? string.Join("+", [parts[0][(dot + 1)..], .. parts[1..]])
            : typeName;
}
