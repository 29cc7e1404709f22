using System.Diagnostics;

namespace Mnist.Search.Tests.Support.Storage;

/// <summary>
/// Runs a Python script with Optuna 4: <c>MNIST_SEARCH_OPTUNA4</c>, else <c>shared/tools/optuna4</c> beside the
/// repository (where CI and the team keep it).
/// </summary>
public static class OptunaRunner
{
    public static string Tool =>
        Environment.GetEnvironmentVariable("MNIST_SEARCH_OPTUNA4") ?? BesideRepository() ?? "/work/shared/tools/optuna4";

    private static string? BesideRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Mnist.Search.sln"))) continue;
            var tool = Path.Combine(dir.FullName, "..", "shared", "tools", "optuna4");
            return File.Exists(tool) ? Path.GetFullPath(tool) : null;
        }
        return null;
    }

    /// <summary>Runs <paramref name="script"/> with <paramref name="args"/> as sys.argv[1:]; returns stdout, throws on a non-zero exit.</summary>
    public static async Task<string> RunPythonAsync(string script, params string[] args)
    {
        if (!File.Exists(Tool)) throw new InvalidOperationException($"Optuna 4 runner not found at {Tool} (set MNIST_SEARCH_OPTUNA4)");
        var file = Path.Combine(Path.GetTempPath(), $"optuna-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var psi = new ProcessStartInfo(Tool) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("python3");
            psi.ArgumentList.Add(file);
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await p.WaitForExitAsync(cts.Token);
            if (p.ExitCode != 0) throw new InvalidOperationException($"optuna4 script failed ({p.ExitCode}): {await stderr}");
            return await stdout;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
