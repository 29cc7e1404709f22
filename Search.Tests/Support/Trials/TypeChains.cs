using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// A type's base types with the generic arguments each is instantiated with, so that an override is matched to the
/// method it overrides by name and signature: <c>BatchNorm.forward(Tensor)</c> overrides
/// <c>Module&lt;T, TResult&gt;.forward(T)</c> because BatchNorm derives from <c>Module&lt;Tensor, Tensor&gt;</c>.
/// </summary>
internal static class TypeChains
{
    /// <summary>
    /// A type and its base types inside the same assembly, each with its generic arguments in terms of the first type
    /// (null for the first: its own parameters, <c>!0</c> …); <paramref name="outside"/> is the first base type from
    /// another assembly, by full name of its definition, with its arguments.
    /// </summary>
    public static List<(TypeDefinitionHandle Type, string[]? Args)> Walk(
        MetadataReader reader, TypeDefinitionHandle start, string[]? args, out (string Name, string[]? Args)? outside)
    {
        var chain = new List<(TypeDefinitionHandle, string[]?)>();
        outside = null;
        for (var (type, typeArgs) = (start, args); ;)
        {
            chain.Add((type, typeArgs));
            var baseType = reader.GetTypeDefinition(type).BaseType;
            if (baseType.IsNil) return chain;
            (var definition, typeArgs) = Instantiation(reader, baseType, typeArgs);
            if (definition.Kind != HandleKind.TypeDefinition)
            {
                outside = (SignatureNames.NameOf(reader, definition), typeArgs);
                return chain;
            }
            type = (TypeDefinitionHandle)definition;
        }
    }

    /// <summary>The virtual methods a type declares, by <see cref="SlotKey"/> with the type's generic arguments filled in.</summary>
    public static IEnumerable<(string Key, MethodDefinitionHandle Method, bool NewSlot)> VirtualMethods(
        MetadataReader reader, TypeDefinitionHandle type, string[]? args)
    {
        foreach (var handle in reader.GetTypeDefinition(type).GetMethods())
        {
            var attributes = reader.GetMethodDefinition(handle).Attributes;
            if ((attributes & MethodAttributes.Virtual) != 0)
                yield return (SlotKey(reader, handle, args), handle, (attributes & MethodAttributes.NewSlot) != 0);
        }
    }

    /// <summary>A method's name and signature, which an override shares with the method it overrides.</summary>
    public static string SlotKey(MetadataReader reader, MethodDefinitionHandle handle, string[]? args)
    {
        var method = reader.GetMethodDefinition(handle);
        return new MethodName("", reader.GetString(method.Name), method.DecodeSignature(SignatureNames.Instance, args)).Key;
    }

    /// <summary>The assembly that defines the type a method token names; null for the reader's own.</summary>
    public static string? AssemblyOf(MetadataReader reader, EntityHandle method) => method.Kind switch
    {
        HandleKind.MethodSpecification => AssemblyOf(reader, reader.GetMethodSpecification((MethodSpecificationHandle)method).Method),
        HandleKind.MemberReference => TypeAssembly(reader, reader.GetMemberReference((MemberReferenceHandle)method).Parent),
        _ => null,
    };

    private static string? TypeAssembly(MetadataReader reader, EntityHandle type)
    {
        switch (type.Kind)
        {
            case HandleKind.TypeSpecification:
                var definition = Instantiation(reader, type, null).Definition;
                return definition.Kind == HandleKind.TypeSpecification ? null : TypeAssembly(reader, definition);
            case HandleKind.TypeReference:
                var scope = reader.GetTypeReference((TypeReferenceHandle)type).ResolutionScope;
                return scope.Kind switch
                {
                    HandleKind.TypeReference => TypeAssembly(reader, scope), // a nested type: where its outer type is
                    HandleKind.AssemblyReference => reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)scope).Name),
                    _ => null,
                };
            default:
                return null;
        }
    }

    /// <summary>
    /// A generic instantiation's definition and arguments, the arguments in terms of <paramref name="context"/> (the
    /// arguments of the type that names it); any other type as it is, with no arguments.
    /// </summary>
    private static (EntityHandle Definition, string[]? Args) Instantiation(MetadataReader reader, EntityHandle type, string[]? context)
    {
        if (type.Kind != HandleKind.TypeSpecification) return (type, null);
        var blob = reader.GetBlobReader(reader.GetTypeSpecification((TypeSpecificationHandle)type).Signature);
        if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance) return (type, null); // an array, a pointer…
        blob.ReadSignatureTypeCode(); // class or valuetype
        var definition = blob.ReadTypeHandle();
        var decoder = new SignatureDecoder<string, object?>(SignatureNames.Instance, reader, context);
        var args = new string[blob.ReadCompressedInteger()];
        for (int i = 0; i < args.Length; i++) args[i] = decoder.DecodeType(ref blob);
        return (definition, args);
    }
}
