using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// The class of the object a virtual call is made on, as far as the instructions just before the call tell: the
/// caller's own class for <c>this</c>, a parameter's, local's or field's declared type, what <c>new</c> or a call
/// returns. The call runs the override of that class or of one deriving from it, not just any:
/// <c>Adam.add_param_group</c> calls <c>Initialize</c> on an <c>Adam.State</c>, never on the <c>Adagrad.State</c>
/// whose Initialize makes a temporary.
/// </summary>
internal static class Receivers
{
    /// <summary>The declared type of the object the call at <paramref name="index"/> is made on; null when the IL does not tell.</summary>
    public static string? TypeAt(MetadataReader reader, MethodDefinitionHandle caller, MethodBodyBlock body, IReadOnlyList<IlInstruction> il, int index)
    {
        if (Pusher(reader, il, index) is not { } pusher) return null;
        var (op, operand) = (il[pusher].OpCode, il[pusher].Operand);
        var method = reader.GetMethodDefinition(caller);
        string? type = null;
        bool hasThis = (method.Attributes & MethodAttributes.Static) == 0;
        if (ArgumentNumber(op, operand) is { } argument)
            type = hasThis && argument == 0
                ? SignatureNames.FullName(reader, method.GetDeclaringType())
                : method.DecodeSignature(SignatureNames.Instance, null).ParameterTypes[argument - (hasThis ? 1 : 0)];
        else if (LocalNumber(op, operand) is { } local && !body.LocalSignature.IsNil)
            type = reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(SignatureNames.Instance, null)[local];
        else if (op == OpCodes.Ldfld || op == OpCodes.Ldsfld)
            type = FieldType(reader, MetadataTokens.EntityHandle(operand));
        else if (op == OpCodes.Newobj || op == OpCodes.Call || op == OpCodes.Callvirt)
            type = MethodName.Of(reader, MetadataTokens.EntityHandle(operand)) is { } m ? (op == OpCodes.Newobj ? m.Type : m.Signature.ReturnType) : null;
        else if (op == OpCodes.Castclass || op == OpCodes.Isinst)
            type = SignatureNames.NameOf(reader, MetadataTokens.EntityHandle(operand));
        return type is null ? null : SignatureNames.GenericDefinition(type);
    }

    /// <summary>
    /// The instruction that pushed the call's receiver, the deepest of the values the call takes: found by walking back
    /// over what each instruction pops and pushes; null where the values may come from elsewhere (a branch lands between).
    /// </summary>
    private static int? Pusher(MetadataReader reader, IReadOnlyList<IlInstruction> il, int index)
    {
        if (Effect(reader, il[index]) is not { } call) return null;
        int needed = call.Pop;
        for (int j = index - 1; j >= 0; j--)
        {
            if (il[j + 1].IsJumpTarget || il[j].OpCode.FlowControl is FlowControl.Branch or FlowControl.Return or FlowControl.Throw) return null;
            if (Effect(reader, il[j]) is not { } effect) return null;
            if (effect.Push >= needed) return effect.Push == 1 ? j : null; // a dup's copies: not followed
            needed += effect.Pop - effect.Push;
        }
        return null;
    }

    /// <summary>How many values an instruction pops and pushes; null for an indirect call.</summary>
    private static (int Pop, int Push)? Effect(MetadataReader reader, IlInstruction instruction)
    {
        var op = instruction.OpCode;
        if (op.StackBehaviourPop != StackBehaviour.Varpop && op.StackBehaviourPush != StackBehaviour.Varpush)
            return (Count(op.StackBehaviourPop, "Pop0"), Count(op.StackBehaviourPush, "Push0"));
        if (op.OperandType != OperandType.InlineMethod || MethodName.Of(reader, MetadataTokens.EntityHandle(instruction.Operand)) is not { } m)
            return null;
        bool isNewobj = op == OpCodes.Newobj; // takes no receiver and pushes the object made
        return (m.Signature.ParameterTypes.Length + (m.Signature.Header.IsInstance && !isNewobj ? 1 : 0),
            isNewobj || m.Signature.ReturnType != "void" ? 1 : 0);
    }

    /// <summary><c>Popi_popi</c> → 2, <c>Push1</c> → 1, <c>Pop0</c> → 0: one part per value.</summary>
    private static int Count(StackBehaviour behaviour, string none) =>
        behaviour.ToString() is var name && name == none ? 0 : name.Split('_').Length;

    private static int? ArgumentNumber(OpCode op, int operand) =>
        op == OpCodes.Ldarg_0 ? 0 : op == OpCodes.Ldarg_1 ? 1 : op == OpCodes.Ldarg_2 ? 2 : op == OpCodes.Ldarg_3 ? 3
        : op == OpCodes.Ldarg_S || op == OpCodes.Ldarg ? operand : null;

    private static int? LocalNumber(OpCode op, int operand) =>
        op == OpCodes.Ldloc_0 ? 0 : op == OpCodes.Ldloc_1 ? 1 : op == OpCodes.Ldloc_2 ? 2 : op == OpCodes.Ldloc_3 ? 3
        : op == OpCodes.Ldloc_S || op == OpCodes.Ldloc ? operand : null;

    private static string? FieldType(MetadataReader reader, EntityHandle field) => field.Kind switch
    {
        HandleKind.FieldDefinition => reader.GetFieldDefinition((FieldDefinitionHandle)field).DecodeSignature(SignatureNames.Instance, null),
        HandleKind.MemberReference => reader.GetMemberReference((MemberReferenceHandle)field).DecodeFieldSignature(SignatureNames.Instance, null),
        _ => null,
    };
}
