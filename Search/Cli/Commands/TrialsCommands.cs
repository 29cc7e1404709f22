using System.CommandLine;
using System.Text.Json.Nodes;
using Mnist.Protocol.Events;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli.Commands;

/// <summary><c>trials list</c>, <c>trials show</c>, <c>trials sql</c>.</summary>
internal static class TrialsCommands
{
    public static Command List()
    {
        var name = CommonOptions.StudyName();
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var state = new Option<string?>("--state") { Description = "Only trials in this state (COMPLETE, PRUNED, FAIL, RUNNING, WAITING; or complete, pruned, failed, running, waiting)" };
        var sort = new Option<string?>("--sort") { Description = "value | number | duration (default: number; value with --top)" };
        sort.AcceptOnlyFromAmong("value", "number", "duration");
        var top = new Option<int?>("--top") { Description = "Only the first N after sorting: without --sort, the N best" };
        var format = CommonOptions.Format("table", "json", "csv");
        var command = new Command("list", "List a study's trials") { name, storage, studiesDir, state, sort, top, format };
        command.SetAction(async (parse, ct) =>
        {
            TrialState? only = parse.GetValue(state) is { } s
                ? StateWords.Parse(s) ?? throw new UserInputException($"--state: unknown state '{s}' (expected one of {string.Join(", ", Enum.GetNames<TrialState>())}, or {string.Join(", ", StateWords.Counts.Select(c => c.Word))})")
                : null;
            if (parse.GetValue(top) is < 1) throw new UserInputException($"--top: must be at least 1, got {parse.GetValue(top)}");
            var loaded = await StudyQueryCommands.LoadAsync(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir), ct);
            var (study, trials) = (loaded.Study, loaded.Trials);
            IEnumerable<TrialSnapshot> selected = trials.Where(t => only is null || t.State == only);
            // "--top 5" alone means the five best trials, not the first five by number.
            selected = (parse.GetValue(sort) ?? (parse.GetValue(top) is null ? "number" : "value")) switch
            {
                // Best first, by BestTrial's rule: the trials that compete (COMPLETE, finite value) first, then other trials
                // with a value (a PRUNED trial's is its last epoch's), then those without. An Optuna-written Infinity came
                // first, and a PRUNED trial's partial score ranked above COMPLETE trials, so `--top 1` named another
                // trial than `study best`.
                "value" => study.Direction == StudyDirection.MINIMIZE
                    ? selected.OrderBy(Rank).ThenBy(t => t.Value)
                    : selected.OrderBy(Rank).ThenByDescending(t => t.Value),
                "duration" => selected.OrderByDescending(t => t.Duration ?? TimeSpan.Zero),
                _ => selected.OrderBy(t => t.Number),
            };
            if (parse.GetValue(top) is { } n) selected = selected.Take(n);
            // The stored space's names first: a study with no trials yet (or none with a parameter) gave a CSV without
            // parameter columns, which a script reading the columns by name then could not read.
            var paramNames = (loaded.Config?.Space.Names ?? []).Concat(TrialRows.ParameterNames(trials)).Distinct().ToList();
            if (parse.GetValue(format) == "json")
                OutputFormat.Write("json", TrialRows.JsonKeys, selected.Select(t => TrialRows.JsonSummary(t, paramNames)).ToList());
            else if (parse.GetValue(format) == "csv")
                OutputFormat.Write("csv", TrialRows.Columns(paramNames), selected.Select(t => TrialRows.Summary(t, paramNames)).ToList());
            else
            {
                var rows = selected.Select(t => TrialRows.TableSummary(t, paramNames)).ToList();
                OutputFormat.Write("table", TrialRows.TableColumns(paramNames, rows), rows, $"Trials of {ConsoleText.Name(study.Name)}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int Rank(TrialSnapshot t) => BestTrial.Competes(t) ? 0 : BestTrial.IsRankable(t.Value) ? 1 : 2;

    public static Command Show()
    {
        var name = CommonOptions.StudyName();
        var number = new Argument<int>("number") { Description = "Trial number" };
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var format = CommonOptions.Format("table", "json");
        var command = new Command("show", "One trial: parameters, per-epoch curve, device, duration, logs, error") { name, number, storage, studiesDir, format };
        command.SetAction(async (parse, ct) =>
        {
            var loaded = await StudyQueryCommands.LoadAsync(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir), ct);
            var (study, trials) = (loaded.Study, loaded.Trials);
            var n = parse.GetValue(number);
            var trial = trials.FirstOrDefault(t => t.Number == n)
                ?? throw new UserInputException(trials.Count == 0 ? $"study '{study.Name}' has no trials yet"
                    : $"study '{study.Name}' has no trial {n} (trials are {trials.Min(t => t.Number)}..{trials.Max(t => t.Number)})");
            var detail = TrialRows.Detail(trial);
            TrialRows.Relocate(detail, loaded.Folder);
            if (parse.GetValue(format) == "json")
            {
                OutputFormat.WriteObject("json", detail);
                return ExitCodes.Ok;
            }
            // Only this tool's per-epoch records make the Epochs table; anything else another client stored stays in the detail.
            var epochs = detail[TrialRows.Keys.Epochs] is JsonArray records && records.All(r => r is JsonObject) ? records : null;
            if (epochs is not null) detail.Remove(TrialRows.Keys.Epochs);
            var intermediate = detail[TrialRows.Keys.IntermediateValues]!.AsObject();
            detail.Remove(TrialRows.Keys.IntermediateValues);
            var parameters = detail[TrialRows.Keys.Params]!.AsObject();
            detail.Remove(TrialRows.Keys.Params);
            // A queued trial has no parameters until it runs: the values it will run with, marked (the table was empty).
            if (trial.Params.Count == 0)
            {
                parameters = [];
                foreach (var (key, value) in TrialRows.QueuedValues(trial)) parameters[key + " (queued)"] = TrialRows.ParameterValue(value);
            }
            foreach (var absent in TrialRows.AbsentParameters(trial, loaded.Config?.Space.Names ?? [])) parameters[absent] = OutputFormat.Absent;
            OutputFormat.WriteObject("table", detail, $"Trial {trial.Number} of {ConsoleText.Name(study.Name)}");
            OutputFormat.WriteObject("table", parameters, "Parameters");
            if (epochs is { Count: > 0 })
            {
                // The epoch records are the worker's epoch events as stored: their fields, by the protocol's names.
                var cols = new[] { EventFields.EpochNumber, EventFields.TrainLoss, EventFields.ValLoss, EventFields.ValAccuracy, EventFields.ImagesPerSecond, EventFields.ElapsedSeconds };
                OutputFormat.Write("table", cols, epochs.Select(e => (IReadOnlyDictionary<string, object?>)cols.ToDictionary(c => c, c => (object?)e![c]?.DeepClone())), "Epochs");
            }
            // Another Optuna client's trial reports intermediate values without this tool's epoch records: its curve is
            // those values (the table showed no curve at all).
            else if (intermediate.Count > 0)
                OutputFormat.Write("table", ["step", "value"], intermediate.Select(kv => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
                    { ["step"] = kv.Key, ["value"] = kv.Value?.DeepClone() }).ToList(), "Intermediate values");
            return ExitCodes.Ok;
        });
        return command;
    }

    // Rows are held until printed: 100,000 rows of a few columns are tens of megabytes, and more than any table a
    // person reads (every intermediate value of 1,000 trials of 50 epochs is 50,000).
    private const int DefaultMaxRows = 100_000;

    public static Command Sql()
    {
        var name = CommonOptions.StudyName();
        var query = new Argument<string>("query") { Description = "One SELECT (or WITH, VALUES, TABLE, EXPLAIN, SHOW) statement; the connection is read-only" };
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var format = CommonOptions.Format("table", "json", "csv");
        var maxRows = new Option<int>("--max-rows")
        {
            Description = $"Print at most this many rows (default {DefaultMaxRows:N0}); more are left out with a warning",
            DefaultValueFactory = _ => DefaultMaxRows,
        };
        var command = new Command("sql", "Run a read-only SQL query on the study's database (Optuna's schema: studies, trials, trial_params, trial_values, trial_intermediate_values, trial_user_attributes, trial_system_attributes, study_user_attributes, ...)") { name, query, storage, studiesDir, format, maxRows };
        command.SetAction(async (parse, ct) =>
        {
            var location = StudyLocation.For(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir));
            // The study must exist, which also proves the storage is an Optuna database, before any SQL runs.
            await using (var store = await StorageFactory.OpenReadOnlyAsync(location.StorageUrl, Directory.GetCurrentDirectory(), ct))
                _ = await store.GetStudyAsync(location.Name, ct) ?? throw new UserInputException($"unknown study '{location.Name}' in {location.StorageDisplay}");
            var limit = parse.GetValue(maxRows);
            if (limit < 1)
                throw new UserInputException($"--max-rows: must be an integer of at least 1, got {limit}");
            var result = await ReadOnlyQuery.RunAsync(location.StorageUrl, Directory.GetCurrentDirectory(), parse.GetValue(query)!, limit, ct);
            OutputFormat.Write(parse.GetValue(format)!, [.. result.Columns], result.Rows);
            if (result.Truncated)
                await Console.Error.WriteLineAsync($"warning: the query gave more than {limit:N0} rows; the first {limit:N0} are shown (--max-rows N shows more)");
            return ExitCodes.Ok;
        });
        return command;
    }
}
