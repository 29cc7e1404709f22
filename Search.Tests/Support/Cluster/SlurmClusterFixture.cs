using System.Diagnostics;
using Mnist.Search.Tests.Support.Faults;

namespace Mnist.Search.Tests.Support.Cluster;

/// <summary>
/// A live Slurm cluster for tests: the one <c>MNIST_SEARCH_SLURM_CONF</c> names (CI's <c>.ci/run</c> starts
/// a throwaway cluster and sets it), otherwise a throwaway single-node cluster of its own, started with the
/// same script (<c>deploy/slurm/throwaway-cluster.sh</c>, under a temp folder) and stopped on dispose.
/// Slurm clients find the cluster through <c>SLURM_CONF</c>: pass <see cref="Environment"/> to the
/// processes that submit or query.
/// </summary>
public sealed class SlurmClusterFixture : IAsyncLifetime
{
    public const string ConfVariable = "MNIST_SEARCH_SLURM_CONF";
    private string? _ownDir;

    public string Conf { get; private set; } = "";

    /// <summary>The environment a Slurm client needs to reach this cluster.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SLURM_CONF"] = Conf };

    public async Task InitializeAsync()
    {
        var given = System.Environment.GetEnvironmentVariable(ConfVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            Conf = given.Trim();
            return;
        }
        _ownDir = Path.Combine(Path.GetTempPath(), $"mnist-slurm-{System.Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        var result = await RunAsync(Script(), ["start", _ownDir], withConf: false);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"the throwaway Slurm cluster did not start (set {ConfVariable} to use another): {result.Stderr}{result.Stdout}");
        Conf = Path.Combine(_ownDir, "slurm.conf");
    }

    public async Task DisposeAsync()
    {
        if (_ownDir is not null) await RunAsync(Script(), ["stop", _ownDir], withConf: false);
    }

    /// <summary>Runs a Slurm client (<c>squeue</c>, <c>scancel</c>, ...) against this cluster.</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> ClientAsync(string tool, params string[] args) => RunAsync(tool, args, withConf: true);

    /// <summary>The state of every task of <paramref name="jobId"/> the controller knows (e.g. <c>12_0 → RUNNING</c>).</summary>
    public async Task<IReadOnlyDictionary<string, string>> TaskStatesAsync(long jobId)
    {
        var (_, stdout, _) = await ClientAsync("squeue", "-h", "-r", "-t", "all", "-j", jobId.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", "%i %T");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1]);
    }

    /// <summary>Waits until no task of the job is pending, running or completing.</summary>
    public async Task WaitForEndAsync(long jobId, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        string[] ended = ["COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "PREEMPTED", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"];
        while (clock.Elapsed < timeout)
        {
            var states = await TaskStatesAsync(jobId);
            if (states.Count > 0 && states.Values.All(s => ended.Contains(s))) return;
            await Task.Delay(250);
        }
        throw new TimeoutException($"Slurm job {jobId} did not end within {timeout.TotalSeconds:0} s: {string.Join(", ", await TaskStatesAsync(jobId))}");
    }

    /// <summary>
    /// Waits until the slurmstepd of a task's batch step has exited (the cluster runs on this machine). The
    /// step reports the script's exit to the controller and waits for the answer before it exits; without
    /// slurmdbd, Slurm 22.05 applies a report that arrives late to whatever run of the job is current, so a
    /// requeued task started again before it would be ended FAILED by its previous run's exit code.
    /// </summary>
    public async Task WaitForBatchStepGoneAsync(string task, TimeSpan timeout)
    {
        var (_, show, _) = await ClientAsync("scontrol", "show", "job", task);
        var id = System.Text.RegularExpressions.Regex.Match(show, @"\bJobId=(\d+)").Groups[1].Value;
        if (id.Length == 0) throw new InvalidOperationException($"scontrol show job {task} gave no JobId: {show}");
        var title = $"slurmstepd: [{id}.batch]";
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Signals.Find(title).Count == 0) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{title} still running after {timeout.TotalSeconds:0} s");
    }

    private static string Script() => RepositoryFiles.Path("deploy/slurm/throwaway-cluster.sh");

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args, bool withConf)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (withConf) psi.Environment["SLURM_CONF"] = Conf;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }
}
