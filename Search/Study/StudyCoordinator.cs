using System.Collections.Concurrent;
using System.Globalization;
using Mnist.Search.Pruning;
using Mnist.Search.Sampling;
using Mnist.Search.Scheduling;
using Mnist.Search.Space;
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
public sealed class StudyCoordinator
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
    private System.Text.Json.Nodes.JsonNode? _chosenWritten;
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
        if (PlainAttributes.Chosen(trials, _settings.Direction) is not { } chosen || System.Text.Json.Nodes.JsonNode.DeepEquals(chosen, _chosenWritten)) return;
        await PlainAttributes.WriteChosenAsync(_storage, studyId, _settings.Direction, trials);
        _chosenWritten = chosen;
    }

    private async Task LaunchUntilStoppedAsync(StudyInfo study, CancellationTokenSource stop, DateTime deadline, List<Task> running)
    {
        var interrupt = stop.Token;
        var lastTry = false;
        StorageOutageWindow.Of(_storage).StopsWith(interrupt);
        while (!interrupt.IsCancellationRequested && DateTime.UtcNow < deadline)
        {
            try
            {
                running.RemoveAll(task => task.IsCompleted);
                await FailOrphanedTrialsAsync(study.Id);
                await SweepStaleTrialsAsync(study.Id);

                var trials = await _storage.GetAllTrialsAsync(study.Id);
                StorageOutageWindow.Of(_storage).Answered(_log);
                var budget = Budget.Of(trials, await BudgetTotal.ReadAsync(_storage, study.Id, _settings.Trials));
                _observer.StudyRead(trials, budget.Total);
                await RecordChosenAsync(study.Id, trials);
                _beyondBudget.Explain(trials, budget);
                if (budget.IsSpent) break;
                if (_failures.ReachedIn(trials) is { } last)
                {
                    // The running trials are stopped as by Ctrl+C (recorded FAIL and queued again, not counted).
                    _lastOfStreak = last;
                    _log.Error("{Count} trials in a row failed (budget.max_consecutive_failures), stopping; the last, trial {Trial}: {Reason}",
                        _settings.MaxConsecutiveFailures, last.Number, FailureStreak.Reason(last));
                    stop.Cancel();
                    break;
                }

                var claimable = budget.CanClaimWaiting && trials.Any(x => x.State == TrialState.WAITING);
                if (!claimable && !budget.CanStartNew || running.Count >= _devices.Devices.Count)
                {
                    // Nothing to start here now: wait for one of ours to end, or poll for others' progress. Waiting for
                    // nothing but other clients' trials is said (and, once they are abandoned, ended: UntrackedTrials).
                    var blocked = running.Count == 0 && !claimable && !budget.CanStartNew && trials.Any(UntrackedTrials.IsExternal);
                    if (blocked && _untracked.Explain(trials, blocked, await _storage.GetHeartbeatAgesAsync(study.Id)))
                    {
                        _abandoned = trials.Where(t => t.State == TrialState.RUNNING).Select(t => t.Number).ToList();
                        break;
                    }
                    await WaitAnyAsync(running, _settings.HeartbeatInterval, interrupt);
                    continue;
                }

                DeviceLease lease;
                try { lease = await _devices.AcquireAsync(interrupt); }
                catch (OperationCanceledException) { break; }

                TrialSnapshot? trial;
                try { trial = await AskAsync(study.Id, budget, interrupt); }
                catch
                {
                    lease.Dispose();
                    throw;
                }
                if (trial is null)
                {
                    lease.Dispose();
                    // Waiting for a candidate lasts as long as a trial: polled like the study (every heartbeat), not every second.
                    await WaitAnyAsync(running, _awaitingCandidate ? _settings.HeartbeatInterval : TimeSpan.FromSeconds(1), interrupt);
                    continue;
                }
                running.Add(RunTrialAsync(trial, lease, study.Id, stop));
            }
            catch (Exception e) when (DiskReserve.IsDiskFull(e))
            {
                StopForFullDisk(e, stop);
            }
            catch (Exception e) when (StorageOutage.Is(e) && !StorageOutage.WasRiddenOut(e) && StorageOutageWindow.Of(_storage).RidesOut(e, _log, ref lastTry))
            {
                // The running trials go on (their workers do not need the database); new ones wait for it to return. The
                // window says the outage (StorageOutageWindow); at its end the loop tries once more at once.
                try { await Task.Delay(lastTry ? TimeSpan.Zero : TimeSpan.FromSeconds(2), interrupt); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    // A full disk fails every later write too: stop launching, stop the running workers (their trials are
    // recorded FAIL with the room the storage's reserve gave back) and report it once (issue 11).
    private void StopForFullDisk(Exception e, CancellationTokenSource stop)
    {
        if (Interlocked.CompareExchange(ref _diskFull, e, null) is null)
            _log.Error("Disk full, stopping the study: {Error}", (e as StorageFullException)?.Message ?? e.Message);
        stop.Cancel();
    }

    /// <summary>Claims a queued retry, else samples and creates a new trial within the budget; null if neither.</summary>
    private async Task<TrialSnapshot?> AskAsync(int studyId, Budget budget, CancellationToken interrupt)
    {
        var attrs = new Dictionary<string, object?>(OwnerAttributes.OfThisProcess());
        // Checked again in the claiming transaction: another process may have taken the last place meanwhile.
        if (budget.CanClaimWaiting
            && await _storage.PopWaitingTrialAsync(studyId, now => Budget.Of(now, budget.Total).CanClaimWaiting, attrs) is { } waiting)
            return await ProposeAsync(waiting, () => CompleteEnqueuedAsync(studyId, waiting, interrupt), interrupt);
        if (!budget.CanStartNew) return null;

        // Sampling sees every trial, RUNNING ones included, so concurrent trials get different points.
        var history = await _storage.GetAllTrialsAsync(studyId);
        if (RepeatedEvaluation.Next(history, _settings.Direction, _settings.Selection, Budget.Of(history, budget.Total)) is { } original)
        {
            attrs[StudyAttributes.RepeatOf] = original.Number;
            var same = original.Params.ToDictionary(p => p.Key, p => (original.Distributions[p.Key], p.Value));
            var repeat = await _storage.TryCreateTrialAsync(studyId, TrialState.RUNNING, same, attrs, budget.MaxNewTrialNumber);
            if (repeat is not null)
                _log.Information("Trial {Trial} evaluates trial {Original} again ({Metric} {Value:F4}) with another training seed",
                    repeat.Number, original.Number, _settings.Metric, original.Value);
            return repeat;
        }
        if (RepeatedEvaluation.AwaitsCandidate(history, _settings.Direction, _settings.Selection, Budget.Of(history, budget.Total)))
        {
            if (!_awaitingCandidate)
                _log.Information("The next trial repeats a candidate configuration: waiting for the running trials to finish, which may be candidates");
            _awaitingCandidate = true;
            // Said while only other clients' trials run; a repeat still waits for them (one may be the candidate).
            if (history.Where(t => t.State == TrialState.RUNNING).All(UntrackedTrials.IsExternal))
                _untracked.Explain(history, blocked: true, await _storage.GetHeartbeatAgesAsync(studyId));
            return null;
        }
        _awaitingCandidate = false;
        // The trial is created first and sampled for its own number (Optuna's order): the sampler sees the trials
        // numbered before it. Two coordinators that read the study at the same moment used to propose the same
        // configuration (a start-up point is indexed by the history's length), so N workers starting together ran N
        // copies of the first point; now each proposal's history is that of its own number. One process alone sees
        // exactly what it saw before.
        if (await _storage.TryCreateTrialAsync(studyId, TrialState.RUNNING, null, attrs, budget.MaxNewTrialNumber) is not { } created)
            return null;
        return await ProposeAsync(created, async () =>
        {
            var before = await ProposalHistory.BeforeAsync(_storage, studyId, created.Number, _settings.HeartbeatGrace, interrupt);
            var internalValues = Sample(created.Number, before, interrupt);
            // Only the parameters the proposal leaves active (a conditional space): the trial stores no other.
            var parameters = _settings.Space.Parameters.Where(p => internalValues.ContainsKey(p.Key)).ToDictionary(p => p.Key, p => (p.Value, internalValues[p.Key]));
            return await _storage.SetTrialParamsAsync(created.Id, parameters);
        }, interrupt);
    }

    /// <summary>
    /// Gives a RUNNING trial of this process its parameters through <paramref name="propose"/>, with heartbeats meanwhile:
    /// waiting for the history (up to a heartbeat grace) and the GP take long enough for another process's sweep to fail
    /// the trial as stale. A sampled trial had them; a claimed enqueued one did not, so it was failed, retried and failed
    /// again until its retries ran out, its configuration never trained. A sampler that fails leaves no parameterless
    /// RUNNING trial behind (an enqueued one was left RUNNING, holding a place of the budget).
    /// </summary>
    private async Task<TrialSnapshot?> ProposeAsync(TrialSnapshot trial, Func<Task<TrialSnapshot?>> propose, CancellationToken interrupt)
    {
        await using var alive = new TrialKeepAlive(_storage, trial.Id, _settings.HeartbeatInterval, _log);
        // A database outage here is ridden out here, with the trial: the loop used to ride it out instead and leave the
        // trial RUNNING without parameters, for this process's own sweep to fail as stale one grace later and queue
        // again (a FAIL that no configuration earned, and one trial more than the budget).
        var attempt = 0;
        try
        {
            return await StorageOutage.RetryAsync(_storage, async () =>
            {
                if (attempt++ == 0) return await propose();
                // The write that failed may have been committed before the connection dropped.
                var now = await _storage.GetTrialAsync(trial.Id);
                if (now.State != TrialState.RUNNING) return NotRun(trial);
                return EnqueuedConfiguration.Missing(_settings.Space, now).Count == 0 ? now : await propose();
            }, _log, $"proposing trial {trial.Number}", interrupt);
        }
        // Ridden out for as long as the loop would (to the end of the storage's outage window): the loop must not ride it out a second time
        // with the trial left half-made (that reopened the defect for outages between one and two ride-outs); it ends
        // the study with the storage's error, as a longer outage does, and the next run's sweep queues the trial again.
        // Interrupted meanwhile, the loop's ride-out sees the interrupt at once and stops as Ctrl+C does.
        catch (Exception e) when (StorageOutage.Is(e) && !interrupt.IsCancellationRequested)
        {
            StorageOutage.MarkRiddenOut(e);
            throw;
        }
        // Swept by another process while this one was stalled between the claim and these writes: that sweep
        // queued it again; nothing to run here (it used to end this coordinator and stop its other trials).
        catch (TrialNotRunningException) { return NotRun(trial); }
        // Stopped (Ctrl+C, SIGTERM) during the proposal: the trial, still without parameters, is recorded FAIL and
        // queued again as a stopped trial is, and the loop ends with the stop. Before, a long gp proposal could not be
        // interrupted: the process was quit 60 s later and left the trial RUNNING (scale audit, finding 5).
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            var reason = new Dictionary<string, object?> { [StudyAttributes.FailReason] = "stopped while its configuration was being proposed" };
            if (await _storage.FailTrialAsync(trial.Id, reason, Retries.AfterStop()) is { } failed)
            {
                _log.Warning("Trial {Trial} stopped while its configuration was being proposed; marked FAIL", trial.Number);
                Retries.Log(failed, _log);
            }
            return null;
        }
        catch (Exception e) when (!StorageOutage.Is(e))
        {
            // An enqueued configuration is queued again (within its retries): failed for good, it was lost to a sampler bug.
            var retry = trial.SystemAttrs.ContainsKey(StudyAttributes.FixedParams) ? Retries.Rule(_settings.MaxRetries) : null;
            await _storage.FailTrialAsync(trial.Id, new Dictionary<string, object?> { [StudyAttributes.FailReason] = $"the sampler failed: {e.Message}" }, retry);
            throw;
        }
    }

    /// <summary>
    /// The sampler's proposal for trial <paramref name="number"/> (in <paramref name="space"/>, by default the study's), ended by a stop (<paramref name="interrupt"/>); one that
    /// took long (the gp sampler's on a long study) is logged with the size of the history it was made from.
    /// </summary>
    private IReadOnlyDictionary<string, double> Sample(int number, IReadOnlyList<TrialSnapshot> history, CancellationToken interrupt, SearchSpace? space = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var proposal = _sampler.Sample(space ?? _settings.Space, _settings.Direction, history, interrupt);
        if (clock.Elapsed >= SlowProposal)
            _log.Information("Trial {Trial}: the sampler's proposal took {Seconds:F1} s, from {Trials} trials and {Epochs} reported epochs",
                number, clock.Elapsed.TotalSeconds, history.Count, history.Sum(t => t.IntermediateValues.Count));
        return proposal;
    }

    /// <summary>A proposal slower than this is logged: users see why a trial starts late on a long study.</summary>
    private static readonly TimeSpan SlowProposal = TimeSpan.FromSeconds(3);

    private TrialSnapshot? NotRun(TrialSnapshot trial)
    {
        _log.Warning("Trial {Trial} was failed by another process before it started here; not run", trial.Number);
        return null;
    }

    /// <summary>
    /// A claimed trial that lacks parameters was enqueued (<c>study enqueue</c>, or Optuna's <c>enqueue_trial</c>): it
    /// gets its fixed values and the sampler's proposal for the rest, as Optuna gives them. Before, it ran with no
    /// parameters at all, that is with the worker's defaults. Fixed values the space does not allow fail the trial
    /// with the reason; null then.
    /// </summary>
    private async Task<TrialSnapshot?> CompleteEnqueuedAsync(int studyId, TrialSnapshot trial, CancellationToken interrupt)
    {
        var missing = EnqueuedConfiguration.Missing(_settings.Space, trial);
        if (missing.Count == 0) return trial;
        IReadOnlyDictionary<string, double> fixedValues;
        try
        {
            var given = EnqueuedConfiguration.Read(trial);
            // A value for a hyperparameter this study does not search (an Optuna client's enqueue_trial) is ignored, as
            // Optuna ignores one its objective never suggests; the trial was failed for it and its configuration lost.
            // `study enqueue` still refuses one: there it is a typo.
            if (given.Keys.Where(k => !_settings.Space.Names.Contains(k)).ToList() is { Count: > 0 } unsearched)
            {
                _log.Warning("Trial {Trial}: its enqueued {Key} give {Names}, which this study does not search; ignored, as Optuna does",
                    trial.Number, StudyAttributes.FixedParams, string.Join(", ", unsearched));
                given = given.Where(p => !unsearched.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value);
            }
            // A value the space does not allow (enqueue_trial({"learning_rate": 5.0}) from an Optuna client; `study enqueue`
            // refuses one) is sampled instead, every such value named: the trial was failed naming only the first, and
            // spent a trial of the budget while the values that fit were lost. Optuna would run it out of range; the
            // worker is given only what the study's space allows.
            var refusals = given.ToDictionary(p => p.Key, p => EnqueuedConfiguration.Refusal(_settings.Space, p.Key, p.Value));
            if (refusals.Values.OfType<string>().ToList() is { Count: > 0 } refused)
            {
                _log.Warning("Trial {Trial}: its enqueued {Key}: {Refused}; sampled instead", trial.Number, StudyAttributes.FixedParams, string.Join("; ", refused));
                given = given.Where(p => refusals[p.Key] is null).ToDictionary(p => p.Key, p => p.Value);
            }
            fixedValues = EnqueuedConfiguration.ToInternal(_settings.Space, given);
        }
        catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException)
        {
            await _storage.FailTrialAsync(trial.Id, new Dictionary<string, object?> { [StudyAttributes.FailReason] = $"{StudyAttributes.FixedParams}: {e.Message}" }, retry: null);
            _log.Warning("Trial {Trial} failed: its enqueued {Key} {Error}", trial.Number, StudyAttributes.FixedParams, e.Message);
            _observer.TrialFinished(await _storage.GetTrialAsync(trial.Id));
            return null;
        }
        var toSample = missing.Where(n => !fixedValues.ContainsKey(n) && !_settings.Space.IsLeftOut(n, fixedValues)).ToList();
        // Proposed for its own number, as a sampled trial is (see AskAsync). With the whole study as history, every
        // enqueued trial run before the study grew, and the next sampled one, got one and the same start-up point.
        var history = toSample.Count == 0 ? null : await ProposalHistory.BeforeAsync(_storage, studyId, trial.Number, _settings.HeartbeatGrace, interrupt);
        // A conditional space: a given parent value (conv_layers 3) can make read a child (conv3_channels) that the
        // sampler's own parent value would leave out; told the given values, the sampler keeps (or optimises) it.
        var space = _settings.Space.IsConditional && fixedValues.Count + trial.Params.Count > 0
            ? _settings.Space with { Given = EnqueuedConfiguration.Given(trial, fixedValues) }
            : _settings.Space;
        var proposal = history is null ? new Dictionary<string, double>() : Sample(trial.Number, history, interrupt, space);
        var completion = EnqueuedConfiguration.Completion(_settings.Space, trial, fixedValues, proposal);
        var completed = await _storage.SetTrialParamsAsync(trial.Id, completion);
        // Named from what the trial has: a given value its parent leaves out (conv3 with 1 conv layer) was logged as given,
        // and a child the merged values leave out as sampled, though neither was stored.
        var ignored = fixedValues.Keys.Where(k => !completion.ContainsKey(k) && !trial.Params.ContainsKey(k)).ToList();
        _log.Information("Trial {Trial} runs an enqueued configuration: {Given}", trial.Number,
            string.Join("; ", new[]
            {
                Listed(completion.Keys.Where(fixedValues.ContainsKey), "as given"),
                Listed(completion.Keys.Where(k => !fixedValues.ContainsKey(k)), "sampled"),
                string.Join("; ", ignored.Select(k => _settings.Space.Conditions.TryGetValue(k, out var use) ? $"{k} ignored: read only when {use}" : $"{k} ignored")),
            }.Where(p => p.Length > 0)));
        return completed;

        static string Listed(IEnumerable<string> names, string how) => string.Join(", ", names) is { Length: > 0 } list ? $"{list} {how}" : "";
    }

    private async Task RunTrialAsync(TrialSnapshot trial, DeviceLease lease, int studyId, CancellationTokenSource stop)
    {
        // Run on the thread pool so a slow start of one trial never delays launching the next.
        await Task.Yield();
        _supervised[trial.Id] = 0;
        using (lease)
        {
            try { await _execution.RunAsync(trial, lease.Device, studyId, stop.Token); }
            catch (Exception e) when (DiskReserve.IsDiskFull(e))
            {
                StopForFullDisk(e, stop);
                await FailAfterFullDiskAsync(trial, e);
            }
            catch (WorkerStartException e)
            {
                // The trial is recorded and queued again; the study stops, as every trial here would fail the same way.
                if (Interlocked.CompareExchange(ref _workerStart, e, null) is null)
                    _log.Error("The worker cannot {What}, stopping the study: {Error}", e.Started ? "run trials here" : "be started", e.Message);
                stop.Cancel();
            }
            catch (RowNotFoundException)
            {
                // Its row is gone: another client deleted the study (the loop says so in one line). There is nothing to
                // record; it was an error with a stack trace, and the attempt to fail the trial threw again.
                _log.Warning("Trial {Trial} is no longer in the storage (its study was deleted by another client)", trial.Number);
            }
            // The database's errors only (a file-system IOException of the trial's folder is no outage: the general catch below).
            catch (Exception e) when (StorageOutage.Is(e) && e is StorageUnreachableException or System.Data.Common.DbException)
            {
                // The database stayed away longer than the ride-out: recording the trial fails as well (it printed two stack
                // traces before the command's one line). It stays RUNNING, and the next run's sweep fails it and queues it again.
                _log.Error("Trial {Trial} could not be recorded: the database failed ({Error}); the next run queues it again", trial.Number, e.Message);
            }
            catch (Exception e)
            {
                // A bug of ours, not the configuration's: the reason says so, and the trial runs again like an interrupted one.
                _log.Error(e, "Trial {Trial} could not be supervised", trial.Number);
                var reason = new Dictionary<string, object?> { [StudyAttributes.FailReason] = $"the coordinator failed: {e.GetType().Name}: {e.Message}" };
                if (await _storage.FailTrialAsync(trial.Id, reason, Retries.Rule(_settings.MaxRetries)) is { } failed)
                    Retries.Log(failed, _log);
            }
            finally { _supervised.TryRemove(trial.Id, out _); }
        }
    }

    // The first failing write released the storage's reserve, so this one normally fits; when it still does not,
    // the trial stays RUNNING for the next run's orphan sweep, and the study has already been stopped.
    private async Task FailAfterFullDiskAsync(TrialSnapshot trial, Exception cause)
    {
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            try
            {
                var reason = new Dictionary<string, object?> { [StudyAttributes.FailReason] = $"disk full: {(cause as StorageFullException)?.Message ?? cause.Message}" };
                if (await _storage.FailTrialAsync(trial.Id, reason, retry: null) is not null)
                    _log.Warning("Trial {Trial} failed: disk full", trial.Number);
                return;
            }
            catch (TrialNotRunningException) { return; } // already finished by another process
            catch (Exception e) when (DiskReserve.IsDiskFull(e) && attempt == 1) { }
            catch (Exception e) when (DiskReserve.IsDiskFull(e))
            {
                _log.Error("Trial {Trial} could not be recorded FAIL: {Error}", trial.Number, e.Message);
            }
        }
    }

    /// <summary>
    /// RUNNING trials that this host's dead processes left behind are failed at once (no need to wait
    /// for their heartbeat to go stale) and queued again. Trials of live processes are left alone.
    /// A coordinator that died (kill -9, Slurm's SIGKILL after KillWait, a closed VM) was stopped, as by Ctrl+C: its
    /// trial is queued again whatever its count and the death is not counted (<see cref="Retries.AfterStop"/>). Counted,
    /// the third kill -9 during one configuration dropped it, and its place in the budget became a FAIL that never trained.
    /// A worker that crashes is seen by its living coordinator, by its exit code, and stays bounded.
    /// </summary>
    private async Task FailOrphanedTrialsAsync(int studyId)
    {
        var running = await _storage.GetAllTrialsAsync(studyId, [TrialState.RUNNING]);
        foreach (var trial in running)
        {
            if (OwnerAttributes.OwnerOf(trial) is not { } owner) continue;
            int pid = owner.Pid;
            // Only a process this one can see to have ended (another container of the same host name cannot be seen).
            if (!ProcessIdentity.Current.HasCertainlyEnded(owner)) continue;
            // Its worker, a session leader, outlives the coordinator when it does not exit at the end of its stdin (a custom
            // worker.command, one stuck in native code): it ran on beside its retry, holding a GPU and writing into trials/N/.
            if (OrphanedWorker.Kill(trial) is { } workerPid)
                _log.Warning("Trial {Trial}: its worker (pid {WorkerPid}) outlived its dead coordinator; killed it and its process group", trial.Number, workerPid);
            OrphanedTrialFolder.RemoveLeftovers(trial, _settings.StudyDirectory);
            // Null when another process (a sweep, a twin of ours) finished it meanwhile: nothing left to do.
            var reason = new Dictionary<string, object?> { [StudyAttributes.FailReason] = $"orphaned: coordinator process {pid} is gone" };
            if (await _storage.FailTrialAsync(trial.Id, reason, Retries.AfterStop()) is { } failed)
            {
                _log.Warning("Trial {Trial} was left RUNNING by dead process {Pid}; marked FAIL", trial.Number, pid);
                Retries.Log(failed, _log);
            }
        }
    }

    private async Task SweepStaleTrialsAsync(int studyId)
    {
        // Our own trials' heartbeats first: after a database outage longer than the grace (a PostgreSQL restart under
        // load) their last heartbeats are old although their workers run, and the sweep would fail and queue again the
        // trials this very process is supervising (StaleTrialRecoveryTests once ended with a fourth trial in CI under
        // load, as such a sweep of the surviving coordinator's trial would leave).
        foreach (var id in _supervised.Keys)
        {
            try { await _storage.RecordHeartbeatAsync(id); }
            catch (TrialNotRunningException) { } // finished meanwhile (by us or by another process's sweep)
        }
        // Right after an outage (this process saw the database fail within the grace) every process's heartbeats are
        // old, not only dead ones': the others have not beaten again yet. Sweeping then failed live trials, which ran
        // twice (their retries started at once) and used up their retries; one grace after the outage, the living have beaten.
        if (_storage.SinceLastOutage is { } since && since < _settings.HeartbeatGrace) return;
        // The reason is written in the failing transaction: a FAIL trial is read-only, so setting it afterwards
        // threw and took the surviving coordinator down (issue 11).
        var reason = new Dictionary<string, object?>
        {
            [StudyAttributes.FailReason] = $"stale heartbeat (> {_settings.HeartbeatGrace.TotalSeconds:0}s): its process died or was stopped",
        };
        foreach (var stale in await _storage.FailStaleTrialsAsync(studyId, _settings.HeartbeatGrace, reason, Retries.Rule(_settings.MaxRetries)))
        {
            _log.Warning("Trial {Trial} has no heartbeat for {Grace}s; marked FAIL", stale.Trial.Number, _settings.HeartbeatGrace.TotalSeconds);
            Retries.Log(stale, _log);
        }
    }

    private static async Task WaitAnyAsync(List<Task> running, TimeSpan poll, CancellationToken ct)
    {
        var delay = Task.Delay(poll, ct);
        await Task.WhenAny(running.Append(delay));
    }
}
