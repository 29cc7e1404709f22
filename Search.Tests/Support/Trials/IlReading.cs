using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Text.RegularExpressions;

namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// One IL instruction: its opcode; its operand where the scan reads it (a metadata token, or the number of a local or
/// argument), else 0; and whether a branch lands on it (the values on the stack there may come from elsewhere).
/// </summary>
internal readonly record struct IlInstruction(OpCode OpCode, int Operand, bool IsJumpTarget)
{
    /// <summary>call, callvirt, newobj, and ldftn/ldvirtftn (a method group made into a delegate runs it later).</summary>
    public bool InvokesMethod => OpCode.OperandType == OperandType.InlineMethod;

    /// <summary>Whether this stores the value on the stack in a field, where the GC sees it while the object lives.</summary>
    public bool StoresInField => OpCode == OpCodes.Stfld || OpCode == OpCodes.Stsfld;

    /// <summary>The local this stores into, else null.</summary>
    public int? StoredLocal =>
        OpCode == OpCodes.Stloc_0 ? 0 : OpCode == OpCodes.Stloc_1 ? 1 : OpCode == OpCodes.Stloc_2 ? 2 : OpCode == OpCodes.Stloc_3 ? 3
        : OpCode == OpCodes.Stloc_S || OpCode == OpCodes.Stloc ? Operand : null;

    /// <summary>The local this loads, else null.</summary>
    public int? LoadedLocal =>
        OpCode == OpCodes.Ldloc_0 ? 0 : OpCode == OpCodes.Ldloc_1 ? 1 : OpCode == OpCodes.Ldloc_2 ? 2 : OpCode == OpCodes.Ldloc_3 ? 3
        : OpCode == OpCodes.Ldloc_S || OpCode == OpCodes.Ldloc ? Operand : null;
}

/// <summary>Decodes method bodies into <see cref="IlInstruction"/>s, with the opcode table taken from <see cref="OpCodes"/>.</summary>
internal static class IlReading
{
    private static readonly OpCode?[] OneByte = new OpCode?[256];
    private static readonly OpCode?[] TwoByte = new OpCode?[256]; // after the 0xFE prefix

    static IlReading()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)field.GetValue(null)!;
            ushort value = unchecked((ushort)op.Value);
            if (op.Size == 1) OneByte[value] = op;
            else TwoByte[value & 0xFF] = op;
        }
    }

    public static IReadOnlyList<IlInstruction> Instructions(MethodBodyBlock body)
    {
        var il = body.GetILReader();
        var decoded = new List<(int Offset, OpCode OpCode, int Operand)>();
        var targets = new HashSet<int>();
        while (il.RemainingBytes > 0)
        {
            int offset = il.Offset;
            byte first = il.ReadByte();
            var op = (first == 0xFE ? TwoByte[il.ReadByte()] : OneByte[first])
                ?? throw new BadImageFormatException($"Unknown opcode 0x{first:X2} at IL offset {offset}.");
            int operand = 0;
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineVar: operand = il.ReadByte(); break;
                case OperandType.InlineVar: operand = il.ReadUInt16(); break;
                case OperandType.ShortInlineBrTarget: targets.Add(il.ReadSByte() + il.Offset); break;
                case OperandType.InlineBrTarget: targets.Add(il.ReadInt32() + il.Offset); break;
                case OperandType.ShortInlineI: il.Offset += 1; break;
                case OperandType.InlineI8 or OperandType.InlineR: il.Offset += 8; break;
                case OperandType.InlineSwitch: // a count, then that many branch targets, relative to the next instruction
                    int count = il.ReadInt32();
                    int next = il.Offset + 4 * count;
                    for (int i = 0; i < count; i++) targets.Add(il.ReadInt32() + next);
                    break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType
                    or OperandType.InlineSig or OperandType.InlineString: operand = il.ReadInt32(); break;
                default: il.Offset += 4; break; // InlineI, ShortInlineR
            }
            decoded.Add((offset, op, operand));
        }
        return decoded.Select(d => new IlInstruction(d.OpCode, d.Operand, targets.Contains(d.Offset))).ToList();
    }
}

/// <summary>A method as a call site names it: declaring type, name and signature, all as strings.</summary>
/// <remarks>
/// A definition and a reference to it from another assembly decode to the same <see cref="Key"/>, which is how Trials'
/// calls are matched to TorchSharp's methods. The signature tells overloads apart (<c>add(Tensor)</c> makes a
/// temporary alpha, <c>add(Tensor, Scalar)</c> does not) and includes the return type, which is all that separates the
/// <c>op_Explicit</c> conversions.
/// </remarks>
internal sealed record MethodName(string Type, string Name, MethodSignature<string> Signature)
{
    public string Key => $"{Type}::{Name}`{Signature.GenericParameterCount}({string.Join(",", Signature.ParameterTypes)}){Signature.ReturnType}";

    /// <summary>For messages: <c>torch.Tensor.add(Tensor, Scalar)</c>.</summary>
    public override string ToString() =>
        $"{SignatureNames.Short(Type, keepNesting: true)}.{Name}({string.Join(", ", Signature.ParameterTypes.Select(p => SignatureNames.Short(p)))})";

    /// <summary>The method a call, newobj or ldftn token names; null for what is not a method (a vararg or global one).</summary>
    public static MethodName? Of(MetadataReader reader, EntityHandle handle)
    {
        var names = SignatureNames.Instance;
        switch (handle.Kind)
        {
            case HandleKind.MethodDefinition:
                var def = reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                return new(SignatureNames.FullName(reader, def.GetDeclaringType()), reader.GetString(def.Name), def.DecodeSignature(names, null));
            case HandleKind.MemberReference:
                var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                if (member.GetKind() != MemberReferenceKind.Method) return null;
                string? type = member.Parent.Kind switch
                {
                    HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification =>
                        SignatureNames.GenericDefinition(SignatureNames.NameOf(reader, member.Parent)),
                    _ => null,
                };
                return type is null ? null : new(type, reader.GetString(member.Name), member.DecodeMethodSignature(names, null));
            case HandleKind.MethodSpecification: // a generic method's instantiation: the method itself is what counts
                return Of(reader, reader.GetMethodSpecification((MethodSpecificationHandle)handle).Method);
            default:
                return null;
        }
    }
}

/// <summary>Names types the way ILDasm would, <c>TorchSharp.torch/Tensor</c>, <c>System.Nullable`1&lt;int&gt;</c>.</summary>
/// <remarks>Custom modifiers are left out: a definition and its references carry the same ones (<c>in</c> parameters).</remarks>
internal sealed class SignatureNames : ISignatureTypeProvider<string, object?>
{
    public static readonly SignatureNames Instance = new();

    public static string FullName(MetadataReader reader, TypeDefinitionHandle handle)
    {
        var type = reader.GetTypeDefinition(handle);
        var outer = type.GetDeclaringType();
        return outer.IsNil
            ? Join(reader.GetString(type.Namespace), reader.GetString(type.Name))
            : FullName(reader, outer) + "/" + reader.GetString(type.Name);
    }

    public static string FullName(MetadataReader reader, TypeReferenceHandle handle)
    {
        var type = reader.GetTypeReference(handle);
        return type.ResolutionScope.Kind == HandleKind.TypeReference
            ? FullName(reader, (TypeReferenceHandle)type.ResolutionScope) + "/" + reader.GetString(type.Name)
            : Join(reader.GetString(type.Namespace), reader.GetString(type.Name));
    }

    /// <summary>The name of a TypeDef, TypeRef or TypeSpec (a generic instantiation keeps its arguments).</summary>
    public static string NameOf(MetadataReader reader, EntityHandle handle) => handle.Kind switch
    {
        HandleKind.TypeDefinition => FullName(reader, (TypeDefinitionHandle)handle),
        HandleKind.TypeReference => FullName(reader, (TypeReferenceHandle)handle),
        HandleKind.TypeSpecification => reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(Instance, null),
        _ => throw new BadImageFormatException($"Not a type: {handle.Kind}."),
    };

    /// <summary><c>Module`2&lt;Tensor,Tensor&gt;</c> → <c>Module`2</c>: a generic type's methods are matched on the definition.</summary>
    public static string GenericDefinition(string name) => name.IndexOf('<') is var i and >= 0 ? name[..i] : name;

    /// <summary>For messages: no namespaces and no arities, <c>Nullable`1&lt;X&gt;</c> as <c>X?</c>.</summary>
    public static string Short(string name, bool keepNesting = false)
    {
        // Each dotted/slashed name in it becomes its last part, or with keepNesting its nested path: torch.nn.Module.
        string shorter = Regex.Replace(name, @"[\w`]+(?:[./][\w`]+)*", m =>
        {
            string[] nesting = m.Value.Split('/');
            nesting[0] = nesting[0][(nesting[0].LastIndexOf('.') + 1)..];
            return keepNesting ? string.Join(".", nesting) : nesting[^1];
        });
        shorter = Regex.Replace(shorter, @"Nullable`1<([^<>]+)>", "$1?");
        return Regex.Replace(shorter, @"`\d+", "").Replace(",", ", ");
    }

    private static string Join(string ns, string name) => ns.Length == 0 ? name : ns + "." + name;

    public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
    {
        PrimitiveTypeCode.Boolean => "bool", PrimitiveTypeCode.Char => "char", PrimitiveTypeCode.SByte => "sbyte",
        PrimitiveTypeCode.Byte => "byte", PrimitiveTypeCode.Int16 => "short", PrimitiveTypeCode.UInt16 => "ushort",
        PrimitiveTypeCode.Int32 => "int", PrimitiveTypeCode.UInt32 => "uint", PrimitiveTypeCode.Int64 => "long",
        PrimitiveTypeCode.UInt64 => "ulong", PrimitiveTypeCode.Single => "float", PrimitiveTypeCode.Double => "double",
        PrimitiveTypeCode.String => "string", PrimitiveTypeCode.Object => "object", PrimitiveTypeCode.Void => "void",
        _ => typeCode.ToString(),
    };

    public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => FullName(reader, handle);
    public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => FullName(reader, handle);
    public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
        reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => $"{genericType}<{string.Join(",", typeArguments)}>";
    public string GetArrayType(string elementType, ArrayShape shape) => $"{elementType}[{new string(',', shape.Rank - 1)}]";
    public string GetSZArrayType(string elementType) => elementType + "[]";
    public string GetByReferenceType(string elementType) => elementType + "&";
    public string GetPointerType(string elementType) => elementType + "*";
    public string GetPinnedType(string elementType) => elementType;
    public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
    public string GetFunctionPointerType(MethodSignature<string> signature) => $"fnptr({string.Join(",", signature.ParameterTypes)}){signature.ReturnType}";
    public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
    /// <summary><c>!0</c>, or with the generic arguments of a base type as context, the argument it stands for.</summary>
    public string GetGenericTypeParameter(object? genericContext, int index) => genericContext is string[] args ? args[index] : "!" + index;
}
