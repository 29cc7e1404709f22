using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mnist.Search.Config;

/// <summary>
/// Typed, path-aware reads from a parsed config file. Every failure becomes a one-line
/// <see cref="ConfigException"/> naming the file, the JSON path and the value found.
/// </summary>
internal sealed partial class ConfigReader(string filePath)
{
    public string FilePath { get; } = filePath;

    public ConfigException Error(string path, string problem) =>
        new($"{FilePath}: {path}: {problem}", FilePath, path);

    public ConfigException Error(string path, string problem, JsonElement value) =>
        Error(path, $"{problem}, got {Show(value)}");

    /// <summary>The JSON path of member <paramref name="key"/> of the object at <paramref name="path"/>.</summary>
    public static string Child(string path, string key) =>
        SimpleKey().IsMatch(key) ? $"{path}.{key}" : $"{path}['{key.Replace("'", "\\'")}']";

    /// <summary>A short one-line rendering of a JSON value for messages.</summary>
    public static string Show(JsonElement value)
    {
        var text = WhiteSpace().Replace(value.GetRawText(), " ");
        return text.Length <= 60 ? text : text[..57] + "...";
    }

    /// <summary>
    /// Reads an object, rejecting any other kind, duplicate keys and keys not in <paramref name="known"/>
    /// (the message lists the known ones).
    /// </summary>
    public ConfigObject Object(JsonElement element, string path, IReadOnlyCollection<string> known)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Error(path, "expected an object", element);
        var members = new List<KeyValuePair<string, JsonElement>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var childPath = Child(path, property.Name);
            if (!seen.Add(property.Name))
                throw Error(childPath, "key appears more than once");
            if (!known.Contains(property.Name))
                throw Error(childPath, $"unknown key (known: {string.Join(", ", known)})");
            members.Add(new(property.Name, property.Value));
        }
        return new ConfigObject(this, path, members);
    }

    /// <summary>Reads an object whose keys are free-form names (<c>space</c>, <c>fixed</c>).</summary>
    public ConfigObject Map(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Error(path, "expected an object", element);
        var members = new List<KeyValuePair<string, JsonElement>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name))
                throw Error(Child(path, property.Name), "key appears more than once");
            members.Add(new(property.Name, property.Value));
        }
        return new ConfigObject(this, path, members);
    }

    public string String(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.String)
            throw Error(path, "expected a string", e);
        var s = e.GetString()!;
        // No path, program argument or PostgreSQL text can hold one: it ended in .NET's "Null character in path" with a
        // stack trace and exit 1, after `study create` had said "Created study" (review 1207b, 5).
        if (s.Contains('\0', StringComparison.Ordinal))
            throw Error(path, "must not contain a NUL character (\\u0000)", e);
        return s;
    }

    /// <summary>A string naming a file or folder: no control character (a tab or newline in one is a paste gone wrong).</summary>
    public string PathString(JsonElement e, string path)
    {
        var s = String(e, path);
        if (s.Any(char.IsControl))
            throw Error(path, "a path must not contain control characters", e);
        return s;
    }

    public string OneOf(JsonElement e, string path, params string[] allowed)
    {
        var s = String(e, path);
        if (!allowed.Contains(s, StringComparer.Ordinal))
            throw Error(path, $"expected one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}", e);
        return s;
    }

    public bool Bool(JsonElement e, string path) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Error(path, "expected true or false", e),
    };

    public long Long(JsonElement e, string path)
    {
        // A whole number written as 4.0 or 1e2 is one, as Int, fixed values and categorical choices read it (an int
        // range's "low": 4.0 was refused, "expected an integer").
        if (e.ValueKind == JsonValueKind.Number && !e.TryGetInt64(out _) && e.TryGetDouble(out var d) && double.IsFinite(d) && d == Math.Floor(d)
            && d >= long.MinValue && d < 9.2233720368547758E18)
            return (long)d;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var value))
            throw Error(path, "expected an integer", e);
        return value;
    }

    public int Int(JsonElement e, string path, int min, int max = int.MaxValue)
    {
        // "at least 0" for 3000000000 reads as nonsense: a value too large says its ceiling.
        string Range(bool tooSmall) => max == int.MaxValue && tooSmall ? $"must be at least {min}" : $"must be between {min} and {max}";
        // An integer written as 1e2 or 100.0 is one (a trial spec takes it too); 1e30 said only "expected an integer".
        if (e.ValueKind == JsonValueKind.Number && !e.TryGetInt64(out _) && e.TryGetDouble(out var d) && double.IsFinite(d) && d == Math.Floor(d))
        {
            if (d < min || d > max) throw Error(path, Range(d < min), e);
            return (int)d;
        }
        var value = Long(e, path);
        if (value < min || value > max)
            throw Error(path, Range(value < min), e);
        return (int)value;
    }

    public double Number(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var value) || !double.IsFinite(value))
            throw Error(path, "expected a number", e);
        return value;
    }

    /// <summary>A JSON scalar as the value types the rest of the code uses: long, double, bool or string.</summary>
    public object Scalar(JsonElement e, string path) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when e.TryGetInt64(out var l) => l,
        JsonValueKind.Number => Number(e, path),
        _ => throw Error(path, "expected a number, string or boolean", e),
    };

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex SimpleKey();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
