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
/// after each trial (the coordinator's own log lines carry the details).
/// </summary>
internal sealed class StudyProgressView(StudySettings settings, IReadOnlyList<DeviceSlot> devices, Serilog.ILogger log) : IStudyObserver
{
    private sealed record Running(int Trial, int Epoch, double? Value, Stopwatch Clock);

    private readonly ConcurrentDictionary<string, Running> _byDevice = new();
    private readonly ConcurrentQueue<string> _recent = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<int, TrialState> _finished = new();
    // Failed trials queued again: their retry stands in for them in the budget, so they are not "done" (issue 11).
    private readonly HashSet<int> _retried = new();
    // The finished trials as stored: the best is BestTrial's choice among them, as `study best` makes it (it compared
    // raw values here, so an Optuna-written Infinity was "best" in this line and not in any command's answer).
    private readonly Dictionary<int, TrialSnapshot> _ended = new();
    private readonly Lock _gate = new();

    public static bool IsInteractive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public void SeedFrom(IReadOnlyList<TrialSnapshot> trials)
    {
        foreach (var t in trials)
        {
            NoteRetry(t);
            if (t.State.IsFinished()) Count(t);
        }
    }

    public void TrialStarted(TrialSnapshot trial, DeviceSlot device)
    {
        NoteRetry(trial);
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
        NoteRetry(trial);
        Count(trial);
        var what = trial.State == TrialState.FAIL
            ? $"trial {trial.Number} FAIL: {Reason(trial)}"
            : $"trial {trial.Number} {trial.State} {settings.Metric}={trial.Value:F4}";
        Note(what);
        if (!IsInteractive) log.Information("Progress: {Summary}", Summary());
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

    private void Count(TrialSnapshot t)
    {
        lock (_gate)
        {
            _finished[t.Number] = t.State;
            _ended[t.Number] = t;
        }
    }

    // Known here before the retry starts: a study interrupted right after (Ctrl+C, scancel) counted the trial as
    // done and failed in its last line, and "0/N trials done" in the next.
    public void TrialQueuedAgain(TrialSnapshot failed, TrialSnapshot retry)
    {
        lock (_gate) _retried.Add(failed.Number);
    }

    private void NoteRetry(TrialSnapshot t)
    {
        if (t.SystemAttrs.TryGetValue(StudyAttributes.RetryOf, out var of) && int.TryParse(of, out var n))
            lock (_gate) _retried.Add(n);
    }

    private string Summary()
    {
        lock (_gate)
        {
            int Count(TrialState s) => _finished.Values.Count(v => v == s);
            var retried = _finished.Count(kv => kv.Value == TrialState.FAIL && _retried.Contains(kv.Key));
            var done = _finished.Count - retried;
            var best = BestTrial.Choose([.. _ended.Values], settings.Direction) is { } b
                ? $"best {settings.Metric} {b.Value:F4} (trial {b.Trial.Number}{(b.Basis is { } basis ? ", " + basis : "")})"
                : "no result yet";
            var failed = retried > 0 ? $"{Count(TrialState.FAIL) - retried} failed, {retried} failed and retried" : $"{Count(TrialState.FAIL)} failed";
            return $"{done}/{settings.Trials} done ({Count(TrialState.COMPLETE)} complete, {Count(TrialState.PRUNED)} pruned, {failed}), {_byDevice.Count} running, {best}, {_clock.Elapsed:hh\\:mm\\:ss}";
        }
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
