using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Mnist.Search.Bench;

/// <summary>
/// The benchmarks' command line (linked into bench/sampler, bench/search and bench/fanout): known options only,
/// numbers checked against their range, `--help` prints the usage. A bad argument is one line on stderr naming the
/// option and the value (and the allowed values), exit 2; never a stack trace.
/// </summary>
internal sealed class BenchArgs
{
    private readonly string _program;
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    public IReadOnlyList<string> Positional => _positional;

    /// <summary>Everything after <c>restOption</c> (e.g. --recommend DIR...), empty when it is not given.</summary>
    public IReadOnlyList<string> Rest { get; } = [];

    /// <param name="valued">options that take a value</param>
    /// <param name="flags">options that take none</param>
    /// <param name="maxPositional">how many bare arguments are allowed</param>
    /// <param name="restOption">an option that takes every argument after it</param>
    public BenchArgs(string program, string usage, string[] args, string[] valued, string[] flags, int maxPositional = 0, string? restOption = null)
    {
        _program = program;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a is "--help" or "-h")
            {
                Console.WriteLine(usage.TrimEnd());
                Environment.Exit(0);
            }
            if (a == restOption)
            {
                _values[a] = null;
                Rest = args[(i + 1)..];
                if (Rest.Count == 0) Fail($"{a} needs at least one value");
                break;
            }
            if (flags.Contains(a))
            {
                _values[a] = null;
            }
            else if (valued.Contains(a))
            {
                if (i + 1 >= args.Length) Fail($"{a} needs a value");
                _values[a] = args[++i];
            }
            else if (a.StartsWith('-') && !double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                Fail($"unknown option '{a}' (--help lists the options)");
            }
            else
            {
                if (_positional.Count >= maxPositional) Fail($"unexpected argument '{a}' (--help lists the options)");
                _positional.Add(a);
            }
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Str(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (Str(name) is not { } text) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) Fail($"{name} '{text}': not an integer");
        if (v < min || v > max) Fail($"{name} {text}: out of range ({Range(min, max)})");
        return v;
    }

    public double Double(string name, double fallback, double min = double.MinValue, double max = double.MaxValue) =>
        Str(name) is { } text ? ParseDouble(name, text, min, max) : fallback;

    public double ParseDouble(string what, string text, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v)) Fail($"{what} '{text}': not a number");
        if (v < min || v > max) Fail($"{what} {text}: out of range ({Range(min, max)})");
        return v;
    }

    /// <summary>The value if it is one of <paramref name="allowed"/> (exact spelling), else one line and exit 2.</summary>
    public string Choice(string name, string fallback, params string[] allowed)
    {
        var v = Str(name) ?? fallback;
        if (!allowed.Contains(v)) Fail($"{name} '{v}': not one of {string.Join(", ", allowed)}");
        return v;
    }

    /// <summary>A comma-separated list whose every item is one of <paramref name="allowed"/>.</summary>
    public string[] List(string name, string fallback, params string[] allowed)
    {
        var text = Str(name) ?? fallback;
        var items = text.Split(',');
        foreach (var item in items)
            if (!allowed.Contains(item)) Fail($"{name} '{text}': '{item}' is not one of {string.Join(", ", allowed)}");
        return items;
    }

    [DoesNotReturn]
    public void Fail(string message)
    {
        Console.Error.WriteLine($"{_program}: {message}");
        Environment.Exit(2);
        throw new UnreachableException();
    }

    private static string Range(int min, int max) => Range(min == int.MinValue, max == int.MaxValue, min, max);

    private static string Range(double min, double max) => Range(min == double.MinValue, max == double.MaxValue, min, max);

    private static string Range(bool noMin, bool noMax, object min, object max) => (noMin, noMax) switch
    {
        (false, true) => $">= {min}",
        (true, false) => $"<= {max}",
        _ => $"{min} to {max}",
    };
}
