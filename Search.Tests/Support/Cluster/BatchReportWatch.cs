using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Mnist.Search.Tests.Support.Cluster;

/// <summary>
/// Sees slurmctld receive a batch step's exit report (REQUEST_COMPLETE_BATCH_SCRIPT), which nothing but its log shows
/// without slurmdbd (<c>sacct</c> needs accounting storage; <c>scontrol</c> shows the requeued job PENDING either way),
/// and only at debug2: the controller is set to debug2 from <see cref="StartAsync"/> to disposal and its log read from
/// where it stood at the start. Replaces a fixed 3 s wait for a late report (SlurmArrayTests' requeue test).
/// </summary>
internal sealed partial class BatchReportWatch : IAsyncDisposable
{
    private readonly SlurmClusterFixture _slurm;
    private readonly string _log;
    private readonly long _from;
    private readonly string _level;

    private BatchReportWatch(SlurmClusterFixture slurm, string log, long from, string level) => (_slurm, _log, _from, _level) = (slurm, log, from, level);

    /// <summary>Starts watching: call it before the event whose step's report is awaited (e.g. before <c>scontrol requeue</c>).</summary>
    public static async Task<BatchReportWatch> StartAsync(SlurmClusterFixture slurm)
    {
        var (_, config, _) = await slurm.ClientAsync("scontrol", "show", "config");
        var log = Setting().Matches(config).FirstOrDefault(m => m.Groups[1].Value == "SlurmctldLogFile")?.Groups[2].Value;
        var level = Setting().Matches(config).FirstOrDefault(m => m.Groups[1].Value == "SlurmctldDebug")?.Groups[2].Value ?? "info";
        if (log is null || !File.Exists(log)) throw new InvalidOperationException($"slurmctld's log file ({log ?? "none configured"}) cannot be read here");
        var (code, _, stderr) = await slurm.ClientAsync("scontrol", "setdebug", "debug2");
        if (code != 0) throw new InvalidOperationException($"scontrol setdebug debug2: {stderr}");
        return new BatchReportWatch(slurm, log, new FileInfo(log).Length, level);
    }

    /// <summary>Waits until the controller has logged the batch step report of <paramref name="task"/> (e.g. <c>12_0</c>) since the start.</summary>
    public async Task WaitForAsync(string task, TimeSpan timeout)
    {
        var (_, show, _) = await _slurm.ClientAsync("scontrol", "show", "job", task);
        var id = Regex.Match(show, @"\bJobId=(\d+)").Groups[1].Value;
        if (id.Length == 0) throw new InvalidOperationException($"scontrol show job {task} gave no JobId: {show}");
        var line = $"_slurm_rpc_complete_batch_script JobId={id} ";
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Since().Contains(line, StringComparison.Ordinal)) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"slurmctld logged no batch step report of {task} (JobId={id}) within {timeout.TotalSeconds:0} s");
    }

    private string Since()
    {
        using var stream = new FileStream(_log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(Math.Min(_from, stream.Length), SeekOrigin.Begin);
        return new StreamReader(stream).ReadToEnd();
    }

    public async ValueTask DisposeAsync() => await _slurm.ClientAsync("scontrol", "setdebug", _level);

    [GeneratedRegex(@"^(\w+)\s*=\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex Setting();
}
