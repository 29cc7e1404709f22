using System.Text.Json.Nodes;
using Mnist.Search.Config;
using Mnist.Search.Data;
using Mnist.Search.Retraining;
using Mnist.Search.Scheduling;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;
using Spectre.Console;

namespace Mnist.Search.Cli;

/// <summary>
/// Runs a study from a configuration: fetches the data if needed, opens (or resumes) the study, runs the
/// coordinator under the progress view, prints the best trial and retrains it. Shared by
/// <c>study start</c>, <c>study resume</c> and <c>study worker</c>.
/// </summary>
internal static class StudyRun
{
    /// <param name="StudiesRoot">
    /// The folder of study folders (<c>study worker --studies-dir</c>, absolute); null: <c>studies/</c> beside the configuration.
    /// </param>
    public sealed record Options(string? StorageOverride, bool Retrain, bool IsJoiningWorker, DevicesConfig? DevicesOverride = null,
        string? StudiesRoot = null);

    public static async Task<int> RunAsync(StudyConfig config, string configText, Options options, CancellationToken ct)
    {
        var studyDir = StudyFolder.PathFor(options.StudiesRoot ?? Path.Combine(config.BaseDirectory, StudyPaths.StudiesFolder), config.Study);
        var storageUrl = options.StorageOverride ?? config.Storage;
        // Parse the storage URL before anything is created, so a bad one leaves no trace.
        var storageDisplay = StorageUrl.Parse(storageUrl, config.BaseDirectory).Display;
        if (StorageOutage.WindowRefusal() is { } badWindow) throw new UserInputException(badWindow);

        // A worker program that is not there would fail every trial of the budget, one by one: refuse it first.
        if (MissingWorkerProgram(config) is { } missing)
            throw new ConfigException($"{config.SourcePath}: $.worker.command[0]: {missing}", config.SourcePath, "$.worker.command[0]");

        // The default worker too (MNIST_SEARCH_WORKER or the build's): refused before a study, a FAIL and a WAITING
        // trial were written for it.
        var command = ConfigMapping.Command(config);

        // A worker told which devices to use runs one trial on each; max_concurrent caps "auto" discovery.
        // "auto" on the command line discovers this machine's devices but keeps the study's GPU packing.
        // "cpu" keeps the study's threads_per_slot (a Slurm task's own CPUs come first: DeviceDiscovery); it was dropped,
        // and the one slot took every core of the node.
        var devices = options.DevicesOverride switch
        {
            { Mode: DevicesMode.Auto } => DevicesConfig.Auto with { Packing = config.Devices.Packing },
            { Mode: DevicesMode.Cpu } cpu => cpu with { ThreadsPerSlot = config.Devices.ThreadsPerSlot },
            _ => options.DevicesOverride ?? config.Devices,
        };
        // GPUs the Trials worker cannot use here: refused before the study, a FAIL and a WAITING trial were written.
        RefuseUnusableGpus(config, options.DevicesOverride, devices, command);

        // Data first, with a console logger: if it cannot be had, no study folder is left behind.
        if (config.Worker is null) await EnsureDataAsync(config, Logging.Console(), ct);

        var folderExisted = Directory.Exists(studyDir);
        var studiesFolderExisted = Directory.Exists(Path.GetDirectoryName(studyDir));
        try
        {
            Directory.CreateDirectory(studyDir);
            // Probe that it is writable before any trial is launched or the database touched.
            var probe = Path.Combine(studyDir, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"cannot write the study folder {studyDir}: {Files.PathInTheWay.Describe(studyDir) ?? e.Message}");
        }
        var settings = ConfigMapping.ToSettings(config, studyDir) with { OptunaStorage = OptunaStorage(storageUrl, config.BaseDirectory) };

        // The storage is opened and the folder claimed before study.log exists: a corrupt database or a folder
        // of another study must leave no empty log behind (issue 11).
        // A SQLite file this run creates is removed again when the run is refused (the folder is another study's,
        // the space differs), interrupted or fails before the study is made in it: nothing half-made is left.
        var newDatabase = NewDatabaseFile.Before(storageUrl, config.BaseDirectory);
        // The one way back: the database file this run made, then the study folder and the studies folder it made, if empty.
        void RollBack(bool madeTheStudy = false)
        {
            newDatabase.Remove(madeTheStudy);
            if (!folderExisted) DeleteIfEmpty(studyDir);
            if (!studiesFolderExisted) DeleteIfEmpty(Path.GetDirectoryName(studyDir)!);
        }
        IStudyStorage storage;
        try
        {
            storage = await OpenStorageAsync(storageUrl, config, fromConfig: options.StorageOverride is null, ct);
        }
        catch
        {
            RollBack();
            throw;
        }
        await using var ownedStorage = storage;
        StudyInfo study;
        var created = false;
        try
        {
            await StudyFolder.RefuseIfTakenAsync(storage, config.Study, studyDir, storageDisplay, ct);
            await ResumedConfig.RefuseChangedAsync(storage, config.Study, config, StoredSource(config, configText), ct);
            (study, created) = await StudyOpener.OpenAsync(storage, settings, StoredSource(config, configText), ct);
            if (!created) await ResumedConfig.RefuseIncomparableAsync(storage, study, config, StoredSource(config, configText), ct);
            await StudyFolder.ClaimAsync(storage, study, studyDir, storageDisplay, ct);
        }
        catch (Exception e) when (e is StudyFolderException or StudyConflictException || newDatabase.IsNew)
        {
            await storage.DisposeAsync();
            RollBack(madeTheStudy: created);
            throw;
        }

        var live = StudyProgressView.IsInteractive;
        // Errors only while the live view draws; after it the retrain (minutes) and the closing notices ("Interrupted:
        // run the same command again", "Not retraining") reach the terminal (they went to study.log alone).
        var consoleLevel = new Serilog.Core.LoggingLevelSwitch(live ? Serilog.Events.LogEventLevel.Error : Serilog.Events.LogEventLevel.Information);
        await using var log = Logging.ForStudy(studyDir, consoleLevel);
        // From here a wait for another process's lock is a warning of the study's log (so study.log has it) rather
        // than a bare stderr line, and under the live view one of its recent lines: written to the terminal, it cut
        // across the view's drawing.
        Action<string>? alsoTell = null;
        using var lockNotice = LockWait.Tell(message =>
        {
            log.Warning("{Notice}", message);
            alsoTell?.Invoke($"warning: {message}");
        });
        if (!created) await ResumedConfig.ReconcileAsync(storage, study, config, StoredSource(config, configText), log, ct);
        await PlainAttributes.WriteTermsAsync(storage, study.Id, settings, ct);
        var existing = await storage.GetAllTrialsAsync(study.Id, ct: ct);
        // A worker joins a study (most often a fresh one, which it did not "resume"); a coordinator creates or resumes it.
        // Each template given its own arguments: the count given to "created" too was written after it as {"__2":0}.
        if (created) log.Information("Study {Study} created in {Storage}", study.Name, storageDisplay);
        else
            log.Information(options.IsJoiningWorker ? "Study {Study} joined in {Storage} ({Count} trials on record)"
                : "Study {Study} resumed from {Storage} ({Count} trials on record)", study.Name, storageDisplay, existing.Count);
        // A worker has nothing to add to a study whose budget is spent: a Slurm array submitted to one ran its tasks to
        // exit 0 without a word. (`study resume` goes on: it prints the best trial and retrains it if that is still to do.)
        if (options.IsJoiningWorker && await NothingToRunAsync(storage, study.Id, existing, settings.Trials, ct) is { } spent)
        {
            // The enqueued trials it leaves WAITING are said as `study start` says them (the worker said only "nothing to run").
            new WaitingBeyondBudget(log).Explain(existing, Budget.Of(existing, await BudgetTotal.ReadAsync(storage, study.Id, settings.Trials, ct)));
            log.Information("{Spent}", spent);
            return ExitCodes.Ok;
        }
        // `study start` and `study resume` go on (the best trial is printed, and retrained if that is still to do) but say so:
        // they printed the start-up lines and the best trial, and nothing said that no trial had run (audit-cli 10).
        var spentAtStart = options.IsJoiningWorker ? null : await NothingToRunAsync(storage, study.Id, existing, settings.Trials, ct);

        var maxConcurrent = options.DevicesOverride is { Mode: DevicesMode.List } listed ? listed.Ids.Count : config.Budget.MaxConcurrent;
        var pool = DeviceDiscovery.ForThisMachine(log).CreatePool(devices, maxConcurrent);
        var view = new StudyProgressView(settings, pool.Devices, log);
        view.SeedFrom(existing);
        alsoTell = view.Note;
        // Once, by the process that started or resumed the study (each worker of a Slurm array said it again).
        if (!options.IsJoiningWorker && config.IdlePrunerWarning is { } idle)
        {
            log.Warning("{Warning:l}", idle);
            if (live) view.Note($"warning: {idle}");
        }
        var pruner = ConfigMapping.Pruner(config);
        var sampler = ConfigMapping.Sampler(config);
        log.Information("Sampler: {Sampler}", sampler);
        log.Information("Pruner: {Pruner}", pruner);
        LogWorkerProgram(config, log);
        var coordinator = new StudyCoordinator(settings, storage, sampler, pruner,
            pool, new ProcessWorkerLauncher(), command, log, view);

        IReadOnlyList<TrialSnapshot> trials;
        try { trials = await DeletedStudy.SaidInOneLineAsync(storage, study, storageDisplay, () => view.RunAsync(() => coordinator.RunAsync(study, ct))); }
        // Both ended the command with the driver's bare message and a 40-line stack trace, naming neither storage nor study.
        catch (Exception e) when (StorageOutage.Is(e))
        {
            throw new StorageUnreachableException(
                $"storage {storageDisplay}: the database failed and the study stopped ({Cause(e).Message}); run the same command again once it "
                + "answers: its running trials are taken up again", e);
        }
        consoleLevel.MinimumLevel = Serilog.Events.LogEventLevel.Information;
        // Said after the live view, whose console shows errors only.
        if (spentAtStart is not null)
            log.Information("{Spent:l} (raise budget.trials in {File:l} and run `study start` with it to run more)", spentAtStart, config.SourcePath);
        // From here on too (reading the budget, the retrain claim, the retrain's results), a deleted study is said in one line.
        return await DeletedStudy.SaidInOneLineAsync(storage, study, storageDisplay, async () =>
        {
            var budget = Budget.Of(trials, await BudgetTotal.ReadAsync(storage, study.Id, settings.Trials));
            PrintBest(settings, trials, command.IsTrialsWorker, interrupted: ct.IsCancellationRequested);
            var named = StudyCommandLine.For(study.Name, storageUrl, config.BaseDirectory);
            var outcome = StudyOutcome.Classify(trials, budget, interrupted: ct.IsCancellationRequested, options.IsJoiningWorker,
                coordinator.AbandonedTrials.Count, new StudyOutcome.Hints(named,
                    StudyCommandLine.WorkerAgain(study.Name, storageUrl, config.BaseDirectory, options.StudiesRoot), StudyCommandLine.PasswordNote(storageUrl)));
            foreach (var notice in outcome.Notices) log.Write(notice.Level, notice.Template, notice.Args);
            if (!outcome.MayRetrain) return outcome.ExitCode;
            if (options.Retrain && !options.IsJoiningWorker && config.Retrain.Enabled && BestTrial.Of(trials, settings.Direction) is { } best)
            {
                // Every coordinator of a shared study sees the budget spent; one claim in storage makes one of them retrain.
                // The claim renews itself while the retrain runs, and stops when ended (or disposed, whatever is thrown).
                var (taken, why) = await RetrainClaim.TryTakeAsync(storage, study.Id, best.Number, RetrainClaim.Recipe(config.Retrain), log, ct);
                if (taken is null)
                {
                    log.Information("Not retraining: {Why}", why);
                    return ExitCodes.Ok;
                }
                await using var claim = taken;
                // Only this process's own study timeout ends it with trials still RUNNING (a spent budget has none in flight,
                // and its own were waited for): they are other processes'. The best so far is retrained now, as the timeout
                // asks for a model by then, but a better trial may still end elsewhere.
                if (trials.Count(t => t.State == TrialState.RUNNING) is var elsewhere and > 0)
                    log.Warning("{Count} trial(s) of study {Study} still run in other processes: retraining the best so far (trial {Trial}); "
                        + "once they end, `study retrain {StudyArgs}` retrains the study's final best", elsewhere, study.Name, best.Number, named);
                var retrainer = new BestModelRetrainer(storage, new ProcessWorkerLauncher(), command, log, named);
                RetrainResult result;
                try
                {
                    result = await ClaimedRetrain.RunAsync(claim, study, storageDisplay, ct,
                        held => retrainer.RetrainAsync(settings, study, config.Retrain, RetrainDevice.From(pool.Devices), ct, best.Number, held));
                }
                catch (RetrainTakenOverException)
                {
                    // Another process took the claim over (its best trial is newer, or this one's renewals came too late) and
                    // puts its model into best/: the study's best is retrained, as when the claim is refused above, and the
                    // search succeeded. The retrain said why in one line. It used to go on and swap its older model into best/
                    // after that process's.
                    return ExitCodes.Ok;
                }
                Console.Out.WriteLine($"Retrained trial {result.TrialNumber}: test accuracy {result.TestAccuracy:P2} (model in {result.Directory})");
            }
            return ExitCodes.Ok;
        });
    }

    // How an Optuna client opens this storage, for the Python lines the study's log and `study status` give: a PostgreSQL
    // password is left out (psycopg2 reads PGPASSWORD or ~/.pgpass), as every other line this tool prints leaves it out.
    internal static string OptunaStorage(string storageUrl, string baseDirectory) =>
        StorageUrl.Parse(StorageUrl.SplitPassword(storageUrl).Url, baseDirectory).ToOptunaUrl();

    /// <summary>
    /// "budget spent: N/N trials done; nothing to run" when the study's budget is spent (every budgeted trial ended, none
    /// running), else null. One test for the worker that joins such a study and for `study submit`, which refuses it.
    /// </summary>
    internal static async Task<string?> NothingToRunAsync(IStudyStorage storage, int studyId, IReadOnlyList<TrialSnapshot> trials,
        int configuredTrials, CancellationToken ct)
    {
        var budget = Budget.Of(trials, await BudgetTotal.ReadAsync(storage, studyId, configuredTrials, ct));
        return budget.IsSpent ? $"budget spent: {budget.Used}/{budget.Total} trials done; nothing to run" : null;
    }

    /// <summary>
    /// What is stored with a study so that resume and other machines' workers can rebuild its configuration. A
    /// password in its <c>storage</c> URL is stored as <c>***</c> (issue 11): commands that reopen the study are
    /// given the storage URL on their own command line.
    /// </summary>
    public static string StoredSource(StudyConfig config, string text) =>
        new JsonObject { ["source_path"] = config.SourcePath, ["text"] = MaskStoragePassword(text) }.ToJsonString();

    private static string MaskStoragePassword(string text)
    {
        var options = new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true };
        if (JsonNode.Parse(text, documentOptions: options) is not JsonObject root || root["storage"] is not JsonValue v || !v.TryGetValue<string>(out var url))
            return text;
        var masked = StorageUrl.Redact(url);
        if (masked == url) return text;
        root["storage"] = masked;
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Opens a study's storage for writing; one that came from the configuration file is named there on failure (only the URL was).</summary>
    public static async Task<IStudyStorage> OpenStorageAsync(string url, StudyConfig config, bool fromConfig, CancellationToken ct)
    {
        try { return await StorageFactory.OpenAsync(url, config.BaseDirectory, ct); }
        catch (StorageException e) when (fromConfig)
        {
            throw new StorageException($"{config.SourcePath}: $.storage: {e.Message}", e);
        }
    }

    /// <summary>
    /// Refuses a list of <c>cuda:N</c> devices (from the configuration or <c>--devices</c>) when the Trials worker cannot
    /// use CUDA here (<see cref="CudaSupport"/>), naming where the list was written. "auto" falls back to the CPU and is
    /// not refused; a custom worker decides for itself (tests fake GPUs with one).
    /// </summary>
    private static void RefuseUnusableGpus(StudyConfig config, DevicesConfig? devicesOverride, DevicesConfig devices, TrialCommand command)
    {
        if (!command.IsTrialsWorker || devices.Mode != DevicesMode.List) return;
        var first = devices.Ids.Select((id, i) => (id, i)).FirstOrDefault(x => x.id.StartsWith("cuda:", StringComparison.Ordinal));
        if (first.id is null) return;
        var worker = command.Command.Count > 1 && command.Command[1].EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? command.Command[1] : command.Command[0];
        if (CudaSupport.Lacking(NvidiaSmi.ListGpus(), Path.GetDirectoryName(worker), Environment.GetEnvironmentVariable("LD_LIBRARY_PATH")) is not { } why)
            return;
        if (devicesOverride is not null)
            throw new UserInputException($"--devices {string.Join(',', devices.Ids)}: {why}");
        var (path, value) = devices.Packing is null
            ? ($"$.devices[{first.i}]", $"\"{first.id}\"")
            : ($"$.devices.gpus[{first.i}]", first.id["cuda:".Length..]);
        throw new ConfigException($"{config.SourcePath}: {path}: {value}: {why}", config.SourcePath, path);
    }

    /// <summary>"PROGRAM is not an executable file[ on PATH]" when the configured worker program is not on this machine, else null.</summary>
    internal static string? MissingWorkerProgram(StudyConfig config) =>
        config.Worker is { } worker && !OperatingSystem.IsWindows() && ProgramPath.Resolve(worker.Command[0]) is null
            ? $"{worker.Command[0]} is not an executable file{(worker.Command[0].Contains('/') ? "" : " on PATH")}"
            : null;

    internal static void DeleteIfEmpty(string dir)
    {
        try
        {
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        catch (IOException) { }
    }

    private static async Task EnsureDataAsync(StudyConfig config, Serilog.ILogger log, CancellationToken ct)
    {
        var fetcher = new DatasetFetcher(log);
        try { await fetcher.FetchMissingAsync(config.Dataset.Name, config.Dataset.Dir, ct); }
        // A folder that cannot hold the data, or holds other files under the dataset's names, came from the
        // configuration: say where (it named only the folder).
        catch (DatasetFetchException e) when (e.IsBadInput)
        {
            throw new ConfigException($"{config.SourcePath}: $.dataset.dir: {e.Message}", config.SourcePath, "$.dataset.dir", e);
        }
    }

    // The driver's own words: a storage's "lost the database server … within 10 tries" named the storage a second time
    // and understated a wait the coordinator had stretched to minutes.
    private static Exception Cause(Exception e) => e is StorageUnreachableException { InnerException: { } inner } ? inner : e;

    /// <summary>
    /// Names a custom worker program in the log. Whoever may write the study's database may change the program every
    /// `study worker`, `study resume` and `study retrain` runs (the stored configuration's worker.command): named, a log
    /// shows what ran (audit-security 2).
    /// </summary>
    internal static void LogWorkerProgram(StudyConfig config, Serilog.ILogger log)
    {
        if (config.Worker is { } custom)
            log.Information("Worker program: {Command:l} (worker.command of the study's configuration)", string.Join(' ', custom.Command.Select(StudyCommandLine.Quote)));
    }

    private static string Filled(StudySettings settings, TrialSnapshot best, bool trialsWorker) =>
        Retraining.MissingHyperparameters.Of(settings, best, trialsWorker) is { Count: > 0 } filled ? $"; a retrain trains it with {string.Join(", ", filled)}" : "";

    private static void PrintBest(StudySettings settings, IReadOnlyList<TrialSnapshot> trials, bool trialsWorker, bool interrupted)
    {
        var choice = BestTrial.Choose(trials, settings.Direction);
        if (choice is null)
        {
            // A script that keeps stdout as the run's result took an interrupted run for one whose trials all failed.
            Console.Out.WriteLine(interrupted ? "Interrupted before any trial completed." : "No trial completed.");
            return;
        }
        var best = choice.Trial;
        OutputFormat.WriteTitle($"Best trial {best.Number}: {settings.Metric} = {TrialRows.ChosenValue(choice)}");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("parameter").AddColumn("value");
        // A searched parameter the trial has no value for (an Optuna client's trial that did not suggest it) is shown as
        // absent: reading it ended the study in a KeyNotFoundException and a stack trace, exit 1, after every trial had run.
        var absent = TrialRows.AbsentParameters(best, settings.Space.Names);
        foreach (var name in settings.Space.Names)
            table.AddRow(Markup.Escape(name), absent.Contains(name) ? OutputFormat.Absent : Markup.Escape(OutputFormat.Text(best.ExternalParam(name))));
        foreach (var (k, v) in settings.Fixed) table.AddRow(Markup.Escape(k) + " [grey](fixed)[/]", Markup.Escape(OutputFormat.Text(v)));
        AnsiConsole.Write(table);
        if (absent.Count > 0)
            Console.Out.WriteLine(ConsoleText.Line($"{OutputFormat.Absent}: trial {best.Number} has no value for {string.Join(", ", absent)} (a trial of another Optuna client that did not suggest them){Filled(settings, best, trialsWorker)}"));
    }
}
