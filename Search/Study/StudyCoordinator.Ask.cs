using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>Asking for a trial: a queued retry claimed, else a new one sampled within the budget, and its parameters proposed.</summary>
public sealed partial class StudyCoordinator
{
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
        // A repeat waits for the running originals (one may be the candidate), other clients' trials too: said while only
        // theirs run, and no longer waited for once they are abandoned (UntrackedTrials). Then a new configuration takes
        // the place, as when no running original could supply the candidate; the wait went on for ever while the log
        // said it had stopped (review 1207b part 1, 1).
        if (RepeatedEvaluation.AwaitsCandidate(history, _settings.Direction, _settings.Selection, Budget.Of(history, budget.Total))
            && !(history.Where(t => t.State == TrialState.RUNNING).All(UntrackedTrials.IsExternal)
                && _untracked.Explain(history, await _storage.GetHeartbeatAgesAsync(studyId))))
        {
            if (!_awaitingCandidate)
                _log.Information("The next trial repeats a candidate configuration: waiting for the running trials to finish, which may be candidates");
            _awaitingCandidate = true;
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
}
