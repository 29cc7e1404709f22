using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Mnist.Search.Pruning;
using Mnist.Search.Sampling;
using Mnist.Search.Scheduling;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// The ask/tell loop of one process taking part in a study (Optuna's <c>study.optimize</c>): while the
/// budget is not spent it leases a free device, asks for a configuration — a queued WAITING retry first,
/// else a new one from the sampler — and runs it as a child process. Storage is the only shared state, so
/// any number of coordinators (on any machines) can work on one study, and a killed one can be restarted.
/// </summary>
public sealed partial class StudyCoordinator
{
    private readonly StudySettings _settings;
    private readonly IStudyStorage _storage;
    private readonly ISampler _sampler;
    private readonly IDevicePool _devices;
    private readonly TrialExecution _execution;
    private readonly IStudyObserver _observer;
    private readonly ILogger _log;
    // The trials this process supervises right now (ids), so its sweep never takes them for dead (see SweepStaleTrialsAsync).
    private readonly ConcurrentDictionary<long, byte> _supervised = new();
    private readonly UntrackedTrials _untracked;
    private readonly WaitingBeyondBudget _beyondBudget;
    private Exception? _diskFull;
    private WorkerStartException? _workerStart;
    private readonly FailureStreak _failures;
    // The trial whose failure made the streak reach its maximum; the study stops then.
    private TrialSnapshot? _lastOfStreak;
    // Said once: the wait for a running trial that may become a repeat's candidate (polled every second).
    private bool _awaitingCandidate;
    // The chosen configuration this process last wrote or found stored (PlainAttributes.Chosen).
    private JsonNode? _chosenWritten;
    private IReadOnlyList<int> _abandoned = [];

    public StudyCoordinator(
        StudySettings settings, IStudyStorage storage, ISampler sampler, IPruner pruner, IDevicePool devices,
        IWorkerLauncher launcher, TrialCommand command, ILogger log, IStudyObserver? observer = null)
    {
        _settings = settings;
        _storage = storage;
        _sampler = sampler;
        _devices = devices;
        _log = log;
        _untracked = new UntrackedTrials(settings, log);
        _beyondBudget = new WaitingBeyondBudget(log);
        _failures = new FailureStreak(settings.MaxConsecutiveFailures);
        _observer = observer ?? NullStudyObserver.Instance;
        _execution = new TrialExecution(settings, storage, pruner, launcher, command, _observer, log);
    }

    /// <summary>
    /// Runs trials until the budget is spent (by this process or others), the study timeout passes or
    /// <paramref name="interrupt"/> fires (Ctrl+C): then no new trial starts, running workers are stopped and
    /// their trials recorded FAIL and queued again, so the store stays consistent and a restart resumes.
    /// The study must exist (see <see cref="StudyOpener"/>). A full disk stops the study the same way (its
    /// trials recorded FAIL) and is then rethrown as a <see cref="StorageFullException"/>; a worker that cannot be started
    /// at all (<see cref="WorkerStartException"/>) likewise, its trial queued again; and so do trials that keep failing
    /// (<see cref="FailureStreakException"/>, after <see cref="StudySettings.MaxConsecutiveFailures"/> in a row).
    /// </summary>
    public async Task<IReadOnlyList<TrialSnapshot>> RunAsync(StudyInfo study, CancellationToken interrupt)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var trials = await RunUntilStoppedAsync(study, stop);
        if (_diskFull is not null)
            throw _diskFull as StorageFullException ?? new StorageFullException($"disk full: {_diskFull.Message}", _diskFull);
        if (_workerStart is not null) throw _workerStart;
        // Ctrl+C meanwhile is the user's stop, said as one (exit 130).
        if (_lastOfStreak is { } last && !interrupt.IsCancellationRequested)
            throw FailureStreak.Error(_settings.MaxConsecutiveFailures, trials.FirstOrDefault(t => t.Id == last.Id) ?? last, trials,
                Budget.Of(trials, await BudgetTotal.ReadAsync(_storage, study.Id, _settings.Trials)));
        return trials;
    }

    private async Task<IReadOnlyList<TrialSnapshot>> RunUntilStoppedAsync(StudyInfo study, CancellationTokenSource stop)
    {
        var interrupt = stop.Token;
        var deadline = _settings.Timeout is { } t ? DateTime.UtcNow + t : DateTime.MaxValue;
        var running = new List<Task>();
        try
        {
            await LaunchUntilStoppedAsync(study, stop, deadline, running);
        }
        catch (Exception cause)
        {
            // Anything else that breaks the loop (a sampler's bug, a lost database) must not leave the running
            // trials behind: before, the exception went straight out, their workers ran on unsupervised and the
            // trials stayed RUNNING until some later sweep. Stop them as an interrupt does (recorded FAIL and
            // queued again), then report the cause.
            stop.Cancel();
            try { await Task.WhenAll(running); }
            // A database that stayed away is said once, by the command's own line: no stack trace for it.
            catch (Exception e) when (StorageOutage.Is(e)) { _log.Error("Stopping the running trials failed too: {Error}", e.Message); }
            catch (Exception e) { _log.Error(e, "Stopping the running trials failed too"); }
            // study.log says why this process stopped, last: the command's own line goes to stderr alone.
            if (StorageOutage.WasRiddenOut(cause)) StorageOutageWindow.Of(_storage).SayStopped(cause, _log);
            throw;
        }

        if (!interrupt.IsCancellationRequested && DateTime.UtcNow >= deadline)
            _log.Warning("Study timeout reached: no new trials; waiting for {Count} running", running.Count);
        await Task.WhenAll(running);
        var final = await _storage.GetAllTrialsAsync(study.Id);
        _observer.StudyRead(final, await BudgetTotal.ReadAsync(_storage, study.Id, _settings.Trials));
        await RecordChosenAsync(study.Id, final);
        return final;
    }

    /// <summary>
    /// The trials this process stopped waiting for: other clients' RUNNING trials without a heartbeat, older than a trial
    /// may run (<see cref="UntrackedTrials"/>); empty when it ended otherwise.
    /// </summary>
    public IReadOnlyList<int> AbandonedTrials => _abandoned;

    // The chosen configuration as a plain study user attribute (PlainAttributes), written when it changes: compared here
    // first, so a round whose choice is the one last written reads nothing more.
    private async Task RecordChosenAsync(int studyId, IReadOnlyList<TrialSnapshot> trials)
    {
        if (PlainAttributes.Chosen(trials, _settings.Direction) is not { } chosen || JsonNode.DeepEquals(chosen, _chosenWritten)) return;
        await PlainAttributes.WriteChosenAsync(_storage, studyId, chosen);
        _chosenWritten = chosen;
    }
}
