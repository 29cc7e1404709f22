namespace Mnist.Protocol.Hyperparameters;

/// <summary>Typed defaults from <see cref="HyperparameterTable"/>, for the worker's record of its hyperparameters.</summary>
public static class HyperparameterDefaults
{
    public static int Int(string name) => checked((int)(long)Row(name, HyperparameterKind.Int).Default);

    public static double Double(string name) => (double)Row(name, HyperparameterKind.Float).Default;

    public static bool Bool(string name) => (bool)Row(name, HyperparameterKind.Bool).Default;

    public static string String(string name) => (string)Row(name, HyperparameterKind.String).Default;

    private static Hyperparameter Row(string name, HyperparameterKind kind)
    {
        var row = HyperparameterTable.Get(name);
        return row.Kind == kind ? row : throw new ArgumentException($"{name} is a {row.Kind} hyperparameter, not {kind}", nameof(name));
    }
}
