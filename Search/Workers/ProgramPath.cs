namespace Mnist.Search.Workers;

/// <summary>Where a worker program is: the check the launcher makes per trial and a study makes once before it starts.</summary>
public static class ProgramPath
{
    /// <summary>The absolute path of an executable <paramref name="program"/> (a path, or a name searched on PATH), or null.</summary>
    public static string? Resolve(string program)
    {
        static bool IsExecutable(string path) =>
            File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

        if (program.Contains('/')) return IsExecutable(Path.GetFullPath(program)) ? Path.GetFullPath(program) : null;
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(IsExecutable);
    }
}
