using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli.Commands;

/// <summary>
/// <c>study enqueue NAME --param name=value ...</c>: queue a configuration to run before the sampler's next proposals
/// (Optuna's <c>enqueue_trial</c>, written the way Optuna writes it, so either tool runs the other's): the known-good
/// settings from an earlier project, a paper's, a colleague's. Hyperparameters left out are sampled when it runs.
/// </summary>
internal static class EnqueueCommand
{
    public static Command Create()
    {
        var name = CommonOptions.StudyName();
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var param = new Option<string[]>("--param")
        {
            Description = "NAME=VALUE of a searched hyperparameter (repeat the option; those left out are sampled when the trial runs)",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var fromStudy = new Option<string?>("--from-study")
        {
            Description = "Enqueue the best configurations of this earlier study instead (the values the study's space allows; the rest sampled)",
        };
        var fromStorage = CommonOptions.StorageUrlValue(new Option<string?>("--from-storage") { Description = "Storage URL of --from-study (default: its studies/NAME/study.db)" });
        var top = new Option<int>("--top") { Description = "With --from-study: how many of its best configurations", DefaultValueFactory = _ => 1 };
        var allowDuplicates = new Option<bool>("--allow-duplicates")
        {
            Description = "Queue a configuration even when a trial of the study already has every value given (by default it is skipped, as Optuna's enqueue_trial(skip_if_exists=True) does)",
        };
        var format = CommonOptions.Format("table", "json");
        var command = new Command("enqueue", "Queue configurations to run before the sampler's next proposals (Optuna's enqueue_trial)")
            { name, storage, studiesDir, param, fromStudy, fromStorage, top, allowDuplicates, format };
        command.SetAction(async (parse, ct) =>
        {
            var from = parse.GetValue(fromStudy);
            var given = parse.GetValue(param) ?? [];
            if ((from is null && given.Length == 0) || (from is not null && given.Length > 0))
                throw new UserInputException("give either --param NAME=VALUE... or --from-study NAME");
            // Options that only mean something with --from-study are refused without it, not silently ignored.
            if (from is null && parse.GetResult(top) is { Implicit: false })
                throw new UserInputException("--top: only with --from-study");
            if (from is null && parse.GetValue(fromStorage) is not null)
                throw new UserInputException("--from-storage: only with --from-study");
            if (parse.GetValue(top) < 1) throw new UserInputException($"--top: must be at least 1, got {parse.GetValue(top)}");
            var location = StudyLocation.For(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir));
            var (store, study) = await location.OpenExistingAsync(ct);
            await using var owned = store;
            var (config, _) = await StoredConfig.ReadAsync(store, study, location.StorageDisplay, sourceOnThisMachine: true, ct)
                ?? throw StoredConfig.Missing(location.Name, location.StorageDisplay);
            var (configurations, passedOver) = from is null
                ? ([ParseValues(given)], [])
                : await BestOfAsync(from, parse.GetValue(fromStorage), parse.GetValue(studiesDir), parse.GetValue(top), config.Space, ct);
            foreach (var values in configurations)
            {
                IReadOnlyDictionary<string, double> internalValues;
                try { internalValues = EnqueuedConfiguration.ToInternal(config.Space, values); }
                catch (ArgumentException e) { throw new UserInputException($"--param {e.Message}"); }
                // A value the given ones leave out (conv3_channels with conv_layers 1) would never be read: a slip, refused.
                if (EnqueuedConfiguration.LeftOut(config.Space, internalValues) is [var unread, ..])
                    throw new UserInputException($"--param {unread}: not used by the model with the values given: it is read only when {config.Space.Conditions[unread]}; remove it or change {config.Space.Conditions[unread].Name}");
            }

            // An enqueued trial is one of the budget's trials, checked in the creating transaction as a sampled one is;
            // room for all of them is checked first, so a refusal leaves nothing queued.
            // The trials selection keeps for its repeats are not room: enqueued trials took them, and the study ended
            // with fewer repeats or none, its choice one lucky value again.
            var trials = await store.GetAllTrialsAsync(study.Id, ct: ct);
            // Run twice (a script re-run, a pasted command), the same configurations were queued twice and spent the
            // budget on repeats without a word; one given twice in this invocation (two top trials of --from-study that
            // differ only in what this space does not search) is one configuration too.
            var skipped = new JsonArray();
            foreach (var number in passedOver)
                skipped.Add(new JsonObject { ["from_trial"] = number, ["reason"] = "none of its values fit this study's space" });
            if (!parse.GetValue(allowDuplicates))
            {
                var queued = new List<Dictionary<string, object?>>();
                foreach (var values in configurations)
                {
                    var same = EnqueuedConfiguration.SameAs(trials, values);
                    if (same is null && !queued.Any(q => EnqueuedConfiguration.IsSame(q, values))) queued.Add(values);
                    else skipped.Add(new JsonObject
                    {
                        [StudyAttributes.FixedParams] = EnqueuedConfiguration.ToAttribute(values),
                        ["same_as"] = same?.Number,
                        ["state"] = same?.State.ToString(),
                    });
                }
                configurations = queued;
            }
            var budget = Budget.Of(trials, config.Budget.Trials);
            var kept = RepeatedEvaluation.Owed(trials, config.Selection);
            var room = Math.Max(0, budget.Left - kept);
            if (room < configurations.Count)
                throw new UserInputException(
                    $"study '{location.Name}' has {room} trial(s) left in its budget of {config.Budget.Trials} " +
                    $"(the rest used, running or queued{(kept > 0 ? $", or kept for selection's {kept} repeat(s)" : "")}), not {configurations.Count}: " +
                    "raise budget.trials in its search.json and run `study create` with it, then enqueue");
            var results = new JsonArray();
            foreach (var values in configurations)
            {
                var trial = await store.TryCreateTrialAsync(study.Id, TrialState.WAITING, null,
                    new Dictionary<string, object?> { [StudyAttributes.FixedParams] = EnqueuedConfiguration.ToAttribute(values) }, budget.MaxNewTrialNumber - kept, ct)
                    ?? throw new UserInputException($"study '{location.Name}': its budget filled while enqueuing; {results.Count} enqueued");
                results.Add(new JsonObject
                {
                    ["study"] = study.Name,
                    ["number"] = trial.Number,
                    ["state"] = trial.State.ToString(),
                    [StudyAttributes.FixedParams] = EnqueuedConfiguration.ToAttribute(values),
                    ["sampled"] = new JsonArray([.. config.Space.Names.Where(n => !values.ContainsKey(n) && !config.Space.IsLeftOut(n, EnqueuedConfiguration.ToInternal(config.Space, values))).Select(n => (JsonNode)n)]),
                });
            }
            // One shape whichever way the trials were given (--param gave the bare object, --from-study this list).
            if (parse.GetValue(format) == "json") OutputFormat.WriteObject("json", new JsonObject { ["trials"] = results, ["skipped"] = skipped });
            else
            {
                foreach (var r in skipped.Where(r => r!["from_trial"] is null))
                    Console.WriteLine(ConsoleText.Line(r!["same_as"] is { } same
                        ? $"Not enqueued: trial {same} ({r["state"]}) already has {r[StudyAttributes.FixedParams]!.ToJsonString()}; --allow-duplicates queues it anyway."
                        : $"Not enqueued twice: {r[StudyAttributes.FixedParams]!.ToJsonString()} is given more than once."));
                foreach (var r in results)
                {
                    var sampled = r!["sampled"]!.AsArray().Select(n => (string)n!).ToList();
                    OutputFormat.WriteObject("table", r[StudyAttributes.FixedParams]!.DeepClone().AsObject(), $"Trial {r["number"]} of {study.Name} enqueued");
                    Console.WriteLine(sampled.Count == 0
                        ? "It runs before the sampler's proposals."
                        : $"It runs before the sampler's proposals; {string.Join(", ", sampled)} will be sampled then.");
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    // The best configurations of an earlier study as it ranks them (BestTrial: by value, or by the mean of repeated
    // evaluations when it repeated some), each with the values the
    // target space allows: a value outside a changed range, or of a parameter no longer searched, is left to the sampler.
    private static async Task<(List<Dictionary<string, object?>> Configurations, List<int> PassedOver)> BestOfAsync(
        string name, string? storageUrl, string? studiesDir, int count, SearchSpace space, CancellationToken ct)
    {
        // Errors about the source study name it as such: the same words as for the target ("a study name is
        // required", "unknown study") left the user guessing which of the two was meant.
        StudyLocation location;
        IStudyStorage store;
        try
        {
            location = StudyLocation.For(name, storageUrl, studiesDir);
            store = await StorageFactory.OpenReadOnlyAsync(location.StorageUrl, Directory.GetCurrentDirectory(), ct);
        }
        catch (UserInputException e) { throw new UserInputException($"--from-study: {e.Message}"); }
        catch (StorageException e) { throw new StorageException($"--from-study: {e.Message}", e); }
        await using var owned = store;
        StudyInfo study;
        try { study = await location.FindInAsync(store, ct); }
        catch (UserInputException e) { throw new UserInputException($"--from-study: {e.Message}"); }
        var ranked = BestTrial.Ranked(await store.GetAllTrialsAsync(study.Id, ct: ct), study.Direction).Select(c => c.Trial);
        var result = ranked.Take(count).Select(t => t.Params.Keys
                .Where(space.Names.Contains)
                .Select(k => KeyValuePair.Create(k, t.ExternalParam(k)))
                .Where(kv => EnqueuedConfiguration.Refusal(space, kv.Key, kv.Value) is null)
                .ToDictionary(kv => kv.Key, kv => kv.Value))
            // A trial stored before conditional spaces has every child, also those its values left out: they are dropped,
            // never read by its model.
            .Select(values => LeftOutDropped(space, values))
            .ToList();
        if (result.Count == 0) throw new UserInputException($"--from-study: study '{name}' has no COMPLETE trial");
        if (result.All(r => r.Count == 0))
            throw new UserInputException($"--from-study: none of study '{name}''s parameters fit this study's space ({string.Join(", ", space.Names)})");
        // One of the top trials with no value this space allows is passed over, said, and the others queued: one such
        // trial refused them all, saying "none of its parameters fit" of a study whose best trial had a fitting one.
        var numbers = ranked.Take(count).Select(t => t.Number).ToList();
        var passedOver = numbers.Where((_, i) => result[i].Count == 0).ToList();
        foreach (var number in passedOver)
            await Console.Error.WriteLineAsync(ConsoleText.Line(
                $"warning: --from-study: trial {number} of study '{name}' is not enqueued: none of its values fit this study's space ({string.Join(", ", space.Names)})"));
        return (result.Where(r => r.Count > 0).ToList(), passedOver);
    }

    private static Dictionary<string, object?> LeftOutDropped(SearchSpace space, Dictionary<string, object?> values)
    {
        var leftOut = EnqueuedConfiguration.LeftOut(space, EnqueuedConfiguration.ToInternal(space, values));
        return values.Where(v => !leftOut.Contains(v.Key)).ToDictionary(v => v.Key, v => v.Value);
    }

    // NAME=VALUE, VALUE read as JSON reads it (12 → integer, 0.003 → number, true, null), anything else as text.
    private static Dictionary<string, object?> ParseValues(string[] pairs)
    {
        var values = new Dictionary<string, object?>();
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new UserInputException($"--param: expected NAME=VALUE, got '{pair}'");
            var key = pair[..eq].Trim();
            if (!values.TryAdd(key, Value(pair[(eq + 1)..].Trim())))
                throw new UserInputException($"--param: {key} is given twice");
        }
        return values;
    }

    private static object? Value(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d
        : text switch { "true" => true, "false" => false, "null" => null, _ => text.Length >= 2 && text[0] == '"' && text[^1] == '"' ? text[1..^1] : text };
}
