using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Config;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli.Commands;

/// <summary><c>study list</c>, <c>study status</c>, <c>study best</c>: read-only views of studies.</summary>
internal static class StudyQueryCommands
{
    // Every study.db below a folder, at most 8 levels down. Folders it may not read are passed over (`--studies-dir
    // /proc` ended in a stack trace: EACCES on some, EINVAL on others), and links are not followed (a loop never ends).
    private static IEnumerable<string> StudyDatabases(string folder, int depth = 8)
    {
        string[] files, folders;
        try
        {
            files = Directory.GetFiles(folder, StudyPaths.DatabaseFile);
            folders = depth == 0 ? [] : Directory.GetDirectories(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { yield break; }
        foreach (var file in files) yield return file;
        foreach (var sub in folders)
        {
            if (IsLink(sub)) continue;
            foreach (var file in StudyDatabases(sub, depth - 1)) yield return file;
        }
    }

    private static bool IsLink(string folder)
    {
        try { return new DirectoryInfo(folder).LinkTarget is not null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return true; }
    }

    public static Command List()
    {
        var storage = CommonOptions.Storage("List the studies in this storage URL (sqlite:PATH, relative to the current folder, or postgresql://...) instead of every study.db below --studies-dir");
        var studiesDir = CommonOptions.StudiesDir();
        var format = CommonOptions.Format("table", "json", "csv");
        var command = new Command("list", "List studies (every study.db below --studies-dir, up to 8 folders deep, or those in --storage)") { storage, studiesDir, format };
        command.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetValue(studiesDir) ?? StudyPaths.StudiesFolder;
            if (string.IsNullOrWhiteSpace(folder)) throw new UserInputException("--studies-dir: must name a folder, got an empty one");
            if (File.Exists(folder)) throw new UserInputException($"--studies-dir {folder}: is a file, not a folder");
            // A mistyped --studies-dir (a CI variable) listed no studies, exit 0, as an empty folder does (audit-ops 7).
            // Without the option, a missing ./studies is only a folder where no study was made yet.
            if (parse.GetValue(storage) is null && parse.GetValue(studiesDir) is not null && !Directory.Exists(folder))
                throw new UserInputException($"--studies-dir {folder}: no such folder ({Path.GetFullPath(folder)})");
            // Each with what a warning names it by: the URL given, or the file found.
            (string Url, string Shown)[] urls = parse.GetValue(storage) is { } url
                ? [(url, url)]
                : Directory.Exists(folder)
                    ? StudyDatabases(folder)
                        .Order().Select(f => (StorageUrl.ForSqlite(f), Path.GetFullPath(f))).ToArray()
                    : [];
            var rows = new List<IReadOnlyDictionary<string, object?>>();
            var found = parse.GetValue(storage) is null;
            foreach (var (u, shown) in urls)
            {
                try { rows.AddRange(await RowsAsync(u, ct)); }
                catch (Exception e) when (found && e is StorageException or StorageLockedException)
                {
                    // One broken study.db found below the folder (empty, corrupt, another program's, locked past
                    // the wait) hid every other study: it is named on stderr and the others are listed. Corruption
                    // may show only once its rows are read, so the whole read is covered, not only the open.
                    await Console.Error.WriteLineAsync($"warning: skipped {ConsoleText.Line(e.Message)}");
                }
                // A folder whose name no storage URL can hold ("a?b": '?' starts a query) listed nothing at all.
                catch (FormatException e) when (found)
                {
                    await Console.Error.WriteLineAsync(ConsoleText.Line($"warning: skipped {shown}: {e.Message}"));
                }
            }
            // A person reading an empty table cannot tell where it looked; a program reading JSON or CSV gets no rows.
            if (rows.Count == 0 && parse.GetValue(format) == "table")
            {
                Console.WriteLine(parse.GetValue(storage) is { } given
                    ? $"No studies in {StorageUrl.Parse(given, Directory.GetCurrentDirectory()).Display}."
                    : $"No studies under {Path.GetFullPath(folder)} (a study.db in any folder below it); for a study elsewhere give --studies-dir DIR or --storage URL.");
                return ExitCodes.Ok;
            }
            // A name in a table is cut to ConsoleText.NameChars: one 400-character name squeezed every other column.
            if (parse.GetValue(format) == "table")
                rows = [.. rows.Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>(r) { ["study"] = ConsoleText.Name((string)r["study"]!) })];
            OutputFormat.Write(parse.GetValue(format)!, ["study", "direction", "trials", .. StateWords.Counts.Select(c => c.Word), "best_value", "best_trial", "storage"], rows);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<List<IReadOnlyDictionary<string, object?>>> RowsAsync(string url, CancellationToken ct)
    {
        await using var s = await StorageFactory.OpenReadOnlyAsync(url, Directory.GetCurrentDirectory(), ct);
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        foreach (var study in await s.GetAllStudiesAsync(ct))
        {
            var trials = await s.GetAllTrialsAsync(study.Id, ct: ct);
            // An Optuna multi-objective study is listed, with no best: its first objective alone is not its ranking.
            var best = study.Objectives > 1 ? null : BestTrial.Choose(trials, study.Direction);
            var row = new Dictionary<string, object?>
            {
                ["study"] = study.Name,
                ["direction"] = study.Objectives > 1 ? $"{study.Objectives} objectives" : study.Direction.ToString(),
                ["trials"] = trials.Count,
                ["best_value"] = best?.Value,
                ["best_trial"] = best?.Trial.Number,
                // As every other command shows this storage (sqlite:////abs): the URL as written was shown here alone.
                ["storage"] = StorageUrl.Parse(url, Directory.GetCurrentDirectory()).Display,
            };
            foreach (var (word, state) in StateWords.Counts) row[word] = trials.Count(t => t.State == state);
            rows.Add(row);
        }
        return rows;
    }

    public static Command Status()
    {
        var name = CommonOptions.StudyName();
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var format = CommonOptions.Format("table", "json");
        var command = new Command("status", "Counts by state, best value and parameters, running trials") { name, storage, studiesDir, format };
        command.SetAction(async (parse, ct) =>
        {
            var loaded = await LoadAsync(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir), ct);
            var (study, trials, userAttrs) = (loaded.Study, loaded.Trials, loaded.UserAttrs);
            var choice = BestTrial.Choose(trials, study.Direction);
            var best = choice?.Trial;
            var now = DateTime.UtcNow;
            var status = new JsonObject
            {
                ["study"] = study.Name,
                ["direction"] = study.Direction.ToString(),
                // The words study list's columns use ("COMPLETE" here, "complete" there, "FAIL" and "failed").
                ["counts"] = new JsonObject(StateWords.Counts.Select(c => KeyValuePair.Create(c.Word, (JsonNode?)trials.Count(t => t.State == c.State)))),
                // How far it is, counted as the coordinators count (a FAIL queued again is not spent; its retry stands in).
                ["budget"] = loaded.BudgetTrials is { } total && Budget.Of(trials, total) is var b
                    ? new JsonObject { ["trials"] = b.Total, ["used"] = b.Used, ["running"] = b.Running, ["waiting"] = b.Waiting, ["left"] = b.Left }
                    : null,
                ["best_trial"] = best?.Number,
                ["best_value"] = choice?.Value,
                ["best_evaluations"] = choice?.Evaluations,
                ["best_params"] = best is null ? null : TrialRows.Detail(best)[TrialRows.Keys.Params]!.DeepClone(),
                // What every trial ran with besides its parameters, as study start's summary lists it: without them the
                // best configuration could not be run again from this output.
                ["fixed"] = FixedValues(loaded),
                // "running_trials": "running" is a count in study list and in the budget above.
                // Which process runs each (a worker or Slurm task on another machine: both showed "cpu:0"), and whether it
                // still beats: a trial whose process was SIGKILLed stayed "running" with a growing elapsed_s until another
                // process of the study started and swept it.
                ["running_trials"] = new JsonArray(trials.Where(t => t.State == TrialState.RUNNING).Select(t => (t, owner: OwnerAttributes.OwnerOf(t))).Select(r => (JsonNode)new JsonObject
                {
                    ["number"] = r.t.Number,
                    ["device"] = TrialRows.Attr(r.t.SystemAttrs, StudyAttributes.Device),
                    ["host"] = r.owner?.Host,
                    ["pid"] = r.owner?.Pid,
                    [TrialRows.Keys.EpochsDone] = r.t.IntermediateValues.Count,
                    ["elapsed_s"] = TrialRows.ElapsedSeconds(r.t.DatetimeStart, now, w => Console.Error.WriteLine($"warning: {w}")),
                    ["heartbeat_age_s"] = loaded.HeartbeatAges.TryGetValue(r.t.Id, out var age) ? Math.Round(age.TotalSeconds, 1) : null,
                    // Judged as the sweep judges it; an Optuna client's trial (no owner) has its own grace, not ours.
                    ["stale"] = r.owner is not null && loaded.HeartbeatAges.TryGetValue(r.t.Id, out var a) ? a > ConfigMapping.HeartbeatGrace : null,
                    // Another client's (an Optuna ask without tell): its row was blank but for its number, and nothing said
                    // that a study waiting for it waits for a client this tool cannot see (audit-analysis 2). The rule the
                    // run's wait uses (it was "no owner", which also took one of ours with a damaged pid for another client's).
                    ["external"] = UntrackedTrials.IsExternal(r.t),
                }).ToArray()),
                ["retrain_test_accuracy"] = RetrainTestAccuracy(study.Name, userAttrs),
                // Whose model that accuracy is: trials that end after a retrain (workers, the study's timeout, a budget
                // raised with --no-retrain) may make another the best, and the accuracy was shown beside it as its own.
                ["retrain_trial"] = RetrainTrial(userAttrs),
                ["retrain_is_best"] = RetrainTrial(userAttrs) is { } retrained && best is not null ? retrained == best.Number : null,
                ["cluster_jobs"] = await ClusterStatus.ReadAsync(StudyLocation.For(study.Name, parse.GetValue(storage), parse.GetValue(studiesDir)), study.Id, ct),
            };
            if (parse.GetValue(format) == "json") OutputFormat.WriteObject("json", status);
            else
            {
                OutputFormat.WriteObject("table", new JsonObject
                {
                    ["study"] = ConsoleText.Name(study.Name),
                    ["direction"] = study.Direction.ToString(),
                    ["trials"] = string.Join(", ", Enum.GetValues<TrialState>().Select(s => $"{s} {trials.Count(t => t.State == s)}")),
                    ["budget"] = status["budget"] is JsonObject spent
                        ? $"{(int)spent["used"]!} of {(int)spent["trials"]!} trials done" + ((int)spent["running"]! > 0 ? $", {(int)spent["running"]!} running" : "")
                        : null,
                    ["best"] = choice is null ? "none yet" : $"trial {choice.Trial.Number}: {TrialRows.ChosenValue(choice)}",
                    // As study start and study retrain say it (98.30 %), not as the JSON's fraction.
                    ["retrained test accuracy"] = (double?)status["retrain_test_accuracy"] is { } accuracy
                        ? accuracy.ToString("P2", CultureInfo.InvariantCulture) + (((int?)status["retrain_trial"], (bool?)status["retrain_is_best"]) switch
                        {
                            ({ } trialNumber, false) => $" (trial {trialNumber}, not the current best trial {best!.Number}: `study retrain` retrains that)",
                            ({ } trialNumber, _) => $" (trial {trialNumber})",
                            _ => "",
                        })
                        : null,
                }, $"Study {ConsoleText.Name(study.Name)}");
                if (best is not null) OutputFormat.WriteObject("table", WithFixed(status["best_params"]!.AsObject(), best, loaded), "Best parameters");
                var running = status["running_trials"]!.AsArray();
                if (running.Count > 0)
                {
                    OutputFormat.Write("table", ["number", "device", "host", "pid", "epochs_done", "elapsed_s", "heartbeat_age_s"],
                        running.Select(r => (IReadOnlyDictionary<string, object?>)r!.AsObject().ToDictionary(kv => kv.Key,
                            kv => kv.Key == "host" && (bool)r["external"]! ? ExternalHost(r) : (object?)kv.Value)), "Running");
                    var location = StudyLocation.For(study.Name, parse.GetValue(storage), parse.GetValue(studiesDir));
                    foreach (var external in running.Where(r => (bool)r!["external"]!))
                        Console.Out.WriteLine(ConsoleText.Line(
                            $"Trial {(int)external!["number"]!}: written by another client ({ExternalHost(external)}), it holds a place of the budget; "
                            + ExternalWait(external) + "; if that client is gone, fail it: "
                            + UntrackedTrials.FailLine(study.Name, StudyRun.OptunaStorage(location.StorageUrl, Directory.GetCurrentDirectory()), (int)external["number"]!)));
                    foreach (var stale in running.Where(r => (bool?)r!["stale"] == true))
                        Console.Out.WriteLine(ConsoleText.Line(
                            $"Trial {(int)stale!["number"]!}: no heartbeat for {Durations.Format(TimeSpan.FromSeconds((double)stale["heartbeat_age_s"]!))} (grace {Durations.Format(ConfigMapping.HeartbeatGrace)}): "
                            + $"its process ({stale["host"]} pid {stale["pid"]}) is stopped or gone; any process of this study that runs, or the next to start, fails it and queues it again"));
                }
                ClusterStatus.WriteTable(status["cluster_jobs"]!.AsArray());
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    // What a run of the study that waits for another client's trial alone does, as UntrackedTrials decides it: it said
    // "stops waiting once it is older than trial_timeout_minutes", leaving out the grace, the worker and the heartbeat.
    private static string ExternalWait(JsonNode row) =>
        row["heartbeat_age_s"] is null
            ? $"a `study start`, `resume` or `worker` that waits for it alone stops waiting once it has seen it RUNNING for trial_timeout_minutes + {Durations.Format(ConfigMapping.HeartbeatGrace)} (the trial stays RUNNING and counted)"
            : "a `study start`, `resume` or `worker` waits for it while its client's heartbeat is younger than trial_timeout_minutes";

    // The host cell of another client's RUNNING trial: whether it beats (Optuna's heartbeat_interval) or has nothing of ours.
    private static string ExternalHost(JsonNode? row) => row!["heartbeat_age_s"] is null ? "external, no heartbeat" : "external";

    /// <summary>
    /// The retrain's test accuracy as this tool stores it (a JSON number). It is a plain Optuna user attribute, which
    /// any client may set to something else ("0.99", null, NaN): then it is left out with a warning, where it used to
    /// fail the whole command with a .NET parse message.
    /// </summary>
    private static double? RetrainTestAccuracy(string study, IReadOnlyDictionary<string, string> userAttrs)
    {
        if (!userAttrs.TryGetValue(StudyAttributes.RetrainTestAccuracy, out var json)) return null;
        if (double.TryParse(json, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)) return value;
        Console.Error.WriteLine(ConsoleText.Line($"warning: study '{study}': user attribute {StudyAttributes.RetrainTestAccuracy} is {json}, not a number; not shown"));
        return null;
    }

    // The retrained trial's number as this tool stores it (a JSON integer); anything else another client wrote is no number.
    private static int? RetrainTrial(IReadOnlyDictionary<string, string> userAttrs) =>
        userAttrs.TryGetValue(StudyAttributes.RetrainTrial, out var json) && int.TryParse(json, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    public static Command Best()
    {
        var name = CommonOptions.StudyName();
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var format = CommonOptions.Format("table", "json");
        var command = new Command("best", "The best trial: value and parameters") { name, storage, studiesDir, format };
        command.SetAction(async (parse, ct) =>
        {
            var loaded = await LoadAsync(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir), ct);
            var (study, trials) = (loaded.Study, loaded.Trials);
            // Not bad input (exit 2, as for an unknown study, which a script could not tell from this): no trial completed.
            if (BestTrial.Choose(trials, study.Direction) is not { } choice)
            {
                var only = BestTrial.Skipped(trials, study.Direction, null).FirstOrDefault();
                await Console.Error.WriteLineAsync($"error: {ConsoleText.Line($"study '{study.Name}' has no COMPLETE trial yet" + (only is null ? "" : $" that is a configuration of it (trial {only.Number} is not: {only.NotOfStudy})"))}");
                return ExitCodes.AllTrialsFailed;
            }
            var detail = TrialRows.Detail(choice.Trial);
            // "value" stays the trial's own; the configuration is chosen by (and reported with) the mean of its evaluations.
            detail["chosen_value"] = choice.Value;
            detail["evaluations"] = choice.Evaluations;
            detail["fixed"] = FixedValues(loaded);
            // Better trials left out (another Optuna client's, with values the study does not search or fix), and searched
            // values outside today's space: the table said nothing while the retrain trained the skipped trial's SGD.
            var skipped = BestTrial.Skipped(trials, study.Direction, choice.Value).Select(t => $"trial {t.Number} (value {t.Value}) is better but left out: no configuration of this study ({t.NotOfStudy})").ToList();
            if (choice.Trial.Terms?.OutsideSpace(choice.Trial) is { } outside) skipped.Add($"trial {choice.Trial.Number} has values outside the space as it is now ({outside}); they were measured, and a retrain trains them");
            detail["notes"] = new JsonArray([.. skipped.Select(n => (JsonNode)n)]);
            if (parse.GetValue(format) == "json") OutputFormat.WriteObject("json", detail);
            else
            {
                OutputFormat.WriteObject("table", WithFixed(detail[TrialRows.Keys.Params]!.AsObject(), choice.Trial, loaded), $"Best trial {choice.Trial.Number}: value {TrialRows.ChosenValue(choice)}");
                foreach (var note in skipped) Console.Out.WriteLine(ConsoleText.Line("Note: " + note));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The stored configuration's fixed hyperparameters, as a JSON object (empty without one).</summary>
    private static JsonObject FixedValues(LoadedStudy loaded) =>
        new(loaded.Fixed.Select(kv => KeyValuePair.Create(kv.Key, TrialRows.ParameterValue(kv.Value))));

    // A table of parameters, a searched one the trial has no value for as absent, followed by the fixed values, marked
    // as study start's summary marks them.
    private static JsonObject WithFixed(JsonObject parameters, TrialSnapshot trial, LoadedStudy loaded)
    {
        var rows = (JsonObject)parameters.DeepClone();
        foreach (var absent in TrialRows.AbsentParameters(trial, loaded.Config?.Space.Names ?? [])) rows[absent] = OutputFormat.Absent;
        foreach (var (key, value) in loaded.Fixed) rows[key + " (fixed)"] = TrialRows.ParameterValue(value);
        return rows;
    }

    /// <summary>Opens a named study read-only (nothing is created or migrated) and reads all its trials.</summary>
    public static async Task<LoadedStudy> LoadAsync(string name, string? storageUrl, string? studiesDir, CancellationToken ct)
    {
        var location = StudyLocation.For(name, storageUrl, studiesDir);
        await using var storage = await StorageFactory.OpenReadOnlyAsync(location.StorageUrl, Directory.GetCurrentDirectory(), ct);
        var study = await location.FindInAsync(storage, ct);
        var config = await ConfigAsync(storage, study, location, ct);
        // As every running process counts it: the total last applied, else the stored configuration's; none for a study
        // another Optuna client made.
        var budget = await BudgetTotal.ReadAsync(storage, study.Id, config?.Budget.Trials ?? 0, ct);
        return new LoadedStudy(study, await storage.GetAllTrialsAsync(study.Id, ct: ct), await storage.GetStudyUserAttributesAsync(study.Id, ct),
            config, await FolderAsync(storage, study, location, ct), budget > 0 ? budget : null, await storage.GetHeartbeatAgesAsync(study.Id, ct));
    }

    // A view shows what it can: a stored configuration that no longer reads (a hand edit, another tool) costs the views
    // its fixed values and space, not the whole command (`study resume` names what is wrong with it).
    private static async Task<StudyConfig?> ConfigAsync(IStudyStorage storage, StudyInfo study, StudyLocation location, CancellationToken ct)
    {
        try { return (await StoredConfig.ReadAsync(storage, study, location.StorageDisplay, sourceOnThisMachine: false, ct))?.Config; }
        catch (Exception e) when (e is UserInputException or ConfigException) { return null; }
    }

    // The study folder on this machine, when it exists and holds this study's files (not an earlier study's of the name).
    private static async Task<string?> FolderAsync(IStudyStorage storage, StudyInfo study, StudyLocation location, CancellationToken ct)
    {
        string folder;
        try { folder = location.StudyDirectory; }
        catch (StudyFolderException) { return null; }
        return Directory.Exists(folder) && await StudyFolder.HoldsAsync(storage, study, folder, ct) ? folder : null;
    }
}

/// <summary>
/// A study as the read-only views see it: its trials and user attributes; the configuration stored with it (null for a
/// study another Optuna client made); its folder on this machine, when there is one that holds its files; its budget of
/// trials (null without one); how old each RUNNING trial's heartbeat is (by trial id).
/// </summary>
internal sealed record LoadedStudy(StudyInfo Study, IReadOnlyList<TrialSnapshot> Trials, IReadOnlyDictionary<string, string> UserAttrs,
    StudyConfig? Config, string? Folder, int? BudgetTrials, IReadOnlyDictionary<long, TimeSpan> HeartbeatAges)
{
    /// <summary>The hyperparameters the stored configuration fixes, in its order (none without one).</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Fixed => Config?.Fixed ?? [];
}
