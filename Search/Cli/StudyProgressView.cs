using System.Collections.Concurrent;
using System.Diagnostics;
using Mnist.Search.Scheduling;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Spectre.Console;

namespace Mnist.Search.Cli;

/// <summary>
/// The live view of a running study: counts by state, best so far, and what each device is doing.
/// Drawn with Spectre.Console when the console is a terminal; otherwise a one-line summary is logged
/// after each trial, and when the study's counts changed by other processes' trials (the coordinator's own log lines
/// carry the details). The counts are the study's, as stored: every trial of every process and tool, against the
/// stored budget. They were this process's alone, so a worker ended a spent study saying "8/16 done", and a budget
/// another process changed was never shown; what this process ran is said apart ("this process ran N").
/// </summary>
internal sealed class StudyProgressView(StudySettings settings, IReadOnlyList<DeviceSlot> devices, Serilog.ILogger log) : IStudyObserver
{
    private sealed record Running(int Trial, int Epoch, double? Value, Stopwatch Clock);

    private readonly ConcurrentDictionary<string, Running> _byDevice = new();
    private readonly ConcurrentQueue<string> _recent = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    // The study's trials as last known: read from storage each turn of the coordinator's loop, and updated at once by
    // this process's own starts, retries and ends (which the next read may not have seen yet).
    private readonly Dictionary<int, TrialSnapshot> _trials = new();
    private readonly HashSet<int> _mine = new();
    // This process's trials queued again (a stop, a killed worker), whose end the next read of the study reports.
    private readonly HashSet<int> _queuedAgain = new();
    private int _total = settings.Trials;
    private string? _lastLogged;
    private readonly Lock _gate = new();

    public static bool IsInteractive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>The study as it is when this process joins it (nothing is logged).</summary>
    public void SeedFrom(IReadOnlyList<TrialSnapshot> trials)
    {
        lock (_gate)
        {
            foreach (var t in trials) Merge(t);
            _lastLogged = Counts();
        }
    }

    public void StudyRead(IReadOnlyList<TrialSnapshot> trials, int budgetTotal)
    {
        string? changed = null;
        lock (_gate)
        {
            foreach (var t in trials) Merge(t);
            if (budgetTotal != _total)
            {
                changed = $"budget now {budgetTotal} trials (was {_total}), as stored with the study";
                _total = budgetTotal;
            }
        }
        if (changed is not null)
        {
            Note(changed);
            if (!IsInteractive) log.Information("Study {Study}: {Change}", settings.Name, changed);
        }
        LogIfChanged();
    }

    public void TrialStarted(TrialSnapshot trial, DeviceSlot device)
    {
        lock (_gate)
        {
            _mine.Add(trial.Number);
            Merge(trial);
        }
        _byDevice[device.Id] = new Running(trial.Number, 0, null, Stopwatch.StartNew());
    }

    public void EpochReported(TrialSnapshot trial, int epoch, double value)
    {
        foreach (var (device, r) in _byDevice)
            if (r.Trial == trial.Number) _byDevice[device] = r with { Epoch = epoch, Value = value };
    }

    public void TrialFinished(TrialSnapshot trial)
    {
        foreach (var (device, r) in _byDevice)
            if (r.Trial == trial.Number) _byDevice.TryRemove(device, out _);
        bool queuedAgain;
        lock (_gate)
        {
            Merge(trial);
            queuedAgain = _queuedAgain.Remove(trial.Number);
        }
        var what = trial.State == TrialState.FAIL
            ? $"trial {trial.Number} FAIL: {Reason(trial)}"
            : $"trial {trial.Number} {trial.State} {settings.Metric}={trial.Value:F4}";
        Note(what);
        // A trial queued again is said by the next read of the study: the coordinator's loop reads it at once, and a
        // stopped run reads it once after its last trial ended. Ctrl+C with two trials running printed a progress line
        // for each stopped trial, and a third when the run's last read found one stopped while it was being proposed:
        // "Progress: 0/4 done …" twice or three times in a row (audit-cli 11).
        if (!queuedAgain) LogIfChanged();
    }

    // Known here before the retry starts: a study interrupted right after (Ctrl+C, scancel) counted the trial as
    // done and failed in its last line, and "0/N trials done" in the next.
    public void TrialQueuedAgain(TrialSnapshot failed, TrialSnapshot retry)
    {
        lock (_gate)
        {
            Merge(retry);
            _queuedAgain.Add(failed.Number);
        }
    }

    // A read that began before a trial ended must not bring it back to RUNNING: an ended trial stays ended.
    private void Merge(TrialSnapshot t)
    {
        if (_trials.TryGetValue(t.Number, out var known) && known.State.IsFinished() && !t.State.IsFinished()) return;
        _trials[t.Number] = t;
    }

    // A progress line after each of this process's trials, and whenever the study's counts changed otherwise (another
    // process's trial ended, the budget changed), so the last line says where the study stands; never the same counts
    // twice. Compared, and written, under the lock: two trials that ended together each found the other's end merged
    // and printed the same line (each trial's line was printed whatever the counts).
    private void LogIfChanged()
    {
        if (IsInteractive) return;
        lock (_gate)
        {
            var counts = Counts();
            if (counts == _lastLogged) return;
            _lastLogged = counts;
            log.Information("Progress: {Summary}", Summary());
        }
    }

    // What a progress line says of the study (its counts and best), without what changes by itself (time, running).
    private string Counts()
    {
        var (done, best) = Parts();
        return done + ", " + best;
    }

    private (string Done, string Best) Parts()
    {
        var trials = _trials.Values.ToList();
        var budget = Budget.Of(trials, _total);
        var retried = Budget.Retried(trials);
        var failedRetried = trials.Count(t => t.State == TrialState.FAIL && retried.Contains(t.Number));
        int Count(TrialState s) => trials.Count(t => t.State == s) - (s == TrialState.FAIL ? failedRetried : 0);
        var failed = failedRetried > 0 ? $"{Count(TrialState.FAIL)} failed, {failedRetried} failed and retried" : $"{Count(TrialState.FAIL)} failed";
        var best = BestTrial.Choose(trials, settings.Direction) is { } b
            ? $"best {settings.Metric} {b.Value:F4} (trial {b.Trial.Number}{(b.Basis is { } basis ? ", " + basis : "")})"
            : "no result yet";
        return ($"{budget.Used}/{budget.Total} done ({Count(TrialState.COMPLETE)} complete, {Count(TrialState.PRUNED)} pruned, {failed})", best);
    }

    private string Summary()
    {
        lock (_gate)
        {
            var (done, best) = Parts();
            var running = _trials.Values.Count(t => t.State == TrialState.RUNNING);
            var mine = _mine.Count(n => _trials.TryGetValue(n, out var t) && t.State.IsFinished());
            return $"{done}, {running} running, {best}; this process ran {mine}, {_clock.Elapsed:hh\\:mm\\:ss}";
        }
    }

    /// <summary>Adds a line to the view's recent events (the last five are shown).</summary>
    public void Note(string line)
    {
        _recent.Enqueue(line);
        while (_recent.Count > 5) _recent.TryDequeue(out _);
    }

    /// <summary>Runs <paramref name="work"/> under the live view (or plainly when not interactive).</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        if (!IsInteractive) return await work();
        Task<T>? task = null;
        try
        {
            await AnsiConsole.Live(Render()).AutoClear(false).StartAsync(async ctx =>
            {
                task = work();
                while (await Task.WhenAny(task, Task.Delay(500)) != task)
                {
                    ctx.UpdateTarget(Render());
                }
                ctx.UpdateTarget(Render());
            });
        }
        catch (IOException)
        {
            // The terminal is gone (a closed SSH session): the study goes on, and ends, without its view. The
            // drawing's failure ended the command while the study went on underneath.
            task ??= work();
        }
        return await task!;
    }

    private Spectre.Console.Rendering.IRenderable Render()
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(settings.Name)}[/]")
            .AddColumn("device").AddColumn("trial").AddColumn("epoch").AddColumn(settings.Metric).AddColumn("elapsed");
        foreach (var d in devices)
        {
            if (_byDevice.TryGetValue(d.Id, out var r))
                table.AddRow(d.Id, r.Trial.ToString(), $"{r.Epoch}/{settings.Epochs}", r.Value?.ToString("F4") ?? "-", r.Clock.Elapsed.ToString(@"mm\:ss"));
            else
                table.AddRow(d.Id, "[grey]idle[/]", "", "", "");
        }
        var rows = new List<Spectre.Console.Rendering.IRenderable> { new Markup(Markup.Escape(Summary())), table };
        rows.AddRange(_recent.Select(r => new Markup("[grey]" + Markup.Escape(r) + "[/]")));
        return new Rows(rows);
    }

    private static string Reason(TrialSnapshot t) =>
        t.SystemAttrs.TryGetValue(StudyAttributes.FailReason, out var r) ? System.Text.Json.JsonSerializer.Deserialize<string>(r) ?? r : "unknown";
}
