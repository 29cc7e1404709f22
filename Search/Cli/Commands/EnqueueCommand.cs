using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
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
        var format = CommonOptions.Format("table", "json");
        var command = new Command("enqueue", "Queue a configuration to run before the sampler's next proposals (Optuna's enqueue_trial)")
            { name, storage, studiesDir, param, format };
        command.SetAction(async (parse, ct) =>
        {
            var values = ParseValues(parse.GetValue(param) ?? []);
            var location = StudyLocation.For(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir));
            await using var store = await StorageFactory.OpenAsync(location.StorageUrl, Directory.GetCurrentDirectory(), ct);
            var study = await store.GetStudyAsync(location.Name, ct) ?? throw new UserInputException($"unknown study '{location.Name}' in {location.StorageDisplay}");
            var stored = await StudyOpener.StoredConfigAsync(store, study, ct)
                ?? throw new UserInputException($"study '{location.Name}' was not created by `study start` (no stored configuration)");
            var config = StoredConfig.Parse(stored).Config;
            try { EnqueuedConfiguration.ToInternal(config.Space, values); }
            catch (ArgumentException e) { throw new UserInputException($"--param {e.Message}"); }

            // An enqueued trial is one of the budget's trials, checked in the creating transaction as a sampled one is.
            var budget = Budget.Of(await store.GetAllTrialsAsync(study.Id, ct: ct), config.Budget.Trials);
            var trial = await store.TryCreateTrialAsync(study.Id, TrialState.WAITING, null,
                new Dictionary<string, object?> { [StudyAttributes.FixedParams] = EnqueuedConfiguration.ToAttribute(values) }, budget.MaxNewTrialNumber, ct)
                ?? throw new UserInputException(
                    $"study '{location.Name}' has no trial left in its budget ({config.Budget.Trials} used, running or queued): " +
                    "raise budget.trials in its search.json and run `study create` with it, then enqueue");
            var sampled = config.Space.Names.Where(n => !values.ContainsKey(n)).ToList();
            var result = new JsonObject
            {
                ["study"] = study.Name,
                ["number"] = trial.Number,
                ["state"] = trial.State.ToString(),
                [StudyAttributes.FixedParams] = EnqueuedConfiguration.ToAttribute(values),
                ["sampled"] = new JsonArray([.. sampled.Select(n => (JsonNode)n)]),
            };
            if (parse.GetValue(format) == "json") OutputFormat.WriteObject("json", result);
            else
            {
                OutputFormat.WriteObject("table", EnqueuedConfiguration.ToAttribute(values), $"Trial {trial.Number} of {study.Name} enqueued");
                Console.WriteLine(sampled.Count == 0
                    ? "It runs next, before the sampler's proposals."
                    : $"It runs next, before the sampler's proposals; {string.Join(", ", sampled)} will be sampled then.");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    // NAME=VALUE, VALUE read as JSON reads it (12 → integer, 0.003 → number, true, null), anything else as text.
    private static Dictionary<string, object?> ParseValues(string[] pairs)
    {
        if (pairs.Length == 0) throw new UserInputException("--param: give at least one NAME=VALUE");
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
