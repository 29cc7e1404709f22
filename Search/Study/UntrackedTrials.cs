using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Mnist.Search.Cluster;
using Mnist.Search.Vocabulary;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// RUNNING trials that no coordinator of this tool runs: an Optuna client's (`ask` without `tell`, or `optimize` with
/// Optuna's heartbeat), which carry none of the host attributes a coordinator writes, so no sweep of ours fails them
/// (their heartbeat, if any, keeps that client's interval and grace, which only that client knows). Each holds its place
/// in the budget: it is a trial of the study, and its client may still tell its result (a replacement would then end
/// the study one over its budget). A study whose last places they hold waited for them silently, for ever, when that
/// client was gone (audit-analysis 2).
/// <para>So a wait for them alone is said at once and again every <see cref="Repeat"/>: which trial, since when, that it
/// is another client's, and the Python line that fails it. One with no heartbeat of its own (or none within
/// <c>trial_timeout_minutes</c>) that this process has seen RUNNING for longer than a trial may run here
/// (<c>trial_timeout_minutes</c> plus the heartbeat grace) is taken for abandoned: the process
/// stops waiting for it (<see cref="Explain"/> returns true) and ends as with a spent budget, the trial still RUNNING and
/// still counted, so that client (or Python) can still tell it. One with a heartbeat (Optuna's <c>heartbeat_interval</c>)
/// is waited for as long as it beats: that client's own sweep judges it.</para>
/// </summary>
internal sealed class UntrackedTrials(StudySettings settings, ILogger log)
{
    /// <summary>How often a wait for another client's trial is said again (a run that waits is watched in its log).</summary>
    public static readonly TimeSpan Repeat = TimeSpan.FromMinutes(5);

    private readonly Dictionary<int, DateTime> _toldAt = [];
    private readonly Dictionary<long, long> _seenAt = [];
    private bool _saidAbandoned;

    /// <summary>
    /// Says the wait for other clients' RUNNING trials, called while this process is blocked by them (it runs nothing and
    /// may start nothing: it waits for them and for no trial of ours); true when every RUNNING trial is another
    /// client's and abandoned, so the caller stops waiting. <paramref name="heartbeatAges"/> by trial id (none: no heartbeat).
    /// </summary>
    public bool Explain(IReadOnlyList<TrialSnapshot> trials, IReadOnlyDictionary<long, TimeSpan> heartbeatAges)
    {
        var running = trials.Where(t => t.State == TrialState.RUNNING).ToList();
        var external = running.Where(IsExternal).ToList();
        if (external.Count == 0) return false;
        var limit = settings.TrialTimeout + settings.HeartbeatGrace;
        var now = DateTime.Now;
        var abandoned = external.Where(t => Age(t) >= limit && !Beats(t, heartbeatAges)).ToList();
        if (abandoned.Count == running.Count)
        {
            if (_saidAbandoned) return true;
            _saidAbandoned = true;
            log.Warning("Not waiting any longer for trial(s) {Trials}: seen RUNNING by this process for longer than a trial may run here (trial_timeout_minutes + " +
                "{Grace:0} s), written by another client with no heartbeat within trial_timeout_minutes; each keeps its place in the budget (its client may still tell it). " +
                "If that client is gone, fail it ({Python}); a FAIL counts too: to run another trial in its place, raise budget.trials and run `study start`",
                string.Join(", ", abandoned.Select(t => t.Number)), settings.HeartbeatGrace.TotalSeconds, FailLine(abandoned[0].Number));
            return true;
        }
        foreach (var t in external)
        {
            if (_toldAt.TryGetValue(t.Number, out var told) && now - told < Repeat) continue;
            _toldAt[t.Number] = now;
            var beat = heartbeatAges.TryGetValue(t.Id, out var age) ? $"its client's heartbeat {age.TotalSeconds:0} s ago" : "no host, pid or heartbeat";
            var end = Beats(t, heartbeatAges)
                ? "it is waited for while its heartbeat goes on"
                : $"this process stops waiting for it at {Utc(DateTime.Now + (limit - Age(t)))} (trial_timeout_minutes + heartbeat grace), the trial still counted";
            log.Warning("Waiting for trial {Trial}: RUNNING since {Since}, not started by this tool (another client's: {Beat}), and holding a place " +
                "of the budget; if that client is gone, fail it: {Python}; {End}",
                t.Number, Utc(t.DatetimeStart ?? now), beat, FailLine(t.Number), end);
        }
        return false;
    }

    /// <summary>Whether a RUNNING trial is another client's: it carries no host of a coordinator of this tool.</summary>
    public static bool IsExternal(TrialSnapshot trial) => trial.State == TrialState.RUNNING && !trial.SystemAttrs.ContainsKey(StudyAttributes.Host);

    // How long this process has seen the trial RUNNING, on the monotonic clock. Not its datetime_start: Optuna writes
    // the writer's local time, which the storage reads as this machine's, so a client west of this machine had its fresh
    // trial look hours old and given up at the first check, and one east of it looked started in the future (review 1207b, 3).
    // A trial left RUNNING long before this process started is so given up one trial's time after it is first seen.
    private TimeSpan Age(TrialSnapshot t)
    {
        var now = Stopwatch.GetTimestamp();
        if (!_seenAt.TryGetValue(t.Id, out var seen)) _seenAt[t.Id] = seen = now;
        return Stopwatch.GetElapsedTime(seen, now);
    }

    // A heartbeat younger than a trial may run: its client is alive (Optuna's own grace is that client's to know).
    private bool Beats(TrialSnapshot t, IReadOnlyDictionary<long, TimeSpan> ages) => ages.TryGetValue(t.Id, out var age) && age < settings.TrialTimeout;

    /// <summary>The Python line that fails trial <paramref name="number"/> (Optuna's <c>Study.tell</c> takes a trial number).</summary>
    private string FailLine(int number) => FailLine(settings.Name, settings.OptunaStorage, number);

    /// <summary>
    /// The shell line that fails trial <paramref name="number"/> of <paramref name="study"/> from Python (Optuna's
    /// <c>Study.tell</c> takes a trial number); <paramref name="optunaStorage"/> as an Optuna client opens it, null: <c>URL</c>.
    /// </summary>
    public static string FailLine(string study, string? optunaStorage, int number) =>
        "python3 -c " + SlurmScript.Quote($"import optuna; optuna.load_study(study_name={PythonString(study)}, " +
            $"storage={PythonString(optunaStorage ?? "URL")}).tell({number}, state=optuna.trial.TrialState.FAIL)");

    // A JSON string is a Python string literal (its escapes are Python's too); the whole -c argument is then single-quoted
    // for the shell. Both went in raw: an Optuna study's name is any text, and one with a quote broke the line, one with
    // $(...) ran a command when pasted (review 1207b, 4).
    private static string PythonString(string text) => JsonSerializer.Serialize(text, Literal);

    private static readonly JsonSerializerOptions Literal = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // In UTC with its Z, as `study status` and `trials list` show times.
    private static string Utc(DateTime local) => local.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
