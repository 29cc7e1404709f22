using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>Enqueued trials (<c>study enqueue</c>, Optuna's <c>enqueue_trial</c>): their fixed values completed by the sampler.</summary>
public sealed partial class StudyCoordinator
{
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
}
