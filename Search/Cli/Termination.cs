using System.Diagnostics;
using System.Runtime.InteropServices;
using Mnist.Search.Storage;
using Mnist.Search.Workers;

namespace Mnist.Search.Cli;

/// <summary>
/// Turns the first SIGINT (Ctrl+C), SIGTERM (kill, systemd, Kubernetes, Slurm) or SIGHUP (a closed terminal or SSH
/// session) into a cancellation the commands clean up on: running workers are stopped, their trials recorded FAIL
/// and queued again. System.CommandLine's own handling gave that cleanup 2 seconds and then ended the process
/// mid-write, so a trial stayed RUNNING whenever the database was busy; SIGHUP was not handled at all (exit 129,
/// trial RUNNING). The cleanup is bounded here instead: a second signal, or <see cref="Grace"/> after the first,
/// ends the process at once, killing the running workers first (what is left RUNNING the next run's orphan sweep
/// finishes). The same signal again within <see cref="Repeat"/> is the same request, not a second one.
/// It lives as long as the process and is never disposed: unregistered when <c>Main</c> returned, the second of GNU
/// <c>timeout</c>'s two deliveries, arriving after a cleanup that took less than its 50 ms, met the default action and the
/// process ended 143 instead of 130, its trial recorded (3 runs in 8 of SecondSignalCliTests' double-signal test).
/// </summary>
internal sealed class Termination
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How soon after the first the same signal counts as the same request delivered twice: GNU <c>timeout</c> (without
    /// <c>--foreground</c>) signals its child and then its own process group, the child included, and so do
    /// <c>kill -TERM -PGID</c> and group-wide kills of service managers. Taken as a second signal, it quit at once: the
    /// trial stayed RUNNING and its worker ran on as an orphan.
    /// </summary>
    public static readonly TimeSpan Repeat = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _cts = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private volatile string _stops = "";
    // Whether the command runs trials (study start, resume, worker): quitting leaves them RUNNING.
    private volatile bool _leavesTrials;
    private readonly Lock _gate = new();
    private PosixSignal? _first;
    private long _firstAt;

    /// <summary>Made first thing in <c>Main</c>, before the command is known (<see cref="Stops"/> says it once it is).</summary>
    public Termination()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>
    /// What stopping does to the command's work, said with the signal; null for a command with nothing to record.
    /// Every command said "a study's running trials are recorded", `trials sql` too.
    /// </summary>
    public string? Stops
    {
        set
        {
            _stops = value is null ? "" : $" ({value})";
            _leavesTrials = value?.StartsWith(TrialsStop, StringComparison.Ordinal) == true;
        }
    }

    /// <summary>What a signal stops in <paramref name="command"/> (its path, e.g. "study start"), as said with the signal.</summary>
    public static string? StopsIn(string command) => command switch
    {
        "study start" or "study resume" => $"{TrialsStop}; an unfinished retrain leaves best/ as it was",
        "study worker" => TrialsStop,
        "study retrain" => "an unfinished retrain leaves best/ as it was",
        _ => null,
    };

    private const string TrialsStop = "running trials are recorded and queued again";

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        bool second;
        lock (_gate)
        {
            if (_first == context.Signal && Stopwatch.GetElapsedTime(_firstAt) < Repeat) return;
            second = _first is not null;
            if (!second)
            {
                _first = context.Signal;
                _firstAt = Stopwatch.GetTimestamp();
            }
        }
        // A second signal quits at once, with the interrupted exit code as the grace's end does: left to the signal's
        // default action, the process ended 143 (SIGTERM) or 129 (SIGHUP), which README's exit codes do not list.
        if (second) Quit($"a second signal ({context.Signal})");
        // The terminal may be gone (SIGHUP): nothing written from here on may throw, or the cleanup never runs.
        BestEffortWriter.InstallOnConsole();
        Console.Error.WriteLine($"{context.Signal}: stopping{_stops}; a second signal quits at once (the same one within {Repeat.TotalSeconds:0} s counts once)");
        _cts.Cancel();
        _ = Task.Delay(Grace).ContinueWith(_ => Quit($"still stopping after {Grace.TotalSeconds:0} s"), TaskScheduler.Default);
    }

    // What is left RUNNING, the next run on this machine fails and queues again (the orphan sweep). The workers are killed
    // first, each with its process group and tree: they do not die with this process (a group and session of their own).
    private void Quit(string why)
    {
        Say(_leavesTrials
            ? $"{why}: quitting at once; the running workers are killed, and trials not recorded by then stay RUNNING until the next run of the study on this machine fails them and queues them again"
            : $"{why}: quitting at once");
        LiveWorkers.KillAll();
        Environment.Exit(ExitCodes.Interrupted);
    }

    // Into study.log too: while a study runs, LockWait.Notice logs its notices there (a warning, StudyRun), and writes them
    // to stderr otherwise. Said on stderr alone, study.log ended at the first stop's lines with trials RUNNING and no word
    // why (audit-chaos 2). Never in the way of the exit it precedes.
    private static void Say(string line)
    {
        try
        {
            if (LockWait.Notice is { } notice) notice(line);
            else Console.Error.WriteLine(line);
        }
        catch (Exception) { }
    }
}
