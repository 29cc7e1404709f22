using System.Diagnostics;

namespace Mnist.Search.Tests.Support.Cli;

/// <summary>
/// Runs the real command line as a user the file modes apply to. Root may write anything, so a folder made
/// read-only would not be one to a CLI run as root (as the tests are here and in CI): then it runs as nobody
/// under <c>setpriv</c>, as the audit that found F-query-2 did; as any other user it runs as that user.
/// </summary>
internal static class Unprivileged
{
    private const int Nobody = 65534;

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Sets a file's or folder's mode, as octal digits (<c>0o555</c> written <c>"555"</c>).</summary>
    public static void SetMode(string path, string octal)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("file modes are Unix's");
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(octal, 8));
    }

    /// <summary>Makes <paramref name="path"/> and everything below it readable (and folders enterable) by every user.</summary>
    public static void OpenToAll(string path)
    {
        foreach (var d in Directory.GetDirectories(path, "*", SearchOption.AllDirectories).Prepend(path)) SetMode(d, "755");
        foreach (var f in Directory.GetFiles(path, "*", SearchOption.AllDirectories)) SetMode(f, "644");
    }

    public static Task<SearchCli.Result> RunAsync(string workingDirectory, params string[] args)
    {
        var psi = SearchCli.StartInfo(workingDirectory, args);
        if (IsRoot)
        {
            Assert.True(File.Exists("/usr/bin/setpriv") || File.Exists("/bin/setpriv"),
                "the tests run as root and setpriv (util-linux) is missing: no user here can be denied a write");
            var dotnet = psi.FileName;
            psi.FileName = "setpriv";
            var inner = psi.ArgumentList.ToArray();
            psi.ArgumentList.Clear();
            foreach (var a in new[] { $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", dotnet }.Concat(inner))
                psi.ArgumentList.Add(a);
            // dotnet writes first-run files under HOME; nobody's home does not exist.
            var home = Path.Combine(workingDirectory, ".nobody-home");
            Directory.CreateDirectory(home);
            SetMode(home, "777");
            psi.Environment["HOME"] = home;
        }
        return SearchCli.RunAsync(psi, TimeSpan.FromMinutes(3));
    }
}
