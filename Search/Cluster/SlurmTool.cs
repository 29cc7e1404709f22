using System.Diagnostics;

namespace Mnist.Search.Cluster;

/// <summary>
/// One Slurm client program (<c>sbatch</c>, <c>squeue</c>, <c>sacct</c>) found on PATH, run as a child
/// process with its output captured. The cluster is whichever one the environment names
/// (<c>SLURM_CONF</c>, or the machine's own configuration), exactly as when a user types the command.
/// </summary>
internal sealed class SlurmTool
{
    private readonly string _path;

    private SlurmTool(string path) => _path = path;

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>The program on PATH, or null when there is none.</summary>
    public static SlurmTool? Find(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var dir in dirs)
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & UnixFileMode.UserExecute) != 0))
                return new SlurmTool(candidate);
        }
        return null;
    }

    public async Task<Result> RunAsync(IEnumerable<string> args, string? stdin = null, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(_path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new SlurmUnavailableException($"could not start {_path}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        if (stdin is not null)
        {
            // A client that fails at once (no controller, a bad option) exits without reading: the broken pipe is not
            // the error, its exit code and stderr are.
            try
            {
                await p.StandardInput.WriteAsync(stdin.AsMemory(), ct);
                p.StandardInput.Close();
            }
            catch (IOException) { }
        }
        // Slurm clients retry an unreachable controller for a while; a minute is past any sane answer.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            p.Kill();
            throw new SlurmUnavailableException($"{Path.GetFileName(_path)} did not answer within a minute (is the Slurm controller up?)");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }
}
