using System.Diagnostics;

namespace Mnist.Search.Tests.Support.Post;

/// <summary>Runs a script under Debian's Python (the one with <c>python3-torch</c>) and captures its output.</summary>
internal static class DebianPython
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Path of the exported-model loader, copied next to the test assembly from Trials.</summary>
    public static string LoaderScript => Path.Combine(AppContext.BaseDirectory, "Export", "python", "load_safetensors.py");

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // One thread keeps PyTorch's results deterministic and leaves the shared cores to other tests.
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Interpreter} {string.Join(' ', arguments)} ran over 60 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
