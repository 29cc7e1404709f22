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
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Reports(Since(), id)) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"slurmctld logged no batch step report of {task} (JobId={id}) within {timeout.TotalSeconds:0} s");
    }

    /// <summary>
    /// Whether <paramref name="log"/> has the report of job <paramref name="id"/>. slurmctld 22.05 logs it in one of two
    /// forms (src/slurmctld/proc_req.c), both at debug2: <c>_slurm_rpc_complete_batch_script JobId=%u %s</c> on success and <c>…JobId=%u: %s</c>
    /// when job_complete returns an error ("Job/step already completing or completed"); waiting for the first form only
    /// timed the test out on the second (review 1207b part 2, finding 5). The character after the id keeps JobId=12 from
    /// matching JobId=123.
    /// </summary>
    internal static bool Reports(string log, string id) =>
        Regex.IsMatch(log, $@"_slurm_rpc_complete_batch_script JobId={Regex.Escape(id)}[ :]");

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
