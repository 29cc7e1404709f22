namespace Mnist.Trials.Export;

/// <summary>The dtype names of the safetensors format and their element sizes.</summary>
internal static class SafetensorsDtype
{
    public const string F64 = "F64";
    public const string F32 = "F32";
    public const string F16 = "F16";
    public const string BF16 = "BF16";
    public const string I64 = "I64";
    public const string I32 = "I32";
    public const string I16 = "I16";
    public const string I8 = "I8";
    public const string U8 = "U8";
    public const string Bool = "BOOL";

    /// <summary>Bytes per element, or null for a name this project does not know.</summary>
    public static int? SizeOf(string dtype) => dtype switch
    {
        F64 or I64 => 8,
        F32 or I32 => 4,
        F16 or BF16 or I16 => 2,
        I8 or U8 or Bool => 1,
        _ => null,
    };
}
