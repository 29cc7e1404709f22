namespace Mnist.Search.Tests.Support.Workers;

/// <summary>Writes small shell scripts for tests that need real child processes.</summary>
public static class Scripts
{
    /// <summary>Writes <paramref name="body"/> under a <c>#!/bin/sh</c> line and makes it executable.</summary>
    public static string WriteExecutable(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body.ReplaceLineEndings("\n") + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
