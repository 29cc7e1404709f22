namespace Mnist.Search.Config;

/// <summary>
/// A <c>search.json</c> that cannot be used. The message is one line naming the file, the JSON path
/// (e.g. <c>$.space.fc_width.low</c>) and the offending value; the CLI prints it and exits with code 2.
/// </summary>
public sealed class ConfigException(string message, string filePath, string jsonPath, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The config file as it was given to the loader.</summary>
    public string FilePath { get; } = filePath;

    /// <summary>Where in the file the problem is (<c>$</c> for the whole file).</summary>
    public string JsonPath { get; } = jsonPath;
}
