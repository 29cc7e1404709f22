using System.Text.Json.Nodes;
using Mnist.Search.Config;

namespace Mnist.Search.Cli;

/// <summary>
/// Reads the configuration stored with a study (<c>{"source_path", "text"}</c>, written by <c>study start</c>):
/// relative paths in it resolve against the original file's folder when <paramref name="sourceOnThisMachine"/> and that
/// folder exists here, else against the current folder (a worker on another machine: its own data and studies).
/// </summary>
internal static class StoredConfig
{
    public static (StudyConfig Config, string Text) Parse(string stored, bool sourceOnThisMachine = true)
    {
        var source = JsonNode.Parse(stored)!;
        var text = (string)source["text"]!;
        var path = sourceOnThisMachine && (string?)source["source_path"] is { } p && Directory.Exists(Path.GetDirectoryName(p))
            ? p
            : Path.Combine(Directory.GetCurrentDirectory(), "search.json");
        return (StudyConfigLoader.Parse(text, path, stored: true), text);
    }
}
