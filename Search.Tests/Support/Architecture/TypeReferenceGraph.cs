using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Mnist.Search.Tests.Support.Architecture;

/// <summary>
/// Which folders (namespaces under a prefix: <c>Mnist.Search.Cli.Commands</c> is folder <c>Cli</c>) each folder's
/// compiled code refers to, read with System.Reflection.Metadata from the assembly file: the types a type derives
/// from, implements, is attributed with, holds in fields, takes or returns, declares as locals, and every type, method
/// and field its IL names (calls, <c>new</c>, field access, casts, <c>typeof</c>), generic arguments included. A type's
/// folder is that of its outermost declaring type, so lambdas and async state machines count for the code they came
/// from. Unlike <c>using</c> lines, nothing written in the source (a fully-qualified name, an inferred <c>var</c>)
/// hides a reference.
/// </summary>
internal static class TypeReferenceGraph
{
    public static Dictionary<string, HashSet<string>> Of(string assemblyFile, string prefix)
    {
        using var pe = new PEReader(File.OpenRead(assemblyFile));
        var md = pe.GetMetadataReader();
        var graph = new Dictionary<string, HashSet<string>>();
        var names = new NamespaceProvider(md);
        foreach (var handle in md.TypeDefinitions)
        {
            if (Folder(prefix, names.Of(handle)) is not { } folder) continue;
            var refs = graph.TryGetValue(folder, out var set) ? set : graph[folder] = [];
            foreach (var ns in References(pe, md, names, handle))
                if (Folder(prefix, ns) is { } other && other != folder) refs.Add(other);
        }
        return graph;
    }

    private static string? Folder(string prefix, string ns) =>
        ns.StartsWith(prefix + ".", StringComparison.Ordinal) ? ns[(prefix.Length + 1)..].Split('.')[0] : null;

    private static IEnumerable<string> References(PEReader pe, MetadataReader md, NamespaceProvider names, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        if (!type.BaseType.IsNil) foreach (var ns in names.OfEntity(type.BaseType)) yield return ns;
        foreach (var i in type.GetInterfaceImplementations())
            foreach (var ns in names.OfEntity(md.GetInterfaceImplementation(i).Interface)) yield return ns;
        foreach (var ns in Attributes(md, names, type.GetCustomAttributes())) yield return ns;
        foreach (var ns in Constraints(md, names, type.GetGenericParameters())) yield return ns;
        foreach (var f in type.GetFields())
        {
            var field = md.GetFieldDefinition(f);
            foreach (var ns in field.DecodeSignature(names, null)) yield return ns;
            foreach (var ns in Attributes(md, names, field.GetCustomAttributes())) yield return ns;
        }
        foreach (var p in type.GetProperties())
            foreach (var ns in Attributes(md, names, md.GetPropertyDefinition(p).GetCustomAttributes())) yield return ns;
        foreach (var m in type.GetMethods())
        {
            var method = md.GetMethodDefinition(m);
            var signature = method.DecodeSignature(names, null);
            foreach (var ns in signature.ReturnType.Concat(signature.ParameterTypes.SelectMany(t => t))) yield return ns;
            foreach (var ns in Attributes(md, names, method.GetCustomAttributes())) yield return ns;
            foreach (var ns in Constraints(md, names, method.GetGenericParameters())) yield return ns;
            if (method.RelativeVirtualAddress == 0) continue;
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
                foreach (var local in md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(names, null))
                    foreach (var ns in local) yield return ns;
            foreach (var token in Tokens(body.GetILReader()))
                foreach (var ns in names.OfEntity(token)) yield return ns;
        }
    }

    private static IEnumerable<string> Attributes(MetadataReader md, NamespaceProvider names, CustomAttributeHandleCollection attributes) =>
        attributes.SelectMany(a => names.OfEntity(md.GetCustomAttribute(a).Constructor));

    private static IEnumerable<string> Constraints(MetadataReader md, NamespaceProvider names, GenericParameterHandleCollection parameters) =>
        parameters.SelectMany(p => md.GetGenericParameter(p).GetConstraints())
            .SelectMany(c => names.OfEntity(md.GetGenericParameterConstraint(c).Type));

    // Every metadata token an instruction names (InlineMethod, InlineField, InlineType, InlineTok); strings and
    // call-site signatures (calli: never emitted by C#) name no type.
    private static IEnumerable<EntityHandle> Tokens(BlobReader il)
    {
        var found = new List<EntityHandle>();
        while (il.RemainingBytes > 0)
        {
            var value = (int)il.ReadByte();
            if (value == 0xFE) value = 0xFE00 | il.ReadByte();
            var operand = OpCodesByValue[value].OperandType;
            switch (operand)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    found.Add(MetadataTokens.EntityHandle(il.ReadInt32()));
                    break;
                case OperandType.InlineSwitch:
                    var targets = il.ReadInt32(); // read first: `Offset += 4 * ReadInt32()` keeps the Offset from before the read
                    il.Offset += 4 * targets;
                    break;
                default:
                    il.Offset += operand switch
                    {
                        OperandType.InlineNone => 0,
                        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                        OperandType.InlineVar => 2,
                        OperandType.InlineI8 or OperandType.InlineR => 8,
                        _ => 4, // InlineBrTarget, InlineI, InlineString, InlineSig, ShortInlineR
                    };
                    break;
            }
        }
        return found;
    }

    private static readonly Dictionary<int, OpCode> OpCodesByValue = typeof(OpCodes).GetFields()
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => (int)(ushort)o.Value);

    /// <summary>The namespaces a type, member or signature mentions (generic arguments, arrays and pointers unwrapped).</summary>
    private sealed class NamespaceProvider(MetadataReader md) : ISignatureTypeProvider<ImmutableArray<string>, object?>
    {
        public string Of(TypeDefinitionHandle handle)
        {
            var type = md.GetTypeDefinition(handle);
            var outer = type.GetDeclaringType();
            return outer.IsNil ? md.GetString(type.Namespace) : Of(outer);
        }

        private string Of(TypeReferenceHandle handle)
        {
            var type = md.GetTypeReference(handle);
            return type.ResolutionScope.Kind == HandleKind.TypeReference ? Of((TypeReferenceHandle)type.ResolutionScope) : md.GetString(type.Namespace);
        }

        public ImmutableArray<string> OfEntity(EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeDefinition => [Of((TypeDefinitionHandle)handle)],
            HandleKind.TypeReference => [Of((TypeReferenceHandle)handle)],
            HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null),
            HandleKind.MethodDefinition => [Of(md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType())],
            HandleKind.FieldDefinition => [Of(md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType())],
            HandleKind.MemberReference => md.GetMemberReference((MemberReferenceHandle)handle).Parent is var parent
                && parent.Kind is HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification or HandleKind.MethodDefinition
                ? OfEntity(parent) : [],
            HandleKind.MethodSpecification => md.GetMethodSpecification((MethodSpecificationHandle)handle) is var spec
                ? [.. OfEntity(spec.Method), .. spec.DecodeSignature(this, null).SelectMany(a => a)] : [],
            _ => [],
        };

        public ImmutableArray<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [Of(handle)];
        public ImmutableArray<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [Of(handle)];
        public ImmutableArray<string> GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            OfEntity(handle);
        public ImmutableArray<string> GetGenericInstantiation(ImmutableArray<string> genericType, ImmutableArray<ImmutableArray<string>> typeArguments) =>
            [.. genericType, .. typeArguments.SelectMany(a => a)];
        public ImmutableArray<string> GetArrayType(ImmutableArray<string> elementType, ArrayShape shape) => elementType;
        public ImmutableArray<string> GetSZArrayType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetByReferenceType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetPointerType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetPinnedType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetModifiedType(ImmutableArray<string> modifier, ImmutableArray<string> unmodifiedType, bool isRequired) => unmodifiedType;
        public ImmutableArray<string> GetFunctionPointerType(MethodSignature<ImmutableArray<string>> signature) =>
            [.. signature.ReturnType, .. signature.ParameterTypes.SelectMany(t => t)];
        public ImmutableArray<string> GetGenericMethodParameter(object? context, int index) => [];
        public ImmutableArray<string> GetGenericTypeParameter(object? context, int index) => [];
        public ImmutableArray<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => [];
    }
}
