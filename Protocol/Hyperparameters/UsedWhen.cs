namespace Mnist.Protocol.Hyperparameters;

/// <summary>
/// When the model reads a hyperparameter at all: another one's value is at least <see cref="AtLeast"/>
/// (<c>conv3_channels</c> when <c>conv_layers</c> ≥ 3), or is <see cref="Is"/> (<c>momentum</c> when
/// <c>optimizer</c> = <c>sgd</c>). A searched hyperparameter the model never reads only slows the search down.
/// </summary>
public sealed record UsedWhen(string Name, long? AtLeast = null, string? Is = null)
{
    /// <summary>Whether <paramref name="value"/>, a value of <see cref="Name"/>, makes the hyperparameter used.</summary>
    public bool Holds(object? value) => AtLeast is { } n
        ? value switch { long l => l >= n, int i => i >= n, double d => d >= n, _ => false }
        : value is string s && s == Is;

    /// <summary>As the docs write it: <c>`conv_layers` ≥ 3</c>, <c>`optimizer` = `sgd`</c>.</summary>
    public override string ToString() => AtLeast is { } n ? $"`{Name}` ≥ {n}" : $"`{Name}` = `{Is}`";
}
